"""The item pipeline: a fetched article page → trafilatura extraction → the same store as feeds.

An :class:`~crawler.spiders.ArticlePage` becomes an :class:`~crawler.entry.Entry` with
``source_id`` = the site id, ``guid`` = ``url`` = the canonical URL, and is written with
``Store.add_entries``, so the store's dedup on (source, GUID) and canonical URL applies: an
article a feed stored first (or that a redirect leads to) is one article and one alert.
``DropItem`` is control flow here, not an error: a page already stored or with no article text
is dropped with an INFO line and a ``nieuwswacht/skipped/<reason>`` counter. Extraction is
CPU-bound and runs on a worker thread so downloads go on meanwhile. Every fetched page is
marked seen in the crawl state, stored or not, so the next crawl does not fetch it again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, NoReturn

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.crawlstate import mark_seen, stored_urls
from crawler.entry import Entry
from crawler.extract import Extracted, extract_article
from crawler.middlewares import STAT_PREFIX
from crawler.spiders import ArticlePage
from crawler.urls import canonical_url

log = logging.getLogger(__name__)
NEW_STAT = "nieuwswacht/articles_new"
NEW_URLS_STAT = "nieuwswacht/new_urls"
NEW_URLS_KEPT = 200  # how many new URLs the crawl summary lists


class ArticlePipeline:
    """Extract and store article pages for the crawler's spider (a ``SiteSpider``)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.new_urls: list[str] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticlePipeline:
        return cls(crawler)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticlePage):
            return item
        spider: Any = self.crawler.spider
        store, site = spider.store, spider.site
        url = canonical_url(item.url)
        seen = [url, canonical_url(item.requested_url)]
        if stored_urls(store, [url]):
            mark_seen(store, site.id, seen)
            self.drop(item, url, "already_stored")
        extracted = await asyncio.to_thread(extract_article, item.html, url)
        mark_seen(store, site.id, seen)
        if extracted is None:
            return self.drop(item, url, "no_article_text")
        entry = build_entry(item, url, extracted, site.outlet)
        if not store.add_entries([entry]):
            self.drop(item, url, "already_stored")
        self._count(NEW_STAT)
        if len(self.new_urls) < NEW_URLS_KEPT and self.crawler.stats is not None:
            self.new_urls.append(url)
            self.crawler.stats.set_value(NEW_URLS_STAT, list(self.new_urls))
        log.info(
            "article stored",
            extra={"site": site.id, "url": url, "title": entry.title[:120]},
        )
        return item

    def drop(self, item: ArticlePage, url: str, reason: str) -> NoReturn:
        self._count(STAT_PREFIX + reason)
        log.info("article not stored", extra={"site": item.site_id, "url": url, "reason": reason})
        raise DropItem(reason)

    def _count(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)


def build_entry(item: ArticlePage, url: str, extracted: Extracted, outlet: str) -> Entry:
    """The Entry for a page; the sitemap's date wins over what the page claims."""
    return Entry(
        source_id=item.site_id,
        guid=url,
        url=url,
        title=extracted.title or item.title_hint or url,
        summary="",
        text=extracted.text,
        published=item.published_hint or extracted.published,
        outlet=outlet,
        full_text=True,
    )
