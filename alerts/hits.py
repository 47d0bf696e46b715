"""What the matcher finds: hits with character offsets, and one result per watchlist.

These are the types behind the ``nieuwswacht match`` JSON contract, so their ``to_json``
shape is public: change it only with a CHANGELOG entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Field = Literal["title", "text"]


@dataclass(frozen=True)
class Hit:
    """One matched phrase. ``start``/``end`` index into the named field of the article."""

    category: str
    text: str
    start: int
    end: int
    field: Field

    def to_json(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "field": self.field,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Hit:
        return cls(data["category"], data["text"], data["start"], data["end"], data["field"])


@dataclass(frozen=True)
class WatchlistResult:
    """The verdict of one watchlist on one article.

    ``categories`` lists only the categories that fire (topic scope satisfied, threshold met);
    ``alert`` is true when any does. ``hits`` may include hits of categories that did not fire.
    """

    watchlist: str
    alert: bool
    categories: tuple[str, ...] = ()
    score: float = 0.0
    hits: tuple[Hit, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "watchlist": self.watchlist,
            "alert": self.alert,
            "categories": list(self.categories),
            "score": self.score,
            "hits": [hit.to_json() for hit in self.hits],
        }
