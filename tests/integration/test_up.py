"""``spanscope up``: both processes start, answer, and stop together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.interop.interop_helpers import free_port

SPANSCOPE = Path(sys.executable).with_name("spanscope")


def _start(tmp_path: Path) -> tuple[subprocess.Popen[str], int, int]:
    api_port, ui_port = free_port(), free_port()
    command = [str(SPANSCOPE), "up", "--db", f"duckdb:///{tmp_path / 's.duckdb'}"]
    process = subprocess.Popen(
        [*command, "--port", str(api_port), "--ui-port", str(ui_port)], stdout=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 90
    for line in process.stdout or []:
        if line.startswith("Spanscope is up."):
            break
        assert time.monotonic() < deadline, "spanscope up did not come up"
    else:
        pytest.fail(f"spanscope up exited with {process.wait()}")
    return process, api_port, ui_port


def _children(parent: int) -> dict[int, str]:
    """Child processes of ``parent`` (pid -> command line), from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == parent:
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (ValueError, OSError, IndexError):
            continue
    return found


def _all_gone(pids: dict[int, str], timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while any(Path(f"/proc/{pid}").exists() for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_stops_collector_and_ui(tmp_path: Path, stop: signal.Signals) -> None:
    process, api_port, ui_port = _start(tmp_path)
    with process:  # closes its output pipe
        _stops_cleanly(process, api_port, ui_port, stop)


def _stops_cleanly(process: subprocess.Popen[str], api_port: int, ui_port: int, stop: signal.Signals) -> None:
    assert httpx.get(f"http://127.0.0.1:{api_port}/health").status_code == 200
    assert httpx.get(f"http://127.0.0.1:{ui_port}/_stcore/health").status_code == 200
    children = _children(process.pid)
    assert len(children) == 2, children  # the collector and the UI
    process.send_signal(stop)
    assert process.wait(60) == 0
    assert (process.stdout.read() if process.stdout else "").strip().endswith("Stopped.")
    assert _all_gone(children), "a child outlived spanscope up"


def test_when_the_collector_dies_the_ui_is_stopped_too(tmp_path: Path) -> None:
    process, _, _ = _start(tmp_path)
    with process:
        _goes_down_with_its_collector(process)


def _goes_down_with_its_collector(process: subprocess.Popen[str]) -> None:
    children = _children(process.pid)
    collector = next(pid for pid, command in children.items() if " server " in command)
    os.kill(collector, signal.SIGKILL)
    assert process.wait(60) == 1
    assert "the collector exited" in (process.stdout.read() if process.stdout else "")
    assert _all_gone(children), "the UI outlived its collector"


def test_ctrl_c_while_the_demo_loads_stops_cleanly(tmp_path: Path) -> None:
    api_port, ui_port = free_port(), free_port()
    command = [str(SPANSCOPE), "up", "--demo", "--db", f"duckdb:///{tmp_path / 's.duckdb'}"]
    # A session of its own, so that the SIGINT goes to every process of the group, as a
    # terminal's Ctrl-C does: the demo gets it too and exits with a failure status.
    process = subprocess.Popen(
        [*command, "--port", str(api_port), "--ui-port", str(ui_port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    with process:
        seen = []
        for line in process.stdout or []:
            seen.append(line)
            if line.startswith("Sending the demo's traces"):  # the demo's first line: it is running
                break
        else:
            pytest.fail(f"the demo did not start: {''.join(seen)}")
        children = _children(process.pid)
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(60) == 0
        output = "".join(seen) + (process.stdout.read() if process.stdout else "")
    assert "demo failed" not in output
    assert output.strip().endswith("Stopped.")
    assert _all_gone(children), "a child outlived spanscope up"


def test_with_auth_the_ui_gets_a_local_admin_key_and_the_api_wants_one(tmp_path: Path) -> None:
    from server.storage import open_store
    from server.up import UI_KEY_NAME

    api_port, ui_port = free_port(), free_port()
    database = f"duckdb:///{tmp_path / 's.duckdb'}"
    command = [str(SPANSCOPE), "up", "--auth", "--db", database, "--port", str(api_port), "--ui-port", str(ui_port)]
    for _ in range(2):  # a second run revokes the first run's UI key
        with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
            lines = []
            for line in process.stdout or []:
                lines.append(line)
                if line.startswith("Spanscope is up."):
                    break
            assert any(line.startswith("Auth is on") for line in lines), lines
            refused = httpx.get(f"http://127.0.0.1:{api_port}/api/v1/traces")
            assert refused.status_code == 401
            assert httpx.get(f"http://127.0.0.1:{ui_port}/_stcore/health").status_code == 200
            process.send_signal(signal.SIGTERM)
            assert process.wait(60) == 0
    store = open_store(database)
    try:
        keys = [row for row in store.access.list_keys("default") if row["name"] == UI_KEY_NAME]
    finally:
        store.close()
    assert len(keys) == 2 and [row["revoked_at"] is None for row in keys].count(True) == 1
    assert all(row["role"] == "admin" for row in keys)
