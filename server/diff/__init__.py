"""Diffing: two traces aligned span by span (``diff_traces``) and two runs example by example
(``diff_runs``); see docs/diff.md."""

from .runs import diff_runs
from .traces import diff_traces

__all__ = ["diff_runs", "diff_traces"]
