"""``tracer.datasets``: create and read datasets on the collector (docs/evaluation.md).

Unlike ``tracer.score()`` these calls are not on the application's hot path, so what the
collector refuses is raised as a ``CollectorError`` carrying its message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from tracer._internal.api import ApiClient, CollectorError
from tracer._internal.serialize import to_plain

EXAMPLE_KEYS = frozenset({"id", "input", "expected_output", "metadata", "source_trace_id", "source_span_id"})


@dataclass(frozen=True)
class Example:
    """One example of a dataset: an input, the output expected for it, and metadata."""

    input: Any
    expected_output: Any = None
    metadata: dict[str, Any] = field(default_factory=dict)
    id: str | None = None
    source_trace_id: str | None = None
    source_span_id: str | None = None

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> Example:
        return cls(
            input=body.get("input"),
            expected_output=body.get("expected_output"),
            metadata=dict(body.get("metadata") or {}),
            id=body.get("id"),
            source_trace_id=body.get("source_trace_id"),
            source_span_id=body.get("source_span_id"),
        )


def example_json(example: Example | Mapping[str, Any], index: int) -> dict[str, Any]:
    """An example as the API takes it; ValueError naming the example for a bad one."""
    if isinstance(example, Example):
        fields: dict[str, Any] = {
            "input": example.input,
            "expected_output": example.expected_output,
            "metadata": example.metadata,
            "id": example.id,
            "source_trace_id": example.source_trace_id,
            "source_span_id": example.source_span_id,
        }
    elif isinstance(example, Mapping):
        unknown = sorted(set(example) - EXAMPLE_KEYS)
        if unknown:
            allowed = ", ".join(sorted(EXAMPLE_KEYS))
            raise ValueError(f"example {index}: unknown key(s) {', '.join(unknown)}; an example has {allowed}")
        if "input" not in example:
            raise ValueError(f"example {index}: no 'input'")
        fields = dict(example)
    else:
        raise TypeError(f"example {index}: expected a dict or tracer.datasets.Example, got {type(example).__name__}")
    metadata = fields.get("metadata")
    if metadata is not None and not isinstance(metadata, Mapping):
        raise ValueError(f"example {index}: metadata must be a dict, got {type(metadata).__name__}")
    body = {key: to_plain(value) for key, value in fields.items() if value is not None}
    body.setdefault("metadata", {})
    return body


def _examples_json(examples: Iterable[Example | Mapping[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(examples, (Mapping, str, bytes)):
        raise TypeError("examples must be a list of examples (dicts), not a single value")
    return [example_json(example, index) for index, example in enumerate(examples)]


class Dataset:
    """A dataset on the collector: ``name``, ``id``, ``version``, ``description``, ``metadata``.

    ``examples`` are read from the collector (the latest version) the first time they are
    used; ``add`` stores more and moves to the new version::

        dataset = tracer.datasets.get("support-questions")
        dataset.add([{"input": {"question": "Can I return shoes?"}, "expected_output": "Yes, for 30 days."}])
        print(dataset.version, len(dataset.examples))
    """

    def __init__(self, body: Mapping[str, Any], client: ApiClient) -> None:
        self._client = client
        self._examples: list[Example] | None = None
        self._update(body)

    def _update(self, body: Mapping[str, Any]) -> None:
        self.id: str = str(body["id"])
        self.name: str = str(body["name"])
        self.description: str = str(body.get("description") or "")
        self.metadata: dict[str, Any] = dict(body.get("metadata") or {})
        self.version: int = int(body.get("version") or 0)
        self.example_count: int | None = body.get("example_count")

    @property
    def examples(self) -> list[Example]:
        """The examples of this version of the dataset."""
        if self._examples is None:
            body = self._client.request("GET", f"{self._path}/examples", params={"version": self.version or None})
            self._examples = [Example.from_json(item) for item in _items(body, "examples")]
        return list(self._examples)

    def add(self, examples: Iterable[Example | Mapping[str, Any]]) -> None:
        """Store examples (an ``id`` that exists replaces that example) as one new version."""
        payload = _examples_json(examples)
        if not payload:
            return
        self._update(self._client.request("POST", f"{self._path}/examples", {"examples": payload}))
        self._examples = None

    def refresh(self) -> None:
        """Read the dataset's latest version from the collector."""
        self._update(self._client.request("GET", self._path))
        self._examples = None

    @property
    def _path(self) -> str:
        return f"/api/v1/datasets/{quote(self.id, safe='')}"

    def __repr__(self) -> str:
        return f"Dataset(name={self.name!r}, id={self.id!r}, version={self.version})"


def _items(body: Any, key: str) -> list[Mapping[str, Any]]:
    items = body.get(key) if isinstance(body, Mapping) else body
    return list(items) if isinstance(items, list) else []


def create(
    name: str,
    examples: Iterable[Example | Mapping[str, Any]] = (),
    *,
    description: str = "",
    metadata: Mapping[str, Any] | None = None,
) -> Dataset:
    """Create a dataset on the collector, with its first examples.

    An example is a dict with ``input`` and optionally ``expected_output``, ``metadata``,
    ``id`` (kept across versions; the collector picks one if absent), ``source_trace_id``
    and ``source_span_id``. Raises ValueError for a malformed example (nothing is sent) and
    ``CollectorError`` when the collector refuses (409: the name is taken)::

        dataset = tracer.datasets.create("support-questions", [
            {"input": {"question": "Where is my order?"}, "expected_output": "It ships tomorrow."},
        ])
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"a dataset needs a name, got {name!r}")
    body: dict[str, Any] = {"name": name, "description": description, "metadata": to_plain(dict(metadata or {}))}
    payload = _examples_json(examples)
    if payload:
        body["examples"] = payload
    client = ApiClient.from_settings()
    return Dataset(client.request("POST", "/api/v1/datasets", body), client)


def get(name_or_id: str) -> Dataset:
    """The dataset with this name (or, failing that, this id). CollectorError (404) if none::

    dataset = tracer.datasets.get("support-questions")
    """
    client = ApiClient.from_settings()
    listed = _items(client.request("GET", "/api/v1/datasets"), "datasets")
    for item in listed:
        if item.get("name") == name_or_id:
            return Dataset(item, client)
    for item in listed:
        if item.get("id") == name_or_id:
            return Dataset(item, client)
    raise CollectorError("GET", "/api/v1/datasets", 404, f"no dataset named {name_or_id!r} (nor with that id)")
