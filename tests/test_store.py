"""The store keeps articles once, survives reopening, and behaves the same on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect

from crawler.entry import Entry
from crawler.errors import StoreError
from crawler.store import SourceState, open_store


def _entry(n: int, **kw: object) -> Entry:
    values: dict[str, object] = {
        "source_id": "nos",
        "guid": f"g{n}",
        "url": f"https://nos.nl/artikel/{n}",
        "title": f"Titel {n}: Oekraïne",
        "summary": "samenvatting",
        "published": datetime(2021, 12, 30, 20, 0, tzinfo=UTC),
        "outlet": "NOS",
    }
    values.update(kw)
    return Entry(**values)  # type: ignore[arg-type]


def test_add_entries_returns_only_new_ones(store_url: str) -> None:
    store = open_store(store_url)
    first = store.add_entries([_entry(1), _entry(2)])
    again = store.add_entries([_entry(1), _entry(3)])
    assert [e.guid for e in first] == ["g1", "g2"]
    assert [e.guid for e in again] == ["g3"]
    store.close()


def test_same_url_from_another_feed_is_the_same_article(store_url: str) -> None:
    store = open_store(store_url)
    store.add_entries([_entry(1)])
    other_feed = _entry(1, source_id="nos-buitenland", guid="other-guid")
    assert store.filter_new([other_feed]) == []
    assert store.add_entries([other_feed]) == []
    store.close()


def test_same_guid_new_url_is_known(store_url: str) -> None:
    store = open_store(store_url)
    store.add_entries([_entry(1)])
    moved = _entry(1, url="https://nos.nl/artikel/1-nieuwe-titel")
    assert store.filter_new([moved]) == []
    store.close()


def test_entries_survive_reopen_and_keep_utc_and_unicode(store_url: str) -> None:
    store = open_store(store_url)
    store.add_entries([_entry(7)])
    store.close()
    reopened = open_store(store_url)
    [stored] = reopened.pending_entries()
    assert stored.entry.title == "Titel 7: Oekraïne"
    assert stored.entry.published == datetime(2021, 12, 30, 20, 0, tzinfo=UTC)
    assert stored.entry.published.tzinfo is not None
    reopened.close()


def test_source_state_round_trip(store_url: str) -> None:
    store = open_store(store_url)
    assert store.load_source_state("nos", "https://x/feed").consecutive_errors == 0
    now = datetime.now(UTC).replace(microsecond=0)
    state = SourceState(
        "nos",
        "https://x/feed",
        etag='"abc"',
        consecutive_errors=3,
        last_error="boom",
        next_check_at=now + timedelta(minutes=5),
    )
    store.save_source_state(state)
    store.save_source_state(state)
    loaded = store.load_source_state("nos", "https://x/feed")
    assert loaded.etag == '"abc"'
    assert loaded.consecutive_errors == 3
    assert loaded.next_check_at == now + timedelta(minutes=5)
    store.close()


def test_migrations_create_every_table(store_url: str) -> None:
    store = open_store(store_url)
    tables = set(inspect(store.engine).get_table_names())
    assert {"sources", "entries", "matches", "outbox", "alembic_version"} <= tables
    store.close()


def test_unusable_url_is_a_store_error_with_an_example() -> None:
    with pytest.raises(StoreError, match="sqlite:///"):
        open_store("nosuchdb://x")


def test_sqlite_uses_wal(tmp_path: object) -> None:
    store = open_store(f"sqlite:///{tmp_path}/wal.db")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    store.close()


def test_entries_without_a_link_are_kept_apart_by_guid(store_url: str) -> None:
    store = open_store(store_url)
    added = store.add_entries([_entry(1, url=""), _entry(2, url="")])
    assert len(added) == 2
    assert store.filter_new([_entry(1, url="")]) == []
    store.close()


def test_database_from_a_newer_release_is_a_clear_store_error(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/newer.db"
    store = open_store(url)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    store.close()
    with pytest.raises(StoreError, match="upgrade nieuwswacht or restore a backup"):
        open_store(url)
