"""The command line as an operator meets it: real files, real local servers, exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from alerts.cli import build_parser
from tests.support.daemon_proc import DaemonFiles, feed_source, run_cli
from tests.support.http_site import LocalSite, make_rss
from tests.support.slack_server import SlackServer

REPO = Path(__file__).resolve().parent.parent
SEED = (REPO / "seeds" / "articles" / "nos-biden-poetin.txt").read_text(encoding="utf-8")


@pytest.fixture
def slack() -> Iterator[SlackServer]:
    with SlackServer() as server:
        yield server


def test_help_documents_every_command() -> None:
    text = build_parser().format_help()
    for command in ("run", "check-config", "poll", "match", "test-alert", "status", "outbox"):
        assert command in text


def test_shipped_configuration_checks_out() -> None:
    result = run_cli(["check-config", "--config", "config/nieuwswacht.yaml"])
    assert result.returncode == 0, result.stderr
    assert "ok:" in result.stdout and "watchlists" in result.stdout


def test_check_config_reports_a_typo_with_file_key_and_line(tmp_path: Path) -> None:
    files = DaemonFiles(tmp_path)
    files.write()
    text = files.config.read_text(encoding="utf-8").replace("deadline:", "dedline:")
    files.config.write_text(text, encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "dedline" in row)
    result = run_cli(["check-config", "--config", str(files.config)])
    assert result.returncode == 2
    assert f"{files.config}:{line}: polling.dedline: unknown key 'dedline'" in result.stderr
    assert "did you mean 'deadline'" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_config_reports_a_bad_seed_file(tmp_path: Path) -> None:
    files = DaemonFiles(tmp_path, feeds=[{"id": "x", "url": "https://x/feed", "intreval": "5m"}])
    files.write()
    result = run_cli(["check-config", "--config", str(files.config)])
    assert result.returncode == 2
    assert "feeds.yaml:" in result.stderr and "intreval" in result.stderr
    assert "Traceback" not in result.stderr


def test_poll_once_prints_new_articles_and_matches(tmp_path: Path, site: LocalSite) -> None:
    site.set("/a.html", f"<html><body><article><p>{SEED}</p></article></body></html>")
    items = [
        {
            "title": "Biden waarschuwt Poetin",
            "link": site.url("/a.html"),
            "guid": "a",
            "description": "Gesprek over Oekraïne.",
        },
    ]
    site.set("/feed.xml", make_rss(items), content_type="application/rss+xml")
    files = DaemonFiles(tmp_path, feeds=[feed_source("nos-test", site.url("/feed.xml"))])
    files.write()
    first = run_cli(["poll", "--once", "--config", str(files.config)])
    assert first.returncode == 0, first.stderr
    assert "Biden waarschuwt Poetin" in first.stdout
    assert "MATCH rusland-oekraine-navo" in first.stdout
    second = run_cli(["poll", "--once", "--config", str(files.config)])
    assert "new=0" in second.stdout and "MATCH" not in second.stdout


def test_poll_once_reports_a_broken_feed_without_a_traceback(
    tmp_path: Path, site: LocalSite
) -> None:
    site.set("/feed.xml", "<html><body>Dit is geen feed</body></html>", content_type="text/html")
    files = DaemonFiles(tmp_path, feeds=[feed_source("kapot", site.url("/feed.xml"))])
    files.write()
    result = run_cli(["poll", "--once", "--config", str(files.config)])
    assert "kapot" in result.stdout and "error:" in result.stdout
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout


def test_test_alert_reaches_slack(tmp_path: Path, slack: SlackServer) -> None:
    files = DaemonFiles(tmp_path, channels={"slack": {"type": "slack", "webhook_url": slack.url}})
    files.write()
    result = run_cli(["test-alert", "slack", "--config", str(files.config)])
    assert result.returncode == 0, result.stderr
    assert len(slack.wait_for(1)) == 1


def test_test_alert_explains_a_revoked_webhook(tmp_path: Path, slack: SlackServer) -> None:
    slack.script([(404, "no_service")])
    files = DaemonFiles(tmp_path, channels={"slack": {"type": "slack", "webhook_url": slack.url}})
    files.write()
    result = run_cli(["test-alert", "slack", "--config", str(files.config)])
    assert result.returncode == 1
    assert "no_service" in result.stderr
    assert "s3cr3tT0k3n" not in result.stderr, "the webhook secret leaked into an error"


def test_dead_letter_is_visible_and_retryable(
    tmp_path: Path, site: LocalSite, slack: SlackServer
) -> None:
    site.set("/a.html", f"<html><body><article><p>{SEED}</p></article></body></html>")
    site.set(
        "/feed.xml",
        make_rss([{"title": "Poetin en Biden", "link": site.url("/a.html"), "guid": "a"}]),
        content_type="application/rss+xml",
    )
    files = DaemonFiles(
        tmp_path,
        feeds=[feed_source("nos-test", site.url("/feed.xml"))],
        channels={"slack": {"type": "slack", "webhook_url": slack.url}},
    )
    files.write()
    slack.script([(410, "channel_is_archived")])
    run_cli(["poll", "--once", "--config", str(files.config)])
    status = run_cli(["status", "--config", str(files.config)])
    assert "dead=1" in status.stdout
    listing = run_cli(["outbox", "list", "--config", str(files.config)])
    assert "channel_is_archived" in listing.stdout
    retried = run_cli(["outbox", "retry", "--config", str(files.config)])
    assert "1 dead letter(s) queued again" in retried.stdout
    run_cli(["poll", "--once", "--config", str(files.config)])
    assert len(slack.wait_for(1)) == 1
    final = run_cli(["status", "--config", str(files.config)])
    assert "dead=0" in final.stdout and "sent=1" in final.stdout
