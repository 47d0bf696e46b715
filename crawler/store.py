"""The SQL store: per-source polling state and the articles seen, behind one small API.

SQLite in WAL mode by default, PostgreSQL by changing the URL. The schema is migrated with
Alembic at open, so an upgrade never asks anyone to delete their data. All calls are
synchronous; async code goes through :meth:`Store.run`, which serialises them on one thread
so that SQLite writes never block the event loop nor fight each other.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from alembic import command
from alembic.config import Config
from alembic.util import CommandError as AlembicCommandError
from sqlalchemy import Connection, Engine, create_engine, event, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from crawler import schema
from crawler.entry import Entry
from crawler.errors import StoreError

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class SourceState:
    """What we remember about polling one source between runs."""

    source_id: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    last_new_at: datetime | None = None
    consecutive_errors: int = 0
    last_error: str | None = None
    next_check_at: datetime | None = None


@dataclass(frozen=True)
class HealthRecord:
    """What was announced about a source: ``status`` is ok, failing or silent."""

    source_id: str
    first_seen_at: datetime
    status: str = "ok"
    alerted_at: datetime | None = None
    failing_since: datetime | None = None
    poll_interval: float | None = None


@dataclass(frozen=True)
class StoredEntry:
    """An entry with its row id, as handed to the match stage."""

    id: int
    entry: Entry


class Store:
    """The database of one daemon. Open with :func:`open_store`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store")

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a blocking store call on the store thread and await its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, lambda: fn(*args, **kwargs))

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction; stages that must commit together (match + outbox) share it."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"database error: {exc.__class__.__name__}: {exc}") from exc

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def close(self) -> None:
        self._thread.shutdown(wait=True)
        self.engine.dispose()

    # -- source state -------------------------------------------------------------------

    def load_source_state(self, source_id: str, url: str) -> SourceState:
        with self.transaction() as conn:
            row = (
                conn.execute(select(schema.sources).where(schema.sources.c.id == source_id))
                .mappings()
                .first()
            )
        if row is None:
            return SourceState(source_id=source_id, url=url)
        data = dict(row)
        data["source_id"] = data.pop("id")
        return SourceState(**data)

    def load_source_states(self) -> list[SourceState]:
        with self.transaction() as conn:
            rows = conn.execute(select(schema.sources).order_by(schema.sources.c.id)).mappings()
            return [SourceState(source_id=r["id"], **_without(r, "id")) for r in rows]

    def save_source_state(self, state: SourceState) -> None:
        values = {k: v for k, v in state.__dict__.items() if k != "source_id"}
        with self.transaction() as conn:
            insert = insert_ignoring(conn, schema.sources)
            conn.execute(insert.values(id=state.source_id, **values))
            conn.execute(
                update(schema.sources)
                .where(schema.sources.c.id == state.source_id)
                .values(**values)
            )

    # -- source health and daemon info ---------------------------------------------------

    def load_health(self, source_id: str, now: datetime) -> HealthRecord:
        """The source's health record; a fresh one (first seen ``now``) if it has none."""
        h = schema.source_health
        with self.transaction() as conn:
            row = conn.execute(select(h).where(h.c.source_id == source_id)).mappings().first()
        return HealthRecord(**dict(row)) if row else HealthRecord(source_id, first_seen_at=now)

    def load_health_records(self) -> dict[str, HealthRecord]:
        with self.transaction() as conn:
            rows = conn.execute(select(schema.source_health)).mappings().all()
        return {r["source_id"]: HealthRecord(**dict(r)) for r in rows}

    def save_health(self, record: HealthRecord) -> None:
        values = {k: v for k, v in record.__dict__.items() if k != "source_id"}
        h = schema.source_health
        with self.transaction() as conn:
            conn.execute(insert_ignoring(conn, h).values(source_id=record.source_id, **values))
            conn.execute(update(h).where(h.c.source_id == record.source_id).values(**values))

    def recent_published(self, source_id: str, limit: int = 20) -> list[datetime]:
        """Publication times of the source's newest entries (newest first), for its rhythm."""
        e = schema.entries
        query = (
            select(e.c.published_at)
            .where(e.c.source_id == source_id, e.c.published_at.is_not(None))
            .order_by(e.c.published_at.desc())
            .limit(limit)
        )
        with self.transaction() as conn:
            return [t for t in conn.scalars(query) if t is not None]

    def set_info(self, key: str, value: str, now: datetime | None = None) -> None:
        d = schema.daemon_info
        values = {"value": value, "updated_at": now or datetime.now(UTC)}
        with self.transaction() as conn:
            conn.execute(insert_ignoring(conn, d).values(key=key, **values))
            conn.execute(update(d).where(d.c.key == key).values(**values))

    def load_info(self) -> dict[str, tuple[str, datetime]]:
        d = schema.daemon_info
        with self.transaction() as conn:
            rows = conn.execute(select(d.c.key, d.c.value, d.c.updated_at)).all()
        return {r.key: (r.value, r.updated_at) for r in rows}

    # -- entries ------------------------------------------------------------------------

    def filter_new(self, candidates: Sequence[Entry]) -> list[Entry]:
        """The candidates not seen before, by (source, GUID) or canonical URL."""
        if not candidates:
            return []
        e = schema.entries
        urls = {entry_key(c) for c in candidates}
        guids = {c.guid for c in candidates}
        with self.transaction() as conn:
            known_urls = set(conn.scalars(select(e.c.url).where(e.c.url.in_(urls))))
            known_guids = {
                (r.source_id, r.guid)
                for r in conn.execute(
                    select(e.c.source_id, e.c.guid).where(e.c.guid.in_(guids))
                ).all()
            }
        fresh: list[Entry] = []
        seen: set[str] = set()
        for c in candidates:
            key = entry_key(c)
            if key in known_urls or (c.source_id, c.guid) in known_guids or key in seen:
                continue
            seen.add(key)
            fresh.append(c)
        return fresh

    def add_entries(self, candidates: Sequence[Entry], now: datetime | None = None) -> list[Entry]:
        """Insert the entries not known yet and return exactly those (race-safe)."""
        now = now or datetime.now(UTC)
        added: list[Entry] = []
        with self.transaction() as conn:
            for entry in candidates:
                insert = insert_ignoring(conn, schema.entries).values(
                    **_entry_row(entry), fetched_at=now
                )
                if conn.execute(insert.returning(schema.entries.c.id)).first() is not None:
                    added.append(entry)
        return added

    def pending_entries(self, limit: int = 100) -> list[StoredEntry]:
        """Entries not yet run through the matcher, oldest first."""
        e = schema.entries
        query = select(e).where(e.c.matched_at.is_(None)).order_by(e.c.id).limit(limit)
        with self.transaction() as conn:
            return [StoredEntry(r["id"], _row_entry(r)) for r in conn.execute(query).mappings()]

    def recent_entries(self, since: datetime | None = None, limit: int = 1000) -> list[StoredEntry]:
        e = schema.entries
        query = select(e).order_by(e.c.id.desc()).limit(limit)
        if since is not None:
            query = query.where(e.c.fetched_at >= since)
        with self.transaction() as conn:
            return [StoredEntry(r["id"], _row_entry(r)) for r in conn.execute(query).mappings()]


def open_store(url: str) -> Store:
    """Connect, migrate to the newest schema and return the store; StoreError says why not."""
    try:
        engine = create_engine(url, future=True)
    except (ArgumentError, ImportError) as exc:
        raise StoreError(
            f"store.url {_redact(url)!r} is not usable ({exc}); use e.g. "
            "sqlite:///var/nieuwswacht.db or postgresql+psycopg://user@host/db"
        ) from None
    if engine.dialect.name == "sqlite":
        _prepare_sqlite(engine, url)
    try:
        migrate_store(engine)
    except SQLAlchemyError as exc:
        raise StoreError(
            f"cannot open store {_redact(url)}: {exc.__class__.__name__}: {exc}"
        ) from None
    except AlembicCommandError as exc:
        raise StoreError(
            f"cannot migrate store {_redact(url)}: {exc}; the database may come from a newer "
            "nieuwswacht: upgrade nieuwswacht or restore a backup"
        ) from None
    return Store(engine)


def migrate_store(engine: Engine) -> None:
    """Bring the schema to the newest revision (no-op when it is current)."""
    config = Config()
    config.set_main_option("script_location", "crawler:migrations")
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def _prepare_sqlite(engine: Engine, url: str) -> None:
    database = engine.url.database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def insert_ignoring(conn: Connection, table: Any) -> Any:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def entry_key(entry: Entry) -> str:
    """The article's identity: its canonical URL, or (no link at all) its feed's GUID."""
    return entry.url or f"urn:nieuwswacht:{entry.source_id}:{entry.guid}"


def _entry_row(entry: Entry) -> dict[str, Any]:
    return {
        "source_id": entry.source_id,
        "guid": entry.guid,
        "url": entry_key(entry),
        "title": entry.title,
        "summary": entry.summary,
        "text": entry.text,
        "outlet": entry.outlet,
        "full_text": int(entry.full_text),
        "published_at": entry.published,
    }


def _row_entry(row: Any) -> Entry:
    return Entry(
        source_id=row["source_id"],
        guid=row["guid"],
        url=row["url"],
        title=row["title"],
        summary=row["summary"],
        text=row["text"],
        published=row["published_at"],
        outlet=row["outlet"],
        full_text=bool(row["full_text"]),
    )


def _without(row: Any, key: str) -> dict[str, Any]:
    return {k: v for k, v in dict(row).items() if k != key}


def _redact(url: str) -> str:
    """Hide a password in a database URL before it reaches a log or an error."""
    head, sep, tail = url.partition("@")
    if not sep or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, creds = head.partition("//")
    return f"{scheme}//{creds.split(':', 1)[0]}:***@{tail}"
