"""The cost of a web job's progress line (``glamlab.web.jobs.work``): the wall time of the
evaluate and policy jobs on a real project (the language_id dev texts, text-tfidf and
language trained), with the message written as the job goes (at most every second) and
without (only "started"), median of ``--repeat`` runs each, alternated after one warm-up
run of each kind; the out-of-fold predictions are fitted again in every run, as in a
project's first evaluation.

    PYTHONPATH=src GLAMLAB_SHARED_DATA=/work/shared/data \\
        python benchmarks/job_progress_overhead.py --workdir /tmp/x --repeat 3
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time
from pathlib import Path


def build(root: Path, data: Path) -> object:
    from glamlab import Workspace
    from glamlab.registry.training import train
    from glamlab.tasks import split_labels
    from glamlab.tasks.uploads import bring_in_table

    with open(data, newline="", encoding="utf-8") as fh:
        labels = sorted({r["label"] for r in csv.DictReader(fh)})
    ws = Workspace.init(root / "lang", task="language", modality="text", labels=labels,
                        need="Know each text's language.")
    # as an upload on the Items page brings it in: the texts, then their labels as gold
    bring_in_table(ws, data, id_column="id", text_column="path_or_text", label_column="label",
                   actor="bench")
    split_labels(ws, test_size=0.3, seed=0)
    for name in ("language", "text-tfidf"):
        spec = train(ws, name, reuse=True).model.spec
    from glamlab.inference import run
    from glamlab.registry.models import set_alias

    set_alias(ws, spec, "champion")  # the policy is worked out for it, on its predictions
    run(ws, spec, workers=1)
    return ws


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", type=Path, required=True)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--kinds", default="optimise,evaluate")
    ap.add_argument("--data", type=Path, default=Path(os.environ.get(
        "GLAMLAB_SHARED_DATA", "../shared/data")) / "language_id" / "dev" / "labels.csv")
    args = ap.parse_args()
    from glamlab.web import jobs

    ws = build(args.workdir, args.data)
    every_kind = {"evaluate": {}, "optimise": {"target_precision": 0.95,
                                               "model": "text-tfidf@champion"}}
    kinds = {k: every_kind[k] for k in args.kinds.split(",")}
    out: dict[str, dict[str, list[float]]] = {k: {"with": [], "without": []} for k in kinds}
    messages: dict[str, int] = {}
    original = jobs._set

    def cold() -> None:
        """Out-of-fold predictions fitted again, as the first evaluation of a project fits
        them (else every run after the first reads them from the caches)."""

        from glamlab.evaluation import calibration

        calibration._OOF_CACHE.clear()
        t = ws.store.t.report_cache  # type: ignore[attr-defined]
        with ws.store.write() as conn:  # type: ignore[attr-defined]
            conn.execute(t.delete().where(t.c.name.like("out-of-fold:%")))

    def once(kind: str, every: float | None) -> float:
        said: list[str] = []
        cold()

        def counted(ws_: object, job_id: int, **values: object) -> None:
            if "message" in values:
                said.append(str(values["message"]))
            original(ws_, job_id, **values)  # type: ignore[arg-type]

        jid = jobs.submit(ws, kind, "bench", kinds[kind])  # type: ignore[arg-type]
        job = jobs.get(ws, jid)  # type: ignore[arg-type]
        jobs._set = counted  # type: ignore[assignment]
        try:
            t0 = time.perf_counter()
            jobs.work(ws, job, every=every)  # type: ignore[arg-type]
            took = time.perf_counter() - t0
        finally:
            jobs._set = original  # type: ignore[assignment]
        original(ws, jid, status="done", message="finished")  # type: ignore[arg-type]
        if every is not None:
            messages[kind] = len(said)
        print(kind, "with" if every else "without", f"{took:.1f} s", len(said), "messages",
              file=sys.stderr, flush=True)
        return took

    for kind in kinds:
        print(kind, "warm-up", file=sys.stderr, flush=True)
        once(kind, 1.0)  # warm-up: caches, the test split frozen
        for _ in range(args.repeat):
            out[kind]["with"].append(once(kind, 1.0))
            out[kind]["without"].append(once(kind, None))
    report = {}
    for kind, t in out.items():
        w, wo = statistics.median(t["with"]), statistics.median(t["without"])
        report[kind] = {"with_s": [round(x, 2) for x in t["with"]],
                        "without_s": [round(x, 2) for x in t["without"]],
                        "median_with_s": round(w, 2), "median_without_s": round(wo, 2),
                        "ratio": round(w / wo, 3), "messages_written": messages.get(kind)}
    print(json.dumps({"items": ws.count_items(), **report}, indent=1))  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
