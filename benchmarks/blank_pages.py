"""Blank pages before paid OCR: F1 for ``blank``, recall of ``content``, pages/s, and
the fast path's speed-up over asking Tesseract. Prints ONE JSON document.

    python benchmarks/blank_pages.py                         # CV by book on the shared set
    python benchmarks/blank_pages.py --train DIR --test DIR  # folders: labels.csv + images

Labels are ``blank`` / ``content``. There is no shared blank-page dataset yet
(``../shared/data/blank_pages/dev`` is absent: no source with real blank pages and
reliable labels could be obtained), so without folders the quality keys are null and
the JSON says the dataset is missing; nothing is made up. Throughput does not need
labels: it is measured on real page scans (the shared illustrations set, 1200 px
JPEGs) for the fast path (``page-stats-logreg``: reduced JPEG decoding + page
statistics + logistic regression) and for its peers, Tesseract and RapidOCR's text
detector, in the same process; ``speedup_vs_tesseract`` is the ratio of the medians.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _pages import (  # noqa: E402
    cross_val_scores,
    page_benchmark_args,
    pages_per_s,
    parse_and_run,
    read_folder,
    train_test_scores,
)

from glamlab.predictors.catalogue import create  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
BLANK_DEV = DATA / "blank_pages" / "dev"
TIMING_PAGES = DATA / "illustrations" / "dev"
FAST = "page-stats-logreg"
PEERS = ["tesseract-blank", "rapidocr-blank"]
OTHERS = ["page-stats-gbm"]


def main() -> None:
    ap = page_benchmark_args(__doc__)
    ap.add_argument("--fast-pages", type=int, default=120, help="pages timed for the fast path")
    ap.add_argument("--slow-pages", type=int, default=12, help="pages timed for OCR peers")
    parse_and_run(ap, run)


def run(ap: argparse.ArgumentParser, args: argparse.Namespace) -> None:

    doc: dict[str, object] = {"benchmark": "blank_pages"}
    labelled = None
    if args.train:
        labelled = ("split", read_folder(args.train), read_folder(args.test))
        doc["data"] = f"train on {args.train}, test on {args.test}"
    elif (BLANK_DEV / "labels.csv").exists():
        labelled = ("cv", None, read_folder(BLANK_DEV))
        doc["data"] = f"{BLANK_DEV}, {args.folds}-fold cross-validation grouped by book"
    else:
        doc["data"] = None
        doc["dataset_missing"] = (f"{BLANK_DEV} does not exist: no labelled blank-page set, so "
                                  "f1_blank and recall_content are null (not measured)")

    from sklearn.metrics import f1_score, recall_score

    names = [FAST, *OTHERS, *PEERS]
    quality: dict[str, tuple[float | None, float | None]] = {n: (None, None) for n in names}
    if labelled:
        kind, train, (items, labels, groups) = labelled
        classes = sorted(set(labels) | (set(train[1]) if train else set()))
        if "blank" not in classes or "content" not in classes:
            ap.error("the labels must be 'blank' and 'content'")
        y = np.array(labels)
        for name in names:
            if kind == "cv" and create(name).needs_fit:
                proba = cross_val_scores(name, {}, items, labels, groups, classes, args.folds)
            elif create(name).needs_fit:
                proba = train_test_scores(name, {}, (train[0], train[1]), items, classes)
            else:
                p = create(name).fit(items[:2], labels[:2], classes=classes)
                proba = p.predict_proba(items)
            pred = np.array(classes)[proba.argmax(axis=1)]
            quality[name] = (float(f1_score(y, pred, pos_label="blank")),
                             float(recall_score(y, pred, pos_label="content")))
            print(f"{name}: f1_blank={quality[name][0]:.4f} "
                  f"recall_content={quality[name][1]:.4f}", file=sys.stderr, flush=True)

    # throughput on real scans (labels not needed)
    pages, page_labels, _ = read_folder(TIMING_PAGES)
    doc["timing"] = (f"real 1200 px JPEG scans from {TIMING_PAGES}; cold feature cache; median "
                     f"of {args.repeats} runs; fast path on {args.fast_pages} pages, OCR peers "
                     f"on {args.slow_pages}; one process on a shared 2-core machine")
    rates: dict[str, float] = {}
    for name in names:
        p = create(name)
        if p.needs_fit:  # a real head, fitted on real labels of another task: timing only
            p.fit(pages, page_labels)
        else:
            p.fit(pages[:2], ["blank", "content"], classes=["blank", "content"])
        n = args.fast_pages if p.needs_fit else args.slow_pages
        repeats = args.repeats
        rates[name] = pages_per_s(p.predict_proba, pages[:n], repeats)
        print(f"{name}: {rates[name]:.2f} pages/s", file=sys.stderr, flush=True)

    def row(name: str) -> dict[str, object]:
        f1, rc = quality[name]
        return {"predictor": name,
                "f1_blank": None if f1 is None else round(f1, 4),
                "recall_content": None if rc is None else round(rc, 4),
                "pages_per_s": round(rates[name], 2)}

    doc["glamlab"] = row(FAST)
    for name in OTHERS + PEERS:
        doc[name] = row(name)
    doc["speedup_vs_tesseract"] = round(rates[FAST] / rates["tesseract-blank"], 1)
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
