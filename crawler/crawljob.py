"""Inside the crawl subprocess: one site, one Scrapy crawl, one JSON summary line on stdout.

The parent (:mod:`crawler.crawl`) writes a :class:`CrawlJob` as JSON to our stdin. We log as
JSON lines on stderr (the parent re-emits them through its own logging, so the daemon's log
format and level apply), crawl with a ``CrawlerProcess`` on a reactor of our own, write the
articles and the crawl state straight into the store (SQLite WAL / PostgreSQL take the
concurrent writer), and print the summary: pages fetched, articles new, errors and skipped
URLs by reason, the finish reason and an error when the crawl as a whole failed.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from dataclasses import dataclass, field
from typing import Any

from crawler.crawlstate import record_crawl
from crawler.errors import CrawlerError
from crawler.middlewares import STAT_PREFIX
from crawler.pipelines import NEW_URLS_STAT
from crawler.settings import build_settings
from crawler.sites import Site
from crawler.spiders import ERROR_PREFIX, LISTINGS_STAT
from crawler.store import Store, open_store

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
_UNSERIALISABLE = {"crawler", "spider"}


@dataclass(frozen=True)
class CrawlJob:
    """What the parent asks the subprocess to do."""

    site: Site
    store_url: str
    timeout: float
    settings: dict[str, Any] = field(default_factory=dict)
    log_level: str = "INFO"

    def to_json(self) -> str:
        return json.dumps(
            {
                "site": self.site.to_json(),
                "store_url": self.store_url,
                "timeout": self.timeout,
                "settings": self.settings,
                "log_level": self.log_level,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> CrawlJob:
        data = json.loads(text)
        return cls(
            site=Site.from_json(data["site"]),
            store_url=data["store_url"],
            timeout=float(data["timeout"]),
            settings=dict(data.get("settings") or {}),
            log_level=str(data.get("log_level") or "INFO"),
        )


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per record: level, logger, message and the ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        fields = {
            k: v if isinstance(v, str | int | float | bool | None) else str(v)
            for k, v in record.__dict__.items()
            if k not in _STANDARD and k not in _UNSERIALISABLE
        }
        if record.exc_info:
            fields["exception"] = self.formatException(record.exc_info)
        event = {
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "fields": fields,
        }
        return json.dumps(event, ensure_ascii=False, default=str)


def configure_child_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLinesFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.captureWarnings(True)
    quiet = max(logging.WARNING, root.level)
    for noisy in ("scrapy", "twisted", "trafilatura", "htmldate", "alembic", "asyncio", "py"):
        logging.getLogger(noisy).setLevel(quiet)


def crawl(job: CrawlJob) -> dict[str, Any]:
    """Open the store, run the spider to the end, record and return the summary."""
    site = job.site
    try:
        store = open_store(job.store_url)
    except CrawlerError as exc:
        return empty_summary(site.id, f"cannot open store: {exc}")
    try:
        stats = run_spider(site, store, job)
        summary = summarize(site.id, stats)
        record_crawl(
            store,
            site.id,
            pages_fetched=summary["pages_fetched"],
            articles_new=summary["articles_new"],
            error=summary["error"],
        )
        summary["recorded"] = True
        return summary
    finally:
        store.close()


def run_spider(site: Site, store: Store, job: CrawlJob) -> dict[str, Any]:
    """Scrapy's CrawlerProcess for one spider; blocks until the crawl ends; returns its stats."""
    from scrapy.crawler import CrawlerProcess

    from crawler.spiders.section import SectionSpider
    from crawler.spiders.sitemap import NewsSitemapSpider

    settings = build_settings(max_pages=site.max_pages, timeout=job.timeout, overrides=job.settings)
    settings["LOG_LEVEL"] = job.log_level
    settings["LOG_INSTALL_ROOT_HANDLER"] = False  # our JSON-lines handler stays in charge
    process = CrawlerProcess(settings)
    spider_class = NewsSitemapSpider if site.kind == "news_sitemap" else SectionSpider
    crawler = process.create_crawler(spider_class)
    process.crawl(crawler, site=site, store=store)
    process.start()
    configure_child_logging(job.log_level)  # Scrapy may have touched the root logger
    return dict(crawler.stats.get_stats()) if crawler.stats is not None else {}


def summarize(site_id: str, stats: dict[str, Any]) -> dict[str, Any]:
    """The stats that matter, as the JSON summary the parent reads."""
    skipped = _by_prefix(stats, STAT_PREFIX)
    errors = _by_prefix(stats, ERROR_PREFIX)
    if stats.get("spider_exceptions/count"):
        errors["spider_exception"] = int(stats["spider_exceptions/count"])
    error = None
    if not stats.get(LISTINGS_STAT):
        problems = ", ".join(f"{k}={v}" for k, v in sorted({**errors, **skipped}.items()))
        error = f"no start page could be read ({problems or 'nothing fetched'})"
    return {
        "site": site_id,
        "pages_fetched": int(stats.get("response_received_count", 0)),
        "articles_new": int(stats.get("nieuwswacht/articles_new", 0)),
        "errors": errors,
        "skipped": skipped,
        "new_urls": list(stats.get(NEW_URLS_STAT, [])),
        "finish_reason": str(stats.get("finish_reason", "")),
        "error": error,
    }


def empty_summary(site_id: str, error: str) -> dict[str, Any]:
    return {
        "site": site_id,
        "pages_fetched": 0,
        "articles_new": 0,
        "errors": {},
        "skipped": {},
        "new_urls": [],
        "finish_reason": "",
        "error": error,
    }


def _by_prefix(stats: dict[str, Any], prefix: str) -> dict[str, int]:
    return {k[len(prefix) :]: int(v) for k, v in stats.items() if k.startswith(prefix)}


def child_main(job_text: str) -> int:
    """Run the job; print exactly one summary line on stdout whatever happens."""
    try:
        job = CrawlJob.from_json(job_text)
    except (ValueError, KeyError, TypeError) as exc:
        print(json.dumps(empty_summary("?", f"invalid crawl job: {exc}")), flush=True)
        return 2
    configure_child_logging(job.log_level)
    try:
        summary = crawl(job)
    except Exception as exc:  # a bug in a spider must still produce a summary
        logging.getLogger(__name__).error(
            "crawl crashed", extra={"site": job.site.id, "traceback": traceback.format_exc()}
        )
        summary = empty_summary(job.site.id, f"crawl crashed: {exc.__class__.__name__}: {exc}")
    print(json.dumps(summary, ensure_ascii=False), flush=True)
    return 0 if summary["error"] is None else 1
