"""The delivery stage: claim due alerts → send on their channel → record the outcome.

Channels are served side by side, so one bad channel never blocks another. A channel that
answers with a temporary error (5xx, 429, timeout, SMTP 4xx) is paused until its backoff ends
and its alert is retried later; a permanent error (Slack 404/410, SMTP auth) turns the alert
into a dead letter that stays visible and retryable, and is announced on the other channels.
Slack asks for at most about one message per second per webhook: a per-channel pace keeps it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from alerts.channels.base import Channel
from alerts.config import DeliverySettings
from alerts.errors import DeliveryError, PermanentDeliveryError
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


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0


class Deliverer:
    """Runs delivery sweeps; keeps per-channel pauses and pacing between sweeps."""

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
        self._paused_until: dict[str, float] = {}
        self._last_send: dict[str, float] = {}
        self._lock = asyncio.Lock()

    async def deliver_due(self) -> DeliveryReport:
        """One sweep: everything due now, oldest first per channel."""
        report = DeliveryReport()
        async with self._lock:
            now = time.monotonic()
            paused = [c for c, until in self._paused_until.items() if until > now]
            items = await self.store.run(
                claim_due,
                self.store,
                now=datetime.now(UTC),
                lease_seconds=self.settings.lease,
                limit=self.settings.batch,
                skip_channels=paused,
            )
            per_channel: dict[str, list[OutboxItem]] = defaultdict(list)
            for item in items:
                per_channel[item.channel].append(item)
            await asyncio.gather(
                *(self._serve(name, queue, report) for name, queue in per_channel.items())
            )
        return report

    async def _serve(self, name: str, queue: list[OutboxItem], report: DeliveryReport) -> None:
        channel = self.channels.get(name)
        for index, item in enumerate(queue):
            if channel is None:
                await self._bury(item, f"channel {name!r} is not configured any more", report)
                continue
            await self._pace(name)
            try:
                await channel.send(item.alert)
            except PermanentDeliveryError as exc:
                await self._bury(item, str(exc), report)
            except DeliveryError as exc:
                await self._retry(item, exc, report)
                for rest in queue[index + 1 :]:
                    await self.store.run(release_claim, self.store, rest)
                return
            except Exception as exc:  # a bug in a channel must not kill delivery
                log.exception("channel raised unexpectedly", extra={"channel": name})
                await self._retry(item, DeliveryError(f"unexpected {exc!r}"), report)
                continue
            else:
                await self.store.run(mark_sent, self.store, item, datetime.now(UTC))
                report.sent += 1
                log.info(
                    "alert sent",
                    extra=_fields(item, url=item.alert.url),
                )

    async def _pace(self, name: str) -> None:
        pace = CHANNEL_PACE.get(self.kinds.get(name, name), 0.0)
        wait = self._last_send.get(name, 0.0) + pace - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last_send[name] = time.monotonic()

    async def _retry(self, item: OutboxItem, exc: DeliveryError, report: DeliveryReport) -> None:
        delay = backoff_delay(item.attempts + 1, self.settings, exc.retry_after)
        self._paused_until[item.channel] = time.monotonic() + delay
        await self.store.run(schedule_retry, self.store, item, datetime.now(UTC), delay, str(exc))
        report.retried += 1
        log.warning(
            "alert delivery failed; will retry",
            extra=_fields(item, error=str(exc), retry_in=round(delay, 1)),
        )

    async def _bury(self, item: OutboxItem, reason: str, report: DeliveryReport) -> None:
        await self.store.run(mark_dead, self.store, item, reason)
        report.dead += 1
        log.error(
            "alert delivery failed permanently; kept as dead letter",
            extra=_fields(item, error=reason),
        )
        await self._announce(item, reason)

    async def _announce(self, item: OutboxItem, reason: str) -> None:
        """Tell the people on the other channels that an alert did not reach one channel."""
        subject = f"nieuwswacht: alert niet bezorgd via {item.channel}"
        text = (
            f"Het alert '{item.alert.title}' ({item.alert.url}) kon niet via kanaal "
            f"{item.channel} worden bezorgd: {reason}. Herstel de instelling en voer "
            "'nieuwswacht outbox retry' uit."
        )
        for name, channel in self.channels.items():
            if name == item.channel:
                continue
            try:
                await channel.send_notice(subject, text)
            except DeliveryError as exc:
                log.warning("notice not delivered", extra={"channel": name, "error": str(exc)})


def backoff_delay(attempt: int, settings: DeliverySettings, retry_after: float | None) -> float:
    """Exponential backoff with full jitter, capped; a peer's Retry-After wins when longer."""
    ceiling = min(settings.backoff_max, settings.backoff_base * 2 ** min(attempt - 1, 20))
    delay = random.uniform(ceiling / 2, ceiling)
    if retry_after is not None:
        delay = max(delay, min(retry_after, settings.backoff_max))
    return delay


def _fields(item: OutboxItem, **more: object) -> dict[str, object]:
    return {
        "channel": item.channel,
        "watchlist": item.alert.watchlist_id,
        "alert": item.alert.id,
        "attempt": item.attempts + 1,
        **more,
    }
