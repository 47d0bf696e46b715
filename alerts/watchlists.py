"""``config/watchlists.yaml`` → validated, immutable watchlists the matcher compiles.

The file is read with :func:`crawler.yamlfile.load_model`, so a typo'd key, a bad term or a
missing label is a ConfigError naming file, line, key path and the fix; an invalid rule never
reaches a running matcher. The rule language itself is documented in ``config/watchlists.yaml``
and in :mod:`alerts.patterns` (term syntax).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from alerts.patterns import Pattern, parse_pattern
from crawler.yamlfile import load_model

_ID = r"^[a-z0-9][a-z0-9_\-]*$"
SENTENCE = 1000  # "within: sentence": further than any sentence is long


@dataclass(frozen=True)
class Rule:
    """Every group needs one of its terms; all within ``within`` words of the first group."""

    groups: tuple[tuple[Pattern, ...], ...]
    within: int
    weight: float
    excepts: tuple[str, ...] = ()
    unless: tuple[Pattern, ...] = ()


@dataclass(frozen=True)
class Exclusion:
    """A hit with one of these terms within ``within`` words (same sentence) does not count."""

    patterns: tuple[Pattern, ...]
    within: int


@dataclass(frozen=True)
class WatchCategory:
    """A category of one watchlist: label users see, rules, exclusions and a threshold."""

    id: str
    label: str
    threshold: float
    rules: tuple[Rule, ...]
    exclusions: tuple[Exclusion, ...] = ()


@dataclass(frozen=True)
class Watchlist:
    """A topic scope plus categories; ``channels`` None means every configured channel."""

    id: str
    name: str
    channels: tuple[str, ...] | None
    scope: tuple[Pattern, ...]
    categories: tuple[WatchCategory, ...]

    def label_of(self, category_id: str) -> str:
        """The human label of a category (``sanctions`` → ``Sancties``); the id if unknown."""
        for category in self.categories:
            if category.id == category_id:
                return category.label
        return category_id

    @property
    def labels(self) -> dict[str, str]:
        return {category.id: category.label for category in self.categories}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _parse_all(values: Sequence[str]) -> tuple[Pattern, ...]:
    return tuple(parse_pattern(value) for value in values)


Within = Annotated[int, Field(ge=0, le=SENTENCE)]


class RuleModel(_Strict):
    any: list[str] | None = Field(None, min_length=1)
    near: list[str | list[str]] | None = Field(None, min_length=2)
    within: Within | str = 8
    weight: float = Field(1.0, gt=0)
    except_: list[str] = Field(default_factory=list, alias="except")
    unless: list[str] = Field(default_factory=list)

    @field_validator("within")
    @classmethod
    def _check_within(cls, value: int | str) -> int | str:
        return _check_within_value(value)

    @field_validator("any", "unless")
    @classmethod
    def _check_any(cls, value: list[str] | None) -> list[str] | None:
        _parse_all(value or [])
        return value

    @field_validator("near")
    @classmethod
    def _check_near(cls, value: list[str | list[str]] | None) -> list[str | list[str]] | None:
        for group in value or []:
            items = [group] if isinstance(group, str) else group
            if not items:
                raise ValueError("an empty group in 'near'; list at least one term per group")
            _parse_all(items)
        return value

    @model_validator(mode="after")
    def _check_kind(self) -> RuleModel:
        if (self.any is None) == (self.near is None):
            raise ValueError(
                "a rule needs exactly one of 'any: [terms]' or 'near: [[terms], [terms]]'"
            )
        return self

    def to_rule(self) -> Rule:
        if self.any is not None:
            groups: tuple[tuple[Pattern, ...], ...] = (_parse_all(self.any),)
        else:
            groups = tuple(_parse_all([g] if isinstance(g, str) else g) for g in (self.near or []))
        excepts = tuple(" ".join(e.lower().split()) for e in self.except_)
        return Rule(groups, _within(self.within), self.weight, excepts, _parse_all(self.unless))


def _within(value: int | str) -> int:
    return value if isinstance(value, int) else SENTENCE


class ExclusionModel(_Strict):
    any: list[str] = Field(min_length=1)
    within: Within | str = 8

    @field_validator("any")
    @classmethod
    def _check_any(cls, value: list[str]) -> list[str]:
        _parse_all(value)
        return value

    @field_validator("within")
    @classmethod
    def _check_within(cls, value: int | str) -> int | str:
        return _check_within_value(value)


def _check_within_value(value: int | str) -> int | str:
    if isinstance(value, str) and value != "sentence":
        raise ValueError("within must be a number of words or 'sentence'")
    return value


class CategoryModel(_Strict):
    id: str = Field(pattern=_ID)
    label: str = Field(min_length=1)
    threshold: float = Field(1.0, gt=0)
    rules: list[RuleModel] = Field(min_length=1)
    exclude: list[ExclusionModel] = Field(default_factory=list)

    def to_category(self) -> WatchCategory:
        exclusions = tuple(Exclusion(_parse_all(e.any), _within(e.within)) for e in self.exclude)
        rules = tuple(rule.to_rule() for rule in self.rules)
        return WatchCategory(self.id, self.label, self.threshold, rules, exclusions)


class WatchlistModel(_Strict):
    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1)
    channels: list[str] | None = None
    scope: list[str] = Field(default_factory=list)
    categories: list[CategoryModel] = Field(min_length=1)

    @field_validator("scope")
    @classmethod
    def _check_scope(cls, value: list[str]) -> list[str]:
        for pattern in _parse_all(value):
            if any(word.particle for word in pattern.words):
                raise ValueError(f"scope term '{pattern.source}': no separable verbs in a scope")
        return value

    @field_validator("categories")
    @classmethod
    def _check_unique(cls, value: list[CategoryModel]) -> list[CategoryModel]:
        _check_unique_ids([c.id for c in value], "category")
        return value

    def to_watchlist(self) -> Watchlist:
        channels = tuple(self.channels) if self.channels is not None else None
        categories = tuple(c.to_category() for c in self.categories)
        return Watchlist(self.id, self.name, channels, _parse_all(self.scope), categories)


class WatchlistsFile(_Strict):
    watchlists: list[WatchlistModel] = Field(min_length=1)

    @field_validator("watchlists")
    @classmethod
    def _check_unique(cls, value: list[WatchlistModel]) -> list[WatchlistModel]:
        _check_unique_ids([w.id for w in value], "watchlist")
        return value


def _check_unique_ids(ids: list[str], what: str) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ValueError(f"duplicate {what} id '{item}'; every {what} needs its own id")
        seen.add(item)


def load_watchlists(path: Path) -> list[Watchlist]:
    """Read and validate the watchlists file; raise ConfigError (file:line: key: fix)."""
    model = load_model(path, WatchlistsFile)
    return [w.to_watchlist() for w in model.watchlists]
