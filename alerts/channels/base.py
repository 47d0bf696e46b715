"""What every delivery channel offers the delivery job: send an alert, send a notice, close.

The contract that keeps the outbox honest: ``send`` returns only once the peer has accepted the
message; otherwise it raises :class:`~alerts.errors.TemporaryDeliveryError` (try again later,
``retry_after`` in seconds when the peer said) or :class:`~alerts.errors.PermanentDeliveryError`
(a dead letter) with a message a user can act on. Secrets (webhook URLs, passwords) never
appear in those messages or in logs.
"""

from __future__ import annotations

from typing import Protocol

from alerts.alert import Alert
from alerts.messages import Digest


class Channel(Protocol):
    """A configured destination for alerts (Slack webhook, SMTP account, the console)."""

    name: str

    async def send(self, alert: Alert) -> None:
        """Deliver ``alert``; return only when the peer accepted it."""
        ...

    async def send_digest(self, digest: Digest) -> None:
        """Deliver a digest of held alerts (one message), with the same error contract."""
        ...

    async def send_notice(self, subject: str, text: str) -> None:
        """Deliver a plain operational notice, with the same error contract as ``send``."""
        ...

    async def aclose(self) -> None:
        """Release connections; the channel is not used afterwards."""
        ...
