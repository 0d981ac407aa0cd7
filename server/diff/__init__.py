"""Diffing: two traces aligned span by span (``diff_traces``); see docs/diff.md."""

from .traces import diff_traces

__all__ = ["diff_traces"]
