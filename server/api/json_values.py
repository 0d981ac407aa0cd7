"""Request fields that hold any JSON value (a dataset example's input, a run's output)."""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AfterValidator


def _finite(value: Any) -> Any:
    # Python's json module (which parses request bodies) reads NaN and Infinity, but they are not
    # JSON: Postgres refuses them and exports could not write them back.
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("NaN and infinite numbers are not JSON")
    if isinstance(value, dict):
        for item in value.values():
            _finite(item)
    elif isinstance(value, list):
        for item in value:
            _finite(item)
    return value


JsonValue = Annotated[Any, AfterValidator(_finite)]  # any JSON value: NaN and infinities refused
JsonObject = Annotated[dict[str, Any], AfterValidator(_finite)]
