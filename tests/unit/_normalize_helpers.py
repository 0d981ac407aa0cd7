"""Building RawSpans for the normalization tests."""

from __future__ import annotations

from typing import Any

from server.model import RawEvent, RawSpan

START_NS = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z: a fixed time for time-dependent prices


def raw_span(
    attributes: dict[str, Any],
    *,
    name: str = "span",
    status_code: int = 0,
    events: tuple[RawEvent, ...] = (),
    resource: dict[str, Any] | None = None,
) -> RawSpan:
    return RawSpan(
        trace_id="0af7651916cd43dd8448eb211c80319c",
        span_id="b7ad6b7169203331",
        parent_span_id=None,
        name=name,
        kind=3,
        start_time_ns=START_NS,
        end_time_ns=START_NS + 1_500_000_000,
        status_code=status_code,
        status_message=None,
        attributes=attributes,
        events=events,
        resource=resource if resource is not None else {"service.name": "support-bot"},
    )


def text(role: str, content: str, **extra: Any) -> dict[str, Any]:
    """A message with one text part, in the normalized shape."""
    return {"role": role, "parts": [{"type": "text", "content": content}], **extra}
