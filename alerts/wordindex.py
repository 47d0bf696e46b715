"""Every word of every watchlist term in one index: folded form → word ids, compounds by key.

A sentence costs one pass over its tokens with a few dictionary look-ups each: exact forms
(all inflections, from :mod:`alerts.lexicon`), the token's lemma, the part after a hyphen
(*EU-sancties*), and compound heads/tails indexed by their first/last three letters.
"""

from __future__ import annotations

from collections.abc import Sequence

from alerts.lexicon import word_forms

# (folded form, folded lemma, start, end, part after the last hyphen)
Token = tuple[str, str, int, int, str]
Span = tuple[int, int]  # first and last token index, inclusive

_MIN_COMPOUND_PART = 2
_KEY = 3


class WordIndex:
    """All words of all terms: folded form → ids, plus compound heads and tails."""

    def __init__(self) -> None:
        self.exact: dict[str, list[int]] = {}
        self.heads: list[tuple[str, int]] = []
        self.tails: list[tuple[str, int]] = []
        self.anchors: dict[int, frozenset[str]] = {}
        self._ids: dict[tuple[str, bool, bool, bool], int] = {}

    def add(self, word: str, head: bool = False, tail: bool = False, exact: bool = False) -> int:
        key = (word, head, tail, exact)
        if key in self._ids:
            return self._ids[key]
        wid = len(self._ids)
        self._ids[key] = wid
        forms = frozenset({word}) if exact else word_forms(word)
        for form in forms:
            self.exact.setdefault(form, []).append(wid)
        if head:
            self.heads.append((word, wid))
        if tail:
            self.tails.extend((form, wid) for form in forms)
        self.anchors[wid] = forms | ({word} if head else set())
        return wid

    def add_joined(self, particle: str, verb: str) -> int:
        """A separable verb written as one word: particle + every form of the verb."""
        wid = self.add(particle + verb)
        for form in word_forms(verb):
            self.exact.setdefault(particle + form, []).append(wid)
        self.anchors[wid] = self.anchors[wid] | word_forms(verb)
        return wid

    def freeze(self) -> None:
        """Index compound heads and tails by their first/last three letters."""
        self._head_index: dict[str, list[tuple[str, int]]] = {}
        self._tail_index: dict[str, list[tuple[str, int]]] = {}
        for head, wid in self.heads:
            self._head_index.setdefault(head[:_KEY], []).append((head, wid))
        for tail, wid in self.tails:
            self._tail_index.setdefault(tail[-_KEY:], []).append((tail, wid))

    def scan(self, tokens: Sequence[Token]) -> dict[int, list[int]]:
        """Word id → token positions where that word occurs."""
        found: dict[int, list[int]] = {}
        exact, heads, tails = self.exact, self._head_index, self._tail_index
        for i, (form, lemma, _, _, part) in enumerate(tokens):
            ids = set(exact.get(form, ()))
            if lemma != form:
                ids.update(exact.get(lemma, ()))
            if part != form:
                ids.update(exact.get(part, ()))
            for head, wid in heads.get(form[:_KEY], ()):
                if form.startswith(head):
                    ids.add(wid)
            for tail, wid in tails.get(form[-_KEY:], ()):
                if form.endswith(tail) and len(form) - len(tail) >= _MIN_COMPOUND_PART:
                    ids.add(wid)
            for wid in ids:
                found.setdefault(wid, []).append(i)
        return found
