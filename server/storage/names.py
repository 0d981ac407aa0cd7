"""Names unique within a project (saved queries, score configs, datasets): one error for a
name taken, whichever way it is found."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa


class NameTakenError(ValueError):
    """Another row of the project has this name."""

    def __init__(self, name: str, what: str) -> None:
        super().__init__(f"a {what} named {name!r} exists already")


@contextmanager
def name_taken(name: str, what: str) -> Iterator[None]:
    """Turn a unique-constraint violation into ``NameTakenError``. Callers look the name up
    first, so that the usual case needs no error parsing; the constraint still guards two
    writers racing each other. Only for statements whose one unique constraint is the name."""
    try:
        yield
    except sa.exc.IntegrityError:
        raise NameTakenError(name, what) from None
