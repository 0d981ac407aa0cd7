"""Retrieved documents in one shape: ``[{"id", "content", "score", "metadata"}]`` in rank
order, absent keys left out."""

from __future__ import annotations

from typing import Any

from server.normalize._draft import Draft, indexed
from server.normalize._values import as_float, as_metadata, as_str, parse_json_if_container, plain

Document = dict[str, Any]


def _document(identifier: Any, content: Any, score: Any, metadata: Any) -> Document:
    document: Document = {}
    if (text_id := as_str(identifier)) is not None:
        document["id"] = text_id
    if content is not None:
        document["content"] = content if isinstance(content, str) else plain(content)
    if (number := as_float(score)) is not None:
        document["score"] = number
    if metadata is not None and (parsed := as_metadata(metadata)):
        document["metadata"] = parsed
    return document


def document_from_value(item: Any) -> Document | None:
    """A dict with id/content/score/metadata (``page_content`` and ``text`` are accepted
    for content, as LangChain and LlamaIndex name it), or a bare string."""
    if isinstance(item, str):
        return {"content": item}
    if not isinstance(item, dict):
        return None
    content = item.get("content")
    if content is None:
        content = item.get("page_content")
    if content is None:
        content = item.get("text")
    return _document(item.get("id"), content, item.get("score"), item.get("metadata"))


def documents_from_value(value: Any) -> list[Document] | None:
    """A list of documents, or JSON text of one (``gen_ai.retrieval.documents``)."""
    decoded = parse_json_if_container(value)
    if not isinstance(decoded, list):
        return None
    return [document for item in decoded if (document := document_from_value(item)) is not None]


def openinference_documents(draft: Draft, keys: list[str], prefix: str) -> list[Document] | None:
    """``retrieval.documents.N.document.{id,content,score,metadata}`` and the reranker's."""
    rows = indexed(draft, keys, prefix)
    if not rows:
        return None
    return [
        _document(
            row.get("document.id"), row.get("document.content"), row.get("document.score"), row.get("document.metadata")
        )
        for row in rows
    ]
