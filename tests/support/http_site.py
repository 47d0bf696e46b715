"""A real HTTP server on 127.0.0.1 for integration tests: feeds, article pages, odd behaviours.

    with LocalSite() as site:                       # or the ``local_site`` pytest fixture
        site.set("/feed.xml", make_rss([...]), etag='"v1"')   # If-None-Match: "v1" → 304
        site.set_handler("/slow", trickle(b"<rss>...", interval=0.2))
        url = site.url("/feed.xml")
        ...
        assert site.requests_for("/feed.xml")[0].headers["user-agent"].startswith("nieuwswacht")

Routes match the exact path with query first, then the path alone; unknown paths answer 404.
Handlers get a :class:`SiteRequest` (method, path, headers, body) and answer with
``request.send(...)`` or write to ``request.wfile`` for raw behaviours. Ready-made handlers:
:func:`trickle`, :func:`gzip_bomb`, :func:`redirect`, :func:`status`, :func:`sequence`.
``make_rss`` / ``make_atom`` build feeds from plain dicts.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

import pytest

RSS_TYPE = "application/rss+xml; charset=utf-8"


class SeenRequest(NamedTuple):
    """One request the site received; header names are lowercased."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass
class SiteRequest:
    """What a handler sees, plus ways to answer."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    handler: BaseHTTPRequestHandler

    @property
    def wfile(self) -> Any:
        return self.handler.wfile

    def send(
        self,
        status: int = 200,
        body: bytes | str = b"",
        headers: Mapping[str, str] | None = None,
        *,
        content_type: str | None = "text/plain; charset=utf-8",
    ) -> None:
        """A complete response with Content-Length."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.handler.send_response(status)
        all_headers = {"Content-Type": content_type} if content_type else {}
        all_headers.update(headers or {})
        for name, value in all_headers.items():
            self.handler.send_header(name, value)
        if not any(name.lower() == "content-length" for name in all_headers):
            self.handler.send_header("Content-Length", str(len(data)))
        self.handler.end_headers()
        if self.method != "HEAD" and data:
            self.handler.wfile.write(data)


Handler = Callable[[SiteRequest], None]


@dataclass
class _Static:
    body: bytes
    status: int
    headers: dict[str, str]
    content_type: str | None
    etag: str | None
    last_modified: str | None
    gzip: bool

    def __call__(self, request: SiteRequest) -> None:
        validators = {"ETag": self.etag, "Last-Modified": self.last_modified}
        validators_sent = {k: v for k, v in validators.items() if v}
        if self._not_modified(request):
            request.send(304, b"", validators_sent, content_type=None)
            return
        body, headers = self.body, {**validators_sent, **self.headers}
        if self.gzip and "gzip" in request.headers.get("accept-encoding", ""):
            body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
        request.send(self.status, body, headers, content_type=self.content_type)

    def _not_modified(self, request: SiteRequest) -> bool:
        if self.etag and request.headers.get("if-none-match") == self.etag:
            return True
        since = request.headers.get("if-modified-since")
        return bool(self.last_modified and since == self.last_modified)


class LocalSite:
    """A threaded HTTP server on 127.0.0.1 with a free port; start with ``with``."""

    def __init__(self) -> None:
        self._routes: dict[str, Handler] = {}
        self._seen: list[SeenRequest] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler_class(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,))
        self._thread.daemon = True

    def __enter__(self) -> LocalSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path if path.startswith('/') else '/' + path}"

    def set(
        self,
        path: str,
        body: bytes | str,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        content_type: str | None = RSS_TYPE,
        etag: str | None = None,
        last_modified: str | None = None,
        gzip: bool = False,
    ) -> None:
        """Serve a fixed body at ``path`` (replacing what was there)."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        static = _Static(data, status, dict(headers or {}), content_type, etag, last_modified, gzip)
        self.set_handler(path, static)

    def set_handler(self, path: str, handler: Handler) -> None:
        with self._lock:
            self._routes[path] = handler

    def remove(self, path: str) -> None:
        with self._lock:
            self._routes.pop(path, None)

    @property
    def requests(self) -> list[SeenRequest]:
        with self._lock:
            return list(self._seen)

    def requests_for(self, path: str) -> list[SeenRequest]:
        return [r for r in self.requests if urlsplit(r.path).path == path or r.path == path]

    def wait_for_requests(self, path: str, count: int = 1, timeout: float = 10.0) -> None:
        """Poll until ``path`` was requested ``count`` times; AssertionError after ``timeout``."""
        deadline = time.monotonic() + timeout
        while len(self.requests_for(path)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{path} requested {len(self.requests_for(path))}x")
            time.sleep(0.01)

    def _dispatch(self, request: SiteRequest) -> None:
        with self._lock:
            self._seen.append(SeenRequest(request.method, request.path, request.headers))
            handler = self._routes.get(request.path) or self._routes.get(
                urlsplit(request.path).path
            )
        if handler is None:
            request.send(404, b"not found")
        else:
            handler(request)


def _make_handler_class(site: LocalSite) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                site._dispatch(SiteRequest(self.command, self.path, headers, body, self))
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return _Handler


# --- ready-made behaviours -------------------------------------------------------------------


def status(code: int, body: bytes | str = b"", headers: Mapping[str, str] | None = None) -> Handler:
    """Always answer ``code`` (e.g. 500, or 429 with ``{"Retry-After": "120"}``)."""
    return lambda request: request.send(code, body, headers)


def redirect(location: str, code: int = 302) -> Handler:
    """Redirect to ``location`` (a path on this site or an absolute URL)."""
    return lambda request: request.send(code, b"", {"Location": location})


def sequence(handlers: Sequence[Handler]) -> Handler:
    """Use each handler once in turn, then keep using the last (e.g. 500, then 200)."""
    remaining = list(handlers)
    lock = threading.Lock()

    def handle(request: SiteRequest) -> None:
        with lock:
            current = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        current(request)

    return handle


def trickle(body: bytes, interval: float = 0.2, content_type: str = RSS_TYPE) -> Handler:
    """Send ``body`` one byte every ``interval`` seconds (stops when the client goes away)."""

    def handle(request: SiteRequest) -> None:
        handler = request.handler
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.flush()
        for byte in body:
            time.sleep(interval)
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()

    return handle


def gzip_bomb(decoded_size: int = 50_000_000, content_type: str = RSS_TYPE) -> Handler:
    """A small gzip body that inflates to ``decoded_size`` zero bytes."""
    bomb = gzip.compress(b"\0" * decoded_size, compresslevel=9)

    def handle(request: SiteRequest) -> None:
        request.send(200, bomb, {"Content-Encoding": "gzip"}, content_type=content_type)

    return handle


# --- feed builders ---------------------------------------------------------------------------


def _rfc822(value: datetime | str) -> str:
    return value if isinstance(value, str) else format_datetime(value.astimezone(UTC), usegmt=True)


def _iso(value: datetime | str) -> str:
    return value if isinstance(value, str) else value.astimezone(UTC).isoformat()


def _rss_item(item: Mapping[str, Any]) -> Iterator[str]:
    yield "<item>"
    if "title" in item:
        yield f"<title>{escape(item['title'])}</title>"
    if item.get("link"):
        yield f"<link>{escape(item['link'])}</link>"
    if item.get("guid"):
        permalink = "true" if item.get("guid_is_permalink") else "false"
        yield f'<guid isPermaLink="{permalink}">{escape(item["guid"])}</guid>'
    if "description" in item:
        yield f"<description>{escape(item['description'])}</description>"
    if "content" in item:
        yield f"<content:encoded><![CDATA[{item['content']}]]></content:encoded>"
    if item.get("published"):
        yield f"<pubDate>{_rfc822(item['published'])}</pubDate>"
    if item.get("enclosure"):
        yield f'<enclosure url={quoteattr(item["enclosure"])} type="image/jpeg" length="0"/>'
    yield "</item>"


def make_rss(
    items: Sequence[Mapping[str, Any]],
    *,
    title: str = "Testnieuws",
    link: str = "http://127.0.0.1/",
    description: str = "Nieuws om mee te testen",
) -> bytes:
    """RSS 2.0, UTF-8. Item keys: title, link, guid, guid_is_permalink, description (HTML
    allowed, escaped for you), content (content:encoded), published (datetime|str), enclosure."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">',
        f"<channel><title>{escape(title)}</title><link>{escape(link)}</link>",
        f"<description>{escape(description)}</description><language>nl</language>",
    ]
    for item in items:
        parts.extend(_rss_item(item))
    parts.append("</channel></rss>")
    return "\n".join(parts).encode("utf-8")


def make_atom(
    entries: Sequence[Mapping[str, Any]],
    *,
    title: str = "Testnieuws",
    feed_id: str = "urn:nieuwswacht:test",
    updated: datetime | str | None = None,
) -> bytes:
    """Atom 1.0, UTF-8. Entry keys: id, title, link, summary, content (HTML), published,
    updated (datetime|str)."""
    stamp = _iso(updated or datetime(2024, 1, 1, tzinfo=UTC))
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="nl">',
        f"<title>{escape(title)}</title><id>{escape(feed_id)}</id><updated>{stamp}</updated>",
    ]
    for entry in entries:
        parts.append("<entry>")
        if entry.get("id"):
            parts.append(f"<id>{escape(entry['id'])}</id>")
        parts.append(f"<title>{escape(entry.get('title', ''))}</title>")
        if entry.get("link"):
            parts.append(f'<link rel="alternate" href={quoteattr(entry["link"])}/>')
        for key in ("published", "updated"):
            if entry.get(key):
                parts.append(f"<{key}>{_iso(entry[key])}</{key}>")
        if "summary" in entry:
            parts.append(f'<summary type="html">{escape(entry["summary"])}</summary>')
        if "content" in entry:
            parts.append(f'<content type="html">{escape(entry["content"])}</content>')
        parts.append("</entry>")
    parts.append("</feed>")
    return "\n".join(parts).encode("utf-8")


@pytest.fixture
def local_site() -> Iterator[LocalSite]:
    """A started :class:`LocalSite`, shut down after the test."""
    with LocalSite() as site:
        yield site
