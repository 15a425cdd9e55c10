"""The knowledge base: proscribed organisations, their names in every script, and hash banks."""
