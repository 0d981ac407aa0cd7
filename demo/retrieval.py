"""Finding the articles for a question: BM25 search, then a reranker that reorders the hits.

Both return documents as dicts (id, content, score, metadata), the shape the SDK records
as ranked documents on retriever and reranker spans.
"""

from __future__ import annotations

import math
from typing import Any

import tracer
from demo import simulation
from demo.corpus import help_centre, words

RERANKER_MODEL = "bge-reranker-v2-m3"


@tracer.retriever
async def search_help_centre(query: str, k: int = 4) -> list[dict[str, Any]]:
    """The ``k`` help-centre articles BM25 ranks best for ``query``."""
    await simulation.current().wait(0.015, 0.045)  # a round trip to the search service
    return [article.as_document(score) for article, score in help_centre().search(query, k)]


def _relevance(query_words: set[str], document: dict[str, Any]) -> float:
    """A stand-in for a cross-encoder: word overlap with the title and the text, plus the
    BM25 score, squashed into 0..1 as rerankers report."""
    if not query_words:
        return 0.0
    in_title = len(query_words & set(words(document["metadata"]["title"]))) / len(query_words)
    in_text = len(query_words & set(words(document["content"]))) / len(query_words)
    logit = 2.0 * in_title + 4.0 * in_text + 0.1 * document["score"] - 3.0
    return 1 / (1 + math.exp(-logit))


@tracer.reranker
async def rerank(query: str, documents: list[dict[str, Any]], top_n: int = 2) -> list[dict[str, Any]]:
    """Reorder ``documents`` by relevance to ``query`` and keep the ``top_n`` best."""
    tracer.current_span().set_attributes({"reranker.model_name": RERANKER_MODEL, "reranker.top_k": top_n})
    # A cross-encoder reads every (query, document) pair: time grows with the number of documents.
    await simulation.current().wait(0.02 * len(documents), 0.035 * len(documents))
    query_words = set(words(query))
    scored = [{**document, "score": round(_relevance(query_words, document), 4)} for document in documents]
    return sorted(scored, key=lambda document: -document["score"])[:top_n]
