"""The email channel: one SMTP conversation per message, run in a thread (smtplib blocks).

Reads the ``email`` channel settings: ``host``, ``port``, ``security`` (``starttls``, ``ssl`` or
``none``), optional ``username``/``password``, ``sender``, ``recipients``, ``timeout``.
smtplib's exceptions are translated here (RFC 5321 §4.2.1: 4xx is transient, 5xx permanent):

- login refused, 5xx replies, every recipient refused with 5xx, STARTTLS missing, TLS
  certificate or protocol mismatch → :class:`PermanentDeliveryError`;
- 4xx replies, connection refused, timeouts, a dropped connection → temporary.

When only some recipients are refused the message counts as delivered (sending again would
duplicate it for the others) and the refusals are logged. The password never appears in
messages or logs.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage

from alerts.alert import Alert
from alerts.config import EmailChannel as EmailSettings
from alerts.errors import DeliveryError, PermanentDeliveryError, TemporaryDeliveryError
from alerts.messages import Digest
from alerts.render_email import render_email, render_email_digest, render_email_notice

logger = logging.getLogger(__name__)

Refusals = Mapping[str, tuple[int, bytes]]


class SmtpEmailChannel:
    """One SMTP account. ``ssl_context`` overrides the system trust store (tests, private CAs)."""

    def __init__(
        self, name: str, settings: EmailSettings, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self.name = name
        self._settings = settings
        self._where = f"SMTP server {settings.host}:{settings.port}"
        self._context = ssl_context or ssl.create_default_context(cafile=settings.ca_file)

    async def send(self, alert: Alert) -> None:
        s = self._settings
        await asyncio.to_thread(self.deliver, render_email(alert, s.sender, s.recipients))

    async def send_digest(self, digest: Digest) -> None:
        s = self._settings
        message = render_email_digest(digest, s.sender, s.recipients)
        await asyncio.to_thread(self.deliver, message)

    async def send_notice(self, subject: str, text: str) -> None:
        s = self._settings
        message = render_email_notice(subject, text, s.sender, s.recipients)
        await asyncio.to_thread(self.deliver, message)

    async def aclose(self) -> None:
        return None

    def deliver(self, message: EmailMessage) -> None:
        """Blocking: connect, secure, log in, send, quit; raise a DeliveryError on failure."""
        try:
            refused = self.converse(message)
        except DeliveryError:
            raise
        except Exception as exc:
            raise translate_error(exc, self._where) from None
        if refused:
            logger.warning(
                "smtp recipients refused",
                extra={"channel": self.name, "recipients": sorted(refused)},
            )

    def converse(self, message: EmailMessage) -> Refusals:
        s = self._settings
        smtp = self.connect()
        try:
            if s.security == "starttls":
                smtp.starttls(context=self._context)
            if s.username:
                smtp.login(s.username, s.password or "")
            refused = smtp.send_message(message)
        except BaseException:
            smtp.close()
            raise
        close_politely(smtp)
        return refused

    def connect(self) -> smtplib.SMTP:
        s = self._settings
        if s.security == "ssl":
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._context)
        return smtplib.SMTP(s.host, s.port, timeout=s.timeout)


def close_politely(smtp: smtplib.SMTP) -> None:
    """QUIT after the message was accepted; a failure here must not cause a resend."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def translate_error(exc: Exception, where: str) -> DeliveryError:
    """smtplib / socket / ssl exception → our temporary or permanent delivery error."""
    if isinstance(exc, smtplib.SMTPAuthenticationError) and exc.smtp_code >= 500:
        return PermanentDeliveryError(
            f"{where} refused the login ({describe_reply(exc.smtp_code, exc.smtp_error)}): "
            "check the username and password (SMTP_PASSWORD) of this email channel"
        )
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return translate_refusals(exc.recipients, where)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return by_code(exc.smtp_code, exc.smtp_error, where, "check the channel's sender address")
    if isinstance(exc, smtplib.SMTPResponseException):
        return by_code(exc.smtp_code, exc.smtp_error, where, "see the server's reply")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return PermanentDeliveryError(
            f"{where}: {exc}: use security 'ssl' (port 465) or 'none', "
            "or leave out username/password if the server takes no login"
        )
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return TemporaryDeliveryError(f"{where} closed the connection ({exc}); will retry")
    return translate_socket_error(exc, where)


def translate_socket_error(exc: Exception, where: str) -> DeliveryError:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return PermanentDeliveryError(
            f"{where}: TLS certificate not trusted ({exc.verify_message}): "
            "check the host name, or trust the server's CA"
        )
    if isinstance(exc, ssl.SSLError):
        return PermanentDeliveryError(
            f"{where}: TLS failed ({exc.reason}): use security 'ssl' for port 465 and "
            "'starttls' for port 587"
        )
    if isinstance(exc, TimeoutError):
        return TemporaryDeliveryError(f"{where} timed out; will retry")
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc) or type(exc).__name__
        return TemporaryDeliveryError(f"{where} unreachable ({reason}); will retry")
    # Not network trouble (e.g. an address smtplib cannot encode): retrying cannot help.
    return PermanentDeliveryError(
        f"{where}: could not send ({type(exc).__name__}: {exc}); check sender and recipients"
    )


def translate_refusals(refusals: Refusals, where: str) -> DeliveryError:
    """Every recipient refused: permanent if any refusal was 5xx, else temporary."""
    detail = "; ".join(
        f"{rcpt}: {describe_reply(code, reply)}" for rcpt, (code, reply) in refusals.items()
    )
    if any(code >= 500 for code, _ in refusals.values()):
        return PermanentDeliveryError(
            f"{where} refused every recipient ({detail}): check the channel's recipients"
        )
    return TemporaryDeliveryError(f"{where} deferred every recipient ({detail}); will retry")


def by_code(code: int, reply: bytes | str, where: str, advice: str) -> DeliveryError:
    """5xx → permanent, anything else (4xx, a garbled reply) → temporary."""
    text = f"{where} answered {describe_reply(code, reply)}"
    if code >= 500:
        return PermanentDeliveryError(f"{text}: {advice}")
    return TemporaryDeliveryError(f"{text}; will retry")


def describe_reply(code: int, reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", "replace")
    return f"{code} {' '.join(reply.split())[:200]}".strip()
