"""Referral: takedown requests to platforms and every status change they go through."""
