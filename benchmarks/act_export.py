"""Act and export stream predictions: time per prediction and peak Python memory at two
workspace sizes, beside a naive peer that loads every prediction before writing CSV.

Prints one JSON document. Medians of 3 runs, wall clock and process CPU time (the CPU
time is steadier on a shared machine). Memory is tracemalloc's peak (Python
allocations) during one export to CSV.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from glamlab import Workspace  # noqa: E402
from glamlab.actions import export, plan  # noqa: E402
from glamlab.store import now  # noqa: E402

SIZES = (5_000, 20_000)
REPEATS = 3


def build(root: Path, n: int) -> Workspace:
    ws = Workspace.init(root, task="blank-pages", modality="image", labels=["blank", "content"],
                        positive_label="blank", price_per_item=0.02)
    ws.card.raw["policy"] = {"field": "page_type", "labels": {
        "blank": {"accept": 0.9, "review": 0.5}, "content": {"accept": 0.8, "review": 0.5}}}
    ws.save_card()
    t = ws.store.t
    stamp = now()
    with ws.store.write() as conn:
        conn.execute(t.items.insert(), [{
            "item_id": f"p{i:07d}", "version": 1, "is_current": True, "modality": "image",
            "source_kind": "folder", "source": "bench", "uri": f"/scans/p{i:07d}.jpg",
            "content_hash": f"{i:064d}", "meta": {"collection": "bench"}, "created_at": stamp}
            for i in range(n)])
        model_id = conn.execute(t.models.insert().values(
            name="bench", version=1, predictor="bench", params={}, artifacts={}, metrics={},
            card={}, created_at=stamp)).inserted_primary_key[0]
        run_id = conn.execute(t.runs.insert().values(
            model_id=model_id, status="done", engine="local", workers=1, query={}, planned=n,
            done=n, failed=0, started_at=stamp)).inserted_primary_key[0]
        rows = []
        for i in range(n):
            s = 0.5 + (i * 7919 % 1000) / 2000
            label = "blank" if i % 3 == 0 else "content"
            rows.append({"run_id": run_id, "model_id": model_id, "item_id": f"p{i:07d}",
                         "label": label, "labels": [label],
                         "scores": {label: s, ("content" if label == "blank" else "blank"): 1 - s},
                         "score": s, "created_at": stamp})
        conn.execute(t.predictions.insert(), rows)
    return ws


def naive_csv(ws: Workspace, out: Path) -> None:
    """The peer: load every prediction and item, then write."""
    t = ws.store.t
    with ws.store.read() as conn:
        rows = conn.execute(sa.select(t.predictions, t.items.c.uri, t.items.c.meta).join(
            t.items, t.items.c.item_id == t.predictions.c.item_id)).fetchall()
    data = [dict(r._mapping) for r in rows]
    buf = io.StringIO()
    w = csv.writer(buf)
    for d in data:
        w.writerow([d["item_id"], d["uri"], d["label"], d["score"], json.dumps(d["scores"])])
    out.write_text(buf.getvalue(), encoding="utf-8")


def peak(fn) -> float:  # type: ignore[no-untyped-def]
    tracemalloc.start()
    fn()
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top / 1e6


def main() -> None:
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in SIZES:
            ws = build(Path(tmp) / f"ws{n}", n)
            out = Path(tmp) / f"out{n}.csv"
            t_plan, t_export, c_plan, c_export = [], [], [], []
            for _ in range(REPEATS):
                t0, c0 = time.perf_counter(), time.process_time()
                plan(ws, dry_run=True)
                t_plan.append(time.perf_counter() - t0)
                c_plan.append(time.process_time() - c0)
                t0, c0 = time.perf_counter(), time.process_time()
                export(ws, "csv", out)
                t_export.append(time.perf_counter() - t0)
                c_export.append(time.process_time() - c0)
            results[str(n)] = {
                "dry_run_us_per_prediction": statistics.median(t_plan) / n * 1e6,
                "dry_run_cpu_us_per_prediction": statistics.median(c_plan) / n * 1e6,
                "export_csv_us_per_prediction": statistics.median(t_export) / n * 1e6,
                "export_csv_cpu_us_per_prediction": statistics.median(c_export) / n * 1e6,
                "export_csv_peak_mb": peak(lambda ws=ws, out=out: export(ws, "csv", out)),
                "naive_csv_peak_mb": peak(lambda ws=ws, out=out: naive_csv(ws, out)),
            }
            ws.close()
    small, large = (results[str(n)] for n in SIZES)
    print(json.dumps({
        "benchmark": "act dry run and CSV export, streamed",
        "sizes": list(SIZES), "repeats": REPEATS, "results": results,
        "peak_growth_streamed": large["export_csv_peak_mb"] / small["export_csv_peak_mb"],
        "peak_growth_naive": large["naive_csv_peak_mb"] / small["naive_csv_peak_mb"],
    }, indent=2))


if __name__ == "__main__":
    main()
