"""parse_feed on real-world quirks: NOS HTML descriptions, DPG feeds, Atom, RSS 1.0, no GUIDs,
windows-1252, broken XML, and a web page where a feed should be."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

import feedparser
import pytest

from crawler.entry import Entry
from crawler.errors import ParseError
from crawler.parser import html_to_text, parse_feed
from crawler.sources import Source
from tests.support.http_site import make_atom, make_rss

FEEDS = Path(__file__).resolve().parent / "fixtures" / "feeds"
SOURCE = Source("test-feed", "Testfeed", "Testkrant", "https://example.nl/rss", 300.0, False)


def parse(name: str, base_url: str = "https://example.nl/rss") -> list[Entry]:
    return parse_feed((FEEDS / name).read_bytes(), SOURCE, base_url=base_url)


def test_nos_feed_gives_plain_text_summary_and_utc_dates() -> None:
    entries = parse("nos-rss20.xml")
    assert [e.guid for e in entries] == [f"https://nos.nl/l/250000{i}" for i in (1, 2, 3)]
    first = entries[0]
    assert first.url == (
        "https://nos.nl/artikel/2500001-kabinet-presenteert-plan-voor-betaalbare-huurwoningen"
    )
    assert first.title == "Kabinet presenteert plan voor betaalbare huurwoningen"
    assert first.published == datetime(2024, 3, 5, 13, 30, tzinfo=UTC)
    assert "<" not in first.summary and "alert(" not in first.summary
    assert first.summary.startswith("Het kabinet wil dat er de komende vijf jaar honderdduizend")
    assert "\n" in first.summary  # paragraphs stay apart
    assert (first.source_id, first.outlet, first.full_text) == ("test-feed", "Testkrant", False)


def test_titles_are_unescaped() -> None:
    entries = parse("nos-rss20.xml")
    assert entries[1].title == "Storm & regen: code oranje in Zeeland"
    assert entries[2].title == "Minister: ‘geen extra geld voor defensie dit jaar’"


def test_dpg_feed_links_lose_tracking_and_relative_links_become_absolute() -> None:
    entries = parse("dpg-rss20.xml", base_url="https://www.volkskrant.nl/voorpagina/rss.xml")
    assert [e.guid for e in entries] == ["b1a2c3d4", "e5f6a7b8", "c9d0e1f2"]
    assert entries[0].url.endswith("/boeren-protesteren-opnieuw-in-den-haag~b1a2c3d4/")
    assert "?" not in entries[1].url
    assert entries[2].url == (
        "https://www.volkskrant.nl/nieuws-achtergrond/kort-nieuws-uit-de-regio~c9d0e1f2/"
    )
    assert entries[1].title == "Column: de trein was weer te laat & niemand zei iets"


def test_atom_feed_with_xml_base_and_content() -> None:
    entries = parse("vrt-atom.xml")
    assert entries[0].guid == "tag:vrt.be,2024:article:240306-001"
    assert entries[0].url == "https://www.vrt.be/vrtnws/nl/2024/03/06/nieuwe-regering-legt-eed-af/"
    assert entries[0].published == datetime(2024, 3, 6, 8, 30, tzinfo=UTC)
    assert entries[0].summary == "De nieuwe ministers legden vanochtend de eed af bij de koning."
    assert entries[1].published == datetime(2024, 3, 6, 8, 0, tzinfo=UTC)  # updated only
    assert "historisch jaar" in entries[1].text and "historisch" not in entries[1].summary
    assert "historisch jaar" in entries[1].body


def test_rss10_rdf_feed() -> None:
    entries = parse("rss10-rdf.xml")
    assert [e.url for e in entries] == [
        "https://regionaal.example.nl/nieuws/1001",
        "https://regionaal.example.nl/nieuws/1002",
    ]
    assert entries[0].published == datetime(2024, 3, 4, 15, 20, tzinfo=UTC)
    assert entries[1].title == "Nieuwe burgemeester geïnstalleerd"


def test_feed_without_guids_uses_canonical_url_and_skips_unfindable_items(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="crawler.parser"):
        entries = parse("no-guids.xml")
    assert [e.guid for e in entries] == [
        "https://www.standaard.be/cnt/dmf20240306_001",
        "https://www.standaard.be/cnt/dmf20240306_003",
        "https://www.standaard.be/cnt/dmf20240306_004",
    ]
    assert entries[0].url == entries[0].guid  # tracking parameters dropped in both
    assert entries[1].url == "https://www.standaard.be/cnt/dmf20240306_003"
    assert entries[2].title.startswith("Een item zonder titel")
    assert any(r.getMessage() == "feed entry without link or guid skipped" for r in caplog.records)


@pytest.mark.parametrize("name", ["cp1252-declared.xml", "cp1252-undeclared.xml"])
def test_windows_1252_feeds_decode_correctly(name: str) -> None:
    [entry] = parse(name)
    assert entry.title == "Café-eigenaren boos over accijns op bier: “€ 2 per glas is te veel”"
    assert "‘bruine kroeg’" in entry.summary and "Reünie" in entry.summary


def test_broken_but_usable_feed_is_accepted_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="crawler.parser"):
        entries = parse("bozo-usable.xml")
    assert [e.guid for e in entries] == ["dmf20240306_010", "dmf20240306_011"]
    assert entries[0].title == "Brand in loods & schuur in Gent"
    assert any(r.getMessage() == "feed is malformed but usable" for r in caplog.records)


def test_web_page_is_a_parse_error_naming_source_and_url() -> None:
    with pytest.raises(ParseError) as caught:
        parse("not-a-feed.html", base_url="https://www.trouw.nl/voorpagina")
    assert "test-feed" in str(caught.value) and "https://www.trouw.nl/voorpagina" in str(
        caught.value
    )


@pytest.mark.parametrize("body", [b"", b"\x00\x01\x02garbage", b'{"json": true}'])
def test_garbage_is_a_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError):
        parse_feed(body, SOURCE, base_url="https://example.nl/rss")


def test_feedparser_only_ever_gets_a_stream() -> None:
    body = (FEEDS / "nos-rss20.xml").read_bytes()
    with mock.patch("crawler.parser.feedparser.parse", wraps=feedparser.parse) as spy:
        parse_feed(body, SOURCE, base_url="https://example.nl/rss")
    [call] = spy.call_args_list
    assert isinstance(call.args[0], io.BytesIO)


def test_body_that_looks_like_a_path_or_url_is_not_opened(tmp_path: Path) -> None:
    secret = tmp_path / "feed.xml"
    secret.write_bytes(make_rss([{"title": "geheim", "link": "https://x.nl/geheim"}]))
    with pytest.raises(ParseError):
        parse_feed(str(secret).encode(), SOURCE, base_url="https://example.nl/rss")


def test_empty_feed_gives_no_entries() -> None:
    assert parse_feed(make_rss([]), SOURCE, base_url="https://example.nl/rss") == []


def test_duplicate_guids_in_one_feed_give_one_entry() -> None:
    item = {"title": "Twee keer", "link": "https://x.nl/a", "guid": "a-1"}
    body = make_rss([item, {**item, "title": "Twee keer (bijgewerkt)"}])
    [entry] = parse_feed(body, SOURCE, base_url="https://x.nl/rss")
    assert entry.title == "Twee keer"


def test_make_rss_and_make_atom_round_trip_through_the_parser() -> None:
    when = datetime(2024, 2, 24, 5, 0, tzinfo=UTC)
    item = {
        "title": "Oekraïne & NAVO",
        "link": "https://x.nl/a?utm_source=rss",
        "guid": "g1",
        "description": "<p>Een <b>samenvatting</b></p>",
        "published": when,
    }
    [rss] = parse_feed(make_rss([item]), SOURCE, base_url="https://x.nl/rss")
    assert (rss.title, rss.url, rss.guid, rss.summary, rss.published) == (
        "Oekraïne & NAVO",
        "https://x.nl/a",
        "g1",
        "Een samenvatting",
        when,
    )
    atom_item = {
        "id": "urn:a1",
        "title": "Oekraïne",
        "link": "https://x.nl/b",
        "summary": "<p>kort</p>",
        "content": "<p>lang en langer</p>",
        "published": when,
    }
    [atom] = parse_feed(make_atom([atom_item]), SOURCE, base_url="https://x.nl/atom")
    assert (atom.guid, atom.url, atom.summary, atom.text, atom.published) == (
        "urn:a1",
        "https://x.nl/b",
        "kort",
        "lang en langer",
        when,
    )


def test_html_to_text_drops_tags_scripts_and_collapses_space() -> None:
    markup = "<p>Eén&nbsp;&amp; twee</p>\n\n<script>x()</script><ul><li>drie</li><li>vier</li></ul>"
    assert html_to_text(markup) == "Eén & twee\ndrie\nvier"
    assert html_to_text("geen   html\n\n\nhier") == "geen html\nhier"
    assert html_to_text("<p>onaf <b>vet") == "onaf vet"
