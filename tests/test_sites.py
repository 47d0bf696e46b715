"""seeds/sites.yaml: validated like feeds, typos reported with file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.errors import ConfigError
from crawler.sites import load_sites


def write(tmp_path: Path, text: str, name: str = "sites.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_sites_file_is_valid(repo_root: Path) -> None:
    sites = load_sites([repo_root / "seeds" / "sites.yaml"])
    assert {s.kind for s in sites} == {"news_sitemap", "section"}
    assert all(s.allowed_domains and s.full_text for s in sites)


def test_defaults_fill_allowed_domains_interval_and_window(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sites:\n"
        "  - id: nu-sitemap\n"
        "    name: NU\n"
        "    outlet: NU.nl\n"
        "    kind: news_sitemap\n"
        "    start_urls: [https://www.NU.nl/sitemap_news.xml]\n"
        "    max_age: 36h\n",
    )
    (site,) = load_sites([path])
    assert site.allowed_domains == ("www.nu.nl",)
    assert site.max_age == 36 * 3600 and site.interval == 900
    assert site.start_hosts == frozenset({"www.nu.nl"})


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("    link_patern: ['/a/']\n", "sites.yaml:7: sites[0].link_patern: unknown key"),
        ("    link_patterns: ['/a/(']\n", "not a valid regex"),
        ("    link_selectors: ['a[[']\n", "not valid CSS"),
        ("    allowed_domains: ['https://nos.nl/']\n", "bare host name"),
        ("    full_text: false\n", "full_text"),
        ("", "needs link_patterns or link_selectors"),
    ],
)
def test_mistakes_are_config_errors_that_say_where_and_what(
    tmp_path: Path, body: str, expected: str
) -> None:
    path = write(
        tmp_path,
        "sites:\n"
        "  - id: nos-binnenland\n"
        "    name: NOS\n"
        "    outlet: NOS\n"
        "    kind: section\n"
        "    start_urls: [https://nos.nl/nieuws/binnenland]\n" + body,
    )
    with pytest.raises(ConfigError) as info:
        load_sites([path])
    assert expected in str(info.value)


def test_a_duplicate_id_across_files_names_both(tmp_path: Path) -> None:
    entry = (
        "sites:\n  - id: a\n    name: A\n    outlet: A\n    kind: news_sitemap\n"
        "    start_urls: [https://a.nl/sitemap.xml]\n"
    )
    first, second = write(tmp_path, entry, "one.yaml"), write(tmp_path, entry, "two.yaml")
    with pytest.raises(ConfigError, match=r"two.yaml: sites: id 'a' is already used in .*one"):
        load_sites([first, second])
