"""``nieuwswacht crawl [SITE_ID ...] --once``: crawl in the foreground, match, deliver, report.

Each site is crawled by :func:`crawler.crawl.run_crawl` (a subprocess per crawl, killed after
the timeout), one site after another so a terminal shows them in order. Then the stored but
unmatched articles go through the matcher and one delivery sweep runs, exactly as after
``poll --once``. The sites files are the ones the main config lists under ``sites:``.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from pathlib import Path

from alerts.deliver import DeliveryReport
from alerts.errors import ConfigError
from alerts.logs import configure_logging
from alerts.matchjob import MatchedEntry, match_pending
from alerts.runtime import Setup, load_setup, open_runtime
from crawler.crawl import DEFAULT_TIMEOUT, CrawlReport, run_crawl
from crawler.sites import Site, load_sites


def choose_sites(sites: Sequence[Site], wanted: Sequence[str]) -> list[Site]:
    """The sites named (any, even disabled ones), or every enabled site when none is named."""
    known = {s.id: s for s in sites}
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise ConfigError(
            f"unknown site id(s): {', '.join(unknown)}; known: {', '.join(known) or 'none'}"
        )
    return [known[w] for w in dict.fromkeys(wanted)] if wanted else [s for s in sites if s.enabled]


def cmd_crawl(
    args: argparse.Namespace,
    *,
    sites_paths: Sequence[Path] | None = None,
    timeout: float | None = None,
    scrapy_settings: dict[str, object] | None = None,
) -> int:
    """Crawl the chosen sites once; exit 1 when every crawl failed, else 0."""
    setup = load_setup(args.config)
    log_settings = setup.config.settings.log
    configure_logging(
        getattr(args, "log_level", None) or log_settings.level,
        getattr(args, "log_format", None) or log_settings.format,
    )
    sites = list(setup.sites) if sites_paths is None else load_sites(sites_paths)
    chosen = choose_sites(sites, list(getattr(args, "sites", None) or ()))
    reports, matched, delivery = asyncio.run(
        crawl_once(
            setup,
            chosen,
            timeout=timeout or setup.config.settings.crawling.timeout,
            scrapy_settings=scrapy_settings,
        )
    )
    print_crawl_report(reports, matched, delivery)
    failed = sum(1 for r in reports if not r.ok)
    return 1 if reports and failed == len(reports) else 0


async def crawl_once(
    setup: Setup,
    sites: Sequence[Site],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    scrapy_settings: dict[str, object] | None = None,
) -> tuple[list[CrawlReport], list[MatchedEntry], DeliveryReport]:
    """Crawl each site, then match what is new and run one delivery sweep."""
    rt = await open_runtime(setup)
    try:
        reports = [
            await run_crawl(
                site,
                setup.config.store_url,
                timeout=timeout,
                settings=scrapy_settings,
                store=rt.store,
            )
            for site in sites
        ]
        matched = await match_pending(rt.store, rt.worker, list(rt.channels))
        delivery = await rt.deliverer.deliver_due()
    finally:
        await rt.aclose()
    return reports, matched, delivery


def print_crawl_report(
    reports: Sequence[CrawlReport], matched: Sequence[MatchedEntry], delivery: DeliveryReport
) -> None:
    """One line per site, the new articles, the matches and a total line."""
    for report in reports:
        line = (
            f"{report.site_id:<28} pages={report.pages_fetched} new={report.articles_new} "
            f"errors={report.error_count}"
        )
        if report.skipped:
            line += "  skipped: " + ", ".join(f"{k}={v}" for k, v in sorted(report.skipped.items()))
        if report.error:
            line += f"  error: {report.error}"
        print(line)
        for url in report.new_urls:
            print(f"    + {url}")
    alerts = [a for m in matched for a in m.alerts]
    for alert in alerts:
        cats = ", ".join(c.label for c in alert.categories)
        print(f"MATCH {alert.watchlist_id} [{cats}] {alert.title}  <{alert.url}>")
    failed = sum(1 for r in reports if not r.ok)
    print(
        f"{len(reports)} sites crawled ({failed} failed), "
        f"{sum(r.pages_fetched for r in reports)} pages fetched, "
        f"{sum(r.articles_new for r in reports)} new articles, "
        f"{sum(r.error_count for r in reports)} errors, {len(alerts)} matches; "
        f"delivered {delivery.sent}, retrying {delivery.retried}, dead {delivery.dead}"
    )
