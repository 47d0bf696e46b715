"""The persistent outbox: alerts are enqueued once, claimed with a lease, released with an outcome.

An alert row is written in the same transaction that records the match, so a crash can never
leave a match without its alert. Delivery claims due rows with a lease (a token and a time);
a worker that dies leaves the lease to expire and the row is claimed again, which gives
at-least-once delivery. Outcomes (sent, retry later, dead) only apply while the lease token
still matches, so a slow worker can never overwrite the outcome of the one that took over.

Rows have a ``kind``: ``alert``, ``digest`` (held alerts released together, see
:mod:`alerts.digest`) or ``notice`` (an operational message such as a dead-letter
announcement). A row ``held`` for a digest or quiet hours is not claimed; it waits until
:mod:`alerts.digest` folds it into a digest row. A dead letter queues its announcement for the
other channels in the same transaction, so the announcement cannot be lost either.

Duplicates: the only window is between a channel accepting a message and :func:`mark_sent`
committing (one short transaction; see ``bench/deliver.py`` and the README). A crash inside it
re-sends that one message per channel after the lease expires; nothing else is ever repeated.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, and_, func, or_, select, update

from alerts.alert import Alert
from alerts.messages import Digest, Message, Notice, describe_message
from alerts.stories import list_story_outlets
from crawler import schema
from crawler.store import Store, insert_ignoring

PENDING, SENT, DEAD, HELD, DIGESTED = "pending", "sent", "dead", "held", "digested"
NOTICE_FOOTER = "Herstel de instelling en voer 'nieuwswacht outbox retry' uit."
NOTICE_MAX_CHARS = 3000
ALERT, DIGEST, NOTICE = "alert", "digest", "notice"
_o = schema.outbox


@dataclass(frozen=True)
class OutboxItem:
    """One (message, channel) delivery, as claimed by a worker."""

    id: int
    message: Message
    channel: str
    attempts: int
    lease_token: str
    created_at: datetime

    @property
    def kind(self) -> str:
        if isinstance(self.message, Digest):
            return DIGEST
        return NOTICE if isinstance(self.message, Notice) else ALERT

    @property
    def alert(self) -> Alert:
        """The alert of an alert row (a TypeError for digests and notices)."""
        if not isinstance(self.message, Alert):
            raise TypeError(f"outbox row {self.id} holds a {self.kind}, not an alert")
        return self.message


def enqueue_alert(
    conn: Connection,
    alert: Alert,
    channels: Sequence[str],
    now: datetime,
    release: Mapping[str, datetime | None] | None = None,
    hold: float = 0.0,
) -> int:
    """Queue ``alert`` once per channel inside the caller's transaction; return rows added.

    ``release`` maps a channel to the time a held alert is released into a digest (None or
    missing: send now); ``hold`` delays immediate rows by some seconds to gather reprints.
    """
    added = 0
    for channel in channels:
        until = (release or {}).get(channel)
        added += enqueue_row(
            conn,
            key=alert.id,
            channel=channel,
            message=alert,
            now=now,
            due=until or now + timedelta(seconds=hold),
            status=HELD if until is not None else PENDING,
            story_id=alert.story_id or None,
        )
    return added


def enqueue_row(
    conn: Connection,
    *,
    key: str,
    channel: str,
    message: Message,
    now: datetime,
    due: datetime | None = None,
    status: str = PENDING,
    story_id: str | None = None,
) -> bool:
    """One outbox row, ignored when (key, channel) is already queued; True when added."""
    insert = insert_ignoring(conn, _o).values(
        alert_id=key,
        channel=channel,
        kind=kind_of(message),
        payload=json.dumps(message.to_json(), ensure_ascii=False),
        status=status,
        attempts=0,
        next_attempt_at=due or now,
        created_at=now,
        story_id=story_id,
    )
    return conn.execute(insert.returning(_o.c.id)).first() is not None


def kind_of(message: Message) -> str:
    if isinstance(message, Digest):
        return DIGEST
    return NOTICE if isinstance(message, Notice) else ALERT


def load_message(kind: str, payload: str) -> Message:
    data = json.loads(payload)
    if kind == DIGEST:
        return Digest.from_json(data)
    if kind == NOTICE:
        return Notice.from_json(data)
    return Alert.from_json(data)


def refresh_story_rows(conn: Connection, story_id: str) -> int:
    """Update still-queued (unclaimed) alerts of a story with its latest reprints."""
    rows = conn.execute(
        select(_o.c.id, _o.c.payload).where(
            _o.c.story_id == story_id,
            _o.c.kind == ALERT,
            _o.c.status.in_([PENDING, HELD]),
            _o.c.lease_token.is_(None),
        )
    ).all()
    for row in rows:
        data = json.loads(row.payload)
        outlets, cluster_size = list_story_outlets(conn, story_id, exclude_url=data["url"])
        data["also_reported_by"] = list(outlets)
        data["cluster_size"] = cluster_size
        conn.execute(
            update(_o)
            .where(_o.c.id == row.id, _o.c.lease_token.is_(None))
            .values(payload=json.dumps(data, ensure_ascii=False))
        )
    return len(rows)


def claim_due(
    store: Store,
    *,
    now: datetime,
    lease_seconds: float,
    limit: int,
    skip_channels: Collection[str] = (),
    channel: str | None = None,
) -> list[OutboxItem]:
    """Lease up to ``limit`` due rows, oldest first, skipping channels that are paused.

    With ``channel`` only that channel's rows are claimed (per-channel workers).
    """
    token = secrets.token_hex(8)
    lease_until = now + timedelta(seconds=lease_seconds)
    free = or_(_o.c.lease_until.is_(None), _o.c.lease_until < now)
    due = and_(_o.c.status == PENDING, _o.c.next_attempt_at <= now, free)
    if skip_channels:
        due = and_(due, _o.c.channel.not_in(list(skip_channels)))
    if channel is not None:
        due = and_(due, _o.c.channel == channel)
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
                message = load_message(row["kind"], row["payload"])
                claimed.append(
                    OutboxItem(
                        row["id"],
                        message,
                        row["channel"],
                        row["attempts"],
                        token,
                        row["created_at"],
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


def mark_dead(store: Store, item: OutboxItem, error: str, announce_on: Sequence[str] = ()) -> bool:
    """Make the row a dead letter and, in the same transaction, queue its announcement.

    The announcement is one notice row per channel in ``announce_on``; while an earlier
    announcement about the same dead channel is still queued there, it is extended instead,
    so a removed webhook makes one notice, not one per alert. Notices are never announced.
    """
    now = datetime.now(UTC)
    with store.transaction() as conn:
        changed = conn.execute(
            update(_o)
            .where(_o.c.id == item.id, _o.c.lease_token == item.lease_token)
            .values(
                lease_until=None,
                lease_token=None,
                status=DEAD,
                attempts=item.attempts + 1,
                last_error=error,
            )
        ).rowcount
        if changed and item.kind != NOTICE:
            for target in announce_on:
                if target != item.channel:
                    announce_dead(conn, item, error, target, now)
    return bool(changed)


def announce_dead(
    conn: Connection, item: OutboxItem, error: str, target: str, now: datetime
) -> None:
    """Queue (or extend) the notice on ``target`` that ``item`` died on its channel."""
    line = f"- {describe_message(item.message)}: {error}"
    prefix = f"dead:{item.channel}:"
    queued = conn.execute(
        select(_o.c.id, _o.c.payload).where(
            _o.c.channel == target,
            _o.c.kind == NOTICE,
            _o.c.status == PENDING,
            _o.c.lease_token.is_(None),
            _o.c.alert_id.like(prefix + "%"),
        )
    ).first()
    if queued is not None:
        data = json.loads(queued.payload)
        if len(data["text"]) < NOTICE_MAX_CHARS:
            data["text"] = data["text"].replace(NOTICE_FOOTER, f"{line}\n{NOTICE_FOOTER}")
        conn.execute(update(_o).where(_o.c.id == queued.id).values(payload=json.dumps(data)))
        return
    notice = Notice(
        id=f"{prefix}{item.id}",
        subject=f"nieuwswacht: bericht niet bezorgd via {item.channel}",
        text=(
            f"Kanaal {item.channel} weigerde blijvend; bewaard als dead letter:\n{line}\n"
            f"{NOTICE_FOOTER}"
        ),
    )
    enqueue_row(conn, key=notice.id, channel=target, message=notice, now=now)


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
