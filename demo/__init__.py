"""The demo: Northpeak Outfitters' support assistant, a simulated compound AI application
traced only through the public SDK (``import tracer``), for filling a collector with
realistic traces. See docs/demo.md.

::

    import demo
    stats = demo.run("http://127.0.0.1:4318")
"""

from demo.traffic import DemoStats, run

__all__ = ["DemoStats", "run"]
