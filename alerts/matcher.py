"""The matcher stage: articles → hits per watchlist, with character offsets into title or text.

spaCy (``spacy.blank("nl")`` + the lookup lemmatizer from spacy-lookups-data) is loaded once
per process. Before it runs, :mod:`alerts.prefilter` drops articles outside every watchlist's
topic scope and keeps only the sentences that can possibly match, so spaCy sees a small part
of the stream. Rules (:mod:`alerts.rules`) are evaluated per sentence: proximity never crosses
a sentence boundary. Not thread-safe: use one Matcher from one worker thread.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from alerts.errors import MatcherError
from alerts.hits import Field, Hit, WatchlistResult
from alerts.lexicon import fold
from alerts.prefilter import AnchorScanner, ScopeScanner, split_sentences
from alerts.rules import CompiledCategory, compile_category, rule_anchors
from alerts.watchlists import Watchlist
from alerts.wordindex import Token, WordIndex

_LOG = logging.getLogger(__name__)
_BATCH = 256


@functools.lru_cache(maxsize=1)
def load_pipeline() -> Any:
    """The Dutch tokenizer + lookup lemmatizer, built once per process."""
    try:
        import spacy

        nlp = spacy.blank("nl")
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()
    except (ImportError, OSError, ValueError) as exc:
        raise MatcherError(f"cannot load the Dutch spaCy pipeline: {exc}") from exc
    return nlp


@dataclass(frozen=True)
class _CompiledWatchlist:
    watchlist: Watchlist
    scope: ScopeScanner
    categories: tuple[CompiledCategory, ...]


@dataclass(frozen=True)
class _Job:
    """One candidate sentence: which article, which field, where it starts."""

    doc: int
    field: Field
    offset: int
    folded: str
    watchlists: tuple[int, ...]


class Matcher:
    """Compiled watchlists plus the spaCy pipeline; ``match`` returns one result per list."""

    def __init__(self, watchlists: Sequence[Watchlist]) -> None:
        self._nlp = load_pipeline()
        self._index = WordIndex()
        self._lists = [self._compile(w) for w in watchlists]
        self._index.freeze()
        anchors = {
            a
            for c in self._lists
            for cat in c.categories
            for r in cat.rules
            for a in rule_anchors(r, self._index)
        }
        self._anchors = AnchorScanner(anchors)
        self._terms = frozenset(anchors)
        _LOG.info(
            "matcher compiled", extra={"watchlists": len(self._lists), "anchors": len(anchors)}
        )

    def _compile(self, watchlist: Watchlist) -> _CompiledWatchlist:
        categories = tuple(compile_category(c, self._index) for c in watchlist.categories)
        return _CompiledWatchlist(watchlist, ScopeScanner(watchlist.scope), categories)

    @property
    def terms(self) -> frozenset[str]:
        """The folded substrings the prefilter looks for (used by bench/match.py baselines)."""
        return self._terms

    def match(self, title: str, text: str) -> list[WatchlistResult]:
        """One WatchlistResult per watchlist, in configuration order."""
        return self.match_many([(title, text)])[0]

    def match_many(self, docs: Iterable[tuple[str, str]]) -> list[list[WatchlistResult]]:
        """Like :meth:`match` for many articles; spaCy runs batched over candidate sentences."""
        articles = list(docs)
        jobs, texts = self._plan(articles)
        scores: list[dict[tuple[int, str], list[tuple[Hit, float]]]] = [{} for _ in articles]
        for job, doc in zip(jobs, self._nlp.pipe(texts, batch_size=_BATCH), strict=True):
            tokens = _tokens(doc, job)
            found = self._index.scan(tokens)
            if found:
                self._collect(job, tokens, found, articles, scores[job.doc])
        return [self._results(per_doc) for per_doc in scores]

    def _plan(self, articles: list[tuple[str, str]]) -> tuple[list[_Job], list[str]]:
        jobs: list[_Job] = []
        texts: list[str] = []
        for n, (title, text) in enumerate(articles):
            folded_title, folded_text = fold(title), fold(text)
            whole = folded_title + "\n" + folded_text
            in_scope = tuple(i for i, c in enumerate(self._lists) if c.scope.found(whole))
            if not in_scope:
                continue
            for field, raw, folded in (("title", title, folded_title), ("text", text, folded_text)):
                sentences = split_sentences(raw)
                for k in self._anchors.candidates(folded, sentences):
                    start, end = sentences[k]
                    jobs.append(_Job(n, field, start, folded[start:end], in_scope))  # type: ignore[arg-type]
                    texts.append(raw[start:end])
        return jobs, texts

    def _collect(
        self,
        job: _Job,
        tokens: list[Token],
        found: dict[int, list[int]],
        articles: list[tuple[str, str]],
        scores: dict[tuple[int, str], list[tuple[Hit, float]]],
    ) -> None:
        raw = articles[job.doc][0 if job.field == "title" else 1]
        for i in job.watchlists:
            for category in self._lists[i].categories:
                for (first, last), weight in category.find(tokens, found).items():
                    start, end = tokens[first][2], tokens[last][3]
                    hit = Hit(category.id, raw[start:end], start, end, job.field)
                    scores.setdefault((i, category.id), []).append((hit, weight))

    def _results(
        self, scores: dict[tuple[int, str], list[tuple[Hit, float]]]
    ) -> list[WatchlistResult]:
        results = []
        for i, compiled in enumerate(self._lists):
            fired: list[str] = []
            total = 0.0
            hits: list[Hit] = []
            for category in compiled.categories:
                found = scores.get((i, category.id), [])
                score = sum(weight for _, weight in found)
                hits.extend(hit for hit, _ in found)
                if found and score >= category.threshold:
                    fired.append(category.id)
                    total += score
            hits.sort(key=lambda h: (h.field != "title", h.start, h.category))
            results.append(
                WatchlistResult(
                    compiled.watchlist.id, bool(fired), tuple(fired), round(total, 2), tuple(hits)
                )
            )
        return results


def _tokens(doc: Any, job: _Job) -> list[Token]:
    tokens: list[Token] = []
    folded, offset = job.folded, job.offset
    for token in doc:
        if token.is_space:
            continue
        start = token.idx
        end = start + len(token.text)
        form = folded[start:end]
        lemma = fold(token.lemma_) if token.lemma_ else form
        part = form.rsplit("-", 1)[-1] if "-" in form else form
        tokens.append((form, lemma, offset + start, offset + end, part))
    return tokens
