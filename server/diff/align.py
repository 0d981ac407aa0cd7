"""Aligning two span trees: which span of trace A is which span of trace B.

Children are aligned as sequences, not by index: an agent loop that made one more tool call
shifts every later sibling, and matching by position would report them all as changed. The
children of two matched spans are aligned by their longest common subsequence of (kind,
name); the spans left over between two matches are paired by kind, in order, as the same
step renamed (a span named after its model, say); the rest were added or removed.

The alignment is symmetric: aligning B with A gives the same pairs, mirrored. Ties between
equally long alignments are broken by the spans' own keys, never by which trace came first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

Span = dict[str, Any]  # a span of the trace detail, with its "children"


@dataclass
class Pair:
    """A step of the aligned tree: a span in A, in B, or in both, and its aligned children."""

    a: Span | None
    b: Span | None
    children: list[Pair] = field(default_factory=list)


def key(span: Span) -> tuple[str, str]:
    return (str(span.get("kind") or ""), str(span.get("name") or ""))


def align_trees(roots_a: Sequence[Span], roots_b: Sequence[Span]) -> list[Pair]:
    """The aligned forest of two traces' root spans."""
    return [_descend(pair) for pair in align_siblings(roots_a, roots_b)]


def _descend(pair: Pair) -> Pair:
    children_a = pair.a["children"] if pair.a is not None else []
    children_b = pair.b["children"] if pair.b is not None else []
    if pair.a is not None and pair.b is not None:
        pair.children = [_descend(child) for child in align_siblings(children_a, children_b)]
    else:  # a whole subtree added or removed
        pair.children = [
            _descend(Pair(child, None) if pair.a else Pair(None, child)) for child in children_a or children_b
        ]
    return pair


def align_siblings(a: Sequence[Span], b: Sequence[Span]) -> list[Pair]:
    """Align two lists of sibling spans (in start order); the pairs keep both orders."""
    matches = _matches([key(span) for span in a], [key(span) for span in b])
    pairs: list[Pair] = []
    previous_a = previous_b = -1
    for index_a, index_b in [*matches, (len(a), len(b))]:
        pairs += _pair_by_kind(a[previous_a + 1 : index_a], b[previous_b + 1 : index_b])
        if index_a < len(a):
            pairs.append(Pair(a[index_a], b[index_b]))
        previous_a, previous_b = index_a, index_b
    return pairs


def _pair_by_kind(a: Sequence[Span], b: Sequence[Span]) -> list[Pair]:
    """Spans between two matches: the same kind, in order, is the same step renamed."""
    pairs: list[Pair] = []
    previous_a = previous_b = -1
    kinds_a, kinds_b = [(key(span)[0], "") for span in a], [(key(span)[0], "") for span in b]
    for index_a, index_b in [*_matches(kinds_a, kinds_b), (len(a), len(b))]:
        pairs += [Pair(span, None) for span in a[previous_a + 1 : index_a]]
        pairs += [Pair(None, span) for span in b[previous_b + 1 : index_b]]
        if index_a < len(a):
            pairs.append(Pair(a[index_a], b[index_b]))
        previous_a, previous_b = index_a, index_b
    return pairs


def _matches(keys_a: list[tuple[str, str]], keys_b: list[tuple[str, str]]) -> list[tuple[int, int]]:
    """Index pairs of a longest common subsequence of two key lists, in increasing order."""
    # The common prefix and suffix need no table: usually most of a trace is the same.
    start = 0
    while start < len(keys_a) and start < len(keys_b) and keys_a[start] == keys_b[start]:
        start += 1
    end_a, end_b = len(keys_a), len(keys_b)
    while end_a > start and end_b > start and keys_a[end_a - 1] == keys_b[end_b - 1]:
        end_a, end_b = end_a - 1, end_b - 1
    middle = _common_subsequence(keys_a[start:end_a], keys_b[start:end_b])
    return (
        [(index, index) for index in range(start)]
        + [(start + i, start + j) for i, j in middle]
        + [(end_a + offset, end_b + offset) for offset in range(len(keys_a) - end_a)]
    )


def _common_subsequence(a: list[tuple[str, str]], b: list[tuple[str, str]]) -> list[tuple[int, int]]:
    """A longest common subsequence of ``a`` and ``b`` as index pairs, chosen symmetrically."""
    if not a or not b:
        return []
    # suffix[i][j]: the length of the longest common subsequence of a[i:] and b[j:].
    suffix = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) - 1, -1, -1):
        row, below = suffix[i], suffix[i + 1]
        for j in range(len(b) - 1, -1, -1):
            row[j] = below[j + 1] + 1 if a[i] == b[j] else max(below[j], row[j + 1])
    matches: list[tuple[int, int]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i] == b[j]:  # equal keys: matching them is always part of some longest answer
            matches.append((i, j))
            i, j = i + 1, j + 1
        elif suffix[i + 1][j] > suffix[i][j + 1] or (suffix[i + 1][j] == suffix[i][j + 1] and a[i] < b[j]):
            i += 1  # skipping a[i] loses nothing (or, in a tie, a[i] has the smaller key)
        else:
            j += 1
    return matches
