"""Text to one syntax tree in the accepted dialect (DuckDB's), or a precise syntax error."""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from .errors import SqlRefusedError, SqlSyntaxError

DIALECT = "duckdb"

# sqlglot's messages show tokens as their repr: "<Token token_type: TokenType.SENTINEL, ...>".
_END_TOKEN = re.compile(r"<Token token_type: TokenType\.SENTINEL[^>]*>")
_TOKEN = re.compile(r"<Token token_type: TokenType\.\w+, text: (.*?), line: \d+[^>]*>")


def _readable(description: str) -> str:
    return _TOKEN.sub(lambda match: repr(match.group(1)), _END_TOKEN.sub("the end of the query", description))


def parse_statement(query: str) -> exp.Expr:
    """The one statement in ``query``. Stacked statements are refused here: the rest of the
    sandbox checks one tree, and a second statement would escape it."""
    try:
        statements = [tree for tree in sqlglot.parse(query, read=DIALECT) if tree is not None]
    except ParseError as error:
        first = error.errors[0] if error.errors else {}
        description = _readable(str(first.get("description") or error).split("\n", 1)[0])
        highlight = first.get("highlight")
        near = f" (near {highlight!r})" if highlight else ""
        raise SqlSyntaxError(description + near, first.get("line"), first.get("col")) from None
    except TokenError as error:
        raise SqlSyntaxError(str(error), None, None) from None
    if not statements:
        raise SqlSyntaxError("no statement", 1, 1)
    if len(statements) > 1:
        raise SqlRefusedError(f"exactly one statement is allowed, got {len(statements)}")
    return statements[0]
