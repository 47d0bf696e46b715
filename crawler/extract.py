"""The extract stage: an article page's HTML → main text, title and publication date.

Used for sources with ``full_text: true`` whose feeds carry only a teaser. Extraction is done by
``trafilatura`` on HTML we already fetched (with :mod:`crawler.fetcher`, so every size cap and
timeout applies); this module is pure and never touches the network: it never calls trafilatura's
``fetch_url`` and hands it the document, not a URL. The date comes from htmldate via trafilatura
(``article:published_time`` and friends), normalised to UTC.

It is CPU-bound (lxml): callers run it in a worker thread. It never raises on hostile input; a
page it cannot read gives ``None`` and a log line, and the caller falls back to the feed summary.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import trafilatura

log = logging.getLogger(__name__)

MAX_HTML_CHARS = 5_000_000  # larger pages are cut: article text is near the top anyway
_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
_DATE_PARAMS = {"outputformat": _DATE_FORMAT, "original_date": True, "extensive_search": False}


@dataclass(frozen=True)
class Extracted:
    """What an article page yielded. ``published`` is UTC-aware or None."""

    title: str
    text: str
    published: datetime | None


def extract_article(html: bytes | str, url: str) -> Extracted | None:
    """Extract the main text of one article page, or None when there is none."""
    try:
        document = run_trafilatura(html[:MAX_HTML_CHARS], url)
    except Exception as exc:  # a library bug on odd input must not stop a poll
        log.warning("article extraction failed", extra={"url": url, "problem": repr(exc)})
        return None
    if document is None:
        log.info("article page has no extractable text", extra={"url": url})
        return None
    title = " ".join(str(getattr(document, "title", None) or "").split())
    text = drop_title_line(str(getattr(document, "text", None) or "").strip(), title)
    if not text:
        log.info("article page has no extractable text", extra={"url": url})
        return None
    published = parse_date(getattr(document, "date", None))
    return Extracted(title=title, text=text, published=published)


def run_trafilatura(html: bytes | str, url: str) -> Any:
    """trafilatura on a document in memory: main text only, with metadata, no comments."""
    if not html or not html.strip():
        return None
    return trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        date_extraction_params=dict(_DATE_PARAMS),
    )


def drop_title_line(text: str, title: str) -> str:
    """trafilatura repeats the headline as the first line of the text; keep it only once."""
    first, _, rest = text.partition("\n")
    if title and first.strip() == title and rest.strip():
        return rest.strip()
    return text


def parse_date(value: object) -> datetime | None:
    """htmldate's string (with or without time and offset) → UTC datetime."""
    if not isinstance(value, str) or not value.strip():
        return None
    for fmt in (_DATE_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(value.strip(), fmt)
        except ValueError:
            continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    return None
