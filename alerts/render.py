"""Rendering shared by every channel: the snippet, the Dutch timestamp and the plain-text alert.

Pure functions of an :class:`~alerts.alert.Alert`, no I/O, so a queued alert renders the same on
every retry. Channel-specific markup lives beside this module: :mod:`alerts.render_slack` (Block
Kit, mrkdwn escaping) and :mod:`alerts.render_email` (multipart text + HTML). Both build on
:func:`make_snippet`, which picks the part of the article around the matched phrases and says
which pieces to highlight; escaping is left to the caller, because Slack and HTML escape
differently.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from alerts.alert import Alert
from alerts.hits import Hit
from alerts.messages import Digest

Segment = tuple[str, bool]
"""A piece of snippet text and whether it is a matched phrase to highlight."""

TIMEZONE = ZoneInfo("Europe/Amsterdam")
ELLIPSIS = "…"
MAX_TITLE_CHARS = 300
MAX_OUTLETS_LISTED = 10
_WEEKDAYS = ("ma", "di", "wo", "do", "vr", "za", "zo")
_MONTHS = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
_SPACES = re.compile(r"\s+")

Span = tuple[int, int]


def format_published(published: datetime | None) -> str:
    """Dutch local time, e.g. ``ma 20 dec 2021 14:05``; a naive datetime is taken as UTC."""
    if published is None:
        return "tijd onbekend"
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    local = published.astimezone(TIMEZONE)
    weekday, month = _WEEKDAYS[local.weekday()], _MONTHS[local.month - 1]
    return f"{weekday} {local.day} {month} {local.year} {local:%H:%M}"


def collapse_spaces(text: str) -> str:
    """One line: runs of whitespace (newlines included) become one space."""
    return _SPACES.sub(" ", text)


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, cut at a word boundary to at most ``limit`` characters."""
    text = collapse_spaces(text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


def display_title(alert: Alert) -> str:
    """The headline as shown everywhere: one line, bounded, never empty."""
    return shorten(alert.title, MAX_TITLE_CHARS) or "(zonder titel)"


def category_labels(alert: Alert) -> str:
    """``Sancties, Invasie``; the watchlist name when no category is recorded."""
    return ", ".join(c.label for c in alert.categories) or alert.watchlist_name


def list_outlets(outlets: tuple[str, ...]) -> str:
    """``NU.nl, AD en 3 andere``: bounded however many outlets reprinted the story."""
    names = [shorten(o, 60) for o in outlets[:MAX_OUTLETS_LISTED]]
    rest = len(outlets) - len(names)
    return ", ".join(names) + (f" en {rest} andere" if rest > 0 else "")


def describe_cluster(alert: Alert) -> str:
    """``Verhaal: 5 berichten`` when the story was reported more than once, else empty."""
    size = max(alert.cluster_size, len(alert.also_reported_by) + 1)
    return f"Verhaal: {size} berichten" if size > 1 else ""


def digest_heading(digest: Digest) -> str:
    count = digest.story_count
    return f"nieuwswacht-overzicht: {count} {'verhaal' if count == 1 else 'verhalen'}"


def make_snippet(alert: Alert, width: int = 300) -> list[Segment]:
    """About ``width`` characters of the article around its matched phrases.

    Prefers hits in the text; falls back to hits in the title, then to the start of the text.
    Returns segments in reading order with ``True`` for matched phrases; whitespace is
    collapsed and ``…`` marks text cut off at either end.
    """
    for field, source in (("text", alert.text), ("title", alert.title)):
        spans = locate_spans(source, [h for h in alert.hits if h.field == field])
        if spans:
            return cut_snippet(source, spans, width)
    return cut_snippet(alert.text, [], width) if alert.text.strip() else []


def locate_spans(source: str, hits: list[Hit]) -> list[Span]:
    """Sorted, merged character spans of ``hits`` in ``source``.

    Offsets are trusted when they point at the hit's text; otherwise the phrase is searched
    for, so an alert whose article text was re-extracted still highlights something true.
    """
    spans: list[Span] = []
    lowered = source.lower()
    for hit in hits:
        if 0 <= hit.start < hit.end <= len(source) and (
            not hit.text or source[hit.start : hit.end].lower() == hit.text.lower()
        ):
            spans.append((hit.start, hit.end))
            continue
        found = lowered.find(hit.text.lower()) if hit.text.strip() else -1
        if found >= 0:
            spans.append((found, found + len(hit.text)))
    return merge_spans(spans)


def merge_spans(spans: list[Span]) -> list[Span]:
    """Overlapping or touching spans joined, in order."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def choose_window(spans: list[Span], width: int, length: int) -> Span:
    """The ``width``-character window that holds the most whole spans, with some lead-in."""
    if not spans:
        return 0, min(width, length)
    best, best_count = spans[0][0], -1
    for start, _ in spans:
        count = sum(1 for s, e in spans if s >= start and e <= start + width)
        if count > best_count:
            best, best_count = start, count
    lead = min(width // 4, best)
    begin = max(0, best - lead)
    return begin, min(length, begin + width)


def snap_window(source: str, begin: int, end: int, spans: list[Span]) -> Span:
    """Move the window edges to word boundaries without cutting into a highlighted phrase."""
    if begin > 0:
        first_hit = min((s for s, _ in spans if s >= begin), default=end)
        space = source.find(" ", begin, first_hit)
        begin = space + 1 if space >= 0 else begin
    if end < len(source):
        last_hit = max((e for _, e in spans if e <= end), default=begin)
        space = source.rfind(" ", last_hit, end)
        end = space if space > begin else end
    return begin, end


def cut_snippet(source: str, spans: list[Span], width: int) -> list[Segment]:
    """Cut ``source`` to a window around ``spans`` and split it into highlight segments."""
    begin, end = choose_window(spans, width, len(source))
    begin, end = snap_window(source, begin, end, spans)
    segments: list[Segment] = [(ELLIPSIS, False)] if begin > 0 else []
    position = begin
    for start, stop in spans:
        start, stop = max(start, begin), min(stop, end)
        if start >= stop:
            continue
        segments.append((source[position:start], False))
        segments.append((source[start:stop], True))
        position = stop
    segments.append((source[position:end], False))
    if end < len(source):
        segments.append((ELLIPSIS, False))
    return tidy_segments(segments)


def tidy_segments(segments: list[Segment]) -> list[Segment]:
    """Whitespace collapsed, empty pieces dropped, outer whitespace trimmed."""
    tidy = [(collapse_spaces(text), marked) for text, marked in segments]
    tidy = [(text, marked) for text, marked in tidy if text]
    if tidy and not tidy[0][1]:
        tidy[0] = (tidy[0][0].lstrip(), False)
    if tidy and not tidy[-1][1]:
        tidy[-1] = (tidy[-1][0].rstrip(), False)
    return [(text, marked) for text, marked in tidy if text]


def render_snippet_text(segments: list[Segment]) -> str:
    """A snippet as plain text, matched phrases in ``*stars*``."""
    return "".join(f"*{text}*" if marked else text for text, marked in segments)


def render_text(alert: Alert) -> str:
    """A readable multi-line alert for the console and the plain-text part of an email."""
    lines = [
        f"[{category_labels(alert)}] {display_title(alert)}",
        f"{shorten(alert.outlet, 100)} · {format_published(alert.published)}",
        alert.url,
        "",
    ]
    snippet = render_snippet_text(make_snippet(alert))
    if snippet:
        lines += [snippet, ""]
    if alert.also_reported_by:
        lines.append(f"Ook gemeld door: {list_outlets(alert.also_reported_by)}")
    if describe_cluster(alert):
        lines.append(describe_cluster(alert))
    lines.append(f"Watchlist: {shorten(alert.watchlist_name, 100)}")
    return "\n".join(lines) + "\n"


def render_digest_text(digest: Digest) -> str:
    """A digest as plain text: a heading, then every story as in :func:`render_text`."""
    parts = [f"{digest_heading(digest)} ({format_published(digest.created_at)})", ""]
    for number, alert in enumerate(digest.alerts, start=1):
        parts.append(f"{number}. {render_text(alert)}")
    return "\n".join(parts)
