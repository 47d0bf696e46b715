"""Live configuration changes on a running daemon: file edits, a broken edit, SIGHUP.

The daemon runs as a child process; the test edits its ``watchlists.yaml`` on disk and
publishes articles on a local feed, then reads what the daemon logged and printed (the
console channel writes alerts and notices to stdout).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemon_proc import DaemonFiles, DaemonProcess, feed_source, wait_until
from tests.support.http_site import LocalSite, make_rss

pytestmark = pytest.mark.integration


def watchlist_yaml(*terms: str, extra_key: str = "") -> str:
    listed = ", ".join(terms)
    return (
        "watchlists:\n"
        "  - id: proef\n"
        "    name: Proef\n"
        "    categories:\n"
        "      - id: bruggen\n"
        "        label: Bruggen\n"
        f"{extra_key}"
        "        rules:\n"
        f"          - any: [{listed}]\n"
    )


class Feed:
    """A local RSS feed whose items the test publishes one at a time."""

    def __init__(self, site: LocalSite) -> None:
        self.site = site
        self.items: list[dict[str, str]] = []

    def publish(self, slug: str, title: str, text: str) -> None:
        self.items.insert(
            0,
            {
                "title": title,
                "link": self.site.url(f"/artikel/{slug}"),
                "guid": slug,
                "description": text,
                "pubDate": "Thu, 30 Dec 2021 20:15:00 +0100",
            },
        )
        self.site.set("/feed.xml", make_rss(self.items))


@pytest.fixture
def feed() -> Iterator[Feed]:
    with LocalSite() as site:
        yield Feed(site)


def start_daemon(tmp_path: Path, feed: Feed, **extra: object) -> tuple[DaemonFiles, DaemonProcess]:
    files = DaemonFiles(tmp_path / "etc")
    files.feeds = [feed_source("lokaal", feed.site.url("/feed.xml"), full_text=False)]
    files.watchlists_text = watchlist_yaml("tunnel")
    files.extra = dict(extra)
    files.write()
    return files, DaemonProcess(files.config).start()


STORIES = {
    "tweede": "De gemeente Utrecht opende zaterdag een fietsbrug bij het station.",
    "derde": "In Zwolle is na drie jaar bouwen een fietsbrug over de IJssel klaar.",
    "vierde": "Groningen krijgt in het voorjaar een fietsbrug naast de oude spoorbrug.",
    "brug": "Wethouders in Delft knipten een lint door: de fietsbrug is open.",
}


def publish_and_wait_matched(daemon: DaemonProcess, feed: Feed, slug: str, title: str) -> None:
    """Publish a distinct article (near-duplicates are folded into one story) and wait."""
    before = daemon.log().count("articles matched")
    feed.publish(slug, title, STORIES[slug])
    daemon.wait_for_log("articles matched", count=before + 1, timeout=30)


def queued(daemon: DaemonProcess) -> int:
    return daemon.log().count("alert queued")


def test_edits_to_watchlists_apply_live_and_a_broken_edit_keeps_the_old_rules(
    tmp_path: Path, feed: Feed
) -> None:
    feed.publish("eerste", "Eerste fietsbrug geopend", "Een fietsbrug over het kanaal.")
    files, daemon = start_daemon(tmp_path, feed)
    watchlists = files.root / "watchlists.yaml"
    try:
        daemon.wait_for_log("articles matched", timeout=30)
        assert queued(daemon) == 0

        # A new term starts matching, for the next article, without a restart.
        watchlists.write_text(watchlist_yaml("tunnel", "fietsbrug"), encoding="utf-8")
        daemon.wait_for_log("configuration reloaded", timeout=20)
        assert "kind=rule action=edited what=proef/bruggen#1" in daemon.log()
        publish_and_wait_matched(daemon, feed, "tweede", "Tweede fietsbrug geopend")
        assert queued(daemon) == 1

        # A broken edit is rejected with file, line and key; announced once; old rules match.
        broken = watchlist_yaml("tunnel", "fietsbrug", extra_key="        colour: red\n")
        watchlists.write_text(broken, encoding="utf-8")
        daemon.wait_for_log("configuration rejected", timeout=20)
        log = daemon.log()
        assert "watchlists.yaml:7" in log and "colour" in log
        watchlists.write_text(broken + "\n", encoding="utf-8")  # saved again, same mistake
        daemon.wait_for_log("configuration rejected", count=2, timeout=20)
        publish_and_wait_matched(daemon, feed, "derde", "Derde fietsbrug geopend")
        assert queued(daemon) == 2, "the previous rules stopped matching after a bad edit"
        wait_until(lambda: "configuratie geweigerd" in daemon.stdout(), 10, daemon=daemon)
        assert daemon.stdout().count("configuratie geweigerd") == 1

        # A removed term stops matching.
        watchlists.write_text(watchlist_yaml("tunnel"), encoding="utf-8")
        daemon.wait_for_log("configuration reloaded", count=2, timeout=20)
        assert "kind=rule action=edited what=proef/bruggen#1" in daemon.log()
        publish_and_wait_matched(daemon, feed, "vierde", "Vierde fietsbrug geopend")
        assert queued(daemon) == 2
        assert daemon.stop() == 0
    finally:
        daemon.kill()


def test_sighup_reloads_sources_and_watchlists_when_watching_is_off(
    tmp_path: Path, feed: Feed
) -> None:
    files, daemon = start_daemon(tmp_path, feed, reload={"watch": False})
    try:
        daemon.wait_for_log("source polled", timeout=30)
        files.watchlists_text = watchlist_yaml("fietsbrug")
        second = feed_source("tweede", feed.site.url("/tweede.xml"), full_text=False)
        files.feeds.append(second)
        feed.site.set("/tweede.xml", make_rss([]))
        files.write()  # watchlists and feeds, as an operator would edit them
        assert daemon.proc is not None
        daemon.proc.send_signal(signal.SIGHUP)
        daemon.wait_for_log("configuration reloaded", timeout=20)
        log = daemon.log()
        assert "reason=SIGHUP" in log
        assert "kind=source action=added what=tweede" in log
        feed.site.wait_for_requests("/tweede.xml", timeout=20)
        publish_and_wait_matched(daemon, feed, "brug", "Nieuwe fietsbrug geopend")
        assert queued(daemon) == 1
        assert daemon.stop() == 0
    finally:
        daemon.kill()
