"""The delivery stage: claim due messages → send on their channel → record the outcome.

Each channel has its own worker (:meth:`Deliverer.deliver_channel`, guarded by a per-channel
lock), so a slow, paced or failing channel never delays another. A channel that answers with a
temporary error (5xx, 429, timeout, SMTP 4xx) is paused until its backoff ends (exponential
with jitter; a longer Retry-After wins) and its message is retried later; a permanent error
(Slack 400/403/404/410, SMTP 5xx or auth) turns the message into a dead letter that stays
visible and retryable, and whose announcement is queued for the other channels in the same
transaction. Slack asks for at most about one message per second per webhook: a per-channel
pace keeps it (``delivery.pace`` overrides it per channel name).

The duplicate window: between ``channel.send`` returning (the peer accepted) and the
``mark_sent`` commit. A crash inside that window re-sends one message per channel once the
lease expires. :attr:`Deliverer.window` keeps the last measured widths (seconds).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from alerts.alert import Alert
from alerts.channels.base import Channel
from alerts.config import DeliverySettings
from alerts.errors import DeliveryError, PermanentDeliveryError
from alerts.messages import Digest, Notice
from alerts.outbox import (
    OutboxItem,
    claim_due,
    mark_dead,
    mark_sent,
    release_claim,
    schedule_retry,
)
from crawler.store import Store

log = logging.getLogger(__name__)

CHANNEL_PACE = {"slack": 1.0}
WINDOW_SAMPLES = 1000


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0


class Deliverer:
    """Delivers the outbox, one worker per channel; keeps pauses and pacing between sweeps."""

    def __init__(
        self,
        store: Store,
        channels: Mapping[str, Channel],
        settings: DeliverySettings,
        kinds: Mapping[str, str] | None = None,
    ) -> None:
        self.store = store
        self.channels = dict(channels)
        self.settings = settings
        self.kinds = dict(kinds or {})
        self.window: deque[float] = deque(maxlen=WINDOW_SAMPLES)
        self._paused_until: dict[str, float] = {}
        self._last_send: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def deliver_due(self) -> DeliveryReport:
        """Every channel's due messages, oldest first, channels side by side."""
        report = DeliveryReport()
        await asyncio.gather(
            self._bury_orphans(report),
            *(self.deliver_channel(name, report) for name in self.channels),
        )
        return report

    async def deliver_channel(self, name: str, report: DeliveryReport | None = None) -> None:
        """Send this channel's due messages until none is left or the channel is paused.

        Returns at once when another worker is already serving the channel.
        """
        report = report if report is not None else DeliveryReport()
        lock = self._locks.setdefault(name, asyncio.Lock())
        if lock.locked():
            return
        async with lock:
            while not self.is_paused(name):
                items = await self.store.run(
                    claim_due,
                    self.store,
                    now=datetime.now(UTC),
                    lease_seconds=self.settings.lease,
                    limit=self.claim_size(name),
                    channel=name,
                )
                if not items:
                    return
                await self._serve(name, items, report)

    def is_paused(self, name: str) -> bool:
        return self._paused_until.get(name, 0.0) > time.monotonic()

    def pace_of(self, name: str) -> float:
        if name in self.settings.pace:
            return self.settings.pace[name]
        return CHANNEL_PACE.get(self.kinds.get(name, name), 0.0)

    def claim_size(self, name: str) -> int:
        """Small enough that a paced channel sends its batch well within the lease."""
        pace = self.pace_of(name)
        if pace <= 0:
            return self.settings.batch
        return max(1, min(self.settings.batch, int(self.settings.lease / (2 * pace))))

    async def _serve(self, name: str, queue: list[OutboxItem], report: DeliveryReport) -> None:
        channel = self.channels[name]
        for index, item in enumerate(queue):
            try:
                await self._pace(name)
                await self._send_one(channel, item, report)
            except asyncio.CancelledError:
                await asyncio.shield(self._release(queue[index:]))
                raise
            if self.is_paused(name):
                await self._release(queue[index + 1 :])
                return

    async def _send_one(self, channel: Channel, item: OutboxItem, report: DeliveryReport) -> None:
        try:
            await send_message(channel, item)
        except PermanentDeliveryError as exc:
            await self._bury(item, str(exc), report)
        except DeliveryError as exc:
            await self._retry(item, exc, report)
        except Exception as exc:  # a bug in a channel must not kill delivery
            log.exception("channel raised unexpectedly", extra={"channel": item.channel})
            await self._retry(item, DeliveryError(f"unexpected {exc!r}"), report, pause=False)
        else:
            accepted = time.perf_counter()
            await self.store.run(mark_sent, self.store, item, datetime.now(UTC))
            self.window.append(time.perf_counter() - accepted)
            report.sent += 1
            log.info("alert sent", extra=_fields(item))

    async def _release(self, items: list[OutboxItem]) -> None:
        for rest in items:
            await self.store.run(release_claim, self.store, rest)

    async def _pace(self, name: str) -> None:
        wait = self._last_send.get(name, 0.0) + self.pace_of(name) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last_send[name] = time.monotonic()

    async def _retry(
        self, item: OutboxItem, exc: DeliveryError, report: DeliveryReport, pause: bool = True
    ) -> None:
        delay = backoff_delay(item.attempts + 1, self.settings, exc.retry_after)
        if pause:
            self._paused_until[item.channel] = time.monotonic() + delay
        await self.store.run(schedule_retry, self.store, item, datetime.now(UTC), delay, str(exc))
        report.retried += 1
        log.warning(
            "alert delivery failed; will retry",
            extra=_fields(item, error=str(exc), retry_in=round(delay, 1)),
        )

    async def _bury(self, item: OutboxItem, reason: str, report: DeliveryReport) -> None:
        others = [name for name in self.channels if name != item.channel]
        await self.store.run(mark_dead, self.store, item, reason, others)
        report.dead += 1
        log.error(
            "alert delivery failed permanently; kept as dead letter",
            extra=_fields(item, error=reason, announced_on=",".join(others)),
        )

    async def _bury_orphans(self, report: DeliveryReport) -> None:
        """Rows for a channel that is no longer configured become dead letters."""
        items = await self.store.run(
            claim_due,
            self.store,
            now=datetime.now(UTC),
            lease_seconds=self.settings.lease,
            limit=self.settings.batch,
            skip_channels=list(self.channels),
        )
        for item in items:
            await self._bury(item, f"channel {item.channel!r} is not configured any more", report)


async def send_message(channel: Channel, item: OutboxItem) -> None:
    """Hand one outbox message to its channel in the form that channel renders it."""
    message = item.message
    if isinstance(message, Alert):
        await channel.send(message)
    elif isinstance(message, Digest):
        await channel.send_digest(message)
    elif isinstance(message, Notice):
        await channel.send_notice(message.subject, message.text)


def backoff_delay(attempt: int, settings: DeliverySettings, retry_after: float | None) -> float:
    """Exponential backoff with full jitter, capped; a peer's Retry-After wins when longer."""
    ceiling = min(settings.backoff_max, settings.backoff_base * 2 ** min(attempt - 1, 20))
    delay = random.uniform(ceiling / 2, ceiling)
    if retry_after is not None:
        delay = max(delay, min(retry_after, settings.backoff_max))
    return delay


def _fields(item: OutboxItem, **more: object) -> dict[str, object]:
    message = item.message
    fields: dict[str, object] = {
        "channel": item.channel,
        "kind": item.kind,
        "alert": message.id,
        "attempt": item.attempts + 1,
    }
    if isinstance(message, Alert):
        fields.update(watchlist=message.watchlist_id, url=message.url)
    return {**fields, **more}
