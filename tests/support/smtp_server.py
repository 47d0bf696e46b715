"""A local SMTP server (aiosmtpd) that keeps what it receives, for integration tests.

``SmtpServer()`` listens on 127.0.0.1 on a port the OS picks. Options:

- ``users={"alerts": "geheim"}``: AUTH PLAIN/LOGIN required (allowed without TLS, as on a
  test bench);
- ``tls="starttls"`` or ``tls="ssl"`` with a throwaway self-signed certificate made by
  :func:`make_certificate` (``server.ca_file`` is the file a client must trust);
- ``server.refuse("RCPT", "550 5.1.1 No such user", count=1)``: answer the next ``count``
  ``MAIL``/``RCPT``/``DATA`` commands with that reply instead of accepting (one recipient per
  message makes ``count`` a number of messages).

``messages`` holds every accepted message parsed with ``email.policy.default``; ``wait_for(n)``
polls for them with a deadline.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import ipaddress
import ssl
import threading
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Iterator, Mapping
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

Stage = Literal["MAIL", "RCPT", "DATA"]
TlsMode = Literal["none", "starttls", "ssl"]


class _EphemeralController(Controller):
    """aiosmtpd's Controller, bound to port 0 so parallel test runs never collide."""

    def _create_server(self) -> Awaitable[Any]:
        async def create() -> Any:
            server = await self.loop.create_server(
                self._factory_invoker, host=self.hostname, port=0, ssl=self.ssl_context
            )
            self.port = server.sockets[0].getsockname()[1]
            return server

        return create()

    def factory(self) -> SMTP:
        # AUTH without TLS is deliberate on this test bench; aiosmtpd warns per connection.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
            smtp: SMTP = super().factory()  # type: ignore[no-untyped-call]
            return smtp


class RecordingHandler:
    """aiosmtpd handler: scripted refusals, then store the message."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.refusals: dict[str, deque[str]] = {"MAIL": deque(), "RCPT": deque(), "DATA": deque()}
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    def take_refusal(self, stage: Stage) -> str | None:
        with self.lock:
            queue = self.refusals[stage]
            return queue.popleft() if queue else None

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        refusal = self.take_refusal("MAIL")
        if refusal:
            return refusal
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        refusal = self.take_refusal("RCPT")
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        refusal = self.take_refusal("DATA")
        if refusal:
            return refusal
        raw = envelope.original_content or envelope.content or b""
        assert isinstance(raw, bytes)
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append(parsed)
            self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


class SmtpServer:
    """A running aiosmtpd server on 127.0.0.1; use as a context manager."""

    def __init__(
        self,
        users: Mapping[str, str] | None = None,
        tls: TlsMode = "none",
        cert_dir: Path | None = None,
    ) -> None:
        self.handler = RecordingHandler()
        self.users = dict(users or {})
        self.ca_file: Path | None = None
        kwargs: dict[str, Any] = {}
        if self.users:
            kwargs.update(
                authenticator=self.authenticate, auth_required=True, auth_require_tls=False
            )
        if tls != "none":
            if cert_dir is None:
                raise ValueError("tls needs cert_dir for the throwaway certificate")
            context = make_server_context(cert_dir)
            self.ca_file = cert_dir / "cert.pem"
            kwargs["tls_context" if tls == "starttls" else "ssl_context"] = context
            if tls == "starttls":
                kwargs["require_starttls"] = True
        self.controller = _EphemeralController(self.handler, hostname="127.0.0.1", **kwargs)

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        return int(self.controller.port)

    @property
    def messages(self) -> list[EmailMessage]:
        with self.handler.lock:
            return list(self.handler.messages)

    @property
    def envelopes(self) -> list[tuple[str, list[str]]]:
        with self.handler.lock:
            return list(self.handler.envelopes)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    def refuse(self, stage: Stage, reply: str, count: int = 1) -> None:
        """Answer the next ``count`` commands of ``stage`` with ``reply`` (e.g. ``451 4.3.0``)."""
        with self.handler.lock:
            self.handler.refusals[stage].extend([reply] * count)

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = data.login.decode(), data.password.decode()
        if self.users.get(login) == password:
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)  # aiosmtpd then answers 535

    def wait_for(self, count: int, timeout: float = 5.0) -> list[EmailMessage]:
        """Poll until ``count`` messages arrived; fail the test after ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = self.messages
            if len(messages) >= count:
                return messages
            time.sleep(0.01)
        raise AssertionError(f"expected {count} emails, got {len(self.messages)}")


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1/localhost, valid one day: (cert, key) files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "nieuwswacht test")])
    now = datetime.datetime.now(datetime.UTC)
    san = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def make_server_context(directory: Path) -> ssl.SSLContext:
    cert_file, key_file = make_certificate(directory)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A plain SMTP server (no TLS, no login) on 127.0.0.1."""
    with SmtpServer() as server:
        yield server
