"""The persistent outbox: alerts are enqueued once, claimed with a lease, released with an outcome.

An alert row is written in the same transaction that records the match, so a crash can never
leave a match without its alert. Delivery claims due rows with a lease (a token and a time);
a worker that dies leaves the lease to expire and the row is claimed again, which gives
at-least-once delivery. Outcomes (sent, retry later, dead) only apply while the lease token
still matches, so a slow worker can never overwrite the outcome of the one that took over.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, and_, func, or_, select, update

from alerts.alert import Alert
from crawler import schema
from crawler.store import Store, insert_ignoring

PENDING, SENT, DEAD = "pending", "sent", "dead"
_o = schema.outbox


@dataclass(frozen=True)
class OutboxItem:
    """One (alert, channel) delivery, as claimed by a worker."""

    id: int
    alert: Alert
    channel: str
    attempts: int
    lease_token: str
    created_at: datetime


def enqueue_alert(conn: Connection, alert: Alert, channels: Sequence[str], now: datetime) -> int:
    """Queue ``alert`` once per channel inside the caller's transaction; return rows added."""
    payload = json.dumps(alert.to_json(), ensure_ascii=False)
    added = 0
    for channel in channels:
        insert = insert_ignoring(conn, _o).values(
            alert_id=alert.id,
            channel=channel,
            payload=payload,
            status=PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        added += conn.execute(insert.returning(_o.c.id)).first() is not None
    return added


def claim_due(
    store: Store,
    *,
    now: datetime,
    lease_seconds: float,
    limit: int,
    skip_channels: Collection[str] = (),
) -> list[OutboxItem]:
    """Lease up to ``limit`` due rows, oldest first, skipping channels that are paused."""
    token = secrets.token_hex(8)
    lease_until = now + timedelta(seconds=lease_seconds)
    free = or_(_o.c.lease_until.is_(None), _o.c.lease_until < now)
    due = and_(_o.c.status == PENDING, _o.c.next_attempt_at <= now, free)
    if skip_channels:
        due = and_(due, _o.c.channel.not_in(list(skip_channels)))
    claimed: list[OutboxItem] = []
    with store.transaction() as conn:
        rows = conn.execute(select(_o).where(due).order_by(_o.c.id).limit(limit)).mappings().all()
        for row in rows:
            taken = conn.execute(
                update(_o)
                .where(_o.c.id == row["id"], free)
                .values(lease_until=lease_until, lease_token=token)
            ).rowcount
            if taken:
                alert = Alert.from_json(json.loads(row["payload"]))
                claimed.append(
                    OutboxItem(
                        row["id"], alert, row["channel"], row["attempts"], token, row["created_at"]
                    )
                )
    return claimed


def mark_sent(store: Store, item: OutboxItem, now: datetime) -> bool:
    return _finish(store, item, status=SENT, sent_at=now, attempts=item.attempts + 1)


def schedule_retry(store: Store, item: OutboxItem, now: datetime, delay: float, error: str) -> bool:
    return _finish(
        store,
        item,
        status=PENDING,
        attempts=item.attempts + 1,
        next_attempt_at=now + timedelta(seconds=delay),
        last_error=error,
    )


def mark_dead(store: Store, item: OutboxItem, error: str) -> bool:
    return _finish(store, item, status=DEAD, attempts=item.attempts + 1, last_error=error)


def release_claim(store: Store, item: OutboxItem) -> bool:
    """Give a claimed row back untouched (shutdown, channel paused): no attempt is counted."""
    return _finish(store, item, status=PENDING)


def _finish(store: Store, item: OutboxItem, **values: object) -> bool:
    with store.transaction() as conn:
        changed = conn.execute(
            update(_o)
            .where(_o.c.id == item.id, _o.c.lease_token == item.lease_token)
            .values(lease_until=None, lease_token=None, **values)
        ).rowcount
    return bool(changed)


def count_by_status(store: Store) -> dict[str, int]:
    """Rows per status, e.g. ``{"pending": 3, "sent": 120, "dead": 1}``."""
    query = select(_o.c.status, func.count()).group_by(_o.c.status)
    with store.transaction() as conn:
        return {status: int(n) for status, n in conn.execute(query).all()}


def list_dead(store: Store, limit: int = 50) -> list[dict[str, object]]:
    query = (
        select(_o.c.id, _o.c.alert_id, _o.c.channel, _o.c.attempts, _o.c.last_error)
        .where(_o.c.status == DEAD)
        .order_by(_o.c.id.desc())
        .limit(limit)
    )
    with store.transaction() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def retry_dead(store: Store, ids: Collection[int] = (), now: datetime | None = None) -> int:
    """Put dead letters (all, or the given ids) back in the queue; return how many."""
    where = _o.c.status == DEAD
    if ids:
        where = and_(where, _o.c.id.in_(list(ids)))
    with store.transaction() as conn:
        return int(
            conn.execute(
                update(_o)
                .where(where)
                .values(status=PENDING, next_attempt_at=now or datetime.now(UTC), attempts=0)
            ).rowcount
        )
