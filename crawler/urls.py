"""Canonical URLs, so one article has one address however a feed or a share button spells it.

The store deduplicates on the canonical URL (next to the GUID), so ``canonical_url`` must map
``HTTPS://www.NOS.nl:443/artikel/1?utm_source=rss#reacties`` and ``https://www.nos.nl/artikel/1``
to the same string. It drops what never changes the page: the fragment, default ports and the
tracking parameters of analytics and newsletter tools (Google, Meta, Mailchimp, AT Internet/
Xiti as used by Mediahuis, comScore ``ns_*``). The path keeps its case: many sites (NU.nl,
DPG Media) have case-sensitive paths. Remaining query parameters are sorted so their order does
not matter. Pure string work: no network, no settings.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}

# Exact names (compared lowercased) of parameters that only track where a click came from.
_TRACKING_NAMES = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ref",
        "ref_src",
        "referrer",
        "cmpid",
        "xtor",
        "xtref",
        "_ga",
        "_gl",
        "s_cid",
        "soc_src",
        "soc_trk",
        "wt.mc_id",
        "wt_mc",
        "ito",
        "smid",
    }
)
# Families of tracking parameters, by prefix (compared lowercased).
_TRACKING_PREFIXES = ("utm_", "at_", "ns_", "pk_", "mtm_", "hsa_", "oly_")
_CONTROL = re.compile(r"[\t\r\n]")
# Characters left as they are when the query is re-encoded (RFC 3986 sub-delims minus & and =).
_QUERY_SAFE = "/:@!$'()*,;~"


def canonical_url(url: str, base: str | None = None) -> str:
    """Return the canonical absolute form of ``url``, resolved against ``base`` if relative.

    Non-HTTP URLs (``mailto:``, ``tag:``) come back stripped but otherwise unchanged.
    """
    cleaned = _CONTROL.sub("", url.strip())  # feeds wrap long links over lines
    if base:
        cleaned = urljoin(base.strip(), cleaned)
    parts = urlsplit(cleaned)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return cleaned
    netloc = _normalise_netloc(scheme, parts.netloc)
    path = parts.path or "/"
    query = _clean_query(parts.query)
    return urlunsplit((scheme, netloc, path, query, ""))


def is_tracking_param(name: str) -> bool:
    """True for query parameters that only say where a click came from."""
    lowered = name.lower()
    return lowered in _TRACKING_NAMES or lowered.startswith(_TRACKING_PREFIXES)


def _normalise_netloc(scheme: str, netloc: str) -> str:
    userinfo, _, hostport = netloc.rpartition("@")
    host, port = _split_port(hostport)
    host = host.lower().rstrip(".")
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    return f"{userinfo}@{host}" if userinfo else host


def _split_port(hostport: str) -> tuple[str, int | None]:
    if hostport.startswith("["):  # IPv6 literal: [::1]:8080
        end = hostport.find("]")
        host, rest = hostport[: end + 1], hostport[end + 1 :]
        port_text = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port_text = hostport.partition(":")
    if port_text.isdigit():
        return host, int(port_text)
    return host, None


def _clean_query(query: str) -> str:
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    kept = sorted((k, v) for k, v in pairs if not is_tracking_param(k))
    return urlencode(kept, quote_via=quote, safe=_QUERY_SAFE)
