"""The section spider: a listing page (``/binnenland``, ``/economie``) → its article pages.

Links are taken from the elements the site's ``link_selectors`` select (an ``<a>`` or any
``<a>`` inside it; all ``<a>`` elements when no selector is given) and kept when the absolute
URL matches one of ``link_patterns`` (all kept when no pattern is given). It goes one level
deep: article pages are extracted, never searched for further links. Section pages are
fetched every crawl (they change); the articles they list are fetched once.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse

from crawler.spiders import LISTINGS_STAT, Candidate, SiteSpider


class SectionSpider(SiteSpider):
    """Crawl one site's section pages, one level deep."""

    async def start(self) -> AsyncIterator[Any]:
        for url in self.site.start_urls:
            yield scrapy.Request(url, callback=self.parse_section, errback=self.on_error)

    def parse_section(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            self.skip(response.url, "not_html")
            return
        self.count(LISTINGS_STAT)
        yield from self.follow_articles(self.article_links(response), response.url)

    def article_links(self, response: TextResponse) -> Iterator[Candidate]:
        patterns = [re.compile(p) for p in self.site.link_patterns]
        for href, text in link_elements(response, self.site.link_selectors):
            url = response.urljoin(href.strip())
            if patterns and not any(p.search(url) for p in patterns):
                continue
            yield Candidate(url, title=text)


def link_elements(response: TextResponse, selectors: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """``(href, link text)`` for every ``<a href>`` the selectors point at, in page order."""
    roots = [response.css(s) for s in selectors] if selectors else [response.css("html")]
    for root in roots:
        for anchor in root.xpath("descendant-or-self::a[@href]"):
            href = anchor.attrib.get("href", "")
            text = " ".join(" ".join(anchor.xpath(".//text()").getall()).split())
            if href and not href.startswith(("#", "javascript:", "mailto:")):
                yield href, text
