"""Loading and wiring: config files → validated settings → the live parts of one process.

:func:`load_setup` is the whole validation (``check-config`` runs exactly this), so nothing
starts on a configuration that has not been checked end to end, including the references
between files (a watchlist naming a channel that is not configured).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from alerts.channels import build_channels
from alerts.channels.base import Channel
from alerts.config import AppConfig, load_config
from alerts.deliver import Deliverer
from alerts.errors import ConfigError
from alerts.matchjob import MatchWorker
from alerts.watchlists import Watchlist, load_watchlists
from crawler.fetcher import Fetcher, FetchLimits
from crawler.sites import Site, load_sites
from crawler.sources import Source, load_sources
from crawler.store import Store, open_store


@dataclass(frozen=True)
class Setup:
    """Everything the files say, validated and cross-checked; nothing opened yet."""

    config: AppConfig
    sources: tuple[Source, ...]
    watchlists: tuple[Watchlist, ...]
    sites: tuple[Site, ...] = ()


@dataclass
class Runtime:
    """The open parts of a running process; close with :meth:`aclose`."""

    setup: Setup
    store: Store
    fetcher: Fetcher
    worker: MatchWorker
    channels: dict[str, Channel]
    deliverer: Deliverer
    poll_limit: asyncio.Semaphore
    article_limit: asyncio.Semaphore

    async def aclose(self) -> None:
        await self.fetcher.aclose()
        for channel in self.channels.values():
            await channel.aclose()
        self.worker.close()
        self.store.close()


def load_setup(config_path: Path) -> Setup:
    """Validate the config, the seed files and the watchlists; raise one ConfigError."""
    config = load_config(config_path)
    sources = load_sources(config.source_paths)
    watchlists = load_watchlists(config.watchlists_path)
    check_channel_references(config, watchlists)
    sites = load_sites(config.site_paths) if config.site_paths else []
    return Setup(config, tuple(sources), tuple(watchlists), tuple(sites))


def check_channel_references(config: AppConfig, watchlists: list[Watchlist]) -> None:
    configured = set(config.settings.channels)
    for watchlist in watchlists:
        unknown = [c for c in watchlist.channels or () if c not in configured]
        if unknown:
            raise ConfigError(
                f"{config.watchlists_path}: watchlist {watchlist.id!r} names channel(s) "
                f"{', '.join(unknown)} that {config.path} does not configure; "
                f"configured channels: {', '.join(sorted(configured)) or 'none'}"
            )


def fetch_limits(config: AppConfig) -> FetchLimits:
    polling = config.settings.polling
    return FetchLimits(
        connect_timeout=polling.connect_timeout,
        read_timeout=polling.read_timeout,
        deadline=polling.deadline,
        max_body_bytes=polling.max_body_bytes,
        max_redirects=polling.max_redirects,
        user_agent=polling.user_agent,
    )


async def open_runtime(setup: Setup) -> Runtime:
    """Open the store (migrating it), load spaCy, connect the channels."""
    config = setup.config
    store = await asyncio.to_thread(open_store, config.store_url)
    worker = await MatchWorker.start(setup.watchlists)
    worker.set_policy(config.settings.stories, config.settings.routing)
    channels = build_channels(config.settings.channels)
    kinds = {name: settings.type for name, settings in config.settings.channels.items()}
    return Runtime(
        setup=setup,
        store=store,
        fetcher=Fetcher(fetch_limits(config)),
        worker=worker,
        channels=channels,
        deliverer=Deliverer(store, channels, config.settings.delivery, kinds),
        poll_limit=asyncio.Semaphore(config.settings.polling.concurrency),
        article_limit=asyncio.Semaphore(config.settings.polling.article_concurrency),
    )
