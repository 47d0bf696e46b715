"""The outbox queues an alert once per channel and hands it out under a lease, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerts.alert import Alert, Category
from alerts.hits import Hit
from alerts.outbox import (
    claim_due,
    count_by_status,
    enqueue_alert,
    list_dead,
    mark_dead,
    mark_sent,
    release_claim,
    retry_dead,
    schedule_retry,
)
from crawler.store import Store, open_store

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _alert(n: int) -> Alert:
    return Alert(
        id=f"a{n}",
        watchlist_id="rusland-oekraine-navo",
        watchlist_name="Rusland",
        url=f"https://nos.nl/{n}",
        title="Poetin: sancties tegen Rusland zijn een fout — Oekraïne",
        outlet="NOS",
        published=NOW,
        categories=(Category("sanctions", "Sancties"),),
        hits=(Hit("sanctions", "sancties", 8, 16, "title"),),
    )


def _queue(store: Store, *alerts: Alert, channels: tuple[str, ...] = ("slack",)) -> int:
    with store.transaction() as conn:
        return sum(enqueue_alert(conn, a, channels, NOW) for a in alerts)


def test_enqueue_is_idempotent_per_alert_and_channel(store_url: str) -> None:
    store = open_store(store_url)
    assert _queue(store, _alert(1), channels=("slack", "email")) == 2
    assert _queue(store, _alert(1), channels=("slack", "email")) == 0
    assert count_by_status(store) == {"pending": 2}
    store.close()


def test_claim_round_trips_the_alert_and_leases_it(store_url: str) -> None:
    store = open_store(store_url)
    _queue(store, _alert(1), _alert(2))
    first = claim_due(store, now=NOW, lease_seconds=60, limit=10)
    assert [i.alert.id for i in first] == ["a1", "a2"]
    assert first[0].alert == _alert(1)
    assert claim_due(store, now=NOW + timedelta(seconds=30), lease_seconds=60, limit=10) == []
    store.close()


def test_expired_lease_is_claimed_again_and_old_token_cannot_finish(store_url: str) -> None:
    store = open_store(store_url)
    _queue(store, _alert(1))
    [crashed] = claim_due(store, now=NOW, lease_seconds=60, limit=10)
    [again] = claim_due(store, now=NOW + timedelta(seconds=61), lease_seconds=60, limit=10)
    assert again.id == crashed.id and again.lease_token != crashed.lease_token
    assert mark_sent(store, crashed, NOW) is False
    assert mark_sent(store, again, NOW) is True
    assert count_by_status(store) == {"sent": 1}
    store.close()


def test_retry_waits_for_its_time_and_counts_attempts(store_url: str) -> None:
    store = open_store(store_url)
    _queue(store, _alert(1))
    [item] = claim_due(store, now=NOW, lease_seconds=60, limit=10)
    assert schedule_retry(store, item, NOW, 30, "HTTP 500")
    assert claim_due(store, now=NOW + timedelta(seconds=29), lease_seconds=60, limit=10) == []
    [later] = claim_due(store, now=NOW + timedelta(seconds=31), lease_seconds=60, limit=10)
    assert later.attempts == 1
    store.close()


def test_release_gives_back_without_an_attempt(store_url: str) -> None:
    store = open_store(store_url)
    _queue(store, _alert(1))
    [item] = claim_due(store, now=NOW, lease_seconds=60, limit=10)
    release_claim(store, item)
    [back] = claim_due(store, now=NOW, lease_seconds=60, limit=10)
    assert back.attempts == 0
    store.close()


def test_dead_letters_are_listed_and_can_be_retried(store_url: str) -> None:
    store = open_store(store_url)
    _queue(store, _alert(1), _alert(2))
    items = claim_due(store, now=NOW, lease_seconds=60, limit=10)
    mark_dead(store, items[0], "HTTP 404 no_service")
    release_claim(store, items[1])
    [dead] = list_dead(store)
    assert dead["last_error"] == "HTTP 404 no_service"
    assert retry_dead(store, now=NOW) == 1
    assert count_by_status(store) == {"pending": 2}
    store.close()


def test_paused_channels_are_skipped(store_url: str) -> None:
    store = open_store(store_url)
    _queue(store, _alert(1), channels=("slack", "email"))
    claimed = claim_due(store, now=NOW, lease_seconds=60, limit=10, skip_channels={"slack"})
    assert [i.channel for i in claimed] == ["email"]
    store.close()
