"""Delivery against the local Slack-protocol server and aiosmtpd: outages, 429, dead letters.

The Deliverer runs in-process on a real SQLite outbox; the peers are real sockets on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from alerts.alert import Alert, Category
from alerts.channels.base import Channel
from alerts.channels.email import SmtpEmailChannel
from alerts.channels.slack import SlackWebhookChannel
from alerts.config import DeliverySettings
from alerts.config import EmailChannel as EmailSettings
from alerts.config import SlackChannel as SlackSettings
from alerts.deliver import Deliverer
from alerts.outbox import count_by_status, enqueue_alert, list_dead, retry_dead
from crawler import schema
from crawler.store import Store, open_store
from tests.support.slack_server import SlackServer
from tests.support.smtp_server import SmtpServer

pytestmark = pytest.mark.integration
FAST = DeliverySettings(backoff_base=0.1, backoff_max=0.5, lease=30, pace={"slack": 0.0})


def make_alert(n: int) -> Alert:
    return Alert(
        id=f"alert-{n}",
        watchlist_id="rusland-oekraine-navo",
        watchlist_name="Rusland",
        url=f"https://nos.nl/artikel/{n}",
        title=f"Nieuwe sancties tegen Rusland, deel {n}",
        outlet="NOS",
        published=datetime(2026, 11, 28, 12, 0, tzinfo=UTC),
        categories=(Category("sanctions", "Sancties"),),
        hits=(),
        text="De EU kondigt nieuwe sancties aan.",
    )


def slack_channel(url: str) -> SlackWebhookChannel:
    return SlackWebhookChannel("slack", SlackSettings(type="slack", webhook_url=url, timeout=2))


def email_channel(smtp: SmtpServer) -> SmtpEmailChannel:
    settings = EmailSettings(
        type="email",
        host=smtp.host,
        port=smtp.port,
        security="none",
        sender="nieuwswacht@test.invalid",
        recipients=["analist@test.invalid"],
        timeout=5,
    )
    return SmtpEmailChannel("email", settings)


def make_store(tmp_path: Path, count: int, channels: tuple[str, ...]) -> Store:
    store = open_store(f"sqlite:///{tmp_path}/outbox.db")
    with store.transaction() as conn:
        for n in range(count):
            enqueue_alert(conn, make_alert(n), channels, datetime.now(UTC))
    return store


async def drain(deliverer: Deliverer, done: Callable[[], bool], timeout: float = 20) -> None:
    """Sweep like the daemon does until ``done()``; fail after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not done():
        if loop.time() > deadline:
            raise AssertionError("delivery did not finish in time")
        await deliverer.deliver_due()
        await asyncio.sleep(0.05)


def urls(messages: list[dict[str, object]]) -> list[str]:
    return [str(m["text"]).split("deel ")[1].split(" ")[0] for m in messages]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_outage_then_recovery_delivers_everything_oldest_first(
    tmp_path: Path, slack_server: SlackServer
) -> None:
    store = make_store(tmp_path, 5, ("slack",))
    down = slack_channel(f"http://127.0.0.1:{free_port()}/services/x")

    async def scenario() -> None:
        deliverer = Deliverer(store, {"slack": down}, FAST, {"slack": "slack"})
        for _ in range(3):  # connection refused: every sweep backs off, nothing is lost
            report = await deliverer.deliver_due()
            assert report.sent == 0
            await asyncio.sleep(0.6)
        assert count_by_status(store) == {"pending": 5}
        slack_server.script([(503, "service_unavailable")] * 2)
        live: dict[str, Channel] = {"slack": slack_channel(slack_server.url)}
        deliverer.channels = live
        await drain(deliverer, lambda: len(slack_server.messages) >= 5)
        await live["slack"].aclose()
        await down.aclose()

    asyncio.run(scenario())
    assert urls(slack_server.messages) == ["0", "1", "2", "3", "4"]
    assert [r.status for r in slack_server.requests].count(503) == 2
    assert count_by_status(store) == {"sent": 5}
    store.close()


def test_429_retry_after_pauses_slack_only(
    tmp_path: Path, slack_server: SlackServer, smtp_server: SmtpServer
) -> None:
    store = make_store(tmp_path, 2, ("slack", "email"))
    slack_server.script([(429, "rate_limited", {"Retry-After": "1"})])
    channels: dict[str, Channel] = {
        "slack": slack_channel(slack_server.url),
        "email": email_channel(smtp_server),
    }

    async def scenario() -> None:
        settings = FAST.model_copy(update={"backoff_max": 2.0})  # caps Retry-After too
        deliverer = Deliverer(store, channels, settings, {"slack": "slack", "email": "email"})
        started = datetime.now(UTC)
        report = await deliverer.deliver_due()
        assert report.retried == 1 and report.sent == 2, "email must go out despite Slack's 429"
        assert deliverer.is_paused("slack")
        with store.transaction() as conn:
            row = conn.execute(
                select(schema.outbox).where(schema.outbox.c.last_error.is_not(None))
            ).one()
        assert row.channel == "slack" and "rate limited" in row.last_error
        assert (row.next_attempt_at - started).total_seconds() >= 0.9, "Retry-After ignored"
        await drain(deliverer, lambda: len(slack_server.messages) >= 2)
        for channel in channels.values():
            await channel.aclose()

    asyncio.run(scenario())
    assert urls(slack_server.messages) == ["0", "1"]
    assert len(smtp_server.messages) == 2
    assert count_by_status(store) == {"sent": 4}
    store.close()


def test_404_dead_letters_are_announced_once_and_retryable(
    tmp_path: Path, slack_server: SlackServer, smtp_server: SmtpServer
) -> None:
    store = make_store(tmp_path, 3, ("slack", "email"))
    removed = slack_channel(slack_server.url.replace("/services/", "/services/gone/"))
    channels: dict[str, Channel] = {"slack": removed, "email": email_channel(smtp_server)}

    async def scenario() -> None:
        deliverer = Deliverer(store, channels, FAST, {"slack": "slack", "email": "email"})
        await drain(deliverer, lambda: len(smtp_server.messages) >= 4)
        assert len(list_dead(store)) == 3
        assert retry_dead(store) == 3
        fixed = slack_channel(slack_server.url)
        deliverer.channels = {**channels, "slack": fixed}
        await drain(deliverer, lambda: len(slack_server.messages) >= 3)
        await fixed.aclose()
        for channel in channels.values():
            await channel.aclose()

    asyncio.run(scenario())
    subjects = [str(m["Subject"]) for m in smtp_server.messages]
    notices = [s for s in subjects if "niet bezorgd via slack" in s]
    assert len(notices) == 1, subjects
    [notice] = [m for m in smtp_server.messages if "niet bezorgd" in str(m["Subject"])]
    body = str(notice.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]
    assert "404 no_service" in body and "deel 0" in body
    assert len(smtp_server.messages) == 4, "the announcement was sent more than once"
    assert urls(slack_server.messages) == ["0", "1", "2"]
    store.close()


def test_smtp_5xx_is_a_dead_letter_announced_on_slack(
    tmp_path: Path, slack_server: SlackServer, smtp_server: SmtpServer
) -> None:
    store = make_store(tmp_path, 1, ("email", "slack"))
    smtp_server.refuse("RCPT", "550 5.1.1 No such user", count=1)
    channels: dict[str, Channel] = {
        "slack": slack_channel(slack_server.url),
        "email": email_channel(smtp_server),
    }

    async def scenario() -> None:
        deliverer = Deliverer(store, channels, FAST, {"slack": "slack", "email": "email"})
        await drain(deliverer, lambda: len(slack_server.messages) >= 2)
        for channel in channels.values():
            await channel.aclose()

    asyncio.run(scenario())
    texts = [str(m["text"]) for m in slack_server.messages]
    assert any("niet bezorgd via email" in t and "550" in t for t in texts), texts
    assert count_by_status(store) == {"dead": 1, "sent": 2}
    store.close()


def test_a_slow_paced_slack_never_delays_email(
    tmp_path: Path, slack_server: SlackServer, smtp_server: SmtpServer
) -> None:
    store = make_store(tmp_path, 4, ("slack", "email"))
    slack_server.delay = 0.2
    channels: dict[str, Channel] = {
        "slack": slack_channel(slack_server.url),
        "email": email_channel(smtp_server),
    }
    settings = DeliverySettings(lease=30)  # Slack paced at 1 message per second

    async def scenario() -> int:
        deliverer = Deliverer(store, channels, settings, {"slack": "slack", "email": "email"})
        slack_job = asyncio.create_task(deliverer.deliver_channel("slack"))
        await deliverer.deliver_channel("email")
        seen_by_slack = len(slack_server.requests)
        await slack_job
        for channel in channels.values():
            await channel.aclose()
        return seen_by_slack

    slack_when_email_done = asyncio.run(scenario())
    assert len(smtp_server.messages) == 4
    assert slack_when_email_done < 4, "email waited for Slack"
    assert len(slack_server.messages) == 4
    store.close()


def test_hostile_headline_reaches_slack_and_email_as_plain_text(
    tmp_path: Path, slack_server: SlackServer, smtp_server: SmtpServer
) -> None:
    evil = "<!channel> @here <https://evil.example|klik> <script>alert(1)</script> *vet*"
    store = open_store(f"sqlite:///{tmp_path}/outbox.db")
    alert = replace(
        make_alert(1), title=evil, outlet="<!everyone>", also_reported_by=("@channel AD",)
    )
    with store.transaction() as conn:
        enqueue_alert(conn, alert, ("slack", "email"), datetime.now(UTC))
    channels: dict[str, Channel] = {
        "slack": slack_channel(slack_server.url),
        "email": email_channel(smtp_server),
    }

    async def scenario() -> None:
        deliverer = Deliverer(store, channels, FAST, {"slack": "slack", "email": "email"})
        await drain(deliverer, lambda: bool(slack_server.messages and smtp_server.messages))
        for channel in channels.values():
            await channel.aclose()

    asyncio.run(scenario())
    sent = json.dumps(slack_server.messages[0], ensure_ascii=False)
    for forbidden in ("<!channel>", "<!everyone>", "@here", "@channel", "<https://evil", "*vet*"):
        assert forbidden not in sent, forbidden
    [mail] = smtp_server.messages
    html_part = mail.get_body(preferencelist=("html",))
    assert html_part is not None
    html_text = str(html_part.get_content())
    assert "<script>" not in html_text and "&lt;script&gt;" in html_text
    assert "\n" not in str(mail["Subject"])
    store.close()
