"""Sites: the outlets nieuwswacht crawls with Scrapy, loaded and validated from seeds/sites.yaml.

Feeds (:mod:`crawler.sources`) miss articles: many outlets publish more than their RSS shows and
some sections have no feed at all. A site is crawled in one of two ways::

    sites:
      - id: nos-sitemap                 # unique across all site files; lowercase, digits, '-'
        name: NOS – nieuwssitemap
        outlet: NOS
        kind: news_sitemap              # Google News sitemap or sitemap index
        start_urls: [https://nos.nl/sitemap/index.xml]
        allowed_domains: [nos.nl]       # optional; default: the hosts of start_urls
        interval: 15m
        max_age: 2d                     # only articles published within this window
      - id: nu-binnenland
        name: NU.nl – Binnenland
        outlet: NU.nl
        kind: section                   # a listing page; article links followed one level deep
        start_urls: [https://www.nu.nl/binnenland]
        link_patterns: ['/binnenland/\\d+/']   # regexes searched in the absolute link URL
        link_selectors: ['article a']          # CSS selectors for the <a> elements to consider

Articles are always stored with their full text (``full_text`` is accepted only as ``true``):
a crawled page has no feed summary to fall back on. YAML goes through
:func:`crawler.yamlfile.load_model`, so a typo is a ``ConfigError`` naming file, line and key.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from crawler.errors import ConfigError
from crawler.sources import Interval
from crawler.yamlfile import load_model

SiteKind = Literal["news_sitemap", "section"]
_ID = r"^[a-z0-9][a-z0-9_-]*$"
_HOST = re.compile(r"^[a-z0-9][a-z0-9.-]*$")


@dataclass(frozen=True)
class Site:
    """One site to crawl. ``interval`` and ``max_age`` are in seconds."""

    id: str
    name: str
    outlet: str
    kind: SiteKind
    start_urls: tuple[str, ...]
    allowed_domains: tuple[str, ...]
    interval: float
    max_age: float
    link_patterns: tuple[str, ...] = ()
    link_selectors: tuple[str, ...] = ()
    max_pages: int = 500
    enabled: bool = True
    full_text: bool = True

    @property
    def start_hosts(self) -> frozenset[str]:
        """The hosts of the start URLs: the only ones allowed to be private addresses."""
        return frozenset((urlsplit(u).hostname or "").lower() for u in self.start_urls)

    def to_json(self) -> dict[str, Any]:
        """A plain dict (lists for tuples) that :meth:`from_json` turns back into the Site."""
        data = dict(self.__dict__)
        for key, value in data.items():
            if isinstance(value, tuple):
                data[key] = list(value)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Site:
        values: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in data.items()
        }
        return cls(**values)


class SiteModel(BaseModel):
    """One entry under ``sites:``, as written in YAML."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=_ID, max_length=80)
    name: str = Field(min_length=1)
    outlet: str = Field(min_length=1)
    kind: SiteKind
    start_urls: list[str] = Field(min_length=1)
    allowed_domains: list[str] = Field(default_factory=list)
    interval: Interval = 900.0
    max_age: Interval = 2 * 86400.0
    link_patterns: list[str] = Field(default_factory=list)
    link_selectors: list[str] = Field(default_factory=list)
    max_pages: int = Field(500, ge=1, le=100_000)
    full_text: Literal[True] = True
    enabled: bool = True

    @field_validator("start_urls")
    @classmethod
    def check_urls(cls, values: list[str]) -> list[str]:
        for value in values:
            parts = urlsplit(value.strip())
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"start url {value!r} must be an absolute http(s):// address")
        return [v.strip() for v in values]

    @field_validator("allowed_domains")
    @classmethod
    def check_domains(cls, values: list[str]) -> list[str]:
        values = [v.strip().lower() for v in values]
        for value in values:
            if not _HOST.match(value):
                raise ValueError(
                    f"allowed domain {value!r} must be a bare host name such as nos.nl "
                    "(no scheme, port or path)"
                )
        return values

    @field_validator("link_patterns")
    @classmethod
    def check_patterns(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"link pattern {value!r} is not a valid regex: {exc}") from None
        return values

    @field_validator("link_selectors")
    @classmethod
    def check_selectors(cls, values: list[str]) -> list[str]:
        from cssselect import GenericTranslator, SelectorError

        for value in values:
            try:
                GenericTranslator().css_to_xpath(value)
            except SelectorError as exc:
                raise ValueError(f"link selector {value!r} is not valid CSS: {exc}") from None
        return values

    @model_validator(mode="after")
    def check_kind(self) -> SiteModel:
        links = self.link_patterns or self.link_selectors
        if self.kind == "section" and not links:
            raise ValueError(
                "a section site needs link_patterns or link_selectors to tell article links apart"
            )
        if self.kind == "news_sitemap" and self.link_selectors:
            raise ValueError("link_selectors apply to section sites only; remove them")
        return self


class SitesFile(BaseModel):
    """A whole sites file."""

    model_config = ConfigDict(extra="forbid")

    sites: list[SiteModel] = Field(default_factory=list)


def load_sites(paths: Sequence[Path]) -> list[Site]:
    """Read every sites file in order; a duplicate id anywhere is a ConfigError naming both."""
    seen: dict[str, Path] = {}
    sites: list[Site] = []
    for path in paths:
        for model in load_model(Path(path), SitesFile).sites:
            if model.id in seen:
                first = seen[model.id]
                where = "earlier in the same file" if first == Path(path) else f"in {first}"
                raise ConfigError(
                    f"{path}: sites: id '{model.id}' is already used {where}; "
                    "every site needs its own id, rename one of them"
                )
            seen[model.id] = Path(path)
            sites.append(build_site(model))
    return sites


def build_site(model: SiteModel) -> Site:
    """The validated YAML entry as the frozen domain object."""
    domains = model.allowed_domains or sorted(
        {(urlsplit(u).hostname or "").lower() for u in model.start_urls}
    )
    return Site(
        id=model.id,
        name=model.name,
        outlet=model.outlet,
        kind=model.kind,
        start_urls=tuple(model.start_urls),
        allowed_domains=tuple(d.lower() for d in domains),
        interval=model.interval,
        max_age=model.max_age,
        link_patterns=tuple(model.link_patterns),
        link_selectors=tuple(model.link_selectors),
        max_pages=model.max_pages,
        enabled=model.enabled,
    )


def host_allowed(host: str, domains: Sequence[str]) -> bool:
    """True when ``host`` is one of ``domains`` or a subdomain of one."""
    host = host.lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in domains)
