"""Sources: the feeds nieuwswacht polls, loaded and validated from ``seeds/*.yaml``.

A seeds file looks like::

    sources:
      - id: nos-algemeen            # unique across all seeds files; lowercase, digits, '-'
        name: NOS Nieuws – Algemeen
        outlet: NOS
        url: https://feeds.nos.nl/nosnieuwsalgemeen
        interval: 5m                # 90s, 5m, 1h, 1d, or a number of seconds
        full_text: false            # true: fetch each article page (the feed has teasers only)
        enabled: true               # optional, default true
        min_interval: 2m            # optional: adaptive polling bounds (default: interval and
        max_interval: 1h            #   polling.max_interval in nieuwswacht.yaml)
        fail_after: 30m             # optional: "bron faalt" after failing this long
        silent_after: 12h           # optional: expected rhythm; alert when silent this long

YAML goes through :func:`crawler.yamlfile.load_model`, so a typo is a ``ConfigError`` naming
file, line and key. Intervals below one minute are allowed down to one second (integration
tests poll fast) but logged as a warning, because real sites should not be polled that often.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
)

from crawler.errors import ConfigError
from crawler.yamlfile import load_model

log = logging.getLogger(__name__)

MIN_INTERVAL = 1.0
POLITE_INTERVAL = 60.0
MAX_INTERVAL = 7 * 86400.0
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_ID = r"^[a-z0-9][a-z0-9_-]*$"


@dataclass(frozen=True)
class Source:
    """One feed to poll. ``interval`` is in seconds."""

    id: str
    name: str
    outlet: str
    url: str
    interval: float
    full_text: bool
    enabled: bool = True
    min_interval: float | None = None
    max_interval: float | None = None
    fail_after: float | None = None
    silent_after: float | None = None


def parse_interval(value: object) -> float:
    """``'5m'`` → 300.0; ``'90s'``, ``'1h'``, ``'1d'``, ``300`` and ``'300'`` work too."""
    if isinstance(value, bool):
        raise ValueError("interval must be a duration such as 90s, 5m or 1h")
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(str(value)) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"invalid interval {value!r}; write a duration such as 90s, 5m or 1h")
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


Interval = Annotated[
    float,
    BeforeValidator(parse_interval),
    Field(ge=MIN_INTERVAL, le=MAX_INTERVAL),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": MIN_INTERVAL, "maximum": MAX_INTERVAL},
                {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*[smhd]?\s*$"},
            ],
            "description": "a duration: 90s, 5m, 1h, 1d or a number of seconds",
        }
    ),
]


class SourceModel(BaseModel):
    """One entry under ``sources:``, as written in YAML."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=_ID, max_length=80)
    name: str = Field(min_length=1)
    outlet: str = Field(min_length=1)
    url: str
    interval: Interval = 600.0
    full_text: bool = False
    enabled: bool = True
    min_interval: Interval | None = Field(
        None, description="adaptive polling never polls faster (default: interval)"
    )
    max_interval: Interval | None = Field(
        None, description="adaptive polling never polls slower (default: polling.max_interval)"
    )
    fail_after: Interval | None = Field(
        None, description="alert when failing this long (default: health.fail_after)"
    )
    silent_after: Interval | None = Field(
        None, description="expected rhythm: alert when silent this long (health.silent_after)"
    )

    @field_validator("url")
    @classmethod
    def check_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"url {value!r} must be an absolute http:// or https:// address")
        return value.strip()


class SeedsFile(BaseModel):
    """A whole seeds file."""

    model_config = ConfigDict(extra="forbid")

    sources: list[SourceModel] = Field(default_factory=list)


def load_sources(paths: Sequence[Path]) -> list[Source]:
    """Read every seeds file in order; a duplicate id anywhere is a ConfigError naming both."""
    seen: dict[str, Path] = {}
    sources: list[Source] = []
    for path in paths:
        for model in load_model(Path(path), SeedsFile).sources:
            if model.id in seen:
                raise ConfigError(duplicate_message(model.id, Path(path), seen[model.id]))
            seen[model.id] = Path(path)
            sources.append(build_source(model))
    warn_fast_sources(sources)
    return sources


def duplicate_message(source_id: str, path: Path, first: Path) -> str:
    """The ConfigError text for an id used twice, naming both files."""
    where = "earlier in the same file" if path == first else f"in {first}"
    return (
        f"{path}: sources: id '{source_id}' is already used {where}; "
        "every source needs its own id, rename one of them"
    )


def build_source(model: SourceModel) -> Source:
    """The validated YAML entry as the frozen domain object."""
    return Source(
        id=model.id,
        name=model.name,
        outlet=model.outlet,
        url=model.url,
        interval=model.interval,
        full_text=model.full_text,
        enabled=model.enabled,
        min_interval=model.min_interval,
        max_interval=model.max_interval,
        fail_after=model.fail_after,
        silent_after=model.silent_after,
    )


def warn_fast_sources(sources: Sequence[Source]) -> None:
    """Log sources polled more often than once a minute: fine for tests, rude to real sites."""
    for source in sources:
        if source.interval < POLITE_INTERVAL:
            log.warning(
                "source polled more often than once a minute",
                extra={"source": source.id, "interval": source.interval},
            )
