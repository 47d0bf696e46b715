"""Adaptive polling and source health verdicts, as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerts.config import HealthSettings
from alerts.health import judge_source, thresholds_for, transition
from crawler.polling import PollBounds, adaptive_interval, changed_enough, poll_bounds
from crawler.sources import Source
from crawler.store import HealthRecord, SourceState

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SOURCE = Source("nos", "NOS", "NOS", "https://example.invalid/rss", 300.0, False)


def every(minutes: float, count: int = 10) -> list[datetime]:
    return [NOW - timedelta(minutes=minutes * i) for i in range(count)]


def test_busy_feed_is_polled_at_its_minimum_and_quiet_feed_at_its_maximum() -> None:
    bounds = PollBounds(120.0, 3600.0)
    assert adaptive_interval(every(1), bounds, 300.0) == 120.0
    assert adaptive_interval(every(600), bounds, 300.0) == 3600.0
    assert adaptive_interval(every(20), bounds, 300.0) == 1200.0


def test_too_few_dated_entries_keep_the_configured_interval() -> None:
    assert adaptive_interval(every(600, count=2), PollBounds(60.0, 3600.0), 300.0) == 300.0


def test_bounds_default_to_the_interval_and_the_global_maximum() -> None:
    assert poll_bounds(SOURCE, 3600.0) == PollBounds(300.0, 3600.0)
    custom = Source(**{**SOURCE.__dict__, "min_interval": 60.0, "max_interval": 900.0})
    assert poll_bounds(custom, 3600.0) == PollBounds(60.0, 900.0)
    assert not changed_enough(300.0, 330.0) and changed_enough(300.0, 600.0)


def test_failing_longer_than_threshold_announces_once_and_recovery_once() -> None:
    limits = thresholds_for(SOURCE, HealthSettings(fail_after=600, silent_after=86400))
    record = HealthRecord("nos", first_seen_at=NOW - timedelta(days=1))
    failing = SourceState(
        "nos",
        SOURCE.url,
        consecutive_errors=3,
        last_error="temporary: 500",
        last_new_at=NOW - timedelta(hours=1),
    )
    verdict, record = judge_source(failing, record, limits, NOW)
    assert verdict == "pending" and record.failing_since == NOW
    later = NOW + timedelta(minutes=11)
    verdict, record = judge_source(failing, record, limits, later)
    record, notice = transition(SOURCE, failing, record, verdict, later)
    assert verdict == "failing" and notice is not None and notice.subject == "bron faalt: NOS"
    verdict, record = judge_source(failing, record, limits, later + timedelta(minutes=5))
    record, notice = transition(SOURCE, failing, record, verdict, later)
    assert notice is None, "a second notice for the same failure"
    healed = SourceState("nos", SOURCE.url, last_success_at=later, last_new_at=later)
    verdict, record = judge_source(healed, record, limits, later)
    record, notice = transition(SOURCE, healed, record, verdict, later)
    assert notice is not None and notice.subject == "hersteld: NOS" and record.status == "ok"


def test_silence_longer_than_the_expected_rhythm_is_announced() -> None:
    quiet = Source(**{**SOURCE.__dict__, "silent_after": 3600.0})
    limits = thresholds_for(quiet, HealthSettings())
    state = SourceState(
        "nos", SOURCE.url, last_success_at=NOW, last_new_at=NOW - timedelta(hours=2)
    )
    record = HealthRecord("nos", first_seen_at=NOW - timedelta(days=3))
    verdict, record = judge_source(state, record, limits, NOW)
    record, notice = transition(quiet, state, record, verdict, NOW)
    assert verdict == "silent" and notice is not None and "geen nieuw artikel" in notice.text
