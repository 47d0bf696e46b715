"""The cheap exact pass before spaCy: topic scope and candidate sentences, by Aho–Corasick.

Most news is off-topic. One Aho–Corasick scan of the folded article decides whether any scope
term occurs (with word boundaries and the compound markers of the term); a second scan finds
the sentences that contain a substring every rule needs (an "anchor"). Only those sentences go
through the spaCy pipeline, which is what makes a stream of mostly unrelated news fast. Both
scans over-approximate, so the prefilter never loses a hit the full matcher would find.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

import ahocorasick

from alerts.lexicon import word_forms
from alerts.patterns import Pattern

# A sentence ends at . ! ? (and any closing quote or bracket) before whitespace, or at a line
# break; "127.000" and "zo'n" stay inside.
_SENTENCE_END = re.compile(r"([.!?…][\"'”’)\]]*)\s+|\s*\n\s*")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text`` (whitespace between them excluded)."""
    spans = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end(1) if match.group(1) else match.start()
        if text[start:end].strip():
            spans.append((start, end))
        start = match.end()
    if text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans


class ScopeScanner:
    """Does a folded text mention any scope term (as a word, or inside a compound if allowed)?"""

    def __init__(self, scope: Iterable[Pattern]) -> None:
        self._automaton = ahocorasick.Automaton()
        entries: dict[str, tuple[bool, bool]] = {}
        for pattern in scope:
            tail, head = pattern.words[0].tail, pattern.words[-1].head
            for form in _scope_forms(pattern):
                old_tail, old_head = entries.get(form, (False, False))
                entries[form] = (tail or old_tail, head or old_head)
        for form, (tail, head) in entries.items():
            self._automaton.add_word(form, (len(form), tail, head))
        self._empty = not entries
        if entries:
            self._automaton.make_automaton()

    @property
    def empty(self) -> bool:
        return self._empty

    def found(self, folded: str) -> bool:
        if self._empty:
            return True
        for end, (length, tail, head) in self._automaton.iter(folded):
            start = end - length + 1
            if (tail or not _is_word_char(folded, start - 1)) and (
                head or not _is_word_char(folded, end + 1)
            ):
                return True
        return False


def _scope_forms(pattern: Pattern) -> frozenset[str]:
    if len(pattern.words) > 1:
        return frozenset({" ".join(w.word for w in pattern.words)})
    word = pattern.words[0]
    return frozenset({word.word}) if word.exact else word_forms(word.word) | {word.word}


def _is_word_char(text: str, i: int) -> bool:
    return 0 <= i < len(text) and text[i].isalnum()


class AnchorScanner:
    """Which sentences contain at least one anchor substring."""

    def __init__(self, anchors: Iterable[str]) -> None:
        self._automaton = ahocorasick.Automaton()
        for anchor in set(anchors):
            self._automaton.add_word(anchor, len(anchor))
        self._ready = len(self._automaton) > 0
        if self._ready:
            self._automaton.make_automaton()

    def candidates(self, folded: str, sentences: list[tuple[int, int]]) -> list[int]:
        """Indexes of the sentences in which some anchor occurs."""
        if not self._ready or not sentences:
            return []
        starts = [s for s, _ in sentences]
        chosen: set[int] = set()
        for end, length in self._automaton.iter(folded):
            k = bisect.bisect_right(starts, end - length + 1) - 1
            if k >= 0 and end < sentences[k][1]:
                chosen.add(k)
        return sorted(chosen)
