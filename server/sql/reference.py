"""The views and example queries of docs/sql.md, read from that file, for the SQL page's view
reference and example list (``GET /api/v1/sql/reference``), the tests and the benchmark.

docs/sql.md is the one source: the tests check its tables against the views in both databases
and run its examples on both, so what the page shows is what the database has. A wheel carries
the file as ``server/sql/sql.md`` (pyproject.toml); a checkout reads it from ``docs/``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_CANDIDATES = (Path(__file__).with_name("sql.md"), Path(__file__).resolve().parents[2] / "docs" / "sql.md")

_VIEW = re.compile(r"^## `(\w+)`\n+(.*?)(?=^## )", re.M | re.S)
_COLUMN = re.compile(r"^\| `(\w+)` \| ([\w ]+) \| (.*?) \|$", re.M)
_EXAMPLE = re.compile(r"^### (.+?)\n.*?^```sql\n(.*?)^```", re.M | re.S)


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str  # as documented: text, integer, double, json, timestamp with time zone, ...
    meaning: str  # Markdown, as written in the docs


@dataclass(frozen=True, slots=True)
class View:
    name: str
    description: str  # the paragraph under the view's heading
    columns: tuple[Column, ...]


@dataclass(frozen=True, slots=True)
class Example:
    question: str
    query: str


def document() -> str:
    for path in _CANDIDATES:
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise FileNotFoundError(f"docs/sql.md not found at {' or '.join(str(path) for path in _CANDIDATES)}")


@cache
def views() -> tuple[View, ...]:
    """Each documented view, in the order of the docs."""
    found = []
    for name, body in _VIEW.findall(document()):
        description = body.split("\n\n", 1)[0].strip()
        columns = tuple(Column(*match) for match in _COLUMN.findall(body))
        found.append(View(name, description, columns))
    return tuple(found)


@cache
def examples() -> tuple[Example, ...]:
    """The worked examples: each question (its heading) and its query."""
    section = document().split("\n## Examples\n", 1)[1].split("\n## ", 1)[0]
    return tuple(Example(question, query) for question, query in _EXAMPLE.findall(section))
