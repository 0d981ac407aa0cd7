"""The mutable span under construction that every dialect mapper writes into."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Attributes = Mapping[str, Any]


class Draft:
    """Fields found so far. The first dialect to set a field wins (mappers run in priority
    order), except tags and metadata, which merge: several dialects legitimately carry
    parts of them (OpenInference ``tag.tags`` beside Langfuse trace tags)."""

    __slots__ = ("attributes", "consumed", "defaults", "fields", "metadata", "span_name", "tags")

    def __init__(self, attributes: Attributes, span_name: str) -> None:
        self.attributes = attributes
        self.span_name = span_name
        self.fields: dict[str, Any] = {}
        self.defaults: dict[str, Any] = {}  # used only when no dialect sets the field
        self.consumed: set[str] = set()
        self.tags: list[str] = []
        self.metadata: dict[str, Any] = {}

    def take(self, key: str) -> Any:
        """The attribute's value, marking the key as understood; None when absent."""
        value = self.attributes.get(key)
        if value is not None:
            self.consumed.add(key)
        return value

    def put(self, name: str, value: Any) -> None:
        if value is not None and name not in self.fields:
            self.fields[name] = value

    def put_text(self, name: str, text_and_mime: tuple[str | None, str | None]) -> None:
        """``input`` or ``output`` with its mime type: the two are one field, never mixed
        from two dialects."""
        text, mime_type = text_and_mime
        if text is not None and name not in self.fields:
            self.fields[name] = text
            self.fields[f"{name}_mime_type"] = mime_type

    def has(self, name: str) -> bool:
        return name in self.fields

    def add_tags(self, tags: list[str]) -> None:
        for tag in tags:
            if tag not in self.tags:
                self.tags.append(tag)

    def add_metadata(self, metadata: Mapping[str, Any] | None) -> None:
        if metadata:
            for key, value in metadata.items():
                self.metadata.setdefault(key, value)


def indexed(draft: Draft, keys: list[str], prefix: str) -> list[dict[str, Any]]:
    """Rows of a flattened list attribute, ``<prefix>N.<field>`` -> ``[{field: value}]`` in
    index order (OpenInference and legacy OpenLLMetry flatten lists this way). Keys that
    match are marked consumed. Splitting on dots is cheaper than a regex per key."""
    rows: dict[int, dict[str, Any]] = {}
    start = len(prefix)
    for key in keys:
        if not key.startswith(prefix):
            continue
        index, _, field = key[start:].partition(".")
        if not index.isdigit() or not field or len(index) > 6:
            continue
        rows.setdefault(int(index), {})[field] = draft.attributes[key]
        draft.consumed.add(key)
    return [rows[index] for index in sorted(rows)]


def subrows(row: Mapping[str, Any], prefix: str) -> list[dict[str, Any]]:
    """The same grouping inside one row: ``tool_calls.M.<field>`` -> ``[{field: value}]``."""
    rows: dict[int, dict[str, Any]] = {}
    start = len(prefix)
    for key, value in row.items():
        if not key.startswith(prefix):
            continue
        index, _, field = key[start:].partition(".")
        if index.isdigit() and field and len(index) <= 6:
            rows.setdefault(int(index), {})[field] = value
    return [rows[index] for index in sorted(rows)]


# field, rank (lower wins within one dialect), converter returning None for unusable values
FieldSpec = tuple[str, int, Callable[[Any], Any]]


def apply_table(draft: Draft, keys: list[str], table: Mapping[str, FieldSpec]) -> None:
    """Map the plain one-attribute-one-field keys of a dialect.

    Iterates the keys the span has (one dict lookup each) instead of probing every name
    the dialect knows: most names are absent from any one span, and probing them was most
    of the normalization cost. ``rank`` orders a dialect's synonyms (current name before
    deprecated one) whatever order the span lists its keys in."""
    attributes, consumed = draft.attributes, draft.consumed
    found: dict[str, Any] = {}
    best: dict[str, int] = {}
    for key in keys:
        spec = table.get(key)
        if spec is None:
            continue
        consumed.add(key)
        field, rank, convert = spec
        if field in best and best[field] <= rank:
            continue
        value = convert(attributes[key])
        if value is not None:
            found[field] = value
            best[field] = rank
    for field, value in found.items():
        draft.put(field, value)
