"""Digests: held alerts are folded into one message per channel when their time comes.

Alerts routed to a digest, or caught by quiet hours, wait in the outbox as ``held`` rows with
their release time (see :mod:`alerts.schedule`). :func:`compile_due_digests` turns every held
row that is due into one ``digest`` row per channel, in one transaction: the held rows become
``digested`` and the digest is queued like any alert, so it is delivered at least once, with
the same retries and dead letters. A story appears once per digest, with every outlet that
reported it ("ook gemeld door") and every category it gained.

:func:`schedule_digest_jobs` is the daemon's single hook into this module: cron jobs at each
digest time and quiet-hours end, a catch-up sweep for digests missed while the daemon was down,
and one delivery job per channel, so a slow or failing channel never holds up another.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Connection, select, update

from alerts.alert import Alert, Category
from alerts.messages import Digest
from alerts.outbox import DIGESTED, HELD, enqueue_row, load_message
from alerts.schedule import wake_times
from alerts.stories import story_outlets_by_id
from crawler import schema
from crawler.store import Store

if TYPE_CHECKING:
    from alerts.runtime import Runtime

log = logging.getLogger(__name__)
_o = schema.outbox
CATCH_UP_SECONDS = 30.0
Guard = Callable[..., Callable[[], Awaitable[None]]]


def compile_due_digests(store: Store, now: datetime | None = None) -> list[str]:
    """Fold every held row due by ``now`` into one digest per channel; return their ids."""
    now = now or datetime.now(UTC)
    with store.transaction() as conn:
        rows = conn.execute(
            select(_o.c.id, _o.c.channel, _o.c.kind, _o.c.payload)
            .where(_o.c.status == HELD, _o.c.next_attempt_at <= now)
            .order_by(_o.c.id)
        ).all()
        per_channel: dict[str, list[tuple[int, Alert]]] = defaultdict(list)
        for row in rows:
            message = load_message(row.kind, row.payload)
            if isinstance(message, Alert):
                per_channel[row.channel].append((row.id, message))
        made = []
        for channel, items in per_channel.items():
            digest = build_digest(conn, channel, items, now)
            enqueue_row(conn, key=digest.id, channel=channel, message=digest, now=now)
            conn.execute(
                update(_o).where(_o.c.id.in_([i for i, _ in items])).values(status=DIGESTED)
            )
            made.append(digest.id)
            log.info(
                "digest queued",
                extra={"channel": channel, "digest": digest.id, "stories": digest.story_count},
            )
    return made


def build_digest(
    conn: Connection, channel: str, items: Sequence[tuple[int, Alert]], now: datetime
) -> Digest:
    """One entry per story (oldest first), with the latest outlets and every category."""
    stories: dict[str, list[Alert]] = {}
    for _, alert in items:
        stories.setdefault(alert.story_id or alert.id, []).append(alert)
    outlets = story_outlets_by_id(conn, [a.story_id for _, a in items])
    merged = [merge_story(group, outlets.get(group[0].story_id)) for group in stories.values()]
    first, last = items[0][0], items[-1][0]
    return Digest(id=f"digest:{channel}:{first}-{last}", created_at=now, alerts=tuple(merged))


def merge_story(alerts: Sequence[Alert], outlets: tuple[tuple[str, ...], int] | None) -> Alert:
    """The story's latest alert, carrying the categories of all and its reprinting outlets."""
    latest = alerts[-1]
    categories: dict[str, Category] = {}
    for alert in alerts:
        for category in alert.categories:
            categories.setdefault(category.id, category)
    others, size = outlets if outlets else (latest.also_reported_by, latest.cluster_size)
    return replace(
        latest,
        categories=tuple(categories.values()),
        also_reported_by=tuple(o for o in others if o != latest.outlet),
        cluster_size=max(size, latest.cluster_size),
    )


def schedule_digest_jobs(scheduler: BaseScheduler, rt: Runtime, guard: Guard) -> None:
    """Add the digest, catch-up and per-channel delivery jobs to the daemon's scheduler."""
    settings = rt.setup.config.settings
    rt.worker.set_policy(settings.stories, settings.routing)
    now = datetime.now(UTC)

    async def release_digests() -> None:
        made = await rt.store.run(compile_due_digests, rt.store, None)
        if made:
            await rt.deliverer.deliver_due()

    release_digests.__name__ = "release_digests"
    for index, trigger in enumerate(wake_times(settings.routing)):
        scheduler.add_job(
            guard(release_digests),
            trigger,
            id=f"digest:{index}",
            misfire_grace_time=None,
            coalesce=True,
            max_instances=1,
        )
    scheduler.add_job(
        guard(release_digests),
        IntervalTrigger(seconds=CATCH_UP_SECONDS),
        id="digest:catch-up",
        next_run_time=now + timedelta(seconds=1),
        misfire_grace_time=None,
        coalesce=True,
        max_instances=1,
    )
    for name in rt.channels:
        scheduler.add_job(
            guard(rt.deliverer.deliver_channel, name),
            IntervalTrigger(seconds=settings.delivery.interval),
            id=f"deliver:{name}",
            next_run_time=now + timedelta(seconds=settings.delivery.interval / 2),
            misfire_grace_time=None,
            coalesce=True,
            max_instances=1,
        )
