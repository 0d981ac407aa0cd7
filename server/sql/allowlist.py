"""What a query may use besides the views: functions and types, by sqlglot expression class.

Listing classes, not names, means a function is allowed only once sqlglot knows it and can
transpile it to Postgres; anything it does not know parses as ``Anonymous`` and is refused
unless named in ``ANONYMOUS_FUNCTIONS``. Nothing here reads files, the network, settings or the
catalog, sleeps, or produces rows (no table functions: ``generate_series``, ``unnest``,
``read_csv``...).
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.expressions.datatypes import DType

_FUNCTION_NAMES = """
    Count CountIf Sum Avg Min Max Stddev StddevPop StddevSamp Variance VariancePop Median
    Quantile PercentileCont PercentileDisc ApproxQuantile ApproxDistinct ArrayAgg GroupConcat
    AnyValue LogicalAnd LogicalOr ArgMax ArgMin Corr CovarPop CovarSamp
    Abs Round Ceil Floor Sqrt Pow Ln Log Exp Sign Greatest Least SafeDivide
    Lower Upper Length Substring Trim Concat ConcatWs Replace StrPosition Left Right Pad
    RegexpLike RegexpILike RegexpExtract RegexpReplace StartsWith EndsWith Reverse Initcap SplitPart MD5 ArraySize
    Case If Coalesce Nullif Cast TryCast Exists And Or Xor Collate
    CurrentTimestamp CurrentDate DateTrunc TimestampTrunc Extract DateDiff DateAdd DateSub
    TimestampAdd TimestampSub TimestampDiff TimeToUnix UnixToTime TimeToStr StrToTime Date
    DayOfWeek DayOfMonth DayOfYear Month Year Week Quarter Hour Minute Second
    JSONExtract JSONExtractScalar JSONBExtract JSONBExtractScalar
    RowNumber Rank DenseRank Lag Lead FirstValue LastValue NthValue Ntile PercentRank CumeDist
"""
FUNCTIONS: frozenset[type[exp.Func]] = frozenset(getattr(exp, name) for name in _FUNCTION_NAMES.split())

# Functions sqlglot passes through by name, spelled and behaving alike on DuckDB and Postgres.
ANONYMOUS_FUNCTIONS = frozenset({"now", "date_part", "json_array_length"})

# Casts only to plain value types: a cast to regclass or regproc would read the catalog.
_TYPE_NAMES = """
    BIGINT INT SMALLINT TINYINT UBIGINT UINT USMALLINT UTINYINT INT128 DECIMAL DOUBLE FLOAT
    BOOLEAN TEXT VARCHAR CHAR DATE TIMESTAMP TIMESTAMPNTZ TIMESTAMPTZ TIMESTAMPLTZ TIMESTAMP_S TIMESTAMP_MS INTERVAL
    JSON JSONB UUID
"""
TYPES: frozenset[DType] = frozenset(DType[name] for name in _TYPE_NAMES.split())

# Nodes refused wherever they appear, even inside an allowed statement (a CTE that deletes,
# SELECT ... INTO a new table, FOR UPDATE, a $1 placeholder that the scope rewrite would not bind).
FORBIDDEN_NODES: tuple[type[exp.Expr], ...] = (
    exp.DDL,
    exp.DML,
    exp.Command,
    exp.Set,
    exp.Pragma,
    exp.Copy,
    exp.Attach,
    exp.Detach,
    exp.Install,
    exp.Use,
    exp.Into,
    exp.Lock,
    exp.Placeholder,
    exp.Parameter,
    exp.SessionParameter,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Describe,
    exp.Show,
)

# Bare words Postgres reads as functions of the session (``SELECT user`` is the role's name),
# where sqlglot sees a column: refused unless quoted.
SESSION_WORDS = frozenset(
    {"user", "current_user", "current_role", "session_user", "system_user", "current_schema", "current_catalog"}
)
