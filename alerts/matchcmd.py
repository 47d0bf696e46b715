"""``nieuwswacht match`` and ``nieuwswacht eval``: try watchlists on articles, measure them.

``match --jsonl FILE|-`` is a public contract (see :mod:`alerts.hits`): one JSON line out per
JSON line in, in order. ``match FILE`` prints a human view with the hits highlighted. ``eval``
prints per-category precision, recall and F1, and micro-F1, for a labelled JSONL file whose
lines carry ``expect: [category ids]``. Both read ``watchlists`` from the main config file.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from alerts.config import load_config
from alerts.errors import AlertsError
from alerts.hits import WatchlistResult
from alerts.matcher import Matcher
from alerts.watchlists import Watchlist, load_watchlists
from crawler.errors import ConfigError

_BATCH = 512
EXIT_INPUT = 1
EXIT_CONFIG = 2


class InputError(ValueError):
    """A line of the JSONL input is not an article object."""


def cmd_match(args: argparse.Namespace) -> int:
    """Match articles from JSONL (``--jsonl``) or one text file; see the module docstring."""
    try:
        watchlists = _load(args.config)
        matcher = Matcher(watchlists)
    except (ConfigError, AlertsError) as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    if getattr(args, "jsonl", None):
        return _match_jsonl(matcher, args.jsonl)
    if getattr(args, "file", None):
        return _match_file(matcher, watchlists, args.file)
    print("match: give --jsonl FILE (or -) or a text FILE", file=sys.stderr)
    return EXIT_CONFIG


def cmd_eval(args: argparse.Namespace) -> int:
    """Print per-category precision/recall/F1 and micro-F1 for a labelled JSONL file."""
    try:
        matcher = Matcher(_load(args.config))
        with _open(args.file) as stream:
            cases = [(n, _parse_case(line, n, labelled=True)) for n, line in _lines(stream)]
    except (ConfigError, AlertsError, OSError) as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    except InputError as exc:
        print(exc, file=sys.stderr)
        return EXIT_INPUT
    report = evaluate(matcher, [case for _, case in cases])
    print(report.render())
    return 0


def _load(config: Path) -> list[Watchlist]:
    return load_watchlists(load_config(config).watchlists_path)


def _open(name: str) -> TextIO:
    if name == "-":
        return sys.stdin
    return open(name, encoding="utf-8")


def _lines(stream: TextIO) -> Iterator[tuple[int, str]]:
    for n, line in enumerate(stream, 1):
        if line.strip():
            yield n, line


def _parse_case(line: str, n: int, *, labelled: bool = False) -> dict[str, Any]:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"line {n}: invalid JSON ({exc.msg}, column {exc.colno})") from None
    if not isinstance(data, dict):
        raise InputError(f"line {n}: expected an object with id, title and text")
    title, text = data.get("title", ""), data.get("text")
    if not isinstance(title, str) or not isinstance(text, str):
        raise InputError(f"line {n}: 'title' and 'text' must be strings ('text' is required)")
    if labelled and not isinstance(data.get("expect"), list):
        raise InputError(f"line {n}: 'expect' must be a list of category ids")
    return data


def _match_jsonl(matcher: Matcher, name: str) -> int:
    try:
        with _open(name) as stream:
            return _stream_jsonl(matcher, _lines(stream), sys.stdout)
    except OSError as exc:
        print(f"{name}: cannot read ({exc})", file=sys.stderr)
        return EXIT_INPUT


def _stream_jsonl(matcher: Matcher, lines: Iterable[tuple[int, str]], out: TextIO) -> int:
    batch: list[dict[str, Any]] = []
    try:
        for n, line in lines:
            batch.append(_parse_case(line, n))
            if len(batch) >= _BATCH:
                _write_batch(matcher, batch, out)
                batch = []
    except InputError as exc:
        _write_batch(matcher, batch, out)
        print(exc, file=sys.stderr)
        return EXIT_INPUT
    _write_batch(matcher, batch, out)
    return 0


def _write_batch(matcher: Matcher, batch: list[dict[str, Any]], out: TextIO) -> None:
    results = matcher.match_many((c.get("title", ""), c["text"]) for c in batch)
    for case, per_list in zip(batch, results, strict=True):
        line = {"id": case.get("id"), "results": [r.to_json() for r in per_list]}
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
    out.flush()


def _match_file(matcher: Matcher, watchlists: list[Watchlist], name: str) -> int:
    try:
        text = Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"{name}: cannot read ({exc})", file=sys.stderr)
        return EXIT_INPUT
    for watchlist, result in zip(watchlists, matcher.match("", text), strict=True):
        print(render_result(watchlist, result, "", text))
    return 0


def render_result(watchlist: Watchlist, result: WatchlistResult, title: str, text: str) -> str:
    """A human view: verdict, fired categories with labels, every hit marked »like this«."""
    fired = ", ".join(f"{watchlist.label_of(c)} ({c})" for c in result.categories) or "-"
    lines = [
        f"{watchlist.name} [{watchlist.id}]: {'ALERT' if result.alert else 'no alert'}",
        f"  categories: {fired}   score: {result.score}",
    ]
    for hit in result.hits:
        source = title if hit.field == "title" else text
        left = source[max(0, hit.start - 50) : hit.start].replace("\n", " ")
        right = source[hit.end : hit.end + 50].replace("\n", " ")
        lines.append(f"  {hit.category:<14} {hit.field}:{hit.start}  …{left}»{hit.text}«{right}…")
    return "\n".join(lines)


@dataclass
class EvalReport:
    """Counts per category; precision, recall and F1 derived from them."""

    counts: dict[str, list[int]] = field(default_factory=dict)  # tp, fp, fn
    cases: int = 0
    exact: int = 0

    def add(self, expected: set[str], predicted: set[str]) -> None:
        self.cases += 1
        self.exact += expected == predicted
        for category in expected | predicted:
            tp_fp_fn = self.counts.setdefault(category, [0, 0, 0])
            tp_fp_fn[
                0
                if category in expected and category in predicted
                else 1
                if category in predicted
                else 2
            ] += 1

    def micro(self) -> tuple[float, float, float]:
        tp, fp, fn = (sum(c[i] for c in self.counts.values()) for i in range(3))
        return _prf(tp, fp, fn)

    def render(self) -> str:
        rows = [f"{'category':<16}{'P':>7}{'R':>7}{'F1':>7}{'tp':>6}{'fp':>6}{'fn':>6}"]
        for category in sorted(self.counts):
            tp, fp, fn = self.counts[category]
            p, r, f = _prf(tp, fp, fn)
            rows.append(f"{category:<16}{p:>7.3f}{r:>7.3f}{f:>7.3f}{tp:>6}{fp:>6}{fn:>6}")
        p, r, f = self.micro()
        rows.append(f"{'micro':<16}{p:>7.3f}{r:>7.3f}{f:>7.3f}")
        rows.append(f"cases: {self.cases}, exactly right: {self.exact}")
        return "\n".join(rows)


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def evaluate(matcher: Matcher, cases: list[dict[str, Any]]) -> EvalReport:
    """Score ``matcher`` on labelled cases: the union of categories fired by any watchlist."""
    report = EvalReport()
    results = matcher.match_many((c.get("title", ""), c["text"]) for c in cases)
    for case, per_list in zip(cases, results, strict=True):
        predicted = {category for r in per_list for category in r.categories}
        report.add(set(case["expect"]), predicted)
    return report
