"""``tracer.context(session_id=..., user_id=..., tags=..., metadata=...)``.

The values live in a ContextVar, so they follow ``await``, asyncio tasks and threads run
in a copied context. The span processor stamps them on every span started inside,
including spans of other instrumentations (FastAPI, requests) sharing the provider.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from tracer._internal import conventions as attr
from tracer._internal.serialize import to_json, to_plain

logger = logging.getLogger("spanscope")


@dataclass(frozen=True)
class Attribution:
    session_id: str | None = None
    user_id: str | None = None
    tags: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    # The span attributes these values become, computed once per context.
    attributes: Mapping[str, Any] = field(default_factory=dict)


current_attribution: ContextVar[Attribution | None] = ContextVar("spanscope_attribution", default=None)


def span_attributes(
    session_id: str | None, user_id: str | None, tags: tuple[str, ...], metadata: Mapping[str, Any]
) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    if session_id is not None:
        attributes[attr.SESSION_ID] = session_id
        attributes[attr.CONVERSATION_ID] = session_id
    if user_id is not None:
        attributes[attr.USER_ID] = user_id
    if tags:
        attributes[attr.TAGS] = tags
    if metadata:
        attributes[attr.METADATA] = to_json(metadata)
    return attributes


def merge_tags(first: Iterable[str], second: Iterable[str]) -> tuple[str, ...]:
    """Union that keeps first-seen order."""
    return tuple(dict.fromkeys([*first, *second]))


def coerce_tags(tags: Any) -> tuple[str, ...]:
    if tags is None:
        return ()
    if isinstance(tags, str):
        return (tags,)
    try:
        return tuple(str(tag) for tag in tags)
    except TypeError:
        return (str(tags),)


def coerce_metadata(metadata: Any) -> dict[str, Any]:
    if metadata is None:
        return {}
    if isinstance(metadata, Mapping):
        plain = to_plain(dict(metadata))
        return plain if isinstance(plain, dict) else {}
    logger.warning("spanscope: metadata must be a mapping, got %s; ignored", type(metadata).__name__)
    return {}


class context:  # noqa: N801 - used as tracer.context(...), like a function
    """Attach session, user, tags and metadata to every span started inside.

    Contexts nest: inner values win, tags are united and metadata is merged::

        with tracer.context(session_id="chat-42", user_id="ada", tags=["beta"]):
            answer(question)
    """

    def __init__(
        self,
        *,
        session_id: str | None = None,
        user_id: str | None = None,
        tags: Iterable[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self._values = (session_id, user_id, tags, metadata)
        self._token: Token[Attribution | None] | None = None

    def _build(self) -> Attribution:
        session_id, user_id, tags, metadata = self._values
        parent = current_attribution.get() or Attribution()
        session = str(session_id) if session_id is not None else parent.session_id
        user = str(user_id) if user_id is not None else parent.user_id
        merged_tags = merge_tags(parent.tags, coerce_tags(tags))
        merged_metadata = {**parent.metadata, **coerce_metadata(metadata)}
        return Attribution(
            session, user, merged_tags, merged_metadata, span_attributes(session, user, merged_tags, merged_metadata)
        )

    def __enter__(self) -> context:
        self._token = current_attribution.set(self._build())
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._token is not None:
            try:
                current_attribution.reset(self._token)
            except ValueError:  # exited in another context than it was entered in
                current_attribution.set(None)
            self._token = None

    async def __aenter__(self) -> context:
        return self.__enter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(exc_type, exc, tb)
