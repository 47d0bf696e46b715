"""The two outbox messages besides an Alert: a Digest of held alerts and an operational Notice.

Both are snapshots serialised as JSON into the outbox, like alerts, so that they survive a
crash and are delivered at least once through the same queue, backoff and dead letters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alerts.alert import Alert


@dataclass(frozen=True)
class Notice:
    """A message for the operators (e.g. "an alert could not reach Slack")."""

    id: str
    subject: str
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "subject": self.subject, "text": self.text}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Notice:
        return cls(str(data["id"]), str(data["subject"]), str(data["text"]))


@dataclass(frozen=True)
class Digest:
    """Alerts held for one channel, released together; one entry per story, oldest first."""

    id: str
    created_at: datetime
    alerts: tuple[Alert, ...]

    @property
    def story_count(self) -> int:
        return len(self.alerts)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat(),
            "alerts": [a.to_json() for a in self.alerts],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Digest:
        return cls(
            id=str(data["id"]),
            created_at=datetime.fromisoformat(data["created_at"]),
            alerts=tuple(Alert.from_json(a) for a in data["alerts"]),
        )


Message = Alert | Digest | Notice


def describe_message(message: Message) -> str:
    """A short human label for logs and notices."""
    if isinstance(message, Alert):
        return f"alert '{message.title}' ({message.url})"
    if isinstance(message, Digest):
        return f"digest {message.id} ({message.story_count} stories)"
    return f"notice '{message.subject}'"
