"""Alert → Slack incoming-webhook payload (Block Kit plus a plain ``text`` fallback).

Everything from an article (title, outlet, snippet, URL) is untrusted. Slack's mrkdwn reads
``<...>`` as links and mentions (``<!channel>``, ``<@U123>``, ``<https://x|y>``) and ``*_~```
as formatting, so :func:`escape_mrkdwn` turns ``&<>`` into the three entities Slack documents,
swaps the formatting characters for look-alikes, and breaks ``@here``/``@channel``/``@everyone``
with a zero-width joiner: a headline reaches Slack as plain text and notifies no one.

Slack's limits are kept by construction: at most six blocks, section text far below 3000
characters (the title and snippet are cut before escaping, so no entity is cut in half).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit

from alerts.alert import Alert
from alerts.messages import Digest
from alerts.render import (
    Segment,
    category_labels,
    describe_cluster,
    digest_heading,
    display_title,
    format_published,
    list_outlets,
    make_snippet,
    shorten,
)

SECTION_TEXT_LIMIT = 3000
HEADER_TEXT_LIMIT = 150
MAX_BLOCKS = 50
MAX_DIGEST_STORIES = 24  # header + 2 blocks each + "en N meer" = 50 blocks
NOTICE_TEXT_CHARS = 500  # escaping may grow text fivefold (& → &amp;): stays under 3000
ZWJ = "\u200d"
_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# Look-alikes: Slack has no backslash escape for mrkdwn formatting characters.
_FORMATTING = str.maketrans({"*": "∗", "_": "ˍ", "~": "∼", "`": "ˋ"})
_BROADCAST = re.compile(r"@(?=(here|channel|everyone)\b)", re.IGNORECASE)
_URL_UNSAFE = "<>|\"' \t\r\n"


def escape_mrkdwn(text: str) -> str:
    """Untrusted text made inert for a mrkdwn field: no links, mentions or formatting."""
    text = text.translate(_FORMATTING).translate(_ENTITIES)
    return neutralise_broadcasts(text)


def neutralise_broadcasts(text: str) -> str:
    """``@here`` → ``@\u200dhere``: still readable, no longer a notification to everyone."""
    return _BROADCAST.sub("@" + ZWJ, text)


def escape_plain(text: str) -> str:
    """Untrusted text for a ``plain_text`` object: Slack shows it verbatim, mentions aside."""
    return neutralise_broadcasts(text)


def safe_link_target(url: str) -> str | None:
    """The URL ready for ``<url|text>``, or None when it is not http(s)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    encoded = "".join(quote(ch) if ch in _URL_UNSAFE else ch for ch in url.strip())
    return encoded.translate(_ENTITIES)


def format_link(url: str, text: str) -> str:
    """``<url|text>`` with the text escaped (``|`` and ``>`` included); plain text if no URL."""
    target = safe_link_target(url)
    label = escape_mrkdwn(text).replace("|", "¦")
    return f"<{target}|{label}>" if target else label


def format_snippet(segments: list[Segment]) -> str:
    """Snippet as mrkdwn: matched phrases in bold, everything else escaped."""
    parts: list[str] = []
    for text, marked in segments:
        if not marked:
            parts.append(escape_mrkdwn(text))
            continue
        core = text.strip()
        lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
        parts.append(f"{lead}*{escape_mrkdwn(core)}*{trail}" if core else text)
    return "".join(parts)


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text[:SECTION_TEXT_LIMIT]}


def build_blocks(alert: Alert) -> list[dict[str, Any]]:
    """Title link, where and when, categories, snippet, reprints, watchlist."""
    title = format_link(alert.url, display_title(alert))
    meta = f"{escape_mrkdwn(shorten(alert.outlet, 100))} · {format_published(alert.published)}"
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": mrkdwn(f"*{title}*")},
        {"type": "context", "elements": [mrkdwn(meta)]},
        {
            "type": "section",
            "text": mrkdwn(f"*Categorieën:* {escape_mrkdwn(category_labels(alert))}"),
        },
    ]
    snippet = format_snippet(make_snippet(alert))
    if snippet:
        blocks.append({"type": "section", "text": mrkdwn(f">{snippet}")})
    footer = [f"Watchlist: {escape_mrkdwn(shorten(alert.watchlist_name, 100))}"]
    if describe_cluster(alert):
        footer.insert(0, describe_cluster(alert))
    if alert.also_reported_by:
        footer.insert(0, f"Ook gemeld door: {escape_mrkdwn(list_outlets(alert.also_reported_by))}")
    blocks.append({"type": "context", "elements": [mrkdwn(line) for line in footer]})
    return blocks[:MAX_BLOCKS]


def render_fallback(alert: Alert) -> str:
    """The notification text (and what clients without Block Kit show)."""
    title = escape_mrkdwn(display_title(alert))
    return f"{escape_mrkdwn(category_labels(alert))}: {title} ({escape_mrkdwn(alert.outlet)})"


def render_slack(alert: Alert) -> dict[str, Any]:
    """The JSON body to POST to an incoming webhook for ``alert``."""
    return {
        "text": render_fallback(alert),
        "blocks": build_blocks(alert),
        "unfurl_links": False,
        "unfurl_media": False,
    }


def digest_story_blocks(alert: Alert) -> list[dict[str, Any]]:
    """One story of a digest in two blocks: what and why, then where else and how big."""
    title = format_link(alert.url, shorten(display_title(alert), 150))
    meta = f"{escape_mrkdwn(shorten(alert.outlet, 60))} · {format_published(alert.published)}"
    lines = [f"*{title}*", f"{meta} · *{escape_mrkdwn(category_labels(alert))}*"]
    snippet = format_snippet(make_snippet(alert, width=200))
    if snippet:
        lines.append(f">{snippet}")
    footer = [line for line in (describe_cluster(alert),) if line]
    if alert.also_reported_by:
        footer.append(f"Ook gemeld door: {escape_mrkdwn(list_outlets(alert.also_reported_by))}")
    footer.append(f"Watchlist: {escape_mrkdwn(shorten(alert.watchlist_name, 100))}")
    return [
        {"type": "section", "text": mrkdwn("\n".join(lines))},
        {"type": "context", "elements": [mrkdwn(line) for line in footer]},
    ]


def render_slack_digest(digest: Digest) -> dict[str, Any]:
    """A digest as one message: a header and two blocks per story, within 50 blocks."""
    heading = digest_heading(digest)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": heading}}
    ]
    shown = digest.alerts[:MAX_DIGEST_STORIES]
    for alert in shown:
        blocks.extend(digest_story_blocks(alert))
    if len(digest.alerts) > len(shown):
        rest = len(digest.alerts) - len(shown)
        blocks.append({"type": "context", "elements": [mrkdwn(f"… en {rest} verhalen meer")]})
    return {
        "text": heading,
        "blocks": blocks[:MAX_BLOCKS],
        "unfurl_links": False,
        "unfurl_media": False,
    }


def render_slack_notice(subject: str, text: str) -> dict[str, Any]:
    """An operational notice (e.g. a dead letter) as a plain message; both parts escaped."""
    subject = shorten(subject, HEADER_TEXT_LIMIT - 10)
    body = escape_mrkdwn(text[:NOTICE_TEXT_CHARS])
    return {
        "text": f"{escape_mrkdwn(subject)}\n{body}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": escape_plain(subject)}},
            {"type": "section", "text": mrkdwn(body or " ")},
        ],
    }
