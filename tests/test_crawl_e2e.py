"""A local news site crawled end to end: subprocess → Scrapy → store → matcher → queued alert."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from alerts.matchjob import MatchWorker, match_pending
from alerts.watchlists import load_watchlists
from crawler import schema
from crawler.crawl import CrawlReport, run_crawl
from crawler.crawlstate import load_site_state
from crawler.entry import Entry
from crawler.sites import Site
from crawler.store import Store, open_store
from crawler.urls import canonical_url
from tests.fixtures.site import build
from tests.support.http_site import LocalSite, redirect, status

pytestmark = pytest.mark.integration

FAST = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "RETRY_TIMES": 0,
    "DOWNLOAD_MAXSIZE": 100_000,
    "DOWNLOAD_WARNSIZE": 0,
}
NOW = datetime.now(UTC)


def serve_news_site(site: LocalSite, seed_article: str) -> str:
    """robots.txt, a sitemap index, a news sitemap, a section page and the article pages."""
    base = site.url("").rstrip("/")
    html, xml = build.HTML_TYPE, build.XML_TYPE
    site.set("/robots.txt", build.robots_txt(base), content_type="text/plain")
    site.set(
        "/sitemap_index.xml",
        build.sitemap_index(
            [(f"{base}/news-sitemap.xml", NOW), (f"{base}/archief.xml", NOW - timedelta(days=40))]
        ),
        content_type=xml,
    )
    fresh = NOW - timedelta(hours=1)
    site.set(
        "/news-sitemap.xml",
        build.news_sitemap(
            [
                (f"{base}/artikel/rusland?utm_source=sitemap", fresh, "Biden en Poetin"),
                (f"{base}/artikel/lokaal", fresh, "Fietsbrug"),
                (f"{base}/artikel/uit-feed", fresh, "Al gezien"),
                (f"{base}/prive/geheim", fresh, "Verboden"),
                (f"{base}/artikel/weg", fresh, "Weg"),
                (f"{base}/artikel/kapot", fresh, "Kapot"),
                (f"{base}/artikel/groot", fresh, "Groot"),
                (f"{base}/verhuisd/7", fresh, "Verhuisd"),
                (f"{base}/artikel/oud", NOW - timedelta(days=10), "Oud"),
                ("http://elders.invalid/artikel/1", fresh, "Elders"),
            ]
        ),
        content_type=xml,
    )
    site.set(
        "/sectie/binnenland",
        build.section_page(
            "Binnenland",
            [
                ("/artikel/sectie-een", "Sectie een"),
                ("/artikel/rusland", "Biden en Poetin"),
                ("http://elders.invalid/artikel/2", "Elders"),
                ("/prive/artikel/x", "Verboden"),
                ("/over-ons", "Over ons"),
            ],
        ),
        content_type=html,
    )
    seed_paragraphs = [p.strip() for p in seed_article.split("\n\n") if p.strip()]
    pages = {
        "/artikel/rusland": ("Biden en Poetin spreken over Oekraïne", seed_paragraphs),
        "/artikel/lokaal": ("Nieuwe fietsbrug", build.filler_paragraphs(1)),
        "/artikel/uit-feed": ("Al uit de feed", build.filler_paragraphs(2)),
        "/artikel/verhuisd": ("Verhuisd artikel", build.filler_paragraphs(3)),
        "/artikel/sectie-een": ("Sectie een", build.filler_paragraphs(4)),
        "/prive/geheim": ("Geheim", build.filler_paragraphs(5)),
        "/artikel/oud": ("Oud", build.filler_paragraphs(6)),
    }
    for path, (page_title, paragraphs) in pages.items():
        site.set(path, build.article_html(page_title, paragraphs, NOW), content_type=html)
    site.set("/artikel/groot", "<html><body>" + "x" * 300_000 + "</body></html>", content_type=html)
    site.set_handler("/artikel/kapot", status(500, "kapot"))
    site.set_handler("/verhuisd/7", redirect("/artikel/verhuisd", 301))
    return base


def news_sitemap_site(base: str) -> Site:
    return Site(
        id="testkrant-sitemap",
        name="Testkrant sitemap",
        outlet="Testkrant",
        kind="news_sitemap",
        start_urls=(f"{base}/sitemap_index.xml",),
        allowed_domains=("127.0.0.1",),
        interval=900,
        max_age=2 * 86400,
    )


def section_site(base: str) -> Site:
    return Site(
        id="testkrant-binnenland",
        name="Testkrant binnenland",
        outlet="Testkrant",
        kind="section",
        start_urls=(f"{base}/sectie/binnenland",),
        allowed_domains=("127.0.0.1",),
        interval=900,
        max_age=2 * 86400,
        link_patterns=("/artikel/",),
        link_selectors=("article.teaser",),
    )


@pytest.fixture
def news_site(seed_article: str) -> Iterator[tuple[LocalSite, str]]:
    with LocalSite() as site:
        yield site, serve_news_site(site, seed_article)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path}/store.db")
    yield opened
    opened.close()


def crawl(site: Site, store: Store) -> CrawlReport:
    return asyncio.run(run_crawl(site, str(store.engine.url), timeout=60, settings=FAST))


def stored_urls(store: Store) -> dict[str, str]:
    with store.transaction() as conn:
        rows = conn.execute(select(schema.entries.c.url, schema.entries.c.source_id)).all()
    return {url: source for url, source in rows}


def reasons_logged(caplog: pytest.LogCaptureFixture) -> dict[str, str]:
    """url → reason of every 'page skipped' / 'request refused' / 'article not stored' line."""
    return {
        str(getattr(r, "url", "")): str(getattr(r, "reason", ""))
        for r in caplog.records
        if getattr(r, "reason", None) is not None
    }


def test_news_sitemap_crawl_stores_new_articles_and_skips_the_rest_with_reasons(
    news_site: tuple[LocalSite, str],
    store: Store,
    caplog: pytest.LogCaptureFixture,
    repo_root: Path,
) -> None:
    site, base = news_site
    feed_url = canonical_url(f"{base}/artikel/uit-feed")
    store.add_entries([Entry("testfeed", "feed-guid-1", feed_url, "Al uit de feed", "teaser")])
    caplog.set_level(logging.INFO)

    report = crawl(news_sitemap_site(base), store)

    assert report.ok, report.error
    assert report.articles_new == 3
    assert stored_urls(store) == {
        f"{base}/artikel/rusland": "testkrant-sitemap",
        f"{base}/artikel/lokaal": "testkrant-sitemap",
        f"{base}/artikel/verhuisd": "testkrant-sitemap",
        feed_url: "testfeed",
    }
    assert report.skipped == {
        "robots_txt": 1,
        "offsite": 1,
        "too_old": 2,
        "oversize": 1,
        "http_404": 1,
        "known": 1,
    }
    assert report.errors == {"http_500": 1}
    never_fetched = ["/prive/geheim", "/artikel/oud", "/archief.xml", "/artikel/uit-feed"]
    assert [p for p in never_fetched if site.requests_for(p)] == []
    assert site.requests_for("/artikel/groot"), "the oversize page is started, then cancelled"
    logged = reasons_logged(caplog)
    assert logged[f"{base}/prive/geheim"] == "robots_txt"
    assert logged["http://elders.invalid/artikel/1"] == "offsite"
    assert logged[f"{base}/artikel/groot"] == "oversize"
    assert logged[f"{base}/artikel/oud"] == "too_old"
    assert all(r.headers["user-agent"].startswith("nieuwswacht") for r in site.requests)

    worker = MatchWorker(load_watchlists(repo_root / "config" / "watchlists.yaml"))
    try:
        matched = asyncio.run(match_pending(store, worker, ["console"]))
    finally:
        worker.close()
    alerts = [a for m in matched for a in m.alerts]
    assert [a.url for a in alerts] == [f"{base}/artikel/rusland"]
    assert {c.id for c in alerts[0].categories} >= {"sanctions", "invasion", "troop_buildup"}
    with store.transaction() as conn:
        queued = conn.execute(select(schema.outbox.c.channel, schema.outbox.c.status)).all()
    assert list(queued) == [("console", "pending")]


def test_a_second_crawl_fetches_no_known_article_again(
    news_site: tuple[LocalSite, str], store: Store
) -> None:
    site, base = news_site
    first = crawl(news_sitemap_site(base), store)
    assert first.articles_new == 4
    fetched_before = len(site.requests_for("/artikel/rusland"))

    second = crawl(news_sitemap_site(base), store)

    assert second.ok and second.articles_new == 0
    assert second.skipped["known"] == 4
    assert len(site.requests_for("/artikel/rusland")) == fetched_before == 1
    state = load_site_state(store, "testkrant-sitemap")
    assert state.last_success_at is not None and state.last_error is None


def test_section_crawl_follows_matching_links_one_level_and_never_leaves_the_domain(
    news_site: tuple[LocalSite, str], store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    site, base = news_site
    caplog.set_level(logging.INFO)

    report = crawl(section_site(base), store)

    assert report.ok, report.error
    assert set(stored_urls(store)) == {f"{base}/artikel/sectie-een", f"{base}/artikel/rusland"}
    assert report.skipped == {"offsite": 1, "robots_txt": 1}
    assert site.requests_for("/over-ons") == [] and site.requests_for("/prive/artikel/x") == []
    assert reasons_logged(caplog)["http://elders.invalid/artikel/2"] == "offsite"
    assert site.requests_for("/sectie/binnenland")[0].headers.get("user-agent")
    # one level deep: the article pages' own navigation links are not followed
    assert site.requests_for("/") == []
