"""The storage schema: SQLAlchemy Core tables, one definition for DuckDB and Postgres.

This module is the live schema. Migrations never import it (each revision snapshots what it
needs); the drift test compares a migrated Postgres database with this metadata, so a change
here without a revision fails the tests.

Column names are a user-facing SQL surface (ARCHITECTURE.md decision 8): plain words, no
prefixes, the same names as the fields of ``server.model.SpanRecord``.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData()

# JSON on DuckDB, JSONB on Postgres (binary, indexable, deduplicated keys).
Json = sa.JSON().with_variant(JSONB(), "postgresql")
# Microsecond timestamps with time zone on both backends; stored in UTC.
Timestamp = sa.DateTime(timezone=True)

projects = sa.Table(
    "projects",
    metadata,
    sa.Column("id", sa.Text(), primary_key=True),
    sa.Column("name", sa.Text(), nullable=False, unique=True),
    sa.Column("created_at", Timestamp, nullable=False),
)

# Days a project keeps its traces (docs/security.md); no row: for ever.
project_retention = sa.Table(
    "project_retention",
    metadata,
    sa.Column("project_id", sa.Text(), primary_key=True),
    sa.Column("days", sa.Integer(), nullable=False),
)

# Postgres only (revision 6cb9763a8387): the role user SQL runs as for each project, which the
# row-level security policies read. ``project`` is a project id; it is not called project_id,
# so that deleting a project (server.storage.access) does not look for it on DuckDB.
sql_project_roles = sa.Table(
    "sql_project_roles",
    metadata,
    sa.Column("role_name", sa.Text(), primary_key=True),
    sa.Column("project", sa.Text(), nullable=False),
)

# API keys (docs/security.md): the key itself is never stored, only its SHA-256.
api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Text(), primary_key=True),
    sa.Column("project_id", sa.Text(), nullable=False),
    sa.Column("role", sa.Text(), nullable=False),  # ingest, read or admin
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("secret_hash", sa.Text(), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("last_used_at", Timestamp),
    sa.Column("revoked_at", Timestamp),
)

spans = sa.Table(
    "spans",
    metadata,
    sa.Column("project_id", sa.Text(), primary_key=True),
    sa.Column("trace_id", sa.Text(), primary_key=True),
    sa.Column("span_id", sa.Text(), primary_key=True),
    sa.Column("parent_span_id", sa.Text()),
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("kind", sa.Text(), nullable=False),
    sa.Column("status", sa.Text(), nullable=False),
    sa.Column("status_message", sa.Text()),
    sa.Column("start_time", Timestamp, nullable=False),
    sa.Column("end_time", Timestamp, nullable=False),
    sa.Column("duration_ms", sa.Double(), nullable=False),
    sa.Column("service_name", sa.Text()),
    sa.Column("scope_name", sa.Text()),
    sa.Column("model", sa.Text()),
    sa.Column("provider", sa.Text()),
    sa.Column("input_tokens", sa.BigInteger()),
    sa.Column("output_tokens", sa.BigInteger()),
    sa.Column("total_tokens", sa.BigInteger()),
    sa.Column("cache_read_tokens", sa.BigInteger()),
    sa.Column("cache_write_tokens", sa.BigInteger()),
    sa.Column("reasoning_tokens", sa.BigInteger()),
    sa.Column("cost_usd", sa.Double()),
    sa.Column("cost_source", sa.Text()),
    sa.Column("input", sa.Text()),
    sa.Column("input_mime_type", sa.Text()),
    sa.Column("output", sa.Text()),
    sa.Column("output_mime_type", sa.Text()),
    sa.Column("input_messages", Json),
    sa.Column("output_messages", Json),
    sa.Column("documents", Json),
    sa.Column("tool_name", sa.Text()),
    sa.Column("tool_arguments", sa.Text()),
    sa.Column("tool_result", sa.Text()),
    sa.Column("session_id", sa.Text()),
    sa.Column("user_id", sa.Text()),
    sa.Column("tags", Json, nullable=False),
    sa.Column("metadata", Json, nullable=False),
    sa.Column("attributes", Json, nullable=False),
    sa.Column("resource_attributes", Json, nullable=False),
    sa.Column("events", Json, nullable=False),
    sa.Column("links", Json, nullable=False),
    sa.Column("dialects", Json, nullable=False),
    sa.Column("unmapped_keys", Json, nullable=False),
    # Trace detail reads spans by (project_id, trace_id): the primary key's prefix serves it.
)

traces = sa.Table(
    "traces",
    metadata,
    sa.Column("project_id", sa.Text(), primary_key=True),
    sa.Column("trace_id", sa.Text(), primary_key=True),
    sa.Column("root_span_id", sa.Text()),  # NULL until the root span (no parent) arrives
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("start_time", Timestamp, nullable=False),
    sa.Column("end_time", Timestamp, nullable=False),
    sa.Column("duration_ms", sa.Double(), nullable=False),
    sa.Column("span_count", sa.BigInteger(), nullable=False),
    sa.Column("error_count", sa.BigInteger(), nullable=False),
    sa.Column("input_tokens", sa.BigInteger()),
    sa.Column("output_tokens", sa.BigInteger()),
    sa.Column("total_tokens", sa.BigInteger()),
    sa.Column("cost_usd", sa.Double()),  # NULL when no span has a cost
    sa.Column("session_id", sa.Text()),
    sa.Column("user_id", sa.Text()),
    sa.Column("tags", Json, nullable=False),
    sa.Column("models", Json, nullable=False),
    sa.Column("kinds", Json, nullable=False),
    sa.Column("input_preview", sa.Text()),
    sa.Column("output_preview", sa.Text()),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Index("ix_traces_session", "project_id", "session_id", "start_time"),
    sa.Index("ix_traces_user", "project_id", "user_id", "start_time"),
)

# The trace list: newest first, ties broken by trace_id DESC (keyset pagination). Both columns
# descend so that the index order matches the list's ORDER BY exactly.
sa.Index("ix_traces_list", traces.c.project_id, traces.c.start_time.desc(), traces.c.trace_id.desc())

# The Overview metrics read spans by time range: on Postgres, from this index alone (it includes
# every column they read). DuckDB has none: its row groups' min/max times skip the rest, and an
# index would slow its ingest (see migration d0b8d457cb5e).
sa.Index(
    "ix_spans_time",
    spans.c.project_id,
    spans.c.start_time,
    postgresql_include=[
        "name",
        "kind",
        "status",
        "duration_ms",
        "model",
        "input_tokens",
        "output_tokens",
        "total_tokens",
        "cost_usd",
    ],
).ddl_if(dialect="postgresql")

# Chat messages from a span's GenAI log events (OTLP logs), stored apart from the span and
# merged into it when read: the log records and the span may arrive in either order. Keyed by
# a hash of the events, so a resent batch changes nothing.
span_log_messages = sa.Table(
    "span_log_messages",
    metadata,
    sa.Column("project_id", sa.Text(), primary_key=True),
    sa.Column("trace_id", sa.Text(), primary_key=True),
    sa.Column("span_id", sa.Text(), primary_key=True),
    sa.Column("key", sa.Text(), primary_key=True),
    sa.Column("time", Timestamp, nullable=False),
    sa.Column("input_messages", Json, nullable=False),
    sa.Column("output_messages", Json, nullable=False),
)

# Queries users saved on the SQL page (or through the API), per project. ``chart`` is how the
# page draws the result, e.g. {"type": "line", "x": "day", "y": ["cost_usd"]}; NULL for a table.
saved_queries = sa.Table(
    "saved_queries",
    metadata,
    sa.Column("project_id", sa.Text(), primary_key=True),
    sa.Column("id", sa.Text(), primary_key=True),
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("query", sa.Text(), nullable=False),
    sa.Column("chart", Json),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.UniqueConstraint("project_id", "name", name="uq_saved_queries_name"),
)

# Evaluation (docs/evaluation.md): scores, their configs, datasets with versioned examples, and
# runs of a pipeline over a dataset version. No foreign keys, as elsewhere: a score may arrive
# before its trace, and deleting a dataset deletes its rows explicitly.
score_configs = sa.Table(
    "score_configs",
    metadata,
    sa.Column("project_id", sa.Text(), primary_key=True),
    sa.Column("id", sa.Text(), primary_key=True),
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("data_type", sa.Text(), nullable=False),  # numeric, boolean, categorical
    sa.Column("min_value", sa.Double()),
    sa.Column("max_value", sa.Double()),
    sa.Column("categories", Json),  # categorical: the allowed labels, in order
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.UniqueConstraint("project_id", "name", name="uq_score_configs_name"),
)

scores = sa.Table(
    "scores",
    metadata,
    sa.Column("project_id", sa.Text(), primary_key=True),
    sa.Column("id", sa.Text(), primary_key=True),
    sa.Column("trace_id", sa.Text(), nullable=False),
    sa.Column("span_id", sa.Text()),  # NULL: the score is on the whole trace
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("data_type", sa.Text(), nullable=False),
    sa.Column("value", sa.Double()),  # numeric; 1/0 for boolean; NULL for categorical
    sa.Column("label", sa.Text()),  # categorical label; "true"/"false" for boolean
    sa.Column("source", sa.Text(), nullable=False),  # human, code, llm_judge, sdk
    sa.Column("comment", sa.Text()),
    sa.Column("author", sa.Text()),
    sa.Column("run_id", sa.Text()),
    sa.Column("config_id", sa.Text()),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Index("ix_scores_trace", "project_id", "trace_id"),
    sa.Index("ix_scores_run", "project_id", "run_id"),
    sa.Index("ix_scores_created", "project_id", "created_at", "id"),
)

datasets = sa.Table(
    "datasets",
    metadata,
    sa.Column("project_id", sa.Text(), primary_key=True),
    sa.Column("id", sa.Text(), primary_key=True),
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("metadata", Json, nullable=False),
    sa.Column("version", sa.BigInteger(), nullable=False),  # grows by one with each change to its examples
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.UniqueConstraint("project_id", "name", name="uq_datasets_name"),
)

# An example row is never changed but to close it: an update closes the old row
# (version_removed) and adds a new one, so every version of a dataset can be read back.
dataset_examples = sa.Table(
    "dataset_examples",
    metadata,
    sa.Column("project_id", sa.Text(), primary_key=True),
    sa.Column("dataset_id", sa.Text(), primary_key=True),
    sa.Column("id", sa.Text(), primary_key=True),  # the example, stable across versions
    sa.Column("version_added", sa.BigInteger(), primary_key=True),
    sa.Column("version_removed", sa.BigInteger()),  # NULL: in the latest version
    sa.Column("input", Json),
    sa.Column("expected_output", Json),
    sa.Column("metadata", Json, nullable=False),
    sa.Column("source_trace_id", sa.Text()),
    sa.Column("source_span_id", sa.Text()),
    sa.Column("created_at", Timestamp, nullable=False),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("project_id", sa.Text(), primary_key=True),
    sa.Column("id", sa.Text(), primary_key=True),
    sa.Column("dataset_id", sa.Text(), nullable=False),
    sa.Column("dataset_version", sa.BigInteger(), nullable=False),
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("metadata", Json, nullable=False),
    sa.Column("status", sa.Text(), nullable=False),  # running, completed, failed
    sa.Column("started_at", Timestamp, nullable=False),
    sa.Column("ended_at", Timestamp),
    sa.Index("ix_runs_dataset", "project_id", "dataset_id", "started_at"),
)

run_results = sa.Table(
    "run_results",
    metadata,
    sa.Column("project_id", sa.Text(), primary_key=True),
    sa.Column("run_id", sa.Text(), primary_key=True),
    sa.Column("example_id", sa.Text(), primary_key=True),
    sa.Column("trace_id", sa.Text()),  # the task's root span's trace
    sa.Column("output", Json),
    sa.Column("error", sa.Text()),  # NULL: the task returned
    sa.Column("latency_ms", sa.Double()),
    sa.Column("created_at", Timestamp, nullable=False),
)
