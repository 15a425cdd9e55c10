"""Database plumbing: engine, session, declarative base and Alembic migrations.

Only plumbing lives here; each stage keeps its own tables in its `models.py`.
"""
