"""Source health: one "bron faalt" notice when a source breaks, one "hersteld" when it heals.

A source is *failing* when its polls have failed for longer than its ``fail_after`` and
*silent* when it has published nothing new for longer than its ``silent_after`` (its expected
rhythm). The verdict is taken after every poll, but a notice is only sent on a change of
announced status, and that status is stored (``source_health``), so neither a poll loop nor a
restart repeats it. Failing sources keep being polled with backoff: nothing is given up.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from alerts.announce import announce
from alerts.channels.base import Channel
from alerts.config import HealthSettings
from crawler.sources import Source
from crawler.store import HealthRecord, SourceState, Store

log = logging.getLogger(__name__)

Verdict = Literal["ok", "pending", "failing", "silent"]
OK: Verdict = "ok"
FAILING: Verdict = "failing"
SILENT: Verdict = "silent"
PENDING: Verdict = "pending"


@dataclass(frozen=True)
class Notice:
    subject: str
    text: str


@dataclass(frozen=True)
class Thresholds:
    fail_after: float
    silent_after: float


def thresholds_for(source: Source, settings: HealthSettings) -> Thresholds:
    return Thresholds(
        fail_after=source.fail_after if source.fail_after is not None else settings.fail_after,
        silent_after=(
            source.silent_after if source.silent_after is not None else settings.silent_after
        ),
    )


def judge_source(
    state: SourceState, record: HealthRecord, limits: Thresholds, now: datetime
) -> tuple[Verdict, HealthRecord]:
    """The verdict now, and the record with ``failing_since`` kept up to date."""
    if state.consecutive_errors > 0:
        since = record.failing_since or now
        record = dataclasses.replace(record, failing_since=since)
        late = now - since >= timedelta(seconds=limits.fail_after)
        return (FAILING if late else PENDING), record
    record = dataclasses.replace(record, failing_since=None)
    last_new = state.last_new_at or record.first_seen_at
    if now - last_new >= timedelta(seconds=limits.silent_after):
        return SILENT, record
    return OK, record


def transition(
    source: Source, state: SourceState, record: HealthRecord, verdict: Verdict, now: datetime
) -> tuple[HealthRecord, Notice | None]:
    """Change the announced status when the verdict says so; the notice to send, if any."""
    if record.status == OK and verdict in (FAILING, SILENT):
        return dataclasses.replace(record, status=verdict, alerted_at=now), _broken_notice(
            source, state, record, verdict
        )
    if record.status != OK and verdict == OK:
        notice = Notice(
            f"hersteld: {source.name}",
            f"Bron {source.name} ({source.url}) werkt weer: laatste geslaagde poll "
            f"{_when(state.last_success_at)}.",
        )
        return dataclasses.replace(record, status=OK, alerted_at=now), notice
    return record, None


def _broken_notice(
    source: Source, state: SourceState, record: HealthRecord, verdict: Verdict
) -> Notice:
    if verdict == FAILING:
        text = (
            f"Bron {source.name} ({source.url}) faalt sinds {_when(record.failing_since)} "
            f"({state.consecutive_errors} mislukte pogingen). Laatste fout: {state.last_error}. "
            "nieuwswacht blijft het proberen, met steeds langere tussenpozen."
        )
    else:
        text = (
            f"Bron {source.name} ({source.url}) heeft sinds "
            f"{_when(state.last_new_at or record.first_seen_at)} geen nieuw artikel "
            "gepubliceerd, langer dan het verwachte ritme. Controleer of de feed nog klopt."
        )
    return Notice(f"bron faalt: {source.name}", text)


class HealthMonitor:
    """Takes the verdict after each poll and announces changes on the channels."""

    def __init__(
        self, store: Store, channels: Mapping[str, Channel], settings: HealthSettings
    ) -> None:
        self.store = store
        self.channels = channels
        self.settings = settings

    async def check(self, source: Source, now: datetime | None = None) -> HealthRecord:
        now = now or datetime.now(UTC)
        state = await self.store.run(self.store.load_source_state, source.id, source.url)
        before = await self.store.run(self.store.load_health, source.id, now)
        verdict, record = judge_source(state, before, thresholds_for(source, self.settings), now)
        record, notice = transition(source, state, record, verdict, now)
        if record != before:
            await self.store.run(self.store.save_health, record)
        if notice is not None:
            log.warning(
                "source health changed",
                extra={"source": source.id, "status": record.status, "error": state.last_error},
            )
            await announce(self.channels, notice.subject, notice.text)
        return record


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "onbekend"
