"""Routing with a fixed clock: digests at their cron time, quiet hours hold then release."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from alerts.alert import Alert, Category
from alerts.config import DeliverySettings, RouteSettings, RoutingSettings
from alerts.deliver import Deliverer
from alerts.digest import compile_due_digests
from alerts.hits import Hit
from alerts.messages import Digest, Notice
from alerts.outbox import claim_due, count_by_status, enqueue_alert, mark_sent
from alerts.render_email import render_email_digest
from alerts.render_slack import render_slack_digest
from alerts.schedule import parse_cron, release_times_for
from crawler.store import Store, open_store
from tests.support.slack_server import blocks_valid

AMS = ZoneInfo("Europe/Amsterdam")
MORNING = datetime(2026, 11, 28, 7, 30, tzinfo=AMS)  # a Saturday, winter time
SANCTIONS = Category("sanctions", "Sancties")
INVASION = Category("invasion", "Invasie")


def make_alert(n: int, *categories: Category, title: str = "Nieuwe sancties") -> Alert:
    return Alert(
        id=f"a{n}",
        watchlist_id="rusland-oekraine-navo",
        watchlist_name="Rusland",
        url=f"https://nos.nl/{n}",
        title=title,
        outlet="NOS",
        published=MORNING,
        categories=categories or (SANCTIONS,),
        hits=(Hit("sanctions", "sancties", 7, 15, "title"),),
        text="De EU kondigt nieuwe sancties aan.",
        story_id=f"s{n}",
    )


class Recorder:
    """A channel that keeps what it was given."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.alerts: list[Alert] = []
        self.digests: list[Digest] = []
        self.notices: list[Notice] = []

    async def send(self, alert: Alert) -> None:
        self.alerts.append(alert)

    async def send_digest(self, digest: Digest) -> None:
        self.digests.append(digest)

    async def send_notice(self, subject: str, text: str) -> None:
        self.notices.append(Notice("n", subject, text))

    async def aclose(self) -> None:
        return None


ROUTING = RoutingSettings(
    urgent=["invasion"],
    routes=[
        RouteSettings(channel="email", mode="digest", schedule="0 8 * * *"),
        RouteSettings(channel="slack", quiet_hours="22:00-07:00"),
    ],
)


def queue(store: Store, alert: Alert, now: datetime, channels: tuple[str, ...]) -> None:
    release = release_times_for(ROUTING, alert, channels, now)
    with store.transaction() as conn:
        enqueue_alert(conn, alert, channels, now, release)


@pytest.fixture
def store(tmp_path: object) -> Store:
    return open_store(f"sqlite:///{tmp_path}/digest.db")


def test_release_times_follow_routes_urgency_and_quiet_hours() -> None:
    times = release_times_for(ROUTING, make_alert(1), ["email", "slack", "console"], MORNING)
    assert times["email"] == datetime(2026, 11, 28, 8, 0, tzinfo=AMS)
    assert times["slack"] is None and times["console"] is None
    night = datetime(2026, 11, 28, 23, 15, tzinfo=AMS)
    at_night = release_times_for(ROUTING, make_alert(1), ["slack"], night)
    assert at_night["slack"] == datetime(2026, 11, 29, 7, 0, tzinfo=AMS)
    urgent = release_times_for(ROUTING, make_alert(2, INVASION), ["email", "slack"], night)
    assert urgent == {"email": None, "slack": None}


def test_cron_accepts_crontab_and_seconds_and_rejects_nonsense() -> None:
    assert parse_cron("0 8 * * *", "Europe/Amsterdam") is not None
    assert parse_cron("*/5 * * * * *", "Europe/Amsterdam") is not None
    with pytest.raises(ValueError, match="cron"):
        parse_cron("elke ochtend", "Europe/Amsterdam")


def test_digest_is_compiled_at_its_time_and_delivered_once(store: Store) -> None:
    for n in (1, 2, 3):
        queue(store, make_alert(n), MORNING + timedelta(minutes=n), ("email", "slack"))
    assert count_by_status(store) == {"held": 3, "pending": 3}
    assert compile_due_digests(store, datetime(2026, 11, 28, 7, 59, tzinfo=AMS)) == []
    [digest_id] = compile_due_digests(store, datetime(2026, 11, 28, 8, 0, tzinfo=AMS))
    assert compile_due_digests(store, datetime(2026, 11, 28, 8, 1, tzinfo=AMS)) == []
    email, slack = Recorder("email"), Recorder("slack")
    deliverer = Deliverer(store, {"email": email, "slack": slack}, DeliverySettings())
    report = asyncio.run(deliverer.deliver_due())
    assert report.sent == 4
    [digest] = email.digests
    assert digest.id == digest_id and [a.id for a in digest.alerts] == ["a1", "a2", "a3"]
    assert [a.id for a in slack.alerts] == ["a1", "a2", "a3"] and email.alerts == []
    assert count_by_status(store) == {"digested": 3, "sent": 4}


def test_quiet_hours_hold_then_release(store: Store) -> None:
    night = datetime(2026, 11, 28, 23, 15, tzinfo=AMS)
    queue(store, make_alert(1), night, ("slack",))
    queue(store, make_alert(2, INVASION), night, ("slack",))
    due = claim_due(store, now=night, lease_seconds=60, limit=10)
    assert [i.alert.id for i in due] == ["a2"], "only the urgent alert goes out at night"
    assert mark_sent(store, due[0], night)
    assert compile_due_digests(store, datetime(2026, 11, 29, 6, 59, tzinfo=AMS)) == []
    [digest_id] = compile_due_digests(store, datetime(2026, 11, 29, 7, 0, tzinfo=AMS))
    [item] = claim_due(
        store, now=datetime(2026, 11, 29, 7, 0, tzinfo=AMS), lease_seconds=60, limit=9
    )
    assert isinstance(item.message, Digest) and item.message.id == digest_id
    assert [a.id for a in item.message.alerts] == ["a1"]


def test_one_story_appears_once_in_a_digest_with_all_its_categories(store: Store) -> None:
    first = make_alert(1)
    later = replace(make_alert(2, SANCTIONS, INVASION), story_id=first.story_id)
    routing = RoutingSettings(routes=[RouteSettings(mode="digest", schedule="0 8 * * *")])
    for alert in (first, later):
        release = release_times_for(routing, alert, ["email"], MORNING)
        with store.transaction() as conn:
            enqueue_alert(conn, alert, ["email"], MORNING, release)
    compile_due_digests(store, datetime(2026, 11, 28, 8, 0, tzinfo=AMS))
    [item] = claim_due(
        store, now=datetime(2026, 11, 28, 8, 0, tzinfo=AMS), lease_seconds=9, limit=9
    )
    assert isinstance(item.message, Digest)
    [story] = item.message.alerts
    assert [c.id for c in story.categories] == ["sanctions", "invasion"]


def test_digest_renders_within_slack_limits_and_escaped() -> None:
    evil = "<!channel> @here <https://evil.example|klik> <script>alert(1)</script>"
    alerts = tuple(replace(make_alert(n, title=evil), also_reported_by=("AD",)) for n in range(60))
    digest = Digest("digest:slack:1-60", MORNING, alerts)
    payload = render_slack_digest(digest)
    assert blocks_valid(payload["blocks"]) and len(payload["blocks"]) <= 50
    text = json.dumps(payload, ensure_ascii=False)
    for forbidden in ("<!channel>", "@here", "<https://evil", "<script>"):
        assert forbidden not in text
    assert "36 verhalen meer" in text
    mail = render_email_digest(digest, "nw@test.invalid", ["a@test.invalid"])
    html_part = mail.get_body(preferencelist=("html",))
    assert html_part is not None and "<script>" not in str(html_part.get_content())
    assert mail["Message-ID"] == "<alert-digest-slack-1-60@nieuwswacht.local>"


def test_alert_emails_of_one_story_thread_together() -> None:
    from alerts.render_email import render_email

    first = render_email(make_alert(1), "nw@test.invalid", ["a@test.invalid"])
    later = render_email(
        replace(make_alert(2), story_id="s1"), "nw@test.invalid", ["a@test.invalid"]
    )
    assert first["References"] == later["References"] == "<story-s1@nieuwswacht.local>"
    assert first["In-Reply-To"] == "<story-s1@nieuwswacht.local>"
    assert first["Message-ID"] != later["Message-ID"]
    assert first["List-Id"] == '"Rusland" <rusland-oekraine-navo.nieuwswacht.local>'
