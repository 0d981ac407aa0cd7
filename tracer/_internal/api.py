"""A small JSON client for the collector's ``/api/v1`` routes (scores, datasets, runs).

The API lives on the same server as ``/v1/traces``, so its base URL is the configured
``endpoint`` without its traces path, and it sends the same headers (API key, project,
extra headers). Only what the contract (docs/evaluation.md) calls transient is retried:
503 and 429, which mean "not done, try again", and a refused connection, which means the
request never arrived. Anything else is final and becomes a ``CollectorError``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import orjson
import urllib3

from tracer._internal.settings import Settings, resolve_settings
from tracer._internal.state import STATE

_TRACES_PATHS = ("/api/public/otel/v1/traces", "/v1/traces")
_RETRYABLE = frozenset({429, 503})
_MAX_RETRY_DELAY = 5.0


class CollectorError(RuntimeError):
    """The collector refused a request or could not be reached.

    ``status`` is the HTTP status (None when the collector was not reached) and ``detail``
    the collector's own message::

        try:
            tracer.datasets.create("support-questions", examples)
        except tracer.datasets.CollectorError as error:
            print(error.status, error.detail)  # 409 a dataset named 'support-questions' exists
    """

    def __init__(self, method: str, path: str, status: int | None, detail: str) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.detail = detail
        answer = f"HTTP {status}: {detail}" if status is not None else detail
        super().__init__(f"{method} {path}: {answer}")


def api_base(endpoint: str) -> str:
    """``http://host:4318/v1/traces`` -> ``http://host:4318``."""
    base = endpoint.rstrip("/")
    for suffix in _TRACES_PATHS:
        if base.endswith(suffix):
            return base[: -len(suffix)]
    return base


def current_settings() -> Settings:
    """The configured settings, or, before ``configure()``, the environment's."""
    if STATE.processor is None and STATE.otel_tracer is None:
        return resolve_settings({})
    return STATE.settings


def _headers(settings: Settings) -> dict[str, str]:
    headers = {**settings.headers, "content-type": "application/json", "accept": "application/json"}
    if settings.api_key:
        headers["authorization"] = f"Bearer {settings.api_key}"
    if settings.project:
        headers["x-spanscope-project"] = settings.project
    return headers


@dataclass(frozen=True)
class ApiClient:
    base_url: str
    headers: dict[str, str]
    timeout: float
    attempts: int = 4

    @classmethod
    def from_settings(cls, settings: Settings | None = None, *, timeout: float | None = None) -> ApiClient:
        chosen = settings or current_settings()
        return cls(api_base(chosen.endpoint), _headers(chosen), timeout or chosen.export_timeout)

    def request(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        """Send one request; the decoded JSON answer (None for 204). Raises CollectorError."""
        query = {key: value for key, value in (params or {}).items() if value is not None}
        url = self.base_url + path + (f"?{urlencode(query)}" if query else "")
        payload = None if body is None else orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY)
        for attempt in range(1, self.attempts + 1):
            status, data, retry_after = self._send(method, path, url, payload)
            if status in _RETRYABLE and attempt < self.attempts:
                time.sleep(min(retry_after if retry_after is not None else 0.2 * 2**attempt, _MAX_RETRY_DELAY))
                continue
            if 200 <= status < 300:
                return orjson.loads(data) if data else None
            raise CollectorError(method, path, status, _detail(data))
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(self, method: str, path: str, url: str, payload: bytes | None) -> tuple[int, bytes, float | None]:
        pool = _pool()
        for attempt in range(1, self.attempts + 1):
            try:
                response = pool.request(
                    method,
                    url,
                    body=payload,
                    headers=self.headers,
                    timeout=urllib3.Timeout(total=self.timeout),
                    retries=False,
                    redirect=False,
                )
            except urllib3.exceptions.NewConnectionError as error:
                # Refused: the request never reached the collector, so sending it again is safe.
                if attempt < self.attempts:
                    time.sleep(0.2 * 2**attempt)
                    continue
                raise CollectorError(
                    method, path, None, f"cannot reach the collector at {self.base_url}: {error}"
                ) from None
            except urllib3.exceptions.HTTPError as error:
                # Reset or timed out: it may have been done, so the caller decides.
                raise CollectorError(
                    method, path, None, f"{type(error).__name__} from {self.base_url}: {error}"
                ) from None
            retry_after = _seconds(response.headers.get("Retry-After"))
            return response.status, response.data, retry_after
        raise AssertionError("unreachable")  # pragma: no cover


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _detail(data: bytes) -> str:
    """The collector answers errors as ``{"detail": "..."}``; anything else as text."""
    try:
        decoded = orjson.loads(data)
    except orjson.JSONDecodeError:
        return data[:500].decode(errors="replace") or "(no body)"
    if isinstance(decoded, dict) and "detail" in decoded:
        detail = decoded["detail"]
        return detail if isinstance(detail, str) else orjson.dumps(detail).decode()
    return data[:500].decode(errors="replace")


_shared_pool: urllib3.PoolManager | None = None


def _pool() -> urllib3.PoolManager:
    # One pool for the process: evaluate() sends from several threads, and a PoolManager is
    # thread-safe; maxsize bounds the idle connections it keeps per host.
    global _shared_pool
    if _shared_pool is None:
        _shared_pool = urllib3.PoolManager(num_pools=4, maxsize=8)
    return _shared_pool
