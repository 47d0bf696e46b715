"""Scrapy settings for nieuwswacht's spiders: polite and safe by default.

Polite: robots.txt obeyed, AutoThrottle on, two requests at a time per domain, a User-Agent
that says who we are, one retry only. Safe: timeouts, a download size cap (pages over it are
cancelled, never stored), redirects limited, no cookies, never outside the site's allowed
domains and never to loopback/private/link-local addresses unless the site's own host is one
(:mod:`crawler.middlewares`). The crawl subprocess opens no port: the telnet console is off
and disabled as an extension too (Scrapy has no other remote-control extension; the old
JSON-RPC web service is a separate package we do not install). Tests pass ``overrides`` to
switch AutoThrottle off and shrink caps; every key here can be overridden the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DEFAULT_USER_AGENT = "nieuwswacht/0.1 (Dutch news monitor; polite crawler; obeys robots.txt)"
DEFAULT_MAXSIZE = 10_000_000
DEFAULT_WARNSIZE = 2_000_000

_BASE: dict[str, Any] = {
    "BOT_NAME": "nieuwswacht",
    "USER_AGENT": DEFAULT_USER_AGENT,
    "ROBOTSTXT_OBEY": True,
    "ROBOTSTXT_USER_AGENT": "nieuwswacht",
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_START_DELAY": 1.0,
    "AUTOTHROTTLE_MAX_DELAY": 30.0,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
    "DOWNLOAD_DELAY": 0.5,
    "CONCURRENT_REQUESTS": 8,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
    "DOWNLOAD_TIMEOUT": 20,
    "DNS_TIMEOUT": 10,
    "DOWNLOAD_MAXSIZE": DEFAULT_MAXSIZE,
    "DOWNLOAD_WARNSIZE": DEFAULT_WARNSIZE,
    "REDIRECT_MAX_TIMES": 5,
    "RETRY_TIMES": 1,
    "COOKIES_ENABLED": False,
    "TELNETCONSOLE_ENABLED": False,
    "EXTENSIONS": {"scrapy.extensions.telnet.TelnetConsole": None},
    "HTTPCACHE_ENABLED": False,
    "DOWNLOADER_MIDDLEWARES": {"crawler.middlewares.SiteGuardMiddleware": 40},
    "ITEM_PIPELINES": {"crawler.pipelines.ArticlePipeline": 300},
    "DEFAULT_DROPITEM_LOG_LEVEL": "DEBUG",  # the pipeline logs its own reason at INFO
    "LOG_LEVEL": "INFO",
    "LOGSTATS_INTERVAL": 0,
    "CLOSESPIDER_TIMEOUT": 0,
    "CLOSESPIDER_PAGECOUNT": 0,
}


def build_settings(
    *, max_pages: int, timeout: float, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The settings for one crawl; the spider closes itself gracefully before the hard kill."""
    settings = dict(_BASE)
    settings["CLOSESPIDER_PAGECOUNT"] = max_pages
    settings["CLOSESPIDER_TIMEOUT"] = max(1, int(timeout * 0.8)) if timeout > 0 else 0
    for key, value in (overrides or {}).items():
        settings[key] = value
    return settings
