"""One alert per story: near-duplicate articles are clustered into stories.

Wire copy (ANP, Belga, Reuters) reprinted by ten outlets, lightly edited, and an article
re-published under a new title are one *story*. Each alerting article gets a MinHash signature
over word 3-shingles of its title and text; an article whose estimated Jaccard similarity with
a story seen in the last ``window_hours`` reaches ``similarity`` (or whose canonical URL is
already in the story) joins that story. Per watchlist:

- the first report of a story alerts;
- a later report does not alert again; its outlet is recorded and listed as "ook gemeld door"
  in the story's next message or digest (a still-queued alert is updated in place);
- a report that brings a category the story did not have yet alerts again.

Everything happens inside the caller's transaction (the one that records the match and queues
the alert), so a crash can never leave a story half-updated.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import Connection, select, update

from alerts.alert import Alert
from alerts.config import StorySettings
from crawler import schema
from crawler.store import insert_ignoring

NUM_HASHES = 64
SHINGLE_WORDS = 3
_WORDS = re.compile(r"\w+")
_rng = np.random.default_rng(20211230)
_XOR = _rng.integers(0, 2**63, size=NUM_HASHES, dtype=np.uint64)
_MUL = _rng.integers(0, 2**63, size=NUM_HASHES, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_s, _r = schema.stories, schema.story_reports

Signature = tuple[int, ...]


@dataclass(frozen=True)
class StoryVerdict:
    """What the story says about one alert: send it or not, and what to list with it."""

    story_id: str
    alert: bool
    new_story: bool
    cluster_size: int
    also_reported_by: tuple[str, ...]


def make_signature(title: str, text: str) -> Signature:
    """MinHash of the word 3-shingles of title and text; empty when there are no words."""
    words = _WORDS.findall(f"{title} {text}".lower())
    if not words:
        return ()
    width = min(SHINGLE_WORDS, len(words))
    shingles = {" ".join(words[i : i + width]) for i in range(len(words) - width + 1)}
    base = np.fromiter(
        (
            int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "little")
            for s in shingles
        ),
        dtype=np.uint64,
        count=len(shingles),
    )
    mixed = (base[None, :] ^ _XOR[:, None]) * _MUL[:, None]  # wraps modulo 2**64
    return tuple(int(v) for v in mixed.min(axis=1))


def estimate_similarity(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity of the two shingle sets (0 when either is empty)."""
    if not a or not b or len(a) != len(b):
        return 0.0
    return sum(1 for x, y in zip(a, b, strict=True) if x == y) / len(a)


def encode_signature(signature: Signature) -> str:
    return ",".join(f"{v:x}" for v in signature)


def decode_signature(text: str) -> Signature:
    return tuple(int(v, 16) for v in text.split(",")) if text else ()


def make_story_id(watchlist_id: str, url: str) -> str:
    return hashlib.sha256(f"story\n{watchlist_id}\n{url}".encode()).hexdigest()[:24]


def assign_story(
    conn: Connection, alert: Alert, settings: StorySettings, now: datetime
) -> StoryVerdict:
    """Put ``alert``'s article into its story (a new one if none is close); say what to do."""
    signature = make_signature(alert.title, alert.text)
    found = find_story(conn, alert, signature, settings, now)
    if found is None:
        return open_story(conn, alert, signature, now)
    story_id, known = found
    fresh = [c.id for c in alert.categories if c.id not in known]
    conn.execute(
        insert_ignoring(conn, _r).values(
            story_id=story_id,
            url=alert.url,
            outlet=alert.outlet,
            alerted=int(bool(fresh)),
            created_at=now,
        )
    )
    values: dict[str, object] = {"last_seen_at": now}
    if fresh:
        values["categories"] = json.dumps(sorted(set(known) | set(fresh)))
    conn.execute(update(_s).where(_s.c.id == story_id).values(**values))
    outlets, size = list_story_outlets(conn, story_id, exclude_url=alert.url)
    return StoryVerdict(story_id, bool(fresh), False, size, outlets)


def find_story(
    conn: Connection,
    alert: Alert,
    signature: Signature,
    settings: StorySettings,
    now: datetime,
) -> tuple[str, list[str]] | None:
    """The open story closest to this article, with the categories it already alerted."""
    since = now - timedelta(hours=settings.window_hours)
    same_url = conn.execute(
        select(_s.c.id, _s.c.categories)
        .join(_r, _r.c.story_id == _s.c.id)
        .where(
            _s.c.watchlist_id == alert.watchlist_id,
            _s.c.last_seen_at >= since,
            _r.c.url == alert.url,
        )
        .limit(1)
    ).first()
    if same_url is not None:
        return str(same_url.id), json.loads(same_url.categories)
    rows = conn.execute(
        select(_s.c.id, _s.c.signature, _s.c.categories).where(
            _s.c.watchlist_id == alert.watchlist_id, _s.c.last_seen_at >= since
        )
    ).all()
    best, best_score = None, settings.similarity
    for row in rows:
        score = estimate_similarity(signature, decode_signature(row.signature))
        if score >= best_score:
            best, best_score = row, score
    if best is None:
        return None
    return str(best.id), json.loads(best.categories)


def open_story(conn: Connection, alert: Alert, signature: Signature, now: datetime) -> StoryVerdict:
    story_id = make_story_id(alert.watchlist_id, alert.url)
    conn.execute(
        insert_ignoring(conn, _s).values(
            id=story_id,
            watchlist_id=alert.watchlist_id,
            signature=encode_signature(signature),
            categories=json.dumps(sorted(c.id for c in alert.categories)),
            first_url=alert.url,
            first_seen_at=now,
            last_seen_at=now,
        )
    )
    conn.execute(
        insert_ignoring(conn, _r).values(
            story_id=story_id, url=alert.url, outlet=alert.outlet, alerted=1, created_at=now
        )
    )
    return StoryVerdict(story_id, True, True, 1, ())


def list_story_outlets(
    conn: Connection, story_id: str, exclude_url: str = ""
) -> tuple[tuple[str, ...], int]:
    """The outlets of a story's reports other than ``exclude_url``, and the report count."""
    rows = conn.execute(
        select(_r.c.url, _r.c.outlet).where(_r.c.story_id == story_id).order_by(_r.c.id)
    ).all()
    own = next((r.outlet for r in rows if r.url == exclude_url), None)
    outlets: list[str] = []
    for row in rows:
        name = row.outlet or row.url
        if row.url != exclude_url and name != own and name not in outlets:
            outlets.append(name)
    return tuple(outlets), len(rows)


def story_outlets_by_id(
    conn: Connection, story_ids: Sequence[str]
) -> dict[str, tuple[tuple[str, ...], int]]:
    """``list_story_outlets`` for many stories at once (used when a digest is compiled)."""
    return {sid: list_story_outlets(conn, sid) for sid in set(story_ids) if sid}
