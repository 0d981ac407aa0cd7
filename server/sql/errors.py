"""What a user query can be refused or stopped for; each message names the cause."""

from __future__ import annotations


class SqlError(Exception):
    """A query the endpoint does not run or could not finish; ``str()`` is the user's message."""


class SqlSyntaxError(SqlError):
    def __init__(self, message: str, line: int | None, column: int | None) -> None:
        where = f" at line {line}, column {column}" if line is not None and column is not None else ""
        super().__init__(f"syntax error{where}: {message}")
        self.line = line
        self.column = column


class SqlRefusedError(SqlError):
    """A construct outside the sandbox: the message names it."""


class SqlTimeoutError(SqlError):
    def __init__(self, limit_s: float) -> None:
        super().__init__(f"query stopped at the time limit of {limit_s:g} s")
        self.limit_s = limit_s


class SqlFailedError(SqlError):
    """The database rejected an allowed query (an unknown column, a bad cast, out of memory)."""
