"""kill -9 while delivering 200 alerts, restart: every alert arrives, duplicates only in the window.

The daemon runs as a child process on a local feed of 200 distinct on-topic articles and a
local Slack-protocol server that answers a little slowly. When about a quarter has arrived the
daemon is killed with SIGKILL, then started again on the same database. The receiver must end
up with all 200 alerts; the only duplicates allowed are messages Slack accepted in the window
between its answer and the outbox commit: at most one per channel per crash.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

import pytest

from tests.support.daemon_proc import DaemonFiles, DaemonProcess, feed_source, wait_until
from tests.support.http_site import LocalSite, make_rss
from tests.support.slack_server import SlackServer

pytestmark = pytest.mark.integration

COUNT = 200
FILLER = [
    "gemeente",
    "wethouder",
    "fiets",
    "brug",
    "kanaal",
    "haven",
    "school",
    "zomer",
    "winter",
    "markt",
    "trein",
    "station",
    "bus",
    "museum",
    "theater",
    "concert",
    "boek",
    "krant",
    "radio",
    "dorp",
    "stad",
    "provincie",
    "water",
    "dijk",
    "polder",
    "molen",
    "kaas",
    "bloem",
    "tulp",
    "boer",
    "koe",
    "weiland",
    "regen",
    "zon",
    "wolk",
    "storm",
    "strand",
    "duin",
    "bos",
    "heide",
    "hei",
    "veen",
    "zand",
    "klei",
    "plein",
    "straat",
    "gracht",
    "kerk",
    "toren",
    "klok",
    "bakker",
    "slager",
    "visser",
]
_NUMBER = re.compile(r"Bericht (\d+):")


def article(n: int, rng: random.Random) -> dict[str, str]:
    words = " ".join(rng.choice(FILLER) for _ in range(60))
    text = f"De Europese Unie kondigt nieuwe sancties tegen Rusland aan. {words}."
    return {
        "title": f"Bericht {n}: sancties tegen Rusland",
        "link": f"http://127.0.0.1/artikel/{n}",
        "guid": f"crash-{n}",
        "description": text,
        "pubDate": "Thu, 30 Dec 2021 20:15:00 +0100",
    }


def received(slack: SlackServer) -> Counter[int]:
    numbers: Counter[int] = Counter()
    for message in slack.messages:
        found = _NUMBER.search(str(message.get("text", "")))
        if found:
            numbers[int(found.group(1))] += 1
    return numbers


def test_sigkill_while_delivering_loses_nothing(tmp_path: Path, site: LocalSite) -> None:
    rng = random.Random(5)
    items = [article(n, rng) for n in range(COUNT)]
    site.set("/feed.xml", make_rss(items), content_type="application/rss+xml")
    files = DaemonFiles(tmp_path / "etc")
    files.feeds = [feed_source("wire", site.url("/feed.xml"), interval="60s", full_text=False)]
    files.channels = {"slack": {"type": "slack", "webhook_url": "${TEST_SLACK_URL}"}}
    files.delivery = {
        "interval": 0.5,
        "lease": 3,
        "backoff_base": 0.5,
        "backoff_max": 2,
        "pace": {"slack": 0},
    }
    files.write()
    with SlackServer() as slack:
        slack.delay = 0.02
        env = {"TEST_SLACK_URL": slack.url}
        first = DaemonProcess(files.config, env).start()
        try:
            wait_until(lambda: len(slack.messages) >= COUNT // 4, 90, lambda: "no deliveries")
        finally:
            first.kill()  # SIGKILL: no shutdown, leases left behind
        at_kill = len(slack.messages)
        assert at_kill < COUNT, "everything was delivered before the kill; nothing tested"
        second = DaemonProcess(files.config, env).start()
        try:
            wait_until(
                lambda: len(received(slack)) >= COUNT,
                90,
                lambda: f"only {len(received(slack))} of {COUNT} alerts arrived",
                second,
            )
            assert second.stop() == 0
        finally:
            second.kill()
    counts = received(slack)
    assert sorted(counts) == list(range(COUNT)), "an alert is missing"
    duplicates = sum(n - 1 for n in counts.values())
    assert duplicates <= 1, f"{duplicates} duplicates; at most one per channel per crash"
