"""Audit: who did what to which object, in a hash chain that shows tampering."""
