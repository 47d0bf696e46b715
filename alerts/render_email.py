"""Alert → email: a UTF-8 multipart/alternative message (plain text + HTML).

Headers make mail clients treat alerts well: a stable ``Message-ID`` per alert (a retried
delivery is recognisably the same message), ``List-Id`` per watchlist (so users can filter),
``Auto-Submitted`` (RFC 3834: no vacation replies), and ``References``/``In-Reply-To`` naming
a synthetic root message per story (``<story-{id}@nieuwswacht.local>``), so that a story's
first alert, its new-category alerts and mail clients' threads line up. Every piece of
article text is passed through :func:`html.escape` in the HTML part; no markup from an
article ever reaches it, and the subject is one line, so a headline cannot inject headers.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

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
    render_digest_text,
    render_text,
    shorten,
)

MAIL_DOMAIN = "nieuwswacht.local"
SUBJECT_PREFIX = "[nieuwswacht]"
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9._-]")


def make_message_id(alert_id: str) -> str:
    """``<alert-{id}@nieuwswacht.local>``: the same for every delivery attempt of one alert."""
    return f"<alert-{_UNSAFE_ID.sub('-', alert_id)}@{MAIL_DOMAIN}>"


def make_story_ref(story_id: str) -> str:
    """The thread root of a story: every alert of the story refers to it."""
    return f"<story-{_UNSAFE_ID.sub('-', story_id)}@{MAIL_DOMAIN}>"


def make_list_id(alert: Alert) -> str:
    """RFC 2919 List-Id: the watchlist's name as the phrase, its id as the identifier."""
    name = shorten(alert.watchlist_name, 80).replace('"', "'").replace("\\", "/")
    return f'"{name}" <{_UNSAFE_ID.sub("-", alert.watchlist_id)}.{MAIL_DOMAIN}>'


def render_subject(alert: Alert) -> str:
    """``[nieuwswacht] Sancties, Invasie: <title>`` on one line."""
    return shorten(f"{SUBJECT_PREFIX} {category_labels(alert)}: {display_title(alert)}", 250)


def render_html_snippet(segments: list[Segment]) -> str:
    return "".join(
        f"<strong>{html.escape(text)}</strong>" if marked else html.escape(text)
        for text, marked in segments
    )


def render_html_link(url: str, text: str) -> str:
    """An escaped link, or plain escaped text when the URL is not http(s)."""
    label = html.escape(text)
    if not url.strip().lower().startswith(("http://", "https://")):
        return label
    return f'<a href="{html.escape(url.strip(), quote=True)}">{label}</a>'


def render_html(alert: Alert) -> str:
    """The HTML part: the same content as :func:`~alerts.render.render_text`, escaped."""
    meta = f"{html.escape(shorten(alert.outlet, 100))} · {format_published(alert.published)}"
    rows = [
        f"<h2>{render_html_link(alert.url, display_title(alert))}</h2>",
        f"<p>{meta}</p>",
        f"<p><b>Categorieën:</b> {html.escape(category_labels(alert))}</p>",
    ]
    snippet = render_html_snippet(make_snippet(alert))
    if snippet:
        rows.append(f"<blockquote>{snippet}</blockquote>")
    if alert.also_reported_by:
        outlets = html.escape(list_outlets(alert.also_reported_by))
        rows.append(f"<p>Ook gemeld door: {outlets}</p>")
    if describe_cluster(alert):
        rows.append(f"<p>{html.escape(describe_cluster(alert))}</p>")
    rows.append(f"<p><small>Watchlist: {html.escape(alert.watchlist_name)}</small></p>")
    return wrap_html("\n".join(rows))


def wrap_html(body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="nl"><meta charset="utf-8">\n<body>\n{body}\n</body></html>\n'
    )


def render_email(
    alert: Alert, sender: str, recipients: Sequence[str], now: datetime | None = None
) -> EmailMessage:
    """The complete message for ``alert``; ``now`` (default: current time) fills ``Date``."""
    message = EmailMessage()
    message["Subject"] = render_subject(alert)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = make_message_id(alert.id)
    message["List-Id"] = make_list_id(alert)
    message["Auto-Submitted"] = "auto-generated"
    message["X-Nieuwswacht-Alert"] = _UNSAFE_ID.sub("-", alert.id)
    if alert.story_id:
        message["In-Reply-To"] = make_story_ref(alert.story_id)
        message["References"] = make_story_ref(alert.story_id)
    message.set_content(render_text(alert), charset="utf-8")
    message.add_alternative(render_html(alert), subtype="html", charset="utf-8")
    return message


def render_email_digest(
    digest: Digest, sender: str, recipients: Sequence[str], now: datetime | None = None
) -> EmailMessage:
    """A digest as one multipart message; a stable Message-ID per digest."""
    message = EmailMessage()
    message["Subject"] = shorten(f"{SUBJECT_PREFIX} {digest_heading(digest)}", 250)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = make_message_id(digest.id)
    if digest.alerts:
        message["List-Id"] = make_list_id(digest.alerts[0])
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(render_digest_text(digest), charset="utf-8")
    sections = [f"<h1>{html.escape(digest_heading(digest))}</h1>"]
    for alert in digest.alerts:
        inner = render_html(alert).split("<body>\n", 1)[1].rsplit("\n</body>", 1)[0]
        sections.append(f"<section>{inner}</section><hr>")
    message.add_alternative(wrap_html("\n".join(sections)), subtype="html", charset="utf-8")
    return message


def render_email_notice(
    subject: str, text: str, sender: str, recipients: Sequence[str], now: datetime | None = None
) -> EmailMessage:
    """An operational notice as a plain-text message."""
    message = EmailMessage()
    message["Subject"] = shorten(f"{SUBJECT_PREFIX} {subject}", 250)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text, charset="utf-8")
    return message
