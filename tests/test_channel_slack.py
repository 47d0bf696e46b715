"""The Slack channel against a local server speaking the incoming-webhook protocol."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from alerts.channels.slack import SlackWebhookChannel, parse_retry_after
from alerts.config import SlackChannel as SlackSettings
from alerts.errors import DeliveryError, PermanentDeliveryError, TemporaryDeliveryError
from tests.support.slack_server import WEBHOOK_PATH, SlackServer, slack_server
from tests.test_render import make_alert

__all__ = ["slack_server"]
pytestmark = pytest.mark.integration


def make_channel(url: str, timeout: float = 5.0) -> SlackWebhookChannel:
    return SlackWebhookChannel(
        "slack", SlackSettings(type="slack", webhook_url=url, timeout=timeout)
    )


def send_alert(url: str) -> None:
    async def run() -> None:
        channel = make_channel(url)
        try:
            await channel.send(make_alert())
        finally:
            await channel.aclose()

    asyncio.run(run())


def send_failing(url: str) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        send_alert(url)
    return caught.value


def test_alert_arrives_as_block_kit_message(slack_server: SlackServer) -> None:
    send_alert(slack_server.url)
    [message] = slack_server.wait_for(1)
    assert "Oekraïne" in message["text"]
    assert message["blocks"][0]["type"] == "section"
    assert "*100.000 militairen aan de grens*" in str(message["blocks"])
    assert slack_server.requests[0].headers["Content-Type"] == "application/json"


def test_notice_arrives(slack_server: SlackServer) -> None:
    async def run() -> None:
        channel = make_channel(slack_server.url)
        await channel.send_notice("Alert niet bezorgd via email", "SMTP weigert de login")
        await channel.aclose()

    asyncio.run(run())
    [message] = slack_server.wait_for(1)
    assert "SMTP weigert de login" in message["text"]


@pytest.mark.parametrize(
    ("status", "code", "hint"),
    [
        (400, "invalid_payload", "report this nieuwswacht bug"),
        (400, "no_text", "report this nieuwswacht bug"),
        (403, "invalid_token", "update SLACK_WEBHOOK_URL"),
        (403, "action_prohibited", "ask an admin"),
        (404, "no_service", "update SLACK_WEBHOOK_URL"),
        (404, "channel_not_found", "update SLACK_WEBHOOK_URL"),
        (410, "channel_is_archived", "unarchive"),
    ],
)
def test_slack_refusals_are_permanent_and_actionable(
    slack_server: SlackServer, status: int, code: str, hint: str
) -> None:
    slack_server.script([(status, code)])
    error = send_failing(slack_server.url)
    assert isinstance(error, PermanentDeliveryError)
    message = str(error)
    assert f"answered {status} {code}" in message and hint in message
    assert "127.0.0.1" in message and WEBHOOK_PATH not in message and "s3cr3t" not in message
    assert slack_server.messages == []


def test_unknown_webhook_path_is_a_permanent_no_service(slack_server: SlackServer) -> None:
    error = send_failing(slack_server.url.replace("s3cr3tT0k3n", "revoked"))
    assert isinstance(error, PermanentDeliveryError) and "404 no_service" in str(error)
    assert "revoked" not in str(error)


def test_rate_limit_is_temporary_with_retry_after(slack_server: SlackServer) -> None:
    slack_server.script([(429, "rate_limited", {"Retry-After": "2"})])
    error = send_failing(slack_server.url)
    assert isinstance(error, TemporaryDeliveryError)
    assert error.retry_after == 2.0 and "429" in str(error)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_temporary_then_one_message_is_delivered(
    slack_server: SlackServer, status: int
) -> None:
    slack_server.script([(status, "internal_error")])
    error = send_failing(slack_server.url)
    assert isinstance(error, TemporaryDeliveryError) and error.retry_after is None
    send_alert(slack_server.url)
    assert len(slack_server.wait_for(1)) == 1
    assert [r.status for r in slack_server.requests] == [status, 200]


def test_connection_refused_is_temporary_and_hides_the_secret() -> None:
    with SlackServer() as server:
        url = server.url
    error = send_failing(url)
    assert isinstance(error, TemporaryDeliveryError)
    assert "connection failed" in str(error) and "s3cr3t" not in str(error)


def test_timeout_is_temporary(caplog: pytest.LogCaptureFixture) -> None:
    def stall(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    async def run() -> None:
        client = httpx.AsyncClient(transport=httpx.MockTransport(stall))
        settings = SlackSettings(
            type="slack", webhook_url="https://hooks.slack.com/services/T/B/x", timeout=5.0
        )
        await SlackWebhookChannel("slack", settings, client=client).send(make_alert())

    with caplog.at_level(logging.DEBUG), pytest.raises(TemporaryDeliveryError) as caught:
        asyncio.run(run())
    assert "hooks.slack.com: timed out" in str(caught.value)
    assert "/services/T/B/x" not in caplog.text + str(caught.value)


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    assert parse_retry_after("-5") == 0.0 and parse_retry_after("inf") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    seconds = parse_retry_after(later)
    assert seconds is not None and 100 < seconds <= 120


def test_server_rejects_what_slack_rejects(slack_server: SlackServer) -> None:
    bad = [b"not json", b'{"blocks": []}', b'{"text": "x", "blocks": [{"type": "header"}]}']
    answers = [httpx.post(slack_server.url, content=body) for body in bad]
    assert [(a.status_code, a.text) for a in answers] == [
        (400, "invalid_payload"),
        (400, "no_text"),
        (400, "invalid_blocks"),
    ]
