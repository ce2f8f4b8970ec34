"""Predictions into pandas at 200k items: ``glamlab.predictions_frame`` (and its chunks one
at a time, ``iter_predictions_frames`` with ``chunksize=10_000``) beside paging
``list_predictions`` (1,000 rows a page) into a DataFrame and the Parquet export read
back with pandas.

Prints one JSON document. Times: median of 3 in this process, the three interleaved.
Peak RSS: each way once in a fresh Python process (VmHWM, reset once the workspace is
open), beside that process's RSS before it started (imports and the open workspace).

    PYTHONPATH=src .venv/bin/python benchmarks/predictions_frame.py [N]
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd  # noqa: E402

import glamlab  # noqa: E402
from glamlab import Workspace  # noqa: E402
from glamlab.actions import export  # noqa: E402
from glamlab.actions.frame import iter_predictions_frames  # noqa: E402
from glamlab.inference.runner import list_predictions  # noqa: E402

REPEATS = 3
SPEC = "bench@1"


def frame(ws: Workspace, tmp: Path) -> int:
    return len(glamlab.predictions_frame(ws))


def lean(ws: Workspace, tmp: Path) -> int:
    return len(glamlab.predictions_frame(ws, columns=["item_id", "label", "score"]))


def chunks(ws: Workspace, tmp: Path) -> int:
    return sum(len(part) for part in iter_predictions_frames(ws, chunksize=10_000))


def paged(ws: Workspace, tmp: Path) -> int:
    rows, after = [], 0
    while page := list_predictions(ws, model=SPEC, after_id=after, limit=1000):
        rows += page
        after = page[-1]["id"]
    return len(pd.DataFrame(rows))


def parquet(ws: Workspace, tmp: Path) -> int:
    out = tmp / "out.parquet"
    export(ws, "parquet", out)
    return len(pd.read_parquet(out))


WAYS = {"predictions_frame": frame, "predictions_frame_3_columns": lean,
        "iter_predictions_frames_10k": chunks, "list_predictions_pages": paged,
        "parquet_export_read": parquet}


def _status_mb(key: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process, from /proc (``ru_maxrss`` would keep
    the parent's peak across the fork and exec that started it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one(way: str, root: str) -> None:
    """In a child process: one run of ``way``, its peak RSS."""
    ws = Workspace.open(root)
    before = _status_mb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # the peak from here on
    with tempfile.TemporaryDirectory() as tmp:
        rows = WAYS[way](ws, Path(tmp))
    print(json.dumps({"rows": rows, "rss_before_mb": round(before, 1),
                      "peak_rss_mb": round(_status_mb("VmHWM"), 1)}))


def main(n: int) -> None:
    from act_export import build

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        ws = build(Path(tmp) / "ws", n)
        built = time.perf_counter() - t0
        times: dict[str, list[float]] = {w: [] for w in WAYS}
        rows: dict[str, int] = {}
        for _ in range(REPEATS):
            for way, fn in WAYS.items():
                t0 = time.perf_counter()
                rows[way] = fn(ws, Path(tmp))
                times[way].append(time.perf_counter() - t0)
        ws.close()
        memory = {way: json.loads(subprocess.run(
            [sys.executable, __file__, "--one", way, str(Path(tmp) / "ws")],
            check=True, capture_output=True, text=True).stdout) for way in WAYS}
    print(json.dumps({
        "benchmark": "predictions into a pandas DataFrame", "items": n,
        "build_s": round(built, 1), "repeats": REPEATS,
        "results": {w: {"rows": rows[w], "median_s": round(statistics.median(times[w]), 2),
                        "runs_s": [round(x, 2) for x in times[w]], **memory[w]}
                    for w in WAYS},
    }, indent=2))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        one(sys.argv[2], sys.argv[3])
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
