"""Delivery channels: where alerts go (Slack webhook, SMTP, the console).

:func:`build_channels` turns the validated ``channels:`` section of ``config/nieuwswacht.yaml``
into ready :class:`~alerts.channels.base.Channel` objects, keyed by the name the operator gave.
"""

from __future__ import annotations

from collections.abc import Mapping

from alerts.channels.base import Channel
from alerts.channels.console import StdoutChannel
from alerts.channels.email import SmtpEmailChannel
from alerts.channels.slack import SlackWebhookChannel
from alerts.config import ChannelSettings, ConsoleChannel, EmailChannel, SlackChannel

__all__ = [
    "Channel",
    "SlackWebhookChannel",
    "SmtpEmailChannel",
    "StdoutChannel",
    "build_channel",
    "build_channels",
]


def build_channel(name: str, settings: ChannelSettings) -> Channel:
    """One channel from its settings."""
    if isinstance(settings, SlackChannel):
        return SlackWebhookChannel(name, settings)
    if isinstance(settings, EmailChannel):
        return SmtpEmailChannel(name, settings)
    if isinstance(settings, ConsoleChannel):
        return StdoutChannel(name)
    raise TypeError(f"unknown channel settings for {name!r}: {type(settings).__name__}")


def build_channels(settings: Mapping[str, ChannelSettings]) -> dict[str, Channel]:
    """Every configured channel, keyed by its name in the config file."""
    return {name: build_channel(name, channel) for name, channel in settings.items()}
