"""``crawl --once`` (alerts.crawlcmd.cmd_crawl): crawl, match, deliver, print what happened."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts.crawlcmd import cmd_crawl
from alerts.errors import ConfigError
from tests.fixtures.site import build
from tests.support.http_site import LocalSite

pytestmark = pytest.mark.integration

FAST = {"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0, "RETRY_TIMES": 0}


def write_config(tmp_path: Path, repo_root: Path, start_url: str) -> Path:
    config_dir, seeds = tmp_path / "config", tmp_path / "seeds"
    config_dir.mkdir()
    seeds.mkdir()
    config = config_dir / "nieuwswacht.yaml"
    config.write_text(
        f"store:\n  url: sqlite:///{tmp_path}/var/store.db\n"
        "sources: []\n"
        "sites: [../seeds/sites.yaml]\n"
        f"watchlists: {repo_root / 'config' / 'watchlists.yaml'}\n"
        "channels:\n  console:\n    type: console\n",
        encoding="utf-8",
    )
    (seeds / "sites.yaml").write_text(
        "sites:\n"
        "  - id: lokaal-binnenland\n"
        "    name: Lokaal\n"
        "    outlet: Testkrant\n"
        "    kind: section\n"
        f"    start_urls: ['{start_url}']\n"
        "    link_patterns: ['/artikel/']\n",
        encoding="utf-8",
    )
    return config


def test_crawl_once_prints_pages_new_articles_and_the_match(
    tmp_path: Path, repo_root: Path, seed_article: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with LocalSite() as site:
        site.set(
            "/sectie",
            build.section_page("Sectie", [("/artikel/1", "Biden en Poetin")]),
            content_type=build.HTML_TYPE,
        )
        paragraphs = [p for p in seed_article.split("\n\n") if p.strip()]
        page = build.article_html("Biden en Poetin", paragraphs, datetime.now(UTC))
        site.set("/artikel/1", page, content_type=build.HTML_TYPE)
        config = write_config(tmp_path, repo_root, site.url("/sectie"))
        args = argparse.Namespace(config=config, sites=["lokaal-binnenland"], once=True)

        code = cmd_crawl(args, scrapy_settings=FAST)

    out = capsys.readouterr().out
    assert code == 0
    assert "lokaal-binnenland" in out and "new=1" in out
    assert "MATCH rusland-oekraine-navo" in out
    assert "1 sites crawled (0 failed)" in out and "1 matches" in out


def test_crawl_rejects_an_unknown_site_id(tmp_path: Path, repo_root: Path) -> None:
    config = write_config(tmp_path, repo_root, "http://127.0.0.1:9/sectie")
    args = argparse.Namespace(config=config, sites=["bestaat-niet"], once=True)
    with pytest.raises(ConfigError, match="unknown site id"):
        cmd_crawl(args)
