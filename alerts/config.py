"""``config/nieuwswacht.yaml``: the operator's settings, validated before anything starts.

Paths inside the file are relative to the file itself, so ``make run`` and a systemd unit with
another working directory read the same files. Secrets come from the environment
(``${SLACK_WEBHOOK_URL}``). Unknown keys are errors, reported with file, line and a suggestion.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from crawler.sources import Interval
from crawler.yamlfile import load_model

DEFAULT_CONFIG = Path("config/nieuwswacht.yaml")
DEFAULT_USER_AGENT = "nieuwswacht/0.1 (Dutch news monitor; polite RSS poller)"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoreSettings(_Strict):
    url: str = "sqlite:///../var/nieuwswacht.db"


class PollingSettings(_Strict):
    concurrency: int = Field(8, ge=1, le=64)
    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: float = Field(10.0, gt=0)
    read_timeout: float = Field(20.0, gt=0)
    deadline: float = Field(60.0, gt=0, description="overall seconds for one fetch")
    max_body_bytes: int = Field(10_000_000, ge=1024)
    max_redirects: int = Field(5, ge=0, le=20)
    jitter: float = Field(0.1, ge=0, le=0.5, description="fraction of the interval")
    backoff_max: float = Field(6 * 3600.0, gt=0, description="longest wait after failures, s")
    article_concurrency: int = Field(4, ge=1, le=32)
    adaptive: bool = Field(
        True, description="follow each feed's publishing rhythm between its min and max interval"
    )
    max_interval: Interval = Field(
        3600.0, description="default upper bound for adaptive polling (a source may set its own)"
    )


class DeliverySettings(_Strict):
    interval: float = Field(2.0, gt=0, description="seconds between outbox sweeps")
    lease: float = Field(120.0, gt=0, description="seconds a claimed alert is held")
    backoff_base: float = Field(5.0, gt=0)
    backoff_max: float = Field(1800.0, gt=0)
    batch: int = Field(50, ge=1)
    pace: dict[str, float] = Field(
        default_factory=dict,
        description="seconds between two messages per channel name; default 1 for Slack, else 0",
    )


class StorySettings(_Strict):
    """One alert per story: near-duplicate articles within ``window_hours`` are one story."""

    window_hours: float = Field(48.0, gt=0, description="how long a story stays open")
    similarity: float = Field(0.5, gt=0, le=1, description="MinHash Jaccard estimate to merge")
    hold: float = Field(0.0, ge=0, le=3600, description="seconds an alert waits for reprints")


class RouteSettings(_Strict):
    """When one watchlist reaches one channel: at once, or in a digest on a cron schedule."""

    watchlist: str = "*"
    channel: str = "*"
    mode: Literal["immediate", "digest"] = "immediate"
    schedule: str | None = Field(None, description="cron: 'min hour day month dow' (+ seconds)")
    quiet_hours: str | None = Field(None, description="'22:00-07:00': hold for the next digest")

    @field_validator("quiet_hours")
    @classmethod
    def _check_quiet(cls, value: str | None) -> str | None:
        from alerts.schedule import parse_quiet_hours

        if value is not None:
            parse_quiet_hours(value)
        return value

    @field_validator("schedule")
    @classmethod
    def _check_schedule(cls, value: str | None) -> str | None:
        from alerts.schedule import parse_cron

        if value is not None:
            parse_cron(value, "Europe/Amsterdam")
        return value

    @model_validator(mode="after")
    def _check_digest(self) -> RouteSettings:
        if self.mode == "digest" and not self.schedule:
            raise ValueError("mode 'digest' needs a schedule, e.g. schedule: '0 8 * * *'")
        return self


class RoutingSettings(_Strict):
    """Digests, quiet hours and urgent categories; first matching route wins."""

    timezone: str = "Europe/Amsterdam"
    urgent: list[str] = Field(
        default_factory=list, description="'category' or 'watchlist/category': always at once"
    )
    routes: list[RouteSettings] = Field(default_factory=list)


class ConsoleChannel(_Strict):
    type: Literal["console"]


class SlackChannel(_Strict):
    type: Literal["slack"]
    webhook_url: str
    timeout: float = Field(15.0, gt=0)

    @field_validator("webhook_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError(
                "webhook_url must be an http(s) URL such as https://hooks.slack.com/services/..."
                "; set SLACK_WEBHOOK_URL or remove this channel"
            )
        return value


class EmailChannel(_Strict):
    type: Literal["email"]
    host: str
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password: str | None = None
    sender: str
    recipients: list[str] = Field(min_length=1)
    timeout: float = Field(30.0, gt=0)
    ca_file: str | None = Field(None, description="PEM file of a private CA to trust for TLS")

    @field_validator("ca_file")
    @classmethod
    def _check_ca_file(cls, value: str | None) -> str | None:
        if value is not None and not Path(value).is_file():
            raise ValueError(
                f"ca_file {value!r} does not exist; give an absolute path to a PEM file"
            )
        return value


ChannelSettings = Annotated[
    ConsoleChannel | SlackChannel | EmailChannel, Field(discriminator="type")
]


def _console_only() -> dict[str, ChannelSettings]:
    return {"console": ConsoleChannel(type="console")}


class CrawlSettings(_Strict):
    timeout: float = Field(900.0, gt=0, description="seconds before a crawl is killed")


class LogSettings(_Strict):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"


class HttpSettings(_Strict):
    """The /healthz and /metrics endpoint; loopback only unless you say otherwise."""

    enabled: bool = True
    bind: str = "127.0.0.1"
    port: int = Field(8787, ge=0, le=65535, description="0 picks a free port (it is logged)")


class HealthSettings(_Strict):
    """When a source counts as broken; a source may override both in its seeds file."""

    fail_after: Interval = Field(3600.0, description="failing for longer than this: alert")
    silent_after: Interval = Field(86400.0, description="no new article for this long: alert")


class ReloadSettings(_Strict):
    """Live reload of the config files (SIGHUP always works)."""

    watch: bool = Field(True, description="reload when a config file changes on disk")
    debounce: float = Field(0.3, ge=0.05, le=30, description="seconds of quiet before reloading")


class AppSettings(_Strict):
    store: StoreSettings = StoreSettings()
    sources: list[str] = Field(default_factory=lambda: ["../seeds/feeds.yaml"])
    sites: list[str] = Field(default_factory=list, description="seed files with sites to crawl")
    crawling: CrawlSettings = CrawlSettings()
    watchlists: str = "watchlists.yaml"
    polling: PollingSettings = PollingSettings()
    delivery: DeliverySettings = DeliverySettings()
    channels: dict[str, ChannelSettings] = Field(default_factory=_console_only)
    log: LogSettings = LogSettings()
    http: HttpSettings = HttpSettings()
    health: HealthSettings = HealthSettings()
    reload: ReloadSettings = ReloadSettings()
    stories: StorySettings = StorySettings()
    routing: RoutingSettings = RoutingSettings()


@dataclass(frozen=True)
class AppConfig:
    """Validated settings plus the absolute paths they name."""

    path: Path
    settings: AppSettings
    store_url: str
    source_paths: tuple[Path, ...]
    watchlists_path: Path
    site_paths: tuple[Path, ...] = ()


def load_config(path: Path) -> AppConfig:
    """Read and validate the main config file; raise ConfigError with file, line and key."""
    settings = load_model(path, AppSettings)
    base = path.resolve().parent
    return AppConfig(
        path=path,
        settings=settings,
        store_url=resolve_store_url(settings.store.url, base),
        source_paths=tuple(base / p for p in settings.sources),
        watchlists_path=base / settings.watchlists,
        site_paths=tuple(base / p for p in settings.sites),
    )


def resolve_store_url(url: str, base: Path) -> str:
    """Make a relative SQLite path relative to the config file, not the working directory."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite://":
        rest = url[len(prefix) :]
        if rest and rest != ":memory:":
            return prefix + str((base / rest).resolve())
    return url
