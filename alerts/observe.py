"""What the daemon shows about itself: metrics from polls and matches, /healthz, /metrics.

Kept apart from the scheduling code in :mod:`alerts.daemon`; everything here reads the
daemon's state and never changes it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from alerts.httpapi import Response, json_response
from alerts.matchjob import MatchedEntry
from alerts.metrics import Labels, Metrics, MetricsLogHandler
from alerts.outbox import count_by_status
from crawler.refresh import RefreshResult
from crawler.store import Store

log = logging.getLogger(__name__)

STORE_PING_TIMEOUT = 5.0
_DELIVERY_LOGGER = "alerts.deliver"


def count_poll(metrics: Metrics, result: RefreshResult) -> None:
    if result.outcome == "backing_off":
        return
    metrics.inc("nieuwswacht_polls_total", source=result.source_id, outcome=result.outcome)
    if result.outcome == "failed":
        metrics.inc("nieuwswacht_fetch_errors_total", source=result.source_id)
    if result.new:
        metrics.inc("nieuwswacht_articles_new_total", len(result.new), source=result.source_id)


def count_matches(metrics: Metrics, matched: Sequence[MatchedEntry]) -> None:
    for item in matched:
        for alert in item.alerts:
            metrics.track_alert(alert.id, alert.published)
            for category in alert.categories:
                metrics.inc(
                    "nieuwswacht_matches_total", watchlist=alert.watchlist_id, category=category.id
                )


def install_metrics_handler(metrics: Metrics) -> None:
    """Count delivery outcomes from the delivery stage's log events (at INFO, always)."""
    logger = logging.getLogger(_DELIVERY_LOGGER)
    logger.addHandler(MetricsLogHandler(metrics))
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)


async def health_response(running: bool, store: Store, version: str) -> Response:
    """200 when the scheduler runs and the store answers within a few seconds, else 503."""
    try:
        store_ok = await asyncio.wait_for(store.run(store.ping), STORE_PING_TIMEOUT)
    except (TimeoutError, RuntimeError):
        store_ok = False
    healthy = running and store_ok
    return json_response(
        200 if healthy else 503,
        {
            "status": "ok" if healthy else "unhealthy",
            "scheduler": "running" if running else "stopped",
            "store": "ok" if store_ok else "unreachable",
            "version": version,
        },
    )


async def metrics_response(metrics: Metrics, store: Store) -> Response:
    gauges: dict[str, dict[Labels, float]] = {}
    try:
        counts = await asyncio.wait_for(store.run(count_by_status, store), STORE_PING_TIMEOUT)
    except Exception:
        log.warning("outbox not readable for /metrics")
    else:
        gauges["nieuwswacht_outbox_items"] = {
            (("status", status),): float(counts.get(status, 0))
            for status in ("pending", "sent", "dead")
        }
    return Response(200, metrics.render(gauges), "text/plain; version=0.0.4; charset=utf-8")
