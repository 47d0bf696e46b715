"""Adaptive polling: how often to poll a feed, from how often it publishes.

Miniflux-style: the average gap between the publication times of a feed's newest entries is
its rhythm; we poll at that rhythm, clamped to the source's minimum (never hammer a busy
site) and maximum (never lose sight of a quiet one). With too few dated entries to say
anything, the configured interval stands. Pure functions: the daemon decides when to apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from crawler.sources import Source

MIN_SAMPLES = 3
SIGNIFICANT_CHANGE = 0.2  # reschedule only when the interval moves by more than 20%


@dataclass(frozen=True)
class PollBounds:
    """The interval range adaptive polling may choose from, in seconds."""

    minimum: float
    maximum: float


def poll_bounds(source: Source, default_max: float) -> PollBounds:
    """The source's own bounds, else its configured interval up to ``default_max``."""
    minimum = source.min_interval if source.min_interval is not None else source.interval
    maximum = source.max_interval if source.max_interval is not None else default_max
    return PollBounds(minimum, max(minimum, maximum))


def publishing_gap(published: Sequence[datetime]) -> float | None:
    """Average seconds between consecutive publications; None with too few samples."""
    moments = sorted(set(published))
    if len(moments) < MIN_SAMPLES:
        return None
    span = (moments[-1] - moments[0]).total_seconds()
    return span / (len(moments) - 1)


def adaptive_interval(
    published: Sequence[datetime], bounds: PollBounds, configured: float
) -> float:
    """The interval to poll at: the publishing gap clamped to ``bounds``."""
    gap = publishing_gap(published)
    if gap is None:
        return min(max(configured, bounds.minimum), bounds.maximum)
    return min(max(gap, bounds.minimum), bounds.maximum)


def changed_enough(current: float, proposed: float) -> bool:
    """Whether moving from ``current`` to ``proposed`` is worth rescheduling the job."""
    return abs(proposed - current) > SIGNIFICANT_CHANGE * current
