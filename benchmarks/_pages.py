"""Shared by the page benchmarks: read a folder in the shared data layout, time
predictors, cross-validate by group. Not a benchmark itself (no JSON of its own)."""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import statistics
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from glamlab.items import Item
from glamlab.predictors.catalogue import create


@contextlib.contextmanager
def feature_db(path: Path | None) -> Iterator[None]:
    """Cache features in a SQLite store at ``path`` (reused by later runs; values are
    keyed by extractor version and page content hash), or in memory when None."""
    if path is None:
        yield
        return
    from glamlab.features import feature_store
    from glamlab.store import Store

    store = Store(f"sqlite:///{path.resolve()}")
    try:
        with feature_store(store):
            yield
    finally:
        store.dispose()


def page_benchmark_args(doc: str) -> argparse.ArgumentParser:
    """The options both page benchmarks take: ``--train``/``--test`` folders (or
    cross-validation on the shared dev set), ``--folds``, ``--repeats``, ``--feature-db``."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--train", type=Path)
    ap.add_argument("--test", type=Path)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--feature-db", type=Path,
                    help="SQLite file caching features between runs (default: in memory)")
    return ap


def parse_and_run(ap: argparse.ArgumentParser,
                  run: Callable[[argparse.ArgumentParser, argparse.Namespace], None]) -> None:
    """Parse, check that --train and --test come together, and run with the feature cache."""
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=UserWarning)
    if bool(args.train) != bool(args.test):
        ap.error("give both --train and --test, or neither")
    with feature_db(args.feature_db):
        run(ap, args)


def read_folder(folder: Path) -> tuple[list[Item], list[str], list[str]]:
    """Items, labels and groups (document / book) from ``labels.csv`` + images. A
    ``graphic_bboxes_xywh`` (or ``boxes``) column becomes ``item.meta["boxes"]``: box
    supervision that window-level predictors learn from (never read when predicting)."""
    with open(folder / "labels.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    items, labels, groups = [], [], []
    for r in rows:
        path = folder / (r.get("path_or_text") or r.get("path") or "")
        size = path.stat().st_size if path.exists() else 0
        meta = {}
        boxes = r.get("graphic_bboxes_xywh") or r.get("boxes")
        if boxes is not None:  # training supervision for window-level predictors
            meta["boxes"] = json.loads(boxes) if boxes.strip() else []
        items.append(Item(r["id"], "image", uri=str(path), content_hash=f"{r['id']}:{size}",
                          meta=meta))
        labels.append(r["label"])
        group = (r.get("document_ark") or r.get("document") or r.get("book")
                 or r.get("source") or r["id"].rsplit("_", 1)[0])
        groups.append(group)
    return items, labels, groups


def cross_val_scores(name: str, params: dict[str, Any], items: list[Item], labels: list[str],
                     groups: list[str], classes: list[str], folds: int = 5,
                     seed: int = 0) -> np.ndarray:
    """Out-of-fold probabilities ``(n, len(classes))``, folds grouped by document."""
    from sklearn.model_selection import StratifiedGroupKFold

    out = np.zeros((len(items), len(classes)))
    split = StratifiedGroupKFold(folds, shuffle=True, random_state=seed)
    for train, test in split.split(np.zeros(len(items)), labels, groups):
        p = create(name, **params)
        p.fit([items[i] for i in train], [labels[i] for i in train], classes=classes)
        out[test] = p.predict_proba([items[i] for i in test])
    return out


def train_test_scores(name: str, params: dict[str, Any], train: tuple[list[Item], list[str]],
                      test: list[Item], classes: list[str]) -> np.ndarray:
    p = create(name, **params)
    p.fit(train[0], train[1], classes=classes)
    return p.predict_proba(test)


def pages_per_s(predict: Callable[[Sequence[Item]], Any], pages: list[Item],
                repeats: int) -> float:
    """Median pages/s of ``predict`` over ``repeats`` cold runs (each with an empty
    feature cache of its own, so nothing is reused from cross-validation)."""
    from glamlab.features import MemoryCache, feature_store

    rates = []
    for _ in range(repeats):
        with feature_store(MemoryCache()):
            t = time.perf_counter()
            predict(pages)
            rates.append(len(pages) / (time.perf_counter() - t))
    return float(statistics.median(rates))

