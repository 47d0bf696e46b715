"""Real databases for store tests: a SQLite file, and a throwaway PostgreSQL database.

PostgreSQL is the machine's own server (127.0.0.1:5432, trust auth). Each test gets a
database of its own, dropped afterwards, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

PG_ADMIN_URL = os.environ.get(
    "NIEUWSWACHT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def create_pg_database() -> str:
    name = f"nw_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name


def drop_pg_database(name: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: object) -> str:
    """Store tests run on both backends, like APScheduler's own suite."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store.db"
    name = create_pg_database()
    request.addfinalizer(lambda: drop_pg_database(name))
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
