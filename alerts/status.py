"""Plain-text reports for people at a terminal: ``poll --once`` and ``status``.

Only printing lives here; the numbers come from the store and the outbox.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from alerts.deliver import DeliveryReport
from alerts.matchjob import MatchedEntry
from alerts.outbox import count_by_status
from alerts.runtime import Setup
from crawler import schema
from crawler.refresh import RefreshResult
from crawler.sources import Source
from crawler.store import HealthRecord, SourceState, Store


def print_poll_report(
    results: Sequence[RefreshResult], matched: Sequence[MatchedEntry], report: DeliveryReport
) -> int:
    """Print one line per source, the new articles and the matches; return sources failed."""
    failed = 0
    for result in results:
        line = f"{result.source_id:<28} {result.outcome:<13} new={len(result.new)}"
        if result.error:
            failed += 1
            line += f"  error: {result.error}"
        print(line)
        for entry in result.new:
            print(f"    + {entry.title}  <{entry.url}>")
    alerts = [a for m in matched for a in m.alerts]
    for alert in alerts:
        cats = ", ".join(c.label for c in alert.categories)
        print(f"MATCH {alert.watchlist_id} [{cats}] {alert.title}  <{alert.url}>")
    new = sum(len(r.new) for r in results)
    print(
        f"{len(results)} sources polled ({failed} failed), {new} new articles, "
        f"{len(alerts)} alerts; delivered {report.sent}, retrying {report.retried}, "
        f"dead {report.dead}"
    )
    return failed


def print_status(setup: Setup, store: Store) -> None:
    """Sources (health, last article, next check), outbox, last alerts, config version."""
    _print_version(setup, store)
    states = {s.source_id: s for s in store.load_source_states()}
    records = store.load_health_records()
    print(
        f"\n{'SOURCE':<28} {'HEALTH':<9} {'LAST ARTICLE':<20} {'NEXT CHECK':<20} "
        f"{'EVERY':>7} ERRORS  LAST ERROR"
    )
    for source in setup.sources:
        state, record = states.get(source.id), records.get(source.id)
        every = record.poll_interval if record and record.poll_interval else source.interval
        print(
            f"{source.id:<28} {_health(source, state, record):<9} "
            f"{_when(state.last_new_at if state else None):<20} "
            f"{_when(_next_check(state, every)):<20} {_duration(every):>7} "
            f"{state.consecutive_errors if state else 0:<7} "
            f"{((state.last_error if state else None) or '')[:80]}"
        )
    counts = count_by_status(store)
    print(
        f"\noutbox: pending={counts.get('pending', 0)} sent={counts.get('sent', 0)} "
        f"dead={counts.get('dead', 0)}"
    )
    print("\nlast alerts:")
    for line in _recent_alerts(store):
        print(f"  {line}")


def _print_version(setup: Setup, store: Store) -> None:
    from alerts.reload import config_files, config_version

    on_disk = config_version(config_files(setup))
    running = store.load_info().get("config_version")
    if running is None:
        print(f"configuration: {on_disk} on disk; no daemon has run on this store yet")
        return
    version, since = running
    note = "same as on disk" if version == on_disk else f"on disk: {on_disk} (not loaded)"
    print(f"configuration: {version} (running since {_when(since)}; {note})")


def _health(source: Source, state: SourceState | None, record: HealthRecord | None) -> str:
    if not source.enabled:
        return "disabled"
    if record is not None and record.status != "ok":
        return record.status
    if state is None:
        return "new"
    return "failing" if state.consecutive_errors else "ok"


def _next_check(state: SourceState | None, every: float) -> datetime | None:
    if state is None:
        return None
    if state.next_check_at is not None:
        return state.next_check_at
    return state.last_attempt_at + timedelta(seconds=every) if state.last_attempt_at else None


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def print_dead_letters(rows: Sequence[dict[str, object]]) -> None:
    if not rows:
        print("no dead letters")
        return
    for row in rows:
        print(
            f"#{row['id']} channel={row['channel']} alert={row['alert_id']} "
            f"attempts={row['attempts']} error={row['last_error']}"
        )


def _recent_alerts(store: Store, limit: int = 10) -> list[str]:
    m, e = schema.matches, schema.entries
    query = (
        select(m.c.created_at, m.c.watchlist_id, m.c.categories, e.c.title, e.c.url)
        .join(e, e.c.id == m.c.entry_id)
        .order_by(m.c.id.desc())
        .limit(limit)
    )
    with store.transaction() as conn:
        rows = conn.execute(query).all()
    return [
        f"{_when(r.created_at)} {r.watchlist_id} {json.loads(r.categories)} {r.title} <{r.url}>"
        for r in rows
    ] or ["(none yet)"]


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
