"""Benchmark: pages/s crawling a local news site, next to a plain httpx + trafilatura loop.

A LocalSite on 127.0.0.1 serves a news sitemap of N article pages (default 2,000). The crawl
is the real thing: ``crawler.crawl.run_crawl`` (a subprocess, Scrapy, robots.txt, the site
guard, trafilatura in the pipeline, every article written to a fresh SQLite store), with
AutoThrottle and delays off so the number measures our code, not politeness. The baseline in
the same run fetches the same pages one by one with ``httpx`` and extracts them with
``crawler.extract.extract_article`` (no store). The ratio is what to compare across machines.
Usage: ``.venv/bin/python bench/crawl.py [--n N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crawler.crawl import run_crawl  # noqa: E402
from crawler.extract import extract_article  # noqa: E402
from crawler.sites import Site  # noqa: E402
from tests.fixtures.site import build  # noqa: E402
from tests.support.http_site import LocalSite  # noqa: E402

SETTINGS = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "CLOSESPIDER_PAGECOUNT": 0,
}


def serve(site: LocalSite, n: int) -> list[str]:
    base = site.url("").rstrip("/")
    now = datetime.now(UTC)
    urls = [f"{base}/artikel/{i}" for i in range(n)]
    site.set("/robots.txt", build.robots_txt(base), content_type="text/plain")
    entries = [(u, now - timedelta(minutes=i), f"Artikel {i}") for i, u in enumerate(urls)]
    site.set("/news.xml", build.news_sitemap(entries), content_type=build.XML_TYPE)
    for i, url in enumerate(urls):
        page = build.article_html(f"Artikel {i}", build.filler_paragraphs(i), now)
        site.set(url[len(base) :], page, content_type=build.HTML_TYPE)
    return urls


def bench_crawl(base: str, n: int, store_url: str) -> tuple[float, int]:
    site = Site(
        id="bench",
        name="Bench",
        outlet="Bench",
        kind="news_sitemap",
        start_urls=(f"{base}/news.xml",),
        allowed_domains=("127.0.0.1",),
        interval=900,
        max_age=30 * 86400,
        max_pages=n + 10,
    )
    started = time.perf_counter()
    report = asyncio.run(run_crawl(site, store_url, timeout=3600, settings=SETTINGS))
    elapsed = time.perf_counter() - started
    if report.error or report.articles_new != n:
        print(f"warning: crawl stored {report.articles_new}/{n}: {report.error}", file=sys.stderr)
    return elapsed, report.pages_fetched


def bench_baseline(urls: list[str]) -> tuple[float, int]:
    started = time.perf_counter()
    extracted = 0
    with httpx.Client(timeout=20) as client:
        for url in urls:
            response = client.get(url)
            if extract_article(response.content, url) is not None:
                extracted += 1
    return time.perf_counter() - started, extracted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="articles on the site (default 2000)")
    args = parser.parse_args()
    with LocalSite() as site, tempfile.TemporaryDirectory() as tmp:
        urls = serve(site, args.n)
        base = site.url("").rstrip("/")
        crawl_s, pages = bench_crawl(base, args.n, f"sqlite:///{tmp}/bench.db")
        base_s, extracted = bench_baseline(urls)
    crawl_rate, base_rate = pages / crawl_s, extracted / base_s
    print(
        f"scrapy crawl (subprocess, store):  {pages:5d} pages in {crawl_s:6.2f}s = "
        f"{crawl_rate:7.1f} pages/s"
    )
    print(
        f"httpx + trafilatura loop:          {extracted:5d} pages in {base_s:6.2f}s = "
        f"{base_rate:7.1f} pages/s"
    )
    print(f"ratio crawl/baseline: {crawl_rate / base_rate:.2f}x")


if __name__ == "__main__":
    main()
