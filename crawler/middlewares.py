"""The site guard: a Scrapy downloader middleware that keeps every request on the site's ground.

Every request (start URLs, sitemaps, articles, robots.txt and every redirect hop) passes here
before it is downloaded:

- its host must be one of the site's ``allowed_domains`` (or a subdomain of one);
- its addresses, after DNS resolution, must not be loopback, private, link-local, multicast or
  otherwise reserved, unless the host is the host of one of the site's own start URLs (a site
  on an intranet, or the tests' 127.0.0.1 server, is allowed because the operator named it).

A refused request raises :class:`RefusedRequest` (an ``IgnoreRequest``) with a reason, is logged
once at INFO with that reason and counted in the crawl's stats as ``nieuwswacht/skipped/<reason>``.
The resolution happens here and Scrapy resolves again when it connects: a DNS server that
answers differently between the two (rebinding) could slip through; the window is the length
of one request and the crawl runs in its own short-lived process.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached

from crawler.sites import Site, host_allowed

log = logging.getLogger(__name__)
STAT_PREFIX = "nieuwswacht/skipped/"


class RefusedRequest(IgnoreRequest):
    """A request the guard refused; ``reason`` is a short tag such as ``offsite``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def is_private_address(address: str) -> bool:
    """True for every address not on the public internet (loopback, private, link-local,
    carrier-grade NAT, multicast, unspecified, reserved)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return bool(not ip.is_global or ip.is_multicast or ip.is_loopback or ip.is_link_local)


def resolve_host(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (an IP literal resolves to itself); [] on failure."""
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in infos})


class SiteGuardMiddleware:
    """Refuse off-site hosts and private addresses before any byte is sent."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._verdicts: dict[str, str | None] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteGuardMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        site: Site | None = getattr(self.crawler.spider, "site", None)
        if site is None:
            return
        parts = urlparse_cached(request)
        host = (parts.hostname or "").lower()
        if not host_allowed(host, site.allowed_domains):
            self.refuse(request, "offsite", "host outside the site's allowed domains")
        if host in site.start_hosts:
            return
        if host not in self._verdicts:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            addresses = await asyncio.to_thread(resolve_host, host, port)
            private = [a for a in addresses if is_private_address(a)]
            self._verdicts[host] = ", ".join(private) if private else None
        private_list = self._verdicts[host]
        if private_list:
            self.refuse(
                request,
                "private_address",
                f"host resolves to a private/loopback address ({private_list})",
            )

    def refuse(self, request: Request, reason: str, why: str) -> None:
        """Count, log and raise: the request is not downloaded."""
        stats: Any = self.crawler.stats
        if stats is not None:
            stats.inc_value(STAT_PREFIX + reason)
        site = getattr(self.crawler.spider, "site", None)
        log.info(
            "request refused",
            extra={
                "site": site.id if site else None,
                "url": request.url,
                "reason": reason,
                "why": why,
            },
        )
        raise RefusedRequest(reason, f"{reason}: {why}")
