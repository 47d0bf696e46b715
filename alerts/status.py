"""Plain-text reports for people at a terminal: ``poll --once`` and ``status``.

Only printing lives here; the numbers come from the store and the outbox.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select

from alerts.deliver import DeliveryReport
from alerts.matchjob import MatchedEntry
from alerts.outbox import count_by_status
from alerts.runtime import Setup
from crawler import schema
from crawler.refresh import RefreshResult
from crawler.store import Store


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
    states = {s.source_id: s for s in store.load_source_states()}
    print(f"{'SOURCE':<28} {'HEALTH':<9} {'LAST SUCCESS':<20} {'LAST NEW':<20} ERRORS  LAST ERROR")
    for source in setup.sources:
        state = states.get(source.id)
        if state is None:
            print(f"{source.id:<28} {'new':<9} {'-':<20} {'-':<20} 0")
            continue
        health = "failing" if state.consecutive_errors else "ok"
        if not source.enabled:
            health = "disabled"
        print(
            f"{source.id:<28} {health:<9} {_when(state.last_success_at):<20} "
            f"{_when(state.last_new_at):<20} {state.consecutive_errors:<7} "
            f"{(state.last_error or '')[:80]}"
        )
    counts = count_by_status(store)
    print(
        f"\noutbox: pending={counts.get('pending', 0)} sent={counts.get('sent', 0)} "
        f"dead={counts.get('dead', 0)}"
    )
    print("\nlast alerts:")
    for line in _recent_alerts(store):
        print(f"  {line}")


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
