"""A tiny HTTP endpoint for operators and orchestrators: ``/healthz`` and ``/metrics``.

Plain asyncio streams, no web framework: two GET routes do not need one. Bound to 127.0.0.1
by default (``http.bind``/``http.port``; port 0 picks a free port, which is logged).
``/healthz`` answers 200 only when the scheduler runs and the store answers a query, else
503, so a container healthcheck or a load balancer sees a wedged daemon as unhealthy.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

READ_TIMEOUT = 5.0
MAX_REQUEST_BYTES = 8192
_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}


@dataclass(frozen=True)
class Response:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


Route = Callable[[], Awaitable[Response]]


class HttpEndpoint:
    """Serves a fixed set of GET routes until :meth:`close`."""

    def __init__(self, routes: dict[str, Route]) -> None:
        self.routes = routes
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self, bind: str, port: int) -> None:
        self._server = await asyncio.start_server(self._serve, bind, port)
        self.port = int(self._server.sockets[0].getsockname()[1])
        log.info("http endpoint listening", extra={"bind": bind, "port": self.port})

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT)
            response = await self._answer(head[:MAX_REQUEST_BYTES])
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            response = None
        except Exception:
            log.exception("http request failed")
            response = Response(503, "internal error\n")
        try:
            if response is not None:
                writer.write(_encode(response))
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def _answer(self, head: bytes) -> Response:
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split()
        if len(parts) < 2:
            return Response(405, "bad request\n")
        method, target = parts[0], parts[1].split("?", 1)[0]
        route = self.routes.get(target)
        if route is None:
            return Response(404, "not found; try /healthz or /metrics\n")
        if method not in ("GET", "HEAD"):
            return Response(405, "only GET\n")
        return await route()


def json_response(status: int, data: dict[str, object]) -> Response:
    return Response(status, json.dumps(data) + "\n", "application/json")


def _encode(response: Response) -> bytes:
    body = response.body.encode("utf-8")
    reason = _REASONS.get(response.status, "OK")
    head = (
        f"HTTP/1.1 {response.status} {reason}\r\n"
        f"Content-Type: {response.content_type}\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body
