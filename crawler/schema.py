"""The tables of the store, as SQLAlchemy Core metadata: the seam between every stage.

One schema for the whole daemon (sources, entries, matches, outbox), because the database is
where stages hand work to each other and a single migration chain keeps upgrades in step.
Times are stored as naive UTC and come back timezone-aware (:class:`UTCDateTime`), the same
on SQLite and PostgreSQL. Changing a table here needs a migration in ``crawler/migrations``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; naive UTC on disk."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use datetime.now(UTC)")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        assert isinstance(moment, datetime)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


metadata = MetaData()

sources = Table(
    "sources",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("url", Text, nullable=False),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("last_attempt_at", UTCDateTime),
    Column("last_success_at", UTCDateTime),
    Column("last_new_at", UTCDateTime),
    Column("consecutive_errors", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("next_check_at", UTCDateTime),
)

entries = Table(
    "entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source_id", String(100), nullable=False),
    Column("guid", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("title", Text, nullable=False, default=""),
    Column("summary", Text, nullable=False, default=""),
    Column("text", Text, nullable=False, default=""),
    Column("outlet", Text, nullable=False, default=""),
    Column("full_text", Integer, nullable=False, default=0),
    Column("published_at", UTCDateTime),
    Column("fetched_at", UTCDateTime, nullable=False),
    Column("matched_at", UTCDateTime),
    UniqueConstraint("source_id", "guid", name="uq_entries_source_guid"),
    UniqueConstraint("url", name="uq_entries_url"),
)
Index("ix_entries_unmatched", entries.c.matched_at, entries.c.id)

matches = Table(
    "matches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entry_id", Integer, ForeignKey("entries.id"), nullable=False),
    Column("watchlist_id", String(100), nullable=False),
    Column("categories", Text, nullable=False),
    Column("score", Float, nullable=False, default=0.0),
    Column("hits", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("entry_id", "watchlist_id", name="uq_matches_entry_watchlist"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("alert_id", String(100), nullable=False),
    Column("channel", String(100), nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(20), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("lease_until", UTCDateTime),
    Column("lease_token", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("last_error", Text),
    UniqueConstraint("alert_id", "channel", name="uq_outbox_alert_channel"),
)
Index("ix_outbox_due", outbox.c.status, outbox.c.next_attempt_at)

# -- crawl state (issue 4): what the Scrapy spiders have seen, per site ------------------------

crawl_seen = Table(
    "crawl_seen",
    metadata,
    Column("site_id", String(100), primary_key=True),
    Column("url", Text, primary_key=True),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
)

crawl_sites = Table(
    "crawl_sites",
    metadata,
    Column("site_id", String(100), primary_key=True),
    Column("last_crawl_at", UTCDateTime),
    Column("last_success_at", UTCDateTime),
    Column("last_error", Text),
    Column("consecutive_errors", Integer, nullable=False, default=0),
    Column("pages_fetched", Integer, nullable=False, default=0),
    Column("articles_new", Integer, nullable=False, default=0),
)

# -- source health and daemon info (issue 6) --------------------------------------------------

source_health = Table(
    "source_health",
    metadata,
    Column("source_id", String(100), primary_key=True),
    Column("status", String(20), nullable=False, default="ok"),
    Column("alerted_at", UTCDateTime),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("failing_since", UTCDateTime),
    Column("poll_interval", Float),
)

daemon_info = Table(
    "daemon_info",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# -- stories, digests and notices (issue 5) --------------------------------------------------
# outbox.kind: "alert", "digest" or "notice"; outbox.story_id ties an alert row to its story.
# Status "held" waits for a digest (next_attempt_at is its release time); "digested" is done.

outbox.append_column(Column("kind", String(20), nullable=False, default="alert"))
outbox.append_column(Column("story_id", String(40)))
Index("ix_outbox_story", outbox.c.story_id)

stories = Table(
    "stories",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("watchlist_id", String(100), nullable=False),
    Column("signature", Text, nullable=False),
    Column("categories", Text, nullable=False),
    Column("first_url", Text, nullable=False),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
)
Index("ix_stories_recent", stories.c.watchlist_id, stories.c.last_seen_at)

story_reports = Table(
    "story_reports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("story_id", String(40), ForeignKey("stories.id"), nullable=False),
    Column("url", Text, nullable=False),
    Column("outlet", Text, nullable=False, default=""),
    Column("alerted", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("story_id", "url", name="uq_story_reports_story_url"),
)
