"""refresh_source(): one poll of one feed, read top to bottom as the pipeline it is.

fetch (conditional GET) → parse → skip known → fetch + extract full text → store, with the
source's state (ETag, errors, backoff) saved whatever happens. Every failure is caught here,
logged with the source and URL, and recorded on the source: one broken feed never raises
into the scheduler and never delays another source.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from crawler.entry import Entry
from crawler.errors import CrawlerError, FetchError, PermanentFetchError
from crawler.extract import extract_article
from crawler.fetcher import Fetcher
from crawler.parser import parse_feed
from crawler.sources import Source
from crawler.store import SourceState, Store

log = logging.getLogger(__name__)

Outcome = Literal["new", "unchanged", "not_modified", "failed", "backing_off"]


@dataclass(frozen=True)
class RefreshResult:
    """What one poll did; ``new`` holds the entries stored for the first time."""

    source_id: str
    outcome: Outcome
    new: tuple[Entry, ...] = field(default=())
    error: str | None = None


async def refresh_source(
    source: Source,
    fetcher: Fetcher,
    store: Store,
    *,
    backoff_max: float = 6 * 3600.0,
    article_limit: asyncio.Semaphore | None = None,
    now: datetime | None = None,
) -> RefreshResult:
    """Poll ``source`` once. Never raises for feed problems; returns what happened."""
    now = now or datetime.now(UTC)
    state = await store.run(store.load_source_state, source.id, source.url)
    if state.next_check_at and now < state.next_check_at:
        return RefreshResult(source.id, "backing_off")
    try:
        new = await _collect(source, state, fetcher, store, article_limit or asyncio.Semaphore(4))
    except CrawlerError as exc:
        failed = record_failure(state, exc, now, source.interval, backoff_max)
        await store.run(store.save_source_state, failed)
        log.warning(
            "source poll failed",
            extra={
                "source": source.id,
                "url": source.url,
                "error": str(exc),
                "consecutive_errors": failed.consecutive_errors,
                "next_check_at": failed.next_check_at.isoformat() if failed.next_check_at else None,
            },
        )
        return RefreshResult(source.id, "failed", error=str(exc))
    return new


async def _collect(
    source: Source, state: SourceState, fetcher: Fetcher, store: Store, limit: asyncio.Semaphore
) -> RefreshResult:
    same_url = state.url == source.url
    result = await fetcher.fetch(
        source.url,
        etag=state.etag if same_url else None,
        last_modified=state.last_modified if same_url else None,
    )
    now = datetime.now(UTC)
    if result.not_modified:
        await store.run(store.save_source_state, record_success(state, source, now, None, None))
        log.debug("source not modified", extra={"source": source.id, "url": source.url})
        return RefreshResult(source.id, "not_modified")
    entries = await asyncio.to_thread(parse_feed, result.body, source, base_url=result.url)
    fresh = await store.run(store.filter_new, entries)
    if source.full_text and fresh:
        fresh = list(await asyncio.gather(*(_add_full_text(e, fetcher, limit) for e in fresh)))
    added = await store.run(store.add_entries, fresh)
    success = record_success(state, source, now, result.etag, result.last_modified, bool(added))
    await store.run(store.save_source_state, success)
    log.info(
        "source polled",
        extra={"source": source.id, "url": source.url, "entries": len(entries), "new": len(added)},
    )
    return RefreshResult(source.id, "new" if added else "unchanged", tuple(added))


async def _add_full_text(entry: Entry, fetcher: Fetcher, limit: asyncio.Semaphore) -> Entry:
    """Replace the teaser by the article's text; keep the teaser when the page fails us."""
    async with limit:
        try:
            page = await fetcher.fetch(entry.url)
        except FetchError as exc:
            log.warning(
                "article fetch failed; using feed summary",
                extra={"source": entry.source_id, "url": entry.url, "error": str(exc)},
            )
            return entry
    extracted = await asyncio.to_thread(extract_article, page.body, page.url)
    if extracted is None or not extracted.text.strip():
        log.info(
            "article extraction found no text; using feed summary",
            extra={"source": entry.source_id, "url": entry.url},
        )
        return entry
    return dataclasses.replace(
        entry,
        text=extracted.text,
        title=entry.title or extracted.title,
        published=entry.published or extracted.published,
        full_text=True,
    )


def record_success(
    state: SourceState,
    source: Source,
    now: datetime,
    etag: str | None,
    last_modified: str | None,
    found_new: bool = False,
) -> SourceState:
    """The state after a good poll: errors cleared, validators kept for the next GET."""
    return dataclasses.replace(
        state,
        url=source.url,
        etag=etag or (state.etag if state.url == source.url else None),
        last_modified=last_modified or (state.last_modified if state.url == source.url else None),
        last_attempt_at=now,
        last_success_at=now,
        last_new_at=now if found_new else state.last_new_at,
        consecutive_errors=0,
        last_error=None,
        next_check_at=None,
    )


def record_failure(
    state: SourceState, error: Exception, now: datetime, interval: float, backoff_max: float
) -> SourceState:
    """The state after a failed poll: exponential backoff with jitter, Retry-After honoured.

    Permanent failures back off as fast as temporary ones but are never given up: a feed
    that comes back is picked up again without anyone touching the daemon.
    """
    errors = state.consecutive_errors + 1
    delay = min(backoff_max, interval * (2 ** min(errors - 1, 16)))
    delay *= random.uniform(0.9, 1.1)
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        delay = max(delay, min(float(retry_after), backoff_max))
    kind = "permanent" if isinstance(error, PermanentFetchError) else "temporary"
    return dataclasses.replace(
        state,
        last_attempt_at=now,
        consecutive_errors=errors,
        last_error=f"{kind}: {error}",
        next_check_at=now + timedelta(seconds=delay) if errors > 1 or retry_after else None,
    )
