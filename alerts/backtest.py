"""``nieuwswacht backtest``: try watchlists on stored articles before they go live.

Runs the watchlists of ``--config`` (or only ``--watchlists FILE``, an edited copy) over the
articles in the store and lists which would have alerted. It then compares with what the
running configuration decided for the same articles (the ``matches`` table): alerts that
would be new, alerts that would disappear, and alerts whose categories change. Nothing is
written: no matches, no outbox rows, no messages.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from alerts.errors import ConfigError
from alerts.matcher import Matcher
from alerts.runtime import check_channel_references, load_setup
from alerts.watchlists import Watchlist, load_watchlists
from crawler import schema
from crawler.store import Store, StoredEntry, open_store

Key = tuple[int, str]  # (entry id, watchlist id)


@dataclass(frozen=True)
class Verdicts:
    """Categories per (article, watchlist) that alert, and the articles looked at."""

    alerts: dict[Key, tuple[str, ...]]
    entries: dict[int, StoredEntry]


def parse_since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--since {text!r}: write a date such as 2026-11-01") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def run_watchlists(
    watchlists: Sequence[Watchlist], entries: Sequence[StoredEntry], batch: int = 200
) -> dict[Key, tuple[str, ...]]:
    """What the watchlists say about each article: the categories that would alert."""
    matcher = Matcher(watchlists)
    found: dict[Key, tuple[str, ...]] = {}
    for start in range(0, len(entries), batch):
        chunk = entries[start : start + batch]
        results = matcher.match_many([(e.entry.title, e.entry.body) for e in chunk])
        for stored, per_list in zip(chunk, results, strict=True):
            for watchlist, result in zip(watchlists, per_list, strict=True):
                if result.alert and result.categories:
                    found[(stored.id, watchlist.id)] = tuple(sorted(result.categories))
    return found


def recorded_matches(
    store: Store, entry_ids: Iterable[int]
) -> tuple[dict[Key, tuple[str, ...]], set[int]]:
    """What the running configuration decided for these articles, and which it judged."""
    m, e = schema.matches, schema.entries
    ids = list(entry_ids)
    query = select(m.c.entry_id, m.c.watchlist_id, m.c.categories).where(m.c.entry_id.in_(ids))
    matched_query = select(e.c.id).where(e.c.id.in_(ids), e.c.matched_at.is_not(None))
    with store.transaction() as conn:
        rows = conn.execute(query).all()
        judged = set(conn.scalars(matched_query))
    recorded = {(r.entry_id, r.watchlist_id): tuple(sorted(json.loads(r.categories))) for r in rows}
    return recorded, judged


def cmd_backtest(args: argparse.Namespace) -> int:
    setup = load_setup(args.config)
    watchlists = list(setup.watchlists)
    if args.watchlists is not None:
        watchlists = load_watchlists(args.watchlists)
        check_channel_references(setup.config, watchlists)
    if args.watchlist:
        watchlists = [w for w in watchlists if w.id == args.watchlist]
        if not watchlists:
            raise ConfigError(f"--watchlist {args.watchlist!r}: no watchlist with that id")
    store = open_store(setup.config.store_url)
    try:
        entries = store.recent_entries(since=parse_since(args.since), limit=args.limit)
        verdicts = Verdicts(run_watchlists(watchlists, entries), {e.id: e for e in entries})
        before, judged = recorded_matches(store, verdicts.entries)
    finally:
        store.close()
    if args.watchlist:
        before = {k: v for k, v in before.items() if k[1] == args.watchlist}
    print_report(verdicts, before, judged)
    return 0


def print_report(now: Verdicts, before: dict[Key, tuple[str, ...]], judged: set[int]) -> None:
    """Every would-be alert, then the difference with what the running config decided."""
    print(f"{len(now.entries)} stored articles, {len(now.alerts)} would alert:")
    for key, categories in sorted(now.alerts.items()):
        print(f"  ALERT {_line(now, key, categories)}")
    new = [k for k in now.alerts if k not in before and k[0] in judged]
    gone = [k for k in before if k not in now.alerts]
    changed = [k for k in now.alerts if k in before and before[k] != now.alerts[k]]
    print(
        f"\ncompared with the running configuration: {len(new)} new, {len(gone)} no longer "
        f"alerting, {len(changed)} with other categories"
    )
    for key in sorted(new):
        print(f"  + NEW       {_line(now, key, now.alerts[key])}")
    for key in sorted(gone):
        print(f"  - GONE      {_line(now, key, before[key])}")
    for key in sorted(changed):
        print(f"  ~ CHANGED   {_line(now, key, now.alerts[key])} (was {', '.join(before[key])})")


def _line(verdicts: Verdicts, key: Key, categories: Sequence[str]) -> str:
    stored = verdicts.entries.get(key[0])
    title = stored.entry.title if stored else f"article #{key[0]}"
    url = stored.entry.url if stored else ""
    return f"{key[1]} [{', '.join(categories)}] {title} <{url}>"
