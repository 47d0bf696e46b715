"""The alerts package's exception tree.

    AlertsError
    ├── DeliveryError                a channel did not take a message
    │   ├── TemporaryDeliveryError   5xx, 429, timeouts, SMTP 4xx: retried with backoff
    │   └── PermanentDeliveryError   Slack 400/403/404/410, SMTP 5xx or auth: a dead letter
    └── MatcherError                 a watchlist could not be compiled

Configuration errors are :class:`crawler.errors.ConfigError`, re-exported here, so that a
YAML mistake reads the same wherever it is found.
"""

from __future__ import annotations

from crawler.errors import ConfigError

__all__ = [
    "AlertsError",
    "ConfigError",
    "DeliveryError",
    "MatcherError",
    "PermanentDeliveryError",
    "TemporaryDeliveryError",
]


class AlertsError(Exception):
    """Base of every error the alerts package raises on purpose."""


class DeliveryError(AlertsError):
    """A channel did not accept a message. ``retry_after`` is seconds, when the peer said."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TemporaryDeliveryError(DeliveryError):
    """Try again later: the channel is down, slow or rate-limiting."""


class PermanentDeliveryError(DeliveryError):
    """Trying again will not help: the webhook is gone, the payload or login is wrong."""


class MatcherError(AlertsError):
    """A watchlist rule could not be compiled into the matcher."""
