"""The console channel prints a readable alert and never fails; build_channels wires config."""

from __future__ import annotations

import asyncio
import io

import pytest

from alerts.channels import (
    SlackWebhookChannel,
    SmtpEmailChannel,
    StdoutChannel,
    build_channels,
)
from alerts.config import AppSettings
from tests.test_render import make_alert


def test_console_prints_a_readable_alert(capsys: pytest.CaptureFixture[str]) -> None:
    asyncio.run(StdoutChannel().send(make_alert()))
    out = capsys.readouterr().out
    assert "[Sancties, Invasie, Troepenopbouw] Biden waarschuwt Poetin" in out
    assert "NOS · ma 20 dec 2021 14:05" in out
    assert "https://nos.nl/artikel/2410000-biden-en-poetin" in out
    assert len(out.splitlines()) >= 5


def test_console_prints_notices(capsys: pytest.CaptureFixture[str]) -> None:
    asyncio.run(StdoutChannel().send_notice("Slack onbereikbaar", "Alert 42 niet bezorgd"))
    assert "[nieuwswacht] Slack onbereikbaar\nAlert 42 niet bezorgd" in capsys.readouterr().out


def test_console_never_fails_on_a_closed_stream() -> None:
    stream = io.StringIO()
    stream.close()
    channel = StdoutChannel(stream=stream)
    asyncio.run(channel.send(make_alert()))
    asyncio.run(channel.aclose())
    assert channel.name == "console"


def test_build_channels_makes_one_channel_per_configured_name() -> None:
    settings = AppSettings.model_validate(
        {
            "channels": {
                "terminal": {"type": "console"},
                "redactie-slack": {"type": "slack", "webhook_url": "https://hooks.slack.com/x"},
                "mail": {
                    "type": "email",
                    "host": "smtp.example.org",
                    "sender": "a@example.org",
                    "recipients": ["b@example.org"],
                },
            }
        }
    )
    channels = build_channels(settings.channels)
    assert {name: type(c) for name, c in channels.items()} == {
        "terminal": StdoutChannel,
        "redactie-slack": SlackWebhookChannel,
        "mail": SmtpEmailChannel,
    }
    assert [c.name for c in channels.values()] == ["terminal", "redactie-slack", "mail"]
    for channel in channels.values():
        asyncio.run(channel.aclose())
