"""The crawler's exception tree, so callers catch one family and never a library's own.

    CrawlerError
    ├── ConfigError        a YAML file (seeds, config) is invalid; message names file, key, line
    ├── FetchError         a feed or page could not be fetched
    │   ├── TemporaryFetchError   timeouts, 5xx, 429, connection refused: try again later
    │   └── PermanentFetchError   404/410, body over the size cap, not a feed: fix the source
    ├── ParseError         bytes that are not a feed at all
    └── StoreError         the database refused (wrong URL, migration failed)

Library exceptions (httpx, feedparser, SQLAlchemy, yaml) are translated where they are raised.
"""

from __future__ import annotations


class CrawlerError(Exception):
    """Base of every error the crawler raises on purpose."""


class ConfigError(CrawlerError):
    """A configuration or seed file is invalid. ``str()`` is the message for the user."""


class FetchError(CrawlerError):
    """Fetching a URL failed."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TemporaryFetchError(FetchError):
    """A failure that may go away by itself (timeout, 5xx, 429)."""


class PermanentFetchError(FetchError):
    """A failure that needs a human (404, 410, oversize body, not a feed)."""


class ParseError(CrawlerError):
    """The body is not a feed feedparser can read."""


class StoreError(CrawlerError):
    """The store could not be opened, migrated or written."""
