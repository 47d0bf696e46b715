"""canonical_url: one article, one address, however feeds and share buttons spell it."""

from __future__ import annotations

import pytest

from crawler.urls import canonical_url, is_tracking_param


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTPS://WWW.NOS.nl/artikel/1", "https://www.nos.nl/artikel/1"),
        ("https://nos.nl:443/artikel/1", "https://nos.nl/artikel/1"),
        ("http://nos.nl:80/artikel/1", "http://nos.nl/artikel/1"),
        ("http://127.0.0.1:8080/a", "http://127.0.0.1:8080/a"),
        ("https://nos.nl/artikel/1#reacties", "https://nos.nl/artikel/1"),
        ("https://nos.nl", "https://nos.nl/"),
        (
            "https://www.nu.nl/Politiek/6300001/Kamer.html",
            "https://www.nu.nl/Politiek/6300001/Kamer.html",
        ),
        ("  https://nos.nl/a\n  ", "https://nos.nl/a"),
        ("https://nos.nl./a", "https://nos.nl/a"),
        ("https://[::1]:443/a", "https://[::1]/a"),
    ],
)
def test_canonical_url_normalises_scheme_host_port_fragment(raw: str, expected: str) -> None:
    assert canonical_url(raw) == expected


@pytest.mark.parametrize(
    "query",
    [
        "utm_source=rss&utm_medium=feed&utm_campaign=x",
        "fbclid=abc",
        "gclid=1",
        "mc_cid=1&mc_eid=2",
        "ref=homepage",
        "cmpid=rss",
        "xtor=RSS-1",
        "at_medium=rss&at_campaign=voorpagina",
        "_ga=2.1",
        "ns_mchannel=rss&ns_source=x",
        "UTM_Source=rss",
        "referrer=https%3A%2F%2Fwww.volkskrant.nl%2F",
    ],
)
def test_canonical_url_drops_tracking_parameters(query: str) -> None:
    assert (
        canonical_url(f"https://www.ad.nl/nieuws/x~a1/?{query}") == "https://www.ad.nl/nieuws/x~a1/"
    )


def test_canonical_url_keeps_real_parameters_sorted() -> None:
    url = "https://www.example.nl/zoek?q=oekra%C3%AFne&page=2&utm_source=rss&a=1"
    assert canonical_url(url) == "https://www.example.nl/zoek?a=1&page=2&q=oekra%C3%AFne"


def test_canonical_url_gives_same_string_for_spellings_of_one_article() -> None:
    spellings = [
        "https://nos.nl/artikel/2500001?utm_source=rss",
        "HTTPS://NOS.NL:443/artikel/2500001#top",
        "https://nos.nl/artikel/2500001?fbclid=IwAR0&utm_medium=social",
    ]
    assert len({canonical_url(s) for s in spellings}) == 1


def test_canonical_url_keeps_blank_parameters() -> None:
    assert canonical_url("https://x.nl/a?id=&b=2") == "https://x.nl/a?b=2&id="


def test_canonical_url_resolves_relative_against_base() -> None:
    base = "https://www.volkskrant.nl/voorpagina/rss.xml"
    assert canonical_url("/nieuws/a~b1/", base) == "https://www.volkskrant.nl/nieuws/a~b1/"
    assert canonical_url("artikel.html?xtor=1", base) == (
        "https://www.volkskrant.nl/voorpagina/artikel.html"
    )
    assert canonical_url("https://nos.nl/a", base) == "https://nos.nl/a"


def test_canonical_url_leaves_non_http_urls_alone() -> None:
    assert canonical_url("tag:vrt.be,2024:article:1") == "tag:vrt.be,2024:article:1"
    assert canonical_url(" mailto:redactie@nos.nl ") == "mailto:redactie@nos.nl"


def test_is_tracking_param_does_not_drop_ordinary_names() -> None:
    assert not is_tracking_param("id")
    assert not is_tracking_param("page")
    assert not is_tracking_param("reference")
    assert is_tracking_param("utm_content")
