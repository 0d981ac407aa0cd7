"""Fixtures of the browser tests; the machinery is in browser_world.py (a module name of its
own: several test folders have a conftest, and the tests import helpers by module name)."""

from browser_world import browser, page, platform

__all__ = ["browser", "page", "platform"]
