"""Rendering: the snippet around matched phrases, Dutch time, Slack blocks and the email parts.

``make_alert`` builds the sample alert the channel tests reuse.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from alerts.alert import Alert, Category
from alerts.hits import Hit
from alerts.render import format_published, make_snippet, render_text
from alerts.render_email import render_email
from alerts.render_slack import render_slack
from tests.support.slack_server import blocks_valid

TEXT = (
    "De Europese Unie bereidt nieuwe sancties voor tegen Rusland. "
    + "Diplomaten in Brussel overleggen al weken. " * 12
    + "Volgens de NAVO staan meer dan 100.000 militairen aan de grens met Oekraïne, "
    "en een invasie wordt niet uitgesloten. " + "Het Kremlin ontkent alle plannen. " * 12
)


def find_hit(category: str, phrase: str, field: str = "text", source: str = TEXT) -> Hit:
    start = source.index(phrase)
    return Hit(category, phrase, start, start + len(phrase), field)  # type: ignore[arg-type]


def make_alert(**changes: Any) -> Alert:
    """A realistic alert: three categories, hits in the text, an Oekraïne headline."""
    values: dict[str, Any] = {
        "id": "42",
        "watchlist_id": "rusland-oekraine-navo",
        "watchlist_name": "Rusland, Oekraïne en de NAVO",
        "url": "https://nos.nl/artikel/2410000-biden-en-poetin?utm_source=x&ref=y",
        "title": "Biden waarschuwt Poetin voor sancties bij invasie van Oekraïne",
        "outlet": "NOS",
        "published": datetime(2021, 12, 20, 13, 5, tzinfo=UTC),
        "categories": (
            Category("sanctions", "Sancties"),
            Category("invasion", "Invasie"),
            Category("troop_buildup", "Troepenopbouw"),
        ),
        "hits": (
            find_hit("sanctions", "sancties"),
            find_hit("troop_buildup", "100.000 militairen aan de grens"),
            find_hit("invasion", "invasie"),
        ),
        "text": TEXT,
    }
    values.update(changes)
    return Alert(**values)


def test_published_time_is_dutch_local_time() -> None:
    assert format_published(datetime(2021, 12, 20, 13, 5, tzinfo=UTC)) == "ma 20 dec 2021 14:05"
    assert format_published(datetime(2022, 7, 3, 12, 0, tzinfo=UTC)) == "zo 3 jul 2022 14:00"
    assert format_published(datetime(2021, 12, 20, 13, 5)) == "ma 20 dec 2021 14:05"
    assert format_published(None) == "tijd onbekend"


def test_snippet_highlights_the_phrases_that_fit_in_the_window() -> None:
    segments = make_snippet(make_alert(), width=200)
    marked = [text for text, flag in segments if flag]
    assert marked == ["100.000 militairen aan de grens", "invasie"]
    assert segments[0] == ("…", False) and segments[-1] == ("…", False)
    assert sum(len(text) for text, _ in segments) <= 205


def test_snippet_is_on_one_line_and_cut_at_word_boundaries() -> None:
    segments = make_snippet(make_alert(text="Nieuwe\n\nsancties  tegen\tRusland. " * 30), width=60)
    joined = "".join(text for text, _ in segments)
    assert "\n" not in joined and "  " not in joined
    assert joined.startswith("Nieuwe sancties") and joined.endswith("…")
    assert not joined[:-1].endswith(("Nieuw", "sanctie", "Rusland"))


def test_snippet_finds_phrase_when_offsets_are_stale() -> None:
    stale = Hit("sanctions", "sancties", 0, 8, "text")
    segments = make_snippet(make_alert(hits=(stale,)), width=100)
    assert ("sancties", True) in segments


def test_snippet_falls_back_to_title_hits_then_leading_text() -> None:
    title = "Sancties tegen Rusland"
    alert = make_alert(
        title=title, text="", hits=(find_hit("sanctions", "Sancties", "title", title),)
    )
    assert make_snippet(alert) == [("Sancties", True), (" tegen Rusland", False)]
    plain = make_snippet(make_alert(hits=()), width=50)
    assert not any(flag for _, flag in plain)
    assert plain[0][0].startswith("De Europese Unie")
    assert make_snippet(make_alert(hits=(), text="")) == []


def test_text_rendering_shows_why_the_alert_fired() -> None:
    text = render_text(make_alert(also_reported_by=("NU.nl", "AD")))
    assert text.splitlines()[0].startswith("[Sancties, Invasie, Troepenopbouw] Biden waarschuwt")
    assert "NOS · ma 20 dec 2021 14:05" in text
    assert "*100.000 militairen aan de grens*" in text
    assert "Ook gemeld door: NU.nl, AD" in text
    assert "Watchlist: Rusland, Oekraïne en de NAVO" in text


def test_slack_message_has_linked_title_meta_categories_and_bold_snippet() -> None:
    payload = render_slack(make_alert())
    blocks = payload["blocks"]
    assert blocks_valid(blocks)
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    link = "<https://nos.nl/artikel/2410000-biden-en-poetin?utm_source=x&amp;ref=y|"
    assert texts[0].startswith("*" + link + "Biden waarschuwt Poetin")
    assert "Sancties, Invasie, Troepenopbouw" in texts[1]
    assert "*100.000 militairen aan de grens*" in texts[2]
    context = " ".join(e["text"] for b in blocks if b["type"] == "context" for e in b["elements"])
    assert "NOS · ma 20 dec 2021 14:05" in context and "Rusland, Oekraïne" in context
    assert payload["text"].startswith("Sancties, Invasie, Troepenopbouw: Biden waarschuwt")


def test_slack_message_stays_within_limits_for_huge_input() -> None:
    huge = "&<>" * 5000
    alert = make_alert(
        title=huge, outlet=huge, watchlist_name=huge, text=huge, also_reported_by=(huge,) * 200
    )
    payload = render_slack(alert)
    assert blocks_valid(payload["blocks"]) and len(payload["blocks"]) <= 50
    for block in payload["blocks"]:
        for element in [block.get("text"), *block.get("elements", [])]:
            if element:
                assert len(element["text"]) <= 3000
    assert "en 190 andere" in str(payload)


def test_email_is_multipart_with_stable_ids_and_utf8_subject() -> None:
    alert = make_alert()
    message = render_email(alert, "wacht@example.org", ["redactie@example.org"])
    again = render_email(alert, "wacht@example.org", ["redactie@example.org"])
    assert message["Subject"] == (
        "[nieuwswacht] Sancties, Invasie, Troepenopbouw: "
        "Biden waarschuwt Poetin voor sancties bij invasie van Oekraïne"
    )
    assert message["Message-ID"] == again["Message-ID"] == "<alert-42@nieuwswacht.local>"
    assert (
        message["List-Id"]
        == '"Rusland, Oekraïne en de NAVO" <rusland-oekraine-navo.nieuwswacht.local>'
    )
    assert message["Date"] and message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",))
    rich = message.get_body(("html",))
    assert plain is not None and rich is not None
    assert "Oekraïne" in plain.get_content()
    html_part = rich.get_content()
    assert "<strong>100.000 militairen aan de grens</strong>" in html_part
    assert (
        'href="https://nos.nl/artikel/2410000-biden-en-poetin?utm_source=x&amp;ref=y"' in html_part
    )


def test_email_subject_is_one_line_whatever_the_title() -> None:
    message = render_email(
        make_alert(title="Eerste\r\nBcc: slachtoffer@example.org"), "a@b.c", ["d@e.f"]
    )
    assert (
        message["Subject"]
        == "[nieuwswacht] Sancties, Invasie, Troepenopbouw: Eerste Bcc: slachtoffer@example.org"
    )
    assert message["Bcc"] is None
    assert "\n" not in message.as_string().split("Subject:")[1].split("\nFrom:")[0].replace(
        "\n ", " "
    )
