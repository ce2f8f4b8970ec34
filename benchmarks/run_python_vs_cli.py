"""``glamlab.inference.run`` from Python beside ``glamlab run`` on the same items: items/s.

Builds a text workspace from the language-identification dev texts of the shared data
(``$GLAMLAB_SHARED_DATA/language_id/dev/labels.csv``) repeated ``--copies`` times under
new ids (5 copies: 6,900 items), labels the first copy, trains ``lang-langid`` and lets
the verdict choose it; then predicts every item again (``force``) three ways, alternated,
``--repeats`` times, and prints one JSON document with the medians:

* ``python_in_process``: ``run(ws, force=True, workers=W)`` in this process, after one
  run that warmed it (a notebook's second run: imports and the model's files cached);
* ``python_fresh_process``: the same call in a new Python (``python -c``): what a script
  pays, imports and the model's first load included;
* ``cli``: ``glamlab run --force --workers W --json`` in a new process.

Items/s is items / wall-clock seconds of the call (of the process, for the last two),
beside ``reported`` (the run report's own ``items_per_s``). Runs of this model and
their predictions accumulate in the workspace, a temporary folder, removed at the end.

    GLAMLAB_SHARED_DATA=/path/to/data python benchmarks/run_python_vs_cli.py [--workers 2]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import glamlab  # noqa: E402
from glamlab.evaluation import evaluate, fit_baselines, model_candidates  # noqa: E402
from glamlab.inference import run  # noqa: E402
from glamlab.registry.training import train  # noqa: E402
from glamlab.tasks import import_labels, split_labels  # noqa: E402

LABELS = "ca,cs,cy,da,de,el,en,es,et,eu,fi,fr,ga,hu,is,it,la,nb,nl,pl,pt,ro,ru,sv"


def build(folder: Path, copies: int) -> Path:
    data = Path(os.environ.get("GLAMLAB_SHARED_DATA", ROOT.parent / "shared" / "data"))
    with (data / "language_id" / "dev" / "labels.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    texts, labels = folder / "texts.csv", folder / "labels.csv"
    with texts.open("w", newline="", encoding="utf-8") as t, \
            labels.open("w", newline="", encoding="utf-8") as g:
        tw, gw = csv.writer(t), csv.writer(g)
        tw.writerow(["id", "text", "source", "kind"])
        gw.writerow(["id", "label"])
        for copy in range(copies):
            for r in rows:
                tw.writerow([f"{r['id']}-r{copy}", r["path_or_text"], r["source"], r["kind"]])
                if copy == 0:
                    gw.writerow([f"{r['id']}-r0", r["label"]])
    ws = glamlab.Workspace.init(folder / "ws", task="language", modality="text",
                                labels=LABELS.split(","), need="benchmark")
    ws.ingest([str(texts)])
    import_labels(ws, str(labels))
    split_labels(ws, test_size=0.3)
    baselines, _ = fit_baselines(ws)
    train(ws, "lang-langid")
    evaluate(ws, baselines + model_candidates(ws))
    ws.close()
    return folder / "ws"


def in_process(root: Path, workers: int) -> tuple[int, float, float]:
    ws = glamlab.Workspace.open(root)
    t0 = time.perf_counter()
    report = run(ws, force=True, workers=workers)
    wall = time.perf_counter() - t0
    ws.close()
    return report.planned, wall, report.items_per_s


def fresh_process(root: Path, workers: int) -> tuple[int, float, float]:
    code = ("import json, glamlab\nfrom glamlab.inference import run\n"
            f"r = run(glamlab.Workspace.open({str(root)!r}), force=True, workers={workers})\n"
            "print(json.dumps(r.to_dict()))\n")
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True,
                         text=True, check=True).stdout
    wall = time.perf_counter() - t0
    d = json.loads(out)
    return d["planned"], wall, d["items_per_s"]


def cli(root: Path, workers: int) -> tuple[int, float, float]:
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "glamlab", "run", "--force", "--workers",
                          str(workers), "--json"], cwd=root, env=_env(), capture_output=True,
                         text=True, check=True).stdout
    wall = time.perf_counter() - t0
    d = json.loads(out)
    return d["planned"], wall, d["items_per_s"]


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT / "src"))


WAYS = {"python_in_process": in_process, "python_fresh_process": fresh_process, "cli": cli}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = build(Path(tmp), args.copies)
        in_process(root, args.workers)  # the warm-up run of the in-process way
        got: dict[str, list[tuple[float, float]]] = {w: [] for w in WAYS}
        items = 0
        for _ in range(args.repeats):
            for way, fn in WAYS.items():
                items, wall, reported = fn(root, args.workers)
                got[way].append((items / wall, reported))
    print(json.dumps({
        "benchmark": "glamlab run from Python vs the command line", "items": items,
        "predictor": "lang-langid", "workers": args.workers, "repeats": args.repeats,
        "cpu_count": os.cpu_count(), "load_avg": [round(x, 1) for x in os.getloadavg()],
        "results": {w: {"items_per_s_median": round(statistics.median(a for a, _ in v), 1),
                        "reported_items_per_s_median": round(
                            statistics.median(b for _, b in v), 1),
                        "items_per_s_runs": [round(a, 1) for a, _ in v]}
                    for w, v in got.items()},
    }, indent=2))


if __name__ == "__main__":
    main()
