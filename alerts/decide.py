"""Hits + watchlist → an Alert or nothing; pure, so every rule of the decision is testable.

The matcher says which categories fired; this module turns that verdict on a stored article
into the snapshot that is queued for delivery, and decides which channels receive it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from alerts.alert import Alert, Category
from alerts.hits import WatchlistResult
from alerts.watchlists import Watchlist
from crawler.entry import Entry


def make_alert_id(watchlist_id: str, url: str) -> str:
    """A stable id per (watchlist, article): the outbox key and the email Message-ID."""
    return hashlib.sha256(f"{watchlist_id}\n{url}".encode()).hexdigest()[:24]


def decide_alert(entry: Entry, result: WatchlistResult, watchlist: Watchlist) -> Alert | None:
    """The alert this result asks for, or None when no category fired."""
    if not result.alert or not result.categories:
        return None
    labels = category_labels(watchlist)
    fired = set(result.categories)
    return Alert(
        id=make_alert_id(watchlist.id, entry.url),
        watchlist_id=watchlist.id,
        watchlist_name=watchlist.name,
        url=entry.url,
        title=entry.title,
        outlet=entry.outlet,
        published=entry.published,
        categories=tuple(Category(c, labels.get(c, c)) for c in result.categories),
        hits=tuple(h for h in result.hits if h.category in fired),
        text=entry.body,
        score=result.score,
    )


def route_channels(watchlist: Watchlist, configured: Sequence[str]) -> list[str]:
    """The channels of this watchlist: its own list, or every configured channel."""
    if watchlist.channels is None:
        return list(configured)
    return [c for c in watchlist.channels if c in configured]


def category_labels(watchlist: Watchlist) -> Mapping[str, str]:
    return {c.id: c.label for c in watchlist.categories}
