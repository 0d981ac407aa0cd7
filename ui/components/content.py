"""Span content as plain text: chat messages, retrieved documents, tool calls, values.

Everything here is trace content, so it is written with ``st.text``, ``st.code`` and
``st.json`` only (see ui/text.py); labels that carry any of it go through ``plain()``.
"""

from __future__ import annotations

from typing import Any

import orjson
import streamlit as st

from ui.text import plain

# st.chat_message gives "user" and "assistant" their avatars; any other name is drawn from
# its first letter, so roles are mapped to a fixed set rather than passed through.
_AVATARS = {"user": "user", "human": "user", "assistant": "assistant", "ai": "assistant", "model": "assistant"}
_ROLE_ICONS = {"system": "⚙️", "tool": "🔧", "developer": "⚙️"}


def value(text: str | None, mime_type: str | None = None) -> None:
    """An input or output: JSON pretty-printed, anything else as text."""
    if text is None:
        st.text("(none)")
        return
    if mime_type == "application/json" or text[:1] in "[{":
        try:
            st.json(orjson.loads(text), expanded=2)
            return
        except orjson.JSONDecodeError:
            pass
    st.code(text, language=None, wrap_lines=True)


def messages(items: list[dict[str, Any]] | None, caption: str) -> None:
    if not items:
        return
    st.caption(caption)
    for message in items:
        role = str(message.get("role") or "unknown").lower()
        name = _AVATARS.get(role)
        with st.chat_message(name or "assistant", avatar=None if name else _ROLE_ICONS.get(role, "❔")):
            if name is None:  # system, tool or a role of its own: say which
                st.caption(plain(role, 40))
            for part in message.get("parts") or []:
                _part(part)
            if message.get("finish_reason"):
                st.caption(f"finish reason: {plain(message['finish_reason'], 40)}")


def _part(part: dict[str, Any]) -> None:
    kind = part.get("type")
    if kind in ("text", "reasoning"):
        if kind == "reasoning":
            st.caption("reasoning")
        st.text(str(part.get("content", "")))
    elif kind == "tool_call":
        st.caption(f"calls tool {plain(part.get('name'), 80)}")
        st.json(part.get("arguments") if isinstance(part.get("arguments"), dict | list) else str(part.get("arguments")))
    elif kind == "tool_call_response":
        st.caption("tool result")
        result = part.get("response", part.get("result", part.get("content")))
        st.code(result if isinstance(result, str) else orjson.dumps(result).decode(), language=None, wrap_lines=True)
    else:
        st.json(part, expanded=False)


def documents(items: list[dict[str, Any]] | None) -> None:
    """Retrieved documents as ranked cards: rank, score, id, content, metadata."""
    if not items:
        st.text("(no documents)")
        return
    for rank, document in enumerate(items, start=1):
        with st.container(border=True):
            score = document.get("score")
            heading = f"#{rank}" + (f" · score {score:.4g}" if isinstance(score, int | float) else "")
            left, right = st.columns([1, 3])
            left.markdown(f"**{heading}**")
            if document.get("id") is not None:
                right.code(str(document["id"]), language=None)
            st.text(str(document.get("content", "")))
            if document.get("metadata"):
                with st.expander("metadata"):
                    st.json(document["metadata"])


def tool_call(span: dict[str, Any]) -> None:
    st.caption(f"tool {plain(span.get('tool_name'), 120)}")
    st.caption("arguments")
    value(span.get("tool_arguments"), "application/json")
    st.caption("result")
    value(span.get("tool_result"))
