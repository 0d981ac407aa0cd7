"""Our SDK (docs/sdk-attributes.md).

The SDK writes the GenAI and OpenInference names, which ``genai.py`` and
``openinference.py`` read right after this mapper (priority order). Only what is ours is
read here: the kind as the user chose it, which neither convention can express fully
(``guardrail`` has no GenAI operation; ``span`` has no OpenInference kind).
"""

from __future__ import annotations

from server.model import SPAN_KINDS
from server.normalize._draft import Draft

NAME = "spanscope"
_KINDS = frozenset(SPAN_KINDS)


def apply(draft: Draft, keys: list[str]) -> None:
    kind = draft.take("spanscope.span.kind")
    if isinstance(kind, str) and kind in _KINDS:
        draft.put("kind", kind)
