"""Send one OTLP/JSON request and classify the answer; retrying is the pipeline's job."""

from __future__ import annotations

import email.utils
import gzip
import time
from dataclasses import dataclass
from typing import Protocol

import orjson
import urllib3

# CONVENTIONS.md: the OTLP retryable answers. Everything else is final.
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class SendResult:
    ok: bool
    retryable: bool = False
    retry_after: float | None = None
    rejected_spans: int = 0
    detail: str = ""


class Transport(Protocol):
    def send(self, body: bytes) -> SendResult: ...

    def close(self) -> None: ...


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP-date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        # RFC 9110: a non-negative number of seconds; "-1" or "nan" is no instruction at all.
        return seconds if 0.0 <= seconds < float("inf") else None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


def _rejected_spans(body: bytes) -> tuple[int, str]:
    """partial_success from an ExportTraceServiceResponse in JSON; (0, "") otherwise."""
    if not body or not body.lstrip().startswith(b"{"):
        return 0, ""
    try:
        partial = orjson.loads(body).get("partialSuccess") or {}
        return int(partial.get("rejectedSpans") or 0), str(partial.get("errorMessage") or "")
    except (orjson.JSONDecodeError, AttributeError, TypeError, ValueError):
        return 0, ""


class HttpTransport:
    """OTLP/HTTP with JSON bodies over a pooled keep-alive connection."""

    def __init__(self, url: str, headers: dict[str, str], timeout: float, compression: str) -> None:
        self.url = url
        self._gzip = compression == "gzip"
        self._headers = {"Content-Type": "application/json", **headers}
        if self._gzip:
            self._headers["Content-Encoding"] = "gzip"
        self._pool = urllib3.PoolManager(num_pools=1, maxsize=1, retries=False, timeout=urllib3.Timeout(total=timeout))

    def send(self, body: bytes) -> SendResult:
        if self._gzip:
            body = gzip.compress(body, compresslevel=5)
        try:
            response = self._pool.request("POST", self.url, body=body, headers=self._headers, redirect=False)
        except urllib3.exceptions.HTTPError as error:  # refused, reset, timed out
            return SendResult(ok=False, retryable=True, detail=f"{type(error).__name__}: {error}")
        status = response.status
        if 200 <= status < 300:
            rejected, message = _rejected_spans(response.data)
            return SendResult(ok=True, rejected_spans=rejected, detail=message)
        detail = f"HTTP {status}: {response.data[:300].decode(errors='replace')}"
        if status in RETRYABLE_STATUSES:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            return SendResult(ok=False, retryable=True, retry_after=retry_after, detail=detail)
        return SendResult(ok=False, detail=detail)

    def close(self) -> None:
        self._pool.clear()
