"""extract_article: article HTML → text, title, UTC date; pure, and never raises."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from typing import Any

import pytest

from crawler.extract import Extracted, extract_article, parse_date

PARAGRAPHS = [
    "Het kabinet is vanavond gevallen na een langdurig overleg over het asielbeleid. De premier "
    "bood het ontslag van alle ministers en staatssecretarissen aan bij de koning.",
    "De oppositie reageerde verbaasd. Volgens de fractievoorzitters was de breuk al weken "
    "zichtbaar, maar niemand had verwacht dat het zo snel zou gaan.",
    "Er komen waarschijnlijk nieuwe verkiezingen in het najaar, zeggen bronnen in Den Haag.",
]
ARTICLE = f"""<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8">
<title>Kabinet valt over asielbeleid | Testkrant</title>
<meta property="og:title" content="Kabinet valt over asielbeleid">
<meta property="article:published_time" content="2024-03-05T22:30:00+01:00">
</head><body>
<nav><a href="/">Home</a> <a href="/binnenland">Binnenland</a> <a href="/sport">Sport</a></nav>
<article><h1>Kabinet valt over asielbeleid</h1>
{"".join(f"<p>{p}</p>" for p in PARAGRAPHS)}
</article>
<aside>Lees ook: tien tips voor uw tuin</aside>
<footer>© Testkrant, alle rechten voorbehouden</footer>
</body></html>"""


def test_extract_article_finds_text_title_and_utc_date() -> None:
    result = extract_article(ARTICLE, "https://www.testkrant.nl/artikel/1")
    assert isinstance(result, Extracted)
    assert result.title == "Kabinet valt over asielbeleid"
    assert result.text.split("\n") == PARAGRAPHS
    assert "Binnenland" not in result.text and "rechten voorbehouden" not in result.text
    assert result.published == datetime(2024, 3, 5, 21, 30, tzinfo=UTC)


def test_extract_article_accepts_bytes_in_another_encoding() -> None:
    html = ARTICLE.replace('charset="utf-8"', 'charset="windows-1252"').replace(
        "asielbeleid. De", "asielbeleid. Café-eigenaren zijn geïrriteerd. De"
    )
    result = extract_article(html.encode("cp1252"), "https://www.testkrant.nl/artikel/1")
    assert result is not None
    assert "Café-eigenaren zijn geïrriteerd" in result.text


@pytest.mark.parametrize(
    "hostile",
    [
        "",
        b"",
        "   ",
        "<html></html>",
        b"\x00\xff\xfe\x00garbage",
        "<" * 100_000,
        "<html><body>" + "<div>" * 5_000 + "</body></html>",
        "https://www.testkrant.nl/artikel/1",
    ],
)
def test_extract_article_returns_none_on_hostile_or_empty_input(hostile: str | bytes) -> None:
    assert extract_article(hostile, "https://www.testkrant.nl/artikel/1") is None


def test_extract_article_catches_library_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: Any, **kwargs: Any) -> None:
        raise RecursionError("deep")

    monkeypatch.setattr("crawler.extract.trafilatura.bare_extraction", explode)
    assert extract_article(ARTICLE, "https://www.testkrant.nl/artikel/1") is None


def test_extract_article_never_touches_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    extract_article("https://www.testkrant.nl/artikel/1", "https://www.testkrant.nl/artikel/1")
    extract_article(ARTICLE, "https://www.testkrant.nl/artikel/1")
    assert attempts == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-05T22:30:00+0100", datetime(2024, 3, 5, 21, 30, tzinfo=UTC)),
        ("2024-03-05T22:30:00", datetime(2024, 3, 5, 22, 30, tzinfo=UTC)),
        ("2024-03-05", datetime(2024, 3, 5, tzinfo=UTC)),
        ("gisteren", None),
        (None, None),
    ],
)
def test_parse_date_gives_utc(value: object, expected: datetime | None) -> None:
    assert parse_date(value) == expected
