"""The watchlist file: the rule language parses, and mistakes become ConfigErrors with lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.patterns import parse_pattern
from alerts.watchlists import SENTENCE, load_watchlists
from crawler.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent

MINIMAL = """\
watchlists:
  - id: test
    name: Test
    scope: [rusland, "*oekraine*"]
    categories:
      - id: sanctions
        label: Sancties
        rules:
          - any: [sanctie*]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "watchlists.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_watchlists_file_loads_with_labels() -> None:
    watchlists = load_watchlists(REPO / "config" / "watchlists.yaml")
    default = watchlists[0]
    assert default.id == "rusland-oekraine-navo"
    assert default.channels is None
    assert {"sanctions", "invasion", "troop_buildup"} <= set(default.labels)
    assert default.label_of("sanctions") == "Sancties"
    assert default.label_of("unknown") == "unknown"


def test_minimal_watchlist_becomes_domain_objects(tmp_path: Path) -> None:
    (watchlist,) = load_watchlists(write(tmp_path, MINIMAL))
    category = watchlist.categories[0]
    assert category.threshold == 1.0
    assert category.rules[0].groups[0][0].words[0].head is True
    assert watchlist.scope[1].words[0].tail and watchlist.scope[1].words[0].head


@pytest.mark.parametrize(
    ("source", "word", "head", "tail", "particle", "exact"),
    [
        ("sanctie", "sanctie", False, False, None, False),
        ("Sanctie*", "sanctie", True, False, None, False),
        ("*sanctie", "sanctie", False, True, None, False),
        ("*Oekraïne*", "oekraine", True, True, None, False),
        ("binnen|vallen", "vallen", False, False, "binnen", False),
        ("=viel", "viel", False, False, None, True),
    ],
)
def test_term_syntax(
    source: str, word: str, head: bool, tail: bool, particle: str | None, exact: bool
) -> None:
    (parsed,) = parse_pattern(source).words
    assert (parsed.word, parsed.head, parsed.tail, parsed.particle, parsed.exact) == (
        word,
        head,
        tail,
        particle,
        exact,
    )


def test_phrase_is_several_words() -> None:
    assert [w.word for w in parse_pattern("ingrijpende  maatregel").words] == [
        "ingrijpende",
        "maatregel",
    ]


@pytest.mark.parametrize("bad", ["", "sanc*tie", "binnen|", "=viel*", "over|steken grens", "a|b|c"])
def test_bad_terms_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_pattern(bad)


def test_typo_key_names_file_line_and_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace("    categories:", "    categorys:"))
    with pytest.raises(ConfigError) as info:
        load_watchlists(path)
    message = str(info.value)
    assert f"{path}:5:" in message
    assert "did you mean 'categories'?" in message


def test_bad_term_in_rule_points_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace("[sanctie*]", "[sanctie*, sanc*tie]"))
    with pytest.raises(ConfigError) as info:
        load_watchlists(path)
    assert f"{path}:9:" in str(info.value)
    assert "sanc*tie" in str(info.value)


def test_rule_needs_exactly_one_kind(tmp_path: Path) -> None:
    text = MINIMAL.replace("- any: [sanctie*]", "- any: [sanctie]\n            near: [a, b]")
    with pytest.raises(ConfigError, match="exactly one of"):
        load_watchlists(write(tmp_path, text))


def test_within_sentence_and_bad_within(tmp_path: Path) -> None:
    good = MINIMAL + "        exclude:\n          - any: [politie]\n            within: sentence\n"
    (watchlist,) = load_watchlists(write(tmp_path, good))
    assert watchlist.categories[0].exclusions[0].within == SENTENCE
    with pytest.raises(ConfigError, match="within"):
        load_watchlists(write(tmp_path, good.replace("within: sentence", "within: paragraaf")))


def test_duplicate_category_ids_are_rejected(tmp_path: Path) -> None:
    text = (
        MINIMAL + "      - id: sanctions\n        label: Nog eens\n        rules:\n"
        "          - any: [embargo]\n"
    )
    with pytest.raises(ConfigError, match="duplicate category id 'sanctions'"):
        load_watchlists(write(tmp_path, text))


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace("name: Test", "name: [Test"))
    with pytest.raises(ConfigError, match=r"watchlists\.yaml:\d+"):
        load_watchlists(path)
