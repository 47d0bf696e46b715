"""The crawl's pure parts: sitemap reading, the address guard, settings, summaries, log relay."""

from __future__ import annotations

import json
import logging
from collections import deque
from datetime import UTC, datetime

import pytest

from crawler.crawl import parse_summary, relay_line
from crawler.crawljob import CrawlJob, summarize
from crawler.middlewares import is_private_address, resolve_host
from crawler.settings import build_settings
from crawler.sites import Site, host_allowed
from crawler.spiders.sitemap import child_texts, parse_sitemap_xml, parse_w3c_date


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-28", datetime(2026, 11, 28, tzinfo=UTC)),
        ("2026-11-28T10:00:00+01:00", datetime(2026, 11, 28, 9, tzinfo=UTC)),
        ("2026-11-28T10:00:00Z", datetime(2026, 11, 28, 10, tzinfo=UTC)),
        ("gisteren", None),
        ("", None),
    ],
)
def test_parse_w3c_date_gives_utc_or_none(value: str, expected: datetime | None) -> None:
    assert parse_w3c_date(value) == expected


def test_news_sitemap_fields_include_the_nested_publication_date() -> None:
    body = b"""<?xml version="1.0"?>
    <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
            xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
      <url><loc>https://nos.nl/artikel/1</loc><news:news>
        <news:publication><news:name>NOS</news:name></news:publication>
        <news:publication_date>2026-11-28T08:00:00Z</news:publication_date>
        <news:title>Titel</news:title></news:news></url>
    </urlset>"""
    root = parse_sitemap_xml(body)
    fields = child_texts(next(iter(root)))
    assert fields["loc"] == "https://nos.nl/artikel/1"
    assert fields["publication_date"] == "2026-11-28T08:00:00Z"
    assert fields["title"] == "Titel"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html><body>geen sitemap</body></html>",
        b"\x00\x01 binary",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b"<rss>&e;</rss>",
    ],
)
def test_what_is_not_a_sitemap_gives_none(body: bytes) -> None:
    assert parse_sitemap_xml(body) is None


def test_external_entities_in_a_sitemap_are_not_expanded() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY e SYSTEM "file:///etc/hostname">]>'
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://a.nl/&e;</loc></url></urlset>"
    )
    root = parse_sitemap_xml(body)
    loc = child_texts(next(iter(root))).get("loc", "")
    assert loc.startswith("https://a.nl/") and "\n" not in loc and len(loc) < 20


@pytest.mark.parametrize(
    ("address", "private"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("192.168.1.1", True),
        ("172.16.0.1", True),
        ("169.254.169.254", True),
        ("100.64.0.1", True),
        ("::1", True),
        ("fe80::1", True),
        ("::ffff:127.0.0.1", True),
        ("0.0.0.0", True),
        ("93.184.216.34", False),
        ("2a00:1450:4001::1", False),
    ],
)
def test_private_addresses_are_recognised(address: str, private: bool) -> None:
    assert is_private_address(address) is private


def test_resolve_host_passes_ip_literals_through_without_dns() -> None:
    assert resolve_host("127.0.0.1", 80) == ["127.0.0.1"]
    assert resolve_host("[::1]", 80) == ["::1"]


def test_host_allowed_takes_subdomains_but_not_lookalikes() -> None:
    assert host_allowed("www.nos.nl", ["nos.nl"])
    assert host_allowed("nos.nl", ["nos.nl"])
    assert not host_allowed("evilnos.nl", ["nos.nl"])
    assert not host_allowed("nos.nl.evil.com", ["nos.nl"])


def test_settings_are_polite_and_open_no_port() -> None:
    settings = build_settings(max_pages=50, timeout=100)
    assert settings["ROBOTSTXT_OBEY"] is True
    assert settings["AUTOTHROTTLE_ENABLED"] is True
    assert settings["TELNETCONSOLE_ENABLED"] is False
    assert settings["EXTENSIONS"]["scrapy.extensions.telnet.TelnetConsole"] is None
    assert settings["USER_AGENT"].startswith("nieuwswacht/")
    assert settings["DOWNLOAD_MAXSIZE"] > 0 and settings["DOWNLOAD_TIMEOUT"] > 0
    assert settings["CLOSESPIDER_PAGECOUNT"] == 50
    assert 0 < settings["CLOSESPIDER_TIMEOUT"] < 100, "the spider stops before the hard kill"
    assert (
        build_settings(max_pages=1, timeout=10, overrides={"ROBOTSTXT_OBEY": False})[
            "ROBOTSTXT_OBEY"
        ]
        is False
    )


def test_summarize_turns_stats_into_counts_by_reason() -> None:
    stats = {
        "response_received_count": 7,
        "nieuwswacht/articles_new": 2,
        "nieuwswacht/listings_fetched": 1,
        "nieuwswacht/skipped/robots_txt": 1,
        "nieuwswacht/errors/http_500": 2,
        "finish_reason": "finished",
    }
    summary = summarize("s", stats)
    assert summary["pages_fetched"] == 7 and summary["articles_new"] == 2
    assert summary["skipped"] == {"robots_txt": 1} and summary["errors"] == {"http_500": 2}
    assert summary["error"] is None
    assert "http_500=2" in summarize("s", {"nieuwswacht/errors/http_500": 2})["error"]


def test_parse_summary_reads_the_last_line_and_reports_a_crash_without_one() -> None:
    line = json.dumps({"pages_fetched": 3, "articles_new": 1, "error": None, "recorded": True})
    report, recorded = parse_summary("s", f"noise\n{line}\n".encode(), 0, deque())
    assert report.ok and report.pages_fetched == 3 and recorded
    crashed, recorded = parse_summary("s", b"", -9, deque(["Segmentation fault"]))
    assert not crashed.ok and "Segmentation fault" in (crashed.error or "") and not recorded


def test_relayed_log_lines_keep_level_logger_and_fields(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    event = {
        "level": "INFO",
        "logger": "crawler.spiders",
        "msg": "page skipped",
        "fields": {"url": "http://a/", "reason": "robots_txt", "name": "clash"},
    }
    relay_line(json.dumps(event), "site-a", deque())
    relay_line("Traceback (most recent call last):", "site-a", tail := deque())
    first, second = caplog.records
    assert (first.name, first.levelno, first.getMessage()) == (
        "crawler.spiders",
        logging.INFO,
        "page skipped",
    )
    assert first.reason == "robots_txt" and first.site == "site-a"  # type: ignore[attr-defined]
    assert first.field_name == "clash"  # type: ignore[attr-defined]
    assert second.levelno == logging.WARNING and list(tail) == [
        "Traceback (most recent call last):"
    ]


def test_a_crawl_job_survives_its_json_round_trip() -> None:
    site = Site(
        id="a",
        name="A",
        outlet="A",
        kind="section",
        start_urls=("https://a.nl/s",),
        allowed_domains=("a.nl",),
        interval=60.0,
        max_age=3600.0,
        link_patterns=("/x/",),
    )
    job = CrawlJob(site=site, store_url="sqlite://", timeout=5, settings={"X": 1})
    assert CrawlJob.from_json(job.to_json()) == job
