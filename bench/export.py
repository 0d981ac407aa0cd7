"""``spanscope export`` with 1,000,000 spans stored: spans per second in JSON Lines and Parquet,
and the collector's peak memory while it streams them, on DuckDB and Postgres.

Run from the repository root::

    .venv/bin/python bench/export.py                  # 1,000,000 spans on each backend
    .venv/bin/python bench/export.py --spans 200000 --backends duckdb

Method: the database is filled as in ``bench/query.py``; a collector is started on it; each
format is exported once through the CLI into a file. Before each export the collector's peak
RSS is reset (``/proc/PID/clear_refs``), so the peak printed (VmHWM) is the one reached during
that export; its RSS before it is printed beside. Never asserted.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import SPANSCOPE
from query import filled_collector

FORMATS = ("jsonl", "parquet")


def _memory_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for process {pid}")


def export(port: int, pid: int, format: str, folder: Path) -> dict[str, float]:
    target = folder / f"spans.{format}"
    rss_before = _memory_mb(pid, "VmRSS")
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    command = [str(SPANSCOPE), "export", "--format", format, "--output", str(target)]
    started = time.perf_counter()
    done = subprocess.run(
        [*command, "--endpoint", f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"spanscope export failed: {done.stderr}")
    spans = int(done.stdout.split()[1].replace(",", ""))  # "wrote N spans to FILE"
    return {
        "spans": spans,
        "spans_per_s": spans / seconds,
        "seconds": seconds,
        "mb": target.stat().st_size / 2**20,
        "rss_before_mb": rss_before,
        "peak_rss_mb": _memory_mb(pid, "VmHWM"),
    }


def run(backend: str, spans: int) -> dict[str, dict[str, float]]:
    with filled_collector(backend, spans) as collector:
        return {format: export(collector.port, collector.pid, format, collector.folder) for format in FORMATS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--backends", default="duckdb,postgres")
    args = parser.parse_args()
    print(f"{'backend':10}{'format':>9}{'spans':>11}{'spans/s':>10}{'s':>8}{'file MB':>9}{'RSS MB':>8}{'peak MB':>9}")
    for backend in args.backends.split(","):
        for format, result in run(backend, args.spans).items():
            print(
                f"{backend:10}{format:>9}{result['spans']:>11,.0f}{result['spans_per_s']:>10,.0f}"
                f"{result['seconds']:>8.1f}{result['mb']:>9.0f}{result['rss_before_mb']:>8.0f}"
                f"{result['peak_rss_mb']:>9.0f}"
            )


if __name__ == "__main__":
    main()
