"""The fetch stage: one polite, bounded HTTP GET per feed or article page.

A single shared ``httpx.AsyncClient`` does conditional GETs (``If-None-Match`` /
``If-Modified-Since`` → 304 means "nothing new"), follows a limited number of redirects and sends
a clear User-Agent. Every limit lives in :class:`FetchLimits`:

* connect and read timeouts per socket operation, and an overall ``deadline`` per fetch around the
  whole streamed read, so a server that trickles one byte a second is cut off even though each read
  is within the read timeout;
* ``max_body_bytes`` applied to the *decoded* body while streaming: we decompress gzip/deflate
  ourselves with a bounded output budget, so a gzip bomb (50 MB of zeros in 50 kB) is stopped after
  at most the cap plus one byte, never inflated whole.

httpx exceptions never escape: they become :class:`~crawler.errors.TemporaryFetchError` (try again
later; carries ``retry_after`` from a ``Retry-After`` header) or
:class:`~crawler.errors.PermanentFetchError` (a human must fix the source).
"""

from __future__ import annotations

import asyncio
import email.utils
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from urllib.parse import urlsplit

import httpx

from crawler.decoding import BodyDecoder, BodyTooLargeError, content_coding
from crawler.errors import FetchError, PermanentFetchError, TemporaryFetchError

DEFAULT_USER_AGENT = "nieuwswacht/0.1 (Dutch news monitor; polls RSS feeds politely)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5"
)
MAX_RETRY_AFTER = 86400.0  # a server asking for more than a day is treated as asking for a day
_TEMPORARY_STATUSES = frozenset({408, 425, 429})
_MB = 1_000_000


@dataclass(frozen=True)
class FetchResult:
    """What one GET produced. ``url`` is the final URL after redirects; ``body`` is decoded."""

    url: str
    status: int
    body: bytes
    etag: str | None
    last_modified: str | None
    not_modified: bool
    content_type: str | None


@dataclass(frozen=True)
class FetchLimits:
    """Timeouts (seconds), caps and identity for every fetch."""

    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    deadline: float = 60.0
    max_body_bytes: int = 10_000_000
    max_redirects: int = 5
    user_agent: str = DEFAULT_USER_AGENT


class Fetcher:
    """Fetches URLs with one shared client; use as ``async with Fetcher(limits) as fetcher``."""

    def __init__(
        self, limits: FetchLimits, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._limits = limits
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(limits.read_timeout, connect=limits.connect_timeout),
            follow_redirects=True,
            max_redirects=limits.max_redirects,
            headers={
                "User-Agent": limits.user_agent,
                "Accept": ACCEPT,
                "Accept-Encoding": "gzip, deflate",
            },
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the shared client and its connections."""
        await self._client.aclose()

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET ``url`` (conditionally when ``etag``/``last_modified`` are known)."""
        check_scheme(url)
        headers = conditional_headers(etag, last_modified)
        try:
            async with asyncio.timeout(self._limits.deadline):
                return await self._get(url, headers, etag, last_modified)
        except TimeoutError:
            raise TemporaryFetchError(
                f"fetching {url} took longer than the {self._limits.deadline:g}s deadline; "
                "the site is too slow right now, will retry later"
            ) from None
        except httpx.HTTPError as exc:
            raise translate_error(exc, url) from None
        except httpx.InvalidURL as exc:
            raise PermanentFetchError(f"invalid url {url!r} ({exc}); fix the url") from None

    async def _get(
        self, url: str, headers: dict[str, str], etag: str | None, last_modified: str | None
    ) -> FetchResult:
        async with self._client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return not_modified_result(response, etag, last_modified)
            check_status(response, url)
            body = await read_body(response, self._limits.max_body_bytes, url)
            return FetchResult(
                url=str(response.url),
                status=response.status_code,
                body=body,
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
                not_modified=False,
                content_type=response.headers.get("content-type"),
            )


def check_scheme(url: str) -> None:
    """Only absolute http and https URLs are fetched; anything else is a configuration mistake."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise PermanentFetchError(
            f"cannot fetch {url!r}: unsupported scheme {scheme or '(none)'!r}; "
            "use an http:// or https:// address"
        )
    if not parts.hostname:
        raise PermanentFetchError(f"cannot fetch {url!r}: the url has no host; fix the url")


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """The validators of the previous response, so an unchanged feed costs a 304."""
    headers: dict[str, str] = {}
    if etag and etag.isprintable():  # a stored hostile value must not break every later poll
        headers["If-None-Match"] = etag
    if last_modified and last_modified.isprintable():
        headers["If-Modified-Since"] = last_modified
    return headers


def not_modified_result(
    response: httpx.Response, etag: str | None, last_modified: str | None
) -> FetchResult:
    """A 304: keep the validators we sent unless the server sent fresh ones."""
    return FetchResult(
        url=str(response.url),
        status=304,
        body=b"",
        etag=response.headers.get("etag") or etag,
        last_modified=response.headers.get("last-modified") or last_modified,
        not_modified=True,
        content_type=response.headers.get("content-type"),
    )


def check_status(response: httpx.Response, url: str) -> None:
    """Raise the right FetchError for any status other than 2xx."""
    status = response.status_code
    if 200 <= status < 300:
        return
    where = describe_url(url, str(response.url))
    if status >= 500 or status in _TEMPORARY_STATUSES:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        raise TemporaryFetchError(
            f"HTTP {status} from {where}: {temporary_reason(status)}; "
            f"will retry {f'in {retry_after:g}s' if retry_after is not None else 'later'}",
            retry_after=retry_after,
        )
    raise PermanentFetchError(f"HTTP {status} from {where}: {permanent_reason(status)}")


def temporary_reason(status: int) -> str:
    """Why a temporary status happened, in words."""
    if status == 429:
        return "the site asks us to slow down"
    if status == 408:
        return "the site timed out waiting for our request"
    return "the site has a server error"


def permanent_reason(status: int) -> str:
    """What a person should do about a permanent status."""
    if status == 404:
        return "the feed moved or was removed; fix the url in seeds/feeds.yaml"
    if status == 410:
        return (
            "the site says it is gone for good; remove it from seeds/feeds.yaml or find its new url"
        )
    if status in (401, 403):
        return "the site refuses our requests (login needed or client blocked); check the url"
    if 300 <= status < 400:
        return "a redirect without a usable Location header; fix the url in seeds/feeds.yaml"
    return "the site rejected the request; check the url in seeds/feeds.yaml"


def describe_url(url: str, final: str) -> str:
    """The configured URL, plus where redirects ended when that differs."""
    return url if final == url else f"{url} (redirected to {final})"


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), capped."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return min(float(text), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def translate_error(exc: httpx.HTTPError, url: str) -> FetchError:
    """Map an httpx exception onto our tree, with a message a person can act on."""
    if isinstance(exc, httpx.TooManyRedirects):
        return PermanentFetchError(
            f"too many redirects from {url} (a redirect loop?); fix the url in seeds/feeds.yaml"
        )
    if isinstance(exc, httpx.UnsupportedProtocol):
        return PermanentFetchError(f"{url} redirects to an unsupported scheme ({exc}); fix the url")
    if isinstance(exc, httpx.ConnectTimeout):
        return TemporaryFetchError(f"connecting to {url} timed out; will retry later")
    if isinstance(exc, httpx.TimeoutException):
        return TemporaryFetchError(f"{url} stopped sending data (read timeout); will retry later")
    if isinstance(exc, httpx.ConnectError):
        return TemporaryFetchError(
            f"cannot connect to {url} ({exc or 'connection refused'}); will retry later"
        )
    return TemporaryFetchError(f"fetching {url} failed ({type(exc).__name__}: {exc}); will retry")


async def read_body(response: httpx.Response, limit: int, url: str) -> bytes:
    """Stream and decode the body, stopping as soon as the decoded size passes ``limit``."""
    coding = content_coding(response, url)
    declared = response.headers.get("content-length", "")
    decoder = BodyDecoder(coding, limit)
    try:
        if coding == "identity" and declared.isdigit() and int(declared) > limit:
            raise BodyTooLargeError
        if response.is_stream_consumed:  # pre-read (MockTransport with content=): httpx decoded it
            BodyDecoder("identity", limit).feed(response.content)
            return response.content
        async for chunk in response.aiter_raw():
            decoder.feed(chunk)
        return decoder.finish()
    except BodyTooLargeError:
        raise PermanentFetchError(
            f"the body of {url} is larger than the {limit / _MB:g} MB cap; "
            "it is not a news feed or article, check the url"
        ) from None
    except zlib.error as exc:
        raise TemporaryFetchError(
            f"{url} sent a corrupt {coding} body ({exc}); will retry later"
        ) from None
