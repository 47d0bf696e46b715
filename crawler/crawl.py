"""Run one site's crawl in a subprocess and report on it: the daemon's and the CLI's entry point.

Decision: **each crawl runs as a subprocess** (``python -m crawler.crawl``, the job as JSON on
its stdin), not in the daemon's event loop. Why:

- full isolation: Scrapy's Twisted reactor, its signal handlers, its memory and any C-level
  hang (lxml on a hostile page) stay out of the daemon, whose asyncio loop keeps polling feeds
  and delivering alerts whatever a crawl does;
- a hard timeout is simple and certain: the process group is killed (SIGKILL); no reactor state
  to unwind, no half-stopped crawler left behind for the next run;
- the cost, about 1 s of interpreter and Scrapy start-up per crawl, is negligible next to crawl
  intervals of minutes.

The subprocess writes articles and crawl state straight into the store (SQLite in WAL mode and
PostgreSQL take a concurrent writer) and prints a one-line JSON summary on stdout; its log
records arrive as JSON lines on stderr and are re-emitted here through ``logging``, with the
site id added, so they follow the daemon's log format and level. :func:`run_crawl` never
raises for a crawl that crashes, hangs or cannot start: it returns a :class:`CrawlReport`
with ``error`` set, logs it and records it on the site's crawl state, and the scheduler simply
runs the site again at its next interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from crawler.crawljob import CrawlJob, child_main
from crawler.crawlstate import record_crawl
from crawler.sites import Site
from crawler.store import Store, open_store

log = logging.getLogger(__name__)
DEFAULT_TIMEOUT = 900.0
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
_LINE_LIMIT = 1 << 20


@dataclass(frozen=True)
class CrawlReport:
    """What one crawl did. ``error`` is set when the crawl failed as a whole."""

    site_id: str
    pages_fetched: int = 0
    articles_new: int = 0
    errors: Mapping[str, int] = field(default_factory=dict)
    skipped: Mapping[str, int] = field(default_factory=dict)
    new_urls: tuple[str, ...] = ()
    finish_reason: str = ""
    error: str | None = None
    timed_out: bool = False
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


async def run_crawl(
    site: Site,
    store_url: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    settings: Mapping[str, Any] | None = None,
    store: Store | None = None,
) -> CrawlReport:
    """Crawl ``site`` in a subprocess, killed after ``timeout`` seconds. Never raises for the
    crawl's own failures. ``settings`` override Scrapy settings (tests switch AutoThrottle off);
    ``store`` (optional) is used to record a failure the subprocess could not record itself."""
    started = time.monotonic()
    job = CrawlJob(
        site=site,
        store_url=store_url,
        timeout=timeout,
        settings=dict(settings or {}),
        log_level=logging.getLevelName(logging.getLogger("crawler").getEffectiveLevel()),
    )
    try:
        report, recorded = await _supervise(job)
    except OSError as exc:
        report, recorded = CrawlReport(site.id, error=f"cannot start crawl process: {exc}"), False
    report = _with_duration(report, time.monotonic() - started)
    if report.error and not recorded:
        await _record_failure(site.id, report.error, store_url, store)
    log_report(report)
    return report


async def _supervise(job: CrawlJob) -> tuple[CrawlReport, bool]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "crawler.crawl",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
        limit=_LINE_LIMIT,
    )
    tail: deque[str] = deque(maxlen=10)
    try:
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        out_task = asyncio.create_task(proc.stdout.read())
        err_task = asyncio.create_task(relay_stderr(proc.stderr, job.site.id, tail))
        proc.stdin.write(job.to_json().encode("utf-8"))
        await proc.stdin.drain()
        proc.stdin.close()
        timed_out = False
        try:
            await asyncio.wait_for(proc.wait(), job.timeout)
        except TimeoutError:
            timed_out = True
            kill_process_group(proc)
            await proc.wait()
        stdout, _ = await asyncio.gather(out_task, err_task)
    finally:
        if proc.returncode is None:  # cancelled (daemon stopping): leave nothing behind
            kill_process_group(proc)
            await proc.wait()
    if timed_out:
        error = f"crawl timed out after {job.timeout:g}s and was killed"
        return CrawlReport(job.site.id, error=error, timed_out=True), False
    return parse_summary(job.site.id, stdout, proc.returncode, tail)


def kill_process_group(proc: asyncio.subprocess.Process) -> None:
    """SIGKILL the crawl process and anything it started (it leads its own session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def parse_summary(
    site_id: str, stdout: bytes, returncode: int | None, tail: deque[str]
) -> tuple[CrawlReport, bool]:
    """The subprocess's last stdout line as a report; a crash without one is an error report."""
    lines = [ln for ln in stdout.decode("utf-8", "replace").splitlines() if ln.strip()]
    try:
        data = json.loads(lines[-1]) if lines else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        last = tail[-1] if tail else "no output"
        error = f"crawl process exited with status {returncode} without a summary: {last}"
        return CrawlReport(site_id, error=error), False
    report = CrawlReport(
        site_id=site_id,
        pages_fetched=int(data.get("pages_fetched", 0)),
        articles_new=int(data.get("articles_new", 0)),
        errors=dict(data.get("errors") or {}),
        skipped=dict(data.get("skipped") or {}),
        new_urls=tuple(data.get("new_urls") or ()),
        finish_reason=str(data.get("finish_reason") or ""),
        error=data.get("error"),
    )
    return report, bool(data.get("recorded"))


async def relay_stderr(stream: asyncio.StreamReader, site_id: str, tail: deque[str]) -> None:
    """Re-emit the subprocess's JSON log lines here; keep the last problems for the report."""
    while True:
        try:
            raw = await stream.readline()
        except ValueError:  # a line over the limit: take what there is
            raw = await stream.read(_LINE_LIMIT)
        if not raw:
            return
        relay_line(raw.decode("utf-8", "replace").rstrip(), site_id, tail)


def relay_line(text: str, site_id: str, tail: deque[str]) -> None:
    if not text:
        return
    try:
        event = json.loads(text)
    except ValueError:
        event = None
    if not isinstance(event, dict) or "msg" not in event:
        tail.append(text)
        log.warning("crawl process output", extra={"site": site_id, "line": text[:2000]})
        return
    level = logging.getLevelName(str(event.get("level", "INFO")))
    level = level if isinstance(level, int) else logging.INFO
    fields = {
        (k if k not in _STANDARD else f"field_{k}"): v
        for k, v in dict(event.get("fields") or {}).items()
    }
    fields.setdefault("site", site_id)
    logger = logging.getLogger(str(event.get("logger") or __name__))
    logger.log(level, str(event["msg"]), extra=fields)
    if level >= logging.ERROR:
        tail.append(str(event["msg"]))


async def _record_failure(site_id: str, error: str, store_url: str, store: Store | None) -> None:
    try:
        if store is not None:
            await store.run(_record_error, store, site_id, error)
        else:
            await asyncio.to_thread(_record_error_in_new_store, store_url, site_id, error)
    except Exception as exc:  # the report matters more than its bookkeeping
        log.warning("crawl failure not recorded", extra={"site": site_id, "problem": repr(exc)})


def _record_error(store: Store, site_id: str, error: str) -> None:
    record_crawl(store, site_id, pages_fetched=0, articles_new=0, error=error)


def _record_error_in_new_store(store_url: str, site_id: str, error: str) -> None:
    store = open_store(store_url)
    try:
        _record_error(store, site_id, error)
    finally:
        store.close()


def _with_duration(report: CrawlReport, seconds: float) -> CrawlReport:
    return replace(report, duration=round(seconds, 3))


def log_report(report: CrawlReport) -> None:
    fields = {
        "site": report.site_id,
        "pages": report.pages_fetched,
        "new": report.articles_new,
        "errors": report.error_count,
        "skipped": ",".join(f"{k}={v}" for k, v in sorted(report.skipped.items())),
        "duration": report.duration,
    }
    if report.error:
        log.warning("crawl failed", extra={**fields, "error": report.error})
    else:
        log.info("site crawled", extra=fields)


if __name__ == "__main__":
    sys.exit(child_main(sys.stdin.read()))
