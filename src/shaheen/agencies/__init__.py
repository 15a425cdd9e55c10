"""Agencies sharing one Shaheen instance, and their users."""
