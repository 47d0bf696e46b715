"""Counters and a histogram for ``/metrics``, written in the Prometheus text format by hand.

Polls and matches are counted by the daemon as they happen. Delivery outcomes are counted
from the delivery stage's own log events ("alert sent", "... will retry", "... dead letter")
by :class:`MetricsLogHandler`, so the delivery code needs no hooks. Gauges that live in the
database (the outbox backlog) are read at scrape time. Thread-safe: log records arrive from
the store thread as well as the event loop.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

Labels = tuple[tuple[str, str], ...]

LATENCY_BUCKETS = (60.0, 300.0, 900.0, 1800.0, 3600.0, 3 * 3600.0, 12 * 3600.0, 86400.0)
_HELP = {
    "nieuwswacht_polls_total": ("counter", "Feed polls, by source and outcome."),
    "nieuwswacht_fetch_errors_total": ("counter", "Failed feed polls, by source."),
    "nieuwswacht_articles_new_total": ("counter", "Articles stored for the first time."),
    "nieuwswacht_matches_total": ("counter", "Alerts decided, by watchlist and category."),
    "nieuwswacht_alerts_sent_total": ("counter", "Alerts delivered, by channel."),
    "nieuwswacht_alerts_failed_total": ("counter", "Failed deliveries, by channel and kind."),
    "nieuwswacht_config_reloads_total": ("counter", "Config reloads, by result."),
}
_SENT = "alert sent"
_RETRY = "alert delivery failed; will retry"
_DEAD = "alert delivery failed permanently; kept as dead letter"


class Metrics:
    """The process's counters; render with :meth:`render`."""

    def __init__(self, max_tracked_alerts: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, dict[Labels, float]] = defaultdict(dict)
        self._latency = [0] * (len(LATENCY_BUCKETS) + 1)
        self._latency_sum = 0.0
        self._published: OrderedDict[str, datetime] = OrderedDict()
        self._max_tracked = max_tracked_alerts

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            series = self._counters[name]
            series[key] = series.get(key, 0.0) + amount

    def value(self, name: str, **labels: str) -> float:
        """One counter's current value (0 when never counted); for tests and status."""
        with self._lock:
            return self._counters.get(name, {}).get(tuple(sorted(labels.items())), 0.0)

    def track_alert(self, alert_id: str, published: datetime | None) -> None:
        """Remember when an alert's article was published, to time it when it is sent."""
        if published is None:
            return
        with self._lock:
            self._published[alert_id] = published
            while len(self._published) > self._max_tracked:
                self._published.popitem(last=False)

    def alert_sent(self, alert_id: str, now: datetime | None = None) -> None:
        with self._lock:
            published = self._published.get(alert_id)
            if published is None:
                return
            seconds = max(0.0, ((now or datetime.now(UTC)) - published).total_seconds())
            self._latency_sum += seconds
            index = next(
                (i for i, b in enumerate(LATENCY_BUCKETS) if seconds <= b), len(LATENCY_BUCKETS)
            )
            self._latency[index] += 1

    def render(self, gauges: Mapping[str, Mapping[Labels, float]] | None = None) -> str:
        """The Prometheus text exposition (format 0.0.4) of everything counted."""
        lines: list[str] = []
        with self._lock:
            for name, (kind, text) in _HELP.items():
                lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]
                lines += _series(name, self._counters.get(name, {}).items())
            lines += self._render_latency()
        for name, series in (gauges or {}).items():
            lines += [f"# TYPE {name} gauge", *_series(name, series.items())]
        return "\n".join(lines) + "\n"

    def _render_latency(self) -> list[str]:
        name = "nieuwswacht_publication_to_alert_seconds"
        lines = [
            f"# HELP {name} Seconds from an article's publication to its alert being sent.",
            f"# TYPE {name} histogram",
        ]
        running = 0
        for bound, count in zip((*LATENCY_BUCKETS, float("inf")), self._latency, strict=True):
            running += count
            le = "+Inf" if bound == float("inf") else f"{bound:g}"
            lines.append(f'{name}_bucket{{le="{le}"}} {running}')
        lines += [f"{name}_sum {self._latency_sum:g}", f"{name}_count {running}"]
        return lines


class MetricsLogHandler(logging.Handler):
    """Counts the delivery stage's log events into :class:`Metrics`."""

    def __init__(self, metrics: Metrics) -> None:
        super().__init__(level=logging.INFO)
        self.metrics = metrics

    def emit(self, record: logging.LogRecord) -> None:
        message = record.msg
        if message not in (_SENT, _RETRY, _DEAD):
            return
        channel = str(getattr(record, "channel", "unknown"))
        if message == _SENT:
            self.metrics.inc("nieuwswacht_alerts_sent_total", channel=channel)
            self.metrics.alert_sent(str(getattr(record, "alert", "")))
        else:
            kind = "temporary" if message == _RETRY else "permanent"
            self.metrics.inc("nieuwswacht_alerts_failed_total", channel=channel, kind=kind)


def _series(name: str, items: Iterable[tuple[Labels, float]]) -> list[str]:
    return [f"{name}{_labels(labels)} {value:g}" for labels, value in sorted(items)]


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
    return "{" + inner + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
