"""What each CLI subcommand does, apart from argument parsing (cli.py) and matching (matchcmd).

Each ``cmd_*`` takes the parsed arguments and returns an exit code; expected failures are
raised as ConfigError/StoreError and turned into messages by the CLI.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime

from alerts import status
from alerts.alert import Alert, Category
from alerts.daemon import run_daemon
from alerts.errors import ConfigError, DeliveryError
from alerts.hits import Hit
from alerts.logs import configure_logging
from alerts.matchjob import match_pending
from alerts.outbox import list_dead, retry_dead
from alerts.runtime import Setup, load_setup, open_runtime
from crawler.refresh import refresh_source
from crawler.store import open_store


def _setup(args: argparse.Namespace) -> Setup:
    setup = load_setup(args.config)
    log_settings = setup.config.settings.log
    configure_logging(args.log_level or log_settings.level, args.log_format or log_settings.format)
    return setup


def cmd_run(args: argparse.Namespace) -> int:
    return asyncio.run(run_daemon(_setup(args)))


def cmd_check_config(args: argparse.Namespace) -> int:
    setup = _setup(args)
    from alerts.reload import config_files, config_version

    enabled = sum(1 for s in setup.sources if s.enabled)
    print(
        f"{args.config}: ok: {enabled} sources, {len(setup.watchlists)} watchlists, "
        f"channels: {', '.join(setup.config.settings.channels) or 'none'}; "
        f"version {config_version(config_files(setup))}"
    )
    return 0


def cmd_poll(args: argparse.Namespace) -> int:
    setup = _setup(args)
    return asyncio.run(_poll_once(setup, set(args.source or ())))


async def _poll_once(setup: Setup, only: set[str]) -> int:
    known = {s.id for s in setup.sources}
    if only - known:
        raise ConfigError(f"unknown source id(s): {', '.join(sorted(only - known))}")
    rt = await open_runtime(setup)
    try:
        chosen = [s for s in setup.sources if (s.id in only if only else s.enabled)]

        async def poll(source: object) -> object:
            async with rt.poll_limit:
                return await refresh_source(
                    source,  # type: ignore[arg-type]
                    rt.fetcher,
                    rt.store,
                    article_limit=rt.article_limit,
                )

        results = await asyncio.gather(*(poll(s) for s in chosen))
        matched = await match_pending(rt.store, rt.worker, list(rt.channels))
        report = await rt.deliverer.deliver_due()
    finally:
        await rt.aclose()
    failed = status.print_poll_report(results, matched, report)  # type: ignore[arg-type]
    return 1 if failed == len(chosen) and chosen else 0


def cmd_test_alert(args: argparse.Namespace) -> int:
    setup = _setup(args)
    if args.channel not in setup.config.settings.channels:
        raise ConfigError(
            f"{args.config}: no channel named {args.channel!r}; configured: "
            f"{', '.join(setup.config.settings.channels)}"
        )
    return asyncio.run(_send_test_alert(setup, args.channel))


async def _send_test_alert(setup: Setup, name: str) -> int:
    from alerts.channels import build_channels

    channels = build_channels({name: setup.config.settings.channels[name]})
    try:
        await channels[name].send(sample_alert())
    except DeliveryError as exc:
        print(f"test alert on {name} failed: {exc}", file=sys.stderr)
        return 1
    finally:
        await channels[name].aclose()
    print(f"test alert sent on {name}")
    return 0


def sample_alert() -> Alert:
    """A recognisable alert for ``test-alert``: Dutch text with diacritics, two categories."""
    title = "Test van nieuwswacht: nieuwe sancties als Rusland Oekraïne binnenvalt"
    text = "Biden zou Poetin te verstaan hebben gegeven dat nieuwe sancties er komen."
    start = text.index("sancties")
    return Alert(
        id=f"test-{datetime.now(UTC):%Y%m%d%H%M%S}",
        watchlist_id="test",
        watchlist_name="Testalert",
        url="https://example.invalid/nieuwswacht-test",
        title=title,
        outlet="nieuwswacht",
        published=datetime.now(UTC),
        categories=(Category("sanctions", "Sancties"), Category("invasion", "Invasie")),
        hits=(
            Hit("sanctions", "sancties", start, start + len("sancties"), "text"),
            Hit(
                "invasion",
                "binnenvalt",
                title.index("binnenvalt"),
                title.index("binnenvalt") + 10,
                "title",
            ),
        ),
        text=text,
    )


def cmd_status(args: argparse.Namespace) -> int:
    setup = _setup(args)
    store = open_store(setup.config.store_url)
    try:
        status.print_status(setup, store)
    finally:
        store.close()
    return 0


def cmd_outbox(args: argparse.Namespace) -> int:
    setup = _setup(args)
    store = open_store(setup.config.store_url)
    try:
        if args.action == "retry":
            count = retry_dead(store, args.ids)
            print(f"{count} dead letter(s) queued again")
        else:
            status.print_dead_letters(list_dead(store, limit=200))
    finally:
        store.close()
    return 0
