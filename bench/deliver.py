"""Delivery benchmark: outbox throughput to a local Slack server, and feed-to-Slack latency.

1. Throughput: ``--alerts`` alerts queued in a SQLite outbox and delivered by the Deliverer to
   the local Slack-protocol server, with Slack pacing DISABLED (the real 1 msg/s pace would
   only measure the pace). Baseline in the same run: a bare httpx POST loop of the same
   payloads. Also prints the duplicate window: the time between Slack's 200 and the outbox
   commit (``mark_sent``), the only moment a crash can cause a duplicate.
2. Latency: the daemon (a child process) polls a local feed every ``--interval`` seconds while
   ``--articles`` on-topic articles appear in it, one every ``--spacing`` seconds; the time from
   an article appearing to its Slack request arriving, median and p95. Baseline in the same
   run: a naive poller thread (httpx GET + feedparser + POST, same interval) on the same feed.

    .venv/bin/python bench/deliver.py                    # 500 alerts; 200 articles, 10 s poll
    .venv/bin/python bench/deliver.py --articles 20 --interval 2 --spacing 0.3   # quick
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from alerts.alert import Alert, Category  # noqa: E402
from alerts.channels.slack import SlackWebhookChannel  # noqa: E402
from alerts.config import DeliverySettings, SlackChannel  # noqa: E402
from alerts.deliver import Deliverer  # noqa: E402
from alerts.outbox import enqueue_alert  # noqa: E402
from alerts.render_slack import render_slack  # noqa: E402
from crawler.store import open_store  # noqa: E402
from tests.support.daemon_proc import DaemonFiles, DaemonProcess, feed_source  # noqa: E402
from tests.support.http_site import LocalSite, make_rss  # noqa: E402
from tests.support.slack_server import Received, SlackServer  # noqa: E402

WORDS = [
    "gemeente",
    "brug",
    "kanaal",
    "haven",
    "school",
    "markt",
    "trein",
    "museum",
    "krant",
    "dorp",
    "polder",
    "molen",
]


class TimedSlack(SlackServer):
    """The local Slack server, noting when each accepted message arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: dict[str, float] = {}

    def record(self, received: Received) -> None:
        super().record(received)
        text = str((received.payload or {}).get("text", ""))
        self.arrived.setdefault(text.split("Bench ")[-1].split(":")[0], time.monotonic())


def make_alert(n: int) -> Alert:
    return Alert(
        id=f"bench-{n}",
        watchlist_id="rusland-oekraine-navo",
        watchlist_name="Rusland",
        url=f"https://nos.nl/artikel/{n}",
        title=f"Bench {n}: nieuwe sancties tegen Rusland",
        outlet="NOS",
        published=datetime.now(UTC),
        categories=(Category("sanctions", "Sancties"),),
        hits=(),
        text="De EU kondigt nieuwe sancties tegen Rusland aan.",
    )


async def outbox_rate(count: int, slack: SlackServer, folder: Path) -> tuple[float, list[float]]:
    store = open_store(f"sqlite:///{folder}/bench.db")
    with store.transaction() as conn:
        for n in range(count):
            enqueue_alert(conn, make_alert(n), ["slack"], datetime.now(UTC))
    channel = SlackWebhookChannel("slack", SlackChannel(type="slack", webhook_url=slack.url))
    settings = DeliverySettings(pace={"slack": 0.0}, batch=100)
    deliverer = Deliverer(store, {"slack": channel}, settings, {"slack": "slack"})
    started = time.perf_counter()
    while len(slack.messages) < count:
        await deliverer.deliver_due()
    elapsed = time.perf_counter() - started
    await channel.aclose()
    store.close()
    return count / elapsed, list(deliverer.window)


async def bare_rate(count: int, slack: SlackServer) -> float:
    payloads = [render_slack(make_alert(n)) for n in range(count)]
    async with httpx.AsyncClient() as client:
        started = time.perf_counter()
        for payload in payloads:
            (await client.post(slack.url, json=payload)).raise_for_status()
        return count / (time.perf_counter() - started)


def article(n: int) -> dict[str, str]:
    filler = " ".join(random.choice(WORDS) for _ in range(50))
    return {
        "title": f"Bench {n}: sancties tegen Rusland",
        "link": f"http://127.0.0.1/bench/{n}",
        "guid": f"bench-{n}",
        "description": f"De EU kondigt nieuwe sancties tegen Rusland aan. {filler}.",
        "pubDate": "Thu, 30 Dec 2021 20:15:00 +0100",
    }


def naive_poller(feed: str, hook: str, interval: float, stop: threading.Event) -> None:
    """The baseline: GET the feed, parse it, POST every new title; sleep; repeat."""
    seen: set[str] = set()
    with httpx.Client() as client:
        while not stop.is_set():
            parsed = feedparser.parse(io.BytesIO(client.get(feed).content))
            for entry in parsed.entries:
                if entry.id not in seen:
                    seen.add(entry.id)
                    client.post(hook, json={"text": entry.title})
            stop.wait(interval)


def latency(args: argparse.Namespace, folder: Path) -> dict[str, list[float]]:
    with LocalSite() as site, TimedSlack() as slack, TimedSlack() as naive:
        items: list[dict[str, str]] = []
        site.set("/feed.xml", make_rss(items), content_type="application/rss+xml")
        files = DaemonFiles(folder / "etc")
        interval = f"{args.interval}s"
        files.feeds = [feed_source("bench", site.url("/feed.xml"), interval=interval)]
        files.feeds[0]["full_text"] = False
        files.channels = {"slack": {"type": "slack", "webhook_url": "${BENCH_SLACK}"}}
        files.delivery = {"interval": 0.5, "pace": {"slack": 0}}
        files.polling = {"adaptive": False}
        files.write()
        daemon = DaemonProcess(files.config, {"BENCH_SLACK": slack.url}).start()
        stop = threading.Event()
        thread = threading.Thread(
            target=naive_poller,
            args=(site.url("/feed.xml"), naive.url, args.interval, stop),
            daemon=True,
        )
        thread.start()
        published: dict[str, float] = {}
        try:
            for n in range(args.articles):
                items.insert(0, article(n))
                site.set("/feed.xml", make_rss(items[:100]), content_type="application/rss+xml")
                published[str(n)] = time.monotonic()
                time.sleep(args.spacing)
            deadline = time.monotonic() + args.interval * 3 + 30
            while time.monotonic() < deadline and (
                len(slack.arrived) < args.articles or len(naive.arrived) < args.articles
            ):
                time.sleep(0.2)
        finally:
            stop.set()
            daemon.stop()
            daemon.kill()
        return {
            name: [server.arrived[k] - t for k, t in published.items() if k in server.arrived]
            for name, server in (("nieuwswacht", slack), ("naive", naive))
        }


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)] if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=500)
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--interval", type=float, default=10.0, help="feed poll interval, s")
    parser.add_argument("--spacing", type=float, default=1.0, help="seconds between articles")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, SlackServer() as slack, SlackServer() as bare:
        rate, window = asyncio.run(outbox_rate(args.alerts, slack, Path(tmp)))
        base = asyncio.run(bare_rate(args.alerts, bare))
        print(f"outbox → Slack (pacing off): {rate:8.1f} alerts/s")
        print(f"bare httpx POST loop:        {base:8.1f} alerts/s   ratio {rate / base:.2f}")
        if window:
            ms = sorted(w * 1000 for w in window)
            print(
                f"duplicate window (Slack 200 → outbox commit): median {statistics.median(ms):.2f}"
                f" ms, p99 {ms[int(len(ms) * 0.99) - 1]:.2f} ms, max {ms[-1]:.2f} ms"
            )
        found: dict[str, Any] = latency(args, Path(tmp))
    ours, naive = found["nieuwswacht"], found["naive"]
    for name, values in (("nieuwswacht", ours), ("naive poller", naive)):
        print(
            f"feed → Slack latency, {name:<12}: n={len(values)} "
            f"median {statistics.median(values) if values else float('nan'):.2f} s, "
            f"p95 {p95(values):.2f} s"
        )
    if ours and naive:
        ratio = statistics.median(ours) / statistics.median(naive)
        print(f"latency ratio (median, nieuwswacht / naive): {ratio:.2f}")


if __name__ == "__main__":
    main()
