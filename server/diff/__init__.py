"""Diffing: two traces aligned span by span (``diff_traces``), two runs example by example
(``diff_runs``) and two cohorts of traces by distribution (``compare_cohorts``); see
docs/diff.md."""

from .cohorts import compare_cohorts
from .runs import diff_runs
from .traces import diff_traces

__all__ = ["compare_cohorts", "diff_runs", "diff_traces"]
