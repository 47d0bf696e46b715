"""The Slack channel: Block Kit messages POSTed to an incoming webhook with httpx.

Reads the ``slack`` channel settings (``webhook_url``, ``timeout``). Slack's webhook protocol
answers ``200 ok`` on success and a status plus an error code in the body otherwise
(https://api.slack.com/messaging/webhooks#handling_errors). Those answers become our errors:

- 429 → temporary, ``retry_after`` from the ``Retry-After`` header;
- 5xx, 408, timeouts, connection failures → temporary;
- 400/403/404/410 and any other 4xx, redirects → permanent, naming the status, Slack's code and
  what to do about it.

The webhook URL is a secret (anyone holding it can post): messages and logs show only its host.
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from alerts.alert import Alert
from alerts.config import SlackChannel as SlackSettings
from alerts.errors import PermanentDeliveryError, TemporaryDeliveryError
from alerts.messages import Digest
from alerts.render_slack import render_slack, render_slack_digest, render_slack_notice

logger = logging.getLogger(__name__)

_NEW_WEBHOOK = "create a new incoming webhook in Slack and update SLACK_WEBHOOK_URL"
HINTS = {
    "invalid_payload": "Slack rejected the message format; report this nieuwswacht bug",
    "no_text": "the message had no text; report this nieuwswacht bug",
    "invalid_blocks": "Slack rejected the message blocks; report this nieuwswacht bug",
    "too_many_attachments": "the message was too large; report this nieuwswacht bug",
    "invalid_token": f"the webhook was revoked: {_NEW_WEBHOOK}",
    "action_prohibited": "a workspace admin restricted posting to this channel; "
    "ask an admin or point the webhook at another channel",
    "posting_to_general_channel_denied": "only admins may post to this channel; "
    "ask an admin or point the webhook at another channel",
    "no_service": f"the webhook was disabled or its app removed: {_NEW_WEBHOOK}",
    "no_active_hooks": f"the webhook was disabled: {_NEW_WEBHOOK}",
    "team_disabled": "the Slack workspace is disabled; use another workspace's webhook",
    "channel_not_found": f"the webhook's channel was deleted: {_NEW_WEBHOOK}",
    "channel_is_archived": f"the channel is archived: unarchive it, or {_NEW_WEBHOOK}",
    "user_not_found": f"the webhook's user no longer exists: {_NEW_WEBHOOK}",
}
DEFAULT_HINT = f"check the webhook in Slack; if it was removed, {_NEW_WEBHOOK}"
TEMPORARY_STATUSES = frozenset({408, 425, 429})
MAX_CODE_CHARS = 80
MAX_RETRY_AFTER = 24 * 3600.0


class SlackWebhookChannel:
    """One incoming webhook. ``client`` may be injected (tests use ``httpx.MockTransport``)."""

    def __init__(
        self, name: str, settings: SlackSettings, client: httpx.AsyncClient | None = None
    ) -> None:
        self.name = name
        self._url = settings.webhook_url
        self._host = urlsplit(settings.webhook_url).hostname or "?"
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(settings.timeout), follow_redirects=False
        )

    async def send(self, alert: Alert) -> None:
        await self.post_payload(render_slack(alert))

    async def send_digest(self, digest: Digest) -> None:
        await self.post_payload(render_slack_digest(digest))

    async def send_notice(self, subject: str, text: str) -> None:
        await self.post_payload(render_slack_notice(subject, text))

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def post_payload(self, payload: dict[str, Any]) -> None:
        """POST one message; return when Slack answered 2xx, raise a DeliveryError otherwise."""
        try:
            response = await self._client.post(self._url, json=payload)
        except httpx.TimeoutException:
            raise self.fail_temporary("timed out; Slack may be slow, will retry") from None
        except httpx.HTTPError as exc:
            reason = self.redact(str(exc)) or type(exc).__name__
            raise self.fail_temporary(f"connection failed ({reason}); will retry") from None
        check_response(response, self._host)
        logger.debug("slack accepted message", extra={"channel": self.name, "host": self._host})

    def fail_temporary(self, what: str) -> TemporaryDeliveryError:
        return TemporaryDeliveryError(f"Slack webhook at {self._host}: {what}")

    def redact(self, text: str) -> str:
        """``text`` with the webhook URL and its secret path removed."""
        path = urlsplit(self._url).path
        text = text.replace(self._url, f"https://{self._host}/…")
        return text.replace(path, "/…") if len(path) > 1 else text


def check_response(response: httpx.Response, host: str) -> None:
    """Translate Slack's answer into success, a temporary or a permanent error."""
    status = response.status_code
    if 200 <= status < 300:
        return
    code = read_error_code(response)
    prefix = f"Slack webhook at {host} answered {status} {code}".rstrip()
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise TemporaryDeliveryError(f"{prefix}: rate limited, will retry", retry_after=retry_after)
    if status >= 500 or status in TEMPORARY_STATUSES:
        raise TemporaryDeliveryError(f"{prefix}: Slack is having trouble, will retry")
    if 300 <= status < 400:
        raise PermanentDeliveryError(f"{prefix}: the webhook URL redirects; {DEFAULT_HINT}")
    raise PermanentDeliveryError(f"{prefix}: {HINTS.get(code, DEFAULT_HINT)}")


def read_error_code(response: httpx.Response) -> str:
    """Slack's error code from the body (``no_service``), made safe to log."""
    body = response.text.strip()[:MAX_CODE_CHARS]
    return "".join(ch for ch in body if ch.isalnum() or ch in "_-.: ")


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        pass
    else:
        return min(max(0.0, seconds), MAX_RETRY_AFTER) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, (when - datetime.now(UTC)).total_seconds()), MAX_RETRY_AFTER)
