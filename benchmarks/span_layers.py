"""The span-layer check of adding one entity (``POST /api/texts/ID/spans``,
:func:`glamlab.tasks.spans.complete.add_span`) at collection scale.

Builds (once, in ``--dir``) a SQLite entities workspace whose ``spans`` table holds
``--spans`` rows of the main layer, then ``--custom`` rows of a layer of its own
("quoted", as an imported file may bring) stored last. Times, median of ``--repeats``
each, in this process:

- ``distinct_layers_ms``: ``SELECT DISTINCT layer FROM spans``, what the check read before
  (``known_layers``: every span's layer);
- ``check_ms``: the check adding an entity makes now, per layer asked for (``entity``,
  ``nested``, ``quoted``, an unknown ``quote``): :func:`layer_known` where this glamlab
  has it, else ``layer in known_layers(...)`` (an older glamlab's check).

    python benchmarks/span_layers.py --dir /tmp/spans2m [--spans 2000000]
    PYTHONPATH=/path/to/other/src python benchmarks/span_layers.py --dir /tmp/spans2m
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.append(str(Path(__file__).resolve().parents[1] / "src"))

import sqlalchemy as sa  # noqa: E402

import glamlab  # noqa: E402
from glamlab import Workspace  # noqa: E402
from glamlab.tasks.spans import complete  # noqa: E402

CHUNK = 100_000
LAYERS_ASKED = ("entity", "nested", "quoted", "quote")


def build(root: Path, n: int, custom: int) -> Workspace:
    if (root / "glamlab.toml").exists():
        return Workspace.open(root)
    ws = Workspace.init(root, task="entities", kind="entities", modality="text",
                        labels=["PER", "LOC", "ORG"], need="benchmark")
    t = ws.store.t
    per_set = 20
    with ws.store.write() as conn:
        for start in range(0, n + custom, CHUNK):
            stop = min(n + custom, start + CHUNK)
            rows = [{"set_id": i // per_set + 1, "item_id": f"text-{i // per_set:07d}",
                     "layer": "entity" if i < n else "quoted", "char_start": 0,
                     "char_end": 5, "label": "PER", "text": "Ernst", "norm": "ernst",
                     "authority_id": None, "score": None, "attrs": {}}
                    for i in range(start, stop)]
            conn.execute(t.spans.insert(), rows)
        conn.exec_driver_sql("ANALYZE") if ws.store.is_sqlite else None
    return ws


def timed(fn: Any, repeats: int) -> float:
    ms = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(ms), 2)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True, help="workspace folder to build or reuse")
    ap.add_argument("--spans", type=int, default=2_000_000)
    ap.add_argument("--custom", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    t0 = time.perf_counter()
    ws = build(Path(args.dir), args.spans, args.custom)
    build_s = time.perf_counter() - t0
    t = ws.store.t.spans
    new = hasattr(complete, "layer_known")
    with ws.store.read() as conn:
        rows = conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
        distinct = timed(lambda: conn.execute(sa.select(t.c.layer).distinct()).all(),
                         args.repeats)
        checks: dict[str, Any] = {}
        for layer in LAYERS_ASKED:
            if new:
                answer = complete.layer_known(ws, conn, layer)
                checks[layer] = {"ms": timed(lambda lay=layer: complete.layer_known(
                    ws, conn, lay), args.repeats), "known": answer}
            else:
                answer = layer in complete.known_layers(ws, conn)
                checks[layer] = {"ms": timed(lambda lay=layer: lay in complete.known_layers(
                    ws, conn), args.repeats), "known": answer}
    ws.close()
    print(json.dumps({
        "benchmark": "span_layers", "database": "sqlite", "spans": rows,
        "build_s": round(build_s, 1),
        "glamlab_src": str(Path(glamlab.__file__).resolve().parent),
        "check": "layer_known" if new else "layer in known_layers",
        "distinct_layers_ms": distinct, "check_ms": checks, "repeats": args.repeats,
        "load_average_1min": round(os.getloadavg()[0], 1), "cpus": os.cpu_count(),
        "note": "medians of repeats, in one process, on a shared machine",
    }, indent=2))


if __name__ == "__main__":
    main()
