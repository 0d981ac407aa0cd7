"""What the evaluation stores refuse, as HTTP answers: 404 for a row missing from the project
(another project's included), 400 for a request against a rule of the data, 409 for a name
taken (``server.api.deps.name_conflict``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import HTTPException

from server.api.deps import name_conflict
from server.storage.errors import NotFoundError, RefusedError


@contextmanager
def answer_refusals() -> Iterator[None]:
    try:
        with name_conflict():
            yield
    except NotFoundError as error:
        raise HTTPException(404, str(error)) from None
    except RefusedError as error:
        raise HTTPException(400, str(error)) from None
