"""Run the real daemon as a child process, on a config written into a temporary folder.

Integration tests drive nieuwswacht exactly as an operator does: YAML files on disk, the
``nieuwswacht`` entry point, signals to stop it. Only the addresses are local.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]


@dataclass
class DaemonFiles:
    """A self-contained config folder: main config, feeds, watchlists and the database."""

    root: Path
    feeds: list[dict[str, Any]] = field(default_factory=list)
    channels: dict[str, Any] = field(default_factory=lambda: {"console": {"type": "console"}})
    watchlists_text: str | None = None
    delivery: dict[str, Any] = field(
        default_factory=lambda: {"interval": 0.5, "backoff_base": 0.5, "backoff_max": 2}
    )
    polling: dict[str, Any] = field(default_factory=dict)
    sites: list[dict[str, Any]] = field(default_factory=list)
    # Tests poll at a fixed rhythm unless they ask for adaptive polling; the HTTP endpoint
    # takes a free port (the daemon logs it, see DaemonProcess.http_port).
    http: dict[str, Any] = field(default_factory=lambda: {"port": 0})
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def config(self) -> Path:
        return self.root / "nieuwswacht.yaml"

    @property
    def database(self) -> Path:
        return self.root / "state.db"

    def write(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "feeds.yaml").write_text(
            yaml.safe_dump({"sources": self.feeds}, allow_unicode=True), encoding="utf-8"
        )
        if self.sites:
            (self.root / "sites.yaml").write_text(
                yaml.safe_dump({"sites": self.sites}, allow_unicode=True), encoding="utf-8"
            )
        watchlists = self.watchlists_text or (REPO / "config" / "watchlists.yaml").read_text(
            encoding="utf-8"
        )
        (self.root / "watchlists.yaml").write_text(watchlists, encoding="utf-8")
        config = {
            "store": {"url": "sqlite:///state.db"},
            "sources": ["feeds.yaml"],
            "sites": ["sites.yaml"] if self.sites else [],
            "watchlists": "watchlists.yaml",
            "polling": {
                "connect_timeout": 2,
                "read_timeout": 2,
                "deadline": 5,
                "adaptive": False,
                **self.polling,
            },
            "delivery": self.delivery,
            "channels": self.channels,
            "log": {"level": "INFO"},
            "http": self.http,
            **self.extra,
        }
        self.config.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        return self.config


def feed_source(
    source_id: str, url: str, *, interval: str = "1s", full_text: bool = True
) -> dict[str, Any]:
    return {
        "id": source_id,
        "name": source_id.upper(),
        "outlet": source_id.split("-")[0].upper(),
        "url": url,
        "interval": interval,
        "full_text": full_text,
    }


def run_cli(
    args: Iterable[str], env: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``nieuwswacht ARGS`` to completion and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "alerts.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        check=False,
    )


class DaemonProcess:
    """``nieuwswacht run`` in the background; logs go to files the test can read."""

    def __init__(self, config: Path, env: Mapping[str, str] | None = None) -> None:
        self.config = config
        self.env = {**os.environ, **(env or {})}
        self.log_path = config.parent / "daemon.log"
        self.out_path = config.parent / "daemon.out"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, wait_started: float = 60) -> DaemonProcess:
        with self.log_path.open("ab") as err, self.out_path.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "alerts.cli", "run", "--config", str(self.config)],
                stdout=out,
                stderr=err,
                cwd=REPO,
                env=self.env,
            )
        self.wait_for_log("daemon started", timeout=wait_started)
        return self

    def log(self) -> str:
        return (
            self.log_path.read_text(encoding="utf-8", errors="replace")
            if self.log_path.exists()
            else ""
        )

    def stdout(self) -> str:
        return (
            self.out_path.read_text(encoding="utf-8", errors="replace")
            if self.out_path.exists()
            else ""
        )

    def wait_for_log(self, text: str, timeout: float = 30, count: int = 1) -> None:
        wait_until(
            lambda: self.log().count(text) >= count,
            timeout,
            lambda: f"log never said {text!r}:\n{self.log()[-3000:]}",
            self,
        )

    def http_port(self, timeout: float = 30) -> int:
        """The port of the daemon's /healthz and /metrics endpoint, read from its log."""
        self.wait_for_log("http endpoint listening", timeout=timeout)
        found = re.search(r"http endpoint listening .*?port=(\d+)", self.log())
        assert found is not None, self.log()[-2000:]
        return int(found.group(1))

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def wait_until(
    condition: Callable[[], bool],
    timeout: float,
    describe: Callable[[], str] = lambda: "condition",
    daemon: DaemonProcess | None = None,
) -> None:
    """Poll ``condition`` until true; fail with ``describe()`` (and the daemon's log) if not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if daemon is not None and daemon.proc is not None and daemon.proc.poll() is not None:
            raise AssertionError(
                f"daemon exited with {daemon.proc.returncode}:\n{daemon.log()[-3000:]}"
            )
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s: {describe()}")
