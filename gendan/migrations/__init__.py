"""Alembic migrations of gendan's schema (run by ``gendan.migrate``; see docs/architecture.md)."""
