"""Request JSON the database can store.

- ``JsonValue`` / ``JsonObject``: fields that hold any JSON value (a dataset example's input, a
  run's output); NaN, infinities and integers beyond 64 bits are refused (422).
- ``CleanJsonRoute``: every route's JSON body with lone UTF-16 surrogates (``"\\ud800"``, valid
  JSON escapes that are no Unicode character) replaced by U+FFFD, as NUL is at ingest: no
  database or encoder can store them, and refusing a whole batch for one would lose the rest.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic import AfterValidator

INT64_MIN, UINT64_MAX = -(2**63), 2**64 - 1  # what orjson and the JSON columns hold


def _storable(value: Any) -> Any:
    # Python's json module (which parses request bodies) reads NaN and Infinity, but they are not
    # JSON: Postgres refuses them and exports could not write them back.
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("NaN and infinite numbers are not JSON")
    if isinstance(value, int) and not isinstance(value, bool) and not INT64_MIN <= value <= UINT64_MAX:
        raise ValueError(f"integers must fit in 64 bits; send {value} as a string")
    if isinstance(value, dict):
        for item in value.values():
            _storable(item)
    elif isinstance(value, list):
        for item in value:
            _storable(item)
    return value


JsonValue = Annotated[Any, AfterValidator(_storable)]  # any JSON value the database can store
JsonObject = Annotated[dict[str, Any], AfterValidator(_storable)]


def _text(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # pairs stay one character; a lone surrogate becomes U+FFFD
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def without_lone_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, dict):
        return {_text(key): without_lone_surrogates(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_lone_surrogates(item) for item in value]
    return value


class _CleanJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_clean_json"):
            self._clean_json = without_lone_surrogates(await super().json())
        return self._clean_json


class CleanJsonRoute(APIRoute):
    """A route whose handlers see the request's JSON body without lone surrogates."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def clean(request: Request) -> Response:
            return await handler(_CleanJsonRequest(request.scope, request.receive))

        return clean
