"""The spiders' common ground: the item they yield and the base class that schedules articles.

Two kinds of spider find article URLs (:mod:`crawler.spiders.sitemap` from news sitemaps,
:mod:`crawler.spiders.section` from section pages); both hand their candidates to
:meth:`SiteSpider.follow_articles`, which drops what must not or need not be fetched, each with a
log line and a counter saying why: off-domain links, URLs this site fetched in an earlier crawl
or that a feed already stored (crawl state lives in the store, :mod:`crawler.crawlstate`).
Every article response becomes an :class:`ArticlePage` for :mod:`crawler.pipelines`. Failed
requests (robots.txt, size cap, 404, 500, timeouts) end in :meth:`SiteSpider.on_error`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.crawlstate import known_urls
from crawler.middlewares import STAT_PREFIX, RefusedRequest
from crawler.sites import Site, host_allowed
from crawler.store import Store
from crawler.urls import canonical_url

log = logging.getLogger(__name__)
ERROR_PREFIX = "nieuwswacht/errors/"
LISTINGS_STAT = "nieuwswacht/listings_fetched"  # start pages (sitemaps, sections) read


@dataclass(frozen=True)
class ArticlePage:
    """One fetched article page, before extraction. Hints come from the sitemap, if any."""

    site_id: str
    url: str
    requested_url: str
    html: str
    title_hint: str = ""
    published_hint: datetime | None = None


@dataclass(frozen=True)
class Candidate:
    """An article URL a spider found, with what the listing said about it."""

    url: str
    title: str = ""
    published: datetime | None = None


class SiteSpider(scrapy.Spider):
    """Base of the nieuwswacht spiders: one instance crawls one :class:`Site`."""

    def __init__(self, site: Site, store: Store, **kwargs: Any) -> None:
        super().__init__(name=site.id, **kwargs)
        self.site = site
        self.store = store
        self.allowed_domains = list(site.allowed_domains)
        self.start_urls = list(site.start_urls)
        self._scheduled: set[str] = set()

    def count(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)

    def skip(self, url: str, reason: str, level: int = logging.INFO) -> None:
        """Log and count a URL that is not fetched or not stored."""
        self.count(STAT_PREFIX + reason)
        log.log(level, "page skipped", extra={"site": self.site.id, "url": url, "reason": reason})

    def follow_articles(self, candidates: Iterable[Candidate], found_on: str) -> Iterator[Any]:
        """Requests for the candidates worth fetching; every other one is logged with a reason."""
        fresh: dict[str, Candidate] = {}
        for candidate in candidates:
            url = canonical_url(candidate.url)
            if url in self._scheduled or url in fresh:
                continue
            if urlsplit(url).scheme not in ("http", "https"):
                continue
            if not host_allowed(urlsplit(url).hostname or "", self.site.allowed_domains):
                self.skip(url, "offsite")
                continue
            fresh[url] = candidate
        known = known_urls(self.store, self.site.id, fresh) if fresh else set()
        for url, candidate in fresh.items():
            self._scheduled.add(url)
            if url in known:
                self.skip(url, "known", logging.DEBUG)
                continue
            yield scrapy.Request(
                url,
                callback=self.parse_article,
                errback=self.on_error,
                meta={"title_hint": candidate.title, "published_hint": candidate.published},
                headers={"Referer": found_on},
            )

    def parse_article(self, response: Response) -> Iterator[ArticlePage]:
        if not isinstance(response, TextResponse):
            self.skip(response.url, "not_html")
            return
        yield ArticlePage(
            site_id=self.site.id,
            url=response.url,
            requested_url=(response.meta.get("redirect_urls") or [response.url])[0],
            html=response.text,
            title_hint=response.meta.get("title_hint") or "",
            published_hint=response.meta.get("published_hint"),
        )

    def on_error(self, failure: Failure) -> None:
        """A request that produced no usable response: count it under a reason and log why."""
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        error = failure.value
        if isinstance(error, RefusedRequest):
            return  # the guard has logged and counted it
        if isinstance(error, HttpError):
            status = error.response.status
            if status >= 500:
                self.fail(url, f"http_{status}")
            else:
                self.skip(url, f"http_{status}")
        elif isinstance(error, IgnoreRequest):
            self.skip(url, "robots_txt" if "robots.txt" in str(error) else "ignored")
        elif isinstance(error, DownloadCancelledError):
            self.skip(url, "oversize")
        else:
            self.fail(url, type(error).__name__)

    def fail(self, url: str, reason: str) -> None:
        self.count(ERROR_PREFIX + reason)
        log.warning("page failed", extra={"site": self.site.id, "url": url, "reason": reason})
