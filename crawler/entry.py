"""The one article type that feeds and spiders both produce, and the store keeps.

An Entry is immutable; stages make new ones (``dataclasses.replace``) when they add the
full text, so a half-processed article never leaks between stages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Entry:
    """One article as seen by a source.

    ``guid`` is the feed's id (or the canonical URL when the feed has none); ``url`` is the
    canonical URL (tracking parameters and fragment dropped). ``published`` is UTC-aware or None.
    ``text`` is the extracted full text, or the feed summary as plain text when there is none.
    """

    source_id: str
    guid: str
    url: str
    title: str
    summary: str = ""
    text: str = ""
    published: datetime | None = None
    outlet: str = ""
    full_text: bool = False

    @property
    def body(self) -> str:
        """The best text we have: extracted article text, else the feed summary."""
        return self.text or self.summary
