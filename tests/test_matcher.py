"""The matcher on the rule language, the labelled sets and the seed article."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alerts.matchcmd import evaluate
from alerts.matcher import Matcher
from alerts.watchlists import load_watchlists

REPO = Path(__file__).resolve().parent.parent
DEV = REPO / "tests" / "eval" / "dev.jsonl"  # a copy of ../shared/eval/dev.jsonl
LABELLED = REPO / "tests" / "eval" / "labelled.jsonl"

RULES = """\
watchlists:
  - id: t
    name: T
    scope: [rusland, russ*]
    categories:
      - id: c
        label: C
        threshold: {threshold}
        rules:
{rules}
        exclude:
          - any: [politie]
            within: 4
"""


@pytest.fixture(scope="module")
def default_matcher() -> Matcher:
    return Matcher(load_watchlists(REPO / "config" / "watchlists.yaml"))


def make(tmp_path: Path, rules: str, threshold: float = 1) -> Matcher:
    path = tmp_path / "w.yaml"
    path.write_text(RULES.format(rules=rules, threshold=threshold), encoding="utf-8")
    return Matcher(load_watchlists(path))


def fired(matcher: Matcher, text: str, title: str = "") -> list[str]:
    return list(matcher.match(title, text)[0].categories)


def read_cases(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def test_term_matches_inflections_and_not_compounds(tmp_path: Path) -> None:
    m = make(tmp_path, "          - any: [sanctie]")
    assert fired(m, "Rusland krijgt nieuwe sancties.") == ["c"]
    assert fired(m, "Rusland krijgt een sanctiepakket.") == []


def test_compound_markers(tmp_path: Path) -> None:
    m = make(tmp_path, '          - any: [sanctie*, "*sanctie"]')
    assert fired(m, "Rusland krijgt een sanctiepakket.") == ["c"]
    assert fired(m, "Rusland reageert met tegensancties.") == ["c"]
    assert fired(m, "Rusland en de EU-sancties.") == ["c"]


def test_irregular_verb_forms(tmp_path: Path) -> None:
    m = make(tmp_path, "          - any: [vallen]")
    for form in ["viel", "vielen", "valt", "gevallen"]:
        assert fired(m, f"In Rusland {form} het.") == ["c"], form


@pytest.mark.parametrize(
    "text",
    [
        "Rusland valt Oekraïne binnen.",
        "Russische troepen vielen donderdag vanuit het noorden Oekraïne binnen.",
        "Rusland besloot Oekraïne binnen te vallen.",
        "Rusland is Oekraïne binnengevallen.",
        "Als Rusland Oekraïne binnenvalt, komen er sancties.",
        "De vrees dat Rusland Oekraïne binnen zal vallen groeit.",
    ],
)
def test_separable_verb_in_every_position(tmp_path: Path, text: str) -> None:
    assert fired(make(tmp_path, "          - any: [binnen|vallen]"), text) == ["c"]


def test_particle_used_as_preposition_does_not_count(tmp_path: Path) -> None:
    m = make(tmp_path, "          - any: [binnen|vallen]")
    assert fired(m, "In Rusland vallen binnen een week drie besluiten.") == []


def test_exact_form_only(tmp_path: Path) -> None:
    m = make(tmp_path, "          - any: [=viel]")
    assert fired(m, "In Rusland viel het.") == ["c"]
    assert fired(m, "In Rusland vallen ze.") == []


def test_phrase_needs_order_and_adjacency(tmp_path: Path) -> None:
    m = make(tmp_path, "          - any: [ingrijpende maatregel]")
    assert fired(m, "Rusland wacht ingrijpende maatregelen.") == ["c"]
    assert fired(m, "Rusland: maatregelen, ingrijpende.") == []


def test_near_respects_distance_and_sentence(tmp_path: Path) -> None:
    m = make(tmp_path, "          - near: [[bevriezen], [tegoed]]\n            within: 3")
    assert fired(m, "Rusland ziet tegoeden bevroren.") == ["c"]
    assert fired(m, "Rusland ziet tegoeden van heel veel mensen nu bevroren.") == []
    assert fired(m, "Rusland heeft tegoeden. Die zijn bevroren.") == []


def test_exclusion_and_unless_and_except(tmp_path: Path) -> None:
    m = make(
        tmp_path,
        "          - any: [inval]\n            unless: [drugs]\n            except: [invalide]",
    )
    assert fired(m, "Russische inval bij de grens.") == ["c"]
    assert fired(m, "Russische politie deed een inval.") == []
    assert fired(m, "Russische inval in een drugslab, drugs gevonden.") == []


def test_weights_and_threshold(tmp_path: Path) -> None:
    m = make(tmp_path, "          - any: [dreiging]\n            weight: 0.5", threshold=1)
    assert fired(m, "Rusland en de dreiging.") == []
    result = m.match("Dreiging uit Rusland", "De dreiging groeit.")[0]
    assert result.categories == ("c",) and result.score == 1.0


def test_scope_gate_and_accent_folding(tmp_path: Path) -> None:
    m = make(tmp_path, "          - any: [sanctie]")
    assert fired(m, "Sancties tegen Iran.") == []
    assert fired(m, "RUSLAND: SANCTIES.") == ["c"]
    assert fired(m, "Russische sancties") == ["c"]


def test_hits_offsets_index_their_field(default_matcher: Matcher) -> None:
    title, text = "Rusland valt Oekraïne binnen", "Nieuwe sancties. De troepenopbouw gaat door."
    result = default_matcher.match(title, text)[0]
    assert result.alert
    for hit in result.hits:
        field = title if hit.field == "title" else text
        assert field[hit.start : hit.end] == hit.text
    assert {h.field for h in result.hits} == {"title", "text"}


def test_dev_set_is_perfect(default_matcher: Matcher) -> None:
    report = evaluate(default_matcher, read_cases(DEV))
    assert report.exact == report.cases == 20


def test_labelled_set_scores(default_matcher: Matcher) -> None:
    cases = read_cases(LABELLED)
    assert len(cases) >= 200
    report = evaluate(default_matcher, cases)
    assert report.micro()[2] >= 0.90, report.render()


def test_seed_article(default_matcher: Matcher, seed_article: str) -> None:
    result = default_matcher.match("", seed_article)[0]
    assert set(result.categories) == {"sanctions", "invasion", "troop_buildup"}
    unrelated = "Het KNMI verwacht morgen zon. In Utrecht opent een nieuw zwembad."
    assert default_matcher.match("Weer", unrelated)[0].alert is False


def test_match_many_equals_match(default_matcher: Matcher) -> None:
    docs = [(c["title"], c["text"]) for c in read_cases(DEV)]
    many = default_matcher.match_many(docs)  # type: ignore[arg-type]
    assert many == [default_matcher.match(t, x) for t, x in docs]  # type: ignore[arg-type]
