"""End to end: a Dutch feed in, a Slack message and an email out, over real local sockets.

The daemon runs as a child process on YAML files in a temporary folder. A local HTTP server
serves the feed and the article pages, a local server speaks Slack's webhook protocol and
aiosmtpd receives the mail. Nothing here reaches beyond 127.0.0.1.
"""

from __future__ import annotations

import email.message
import html
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from alerts.watchlists import load_watchlists
from tests.support.daemon_proc import DaemonFiles, DaemonProcess, feed_source, wait_until
from tests.support.http_site import LocalSite, make_rss
from tests.support.slack_server import SlackServer
from tests.support.smtp_server import SmtpServer

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parent.parent
SEED = (REPO / "seeds" / "articles" / "nos-biden-poetin.txt").read_text(encoding="utf-8")
SEED_TITLE = "Biden en Poetin spreken opnieuw over spanningen rond Oekraïne"
UNRELATED_TITLE = "Nieuwe fietsbrug over het Amsterdam-Rijnkanaal geopend"
UNRELATED = (
    "In Utrecht is zaterdag een nieuwe fietsbrug over het Amsterdam-Rijnkanaal geopend. "
    "De brug verbindt twee woonwijken en moet de drukte op de bestaande kruising verminderen. "
    "Wethouder De Vries sprak van een mijlpaal voor het fietsverkeer in de stad."
)


def article_page(title: str, text: str) -> str:
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n") if p.strip())
    return (
        "<!doctype html><html lang='nl'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)} | NOS</title></head><body><nav>Home Nieuws Sport</nav>"
        f"<article><h1>{html.escape(title)}</h1>{paragraphs}</article>"
        "<footer>NOS © 2021</footer></body></html>"
    )


class Newsroom:
    """The local news site: a feed whose items the test publishes one by one."""

    def __init__(self, site: LocalSite) -> None:
        self.site = site
        self.items: list[dict[str, str]] = []
        self.publish("fietsbrug", UNRELATED_TITLE, UNRELATED)

    def publish(self, slug: str, title: str, text: str) -> None:
        path = f"/artikel/{slug}.html"
        self.site.set(path, article_page(title, text), content_type="text/html; charset=utf-8")
        self.items.insert(
            0,
            {
                "title": title,
                "link": self.site.url(path) + "?utm_source=rss",
                "guid": f"nos-{slug}",
                "description": text.split(".")[0] + ".",
                "pubDate": "Thu, 30 Dec 2021 20:15:00 +0100",
            },
        )
        self.site.set("/feed.xml", make_rss(self.items), content_type="application/rss+xml")

    @property
    def feed_url(self) -> str:
        return self.site.url("/feed.xml")


@pytest.fixture
def newsroom() -> Iterator[Newsroom]:
    with LocalSite() as site:
        yield Newsroom(site)


@pytest.fixture
def slack() -> Iterator[SlackServer]:
    with SlackServer() as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def make_files(
    tmp_path: Path, newsroom: Newsroom, slack: SlackServer, smtp: SmtpServer
) -> DaemonFiles:
    files = DaemonFiles(tmp_path / "etc")
    files.feeds = [feed_source("nos-test", newsroom.feed_url, interval="1s")]
    files.channels = {
        "console": {"type": "console"},
        "slack": {"type": "slack", "webhook_url": "${TEST_SLACK_URL}"},
        "email": {
            "type": "email",
            "host": "127.0.0.1",
            "port": smtp.port,
            "security": "none",
            "sender": "nieuwswacht@test.invalid",
            "recipients": ["analist@test.invalid"],
        },
    }
    files.write()
    return files


def category_labels() -> dict[str, str]:
    [watchlist] = [
        w
        for w in load_watchlists(REPO / "config" / "watchlists.yaml")
        if w.id == "rusland-oekraine-navo"
    ]
    return {c.id: c.label for c in watchlist.categories}


def slack_text(payload: dict[str, object]) -> str:
    return json.dumps(payload, ensure_ascii=False)


def email_body(message: email.message.Message) -> str:
    assert isinstance(message, email.message.EmailMessage)
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def test_seed_article_reaches_slack_and_email_once_and_not_again_after_restart(
    tmp_path: Path, newsroom: Newsroom, slack: SlackServer, smtp: SmtpServer
) -> None:
    files = make_files(tmp_path, newsroom, slack, smtp)
    env = {"TEST_SLACK_URL": slack.url}
    daemon = DaemonProcess(files.config, env).start()
    try:
        daemon.wait_for_log("articles matched", timeout=60)
        assert slack.messages == [] and smtp.messages == [], "an unrelated article alerted"

        newsroom.publish("biden-poetin", SEED_TITLE, SEED)
        [message] = slack.wait_for(1, timeout=60)
        [mail] = smtp.wait_for(1, timeout=30)
        labels = category_labels()
        text = slack_text(message)
        for category in ("sanctions", "invasion", "troop_buildup"):
            assert labels[category] in text, f"{category} missing from Slack message"
            assert labels[category] in str(mail["Subject"]) + email_body(mail)
        assert "Oekraïne" in str(mail["Subject"])
        assert SEED_TITLE in text
        assert "utm_source" not in text
        assert daemon.stop() == 0
    finally:
        daemon.kill()

    polls_before = daemon.log().count("source polled") + daemon.log().count("source not modified")
    again = DaemonProcess(files.config, env).start()
    try:
        wait_until(
            lambda: (
                again.log().count("source polled") + again.log().count("source not modified")
                > polls_before + 3
            ),
            timeout=30,
            describe=lambda: "the restarted daemon did not poll",
            daemon=again,
        )
        again.wait_for_log("daemon started", count=2)
        assert len(slack.requests) == 1, "a restart sent the alert again"
        assert len(smtp.messages) == 1
        assert again.stop() == 0
    finally:
        again.kill()


def test_slack_500_then_200_delivers_exactly_one_message(
    tmp_path: Path, newsroom: Newsroom, slack: SlackServer, smtp: SmtpServer
) -> None:
    files = make_files(tmp_path, newsroom, slack, smtp)
    slack.script([(500, "internal_error")])
    daemon = DaemonProcess(files.config, {"TEST_SLACK_URL": slack.url}).start()
    try:
        newsroom.publish("biden-poetin", SEED_TITLE, SEED)
        slack.wait_for(1, timeout=60)
        daemon.wait_for_log("alert sent", count=3, timeout=30)  # console, email, slack
        assert [r.status for r in slack.requests] == [500, 200]
        assert "will retry" in daemon.log()
        assert len(slack.messages) == 1
        assert daemon.stop() == 0
    finally:
        daemon.kill()


def test_unrelated_article_sends_nothing(
    tmp_path: Path, newsroom: Newsroom, slack: SlackServer, smtp: SmtpServer
) -> None:
    files = make_files(tmp_path, newsroom, slack, smtp)
    newsroom.publish("weer", "Zware storm op komst", "Het KNMI waarschuwt voor zware windstoten.")
    daemon = DaemonProcess(files.config, {"TEST_SLACK_URL": slack.url}).start()
    try:
        daemon.wait_for_log("articles matched", timeout=60)
        daemon.wait_for_log("source polled", count=3, timeout=30)
        assert slack.requests == [] and smtp.messages == []
        assert "alert queued" not in daemon.log()
        assert daemon.stop() == 0
    finally:
        daemon.kill()
