"""The news-sitemap spider: Google News sitemaps and sitemap indexes → recent article URLs.

Scrapy's own ``SitemapSpider`` flattens each ``<url>`` to its direct children, which loses
``<news:news><news:publication_date>``; so this spider reads the XML itself (lxml, no entity
expansion, no network, recovering from sloppy markup). A start URL may be a sitemap index, a
urlset or a robots.txt (its ``Sitemap:`` lines are followed). Only articles newer than the site's
``max_age`` are fetched: the date is ``news:publication_date``, else ``lastmod``; child sitemaps
of an index whose ``lastmod`` is older than the window are not fetched at all. Entries without
any date are fetched once (the crawl state remembers them).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import scrapy
from lxml import etree  # type: ignore[import-untyped]
from scrapy.http import Response
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import sitemap_urls_from_robots

from crawler.spiders import LISTINGS_STAT, Candidate, SiteSpider

_MAX_SITEMAP_BYTES = 50_000_000  # the sitemaps.org limit for an uncompressed file


class NewsSitemapSpider(SiteSpider):
    """Crawl one site's news sitemaps."""

    async def start(self) -> AsyncIterator[Any]:
        for url in self.site.start_urls:
            yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_error)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        if response.url.endswith("/robots.txt"):
            self.count(LISTINGS_STAT)
            for url in sitemap_urls_from_robots(response.text, base_url=response.url):
                yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_error)
            return
        root = parse_sitemap_xml(sitemap_body(response))
        if root is None:
            self.fail(response.url, "not_a_sitemap")
            return
        self.count(LISTINGS_STAT)
        cutoff = datetime.now(UTC) - timedelta(seconds=self.site.max_age)
        if local_name(root.tag) == "sitemapindex":
            yield from self.follow_sitemaps(root, cutoff)
        else:
            yield from self.follow_articles(self.recent_urls(root, cutoff), response.url)

    def follow_sitemaps(self, root: Any, cutoff: datetime) -> Iterator[Any]:
        for node in children_named(root, "sitemap"):
            fields = child_texts(node)
            loc = fields.get("loc", "")
            if not loc:
                continue
            lastmod = parse_w3c_date(fields.get("lastmod", ""))
            if lastmod is not None and lastmod < cutoff:
                self.skip(loc, "too_old")
                continue
            yield scrapy.Request(loc, callback=self.parse_sitemap, errback=self.on_error)

    def recent_urls(self, root: Any, cutoff: datetime) -> Iterator[Candidate]:
        for node in children_named(root, "url"):
            fields = child_texts(node)
            loc = fields.get("loc", "")
            if not loc:
                continue
            published = parse_w3c_date(fields.get("publication_date", ""))
            date = published or parse_w3c_date(fields.get("lastmod", ""))
            if date is not None and date < cutoff:
                self.skip(loc, "too_old")
                continue
            yield Candidate(loc, title=fields.get("title", ""), published=published)


def sitemap_body(response: Response) -> bytes:
    """The XML bytes, gunzipped when the file itself is gzip (``sitemap.xml.gz``)."""
    body = response.body
    if body[:2] == b"\x1f\x8b":
        try:
            return gunzip(body, max_size=_MAX_SITEMAP_BYTES)
        except (OSError, ValueError, EOFError):
            return b""
    return body


def parse_sitemap_xml(body: bytes) -> Any:
    """The root element, or None when the bytes are no XML we can read."""
    if not body.strip():
        return None
    parser = etree.XMLParser(
        recover=True, remove_comments=True, resolve_entities=False, no_network=True
    )
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        return None
    if root is None or local_name(root.tag) not in ("urlset", "sitemapindex"):
        return None
    return root


def local_name(tag: Any) -> str:
    """``{http://www.sitemaps.org/schemas/sitemap/0.9}url`` → ``url``."""
    return str(tag).rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def children_named(node: Any, name: str) -> Iterator[Any]:
    return (child for child in node if local_name(child.tag) == name)


def child_texts(node: Any) -> dict[str, str]:
    """Every descendant's text by local name (first wins): loc, lastmod, publication_date..."""
    out: dict[str, str] = {}
    for child in node.iter():
        name = local_name(child.tag)
        if child is not node and name and name not in out and child.text and child.text.strip():
            out[name] = child.text.strip()
    return out


def parse_w3c_date(value: str) -> datetime | None:
    """W3C datetime (``2026-11-28``, ``2026-11-28T10:00:00+01:00``, ``...Z``) → UTC."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
