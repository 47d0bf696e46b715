"""Alembic migrations of the store; run by :func:`crawler.store.migrate_store` at start-up."""
