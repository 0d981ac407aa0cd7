"""The simulated world a session runs in: its own seeded random generator and how fast time passes.

Each session (an asyncio task) enters its own ``Simulation``. Every random choice of the
session (latencies, failures, wording) is drawn from it in program order, so the same seed
gives the same sessions however the tasks interleave.
"""

from __future__ import annotations

import asyncio
import random
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class Simulation:
    rng: random.Random
    pace: float  # multiplies every simulated latency: 1 looks real, 0.1 is for tests
    retries: int = 0  # model calls that failed and were tried again

    async def wait(self, low: float, high: float) -> None:
        """Pause like a network call that takes between ``low`` and ``high`` seconds."""
        seconds = self.rng.uniform(low, high)  # drawn even at pace 0: the sequence must not change
        await asyncio.sleep(seconds * self.pace)

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability


_current: ContextVar[Simulation] = ContextVar("demo_simulation")


def current() -> Simulation:
    """The simulation of the session running in this task."""
    return _current.get()


def enter(simulation: Simulation) -> None:
    """Make ``simulation`` the current one for this task (tasks copy the context they start in)."""
    _current.set(simulation)
