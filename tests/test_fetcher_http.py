"""Fetcher over real sockets against tests.support.http_site: conditional GET, gzip, gzip bombs,
trickling servers, stalls, redirects, refused connections and Retry-After."""

from __future__ import annotations

import asyncio
import gzip
import socket
import threading
import urllib.request
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from crawler.errors import PermanentFetchError, TemporaryFetchError
from crawler.fetcher import Fetcher, FetchLimits
from crawler.parser import parse_feed
from crawler.sources import Source
from tests.support.http_site import (
    LocalSite,
    SiteRequest,
    gzip_bomb,
    make_rss,
    redirect,
    sequence,
    status,
    trickle,
)

pytestmark = pytest.mark.integration
T = TypeVar("T")
FAST = FetchLimits(connect_timeout=2.0, read_timeout=2.0, deadline=5.0, max_body_bytes=1_000_000)
FEED = make_rss([{"title": "Kabinet valt", "link": "https://nos.nl/artikel/1", "guid": "n1"}])


def run(job: Callable[[Fetcher], Awaitable[T]], limits: FetchLimits = FAST) -> T:
    async def main() -> T:
        async with Fetcher(limits) as fetcher:
            return await job(fetcher)

    return asyncio.run(main())


def test_fetch_feed_and_parse_it(site: LocalSite) -> None:
    site.set("/feed.xml", FEED)
    result = run(lambda f: f.fetch(site.url("/feed.xml")))
    assert result.status == 200 and result.content_type == "application/rss+xml; charset=utf-8"
    source = Source("t", "T", "Test", site.url("/feed.xml"), 60.0, False)
    [entry] = parse_feed(result.body, source, base_url=result.url)
    assert (entry.title, entry.guid) == ("Kabinet valt", "n1")
    [seen] = site.requests_for("/feed.xml")
    assert seen.headers["user-agent"].startswith("nieuwswacht/")


def test_conditional_get_with_etag_gives_304(site: LocalSite) -> None:
    site.set("/feed.xml", FEED, etag='"v1"')

    async def twice(fetcher: Fetcher) -> tuple[bool, bool, bytes, str | None]:
        first = await fetcher.fetch(site.url("/feed.xml"))
        second = await fetcher.fetch(site.url("/feed.xml"), etag=first.etag)
        return first.not_modified, second.not_modified, second.body, second.etag

    assert run(twice) == (False, True, b"", '"v1"')
    assert site.requests_for("/feed.xml")[1].headers["if-none-match"] == '"v1"'


def test_conditional_get_with_last_modified_gives_304(site: LocalSite) -> None:
    stamp = "Wed, 06 Mar 2024 10:00:00 GMT"
    site.set("/feed.xml", FEED, last_modified=stamp)
    first = run(lambda f: f.fetch(site.url("/feed.xml")))
    second = run(lambda f: f.fetch(site.url("/feed.xml"), last_modified=first.last_modified))
    assert first.last_modified == stamp and second.not_modified
    assert site.requests_for("/feed.xml")[1].headers["if-modified-since"] == stamp


def test_gzip_response_is_decoded(site: LocalSite) -> None:
    site.set("/feed.xml", FEED, gzip=True)
    assert run(lambda f: f.fetch(site.url("/feed.xml"))).body == FEED
    assert "gzip" in site.requests_for("/feed.xml")[0].headers["accept-encoding"]


def test_gzip_bomb_is_stopped_at_the_cap(site: LocalSite) -> None:
    site.set_handler("/bomb.xml", gzip_bomb(50_000_000))
    with pytest.raises(PermanentFetchError, match="larger than the 1 MB cap"):
        run(lambda f: f.fetch(site.url("/bomb.xml")))


def test_body_without_length_is_capped_while_streaming(site: LocalSite) -> None:
    def endless(request: SiteRequest) -> None:
        request.handler.send_response(200)
        request.handler.send_header("Connection", "close")
        request.handler.end_headers()
        for _ in range(100):  # 6.4 MB, no Content-Length
            request.wfile.write(b"x" * 65536)

    site.set_handler("/big", endless)
    with pytest.raises(PermanentFetchError, match="cap"):
        run(lambda f: f.fetch(site.url("/big")))


def test_trickling_server_is_cut_off_by_the_deadline(site: LocalSite) -> None:
    site.set_handler("/slow.xml", trickle(FEED, interval=0.05))  # each read well within timeout
    limits = FetchLimits(connect_timeout=2.0, read_timeout=2.0, deadline=0.5)
    with pytest.raises(TemporaryFetchError, match=r"0\.5s deadline"):
        run(lambda f: f.fetch(site.url("/slow.xml")), limits)


def test_stalled_server_hits_the_read_timeout(site: LocalSite) -> None:
    finished = threading.Event()

    def stall(request: SiteRequest) -> None:
        request.handler.send_response(200)
        request.handler.send_header("Content-Length", "100")
        request.handler.end_headers()
        request.wfile.flush()
        finished.wait(timeout=10)  # headers sent, body never comes

    site.set_handler("/stall.xml", stall)
    limits = FetchLimits(connect_timeout=2.0, read_timeout=0.3, deadline=10.0)
    try:
        with pytest.raises(TemporaryFetchError, match="read timeout"):
            run(lambda f: f.fetch(site.url("/stall.xml")), limits)
    finally:
        finished.set()


def test_refused_connection_is_temporary() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TemporaryFetchError, match="cannot connect"):
        run(lambda f: f.fetch(f"http://127.0.0.1:{port}/feed.xml"))


def test_redirects_are_followed_with_validators(site: LocalSite) -> None:
    site.set_handler("/old.xml", redirect("/mid.xml", 301))
    site.set_handler("/mid.xml", redirect(site.url("/new.xml"), 308))
    site.set("/new.xml", FEED, etag='"v1"')
    result = run(lambda f: f.fetch(site.url("/old.xml"), etag='"v1"'))
    assert result.not_modified and result.url == site.url("/new.xml")
    assert site.requests_for("/new.xml")[0].headers["if-none-match"] == '"v1"'


def test_redirect_loop_is_permanent(site: LocalSite) -> None:
    site.set_handler("/loop.xml", redirect("/loop.xml"))
    with pytest.raises(PermanentFetchError, match="too many redirects"):
        run(lambda f: f.fetch(site.url("/loop.xml")))
    assert len(site.requests_for("/loop.xml")) == FAST.max_redirects + 1


def test_redirect_to_another_scheme_is_permanent(site: LocalSite) -> None:
    site.set_handler("/ftp.xml", redirect("ftp://127.0.0.1/feed.xml"))
    with pytest.raises(PermanentFetchError, match="unsupported scheme"):
        run(lambda f: f.fetch(site.url("/ftp.xml")))


def test_503_with_retry_after_then_recovery(site: LocalSite) -> None:
    site.set_handler(
        "/feed.xml",
        sequence([status(503, "onderhoud", {"Retry-After": "90"}), lambda r: r.send(200, FEED)]),
    )
    with pytest.raises(TemporaryFetchError, match="HTTP 503") as caught:
        run(lambda f: f.fetch(site.url("/feed.xml")))
    assert caught.value.retry_after == 90.0
    assert run(lambda f: f.fetch(site.url("/feed.xml"))).body == FEED


def test_404_names_the_url_and_the_fix(site: LocalSite) -> None:
    with pytest.raises(PermanentFetchError) as caught:
        run(lambda f: f.fetch(site.url("/weg.xml")))
    assert str(caught.value) == (
        f"HTTP 404 from {site.url('/weg.xml')}: the feed moved or was removed; "
        "fix the url in seeds/feeds.yaml"
    )


def test_slow_feed_does_not_hold_up_a_fast_one(site: LocalSite) -> None:
    site.set_handler("/slow.xml", trickle(FEED, interval=0.05))
    site.set("/fast.xml", FEED)

    async def both(fetcher: Fetcher) -> str:
        slow = asyncio.create_task(fetcher.fetch(site.url("/slow.xml")), name="slow")
        fast = asyncio.create_task(fetcher.fetch(site.url("/fast.xml")), name="fast")
        done, pending = await asyncio.wait({slow, fast}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        return done.pop().get_name()

    assert run(both) == "fast"


def test_local_site_serves_gzip_only_to_clients_that_ask(site: LocalSite) -> None:
    site.set("/feed.xml", FEED, gzip=True)
    with urllib.request.urlopen(site.url("/feed.xml")) as plain:
        assert plain.read() == FEED
    request = urllib.request.Request(site.url("/feed.xml"), headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request) as packed:
        assert gzip.decompress(packed.read()) == FEED
