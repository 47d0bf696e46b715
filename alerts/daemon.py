"""The daemon: an APScheduler 3 scheduler on one asyncio loop, its jobs, and a clean stop.

Jobs: one poll job per source at the source's interval (with jitter, so forty feeds do not
fire in the same second), a delivery sweep every few seconds (woken at once when a poll
queues an alert), and a match sweep that picks up anything a crash left unmatched. Blocking
work never runs on the loop: the store, spaCy and trafilatura each have their thread. Every
job catches its own failures, so a bug in one source's poll cannot stop the others.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import signal
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from alerts.announce import announce
from alerts.digest import schedule_digest_jobs
from alerts.health import HealthMonitor
from alerts.httpapi import HttpEndpoint, Response
from alerts.liveconfig import swap_watchlists, warn_restart_needed
from alerts.matchjob import match_pending
from alerts.metrics import Metrics
from alerts.observe import (
    count_matches,
    count_poll,
    health_response,
    install_metrics_handler,
    metrics_response,
)
from alerts.reload import Change, Reloader, watch_config
from alerts.runtime import Runtime, Setup, open_runtime
from crawler.crawl import CrawlReport, run_crawl
from crawler.polling import adaptive_interval, changed_enough, poll_bounds
from crawler.refresh import RefreshResult, refresh_source
from crawler.sites import Site
from crawler.sources import Source
from crawler.store import HealthRecord

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
        self.metrics = Metrics()
        self.health = HealthMonitor(
            runtime.store, runtime.channels, runtime.setup.config.settings.health
        )
        self.intervals: dict[str, float] = {}
        self._services: set[asyncio.Task[object]] = set()
        self.reloader: Reloader | None = None
        self.http = HttpEndpoint({"/healthz": self.healthz, "/metrics": self.render_metrics})

    def schedule_jobs(self) -> None:
        now = datetime.now(UTC)
        enabled = [s for s in self.rt.setup.sources if s.enabled]
        for index, source in enumerate(enabled):
            self.add_poll_job(source, now + timedelta(seconds=index * 0.2))
        jitter = self.rt.setup.config.settings.polling.jitter
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
        schedule_digest_jobs(self.scheduler, self.rt, self._guarded)

    def add_poll_job(self, source: Source, first_run: datetime, interval: float = 0) -> None:
        """(Re)schedule the source's poll job, at ``interval`` or its configured interval."""
        interval = interval or source.interval
        jitter = self.rt.setup.config.settings.polling.jitter
        self.intervals[source.id] = interval
        self.scheduler.add_job(
            self._guarded(self.poll_source, source),
            IntervalTrigger(seconds=interval, jitter=interval * jitter),
            id=f"poll:{source.id}",
            name=f"poll {source.id}",
            next_run_time=first_run,
            misfire_grace_time=max(1, int(interval)),
            coalesce=True,
            max_instances=1,
            replace_existing=True,
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
        count_poll(self.metrics, result)
        if result.outcome != "backing_off":
            record = await self.health.check(source)
            await self.adapt_interval(source, record)
        if result.new:
            await self.match()
        return result

    async def adapt_interval(self, source: Source, record: HealthRecord) -> None:
        """Follow the feed's publishing rhythm, within its bounds (adaptive polling)."""
        polling = self.rt.setup.config.settings.polling
        if not polling.adaptive or self.stopping.is_set():
            return
        published = await self.rt.store.run(self.rt.store.recent_published, source.id)
        bounds = poll_bounds(source, polling.max_interval)
        proposed = adaptive_interval(published, bounds, source.interval)
        current = self.intervals.get(source.id, source.interval)
        if not changed_enough(current, proposed):
            return
        log.info(
            "poll interval adapted",
            extra={"source": source.id, "interval": round(proposed, 1), "was": round(current, 1)},
        )
        self.add_poll_job(source, datetime.now(UTC) + timedelta(seconds=proposed), proposed)
        saved = dataclasses.replace(record, poll_interval=proposed)
        await self.rt.store.run(self.rt.store.save_health, saved)

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
        count_matches(self.metrics, matched)
        if any(m.alerts for m in matched):
            self.wake_delivery()

    async def deliver(self) -> None:
        await self.rt.deliverer.deliver_due()

    def wake_delivery(self) -> None:
        job = self.scheduler.get_job("deliver")
        if job is not None and not self.stopping.is_set():
            job.modify(next_run_time=datetime.now(UTC))

    async def run_until_stopped(self) -> None:
        settings = self.rt.setup.config.settings
        self.reloader = Reloader(
            self.rt.setup.config.path, self.rt.setup, self.apply_setup, self.announce
        )
        self.schedule_jobs()
        self.scheduler.start()
        await self.start_http()
        if settings.reload.watch:
            watcher = asyncio.create_task(
                watch_config(self.reloader, self.stopping, settings.reload.debounce, self._reload)
            )
            self._services.add(watcher)
        await self.rt.store.run(self.rt.store.set_info, "config_version", self.reloader.version)
        log.info(
            "daemon started",
            extra={
                "sources": sum(1 for s in self.rt.setup.sources if s.enabled),
                "watchlists": len(self.rt.setup.watchlists),
                "channels": ",".join(self.rt.channels),
                "version": self.reloader.version,
            },
        )
        await self.stopping.wait()
        await self.shutdown()

    async def apply_setup(self, new: Setup, changes: list[Change]) -> None:
        """Swap in a validated configuration: watchlists, then the sources' poll jobs."""
        old = self.rt.setup
        warn_restart_needed(old, new)
        if old.watchlists != new.watchlists:
            await swap_watchlists(self.rt.worker, new.watchlists)
        self.rt.setup = new
        self.health.settings = new.config.settings.health
        touched = {c.name for c in changes if c.kind == "source"}
        now = datetime.now(UTC)
        for source in new.sources:
            if source.id in touched and source.enabled:
                self.add_poll_job(source, now)
        enabled = {s.id for s in new.sources if s.enabled}
        for job in self.scheduler.get_jobs():
            if job.id.startswith("poll:") and job.id[5:] not in enabled:
                job.remove()
                self.intervals.pop(job.id[5:], None)

    async def announce(self, subject: str, text: str) -> int:
        return await announce(self.rt.channels, subject, text)

    async def healthz(self) -> Response:
        running = bool(self.scheduler.running) and not self.stopping.is_set()
        version = self.reloader.version if self.reloader else ""
        return await health_response(running, self.rt.store, version)

    async def render_metrics(self) -> Response:
        return await metrics_response(self.metrics, self.rt.store)

    async def start_http(self) -> None:
        settings = self.rt.setup.config.settings.http
        if not settings.enabled:
            return
        try:
            await self.http.start(settings.bind, settings.port)
        except OSError as exc:
            log.error(
                "http endpoint not started",
                extra={"bind": settings.bind, "port": settings.port, "error": str(exc)},
            )

    def request_reload(self, reason: str) -> None:
        """Reload the configuration soon (from a signal handler)."""
        if self.reloader is None or self.stopping.is_set():
            return
        task = asyncio.create_task(self._reload(reason))
        self._services.add(task)
        task.add_done_callback(self._services.discard)

    async def _reload(self, reason: str) -> None:
        assert self.reloader is not None
        try:
            ok = await self.reloader.reload(reason)
        except Exception:
            log.exception("configuration reload failed unexpectedly")
            ok = False
        self.metrics.inc("nieuwswacht_config_reloads_total", result="ok" if ok else "rejected")
        if ok:
            await self.rt.store.run(self.rt.store.set_info, "config_version", self.reloader.version)

    async def shutdown(self) -> None:
        """Stop scheduling, let in-flight jobs finish (bounded), then cancel the rest."""
        log.info("daemon stopping", extra={"in_flight": len(self._tasks)})
        self.scheduler.shutdown(wait=False)
        await self.http.close()
        for service in list(self._services):
            service.cancel()
        if self._services:
            await asyncio.wait(self._services, timeout=2)
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
    loop.add_signal_handler(signal.SIGHUP, daemon.request_reload, "SIGHUP")
    install_metrics_handler(daemon.metrics)
    try:
        await daemon.run_until_stopped()
    finally:
        await runtime.aclose()
        log.info("daemon stopped")
    return 0
