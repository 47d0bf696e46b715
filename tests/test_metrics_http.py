"""/healthz and /metrics on a running daemon; SIGTERM stops it cleanly and in time.

The daemon runs as a child process with its HTTP endpoint on a free loopback port; the test
reads the port from the log, scrapes both routes, publishes a matching article and checks
that the counters moved. The unit tests at the end cover the 503 and 404 answers.
"""

from __future__ import annotations

import asyncio
import re
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts.httpapi import HttpEndpoint
from alerts.metrics import Metrics, MetricsLogHandler
from alerts.observe import health_response
from crawler.store import open_store
from tests.support.daemon_proc import DaemonFiles, DaemonProcess, feed_source, wait_until
from tests.support.http_site import LocalSite, make_rss

WATCHLIST = """\
watchlists:
  - id: proef
    name: Proef
    categories:
      - id: bruggen
        label: Bruggen
        rules:
          - any: [fietsbrug]
"""


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def sample(metrics: str, name: str, **labels: str) -> float:
    """The value of one series in a Prometheus text exposition (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    series = f"{name}{{{wanted}}}" if labels else name
    for line in metrics.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.mark.integration
def test_healthz_and_metrics_answer_and_move_then_sigterm_exits_cleanly(tmp_path: Path) -> None:
    with LocalSite() as site:
        items = [
            {
                "title": "Weerbericht",
                "link": site.url("/a"),
                "guid": "a",
                "description": "Zon en wolken.",
                "published": datetime.now(UTC) - timedelta(hours=1),
            }
        ]
        site.set("/feed.xml", make_rss(items))
        files = DaemonFiles(tmp_path / "etc", watchlists_text=WATCHLIST)
        files.feeds = [feed_source("lokaal", site.url("/feed.xml"), full_text=False)]
        files.write()
        daemon = DaemonProcess(files.config).start()
        try:
            base = f"http://127.0.0.1:{daemon.http_port()}"
            code, body = get(base + "/healthz")
            assert code == 200 and '"status": "ok"' in body
            daemon.wait_for_log("source polled", timeout=30)
            # the log line and the counter are two handlers: read until the counter shows it
            seen: list[str] = []
            wait_until(
                lambda: (
                    sample(
                        seen.append(get(base + "/metrics")[1]) or seen[-1],
                        "nieuwswacht_polls_total",
                        outcome="new",
                        source="lokaal",
                    )
                    >= 1
                ),
                timeout=10,
                describe=lambda: "polls_total never counted the poll",
            )
            first = seen[-1]
            assert 'nieuwswacht_publication_to_alert_seconds_bucket{le="60"} 0' in first
            assert "# TYPE nieuwswacht_publication_to_alert_seconds histogram" in first

            items.insert(
                0,
                {
                    **items[0],
                    "title": "Nieuwe fietsbrug",
                    "guid": "b",
                    "published": datetime.now(UTC),
                    "link": site.url("/b"),
                    "description": "Een fietsbrug open.",
                },
            )
            site.set("/feed.xml", make_rss(items))
            daemon.wait_for_log("alert sent", timeout=30)

            def moved() -> bool:
                _, text = get(base + "/metrics")
                return (
                    sample(text, "nieuwswacht_alerts_sent_total", channel="console") == 1
                    and sample(
                        text, "nieuwswacht_matches_total", category="bruggen", watchlist="proef"
                    )
                    == 1
                    and sample(text, "nieuwswacht_articles_new_total", source="lokaal") == 2
                    and sample(text, "nieuwswacht_outbox_items", status="sent") == 1
                    and sample(text, "nieuwswacht_publication_to_alert_seconds_count") == 1
                    and 'nieuwswacht_publication_to_alert_seconds_bucket{le="60"} 1' in text
                )

            wait_until(moved, 20, lambda: get(base + "/metrics")[1], daemon)

            started = time.monotonic()
            assert daemon.stop(timeout=30) == 0
            assert time.monotonic() - started < 20  # the bound the unit promises (TimeoutStopSec)
        finally:
            daemon.kill()
        log = daemon.log()
        assert "daemon stopping" in log and "daemon stopped" in log
        assert not re.search(r"Traceback", log), log[-2000:]
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(base + "/healthz", timeout=2)


def test_healthz_is_503_when_the_scheduler_is_not_running(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'h.db'}")

    async def scenario() -> tuple[int, int, int]:
        running = True

        async def healthz() -> object:
            return await health_response(running, store, "abc")

        endpoint = HttpEndpoint({"/healthz": healthz})  # type: ignore[dict-item]
        await endpoint.start("127.0.0.1", 0)
        url = f"http://127.0.0.1:{endpoint.port}"
        ok = (await asyncio.to_thread(get, url + "/healthz"))[0]
        running = False
        down = (await asyncio.to_thread(get, url + "/healthz"))[0]
        missing = (await asyncio.to_thread(get, url + "/nope"))[0]
        await endpoint.close()
        return ok, down, missing

    try:
        assert asyncio.run(scenario()) == (200, 503, 404)
    finally:
        store.close()


def test_metrics_count_delivery_log_events_per_channel() -> None:
    import logging

    metrics = Metrics()
    logger = logging.getLogger("test.metrics.delivery")
    logger.propagate = False
    logger.addHandler(MetricsLogHandler(metrics))
    logger.setLevel(logging.INFO)
    logger.info("alert sent", extra={"channel": "slack", "alert": "x"})
    logger.warning("alert delivery failed; will retry", extra={"channel": "slack"})
    logger.error(
        "alert delivery failed permanently; kept as dead letter", extra={"channel": "email"}
    )
    text = metrics.render()
    assert sample(text, "nieuwswacht_alerts_sent_total", channel="slack") == 1
    assert sample(text, "nieuwswacht_alerts_failed_total", channel="slack", kind="temporary") == 1
    assert sample(text, "nieuwswacht_alerts_failed_total", channel="email", kind="permanent") == 1
