"""A local HTTP server that speaks Slack's incoming-webhook protocol, for integration tests.

It answers like hooks.slack.com: ``200 ok`` for a valid message, ``400 invalid_payload`` for a
body that is not JSON, ``400 no_text`` without ``text`` or ``blocks``, ``400 invalid_blocks``
when Block Kit limits are broken (more than 50 blocks, section text over 3000 characters,
header over 150), ``404 no_service`` for a path that is not a webhook. Tests can script the next
answers, e.g. ``server.script([(500, "internal_error"), (200, "ok")])`` or
``(429, "rate_limited", {"Retry-After": "2"})``.

``requests`` records every request (payload and the status answered); ``messages`` only the
payloads answered with 2xx, i.e. what a Slack channel would show.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

WEBHOOK_PATH = "/services/T0000TEST/B0000TEST/s3cr3tT0k3n"
Answer = tuple[int, str] | tuple[int, str, dict[str, str]]


@dataclass
class Received:
    """One request as the server saw it."""

    path: str
    payload: Any
    status: int
    headers: dict[str, str] = field(default_factory=dict)


class SlackServer:
    """A threaded webhook server on 127.0.0.1 with a free port; use as a context manager."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._script: deque[Answer] = deque()
        self.requests: list[Received] = []
        self.delay = 0.0  # seconds to wait before answering (a slow Slack)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._make_handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The webhook URL to configure (its path is the 'secret')."""
        return f"http://127.0.0.1:{self.port}{WEBHOOK_PATH}"

    @property
    def messages(self) -> list[Any]:
        """Payloads accepted (answered 2xx), in arrival order."""
        with self._lock:
            return [r.payload for r in self.requests if 200 <= r.status < 300]

    def start(self) -> SlackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SlackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def script(self, answers: Iterable[Answer]) -> None:
        """Queue answers for the next requests; afterwards the server answers normally."""
        with self._lock:
            self._script.extend(answers)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Any]:
        """Poll until ``count`` messages were accepted; fail the test after ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = self.messages
            if len(messages) >= count:
                return messages
            time.sleep(0.01)
        raise AssertionError(f"expected {count} Slack messages, got {len(self.messages)}")

    def answer(self, path: str, body: bytes) -> tuple[Any, Answer]:
        """Decide the answer to one POST, as Slack would, unless a scripted one is queued."""
        payload, judged = judge_request(path, body)
        verdict: Answer = judged
        with self._lock:
            if self._script and verdict == (200, "ok"):
                verdict = self._script.popleft()
        return payload, verdict

    def record(self, received: Received) -> None:
        with self._lock:
            self.requests.append(received)

    def _make_handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                payload, verdict = server.answer(self.path, body)
                if server.delay:
                    time.sleep(server.delay)
                server.record(Received(self.path, payload, verdict[0], dict(self.headers)))
                self.reply(verdict)

            def reply(self, verdict: Answer) -> None:
                status, text = verdict[0], verdict[1]
                extra: dict[str, str] = verdict[2] if len(verdict) == 3 else {}
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(data)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler


def judge_request(path: str, body: bytes) -> tuple[Any, tuple[int, str]]:
    """Slack's own verdict on a webhook request."""
    if path != WEBHOOK_PATH:
        return None, (404, "no_service")
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, (400, "invalid_payload")
    if not isinstance(payload, dict):
        return payload, (400, "invalid_payload")
    if not payload.get("text") and not payload.get("blocks"):
        return payload, (400, "no_text")
    if not blocks_valid(payload.get("blocks", [])):
        return payload, (400, "invalid_blocks")
    return payload, (200, "ok")


def blocks_valid(blocks: Any) -> bool:
    """The Block Kit limits nieuwswacht must stay within."""
    if not isinstance(blocks, list) or len(blocks) > 50:
        return False
    return all(block_valid(block) for block in blocks)


def block_valid(block: Any) -> bool:
    if not isinstance(block, dict):
        return False
    kind, text = block.get("type"), block.get("text") or {}
    if kind == "header":
        return text.get("type") == "plain_text" and 0 < len(text.get("text", "")) <= 150
    if kind == "section":
        fields = block.get("fields", [])
        return 0 < len(text.get("text", "")) <= 3000 or 0 < len(fields) <= 10
    if kind == "context":
        elements = block.get("elements", [])
        return 0 < len(elements) <= 10 and all(len(e.get("text", "")) <= 3000 for e in elements)
    return kind in {"divider", "actions", "image", "rich_text"}


@pytest.fixture
def slack_server() -> Iterator[SlackServer]:
    """A running Slack-protocol server; ``slack_server.url`` is the webhook URL."""
    with SlackServer() as server:
        yield server
