"""The parse stage: feed bytes → :class:`~crawler.entry.Entry` objects, via feedparser.

feedparser reads RSS 0.9x/1.0/2.0 and Atom, sniffs encodings (``text/xml`` without a charset,
windows-1252 declared in the XML prolog) and copes with malformed XML. We hand it the body as a
``BytesIO`` only: given ``bytes`` or ``str`` it may treat them as a file path or URL and read the
disk or the network. No response headers go in either: with them feedparser resolves bare GUIDs
(``dmf20240306_010``) against the feed URL, changing a GUID whenever the feed URL changes, and a
``text/xml`` without charset would override its (better) encoding sniffing. Relative links are
resolved here, against the final URL of the fetch (``xml:base`` is still honoured by feedparser).

What comes out is normalised for the rest of the pipeline: links absolute and canonical
(:func:`crawler.urls.canonical_url`), ``guid`` the feed's id or else the canonical URL,
``published`` a UTC-aware datetime, titles unescaped with whitespace collapsed, summaries (HTML in
most Dutch feeds) as plain text. A feed that is malformed but still yields entries is accepted
with a warning; bytes that are not a feed at all raise :class:`~crawler.errors.ParseError`.
"""

from __future__ import annotations

import calendar
import html
import io
import logging
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import feedparser

from crawler.entry import Entry
from crawler.errors import ParseError
from crawler.sources import Source
from crawler.urls import canonical_url

log = logging.getLogger(__name__)

TITLE_FALLBACK_CHARS = 100
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\s*\n\s*")
_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}
    | {"tr", "table", "section", "article", "figure", "figcaption", "hr", "pre"}
)
# feedparser "bozo" reasons that only say it had to guess the encoding; the entries are fine.
_BENIGN_PROBLEMS = frozenset({"CharacterEncodingOverride", "NonXMLContentType"})
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "iframe"})


def parse_feed(body: bytes, source: Source, *, base_url: str) -> list[Entry]:
    """Parse one feed body; raise ParseError when it is not a feed at all."""
    parsed = feedparser.parse(io.BytesIO(body))
    check_feed(parsed, source, base_url)
    entries: list[Entry] = []
    seen: set[str] = set()
    for raw in parsed.entries:
        entry = build_entry(raw, source, base_url)
        if entry is not None and entry.guid not in seen:
            seen.add(entry.guid)
            entries.append(entry)
    return entries


def check_feed(parsed: Any, source: Source, base_url: str) -> None:
    """Reject non-feeds; log malformed feeds that still gave us something."""
    exception = parsed.get("bozo_exception") if parsed.get("bozo") else None
    problem = f"{type(exception).__name__}: {exception}" if exception else ""
    if not parsed.get("version") and not parsed.entries:
        raise ParseError(
            f"{base_url} (source {source.id}) did not return an RSS or Atom feed"
            f"{f' ({problem})' if problem else ''}; the url may point at a web page, "
            "find the feed address and fix it in seeds/feeds.yaml"
        )
    if exception is not None and type(exception).__name__ in _BENIGN_PROBLEMS:
        log.debug("feed encoding sniffed", extra={"source": source.id, "problem": problem})
    elif problem:
        log.warning(
            "feed is malformed but usable",
            extra={"source": source.id, "url": base_url, "problem": problem},
        )


def build_entry(raw: Any, source: Source, base_url: str) -> Entry | None:
    """One feedparser entry → Entry, or None (logged) when it has neither link nor id."""
    link = find_link(raw)
    url = canonical_url(link, base_url) if link else ""
    guid = clean_text(str(raw.get("id") or ""))
    if not url and looks_like_url(guid):
        url = canonical_url(guid, base_url)
    if not guid:
        guid = url
    if not guid:
        log.info(
            "feed entry without link or guid skipped",
            extra={"source": source.id, "url": base_url, "title": raw.get("title", "")},
        )
        return None
    summary = html_to_text(str(raw.get("summary") or ""))
    return Entry(
        source_id=source.id,
        guid=guid,
        url=url,
        title=build_title(raw, summary),
        summary=summary,
        text=content_text(raw, summary),
        published=find_published(raw),
        outlet=source.outlet,
        full_text=source.full_text,
    )


def find_link(raw: Any) -> str:
    """The article link: ``link``, else the first alternate/any ``links`` href."""
    link = str(raw.get("link") or "").strip()
    if link:
        return link
    for candidate in raw.get("links", []):
        if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
            return str(candidate["href"]).strip()
    return ""


def looks_like_url(value: str) -> bool:
    """True for absolute http(s) URLs (guids that double as permalinks)."""
    return value.lower().startswith(("http://", "https://"))


def build_title(raw: Any, summary: str) -> str:
    """Unescaped, tag-free, single-line title; the summary's start when the feed has none."""
    title = clean_text(html_to_text(str(raw.get("title") or "")))
    if title:
        return title
    text = clean_text(summary)
    if len(text) <= TITLE_FALLBACK_CHARS:
        return text
    return text[:TITLE_FALLBACK_CHARS].rsplit(" ", 1)[0] + "…"


def content_text(raw: Any, summary: str) -> str:
    """Full text the feed itself carries (``content:encoded``, Atom content), if longer."""
    best = ""
    for content in raw.get("content", []):
        text = html_to_text(str(content.get("value") or ""))
        if len(text) > len(best):
            best = text
    return best if len(best) > len(summary) else ""


def find_published(raw: Any) -> datetime | None:
    """Publication (else update) time as UTC; feedparser already normalised it to UTC."""
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = raw.get(key)
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), UTC)
            except (TypeError, ValueError, OverflowError):
                continue
    return None


def clean_text(text: str) -> str:
    """Unescape entities and collapse all whitespace to single spaces."""
    return " ".join(html.unescape(text).split())


def html_to_text(markup: str) -> str:
    """Plain text from an HTML fragment: block elements become line breaks, no tags, no scripts."""
    if "<" not in markup and "&" not in markup:
        return _BLANK_LINES.sub("\n", _SPACES.sub(" ", markup)).strip()
    collector = _TextCollector()
    try:
        collector.feed(markup)
        collector.close()
    except Exception:  # HTMLParser is lenient, but hostile input must never stop a poll
        log.warning("summary HTML could not be parsed", exc_info=True)
        return clean_text(re.sub(r"<[^>]*>", " ", markup))
    return collector.text()


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self._parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self._parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._parts.append(data)

    def text(self) -> str:
        joined = _SPACES.sub(" ", "".join(self._parts))
        return _BLANK_LINES.sub("\n", joined).strip()
