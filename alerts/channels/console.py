"""The console channel: alerts printed to standard output, for ``make run`` and debugging.

It never fails: a closed or broken stdout is logged and the alert counts as delivered, because
retrying a print cannot help and must not hold up the outbox.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from alerts.alert import Alert
from alerts.messages import Digest
from alerts.render import render_digest_text, render_text

logger = logging.getLogger(__name__)
RULE = "─" * 72


class StdoutChannel:
    """Prints each alert as a readable block of lines."""

    def __init__(self, name: str = "console", stream: TextIO | None = None) -> None:
        self.name = name
        self._stream = stream

    async def send(self, alert: Alert) -> None:
        self.write_block(render_text(alert))

    async def send_digest(self, digest: Digest) -> None:
        self.write_block(render_digest_text(digest))

    async def send_notice(self, subject: str, text: str) -> None:
        self.write_block(f"[nieuwswacht] {subject}\n{text}\n")

    async def aclose(self) -> None:
        return None

    def write_block(self, text: str) -> None:
        stream = self._stream or sys.stdout
        try:
            stream.write(f"{RULE}\n{text}")
            stream.flush()
        except (OSError, ValueError) as exc:
            logger.warning("console write failed", extra={"channel": self.name, "error": str(exc)})
