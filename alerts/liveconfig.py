"""Applying a validated configuration to a running process: what can change live, what not.

Watchlists and sources change live. The store, the channels, the HTTP endpoint and the
delivery settings are wired once at start: a change to them is logged as needing a restart
rather than half-applied.
"""

from __future__ import annotations

import asyncio
import logging

from alerts.matcher import Matcher
from alerts.matchjob import MatchWorker
from alerts.runtime import Setup
from alerts.watchlists import Watchlist

log = logging.getLogger(__name__)


async def swap_watchlists(worker: MatchWorker, watchlists: tuple[Watchlist, ...]) -> None:
    """Compile the new watchlists off the loop, then swap them in between two batches."""
    matcher = await asyncio.to_thread(Matcher, watchlists)
    async with worker.lock:
        worker.matcher = matcher
        worker.watchlists = list(watchlists)


def warn_restart_needed(old: Setup, new: Setup) -> None:
    """Log the settings a reload cannot apply."""
    before, after = old.config.settings, new.config.settings
    for name in ("store", "channels", "http", "delivery", "log"):
        if getattr(before, name) != getattr(after, name):
            log.warning("setting changed; restart nieuwswacht to apply it", extra={"setting": name})
    if old.config.store_url != new.config.store_url and before.store == after.store:
        log.warning("setting changed; restart nieuwswacht to apply it", extra={"setting": "store"})
