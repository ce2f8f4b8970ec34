"""Blank pages before paid OCR: F1 for ``blank``, recall of ``content`` and pages/s for
glamlab and its peers, measured in one run. Prints ONE JSON document.

    python benchmarks/blank_pages.py                         # CV by document on the shared set
    python benchmarks/blank_pages.py --train DIR --test DIR  # folders: labels.csv + images

Folders hold ``labels.csv`` (``id``, ``path_or_text`` or ``path``, ``label`` in
``blank`` / ``content``, and ``document`` as the group) and the images.

Who is measured (the same pages, the same process):

- ``glamlab``: ``blank-ink`` (ink evidence + a monotone logistic regression), judged by
  its DECISION: a page counts as blank only where the model withholds it, i.e. its
  probability reaches the threshold it chose on the training pages alone (a margin
  above the most blank-looking training content page). Pages it sends to review count
  as content (they are sent to OCR until a person says otherwise); their share is
  ``review_share``. Nothing about glamlab is chosen on the test pages.
- ``tesseract``: "just ask the OCR" (``tesseract-blank``): blank when Tesseract reads
  fewer than N letters or digits, N tuned on the training pages (best F1 for blank).
- ``rapidocr``: RapidOCR's text detector (``rapidocr-blank``): no text box means blank.
- ``threshold``: the dark-pixel ratio (``threshold``, share of pixels darker than mid
  grey), its cut tuned on the training pages.
- ``page_stats_logreg``: glamlab's older page-statistics head, for reference.

Without folders: cross-validation grouped by document (``--folds``, every seed in
``--seeds``) on ``../shared/data/blank_pages/dev``: DEVELOPMENT figures (the design of
glamlab's features was developed on that set). ``f1_blank`` and ``recall_content``
are then the mean over seeds (each seed's figures are under ``per_seed``).

Pages/s: end to end from JPEG files on disk (each file evicted from the OS page cache
with ``posix_fadvise`` before each run, and a fresh feature cache), median of
``--repeats`` runs (each run times every predictor in turn, so a change of load touches
all of them), on ``--cores`` cores (process affinity); glamlab on every test page, the
OCR peers on ``--slow-pages`` of them; ``cpu_ms_per_page`` counts the CPU time of all
threads and child processes (Tesseract runs as one). ``speedup_vs_tesseract`` is the ratio of
the medians. The machine's load average is reported before and after: the machine may
be shared, so compare the ratios, which come from the same run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import dev_flag, shared_data  # noqa: E402
from _pages import page_benchmark_args, parse_and_run, read_folder  # noqa: E402

from glamlab.items import Item  # noqa: E402
from glamlab.predictors.catalogue import create  # noqa: E402

DATA = shared_data()
BLANK_DEV = DATA / "blank_pages" / "dev"
CLASSES = ["blank", "content"]
GLAMLAB = "blank-ink"
REFERENCE = "page-stats-logreg"
PEER_CACHE = Path(__file__).resolve().parents[1] / ".bench" / "blank_pages_peers.json"


def main() -> None:
    ap = page_benchmark_args(__doc__ or "")
    ap.add_argument("--seeds", default="0,1,2", help="CV seeds (comma-separated)")
    ap.add_argument("--slow-pages", type=int, default=12, help="pages timed for the OCR peers")
    ap.add_argument("--cores", type=int, default=2,
                    help="run on this many CPU cores (process affinity; 0 = all)")
    ap.add_argument("--peer-cache", type=Path, default=PEER_CACHE,
                    help="JSON file keeping Tesseract's and RapidOCR's raw outputs per page "
                         "(letters read, text boxes) between runs; timings are never cached")
    ap.add_argument("--no-peers", action="store_true", help="glamlab only (development)")
    parse_and_run(ap, run)


# -- helpers ------------------------------------------------------------------------------
def f1_recall(y: np.ndarray, blank: np.ndarray) -> tuple[float, float]:
    """F1 of ``blank`` and recall of ``content`` from gold ``y`` (1 = blank)."""
    tp = int((blank & (y == 1)).sum())
    fp = int((blank & (y == 0)).sum())
    fn = int((~blank & (y == 1)).sum())
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    content = int((y == 0).sum())
    recall = int((~blank & (y == 0)).sum()) / content if content else 1.0
    return f1, recall


def folds_of(labels: list[str], groups: list[str], folds: int, seed: int) -> list[tuple[
        np.ndarray, np.ndarray]]:
    from sklearn.model_selection import StratifiedGroupKFold

    split = StratifiedGroupKFold(folds, shuffle=True, random_state=seed)
    return list(split.split(np.zeros(len(labels)), labels, groups))


def evict(items: list[Item]) -> None:
    """Drop the files from the OS page cache, so the next read comes from disk."""
    for it in items:
        if not it.uri or not hasattr(os, "posix_fadvise"):
            continue
        try:
            fd = os.open(it.uri, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def _cpu() -> float:
    t = os.times()  # this process and its finished children (Tesseract runs as one)
    return t.user + t.system + t.children_user + t.children_system


def timed_run(predict: Any, pages: list[Item]) -> tuple[float, float]:
    """One cold run of ``predict(pages)``: pages/s, and CPU milliseconds per page (this
    process's threads and its finished child processes, e.g. Tesseract: a measure the
    machine's load inflates less than the wall clock)."""
    from glamlab.features import MemoryCache, feature_store

    evict(pages)
    with feature_store(MemoryCache()):
        c, t = _cpu(), time.perf_counter()
        predict(pages)
        wall = time.perf_counter() - t
        return len(pages) / wall, (_cpu() - c) / len(pages) * 1000


class PeerCache:
    """Raw peer outputs per page (letters Tesseract reads, RapidOCR's text boxes), kept
    in a JSON file keyed by peer, item id and content hash."""

    def __init__(self, path: Path | None):
        self.path = path
        self.data: dict[str, dict[str, float]] = {}
        if path and path.exists():
            self.data = json.loads(path.read_text())

    def values(self, peer: str, items: list[Item], compute: Any) -> np.ndarray:
        table = self.data.setdefault(peer, {})
        out = np.zeros(len(items))
        todo = [i for i, it in enumerate(items) if f"{it.item_id}:{it.content_hash}" not in table]
        for n, i in enumerate(todo, start=1):
            table[f"{items[i].item_id}:{items[i].content_hash}"] = float(compute(items[i]))
            if n % 10 == 0 or n == len(todo):
                print(f"{peer}: {n}/{len(todo)} pages", file=sys.stderr, flush=True)
                self.save()
        for i, it in enumerate(items):
            out[i] = table[f"{it.item_id}:{it.content_hash}"]
        return out

    def save(self) -> None:
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.data))
            tmp.replace(self.path)


def _count(score: float) -> float:
    """Letters (or boxes) back from a zero-shot score 0.5 ** count (min_* = 1)."""
    return math.inf if score <= 0 else -math.log2(min(score, 1.0))


def tesseract_letters(item: Item) -> float:
    p = create("tesseract-blank", min_chars=1).fit([item], ["blank"], classes=CLASSES)
    return _count(float(p.predict_proba([item])[0, 0]))


_RAPID: dict[str, Any] = {}


def rapidocr_boxes(item: Item) -> float:
    if "p" not in _RAPID:
        _RAPID["p"] = create("rapidocr-blank", min_boxes=1).fit([item], ["blank"],
                                                                 classes=CLASSES)
    return _count(float(_RAPID["p"].predict_proba([item])[0, 0]))


def tune_letters(letters: np.ndarray, y: np.ndarray) -> int:
    """N (blank when fewer than N letters) with the best F1 for blank on training pages;
    ties go to the better recall of content, then the smaller N."""
    finite = letters[np.isfinite(letters)]
    candidates = sorted({1, *(int(v) + 1 for v in finite if v < 10_000)})
    best = (-1.0, -1.0, 0)
    for n in candidates:
        f1, rc = f1_recall(y, letters < n)
        if (f1, rc) > best[:2]:
            best = (f1, rc, n)
    return best[2]


# -- the run --------------------------------------------------------------------------------
def run(ap: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    doc: dict[str, Any] = {"benchmark": "blank_pages"}
    if args.cores and hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))[:args.cores]
        os.sched_setaffinity(0, set(cpus))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    doc["machine"] = {"cores_used": cores, "cpu_count": os.cpu_count(),
                      "load_before": [round(v, 2) for v in os.getloadavg()]}
    seeds = [int(s) for s in str(args.seeds).split(",") if s.strip()]
    if args.train:
        train = read_folder(args.train)
        test = read_folder(args.test)
        doc["data"] = (f"train on {args.train} ({len(train[0])} pages), test on {args.test} "
                       f"({len(test[0])} pages)")
        doc["figures"] = "held-out: glamlab and the peers are tuned on the training folder only"
        items, labels, groups = train[0] + test[0], train[1] + test[1], train[2] + test[2]
        n_train = len(train[0])
        splits = {0: [(np.arange(n_train), np.arange(n_train, len(items)))]}
        test_idx = np.arange(n_train, len(items))
    else:
        if not (BLANK_DEV / "labels.csv").exists():
            ap.error(f"{BLANK_DEV} does not exist: give --train DIR --test DIR")
        items, labels, groups = read_folder(BLANK_DEV)
        doc["data"] = (f"{BLANK_DEV} ({len(items)} pages, {len(set(groups))} documents), "
                       f"{args.folds}-fold cross-validation grouped by document, seeds {seeds}")
        doc["figures"] = ("DEVELOPMENT figures: glamlab's features were designed on this set; "
                          "per fold, everything is fitted and tuned on the training folds only")
        splits = {s: folds_of(labels, groups, args.folds, s) for s in seeds}
        test_idx = np.arange(len(items))
    bad = sorted(set(labels) - set(CLASSES))
    if bad:
        ap.error(f"the labels must be 'blank' and 'content', not {bad}")
    y = np.array([lab == "blank" for lab in labels], dtype=int)

    # raw peer outputs: computed once per page (cached), tuned per training fold
    peers = not args.no_peers
    cache = PeerCache(args.peer_cache)
    letters = cache.values("tesseract", items, tesseract_letters) if peers else None
    boxes = cache.values("rapidocr", items, rapidocr_boxes) if peers else None

    per_seed: dict[str, list[dict[str, Any]]] = {}

    def record(key: str, seed: int, blank: np.ndarray, extra: dict[str, Any] | None = None
               ) -> None:
        f1, rc = f1_recall(y[test_idx], blank[test_idx])
        per_seed.setdefault(key, []).append({"seed": seed, "f1_blank": round(f1, 4),
                                             "recall_content": round(rc, 4), **(extra or {})})
        print(f"seed {seed} {key}: f1_blank={f1:.4f} recall_content={rc:.4f} {extra or ''}",
              file=sys.stderr, flush=True)

    for seed, folds in splits.items():
        blank = {k: np.zeros(len(items), dtype=bool) for k in
                 ("glamlab", "glamlab_argmax", REFERENCE, "threshold", "tesseract", "rapidocr")}
        review = np.zeros(len(items), dtype=bool)
        thresholds, tuned_n = [], []
        for tr, te in folds:
            tr_items, tr_labels = [items[i] for i in tr], [labels[i] for i in tr]
            te_items = [items[i] for i in te]
            g = create(GLAMLAB, seed=seed).fit(tr_items, tr_labels, classes=CLASSES)
            p = g.blank_probability(te_items)
            blank["glamlab"][te] = p >= g.threshold_
            blank["glamlab_argmax"][te] = p >= 0.5
            review[te] = (p >= 0.5) & (p < g.threshold_)
            thresholds.append(round(g.threshold_, 4))
            ref = create(REFERENCE).fit(tr_items, tr_labels, classes=CLASSES)
            blank[REFERENCE][te] = ref.predict_proba(te_items)[:, 0] >= 0.5
            thr = create("threshold").fit(tr_items, tr_labels, classes=CLASSES)
            blank["threshold"][te] = thr.predict_proba(te_items)[:, 0] >= 0.5
            if peers:
                assert letters is not None and boxes is not None
                n = tune_letters(letters[tr], y[tr])
                tuned_n.append(n)
                blank["tesseract"][te] = letters[te] < n
                blank["rapidocr"][te] = boxes[te] < 1
        record("glamlab", seed, blank["glamlab"],
               {"review_share": round(float(review[test_idx].mean()), 4),
                "thresholds": thresholds})
        record("glamlab_argmax", seed, blank["glamlab_argmax"])
        record(REFERENCE, seed, blank[REFERENCE])
        record("threshold", seed, blank["threshold"])
        if peers:
            record("tesseract", seed, blank["tesseract"], {"min_letters": tuned_n})
            record("rapidocr", seed, blank["rapidocr"])
        missed = [items[i].item_id for i in test_idx if blank["glamlab"][i] and y[i] == 0]
        if missed:
            per_seed["glamlab"][-1]["content_called_blank"] = missed

    # throughput: the test pages, cold caches, the same process
    timing_pages = [items[i] for i in test_idx]
    fitted = create(GLAMLAB).fit([items[i] for i in splits[next(iter(splits))][0][0]],
                                 [labels[i] for i in splits[next(iter(splits))][0][0]],
                                 classes=CLASSES)
    ref = create(REFERENCE).fit(timing_pages, [labels[i] for i in test_idx], classes=CLASSES)
    thr = create("threshold").fit(timing_pages, [labels[i] for i in test_idx], classes=CLASSES)
    timed: list[tuple[str, Any, list[Item]]] = [("glamlab", fitted.predict, timing_pages),
                                                (REFERENCE, ref.predict, timing_pages),
                                                ("threshold", thr.predict, timing_pages)]
    if peers:
        rng = np.random.default_rng(0)
        slow = [timing_pages[i] for i in sorted(rng.choice(
            len(timing_pages), min(args.slow_pages, len(timing_pages)), replace=False))]
        for key, name in (("tesseract", "tesseract-blank"), ("rapidocr", "rapidocr-blank")):
            peer = create(name).fit(slow[:2], CLASSES, classes=CLASSES)
            peer.predict(slow[:1])  # load the engine outside the timing
            timed.append((key, peer.predict, slow))
    # repeats outside, predictors inside: a change of load during the run touches all
    runs: dict[str, list[tuple[float, float]]] = {key: [] for key, _, _ in timed}
    for r in range(args.repeats):
        for key, predict, pages in timed:
            runs[key].append(timed_run(predict, pages))
            print(f"run {r} {key}: {runs[key][-1][0]:.2f} pages/s", file=sys.stderr,
                  flush=True)
    rates: dict[str, tuple[float, list[float], float]] = {
        key: (float(statistics.median(v[0] for v in got)), [round(v[0], 2) for v in got],
              round(float(statistics.median(v[1] for v in got)), 2))
        for key, got in runs.items()}

    def summary(key: str, predictor: str) -> dict[str, Any]:
        rows = per_seed[key]
        out: dict[str, Any] = {
            "predictor": predictor,
            "f1_blank": round(statistics.mean(r["f1_blank"] for r in rows), 4),
            "recall_content": round(statistics.mean(r["recall_content"] for r in rows), 4),
        }
        if len(rows) > 1:
            out["f1_blank_min"] = min(r["f1_blank"] for r in rows)
            out["recall_content_min"] = min(r["recall_content"] for r in rows)
        if key in rates:
            out["pages_per_s"] = round(rates[key][0], 2)
            out["pages_per_s_runs"] = rates[key][1]
            out["cpu_ms_per_page"] = rates[key][2]
        out["per_seed"] = rows
        return out

    doc["glamlab"] = summary("glamlab", f"{GLAMLAB} (decision with its margin)")
    doc["glamlab"]["review_share"] = round(statistics.mean(
        r["review_share"] for r in per_seed["glamlab"]), 4)
    doc["glamlab_argmax"] = summary("glamlab_argmax", f"{GLAMLAB} at probability 0.5 "
                                                      "(no margin; for reference)")
    doc["page_stats_logreg"] = summary(REFERENCE, REFERENCE)
    doc["threshold"] = summary("threshold", "threshold (dark-pixel ratio)")
    if peers:
        doc["tesseract"] = summary("tesseract", "tesseract-blank (fewer than N letters; N "
                                                "tuned on the training pages)")
        doc["rapidocr"] = summary("rapidocr", "rapidocr-blank (no text box)")
        doc["speedup_vs_tesseract"] = round(rates["glamlab"][0] / rates["tesseract"][0], 1)
        doc["speedup_vs_rapidocr"] = round(rates["glamlab"][0] / rates["rapidocr"][0], 1)
    doc["timing"] = (f"end to end from JPEG files evicted from the OS page cache, fresh feature "
                     f"cache; median of {args.repeats} runs (each run times every predictor "
                     f"in turn) on {cores} core(s); glamlab and "
                     f"the threshold on {len(timing_pages)} pages, the OCR peers on "
                     f"{min(args.slow_pages, len(timing_pages))}")
    doc["machine"]["load_after"] = [round(v, 2) for v in os.getloadavg()]
    doc = {**dev_flag(args.test), **doc}
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
