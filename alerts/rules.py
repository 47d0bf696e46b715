"""Watchlist rules compiled for speed, and evaluated on one tokenised sentence.

Compilation expands every term into its folded forms (:mod:`alerts.lexicon`) and builds one
dictionary ``form → word ids`` plus tuples of compound heads and tails, so a sentence costs one
pass over its tokens with two dictionary look-ups each; separable verbs, phrases and proximity
rules are then decided on the (few) positions where their words occurred.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass

from alerts.patterns import Pattern, WordPattern
from alerts.watchlists import Rule, WatchCategory
from alerts.wordindex import Span, Token, WordIndex

SEPARABLE_WINDOW = 12
# After these a particle is a preposition ("binnen twee weken", "aan de grens"), not a particle.
_NOT_AFTER_PARTICLE = frozenset(
    {
        *("de", "het", "een", "enkele", "korte", "afzienbare", "zijn", "haar", "hun"),
        *("deze", "dit", "die", "dat", "enige", "weinig", "honderd", "duizend"),
        *("twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen", "tien", "elf"),
        "twaalf",
    }
)


@dataclass(frozen=True)
class CompiledPattern:
    """A term reduced to word ids: one word, a phrase, or a separable verb (joined + split)."""

    words: tuple[int, ...]
    particle: str = ""
    verb: int = -1


def compile_pattern(pattern: Pattern, index: WordIndex) -> CompiledPattern:
    """Register every word of ``pattern`` in ``index``."""
    if len(pattern.words) == 1 and pattern.words[0].particle:
        word = pattern.words[0]
        particle = word.particle or ""
        return CompiledPattern(
            (index.add_joined(particle, word.word),), particle, index.add(word.word)
        )
    return CompiledPattern(tuple(_add_word(w, index) for w in pattern.words))


def _add_word(word: WordPattern, index: WordIndex) -> int:
    return index.add(word.word, word.head, word.tail, word.exact)


def find_spans(
    pattern: CompiledPattern, tokens: Sequence[Token], found: dict[int, list[int]]
) -> list[Span]:
    """Token spans where ``pattern`` occurs in the sentence."""
    first = found.get(pattern.words[0], [])
    if len(pattern.words) > 1:
        rest = [set(found.get(w, ())) for w in pattern.words[1:]]
        return [
            (i, i + len(rest))
            for i in first
            if all(i + k + 1 in positions for k, positions in enumerate(rest))
        ]
    spans = [(i, i) for i in first]
    if pattern.particle:
        spans.extend(_split_verb_spans(pattern, tokens, found.get(pattern.verb, [])))
    return spans


def _split_verb_spans(
    pattern: CompiledPattern, tokens: Sequence[Token], verbs: list[int]
) -> list[Span]:
    spans = []
    for v in verbs:
        low, high = max(0, v - SEPARABLE_WINDOW), min(len(tokens), v + SEPARABLE_WINDOW + 1)
        for p in range(low, high):
            if tokens[p][0] == pattern.particle and _is_particle(tokens, p):
                spans.append((min(p, v), max(p, v)))
                break
    return spans


def _is_particle(tokens: Sequence[Token], p: int) -> bool:
    if p + 1 >= len(tokens):
        return True
    following = tokens[p + 1][0]
    return following not in _NOT_AFTER_PARTICLE and not following[:1].isdigit()


@dataclass(frozen=True)
class CompiledRule:
    groups: tuple[tuple[CompiledPattern, ...], ...]
    within: int
    weight: float
    excepts: re.Pattern[str] | None
    unless: tuple[CompiledPattern, ...] = ()
    keys: tuple[frozenset[int], ...] = ()

    def spans(self, tokens: Sequence[Token], found: dict[int, list[int]]) -> list[Span]:
        """Spans where every group occurs, each within ``within`` words of the first group."""
        if any(keys.isdisjoint(found) for keys in self.keys):
            return []
        if self.unless and any(find_spans(p, tokens, found) for p in self.unless):
            return []
        per_group = [self._group_spans(g, tokens, found) for g in self.groups]
        if not all(per_group):
            return []
        if len(per_group) == 1:
            return per_group[0]
        out = []
        for anchor in per_group[0]:
            chosen = [_nearest(anchor, spans) for spans in per_group[1:]]
            if all(_gap(anchor, s) <= self.within for s in chosen):
                out.append(
                    (min(s[0] for s in [anchor, *chosen]), max(s[1] for s in [anchor, *chosen]))
                )
        return out

    def _group_spans(
        self,
        group: tuple[CompiledPattern, ...],
        tokens: Sequence[Token],
        found: dict[int, list[int]],
    ) -> list[Span]:
        spans = [
            s
            for p in group
            if p.words[0] in found or p.verb in found
            for s in find_spans(p, tokens, found)
        ]
        if self.excepts is None:
            return spans
        excepts = self.excepts
        return [
            s for s in spans if not any(excepts.match(tokens[i][0]) for i in range(s[0], s[1] + 1))
        ]


def _gap(a: Span, b: Span) -> int:
    if b[0] > a[1]:
        return b[0] - a[1]
    if a[0] > b[1]:
        return a[0] - b[1]
    return 0


def _nearest(anchor: Span, spans: list[Span]) -> Span:
    return min(spans, key=lambda s: _gap(anchor, s))


@dataclass(frozen=True)
class CompiledCategory:
    id: str
    threshold: float
    rules: tuple[CompiledRule, ...]
    exclusions: tuple[tuple[tuple[CompiledPattern, ...], int], ...]
    exclusion_keys: frozenset[int] = frozenset()

    def find(self, tokens: Sequence[Token], found: dict[int, list[int]]) -> dict[Span, float]:
        """Hit spans in this sentence with their weight, after exclusions."""
        hits: dict[Span, float] = {}
        for rule in self.rules:
            for span in rule.spans(tokens, found):
                hits[span] = max(hits.get(span, 0.0), rule.weight)
        if hits and not self.exclusion_keys.isdisjoint(found):
            hits = {s: w for s, w in hits.items() if not self._excluded(s, tokens, found)}
        return hits

    def _excluded(self, span: Span, tokens: Sequence[Token], found: dict[int, list[int]]) -> bool:
        for patterns, within in self.exclusions:
            for pattern in patterns:
                if pattern.words[0] not in found and pattern.verb not in found:
                    continue
                for other in find_spans(pattern, tokens, found):
                    if _gap(span, other) <= within:
                        return True
        return False


def compile_category(category: WatchCategory, index: WordIndex) -> CompiledCategory:
    rules = tuple(_compile_rule(rule, index) for rule in category.rules)
    exclusions = tuple(
        (tuple(compile_pattern(p, index) for p in e.patterns), e.within)
        for e in category.exclusions
    )
    keys = frozenset(w for patterns, _ in exclusions for p in patterns for w in _needed(p))
    return CompiledCategory(category.id, category.threshold, rules, exclusions, keys)


def _compile_rule(rule: Rule, index: WordIndex) -> CompiledRule:
    groups = tuple(tuple(compile_pattern(p, index) for p in group) for group in rule.groups)
    excepts = (
        re.compile("|".join(f"(?:{fnmatch.translate(e)})" for e in rule.excepts))
        if rule.excepts
        else None
    )
    unless = tuple(compile_pattern(p, index) for p in rule.unless)
    keys = tuple(frozenset(w for p in group for w in _needed(p)) for group in groups)
    return CompiledRule(groups, rule.within, rule.weight, excepts, unless, keys)


def _needed(pattern: CompiledPattern) -> tuple[int, ...]:
    """Word ids of which at least one must occur for ``pattern`` to occur."""
    return (pattern.words[0], pattern.verb) if pattern.particle else pattern.words[:1]


def rule_anchors(rule: CompiledRule, index: WordIndex) -> frozenset[str]:
    """Substrings one of which every sentence matching ``rule`` contains (for the prefilter).

    Each group qualifies (all groups must occur); the group whose shortest anchor is longest is
    the most selective. A separable verb is anchored on its particle or its verb forms (both
    are in every occurrence), a phrase on its most selective word.
    """
    options = [
        frozenset(a for p in group for a in _pattern_anchors(p, index)) for group in rule.groups
    ]
    return max(options, key=_selectivity)


def _pattern_anchors(pattern: CompiledPattern, index: WordIndex) -> frozenset[str]:
    if pattern.particle:
        options = [index.anchors[pattern.verb], frozenset({pattern.particle})]
    else:
        options = [index.anchors[w] for w in pattern.words]
    return max(options, key=_selectivity)  # ties: the first (verb forms, not the particle)


def _selectivity(anchors: frozenset[str]) -> int:
    return min(map(len, anchors)) if anchors else 0
