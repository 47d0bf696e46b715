"""Operational notices to the people on the alert channels: broken sources, rejected config.

These are not alerts: they do not go through the outbox, and a channel that refuses one is
logged and skipped. Every channel gets the notice (the console included), once per call.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from alerts.channels.base import Channel
from alerts.errors import DeliveryError

log = logging.getLogger(__name__)


async def announce(channels: Mapping[str, Channel], subject: str, text: str) -> int:
    """Send a notice on every channel; return how many accepted it."""
    accepted = 0
    for name, channel in channels.items():
        try:
            await channel.send_notice(subject, text)
        except DeliveryError as exc:
            log.warning("notice not delivered", extra={"channel": name, "error": str(exc)})
        except Exception:  # a bug in one channel must not stop the others
            log.exception("channel raised on a notice", extra={"channel": name})
        else:
            accepted += 1
    log.info("notice sent", extra={"subject": subject, "channels": accepted})
    return accepted
