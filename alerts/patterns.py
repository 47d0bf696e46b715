"""The term syntax of watchlist rules: one string per term, parsed and checked at load time.

    sanctie          the word and its inflections (sancties, sanctie's); verbs all tenses
    sanctie*         also at the start of a compound (sanctiepakket, sanctielijst)
    *sanctie         also at the end of a compound (tegensancties, EU-sancties)
    *sanctie*        both
    =viel            exactly this form, no inflections
    binnen|vallen    separable verb: binnenvallen, valt ... binnen, binnen te vallen,
                     binnengevallen, binnenviel
    ingrijpende maatregel   a phrase: these words in this order, each inflected

Everything is compared after folding accents and case, so ``Oekraïne`` = ``oekraine``. A
mistake raises ValueError with a fix; pydantic turns it into a ConfigError with file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from alerts.lexicon import fold

_WORD = re.compile(r"^[a-z0-9][a-z0-9'\-.]*$")


@dataclass(frozen=True)
class WordPattern:
    """One word of a term: folded base form plus where compounds and inflections may attach."""

    word: str
    head: bool = False
    tail: bool = False
    exact: bool = False
    particle: str | None = None

    @property
    def joined(self) -> str:
        return (self.particle or "") + self.word


@dataclass(frozen=True)
class Pattern:
    """A parsed term: a single word, a separable verb, or a phrase of several words."""

    source: str
    words: tuple[WordPattern, ...]


def parse_pattern(source: str) -> Pattern:
    """Parse one term string; raise ValueError naming the problem and the fix."""
    text = " ".join(fold(source).split())
    if not text:
        raise ValueError("empty term; write a word such as 'sanctie' or remove the entry")
    parts = text.split(" ")
    if len(parts) > 1 and "|" in text:
        raise ValueError(
            f"term '{source}': a separable verb (with '|') cannot be part of a phrase; "
            "use a 'near' rule instead, e.g. near: [[over|steken], [grens]]"
        )
    return Pattern(source=source, words=tuple(_parse_word(part, source) for part in parts))


def _parse_word(part: str, source: str) -> WordPattern:
    exact = part.startswith("=")
    body = part[1:] if exact else part
    tail = body.startswith("*")
    head = body.endswith("*") and len(body) > 1
    body = body.strip("*")
    particle: str | None = None
    if "|" in body:
        particle, _, body = body.partition("|")
        if not particle or not body or "|" in body:
            raise ValueError(
                f"term '{source}': write a separable verb as particle|verb, e.g. binnen|vallen"
            )
        _check_word(particle, source)
    _check_word(body, source)
    if exact and (head or tail or particle):
        raise ValueError(f"term '{source}': '=' (exact form) cannot be combined with '*' or '|'")
    if particle and (head or tail):
        raise ValueError(f"term '{source}': a separable verb cannot have '*'; drop the '*'")
    return WordPattern(word=body, head=head, tail=tail, exact=exact, particle=particle)


def _check_word(word: str, source: str) -> None:
    if "*" in word or "=" in word:
        raise ValueError(
            f"term '{source}': '*' may only start or end a word and '=' only start it, "
            "e.g. sanctie*, *sanctie, =viel"
        )
    if not _WORD.match(word):
        raise ValueError(
            f"term '{source}': only letters, digits, hyphens and apostrophes are allowed in a word"
        )
