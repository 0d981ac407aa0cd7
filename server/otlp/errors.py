"""What can go wrong with an OTLP/HTTP request body, one exception per HTTP answer.

The collector maps them: OtlpDecodeError → 400, BodyTooLarge → 413,
UnsupportedEncoding and UnsupportedContentType → 415. None of them is retryable
(CONVENTIONS.md), so the messages must tell the sender exactly what to fix.
"""

from __future__ import annotations


class OtlpDecodeError(ValueError):
    """The body is not a valid OTLP request; the message says where and why, e.g.
    ``resourceSpans[0].scopeSpans[1].spans: expected a list, got dict``."""


class BodyTooLarge(ValueError):  # noqa: N818 - named for the HTTP answer
    """The body, or what it decompresses to, is larger than the configured limit."""


class UnsupportedEncoding(ValueError):  # noqa: N818 - named for the HTTP answer
    """A Content-Encoding other than gzip, deflate or identity."""


class UnsupportedContentType(ValueError):  # noqa: N818 - named for the HTTP answer
    """A Content-Type other than OTLP protobuf or OTLP JSON."""
