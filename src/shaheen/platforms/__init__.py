"""Platforms Shaheen refers to: their referral channel and SLA."""
