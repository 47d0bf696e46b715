"""load_sources: seeds files → Source objects, with errors that name file, line and key."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from crawler.errors import ConfigError
from crawler.sources import Source, load_sources, parse_interval

REPO = Path(__file__).resolve().parent.parent
ONE = """\
sources:
  - id: nos-algemeen
    name: NOS Nieuws
    outlet: NOS
    url: https://feeds.nos.nl/nosnieuwsalgemeen
    interval: 5m
    full_text: false
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_sources_builds_frozen_sources(tmp_path: Path) -> None:
    [source] = load_sources([write(tmp_path, "feeds.yaml", ONE)])
    assert source == Source(
        id="nos-algemeen",
        name="NOS Nieuws",
        outlet="NOS",
        url="https://feeds.nos.nl/nosnieuwsalgemeen",
        interval=300.0,
        full_text=False,
        enabled=True,
    )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5m", 300.0), ("300s", 300.0), ("1h", 3600.0), ("1d", 86400.0), (300, 300.0), ("90", 90.0)],
)
def test_parse_interval_understands_units(text: object, seconds: float) -> None:
    assert parse_interval(text) == seconds


def test_seeds_feeds_yaml_is_valid_and_complete() -> None:
    sources = load_sources([REPO / "seeds" / "feeds.yaml"])
    outlets = {s.outlet for s in sources}
    for outlet in ("NOS", "NU.nl", "RTL Nieuws", "de Volkskrant", "NRC", "Trouw", "Het Parool"):
        assert outlet in outlets
    for outlet in ("AD", "De Telegraaf", "VRT NWS", "De Standaard", "Het Nieuwsblad", "HLN"):
        assert outlet in outlets
    assert "De Morgen" in outlets
    assert len({s.id for s in sources}) == len(sources)
    assert all(s.url.startswith("https://") and s.interval >= 300 for s in sources)
    assert {s.interval for s in sources if s.outlet == "NOS"} == {300.0}
    assert any(s.full_text for s in sources)


def test_duplicate_id_across_files_names_both_files(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", ONE)
    second = write(tmp_path, "b.yaml", ONE)
    with pytest.raises(ConfigError) as caught:
        load_sources([first, second])
    message = str(caught.value)
    assert "nos-algemeen" in message
    assert str(first) in message and str(second) in message


def test_duplicate_id_in_one_file_is_an_error(tmp_path: Path) -> None:
    text = ONE + ONE.split("\n", 1)[1]
    with pytest.raises(ConfigError, match="same file"):
        load_sources([write(tmp_path, "a.yaml", text)])


def test_misspelt_key_is_reported_with_line_and_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, "feeds.yaml", ONE.replace("full_text", "fulltext"))
    with pytest.raises(ConfigError) as caught:
        load_sources([path])
    assert f"{path}:7" in str(caught.value)
    assert "full_text" in str(caught.value)


@pytest.mark.parametrize(
    ("replacement", "fragment"),
    [
        ("interval: soms", "invalid interval"),
        ("interval: 0s", "greater than or equal to 1"),
        ("interval: 30d", "less than or equal"),
    ],
)
def test_bad_interval_is_an_error(tmp_path: Path, replacement: str, fragment: str) -> None:
    path = write(tmp_path, "feeds.yaml", ONE.replace("interval: 5m", replacement))
    with pytest.raises(ConfigError, match=fragment):
        load_sources([path])


@pytest.mark.parametrize("url", ["ftp://nos.nl/feed", "feeds.nos.nl/x", "file:///etc/passwd"])
def test_non_http_url_is_an_error(tmp_path: Path, url: str) -> None:
    path = write(tmp_path, "feeds.yaml", ONE.replace("https://feeds.nos.nl/nosnieuwsalgemeen", url))
    with pytest.raises(ConfigError, match="http"):
        load_sources([path])


def test_bad_id_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "feeds.yaml", ONE.replace("id: nos-algemeen", "id: NOS Algemeen"))
    with pytest.raises(ConfigError, match=r"feeds.yaml:2: sources\[0\]\.id"):
        load_sources([path])


def test_fast_interval_is_allowed_for_tests_but_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path, "feeds.yaml", ONE.replace("interval: 5m", "interval: 1s"))
    with caplog.at_level(logging.WARNING, logger="crawler.sources"):
        [source] = load_sources([path])
    assert source.interval == 1.0
    assert any(getattr(r, "source", None) == "nos-algemeen" for r in caplog.records)


def test_defaults_for_optional_keys(tmp_path: Path) -> None:
    text = "\n".join(line for line in ONE.splitlines() if "interval" not in line)
    text = text.replace("full_text: false", "enabled: false")
    [source] = load_sources([write(tmp_path, "feeds.yaml", text)])
    assert (source.interval, source.full_text, source.enabled) == (600.0, False, False)


def test_empty_file_has_no_sources(tmp_path: Path) -> None:
    assert load_sources([write(tmp_path, "empty.yaml", "")]) == []
