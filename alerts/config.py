"""``config/nieuwswacht.yaml``: the operator's settings, validated before anything starts.

Paths inside the file are relative to the file itself, so ``make run`` and a systemd unit with
another working directory read the same files. Secrets come from the environment
(``${SLACK_WEBHOOK_URL}``). Unknown keys are errors, reported with file, line and a suggestion.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

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


class DeliverySettings(_Strict):
    interval: float = Field(2.0, gt=0, description="seconds between outbox sweeps")
    lease: float = Field(120.0, gt=0, description="seconds a claimed alert is held")
    backoff_base: float = Field(5.0, gt=0)
    backoff_max: float = Field(1800.0, gt=0)
    batch: int = Field(50, ge=1)


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
