"""Fixtures of the UI tests; the machinery is in ui_world.py (a module name of its own:
several test folders have a conftest, and the tests import helpers by module name)."""

from ui_world import world

__all__ = ["world"]
