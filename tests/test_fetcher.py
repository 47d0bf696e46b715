"""Fetcher units over httpx.MockTransport: headers sent, statuses mapped, bodies decoded and capped.

The same behaviours over real sockets live in test_fetcher_http.py.
"""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from crawler.decoding import BodyDecoder, BodyTooLargeError
from crawler.errors import FetchError, PermanentFetchError, TemporaryFetchError
from crawler.fetcher import (
    Fetcher,
    FetchLimits,
    FetchResult,
    parse_retry_after,
)

URL = "https://feeds.example.nl/rss"
Responder = Callable[[httpx.Request], httpx.Response]


def raw(status: int, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    """A response whose body is still to be streamed, as from a real transport."""
    return httpx.Response(status, stream=httpx.ByteStream(body), headers=headers)


def fetch_with(
    responder: Responder, limits: FetchLimits | None = None, url: str = URL, **kwargs: str
) -> FetchResult:
    async def run() -> FetchResult:
        transport = httpx.MockTransport(responder)
        async with Fetcher(limits or FetchLimits(), transport=transport) as fetcher:
            return await fetcher.fetch(url, **kwargs)

    return asyncio.run(run())


def test_fetch_sends_user_agent_encodings_and_validators() -> None:
    seen: list[httpx.Request] = []

    def respond(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return raw(200, b"<rss/>", {"ETag": '"v2"'})

    limits = FetchLimits(user_agent="nieuwswacht-test/1.0")
    result = fetch_with(respond, limits, etag='"v1"', last_modified="Tue, 05 Mar 2024 10:00:00 GMT")
    [request] = seen
    assert request.headers["user-agent"] == "nieuwswacht-test/1.0"
    assert request.headers["accept-encoding"] == "gzip, deflate"
    assert request.headers["if-none-match"] == '"v1"'
    assert request.headers["if-modified-since"] == "Tue, 05 Mar 2024 10:00:00 GMT"
    assert (result.status, result.body, result.etag, result.not_modified) == (
        200,
        b"<rss/>",
        '"v2"',
        False,
    )


def test_fetch_sends_no_validators_when_none_known() -> None:
    seen: list[httpx.Request] = []

    def respond(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return raw(200, b"x")

    fetch_with(respond)
    assert "if-none-match" not in seen[0].headers and "if-modified-since" not in seen[0].headers


def test_unprintable_stored_validators_are_not_sent() -> None:
    seen: list[httpx.Request] = []

    def respond(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return raw(200, b"x")

    fetch_with(respond, etag='"v1"\r\nX-Evil: 1', last_modified="gisteren\n")
    assert "if-none-match" not in seen[0].headers and "x-evil" not in seen[0].headers
    assert "if-modified-since" not in seen[0].headers


def test_304_is_not_modified_and_keeps_validators() -> None:
    result = fetch_with(lambda r: httpx.Response(304), etag='"v1"', last_modified="yesterday")
    assert result.not_modified and result.body == b"" and result.status == 304
    assert (result.etag, result.last_modified) == ('"v1"', "yesterday")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 451])
def test_client_errors_are_permanent(status: int) -> None:
    with pytest.raises(PermanentFetchError, match=f"HTTP {status} from {URL}"):
        fetch_with(lambda r: httpx.Response(status))


def test_404_message_tells_what_to_do() -> None:
    with pytest.raises(PermanentFetchError, match=r"moved or was removed; fix the url in seeds"):
        fetch_with(lambda r: httpx.Response(404))


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_server_errors_and_throttling_are_temporary(status: int) -> None:
    with pytest.raises(TemporaryFetchError, match=f"HTTP {status}") as caught:
        fetch_with(lambda r: httpx.Response(status))
    assert caught.value.retry_after is None


def test_retry_after_seconds_are_exposed() -> None:
    response = httpx.Response(429, headers={"Retry-After": "120"})
    with pytest.raises(TemporaryFetchError, match="slow down; will retry in 120s") as caught:
        fetch_with(lambda r: response)
    assert caught.value.retry_after == 120.0


def test_retry_after_http_date_is_exposed() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=600), usegmt=True)
    with pytest.raises(TemporaryFetchError) as caught:
        fetch_with(lambda r: httpx.Response(503, headers={"Retry-After": later}))
    assert caught.value.retry_after is not None and 500 < caught.value.retry_after <= 600


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0.0),
        ("30", 30.0),
        (" 45 ", 45.0),
        ("Wed, 06 Mar 2024 12:01:00 GMT", 60.0),
        ("Wed, 06 Mar 2024 11:00:00 GMT", 0.0),  # in the past
        ("99999999", 86400.0),  # capped at a day
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    now = datetime(2024, 3, 6, 12, 0, tzinfo=UTC)
    assert parse_retry_after(value, now=now) == expected


@pytest.mark.parametrize(
    ("error", "fragment"),
    [
        (httpx.ConnectError("refused"), "cannot connect"),
        (httpx.ConnectTimeout("slow"), "connecting to .* timed out"),
        (httpx.ReadTimeout("slow"), "read timeout"),
        (httpx.RemoteProtocolError("peer closed"), "RemoteProtocolError"),
        (httpx.ReadError("reset"), "ReadError"),
    ],
)
def test_transport_errors_become_temporary(error: httpx.HTTPError, fragment: str) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        raise error

    with pytest.raises(TemporaryFetchError, match=fragment):
        fetch_with(respond)


def test_unsupported_scheme_is_permanent_without_a_request() -> None:
    seen: list[httpx.Request] = []

    def respond(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    for url in ("ftp://example.nl/rss", "file:///etc/passwd", "feeds.example.nl/rss", ""):
        with pytest.raises(PermanentFetchError, match="unsupported scheme"):
            fetch_with(respond, url=url)
    assert seen == []


@pytest.mark.parametrize("url", ["https://exa\x00mple.nl/rss", "http://", "https:///rss"])
def test_invalid_url_is_permanent(url: str) -> None:
    with pytest.raises(PermanentFetchError, match="fix the url"):
        fetch_with(lambda r: httpx.Response(200), url=url)


def test_redirects_are_followed_and_final_url_reported() -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/old":
            return httpx.Response(301, headers={"Location": "/new"})
        return raw(200, b"ok")

    result = fetch_with(respond, url="https://example.nl/old")
    assert (result.url, result.body) == ("https://example.nl/new", b"ok")


def test_too_many_redirects_is_permanent() -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        hop = int(request.url.params.get("hop", "0"))
        return httpx.Response(302, headers={"Location": f"/r?hop={hop + 1}"})

    with pytest.raises(PermanentFetchError, match="too many redirects"):
        fetch_with(respond, FetchLimits(max_redirects=3), url="https://example.nl/r")


def test_gzip_body_is_decoded() -> None:
    body = "Oekraïne ".encode() * 1000
    headers = {"Content-Encoding": "gzip", "Content-Type": "text/xml"}
    result = fetch_with(lambda r: raw(200, gzip.compress(body), headers))
    assert result.body == body and result.content_type == "text/xml"


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS])
def test_deflate_body_is_decoded_with_or_without_zlib_header(wbits: int) -> None:
    body = b"<rss>" + b"nieuws " * 500 + b"</rss>"
    compressor = zlib.compressobj(wbits=wbits)
    data = compressor.compress(body) + compressor.flush()
    headers = {"Content-Encoding": "deflate"}
    assert fetch_with(lambda r: raw(200, data, headers)).body == body


def test_multi_member_gzip_is_decoded_whole() -> None:
    data = gzip.compress(b"eerste ") + gzip.compress(b"tweede")
    headers = {"Content-Encoding": "gzip"}
    assert fetch_with(lambda r: raw(200, data, headers)).body == (b"eerste tweede")


def test_body_over_cap_is_permanent() -> None:
    limits = FetchLimits(max_body_bytes=1000)
    with pytest.raises(PermanentFetchError, match=r"larger than the 0\.001 MB cap"):
        fetch_with(lambda r: raw(200, b"x" * 1001), limits)
    assert fetch_with(lambda r: raw(200, b"x" * 1000), limits).body == b"x" * 1000


def test_declared_length_over_cap_is_refused_before_reading() -> None:
    limits = FetchLimits(max_body_bytes=1000)
    response = raw(200, b"x" * 10, {"Content-Length": "5000"})
    with pytest.raises(PermanentFetchError, match="cap"):
        fetch_with(lambda r: response, limits)


def test_pre_read_mock_responses_work_and_are_capped() -> None:
    assert fetch_with(lambda r: httpx.Response(200, content=b"<rss/>")).body == b"<rss/>"
    with pytest.raises(PermanentFetchError, match="cap"):
        fetch_with(lambda r: httpx.Response(200, text="x" * 2000), FetchLimits(max_body_bytes=1000))


def test_gzip_body_over_cap_is_permanent() -> None:
    data = gzip.compress(b"\0" * 5_000_000)
    headers = {"Content-Encoding": "gzip"}
    with pytest.raises(PermanentFetchError, match="cap"):
        fetch_with(
            lambda r: raw(200, data, headers),
            FetchLimits(max_body_bytes=100_000),
        )


def test_decoder_stops_a_gzip_bomb_without_inflating_it() -> None:
    bomb = gzip.compress(b"\0" * 50_000_000, compresslevel=9)
    decoder = BodyDecoder("gzip", limit=1_000_000)
    with pytest.raises(BodyTooLargeError):
        for start in range(0, len(bomb), 65536):
            decoder.feed(bomb[start : start + 65536])
    assert decoder.decoded_bytes == 1_000_001


def test_unrequested_content_encoding_is_permanent() -> None:
    headers = {"Content-Encoding": "br"}
    with pytest.raises(PermanentFetchError, match="Content-Encoding 'br'"):
        fetch_with(lambda r: raw(200, b"\x1b\x00", headers))


def test_corrupt_gzip_is_temporary() -> None:
    headers = {"Content-Encoding": "gzip"}
    with pytest.raises(TemporaryFetchError, match="corrupt gzip"):
        fetch_with(lambda r: raw(200, b"not gzip at all", headers))


def test_fetch_errors_are_one_family() -> None:
    for error in (TemporaryFetchError("x"), PermanentFetchError("y")):
        assert isinstance(error, FetchError)
