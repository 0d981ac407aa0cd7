"""Showing hostile text, and formatting numbers, in one place.

Trace content is hostile (ARCHITECTURE.md, UI). Streamlit renders Markdown in ``st.markdown``,
``st.write`` of strings, captions, headers, alerts and in every widget label, and Markdown
there may load images from remote hosts. Trace content therefore goes through ``st.text``,
``st.code``, ``st.json`` or table cells; where a label must carry it, ``plain()`` escapes it.
A select box's options are shown as text, not Markdown: there ``one_line()`` only shortens it
(escaped, it would show its backslashes).
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from typing import Any

# Every ASCII punctuation character may be backslash-escaped in CommonMark; escaping all of
# them leaves no Markdown (links, images, emphasis, HTML, math with $) to interpret.
_MARKDOWN_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")
# How a diff marks a span or a row (docs/diff.md: added, removed, changed, same).
CHANGE_MARKS = {"added": "＋ added", "removed": "－ removed", "changed": "≠ changed", "same": ""}


def one_line(text: object, limit: int = 200) -> str:
    """``text`` on one line, shortened to ``limit`` characters."""
    value = " ".join(str(text).split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def plain(text: object, limit: int = 200) -> str:
    """``text`` as Markdown that renders exactly as the characters, on one line, shortened."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", one_line(text, limit))


def duration(ms: float | None) -> str:
    if ms is None:
        return "–"
    if ms < 1:
        return f"{ms * 1000:.0f} µs"
    if ms < 1000:
        return f"{ms:.0f} ms"
    if ms < 60_000:
        return f"{ms / 1000:.2f} s"
    return f"{ms / 60_000:.1f} min"


def cost(usd: float | None) -> str:
    if usd is None:
        return "–"
    if usd == 0:
        return "$0"
    if usd < 0.01:  # a single LLM call: two significant digits, never in e-notation
        return f"${usd:.{1 - math.floor(math.log10(usd))}f}"
    return f"${usd:.4f}" if usd < 1 else f"${usd:,.2f}"


def count(value: int | float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def moment(value: str | datetime | None) -> str:
    """An API timestamp (ISO 8601, UTC) as ``2026-11-25 14:03:07``."""
    if value is None:
        return "–"
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return parsed.strftime("%Y-%m-%d %H:%M:%S")


def score_value(data_type: str, value: float | None, label: str | None) -> str:
    """One score as a reader says it: ✓ or ✗, a number, or its label."""
    if data_type == "boolean":
        return "✓" if value else "✗"
    if data_type == "categorical" or value is None:
        return label or "–"
    return f"{value:.3g}"


def score_summary(summaries: list[dict[str, Any]]) -> str:
    """A trace's scores per name, for a table cell: ``helpful ✓ · rating 4.5 (2)``."""
    parts = []
    for entry in summaries:
        if entry["data_type"] == "boolean" and entry["count"] > 1:
            shown = f"{entry['mean']:.0%} ✓"
        else:
            shown = score_value(entry["data_type"], entry["mean"], entry["label"])
        parts.append(f"{entry['name']} {shown}" + (f" ({entry['count']})" if entry["count"] > 1 else ""))
    return " · ".join(parts)


def compact_json(value: Any, limit: int = 300) -> str:
    """A JSON value on one line for a table cell: a string as it is, anything else as JSON."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= limit else text[: limit - 1] + "…"
