"""Evaluation speed and report offline-ness, printed as ONE JSON document.

    python benchmarks/evaluate.py            # 10k items x 1,000 resamples, 5 runs
    python benchmarks/evaluate.py --quick    # 3 runs

Keys (targets in brackets):
  bootstrap_10k_s              95% intervals of every single-label headline metric, 10k test
                               items x 1,000 resamples, median of runs                 [< 2 s]
  bootstrap_10k_multilabel_s   the same for a 20-label multi-label task (F1, P@k, R@k, NDCG)
  paired_bootstrap_10k_s       one paired comparison (difference + p-value), 10k x 1,000
  slices_10k_8_values_s        one metadata field with 8 values: per-slice intervals and tests
  naive_loop_10k_s_estimated   peer: a Python loop of scikit-learn f1_score over resamples,
                               timed on 50 resamples and scaled to 1,000
  speedup_vs_naive_loop        naive estimate / bootstrap_10k_s
  report_references_network    whether the HTML report of a real evaluation (bundled language
                               sample) references any http(s) resource               [false]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np

from glamlab.evaluation.bootstrap import bootstrap_ci, paired_bootstrap
from glamlab.tasks.kinds import classification_metrics as M

NETWORK_REF = re.compile(r"""(src|href|xlink:href|action)\s*=\s*["']?\s*(https?:)?//|"""
                         r"""url\(\s*["']?\s*(https?:)?//|@import""", re.I)


def _timed(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _single(sums, n, k):
    return M.single_label_metrics(sums, n, k)


def bench_bootstrap(runs: int) -> dict[str, float]:
    rng = np.random.default_rng(0)
    n, k, B = 10_000, 5, 1000
    t = rng.integers(0, k, n)
    p_a = np.where(rng.random(n) < 0.8, t, rng.integers(0, k, n))
    p_b = np.where(rng.random(n) < 0.85, t, rng.integers(0, k, n))
    S_a = M.single_label_stats(t, p_a, k)
    S_b = M.single_label_stats(t, p_b, k)
    reduce = partial(_single, k=k)
    names = ["accuracy", "f1_macro", "f1_micro", "f1_weighted"]
    single = _timed(lambda: bootstrap_ci(S_a, reduce, names, n_boot=B, seed=1), runs)
    paired = _timed(lambda: paired_bootstrap(S_a, S_b, reduce, "f1_macro", n_boot=B, seed=1),
                    runs)

    L = 20
    Y = (rng.random((n, L)) < 0.15).astype(np.int8)
    scores = np.clip(Y * 0.4 + rng.random((n, L)) * 0.6, 0, 1)
    ks = M.KS

    def multi() -> None:
        S = M.multi_label_stats(Y, scores, 0.5, ks)
        bootstrap_ci(S, lambda s, m: M.multi_label_metrics(s, m, L, ks, 5),
                     ["f1_samples", "precision_at_k", "recall_at_k", "ndcg_at_k"], n_boot=B,
                     seed=1)

    multi_s = _timed(multi, runs)

    from glamlab.evaluation.bootstrap import slice_metrics

    groups = [str(g) for g in rng.integers(0, 8, n)]
    slices_s = _timed(lambda: slice_metrics(S_a, reduce, "f1_macro", groups, n_boot=B), runs)

    from sklearn.metrics import f1_score

    def naive(resamples: int) -> None:
        r = np.random.default_rng(1)
        for _ in range(resamples):
            idx = r.integers(0, n, n)
            f1_score(t[idx], p_a[idx], average="macro")

    naive_50 = _timed(lambda: naive(50), 1)
    naive_est = naive_50 * (B / 50)
    return {"bootstrap_10k_s": round(single, 4), "bootstrap_10k_multilabel_s": round(multi_s, 4),
            "paired_bootstrap_10k_s": round(paired, 4),
            "slices_10k_8_values_s": round(slices_s, 4),
            "naive_loop_10k_s_estimated": round(naive_est, 3),
            "speedup_vs_naive_loop": round(naive_est / single, 1) if single else None}


def bench_report() -> dict[str, object]:
    from glamlab import Workspace
    from glamlab.demo import demo_data, project
    from glamlab.evaluation import evaluate, fit_baselines
    from glamlab.reports.evaluation import write_report
    from glamlab.tasks import import_labels, split_labels

    with tempfile.TemporaryDirectory() as d:
        p = project("language")
        ws = Workspace.init(Path(d) / "ws", **p.init)
        try:
            ws.ingest(p.ingest, **p.ingest_options)
            import_labels(ws, demo_data("language") / "texts.csv")
            split_labels(ws, test_size=0.3, seed=0)
            cands, _ = fit_baselines(ws, save=False)
            t = time.perf_counter()
            result = evaluate(ws, cands, store=False)
            evaluate_s = time.perf_counter() - t
            path = write_report(result, Path(d) / "report.html")
            html = path.read_text(encoding="utf-8")
        finally:
            ws.close()
    refs = [m.group(0) for m in NETWORK_REF.finditer(html)]
    return {"report_references_network": bool(refs), "report_network_refs": refs[:5],
            "report_has_script": "<script" in html.lower(), "report_bytes": len(html),
            "report_svg_plots": html.count("<svg"),
            "evaluate_language_sample_s": round(evaluate_s, 3),
            "language_sample_test_items": result.test_items}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer runs")
    args = ap.parse_args()
    runs = 3 if args.quick else 5
    out: dict[str, object] = {"runs": runs, "cpus": os.cpu_count(),
                              "load_average_1m": round(os.getloadavg()[0], 2)}
    out.update(bench_bootstrap(runs))
    out.update(bench_report())
    out["bootstrap_10k_under_2s"] = out["bootstrap_10k_s"] < 2.0  # type: ignore[operator]
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
