"""Crawls that hang, crash or point at private addresses are contained, logged and reported."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.crawl import run_crawl
from crawler.crawlstate import load_site_state
from crawler.sites import Site
from crawler.store import open_store
from tests.fixtures.site import build
from tests.support.http_site import LocalSite

pytestmark = pytest.mark.integration

FAST = {"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0, "RETRY_TIMES": 0}


def make_site(start_url: str, **extra: object) -> Site:
    values: dict[str, object] = {
        "id": "testsite",
        "name": "Test",
        "outlet": "Test",
        "kind": "section",
        "start_urls": (start_url,),
        "allowed_domains": ("127.0.0.1",),
        "interval": 900.0,
        "max_age": 86400.0,
        "link_patterns": ("/artikel/",),
    }
    values.update(extra)
    return Site(**values)  # type: ignore[arg-type]


@pytest.fixture
def silent_server() -> Iterator[tuple[int, threading.Event]]:
    """Accepts connections and never answers; the event is set once someone connected."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    connected = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            held.append(conn)
            connected.set()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1], connected
    listener.close()
    for conn in held:
        conn.close()


def test_a_hanging_crawl_is_killed_reported_and_recorded(
    silent_server: tuple[int, threading.Event], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port, connected = silent_server
    url = f"sqlite:///{tmp_path}/store.db"
    site = make_site(f"http://127.0.0.1:{port}/sectie")
    settings = {**FAST, "DOWNLOAD_TIMEOUT": 120, "CLOSESPIDER_TIMEOUT": 0}

    report = asyncio.run(run_crawl(site, url, timeout=6, settings=settings))

    assert report.timed_out and not report.ok
    assert "killed" in (report.error or "")
    assert connected.is_set(), "the crawl reached the silent server before it was killed"
    assert any(r.getMessage() == "crawl failed" for r in caplog.records)
    store = open_store(url)
    try:
        state = load_site_state(store, "testsite")
    finally:
        store.close()
    assert state.consecutive_errors == 1 and "timed out" in (state.last_error or "")


def test_a_crawl_that_cannot_open_its_store_reports_instead_of_raising(tmp_path: Path) -> None:
    site = make_site("http://127.0.0.1:9/sectie")

    report = asyncio.run(run_crawl(site, "nosuchdb://nowhere", timeout=30, settings=FAST))

    assert not report.ok and not report.timed_out
    assert "cannot open store" in (report.error or "")


def test_a_site_whose_start_page_fails_is_a_failed_crawl(tmp_path: Path) -> None:
    with LocalSite() as server:
        site = make_site(server.url("/bestaat-niet"))
        report = asyncio.run(
            run_crawl(site, f"sqlite:///{tmp_path}/store.db", timeout=30, settings=FAST)
        )
    assert not report.ok and "http_404=1" in (report.error or "")


def test_links_to_a_private_address_are_refused_unless_it_is_the_sites_own_host(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with LocalSite() as server:
        other = f"http://localhost:{server.port}/artikel/prive"
        server.set(
            "/sectie",
            build.section_page("Sectie", [("/artikel/eigen", "Eigen"), (other, "Elders")]),
            content_type=build.HTML_TYPE,
        )
        for path in ("/artikel/eigen", "/artikel/prive"):
            page = build.article_html("Artikel", build.filler_paragraphs(7), datetime.now(UTC))
            server.set(path, page, content_type=build.HTML_TYPE)
        site = make_site(server.url("/sectie"), allowed_domains=("127.0.0.1", "localhost"))

        report = asyncio.run(
            run_crawl(site, f"sqlite:///{tmp_path}/store.db", timeout=30, settings=FAST)
        )

        assert report.ok and report.articles_new == 1
        assert report.skipped.get("private_address") == 1
        assert server.requests_for("/artikel/prive") == []
    refused = [r for r in caplog.records if getattr(r, "reason", "") == "private_address"]
    assert [getattr(r, "url", "") for r in refused] == [other]
