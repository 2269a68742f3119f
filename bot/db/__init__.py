"""Contracts database: SQLAlchemy 1.4 models (2.0-style use), Alembic migrations."""
