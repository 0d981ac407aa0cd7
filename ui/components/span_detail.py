"""The selected span, whole: figures, error, messages, documents, tool call, values, raw data."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui.components import content
from ui.components.tree import KIND_ICONS
from ui.text import cost, count, duration, plain


def span_detail(span: dict[str, Any]) -> None:
    kind = span.get("kind") or "span"
    failed = span.get("status") == "error"
    st.subheader(f"{KIND_ICONS.get(kind, '▫')} {plain(span.get('name'), 120)}", anchor=False)
    st.caption(f"{kind} · span {span['span_id']}" + (" · **failed**" if failed else ""))
    _figures(span)
    if failed:
        _error(span)
    tabs = _tabs(span)
    for (_, show), tab in zip(tabs, st.tabs([title for title, _ in tabs]), strict=True):
        with tab:
            show(span)


def _figures(span: dict[str, Any]) -> None:
    columns = st.columns(4)
    columns[0].metric("Latency", duration(span.get("duration_ms")))
    tokens = f"{count(span.get('input_tokens'))} in / {count(span.get('output_tokens'))} out"
    columns[1].metric("Tokens", tokens if span.get("total_tokens") is not None else "–")
    columns[2].metric("Cost", cost(span.get("cost_usd")))
    columns[3].metric("Model", plain(span.get("model") or "–", 40))
    extra = []
    if span.get("provider"):
        extra.append(f"provider {span['provider']}")
    for key, name in (("cache_read_tokens", "cached"), ("reasoning_tokens", "reasoning")):
        if span.get(key):
            extra.append(f"{span[key]:,} {name} tokens")
    if span.get("cost_source"):
        extra.append(f"cost from {span['cost_source']}")
    if span.get("service_name"):
        extra.append(f"service {span['service_name']}")
    if extra:
        st.caption(plain(" · ".join(extra), 400))


def _error(span: dict[str, Any]) -> None:
    exceptions = [event for event in span.get("events") or [] if event.get("name") == "exception"]
    with st.container(border=True):
        st.caption("error")
        st.text(span.get("status_message") or "(no message)")
        for event in exceptions:
            attributes = event.get("attributes") or {}
            st.text(f"{attributes.get('exception.type', 'exception')}: {attributes.get('exception.message', '')}")
            if attributes.get("exception.stacktrace"):
                st.code(str(attributes["exception.stacktrace"]), language=None)


def _messages(span: dict[str, Any]) -> None:
    content.messages(span.get("input_messages"), "input messages")
    content.messages(span.get("output_messages"), "output messages")


def _documents(span: dict[str, Any]) -> None:
    content.documents(span.get("documents"))


def _values(span: dict[str, Any]) -> None:
    st.caption("input")
    content.value(span.get("input"), span.get("input_mime_type"))
    st.caption("output")
    content.value(span.get("output"), span.get("output_mime_type"))


def _raw(span: dict[str, Any]) -> None:
    for key in ("metadata", "attributes", "resource_attributes", "events", "links"):
        if span.get(key):
            st.caption(key.replace("_", " "))
            st.json(span[key], expanded=key == "attributes")
    st.caption(f"session {plain(span.get('session_id') or '–', 100)} · user {plain(span.get('user_id') or '–', 100)}")
    if span.get("tags"):
        st.caption("tags")
        st.text(", ".join(map(str, span["tags"])))


def _convention(span: dict[str, Any]) -> None:
    st.caption("detected conventions")
    st.text(", ".join(span.get("dialects") or []) or "(none detected)")
    st.caption("attribute keys no convention mapped (kept in the raw attributes)")
    st.text("\n".join(span.get("unmapped_keys") or []) or "(none)")


def _tabs(span: dict[str, Any]) -> list[tuple[str, Any]]:
    """The tabs this span has content for, the most telling first."""
    tabs: list[tuple[str, Any]] = []
    if span.get("input_messages") or span.get("output_messages"):
        tabs.append(("Messages", _messages))
    if span.get("documents"):
        tabs.append(("Documents", _documents))
    if span.get("tool_name"):
        tabs.append(("Tool call", content.tool_call))
    tabs.append(("Input / output", _values))
    tabs.append(("Attributes", _raw))
    tabs.append(("Convention", _convention))
    return tabs
