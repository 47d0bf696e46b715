"""Untrusted article text reaches Slack and email as plain text and notifies no one (issue 5)."""

from __future__ import annotations

import json
import re

import pytest

from alerts.hits import Hit
from alerts.render_email import render_email
from alerts.render_slack import escape_mrkdwn, format_link, render_slack, render_slack_notice
from tests.test_render import make_alert

EVIL_TITLE = (
    "<!channel> <https://evil.example|klik> <@U123> @here *vet* _schuin_ ~weg~ `code` "
    "<script>alert(1)</script> & co"
)
BROADCASTS = re.compile(r"@(here|channel|everyone)\b", re.IGNORECASE)


def mrkdwn_texts(payload: dict[str, object]) -> list[str]:
    """Every mrkdwn string Slack will interpret, including the notification text."""
    found: list[str] = [str(payload["text"])]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(str(node["text"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(payload["blocks"])
    return found


def strip_own_markup(text: str) -> str:
    """Remove the markup nieuwswacht adds itself: title link, snippet quote, bold labels."""
    text = re.sub(r"^\*<https://nos\.nl/[^|<>]*\|(.*)>\*$", r"\1", text)
    text = re.sub(r"^>", "", text)
    return text.replace("*sancties*", "sancties").replace("*Categorieën:*", "Categorieën:")


def assert_inert_in_slack(text: str) -> None:
    """No link, mention, broadcast or formatting left in untrusted text."""
    rest = strip_own_markup(text)
    assert not set("<>*_~`") & set(rest), rest
    assert not BROADCASTS.search(rest), rest


@pytest.mark.parametrize(
    ("raw", "forbidden"),
    [
        ("<!channel>", "<!channel>"),
        ("<!here|here>", "<!here"),
        ("<@U123>", "<@U123>"),
        ("<https://evil.example|klik>", "<https://evil.example"),
        ("a & b", "a & b"),
    ],
)
def test_escape_mrkdwn_makes_slack_syntax_inert(raw: str, forbidden: str) -> None:
    escaped = escape_mrkdwn(raw)
    assert forbidden not in escaped
    assert "<" not in escaped and ">" not in escaped


@pytest.mark.parametrize("word", ["@here", "@channel", "@everyone", "@HERE"])
def test_broadcast_words_are_broken_but_readable(word: str) -> None:
    escaped = escape_mrkdwn(f"Let op {word}!")
    assert not BROADCASTS.search(escaped)
    assert escaped.replace("\u200d", "") == f"Let op {word}!"


def test_formatting_characters_cannot_bold_or_strike() -> None:
    escaped = escape_mrkdwn("*vet* _schuin_ ~weg~ `code`")
    assert not set("*_~`") & set(escaped)


def test_link_text_cannot_close_or_split_the_link() -> None:
    link = format_link("https://nos.nl/a?x=1&y=<2>|3", "titel | met > en <")
    assert link.count("<") == 1 and link.count(">") == 1 and link.count("|") == 1
    assert link.startswith("<https://nos.nl/a?x=1&amp;y=%3C2%3E%7C3|titel ")


def test_non_http_link_is_not_linked() -> None:
    assert format_link("javascript:alert(1)", "klik") == "klik"


def test_evil_title_outlet_and_snippet_are_inert_in_slack() -> None:
    text = f"Begin. {EVIL_TITLE} over sancties. Einde."
    start = text.index("sancties")
    alert = make_alert(
        title=EVIL_TITLE,
        outlet="<!everyone> @channel",
        watchlist_name="<@U999>",
        text=text,
        hits=(Hit("sanctions", "sancties", start, start + 8, "text"),),
        also_reported_by=("<!here>",),
    )
    payload = render_slack(alert)
    texts = mrkdwn_texts(payload)
    assert len(texts) >= 6
    for mrkdwn in texts:
        assert_inert_in_slack(mrkdwn)
    assert "&lt;!channel&gt;" in json.dumps(payload, ensure_ascii=False)


def test_notice_is_escaped_too() -> None:
    payload = render_slack_notice("Alert <!channel> niet bezorgd", "titel: <@U1> @here")
    header = payload["blocks"][0]["text"]
    assert header["type"] == "plain_text" and not BROADCASTS.search(header["text"])
    for mrkdwn in mrkdwn_texts(payload):
        assert "<" not in mrkdwn and not BROADCASTS.search(mrkdwn)


def test_evil_title_is_plain_text_in_email() -> None:
    message = render_email(make_alert(title=EVIL_TITLE, outlet="<b>NOS</b>"), "a@b.c", ["d@e.f"])
    html_part = message.get_body(("html",))
    assert html_part is not None
    content = html_part.get_content()
    assert "<script>" not in content and "<b>NOS</b>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "&lt;https://evil.example|klik&gt;" in content
    assert re.findall(r"<a href=", content) == ["<a href="]
    plain = message.get_body(("plain",))
    assert plain is not None and EVIL_TITLE in plain.get_content()


def test_javascript_url_is_never_a_link_in_email() -> None:
    message = render_email(make_alert(url="javascript:alert(1)"), "a@b.c", ["d@e.f"])
    html_part = message.get_body(("html",))
    assert html_part is not None and "<a " not in html_part.get_content()
