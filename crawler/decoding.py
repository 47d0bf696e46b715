"""Bounded decoding of HTTP bodies: gzip/deflate inflated incrementally under a hard size cap.

httpx's own decoder would inflate a whole network chunk at once (a 64 kB chunk of a gzip bomb
is ~66 MB), so the fetcher streams raw bytes through :class:`BodyDecoder`, which stops one byte
past the cap. Some servers send raw deflate where they announce zlib; :func:`window_bits` copes.
"""

from __future__ import annotations

import zlib

import httpx

from crawler.errors import PermanentFetchError


class BodyTooLargeError(Exception):
    """Internal: the decoded body passed the cap (becomes a PermanentFetchError)."""


def content_coding(response: httpx.Response, url: str) -> str:
    """``identity``, ``gzip`` or ``deflate``; anything else we did not ask for."""
    coding = response.headers.get("content-encoding", "").strip().lower()
    if coding in ("", "identity"):
        return "identity"
    if coding in ("gzip", "x-gzip"):
        return "gzip"
    if coding == "deflate":
        return "deflate"
    raise PermanentFetchError(
        f"{url} sent Content-Encoding {coding!r}, which we did not ask for; "
        "the server ignores Accept-Encoding"
    )


class BodyDecoder:
    """Incremental gzip/deflate decoder with a hard cap on decoded output."""

    def __init__(self, coding: str, limit: int) -> None:
        self._coding = coding
        self._limit = limit
        self._parts: list[bytes] = []
        self._size = 0
        self._zlib: zlib._Decompress | None = None

    def feed(self, data: bytes) -> None:
        """Decode one raw chunk; raise BodyTooLargeError past the cap."""
        if self._coding == "identity":
            self._append(data)
            return
        while data:
            if self._zlib is None:
                self._zlib = zlib.decompressobj(window_bits(self._coding, data))
            budget = self._limit - self._size + 1  # one byte over proves the body is too big
            self._append(self._zlib.decompress(data, budget))
            if self._zlib.eof:  # gzip allows several members in a row
                data, self._zlib = self._zlib.unused_data, None
                if not data.strip(b"\0"):
                    return
            else:
                data = self._zlib.unconsumed_tail

    @property
    def decoded_bytes(self) -> int:
        """How many decoded bytes were produced so far (at most the cap plus one)."""
        return self._size

    def finish(self) -> bytes:
        """The whole decoded body."""
        if self._zlib is not None:
            self._append(self._zlib.flush())
        return b"".join(self._parts)

    def _append(self, piece: bytes) -> None:
        self._size += len(piece)
        if self._size > self._limit:
            raise BodyTooLargeError
        if piece:
            self._parts.append(piece)


def window_bits(coding: str, head: bytes) -> int:
    """zlib window bits: gzip wrapper, zlib wrapper, or raw deflate (some servers send raw)."""
    if coding == "gzip":
        return 16 + zlib.MAX_WBITS
    looks_zlib = len(head) >= 2 and head[0] & 0x0F == 8 and ((head[0] << 8) | head[1]) % 31 == 0
    return zlib.MAX_WBITS if looks_zlib else -zlib.MAX_WBITS
