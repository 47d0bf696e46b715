"""Crawl state in the store: which URLs each site has seen, and how each site's last crawl went.

It lives in the database (tables ``crawl_seen`` and ``crawl_sites``), not in Scrapy's JOBDIR,
so a restart does not re-fetch what is known and a later deployment can share it between
processes on several machines. The spider asks :func:`known_urls` before it requests an article;
a URL counts as known when this site fetched it before or when any source (a feed) already
stored an article under that canonical URL. All functions are synchronous; the crawl
subprocess calls them directly, the daemon through ``Store.run``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, select, update

from crawler import schema
from crawler.store import Store, insert_ignoring

_CHUNK = 500  # URLs per IN (...) query: well below SQLite's and PostgreSQL's parameter limits


@dataclass(frozen=True)
class CrawlSiteState:
    """What we remember about one site between crawls."""

    site_id: str
    last_crawl_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    consecutive_errors: int = 0
    pages_fetched: int = 0
    articles_new: int = 0


def known_urls(store: Store, site_id: str, urls: Iterable[str]) -> set[str]:
    """The ``urls`` (canonical) this site has seen before or the store already holds."""
    wanted = list(dict.fromkeys(urls))
    seen, e = schema.crawl_seen, schema.entries
    known: set[str] = set()
    with store.transaction() as conn:
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            known.update(
                conn.scalars(
                    select(seen.c.url).where(and_(seen.c.site_id == site_id, seen.c.url.in_(chunk)))
                )
            )
            known.update(conn.scalars(select(e.c.url).where(e.c.url.in_(chunk))))
    return known


def stored_urls(store: Store, urls: Iterable[str]) -> set[str]:
    """The ``urls`` (canonical) under which the store already holds an article, from any source."""
    wanted = list(dict.fromkeys(urls))
    e = schema.entries
    found: set[str] = set()
    with store.transaction() as conn:
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            found.update(conn.scalars(select(e.c.url).where(e.c.url.in_(chunk))))
    return found


def mark_seen(store: Store, site_id: str, urls: Iterable[str], now: datetime | None = None) -> None:
    """Record that this site fetched ``urls`` (canonical); refresh ``last_seen_at`` if known."""
    now = now or datetime.now(UTC)
    seen = schema.crawl_seen
    with store.transaction() as conn:
        for url in dict.fromkeys(urls):
            conn.execute(
                insert_ignoring(conn, seen).values(
                    site_id=site_id, url=url, first_seen_at=now, last_seen_at=now
                )
            )
            conn.execute(
                update(seen)
                .where(and_(seen.c.site_id == site_id, seen.c.url == url))
                .values(last_seen_at=now)
            )


def load_site_state(store: Store, site_id: str) -> CrawlSiteState:
    with store.transaction() as conn:
        row = (
            conn.execute(select(schema.crawl_sites).where(schema.crawl_sites.c.site_id == site_id))
            .mappings()
            .first()
        )
    return CrawlSiteState(**dict(row)) if row is not None else CrawlSiteState(site_id)


def record_crawl(
    store: Store,
    site_id: str,
    *,
    pages_fetched: int,
    articles_new: int,
    error: str | None,
    now: datetime | None = None,
) -> CrawlSiteState:
    """Save the outcome of one crawl; an error counts up, a success clears the count."""
    now = now or datetime.now(UTC)
    state = load_site_state(store, site_id)
    values = {
        "last_crawl_at": now,
        "last_success_at": state.last_success_at if error else now,
        "last_error": error,
        "consecutive_errors": state.consecutive_errors + 1 if error else 0,
        "pages_fetched": pages_fetched,
        "articles_new": articles_new,
    }
    table = schema.crawl_sites
    with store.transaction() as conn:
        conn.execute(insert_ignoring(conn, table).values(site_id=site_id, **values))
        conn.execute(update(table).where(table.c.site_id == site_id).values(**values))
    return CrawlSiteState(site_id=site_id, **values)  # type: ignore[arg-type]
