"""Fixtures of the interop tests: the OpenAI API stub, a running collector, and drivers.

Each driver (``drivers/*.py``) runs real third-party instrumentation in a fresh process
and sends its spans to the collector; the tests read them back through the read API,
normalized, exactly as the UI would.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from interop_helpers import DRIVERS, Collector, DriverResult, RunDriver, free_port, isolated_environment
from openai_stub import OpenAIStub

STARTUP_TIMEOUT = 20.0


@pytest.fixture(scope="module")
def openai_stub() -> Iterator[OpenAIStub]:
    stub = OpenAIStub().start()
    yield stub
    stub.stop()


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Collector]:
    """The real collector (``spanscope server``) on a fresh DuckDB file and a free port."""
    folder = tmp_path_factory.mktemp("collector")
    port = free_port()
    log = folder / "collector.log"
    command = [
        str(Path(sys.executable).with_name("spanscope")),
        "server",
        "--db",
        f"duckdb:///{folder / 'interop.duckdb'}",
        "--port",
        str(port),
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=isolated_environment())
    running = Collector(f"http://127.0.0.1:{port}", log)
    try:
        _wait_until_healthy(process, running)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_healthy(process: subprocess.Popen[bytes], collector: Collector) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the collector exited with {process.returncode}:\n{collector.log.read_text()}")
        try:
            if httpx.get(f"{collector.url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the collector was not healthy within {STARTUP_TIMEOUT}s:\n{collector.log.read_text()}")


@pytest.fixture(scope="module")
def run_driver(collector: Collector) -> RunDriver:
    """Runs ``drivers/<name>.py`` against the collector; returns the trace IDs it printed."""

    def run(name: str, *args: str) -> DriverResult:
        command = [sys.executable, str(DRIVERS / f"{name}.py"), "--collector", collector.url, *args]
        finished = subprocess.run(
            command, capture_output=True, text=True, timeout=60, env=isolated_environment(), check=False
        )
        assert finished.returncode == 0, f"{name} failed ({finished.returncode}):\n{finished.stderr}"
        output = json.loads(finished.stdout)
        return DriverResult(traces=output["traces"], span_counts=output["span_counts"])

    return run
