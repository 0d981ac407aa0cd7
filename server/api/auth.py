"""Who is calling: the API key of the request, its project and its role (docs/security.md).

Every route but ``/health`` depends on ``require(role)``, and takes its project from the
``Caller`` it returns, never from the request's body or parameters. Roles rank: ``ingest``
(send spans, logs, scores and evaluation results) < ``read`` (read everything, SQL, export) <
``admin`` (delete, configure, keys).

- A key comes as ``Authorization: Bearer <key>``, ``x-api-key: <key>``, or HTTP Basic with the
  key as user or password (what Langfuse SDKs send to the OTLP path).
- With ``auth`` on, a request without a key is a 401. With it off (127.0.0.1 only), a request
  without a key acts as an admin of the server's own project; a key, when given, still
  chooses its project and role.
- A bad key is a 401 whether auth is on or not: a client sending one is misconfigured.
- ``X-Spanscope-Project`` (what the SDK's ``project`` setting sends) names the project to act
  on: the key's own (else 403), or any for a server admin (an admin of the server's own
  project, which a request without a key is while auth is off). An unknown one is a 404.
- Keys are checked against the database at most every ``CACHE_SECONDS`` per key, so that a
  revoked key stops working within seconds without a query per request.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

from server.api.deps import get_collector
from server.storage.access import Caller, Role

RANK: dict[str, int] = {"ingest": 0, "read": 1, "admin": 2}
CACHE_SECONDS = 2.0
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="spanscope"'}


class _Answers:
    """Answers of ``ask`` kept ``seconds`` each (None answers too), at most 10,000 of them."""

    def __init__(self, ask: Callable[[str], Any], seconds: float) -> None:
        self._ask = ask
        self._seconds = seconds
        self._kept: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, question: str, cache_key: str) -> Any:
        now = time.monotonic()
        with self._lock:
            kept = self._kept.get(cache_key)
        if kept is not None and kept[0] > now:
            return kept[1]
        answer = self._ask(question)
        with self._lock:
            if len(self._kept) > 10_000:  # many different bad keys or names: forget rather than grow
                self._kept.clear()
            self._kept[cache_key] = (now + self._seconds, answer)
        return answer


class KeyCache:
    """``authenticate(key)`` answers, kept ``CACHE_SECONDS`` and keyed by the key's hash (the
    key itself is kept nowhere); project names resolved to ids the same way."""

    def __init__(
        self,
        authenticate: Callable[[str], Caller | None],
        find_project: Callable[[str], str | None],
        seconds: float = CACHE_SECONDS,
    ) -> None:
        self._callers = _Answers(authenticate, seconds)
        self._projects = _Answers(find_project, seconds)

    def lookup(self, key: str) -> Caller | None:
        caller: Caller | None = self._callers.get(key, hashlib.sha256(key.encode()).hexdigest())
        return caller

    def project_id(self, name_or_id: str) -> str | None:
        found: str | None = self._projects.get(name_or_id, name_or_id)
        return found


def presented_key(request: Request) -> str | None:
    """The key the request carries, if any; 401 for an Authorization header we cannot read."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise HTTPException(401, "the Basic credentials are not base64 of user:password", _CHALLENGE) from None
            return password if password.startswith("ssk_") or not user else user
        raise HTTPException(401, "Authorization must be 'Bearer <API key>' or Basic", _CHALLENGE)
    key = request.headers.get("x-api-key")
    return key.strip() if key and key.strip() else None


def require(role: Role) -> Callable[[Request], Awaitable[Caller]]:
    """The dependency of a route that needs ``role`` (or a higher one)."""

    async def caller(request: Request) -> Caller:
        collector = get_collector(request)
        key = presented_key(request)
        if key is None:
            if collector.settings.auth:
                raise HTTPException(401, "an API key is required: Authorization: Bearer <key>", _CHALLENGE)
            found: Caller | None = Caller(collector.settings.project, "admin", None)
        else:
            found = await run_in_threadpool(collector.keys.lookup, key)
        if found is None:
            raise HTTPException(401, "the API key is not valid: unknown, malformed or revoked", _CHALLENGE)
        requested = request.headers.get("x-spanscope-project")
        if requested:
            found = await _chosen_project(request, found, requested.strip())
        if RANK[found.role] < RANK[role]:
            raise HTTPException(403, f"this key's role is {found.role}; this needs {role} or above")
        request.state.caller = found
        return found

    caller.required_role = role  # type: ignore[attr-defined]  # read by the route inventory test
    return caller


async def _chosen_project(request: Request, caller: Caller, requested: str) -> Caller:
    """``X-Spanscope-Project`` (a name or id, as the SDK's ``project`` setting sends it): the
    caller's own project, or, for a server admin, any project, acted on as its admin."""
    collector = get_collector(request)
    project_id = await run_in_threadpool(collector.keys.project_id, requested)
    if project_id is None:
        raise HTTPException(404, f"no project {requested!r}")
    if project_id == caller.project_id:
        return caller
    if caller.role == "admin" and caller.project_id == collector.settings.project:
        return Caller(project_id, "admin", caller.key_id)
    raise HTTPException(403, f"this key is not for project {requested!r}")


def project_of(request: Request) -> str:
    """The project of the request's caller, as ``require`` found it for the route."""
    caller: Caller | None = getattr(request.state, "caller", None)
    if caller is None:  # a route without require(): a bug the route inventory test catches
        raise RuntimeError(f"{request.url.path} has no authorization dependency")
    return caller.project_id


INGEST = require("ingest")
READ = require("read")
ADMIN = require("admin")
