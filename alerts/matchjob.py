"""The match stage: unmatched stored articles → matcher → alerts in the outbox, crash-safe.

Articles are picked from the store by ``matched_at IS NULL``, so an article stored just before
a crash is matched after the restart. Per article, the match rows, the outbox rows and the
``matched_at`` mark are written in one transaction: a match never exists without its alerts,
and an article is never matched twice. spaCy runs on one dedicated thread, never on the loop.

In that same transaction each alert joins its story (:mod:`alerts.stories`): a reprint of a
story already alerted is recorded but not queued, and each queued alert gets its per-channel
release time (:mod:`alerts.schedule`: at once, held for a digest, or held over quiet hours).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from sqlalchemy import Connection, update

from alerts.alert import Alert
from alerts.config import RoutingSettings, StorySettings
from alerts.decide import decide_alert, route_channels
from alerts.hits import WatchlistResult
from alerts.matcher import Matcher
from alerts.outbox import enqueue_alert, refresh_story_rows
from alerts.schedule import release_times_for
from alerts.stories import assign_story
from alerts.watchlists import Watchlist
from crawler import schema
from crawler.store import Store, StoredEntry, insert_ignoring

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MatchedEntry:
    """One article after matching, with the alerts it queued (possibly none).

    ``reprints`` are alerts not queued because their story was already alerted.
    """

    stored: StoredEntry
    results: tuple[WatchlistResult, ...]
    alerts: tuple[Alert, ...] = field(default=())
    reprints: tuple[Alert, ...] = field(default=())


@dataclass(frozen=True)
class AlertPolicy:
    """How matches become queued alerts: story clustering and routing."""

    stories: StorySettings = field(default_factory=StorySettings)
    routing: RoutingSettings = field(default_factory=RoutingSettings)


class MatchWorker:
    """Owns the matcher and the one thread it runs on; swap watchlists with :meth:`replace`."""

    def __init__(self, watchlists: Sequence[Watchlist]) -> None:
        self.watchlists = list(watchlists)
        self.matcher = Matcher(self.watchlists)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="matcher")
        self.lock = asyncio.Lock()
        self.policy = AlertPolicy()

    def set_policy(self, stories: StorySettings, routing: RoutingSettings) -> None:
        """Use the configured story window and routing (default: 48 h, all immediate)."""
        self.policy = AlertPolicy(stories, routing)

    @classmethod
    async def start(cls, watchlists: Sequence[Watchlist]) -> MatchWorker:
        """Build the worker off the event loop (loading spaCy takes a second or two)."""
        return await asyncio.to_thread(cls, watchlists)

    async def match_many(self, docs: Sequence[tuple[str, str]]) -> list[list[WatchlistResult]]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self.matcher.match_many, docs)

    def close(self) -> None:
        self._thread.shutdown(wait=True)


async def match_pending(
    store: Store, worker: MatchWorker, channels: Sequence[str], *, batch: int = 50
) -> list[MatchedEntry]:
    """Match every stored article not matched yet; queue its alerts. Returns what it did."""
    done: list[MatchedEntry] = []
    async with worker.lock:
        while True:
            pending = await store.run(store.pending_entries, batch)
            if not pending:
                if done:
                    log.info(
                        "articles matched",
                        extra={"articles": len(done), "alerts": sum(len(m.alerts) for m in done)},
                    )
                return done
            docs = [(p.entry.title, p.entry.body) for p in pending]
            verdicts = await worker.match_many(docs)
            matched = [
                _decide(p, tuple(v), worker.watchlists)
                for p, v in zip(pending, verdicts, strict=True)
            ]
            routes = {w.id: route_channels(w, channels) for w in worker.watchlists}
            recorded = await store.run(_record_matches, store, matched, routes, worker.policy)
            done.extend(recorded)


def _decide(
    stored: StoredEntry, results: tuple[WatchlistResult, ...], watchlists: Sequence[Watchlist]
) -> MatchedEntry:
    alerts = []
    for result, watchlist in zip(results, watchlists, strict=True):
        alert = decide_alert(stored.entry, result, watchlist)
        if alert is not None:
            alerts.append(alert)
    return MatchedEntry(stored, results, tuple(alerts))


def _record_matches(
    store: Store,
    matched: Sequence[MatchedEntry],
    routes: dict[str, list[str]],
    policy: AlertPolicy,
) -> list[MatchedEntry]:
    now = datetime.now(UTC)
    recorded = []
    for item in matched:
        queued: list[Alert] = []
        reprints: list[Alert] = []
        with store.transaction() as conn:
            for alert in item.alerts:
                _insert_match(conn, item.stored.id, alert, now)
                story = _queue_alert(conn, alert, routes.get(alert.watchlist_id, []), policy, now)
                (queued if story is not None else reprints).append(story or alert)
            conn.execute(
                update(schema.entries)
                .where(schema.entries.c.id == item.stored.id)
                .values(matched_at=now)
            )
        recorded.append(replace(item, alerts=tuple(queued), reprints=tuple(reprints)))
    return recorded


def _queue_alert(
    conn: Connection, alert: Alert, channels: list[str], policy: AlertPolicy, now: datetime
) -> Alert | None:
    """Queue the alert unless its story already alerted these categories; None if not queued."""
    verdict = assign_story(conn, alert, policy.stories, now)
    fields = {"watchlist": alert.watchlist_id, "url": alert.url, "story": verdict.story_id}
    if not verdict.alert:
        refresh_story_rows(conn, verdict.story_id)
        log.info("reprint of an alerted story; not alerting again", extra=fields)
        return None
    alert = replace(
        alert,
        story_id=verdict.story_id,
        cluster_size=verdict.cluster_size,
        also_reported_by=verdict.also_reported_by,
    )
    release = release_times_for(policy.routing, alert, channels, now)
    count = enqueue_alert(conn, alert, channels, now, release, policy.stories.hold)
    held = sorted(c for c, when in release.items() if when is not None)
    log.info(
        "alert queued",
        extra={
            **fields,
            "categories": ",".join(c.id for c in alert.categories),
            "channels": count,
            "held": ",".join(held),
        },
    )
    return alert


def _insert_match(conn: Connection, entry_id: int, alert: Alert, now: datetime) -> None:
    conn.execute(
        insert_ignoring(conn, schema.matches).values(
            entry_id=entry_id,
            watchlist_id=alert.watchlist_id,
            categories=json.dumps([c.id for c in alert.categories]),
            score=alert.score,
            hits=json.dumps([h.to_json() for h in alert.hits], ensure_ascii=False),
            created_at=now,
        )
    )
