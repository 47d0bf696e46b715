"""The email channel against a real aiosmtpd server: plain, STARTTLS, SSL, login, refusals."""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alerts.channels.email import SmtpEmailChannel
from alerts.config import EmailChannel as EmailSettings
from alerts.errors import DeliveryError, PermanentDeliveryError, TemporaryDeliveryError
from tests.support.smtp_server import SmtpServer, smtp_server
from tests.test_render import make_alert

__all__ = ["smtp_server"]
pytestmark = pytest.mark.integration


def make_channel(
    port: int, context: ssl.SSLContext | None = None, **settings: Any
) -> SmtpEmailChannel:
    values: dict[str, Any] = {
        "type": "email",
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "sender": "nieuwswacht@example.org",
        "recipients": ["redactie@example.org"],
        "timeout": 5.0,
    }
    values.update(settings)
    return SmtpEmailChannel("email", EmailSettings(**values), ssl_context=context)


def send(channel: SmtpEmailChannel, alert_id: str = "42") -> None:
    asyncio.run(channel.send(make_alert(id=alert_id)))


def send_failing(channel: SmtpEmailChannel) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        send(channel)
    return caught.value


def trust(ca_file: Path | None) -> ssl.SSLContext:
    assert ca_file is not None
    return ssl.create_default_context(cafile=str(ca_file))


def test_alert_arrives_as_utf8_multipart_with_stable_headers(smtp_server: SmtpServer) -> None:
    channel = make_channel(smtp_server.port)
    send(channel)
    send(channel)
    first, second = smtp_server.wait_for(2)
    assert first["Subject"] == (
        "[nieuwswacht] Sancties, Invasie, Troepenopbouw: "
        "Biden waarschuwt Poetin voor sancties bij invasie van Oekraïne"
    )
    assert first["Message-ID"] == second["Message-ID"] == "<alert-42@nieuwswacht.local>"
    assert "<rusland-oekraine-navo.nieuwswacht.local>" in str(first["List-Id"])
    assert first.get_content_type() == "multipart/alternative"
    plain, rich = first.get_body(("plain",)), first.get_body(("html",))
    assert plain is not None and rich is not None
    assert "Oekraïne" in plain.get_content() and "Oekraïne" in rich.get_content()
    assert smtp_server.envelopes[0] == ("nieuwswacht@example.org", ["redactie@example.org"])


def test_notice_arrives(smtp_server: SmtpServer) -> None:
    channel = make_channel(smtp_server.port)
    asyncio.run(channel.send_notice("Slack onbereikbaar", "Alert 42 kon niet via slack"))
    [message] = smtp_server.wait_for(1)
    assert message["Subject"] == "[nieuwswacht] Slack onbereikbaar"
    assert "Alert 42" in message.get_content()


def test_login_succeeds_and_a_wrong_password_is_permanent() -> None:
    with SmtpServer(users={"wacht": "geheim"}) as server:
        send(make_channel(server.port, username="wacht", password="geheim"))
        assert len(server.wait_for(1)) == 1
        error = send_failing(make_channel(server.port, username="wacht", password="fout"))
    assert isinstance(error, PermanentDeliveryError)
    assert f"127.0.0.1:{server.port}" in str(error) and "535" in str(error)
    assert "password" in str(error) and "fout" not in str(error)


def test_missing_login_is_permanent() -> None:
    with SmtpServer(users={"wacht": "geheim"}) as server:
        error = send_failing(make_channel(server.port))
    assert isinstance(error, PermanentDeliveryError) and "530" in str(error)


@pytest.mark.parametrize(
    ("stage", "reply", "kind"),
    [
        ("RCPT", "550 5.1.1 Geen postbus", PermanentDeliveryError),
        ("RCPT", "451 4.3.0 Probeer later", TemporaryDeliveryError),
        ("MAIL", "553 5.7.1 Afzender geweigerd", PermanentDeliveryError),
        ("MAIL", "421 4.7.0 Te druk", TemporaryDeliveryError),
        ("DATA", "554 5.6.0 Bericht geweigerd", PermanentDeliveryError),
        ("DATA", "452 4.3.1 Schijf vol", TemporaryDeliveryError),
    ],
)
def test_refusals_map_to_permanent_or_temporary(
    smtp_server: SmtpServer, stage: Any, reply: str, kind: type[DeliveryError]
) -> None:
    smtp_server.refuse(stage, reply)
    error = send_failing(make_channel(smtp_server.port))
    assert type(error) is kind
    assert f"127.0.0.1:{smtp_server.port}" in str(error) and reply.split()[0] in str(error)
    send(make_channel(smtp_server.port))
    assert len(smtp_server.wait_for(1)) == 1


def test_partly_refused_recipients_count_as_delivered(
    smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    smtp_server.refuse("RCPT", "550 5.1.1 Geen postbus")
    channel = make_channel(smtp_server.port, recipients=["weg@example.org", "ok@example.org"])
    with caplog.at_level(logging.WARNING):
        send(channel)
    smtp_server.wait_for(1)
    assert smtp_server.envelopes[0][1] == ["ok@example.org"]
    assert any(r.getMessage() == "smtp recipients refused" for r in caplog.records)


def test_connection_refused_is_temporary() -> None:
    with SmtpServer() as server:
        port = server.port
    error = send_failing(make_channel(port))
    assert isinstance(error, TemporaryDeliveryError) and f"127.0.0.1:{port}" in str(error)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


def test_silent_server_times_out_as_temporary(silent_port: int) -> None:
    error = send_failing(make_channel(silent_port, timeout=0.3))
    assert isinstance(error, TemporaryDeliveryError) and "timed out" in str(error)


def test_starttls_with_trusted_certificate(tmp_path: Path) -> None:
    with SmtpServer(tls="starttls", cert_dir=tmp_path) as server:
        channel = make_channel(server.port, trust(server.ca_file), security="starttls")
        send(channel)
        assert server.wait_for(1)[0]["Message-ID"] == "<alert-42@nieuwswacht.local>"
        error = send_failing(make_channel(server.port, security="starttls"))
    assert isinstance(error, PermanentDeliveryError) and "not trusted" in str(error)


def test_ssl_with_trusted_certificate(tmp_path: Path) -> None:
    with SmtpServer(tls="ssl", cert_dir=tmp_path) as server:
        send(make_channel(server.port, trust(server.ca_file), security="ssl"))
        assert len(server.wait_for(1)) == 1


def test_starttls_against_a_server_without_it_is_permanent(smtp_server: SmtpServer) -> None:
    error = send_failing(make_channel(smtp_server.port, security="starttls"))
    assert isinstance(error, PermanentDeliveryError) and "STARTTLS" in str(error)


def test_ssl_against_a_plain_server_is_permanent(smtp_server: SmtpServer) -> None:
    error = send_failing(make_channel(smtp_server.port, security="ssl"))
    assert isinstance(error, PermanentDeliveryError) and "TLS failed" in str(error)
