"""Page state in the URL: filters live in the query string, so that every view is a link.

The query parameters are the API's own filter names, plus ``since`` (``15m``, ``1h``,
``24h``, ``7d``), a moving window that becomes ``start_after`` when the page asks the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

WINDOWS = {"15m": timedelta(minutes=15), "1h": timedelta(hours=1), "24h": timedelta(days=1), "7d": timedelta(days=7)}
WINDOW_LABELS = {
    "": "any time",
    "15m": "last 15 minutes",
    "1h": "last hour",
    "24h": "last 24 hours",
    "7d": "last 7 days",
}

TEXT_FILTERS = ("name", "model", "session_id", "user_id", "tag", "text")
CHOICE_FILTERS = {"status": ("", "error", "ok")}
KINDS = ("", "llm", "embedding", "retriever", "reranker", "tool", "agent", "chain", "guardrail", "evaluator", "span")
RANGE_FILTERS = ("min_duration_ms", "max_duration_ms", "min_tokens", "max_tokens", "min_cost", "max_cost")
SCORE_FILTERS = ("score_name", "min_score", "max_score", "score_label", "without_score")
SCORE_ORDERS = {"": "newest first", "desc": "highest score first", "asc": "lowest score first"}
TRACE_FILTERS = (
    *TEXT_FILTERS,
    "status",
    "kind",
    *RANGE_FILTERS,
    *SCORE_FILTERS,
    "order_by_score",
    "since",
    "start_after",
    "start_before",
)


def chosen(query: Mapping[str, str], names: tuple[str, ...] = TRACE_FILTERS) -> dict[str, str]:
    """The filters set in ``query`` (empty values dropped)."""
    return {name: query[name] for name in names if query.get(name)}


def api_filters(filters: Mapping[str, str], now: datetime | None = None) -> dict[str, Any]:
    """URL filters as API parameters: ``since`` becomes ``start_after``."""
    params: dict[str, Any] = {key: value for key, value in filters.items() if key != "since"}
    window = WINDOWS.get(filters.get("since", ""))
    if window is not None and "start_after" not in params:
        params["start_after"] = ((now or datetime.now(timezone.utc)) - window).isoformat()
    return params


def option_index(options: list[str] | tuple[str, ...], value: str) -> int:
    """Where ``value`` is among ``options`` (the first when it is not), for a selectbox."""
    return options.index(value) if value in options else 0
