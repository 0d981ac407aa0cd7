"""Turn a RawSpan, whatever convention wrote it, into one SpanRecord.

Each dialect (attribute convention) has a small mapper module. A span's attribute keys
are sorted into dialects by their first dotted segment (one dict lookup per key, cached
per key), then the mappers of the dialects present run in priority order: the first to
set a field wins; tags and metadata merge. Each mapper marks the keys it understood, and
the rest are reported as ``unmapped_keys``.

>>> from server.model import RawSpan
>>> span = RawSpan("0" * 32, "0" * 16, None, "chat", 3, 1, 2, 0, None,
...                {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"})
>>> record = normalize(span, "default")
>>> record.kind, record.model, record.dialects
('llm', 'gpt-4o', ['genai'])
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import ModuleType

from server.cost import compute_cost
from server.model import RawSpan, SpanRecord
from server.normalize import genai, langfuse, logfire, mlflow, openinference, openllmetry, spanscope
from server.normalize._draft import Draft
from server.normalize._values import as_str

__all__ = ["DIALECTS", "normalize"]

logger = logging.getLogger("spanscope.normalize")

# Priority order: our SDK first (it knows the user's intent), then the open standards,
# then the vendor formats of tools users switch from.
_MODULES: tuple[ModuleType, ...] = (spanscope, genai, openinference, openllmetry, langfuse, mlflow, logfire)
DIALECTS: tuple[str, ...] = tuple(module.NAME for module in _MODULES)
_APPLY: tuple[Callable[[Draft, list[str]], None], ...] = tuple(module.apply for module in _MODULES)
_SPANSCOPE, _GENAI, _OPENINFERENCE, _OPENLLMETRY, _LANGFUSE, _MLFLOW, _LOGFIRE = range(len(_MODULES))

_NAMESPACES = {
    "spanscope": _SPANSCOPE,
    "gen_ai": _GENAI,
    "openinference": _OPENINFERENCE,
    "llm": _OPENINFERENCE,
    "input": _OPENINFERENCE,
    "output": _OPENINFERENCE,
    "session": _OPENINFERENCE,
    "user": _OPENINFERENCE,
    "metadata": _OPENINFERENCE,
    "tag": _OPENINFERENCE,
    "retrieval": _OPENINFERENCE,
    "reranker": _OPENINFERENCE,
    "embedding": _OPENINFERENCE,
    "tool": _OPENINFERENCE,
    "traceloop": _OPENLLMETRY,
    "langfuse": _LANGFUSE,
    "mlflow": _MLFLOW,
    "logfire": _LOGFIRE,
    "request_data": _LOGFIRE,
    "response_data": _LOGFIRE,
}
# OpenLLMetry writes some names inside other conventions' namespaces.
_OPENLLMETRY_GEN_AI = ("prompt.", "completion.")
_OPENLLMETRY_LLM = frozenset(
    (
        "usage",
        "request",
        "is_streaming",
        "frequency_penalty",
        "presence_penalty",
        "chat",
        "top_k",
        "headers",
        "response",
    )
)

# Span attribute keys repeat across spans, so the key -> dialect decision is cached.
# Bounded: keys are sender-controlled.
_KEY_DIALECT: dict[str, int | None] = {}
_MAX_CACHED_KEYS = 100_000

_STATUS = ("unset", "ok", "error")


def _dialect_of(key: str) -> int | None:
    namespace, _, rest = key.partition(".")
    dialect = _NAMESPACES.get(namespace)
    if dialect == _GENAI and rest.startswith(_OPENLLMETRY_GEN_AI):
        return _OPENLLMETRY
    if namespace == "llm" and rest.partition(".")[0] in _OPENLLMETRY_LLM:
        return _OPENLLMETRY
    return dialect


def _keys_by_dialect(attributes: dict[str, object]) -> list[list[str] | None]:
    by_dialect: list[list[str] | None] = [None] * len(_MODULES)
    cache = _KEY_DIALECT
    for key in attributes:
        try:
            dialect = cache[key]
        except KeyError:
            if len(cache) >= _MAX_CACHED_KEYS:
                cache.clear()
            dialect = cache[key] = _dialect_of(key) if isinstance(key, str) else None
        if dialect is not None:
            keys = by_dialect[dialect]
            if keys is None:
                by_dialect[dialect] = [key]
            else:
                keys.append(key)
    return by_dialect


def normalize(raw: RawSpan, project_id: str) -> SpanRecord:
    """The SpanRecord for ``raw``. Never raises on attribute values: a value a dialect
    cannot use leaves its field None (see the module docstring for an example)."""
    attributes = raw.attributes
    draft = Draft(attributes, raw.name)
    dialects: list[str] = []
    for index, keys in enumerate(_keys_by_dialect(attributes)):
        if keys is None:
            continue
        consumed_before = len(draft.consumed)
        try:
            _APPLY[index](draft, keys)
        except Exception:  # a sender's garbage must never drop the span; what was mapped stays
            logger.debug("dialect %s failed on span %s", DIALECTS[index], raw.span_id, exc_info=True)
        if len(draft.consumed) > consumed_before:
            dialects.append(DIALECTS[index])

    fields = draft.fields
    for name, value in draft.defaults.items():  # input and its mime type are set, and kept, together
        fields.setdefault(name, value)
    kind = fields.get("kind") or "span"
    if kind == "tool":  # OpenInference and Traceloop record a tool's call as its input/output
        fields.setdefault("tool_arguments", fields.get("input"))
        fields.setdefault("tool_result", fields.get("output"))
    input_tokens, output_tokens = fields.get("input_tokens"), fields.get("output_tokens")
    if "total_tokens" not in fields and input_tokens is not None:
        if output_tokens is not None:
            fields["total_tokens"] = input_tokens + output_tokens
        elif kind == "embedding":  # an embedding has no output tokens
            fields["total_tokens"] = input_tokens
    if "cost_usd" not in fields and (model := fields.get("model")) is not None:
        _price(fields, model, raw.end_time_ns)

    return SpanRecord(
        project_id=project_id,
        trace_id=raw.trace_id,
        span_id=raw.span_id,
        parent_span_id=raw.parent_span_id,
        name=raw.name,
        kind=kind,
        status=_STATUS[raw.status_code] if 0 <= raw.status_code <= 2 else "unset",
        status_message=raw.status_message,
        start_time_ns=raw.start_time_ns,
        end_time_ns=raw.end_time_ns,
        service_name=as_str(raw.resource.get("service.name")),
        scope_name=raw.scope_name,
        tags=draft.tags,
        metadata=draft.metadata,
        attributes=attributes,
        resource_attributes=raw.resource,
        events=[{"name": event.name, "time_ns": event.time_ns, "attributes": event.attributes} for event in raw.events],
        links=list(raw.links),
        dialects=dialects,
        unmapped_keys=sorted(key for key in attributes if key not in draft.consumed),
        **{name: value for name, value in fields.items() if name != "kind"},
    )


def _price(fields: dict[str, object], model: object, time_ns: int) -> None:
    provider = fields.get("provider")
    try:
        price = compute_cost(
            str(model),
            provider if isinstance(provider, str) else None,
            input_tokens=fields.get("input_tokens"),  # type: ignore[arg-type]
            output_tokens=fields.get("output_tokens"),  # type: ignore[arg-type]
            cache_read_tokens=fields.get("cache_read_tokens"),  # type: ignore[arg-type]
            cache_write_tokens=fields.get("cache_write_tokens"),  # type: ignore[arg-type]
            time_ns=time_ns,
        )
    except Exception:  # the price table must not cost us the span
        logger.debug("pricing %r failed", model, exc_info=True)
        return
    if price is not None:
        fields["cost_usd"] = price.usd
        fields["cost_source"] = price.source
