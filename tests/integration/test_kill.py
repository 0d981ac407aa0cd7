"""Kill test (ARCHITECTURE.md decision 3, acknowledge after commit): a collector killed at any
moment loses no acknowledged span, and the SDK's retries make stored == sent with no duplicate.

Everything is a real process: ``spanscope server`` on a real DuckDB file or Postgres database,
and a sender (kill_driver.py) that is an ordinary application using our SDK. The collector is
killed with SIGKILL (no shutdown code runs: the queue of accepted but uncommitted spans is lost,
which is fine because those requests were never answered 200), or exits at a fault hook
(``SPANSCOPE_FAULT``, server/writer.py) on each side of the commit:

- ``before_commit``: parsed and queued, nothing committed. The client got no answer, so it
  resends, and the spans are stored once.
- ``after_commit``: committed, no answer sent. The client resends spans that ARE stored; the
  primary key makes the resend change nothing, and the trace summaries stay right.

The stored rows are counted straight from the database, not through the API: for DuckDB only
while no collector runs (one process may open the file, decision 6).
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest
import sqlalchemy as sa

from tests.integration.conftest import Backend

DRIVER = Path(__file__).with_name("kill_driver.py")
SPANSCOPE = Path(sys.executable).with_name("spanscope")  # the console script of this venv

SPANS_PER_TRACE = 10
KILL_TRACES = 10_000  # 100,000 spans
KILLS = 3
CRASH_TRACES = 50  # 500 spans: one export request (see _crash_and_recover)

STARTUP_TIMEOUT = 30.0  # imports and migrations take about 2 s
EXIT_TIMEOUT = 30.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _child_env(**extra: str) -> dict[str, str]:
    """Our environment without settings that would change the children's behaviour."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SPANSCOPE_", "OTEL_"))}
    # Production behaviour in the sender: count SDK internal errors (we assert 0) instead of raising.
    env.pop("PYTEST_CURRENT_TEST", None)
    env.update(extra)
    return env


class Collector:
    """``spanscope server`` as a child process that can be killed and started again on the
    same port and database. Each life logs to its own file, kept for diagnosis."""

    def __init__(self, url: str, port: int, log_dir: Path) -> None:
        self.url = url
        self.port = port
        self.log_dir = log_dir
        self.process: subprocess.Popen[bytes] | None = None
        self.lives = 0

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"collector-{self.lives}.log"

    def start(self, fault: str | None = None) -> None:
        assert self.process is None or self.process.poll() is not None, "the previous collector still runs"
        self.lives += 1
        env = _child_env(SPANSCOPE_FAULT=fault) if fault else _child_env()
        with self.log_path.open("wb") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [str(SPANSCOPE), "server", "--db", self.url, "--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )

    def health(self) -> dict[str, Any] | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2) as response:
                return dict(json.load(response))
        except (OSError, ValueError):  # refused, reset, 503, a half-started server
            return None

    def wait_healthy(self, timeout: float = STARTUP_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._assert_running()
            if self.health() is not None:
                return
            time.sleep(0.05)
        pytest.fail(f"the collector was not healthy within {timeout} s:\n{self.log_tail()}")

    def taken(self) -> int:
        """Spans this life handed to the writer: received minus still queued. The SDK sends one
        request at a time and waits for its answer, so this is what is committed or committing."""
        health = self.health()
        if health is None:
            return 0
        return int(health["counters"].get("spans_received", 0)) - int(health["queued_spans"])

    def workers(self) -> list[int]:
        """PIDs of the collector's child processes (its ingest workers), started by any thread."""
        assert self.process is not None
        tasks = Path(f"/proc/{self.process.pid}/task")
        return [int(child) for task in tasks.iterdir() for child in (task / "children").read_text().split()]

    def kill(self) -> None:
        assert self.process is not None
        self._assert_running()
        os.kill(self.process.pid, signal.SIGKILL)
        assert self.process.wait(EXIT_TIMEOUT) == -signal.SIGKILL

    def wait_exit(self, timeout: float = EXIT_TIMEOUT) -> int:
        assert self.process is not None
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the collector did not exit within {timeout} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Graceful stop (SIGTERM): the DuckDB file is free afterwards."""
        assert self.process is not None
        self.process.terminate()
        # uvicorn shuts down gracefully, then raises the signal it caught again: -SIGTERM.
        assert self.wait_exit() in (0, -signal.SIGTERM), self.log_tail()

    def close(self) -> None:
        """Kill a leftover child (a failed test) so that it cannot hold the port or the file."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(EXIT_TIMEOUT)

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else "(no log)"

    def _assert_running(self) -> None:
        assert self.process is not None
        code = self.process.poll()
        if code is not None:
            pytest.fail(f"the collector exited with {code}:\n{self.log_tail()}")


class Sender:
    """The SDK application (kill_driver.py) as a child process."""

    def __init__(self, port: int, traces: int, out_dir: Path, *extra_args: str) -> None:
        self.out = out_dir / "sender.out"
        self.err = out_dir / "sender.err"
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    str(DRIVER),
                    f"--endpoint=http://127.0.0.1:{port}/v1/traces",
                    f"--traces={traces}",
                    f"--spans-per-trace={SPANS_PER_TRACE}",
                    *extra_args,
                ],
                stdout=out,
                stderr=err,
                env=_child_env(),
            )

    def running(self) -> bool:
        return self.process.poll() is None

    def report(self, timeout: float) -> dict[str, Any]:
        """Wait for the sender's end and return its JSON line (flush verdict and stats)."""
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the sender did not finish within {timeout} s:\n{self.err.read_text()[-3000:]}")
        assert code == 0, self.err.read_text()[-3000:]
        return dict(json.loads(self.out.read_text().splitlines()[-1]))

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(EXIT_TIMEOUT)


@dataclass(frozen=True)
class Stored:
    spans: int
    distinct_keys: int  # (trace_id, span_id): the primary key, within the one project
    distinct_inputs: int  # every span the sender made has its own input
    traces: int
    summary_spans: int  # sum of the trace summaries' span_count


_COUNT_SPANS = "SELECT count(*), count(DISTINCT trace_id || ':' || span_id), count(DISTINCT input) FROM spans"
_COUNT_TRACES = "SELECT count(*), coalesce(sum(span_count), 0) FROM traces"
# DuckDB queues summary changes in trace_deltas (folded into traces by the running collector):
# what a crash leaves is the summaries plus the queue.
_COUNT_TRACES_DUCKDB = """
SELECT count(DISTINCT project_id || ':' || trace_id), coalesce(sum(span_count), 0) FROM (
    SELECT project_id, trace_id, span_count FROM traces
    UNION ALL SELECT project_id, trace_id, span_count FROM trace_deltas
)"""


def _stored(backend: Backend) -> Stored:
    """Counted in the database itself. DuckDB: only while no collector has the file open;
    read-only, so that a WAL left by a killed collector is replayed by the NEXT collector, as
    it would be in production, and not by us."""
    if backend.name == "duckdb":
        path = sa.make_url(backend.url).database
        assert path is not None
        with duckdb.connect(path, read_only=True) as connection:
            spans = connection.execute(_COUNT_SPANS).fetchone()
            traces = connection.execute(_COUNT_TRACES_DUCKDB).fetchone()
    else:
        with psycopg.connect(backend.url.replace("+psycopg", ""), autocommit=True) as connection:
            spans = connection.execute(_COUNT_SPANS).fetchone()
            traces = connection.execute(_COUNT_TRACES).fetchone()
    assert spans is not None and traces is not None
    return Stored(*(int(value) for value in (*spans, *traces)))


def _complete(spans: int) -> Stored:
    return Stored(spans, spans, spans, spans // SPANS_PER_TRACE, spans)


def _assert_nothing_lost(report: dict[str, Any], spans: int) -> None:
    assert report["ok"] is True, report
    assert report["spans_exported"] == spans, report
    assert (report["spans_dropped"], report["spans_failed"], report["internal_errors"]) == (0, 0, 0), report


@pytest.fixture
def cleanup() -> Iterator[list[Collector | Sender]]:
    """Children registered here are killed at the end, whatever happened."""
    children: list[Collector | Sender] = []
    yield children
    for child in children:
        child.close()


@pytest.mark.timeout(240)
def test_sigkill_during_ingest_loses_nothing(
    backend: Backend, tmp_path: Path, cleanup: list[Collector | Sender]
) -> None:
    total = KILL_TRACES * SPANS_PER_TRACE
    # Kill points, seeded so that a failure can be replayed: after 5k to 20k spans of each life,
    # so that all kills fall inside the 100k run, spread over it, while the sender is still sending.
    rng = random.Random(f"spanscope-kill-{backend.name}")
    thresholds = [rng.randint(5_000, 20_000) for _ in range(KILLS)]
    collector = Collector(backend.url, _free_port(), tmp_path)
    cleanup.append(collector)
    collector.start()
    collector.wait_healthy()
    started = time.monotonic()
    sender = Sender(collector.port, KILL_TRACES, tmp_path, "--max-retry-time=120", "--flush-timeout=180")
    cleanup.append(sender)

    killed_after: list[int] = []
    for threshold in thresholds:
        deadline = time.monotonic() + 60
        while (taken := collector.taken()) < threshold:
            # The sender still running is what makes the kill land in the middle of the ingest.
            assert sender.running(), f"the sender finished before kill {len(killed_after) + 1}"
            assert time.monotonic() < deadline, f"no progress to {threshold} spans:\n{collector.log_tail()}"
            time.sleep(0.02)
        assert sender.running(), f"the sender finished before kill {len(killed_after) + 1}"
        collector.kill()
        killed_after.append(taken)
        collector.start()  # same port, same database
        collector.wait_healthy()

    report = sender.report(timeout=200)
    elapsed = time.monotonic() - started
    collector.stop()

    _assert_nothing_lost(report, total)
    # Each kill broke at least one request (the one in flight, or the next on the dead connection).
    assert report["export_retries"] >= KILLS, report
    assert _stored(backend) == _complete(total), f"kills after {killed_after} spans; sender: {report}"
    print(f"{backend.name}: {total} spans, kills after {killed_after} spans of each life, {elapsed:.1f} s, {report}")


def _crash_and_recover(backend: Backend, tmp_path: Path, cleanup: list[Collector | Sender], fault: str) -> Stored:
    """Send CRASH_TRACES traces to a collector that exits at ``fault`` in its first commit,
    restart it without the fault, let the SDK retry, and check the end state. Returns what
    was stored at the moment of the crash."""
    spans = CRASH_TRACES * SPANS_PER_TRACE
    collector = Collector(backend.url, _free_port(), tmp_path)
    cleanup.append(collector)
    collector.start(fault=fault)
    collector.wait_healthy()
    # One request with every span: the batch is larger than the spans and the interval longer
    # than the run, so only the final flush sends, and the first commit holds all of them.
    sender = Sender(
        collector.port, CRASH_TRACES, tmp_path, "--batch-size=1024", "--export-interval=600", "--max-retry-time=60"
    )
    cleanup.append(sender)

    assert collector.wait_exit() == 137, collector.log_tail()  # os._exit(137) in the hook
    at_crash = _stored(backend)  # before the restart: only the crashed process could have written
    assert sender.running(), "the sender must still be retrying: it never got an answer"
    collector.start()
    collector.wait_healthy()

    report = sender.report(timeout=90)
    last_life = collector.health()
    collector.stop()
    _assert_nothing_lost(report, spans)
    assert report["export_retries"] >= 1, report
    # The retry reached the restarted collector with every span, and it answered 200.
    assert last_life is not None and last_life["counters"]["spans_received"] == spans
    assert _stored(backend) == _complete(spans)
    return at_crash


def test_crash_before_commit_is_retried(backend: Backend, tmp_path: Path, cleanup: list[Collector | Sender]) -> None:
    at_crash = _crash_and_recover(backend, tmp_path, cleanup, "before_commit")
    assert at_crash == Stored(0, 0, 0, 0, 0)  # nothing was committed, so the retry stored it all


def test_crash_after_commit_is_not_duplicated(
    backend: Backend, tmp_path: Path, cleanup: list[Collector | Sender]
) -> None:
    at_crash = _crash_and_recover(backend, tmp_path, cleanup, "after_commit")
    # Stored by the crashed process although the client never got an answer; the resend above
    # then changed nothing (still one row per span, summaries not counted twice).
    assert at_crash == _complete(CRASH_TRACES * SPANS_PER_TRACE)


def test_ingest_workers_exit_when_the_collector_is_killed(
    backend: Backend, tmp_path: Path, cleanup: list[Collector | Sender]
) -> None:
    collector = Collector(backend.url, _free_port(), tmp_path)
    cleanup.append(collector)
    collector.start()
    collector.wait_healthy()
    sender = Sender(collector.port, 20, tmp_path)  # starts the ingest workers
    cleanup.append(sender)
    _assert_nothing_lost(sender.report(timeout=60), 20 * SPANS_PER_TRACE)
    workers = collector.workers()
    assert workers, "the collector started no ingest worker"
    collector.kill()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [pid for pid in workers if _alive(pid)]
    assert not left, f"ingest workers outlived their collector: {left}"


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for the init process to reap it."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status
