"""Illustrations on digitised pages: F1 for ``graphic`` and pages/s, glamlab against
its peers, side by side in one process. Prints ONE JSON document.

    python benchmarks/illustrations.py                         # 5-fold CV by document
    python benchmarks/illustrations.py --train DIR --test DIR  # folders: labels.csv + images

Peers: ``rapid-layout`` zero-shot (a figure box means graphic) and ``effnet-logreg``
(EfficientNet-Lite0 embedding of the whole page squashed to 224 px + logistic
regression). ``glamlab`` is the predictor named by ``--glamlab`` (chosen after
cross-validation on the dev split, so the held-out split is the fair test); the other
glamlab heads are reported too. A ``graphic_bboxes_xywh`` column in ``labels.csv`` gives
the training pages' graphic boxes to ``graphic-windows`` (as ``item.meta["boxes"]``;
never read when predicting), and the page's book (``document_ark``) becomes
``item.meta["document"]``, which ``graphic-cascade`` uses to group the folds that learn
its hand-over on the training pages.

F1 comes with a 95% bootstrap interval over the test pages. pages/s is end to end and
cold: from the JPEG files to predictions, with an empty feature cache in every run
(nothing reused from cross-validation or an earlier run), the median of ``--repeats``
runs on ``--timing-pages`` test pages spread evenly over the test folder (so over its
books; in cross-validation, over the books of the first fold, every predictor fitted on
the other books, so that a cascade's hand-over meets pages it has not seen); every
predictor is fitted on the training pages first, and each process-wide
model (the network, its ONNX session) is loaded before the clock starts. The machine
is shared: ``cpu_s_per_page`` (the process's CPU time, every thread counted) and the
load average are reported beside the wall-clock rate, and ratios between predictors
of one run are the fair comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import dev_flag, shared_data  # noqa: E402
from _pages import (  # noqa: E402
    cross_val_scores,
    page_benchmark_args,
    parse_and_run,
    read_folder,
)

from glamlab.predictors.catalogue import create  # noqa: E402

SHARED = shared_data() / "illustrations" / "dev"
POSITIVE = "graphic"
PEERS = ["rapid-layout", "effnet-logreg"]
# graphic-windows: the illustrations predictor (dense EfficientNet-Lite0 windows trained
# from the graphic boxes when the labels have a graphic_bboxes_xywh column, soft vote with
# local-stats-gbm), chosen after cross-validation by book on the dev split, never on a
# test folder. graphic-cascade (local-stats-gbm decides the clear pages, graphic-windows
# the rest) is about 2.5 times as fast but a point lower: 0.892 / 0.867 / 0.904 against
# 0.895 / 0.899 / 0.904 on the same folds (seeds 0 / 1 / 2, session 32). A smaller
# hand-over tolerance does not make it the entry (session 48, CV of the dev split only;
# the rule, fixed before measuring: within 0.005 of graphic-windows on every seed with at
# most 38 % of pages sent on): tolerance 0.005 gives 0.893 / 0.878 / 0.902 (14 / 17 / 12 %
# of pages sent on) and 0.0025 gives 0.892 / 0.878 / 0.890 (15 / 22 / 16 %), against
# 0.892 / 0.867 / 0.904 (8 / 14 / 8 %) at the default 0.01. The int8 network
# (precision="int8": onnxruntime static QDQ, per-channel int8 weights, calibrated on the
# 29 bundled CREMMA pages) halves the network's CPU time (0.138 -> 0.064 CPU s per
# 1216 x 448 page, 2 threads) but is not the default (session 63, CV of the dev split only;
# the rule, fixed before measuring: no seed more than 0.005 below float): graphic-windows
# 0.894 / 0.890 / 0.887 against 0.895 / 0.899 / 0.904 (seeds 0 / 1 / 2)
GLAMLAB = "graphic-windows"
# the same predictor with other parameters, reported side by side under its own name:
# graphic-windows as it was before dense windows (one network pass per window), and
# graphic-windows / graphic-cascade with the int8 network
VARIANTS = {"graphic-windows-33-passes": ("graphic-windows", {"windows": "effnet"}),
            "graphic-windows-int8": ("graphic-windows", {"precision": "int8"}),
            "graphic-cascade-int8": ("graphic-cascade",
                                     {"stage_params": ({}, {"precision": "int8"})})}
HEADS = ["graphic-windows", "graphic-cascade", *VARIANTS, "local-stats-gbm", "page-stats-logreg",
         "page-stats-gbm", "stats-effnet-gbm", "effnet-tiles-logreg"]


def main() -> None:
    ap = page_benchmark_args(__doc__)
    ap.add_argument("--glamlab", default=GLAMLAB,
                    help="the glamlab predictor reported under the key 'glamlab'")
    ap.add_argument("--only", help="comma-separated predictor names (default: all)")
    ap.add_argument("--timing-pages", type=int, default=48)
    parse_and_run(ap, run)


def run(ap: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.train:
        train = read_folder(args.train)
        _with_books(train)
        items, labels, groups = read_folder(args.test)
        protocol = f"train on {args.train}, test on {args.test}"
        source = str(args.test)
    else:
        if not (SHARED / "labels.csv").exists():
            print(json.dumps({"error": f"dataset missing: {SHARED}"}))
            sys.exit(1)
        items, labels, groups = read_folder(SHARED)
        train = None
        protocol = f"{args.folds}-fold cross-validation grouped by document (seed 0)"
        source = str(SHARED)
    _with_books((items, labels, groups))
    classes = sorted(set(labels) | (set(train[1]) if train else set()))
    if POSITIVE not in classes:
        ap.error(f"the labels must include {POSITIVE!r}")
    names = [args.glamlab] + [n for n in HEADS + PEERS if n != args.glamlab]
    if args.only:
        keep = set(args.only.split(","))
        names = [n for n in names if n in keep]

    from sklearn.metrics import f1_score, precision_score, recall_score

    y = np.array([lab == POSITIVE for lab in labels])
    pos = classes.index(POSITIVE)
    results: dict[str, dict[str, object]] = {}
    if train:  # timed on the test folder, fitted on the training folder
        fit_items, fit_labels, pool = train[0], train[1], items
    else:  # timed on the books of one fold, fitted on the other books: a cascade's
        # hand-over then meets pages it was not fitted on, as in use
        from sklearn.model_selection import StratifiedGroupKFold

        fold_train, fold_test = next(StratifiedGroupKFold(args.folds, shuffle=True,
                                                          random_state=0)
                                     .split(np.zeros(len(items)), labels, groups))
        fit_items, fit_labels = [items[i] for i in fold_train], [labels[i] for i in fold_train]
        pool = [items[i] for i in fold_test]
    step = max(1, len(pool) // max(1, args.timing_pages))
    timing = pool[::step][: args.timing_pages]
    for name in names:
        base, params = VARIANTS.get(name, (name, {}))
        fitted = create(base, **params)  # fitted on pages the timed pages are not among
        fitted.fit(fit_items, fit_labels, classes=classes)
        if train:
            proba = fitted.predict_proba(items)
        else:
            proba = cross_val_scores(base, params, items, labels, groups, classes,
                                     folds=args.folds)
        pred = proba[:, pos] >= 0.5
        rate, cpu, load = cold_rate(fitted, timing, args.repeats)
        row = {"predictor": name,
               "f1_graphic": round(float(f1_score(y, pred)), 4),
               "f1_graphic_95": f1_interval(y, pred),
               "precision_graphic": round(float(precision_score(y, pred, zero_division=0)), 4),
               "recall_graphic": round(float(recall_score(y, pred)), 4),
               "pages_per_s": round(rate, 2),
               "cpu_s_per_page": round(cpu, 4),
               "load_during_timing": load}
        if hasattr(fitted, "decided_by"):  # a cascade: how many timed pages went on
            by = fitted.decided_by(timing)
            row["timed_pages_by_stage"] = {s: by.count(s) for s in dict.fromkeys(by)}
        results["glamlab" if name == args.glamlab else name] = row
        print(f"{name}: {row}", file=sys.stderr, flush=True)
    doc = {"benchmark": "illustrations", "data": source, "protocol": protocol,
           "pages": len(items), "positives": int(y.sum()),
           "timing": f"end to end from JPEG files, cold feature cache, median of {args.repeats} "
                     f"runs on {len(timing)} test pages, one process, {os.cpu_count()} cores "
                     "(shared: see load_during_timing)",
           **results}
    peers = [results[p]["f1_graphic"] for p in PEERS if p in results]
    if "glamlab" in results and peers:
        doc["glamlab_beats_every_peer"] = bool(results["glamlab"]["f1_graphic"] > max(peers))
    for other in ["graphic-windows", "graphic-cascade", *VARIANTS, *PEERS]:  # speed ratios
        if "glamlab" in results and other in results and other != args.glamlab:
            doc[f"glamlab_speed_vs_{other}"] = round(
                float(results["glamlab"]["pages_per_s"]) / float(results[other]["pages_per_s"]), 2)
    doc = {**dev_flag(args.test), **doc}
    print(json.dumps(doc, indent=2))


def _with_books(folder: tuple[list, list[str], list[str]]) -> None:
    """The page's book as ``item.meta["document"]`` (what a library's metadata says)."""
    for item, group in zip(folder[0], folder[2], strict=True):
        item.meta["document"] = group


def cold_rate(predictor: object, pages: list, repeats: int) -> tuple[float, float, list[float]]:
    """Median pages/s and CPU seconds per page over ``repeats`` cold runs (an empty
    feature cache each), and the load average before and after. Process-wide models
    are loaded by one warm-up call on one page outside the clock."""
    from glamlab.features import MemoryCache, feature_store

    with feature_store(MemoryCache()):
        predictor.predict_proba(pages[:1])  # type: ignore[attr-defined]
    load = [round(os.getloadavg()[0], 2)]
    rates, cpus = [], []
    for _ in range(repeats):
        with feature_store(MemoryCache()):
            t, c = time.perf_counter(), time.process_time()
            predictor.predict_proba(pages)  # type: ignore[attr-defined]
            rates.append(len(pages) / (time.perf_counter() - t))
            cpus.append((time.process_time() - c) / len(pages))
    load.append(round(os.getloadavg()[0], 2))
    return float(statistics.median(rates)), float(statistics.median(cpus)), load


def f1_interval(y: np.ndarray, pred: np.ndarray, n_boot: int = 2000) -> list[float]:
    """95% percentile-bootstrap interval of F1 over the pages."""
    from glamlab.evaluation.bootstrap import Resamples, interval

    S = np.column_stack([y & pred, ~y & pred, y & ~pred]).astype(np.float64)
    counts = Resamples(len(y), n_boot, seed=0) @ S
    f1 = 2 * counts[:, 0] / np.maximum(2 * counts[:, 0] + counts[:, 1] + counts[:, 2], 1)
    lo, hi = interval(f1)
    return [round(lo, 4), round(hi, 4)]


if __name__ == "__main__":
    main()
