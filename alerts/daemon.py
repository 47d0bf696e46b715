"""The daemon: an APScheduler 3 scheduler on one asyncio loop, its jobs, and a clean stop.

Jobs: one poll job per source at the source's interval (with jitter, so forty feeds do not
fire in the same second), a delivery sweep every few seconds (woken at once when a poll
queues an alert), and a match sweep that picks up anything a crash left unmatched. Blocking
work never runs on the loop: the store, spaCy and trafilatura each have their thread. Every
job catches its own failures, so a bug in one source's poll cannot stop the others.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from alerts.matchjob import match_pending
from alerts.runtime import Runtime, Setup, open_runtime
from crawler.crawl import CrawlReport, run_crawl
from crawler.refresh import RefreshResult, refresh_source
from crawler.sites import Site
from crawler.sources import Source

log = logging.getLogger(__name__)

MATCH_SWEEP_SECONDS = 30.0
SHUTDOWN_GRACE_SECONDS = 15.0


class Daemon:
    """One running nieuwswacht: build with :func:`run_daemon`."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.stopping = asyncio.Event()
        self._tasks: set[asyncio.Task[object]] = set()

    def schedule_jobs(self) -> None:
        now = datetime.now(UTC)
        jitter = self.rt.setup.config.settings.polling.jitter
        enabled = [s for s in self.rt.setup.sources if s.enabled]
        for index, source in enumerate(enabled):
            self.scheduler.add_job(
                self._guarded(self.poll_source, source),
                IntervalTrigger(seconds=source.interval, jitter=source.interval * jitter),
                id=f"poll:{source.id}",
                name=f"poll {source.id}",
                next_run_time=now + timedelta(seconds=index * 0.2),
                misfire_grace_time=max(1, int(source.interval)),
                coalesce=True,
                max_instances=1,
            )
        for site in (s for s in self.rt.setup.sites if s.enabled):
            self.scheduler.add_job(
                self._guarded(self.crawl_site, site),
                IntervalTrigger(seconds=site.interval, jitter=site.interval * jitter),
                id=f"crawl:{site.id}",
                name=f"crawl {site.id}",
                next_run_time=now + timedelta(seconds=5),
                misfire_grace_time=max(1, int(site.interval)),
                coalesce=True,
                max_instances=1,
            )
        delivery = self.rt.setup.config.settings.delivery
        self.scheduler.add_job(
            self._guarded(self.deliver),
            IntervalTrigger(seconds=delivery.interval),
            id="deliver",
            next_run_time=now,
            misfire_grace_time=None,
            coalesce=True,
            max_instances=1,
        )
        self.scheduler.add_job(
            self._guarded(self.match),
            IntervalTrigger(seconds=MATCH_SWEEP_SECONDS),
            id="match",
            next_run_time=now,
            misfire_grace_time=None,
            coalesce=True,
            max_instances=1,
        )

    def _guarded(
        self, job: Callable[..., Awaitable[object]], *args: object
    ) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            if self.stopping.is_set():
                return
            task = asyncio.current_task()
            if task is not None:
                self._tasks.add(task)
            try:
                await job(*args)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("job failed unexpectedly", extra={"job": job.__name__})
            finally:
                if task is not None:
                    self._tasks.discard(task)

        run.__name__ = job.__name__
        return run

    async def poll_source(self, source: Source) -> RefreshResult:
        async with self.rt.poll_limit:
            result = await refresh_source(
                source,
                self.rt.fetcher,
                self.rt.store,
                backoff_max=self.rt.setup.config.settings.polling.backoff_max,
                article_limit=self.rt.article_limit,
            )
        if result.new:
            await self.match()
        return result

    async def crawl_site(self, site: Site) -> CrawlReport:
        """One crawl in a subprocess (killed after the timeout), then match what it stored."""
        report = await run_crawl(
            site,
            self.rt.setup.config.store_url,
            timeout=self.rt.setup.config.settings.crawling.timeout,
            store=self.rt.store,
        )
        if report.articles_new:
            await self.match()
        return report

    async def match(self) -> None:
        matched = await match_pending(self.rt.store, self.rt.worker, list(self.rt.channels))
        if any(m.alerts for m in matched):
            self.wake_delivery()

    async def deliver(self) -> None:
        await self.rt.deliverer.deliver_due()

    def wake_delivery(self) -> None:
        job = self.scheduler.get_job("deliver")
        if job is not None and not self.stopping.is_set():
            job.modify(next_run_time=datetime.now(UTC))

    async def run_until_stopped(self) -> None:
        self.schedule_jobs()
        self.scheduler.start()
        log.info(
            "daemon started",
            extra={
                "sources": sum(1 for s in self.rt.setup.sources if s.enabled),
                "watchlists": len(self.rt.setup.watchlists),
                "channels": ",".join(self.rt.channels),
            },
        )
        await self.stopping.wait()
        await self.shutdown()

    async def shutdown(self) -> None:
        """Stop scheduling, let in-flight jobs finish (bounded), then cancel the rest."""
        log.info("daemon stopping", extra={"in_flight": len(self._tasks)})
        self.scheduler.shutdown(wait=False)
        pending = [t for t in self._tasks if not t.done()]
        if pending:
            _, late = await asyncio.wait(pending, timeout=SHUTDOWN_GRACE_SECONDS)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=2)


async def run_daemon(setup: Setup) -> int:
    """Run until SIGINT/SIGTERM; return the process exit code."""
    runtime = await open_runtime(setup)
    daemon = Daemon(runtime)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, daemon.stopping.set)
    try:
        await daemon.run_until_stopped()
    finally:
        await runtime.aclose()
        log.info("daemon stopped")
    return 0
