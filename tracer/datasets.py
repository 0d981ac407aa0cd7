"""Datasets on the collector: named, versioned collections of examples (docs/evaluation.md).

::

    import tracer

    dataset = tracer.datasets.create("support-questions", [
        {"input": {"question": "Where is my order?"}, "expected_output": "It ships tomorrow."},
    ])
    same = tracer.datasets.get("support-questions")
    same.add([{"input": {"question": "Can I return shoes?"}, "expected_output": "Yes, for 30 days."}])
"""

from tracer._internal.api import CollectorError
from tracer._internal.datasets import Dataset, Example, create, get

__all__ = ["CollectorError", "Dataset", "Example", "create", "get"]
