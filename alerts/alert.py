"""The Alert: what the outbox stores and every channel renders.

An alert is a snapshot taken when the match is recorded, serialised as JSON into the outbox, so
that a later edit of a watchlist or an article never changes a message already queued.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from alerts.hits import Hit


@dataclass(frozen=True)
class Category:
    """A category that fired, with the label users see (``sanctions`` → ``Sancties``)."""

    id: str
    label: str


@dataclass(frozen=True)
class Alert:
    """One article that made one watchlist fire.

    ``story_id`` names the near-duplicate cluster (:mod:`alerts.stories`) the article belongs
    to; ``cluster_size`` counts the reports of that story so far, and ``also_reported_by``
    lists the other outlets that carried it.
    """

    id: str
    watchlist_id: str
    watchlist_name: str
    url: str
    title: str
    outlet: str
    published: datetime | None
    categories: tuple[Category, ...]
    hits: tuple[Hit, ...]
    text: str = ""
    score: float = 0.0
    also_reported_by: tuple[str, ...] = field(default=())
    story_id: str = ""
    cluster_size: int = 1

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "watchlist_id": self.watchlist_id,
            "watchlist_name": self.watchlist_name,
            "url": self.url,
            "title": self.title,
            "outlet": self.outlet,
            "published": self.published.isoformat() if self.published else None,
            "categories": [{"id": c.id, "label": c.label} for c in self.categories],
            "hits": [h.to_json() for h in self.hits],
            "text": self.text,
            "score": self.score,
            "also_reported_by": list(self.also_reported_by),
            "story_id": self.story_id,
            "cluster_size": self.cluster_size,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Alert:
        published = data.get("published")
        return cls(
            id=data["id"],
            watchlist_id=data["watchlist_id"],
            watchlist_name=data["watchlist_name"],
            url=data["url"],
            title=data["title"],
            outlet=data["outlet"],
            published=datetime.fromisoformat(published) if published else None,
            categories=tuple(Category(c["id"], c["label"]) for c in data["categories"]),
            hits=tuple(Hit.from_json(h) for h in data["hits"]),
            text=data.get("text", ""),
            score=float(data.get("score", 0.0)),
            also_reported_by=tuple(data.get("also_reported_by", ())),
            story_id=str(data.get("story_id", "")),
            cluster_size=int(data.get("cluster_size", 1)),
        )
