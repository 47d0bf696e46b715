"""``backtest`` shows what a rule change would do on stored articles; ``status`` and
``schema`` describe the running system and the YAML files.

The store is filled by a real ``poll --once`` against a local feed; the commands run as
the CLI does, in a child process.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.daemon_proc import DaemonFiles, feed_source, run_cli
from tests.support.http_site import LocalSite, make_rss


def watchlist_yaml(*terms: str) -> str:
    return (
        "watchlists:\n  - id: proef\n    name: Proef\n    categories:\n"
        "      - id: bruggen\n        label: Bruggen\n        rules:\n"
        f"          - any: [{', '.join(terms)}]\n"
    )


ARTICLES = [
    ("brug", "Nieuwe fietsbrug in Utrecht", "De fietsbrug over het kanaal is open."),
    ("tunnel", "Tunnel onder de Maas dicht", "De tunnel gaat een week dicht voor onderhoud."),
    ("weer", "Zon en wolken", "Morgen is het droog met af en toe zon."),
]


@pytest.mark.integration
def test_backtest_shows_new_and_gone_alerts_of_a_rule_change_and_status_shows_sources(
    tmp_path: Path,
) -> None:
    with LocalSite() as site:
        items = [
            {"title": t, "link": site.url(f"/{slug}"), "guid": slug, "description": d}
            for slug, t, d in ARTICLES
        ]
        site.set("/feed.xml", make_rss(items))
        files = DaemonFiles(tmp_path / "etc", watchlists_text=watchlist_yaml("tunnel"))
        files.feeds = [feed_source("lokaal", site.url("/feed.xml"), full_text=False)]
        files.write()
        polled = run_cli(["poll", "--once", "--config", str(files.config)])
        assert polled.returncode == 0, polled.stderr
        assert "Tunnel onder de Maas" in polled.stdout

    edited = tmp_path / "edited-watchlists.yaml"
    edited.write_text(watchlist_yaml("fietsbrug"), encoding="utf-8")
    result = run_cli(
        [
            "backtest",
            "--config",
            str(files.config),
            "--watchlists",
            str(edited),
            "--since",
            "2000-01-01",
        ]
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "3 stored articles, 1 would alert" in out
    assert "+ NEW       proef [bruggen] Nieuwe fietsbrug in Utrecht" in out
    assert "- GONE      proef [bruggen] Tunnel onder de Maas dicht" in out
    assert "Zon en wolken" not in out

    same = run_cli(["backtest", "--config", str(files.config)])
    assert "0 new, 0 no longer alerting, 0 with other categories" in same.stdout

    status = run_cli(["status", "--config", str(files.config)])
    assert status.returncode == 0, status.stderr
    assert "configuration:" in status.stdout
    [row] = [line for line in status.stdout.splitlines() if line.startswith("lokaal")]
    assert " ok " in row
    assert "outbox: pending=" in status.stdout


def test_schema_writes_json_schemas_that_describe_the_yaml_files(tmp_path: Path) -> None:
    result = run_cli(["schema", "--out", str(tmp_path / "schema")])
    assert result.returncode == 0, result.stderr
    watchlists = json.loads((tmp_path / "schema" / "watchlists.schema.json").read_text())
    main = json.loads((tmp_path / "schema" / "nieuwswacht.schema.json").read_text())
    feeds = json.loads((tmp_path / "schema" / "feeds.schema.json").read_text())
    assert "watchlists" in watchlists["properties"]
    assert main["additionalProperties"] is False
    assert {"http", "health", "reload", "polling"} <= set(main["properties"])
    interval = feeds["$defs"]["SourceModel"]["properties"]["interval"]
    assert {"type": "string"}.items() <= interval["anyOf"][1].items()  # "5m" is allowed
