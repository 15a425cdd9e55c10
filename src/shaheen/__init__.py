"""Shaheen: find, review, refer and track terrorist propaganda accounts across platforms.

The package is laid out by stage of the flow (ingest → detect → network → review →
referral → reports); `store/` holds the database plumbing and `knowledge/` the
proscribed-organisation knowledge base that every detector reads.
"""

__version__ = "0.1.0"
