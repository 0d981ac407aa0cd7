"""Read a request body: undo its Content-Encoding without ever holding more than the limit.

A gzip bomb (a few MB that inflate to GBs) is stopped as soon as the output passes
``max_bytes``: zlib is asked for at most ``max_bytes + 1`` bytes, so memory stays
bounded by the limit, and the work done is proportional to it too.
"""

from __future__ import annotations

import zlib

from server.otlp.errors import BodyTooLarge, OtlpDecodeError, UnsupportedEncoding

_GZIP_MAGIC = b"\x1f\x8b"
_GZIP_WBITS = 16 + zlib.MAX_WBITS  # gzip header and trailer
_ZLIB_WBITS = zlib.MAX_WBITS  # zlib header (RFC 1950): what HTTP "deflate" means
_RAW_WBITS = -zlib.MAX_WBITS  # bare deflate (RFC 1951): what some clients send as "deflate" anyway


def read_body(raw: bytes, content_encoding: str | None, max_bytes: int) -> bytes:
    """The decoded body. Raises BodyTooLarge, UnsupportedEncoding or OtlpDecodeError.

    >>> import gzip
    >>> read_body(gzip.compress(b"{}"), "gzip", 1024)
    b'{}'
    """
    if len(raw) > max_bytes:
        raise BodyTooLarge(f"request body is {len(raw)} bytes, the limit is {max_bytes}")
    codings = [token.strip().lower() for token in (content_encoding or "").split(",")]
    # Codings are listed in the order they were applied (RFC 9110 8.4), so undo them last first.
    body = raw
    for coding in reversed(codings):
        if coding in ("", "identity"):
            continue
        if coding in ("gzip", "x-gzip"):
            body = _inflate(body, "gzip", max_bytes)
        elif coding == "deflate":
            body = _inflate(body, "deflate", max_bytes)
        else:
            raise UnsupportedEncoding(f"unsupported Content-Encoding {coding!r}; use gzip, deflate or identity")
    return body


def _wbits(data: bytes, coding: str) -> int:
    if coding == "gzip":
        return _GZIP_WBITS
    # A zlib stream starts with CMF/FLG: compression method 8 and a header checksum.
    if len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0:
        return _ZLIB_WBITS
    return _RAW_WBITS


def _inflate(data: bytes, coding: str, max_bytes: int) -> bytes:
    pieces: list[bytes] = []
    produced = 0
    while True:
        decompressor = zlib.decompressobj(_wbits(data, coding))
        try:
            piece = decompressor.decompress(data, max_bytes - produced + 1)
        except zlib.error as error:
            raise OtlpDecodeError(f"body is not valid {coding}: {error}") from None
        produced += len(piece)
        if produced > max_bytes:
            raise BodyTooLarge(f"request body decompresses to more than {max_bytes} bytes")
        pieces.append(piece)
        if not decompressor.eof:
            raise OtlpDecodeError(f"body is not valid {coding}: the compressed stream is truncated")
        data = decompressor.unused_data
        # A gzip file may hold several members back to back (RFC 1952 2.2); anything else
        # after the stream is garbage.
        if not data:
            break
        if coding != "gzip" or not data.startswith(_GZIP_MAGIC):
            raise OtlpDecodeError(f"body is not valid {coding}: {len(data)} bytes of trailing garbage")
    return pieces[0] if len(pieces) == 1 else b"".join(pieces)
