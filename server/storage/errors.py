"""What the evaluation stores (datasets, runs) refuse, apart from a taken name
(``server.storage.names``) and a transient fault (``server.storage.base``). The API answers
``NotFoundError`` with 404 and ``RefusedError`` with 400, each with its message."""

from __future__ import annotations


class NotFoundError(LookupError):
    """No such row in the project: another project's row is as missing as one never stored."""

    def __init__(self, what: str, row_id: str, where: str = "") -> None:
        super().__init__(f"no {what} {row_id!r}{where}")


class RefusedError(ValueError):
    """A request that breaks a rule of the data: the same example twice in one call, a result
    for an example the run's version does not hold, a run finished twice."""
