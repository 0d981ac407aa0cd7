"""The help centre the assistant answers from: 28 short articles shipped in ``help_centre.json``,
searched with BM25 (``rank_bm25``) over their titles and contents."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from rank_bm25 import BM25Okapi  # type: ignore[import-untyped]

# Words that carry no topic: dropping them keeps BM25 from ranking articles on "the" and "my".
_STOP_WORDS = """a an and are as at be been but by can could do does for from had has have how i if in into is it its
    me my no not of on or our so that the their them then there these they this to was we were what when
    where which who why will with would you your yours please hi hello thanks thank also just about get got
    any did i'm it's can't don't ok okay great sorry meant here"""
STOP_WORDS = frozenset(_STOP_WORDS.split())


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    category: str
    updated: str
    content: str

    @property
    def url(self) -> str:
        return f"https://help.northpeak.example/{self.category}/{self.id.removeprefix('kb-')}"

    def as_document(self, score: float) -> dict[str, Any]:
        """The shape the SDK records for retrieved documents: id, content, score, metadata."""
        metadata = {"title": self.title, "category": self.category, "updated": self.updated, "url": self.url}
        return {"id": self.id, "content": self.content, "score": round(score, 4), "metadata": metadata}


def words(text: str) -> list[str]:
    """Lower-case topic words of a text, in order (order ids and prices included)."""
    return [word for word in re.findall(r"[a-z0-9][a-z0-9'-]*", text.lower()) if word not in STOP_WORDS]


@functools.cache
def articles() -> tuple[Article, ...]:
    text = resources.files("demo").joinpath("help_centre.json").read_text(encoding="utf-8")
    return tuple(Article(**item) for item in json.loads(text))


def article(article_id: str) -> Article:
    return next(item for item in articles() if item.id == article_id)


class HelpCentre:
    """BM25 over the articles. Titles count twice: a title says what an article is about."""

    def __init__(self, items: tuple[Article, ...]) -> None:
        self.items = items
        self._index = BM25Okapi([words(f"{item.title} {item.title} {item.content}") for item in items])

    def search(self, query: str, k: int) -> list[tuple[Article, float]]:
        """The ``k`` best articles for ``query`` with their BM25 scores, best first."""
        scores = self._index.get_scores(words(query))
        ranked = sorted(range(len(self.items)), key=lambda index: (-scores[index], self.items[index].id))
        return [(self.items[index], float(scores[index])) for index in ranked[:k] if scores[index] > 0]


@functools.cache
def help_centre() -> HelpCentre:
    return HelpCentre(articles())
