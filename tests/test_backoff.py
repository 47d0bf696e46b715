"""A failing source backs off exponentially, honours Retry-After, and recovers in one poll."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerts.config import DeliverySettings
from alerts.deliver import backoff_delay
from crawler.errors import PermanentFetchError, TemporaryFetchError
from crawler.refresh import record_failure, record_success
from crawler.sources import Source
from crawler.store import SourceState

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SOURCE = Source(
    id="nos", name="NOS", outlet="NOS", url="https://x/feed", interval=300.0, full_text=False
)


def _fail(state: SourceState, error: Exception) -> SourceState:
    return record_failure(state, error, NOW, interval=300, backoff_max=3600)


def test_first_failure_waits_one_interval_then_doubles() -> None:
    state = SourceState("nos", "https://x/feed")
    once = _fail(state, TemporaryFetchError("timeout"))
    assert once.consecutive_errors == 1 and once.next_check_at is None
    twice = _fail(once, TemporaryFetchError("timeout"))
    thrice = _fail(twice, TemporaryFetchError("timeout"))
    assert twice.next_check_at is not None and thrice.next_check_at is not None
    assert 540 <= (twice.next_check_at - NOW).total_seconds() <= 660
    assert 1080 <= (thrice.next_check_at - NOW).total_seconds() <= 1320


def test_backoff_is_capped_and_never_gives_up() -> None:
    state = SourceState("nos", "https://x/feed", consecutive_errors=40)
    failed = _fail(state, PermanentFetchError("HTTP 410"))
    assert failed.next_check_at is not None
    assert (failed.next_check_at - NOW) <= timedelta(seconds=3600 * 1.1)
    assert failed.last_error == "permanent: HTTP 410"


def test_retry_after_is_honoured_even_on_first_failure() -> None:
    failed = _fail(SourceState("nos", "u"), TemporaryFetchError("429", retry_after=1200))
    assert failed.next_check_at is not None
    assert (failed.next_check_at - NOW).total_seconds() >= 1200


def test_success_clears_errors_and_keeps_validators() -> None:
    state = SourceState("nos", "https://x/feed", etag='"1"', consecutive_errors=5, last_error="x")
    ok = record_success(state, SOURCE, NOW, None, "Tue, 01 Dec 2026 10:00:00 GMT", True)
    assert (ok.consecutive_errors, ok.last_error, ok.next_check_at) == (0, None, None)
    assert ok.etag == '"1"' and ok.last_new_at == NOW


def test_validators_are_dropped_when_the_feed_url_changes() -> None:
    state = SourceState("nos", "https://old/feed", etag='"1"', last_modified="x")
    ok = record_success(state, SOURCE, NOW, None, None)
    assert ok.etag is None and ok.last_modified is None and ok.url == SOURCE.url


def test_delivery_backoff_grows_is_capped_and_respects_retry_after() -> None:
    settings = DeliverySettings(backoff_base=5, backoff_max=100)
    assert 2.5 <= backoff_delay(1, settings, None) <= 5
    assert 20 <= backoff_delay(4, settings, None) <= 40
    assert backoff_delay(30, settings, None) <= 100
    assert backoff_delay(1, settings, 60) >= 60
    assert backoff_delay(1, settings, 10_000) == 100
