"""A feed that breaks and heals: exactly one "bron faalt" and one "hersteld" notice.

The daemon polls a local feed every second with a two-second failure threshold; the test
makes the feed answer 500 for a while, then 200 again, and counts the notices the console
channel printed. The announced status is stored, so a restart does not repeat the notice.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.daemon_proc import DaemonFiles, DaemonProcess, feed_source, wait_until
from tests.support.http_site import LocalSite, make_rss, status

pytestmark = pytest.mark.integration

ITEMS = [
    {
        "title": "Fietsbrug geopend",
        "link": "https://example.invalid/a",
        "guid": "a",
        "description": "Een brug.",
        "pubDate": "Thu, 30 Dec 2021 20:15:00 +0100",
    }
]


def test_failing_then_recovering_feed_gives_one_failure_and_one_recovery_notice(
    tmp_path: Path,
) -> None:
    with LocalSite() as site:
        site.set("/feed.xml", make_rss(ITEMS))
        files = DaemonFiles(tmp_path / "etc")
        source = feed_source("wankel", site.url("/feed.xml"), full_text=False)
        files.feeds = [{**source, "fail_after": "2s"}]
        files.polling = {"backoff_max": 1}
        files.write()
        daemon = DaemonProcess(files.config).start()
        try:
            daemon.wait_for_log("source polled", timeout=30)
            site.set_handler("/feed.xml", status(500, "kapot"))
            wait_until(lambda: "bron faalt: WANKEL" in daemon.stdout(), 30, daemon=daemon)
            polls = daemon.log().count("source poll failed")
            daemon.wait_for_log("source poll failed", count=polls + 2, timeout=20)
            assert daemon.stdout().count("bron faalt: WANKEL") == 1, "announced more than once"
            assert daemon.stop() == 0
        finally:
            daemon.kill()

        # Restarted while the feed still fails: no second "bron faalt"; then it heals.
        again = DaemonProcess(files.config).start()
        try:
            failed = again.log().count("source poll failed")
            again.wait_for_log("source poll failed", count=failed + 2, timeout=20)
            site.set("/feed.xml", make_rss(ITEMS))
            wait_until(lambda: "hersteld: WANKEL" in again.stdout(), 30, daemon=again)
            polled = again.log().count("source polled")
            again.wait_for_log("source polled", count=polled + 2, timeout=20)
            assert again.stop() == 0
        finally:
            again.kill()
        out = again.stdout()  # both runs append to the same file
        assert out.count("bron faalt: WANKEL") == 1
        assert out.count("hersteld: WANKEL") == 1
        assert "kapot" in out or "500" in out
