"""Ingest: platform exports, media and tips into accounts, posts and media."""
