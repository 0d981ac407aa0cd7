"""GenAI log events (OTLP logs) grouped by span and turned into chat messages."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence

import orjson

from server.model import LogMessages
from server.normalize.messages import LogEvent, messages_from_log_events
from server.otlp.logs import LogRecord

GENAI_EVENT_PREFIX = "gen_ai."


def log_messages(records: Sequence[LogRecord], project_id: str) -> list[LogMessages]:
    """One LogMessages per span that has GenAI events; other log records are only counted."""
    by_span: dict[tuple[str, str], list[LogRecord]] = defaultdict(list)
    for record in records:
        if record.trace_id and record.span_id and (record.event_name or "").startswith(GENAI_EVENT_PREFIX):
            by_span[(record.trace_id, record.span_id)].append(record)
    items = []
    for (trace_id, span_id), span_records in by_span.items():
        events = [LogEvent(r.event_name or "", r.body, r.attributes, r.time_ns) for r in span_records]
        input_messages, output_messages = messages_from_log_events(events)
        if not input_messages and not output_messages:
            continue
        key = hashlib.sha256(
            orjson.dumps([[e.name, e.time_ns, e.body, e.attributes] for e in events], default=repr)
        ).hexdigest()[:32]
        items.append(
            LogMessages(
                project_id=project_id,
                trace_id=trace_id,
                span_id=span_id,
                key=key,
                time_ns=min(e.time_ns for e in events),
                input_messages=input_messages,
                output_messages=output_messages,
                event_count=len(events),
            )
        )
    return items
