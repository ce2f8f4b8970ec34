"""Language identification: glamlab's combined predictor against each peer package.

    python benchmarks/language.py                       # ../shared/data/language_id/dev, 5-fold CV
    python benchmarks/language.py --train DIR --test DIR

Folders follow the ../shared/data layout (``labels.csv`` with ``path_or_text``, ``label``,
``kind``). With one folder, glamlab's weights are learned on four folds and scored on the
fifth (stratified by label and kind), so nothing is scored by a model fitted on it; peers
need no fitting. Every system is given the same language set (the labels seen in training).

Prints one JSON document: a key per system with ``accuracy``, ``acc_historical``
(``ocr-sentence*`` rows), ``acc_short`` (``word-pairs`` rows), ``acc_sentences`` (modern
``sentences`` rows), ``texts_per_s`` (median of ``--repeats`` timed passes over the scored
texts, in this process).

Scoring of abstentions: glamlab is scored on what its ``predict`` returns with its default
settings, and an abstention (``und``) counts as **wrong** in ``accuracy`` and every subset
figure; peers never abstain (each answers its top language). glamlab's entry also has
``abstain_rate``, ``acc_when_sure`` (accuracy on the items it answers) and ``forced_choice``
(the same figures from its top-scoring language, as if it never abstained), so the cost of
abstaining is visible rather than hidden. ``abstention_curve`` gives accuracy (abstentions
wrong) and abstain rate at other ``abstain_below`` settings, from the same out-of-fold
scores and the same rule as ``predict``.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import dev_flag, shared_data  # noqa: E402

from glamlab.items import Item  # noqa: E402
from glamlab.predictors.language.combined import CombinedLanguage  # noqa: E402
from glamlab.predictors.language.peers import PEERS  # noqa: E402

DEFAULT = shared_data() / "language_id" / "dev"


def load(folder: Path) -> list[dict[str, str]]:
    with open(folder / "labels.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        text = r["path_or_text"]
        p = folder / text
        if len(text) < 255 and "\n" not in text and p.suffix == ".txt" and p.is_file():
            r["path_or_text"] = p.read_text(encoding="utf-8")
    return rows


def items_of(rows: list[dict[str, str]]) -> list[Item]:
    return [Item(item_id=r["id"], modality="text", text=r["path_or_text"]) for r in rows]


def subset_scores(rows: list[dict[str, str]], pred: list[str]) -> dict[str, float | int]:
    gold = [r["label"] for r in rows]
    ok = np.array([g == p for g, p in zip(gold, pred, strict=True)])
    hist = np.array([r["kind"].startswith("ocr-sentence") for r in rows])
    short = np.array([r["kind"] == "word-pairs" for r in rows])
    sentences = np.array([r["kind"] == "sentences" for r in rows])
    def acc(mask: np.ndarray) -> float | None:
        return round(float(ok[mask].mean()), 4) if mask.any() else None
    return {"accuracy": acc(np.ones_like(ok)), "acc_historical": acc(hist),
            "acc_short": acc(short), "acc_sentences": acc(sentences), "n": len(rows),
            "n_historical": int(hist.sum()), "n_short": int(short.sum()),
            "errors": int((~ok).sum())}


def abstention_curve(proba: np.ndarray, gold: np.ndarray, languages: list[str],
                     levels: tuple[float, ...] = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7)
                     ) -> dict[str, dict[str, float]]:
    """Accuracy (an abstention is wrong) and abstain rate at each ``abstain_below`` level,
    with :meth:`LanguagePredictor.predict`'s rule: answer when the top score is at least the
    level and above uniform."""
    top = proba.max(axis=1)
    best = np.array(languages)[proba.argmax(axis=1)]
    out = {}
    for t in levels:
        answer = (top >= t) & (top > 1.0 / proba.shape[1] + 1e-9)
        out[str(t)] = {"accuracy": round(float((answer & (best == gold)).mean()), 4),
                       "abstain_rate": round(float(1 - answer.mean()), 4)}
    return out


def timed(fn, repeats: int) -> tuple[object, float]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, statistics.median(times)


def folds(rows: list[dict[str, str]], k: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    strata: dict[tuple[str, str], list[int]] = {}
    for i, r in enumerate(rows):
        strata.setdefault((r["label"], r["kind"].split(" ")[0]), []).append(i)
    assign = np.zeros(len(rows), dtype=int)
    offset = 0
    for key in sorted(strata):
        idx = np.array(strata[key])
        rng.shuffle(idx)
        for pos, i in enumerate(idx):
            assign[i] = (pos + offset) % k
        offset += len(idx)
    return [np.where(assign == f)[0] for f in range(k)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", type=Path)
    ap.add_argument("--test", type=Path)
    ap.add_argument("--data", type=Path, default=DEFAULT, help="one folder, cross-validated")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    if args.train and args.test:
        train, test = load(args.train), load(args.test)
        splits = [(train, test)]
        setup = {"train": str(args.train), "test": str(args.test)}
    else:
        rows = load(args.data)
        splits = []
        for f in folds(rows, args.folds, args.seed):
            fset = set(f.tolist())
            splits.append(([r for i, r in enumerate(rows) if i not in fset], [rows[i] for i in f]))
        test = [r for _, te in splits for r in te]
        setup = {"data": str(args.data), "cv_folds": args.folds}
    languages = sorted({r["label"] for tr, _ in splits for r in tr})
    test_items = items_of(test)
    result: dict[str, object] = {"setup": {**setup, "languages": languages, "n_test": len(test),
                                           "repeats": args.repeats}}

    # glamlab: fitted per fold, predictions collected on each held-out fold
    pred: list[str] = []  # what predict() answers: "und" where glamlab abstains
    forced: list[str] = []  # its top language, as if it never abstained
    proba_rows = []
    weights = []
    gate_at: list[float] = []
    for tr, te in splits:
        model = CombinedLanguage().fit(items_of(tr), [r["label"] for r in tr], classes=languages)
        proba = model.predict_proba(items_of(te))
        proba_rows.append(proba)
        pred.extend(model.predict(items_of(te)))
        forced.extend(languages[int(i)] for i in proba.argmax(axis=1))
        weights.append([round(float(w), 3) for w in model.weights_])
        gate_at.append(model.gate_at if model.gate_at is not None else model.gate_at_)
    _, secs = timed(lambda: model.predict(test_items), args.repeats)
    g = subset_scores(test, pred)
    sure = np.array([p != "und" for p in pred])
    gold = np.array([r["label"] for r in test])
    g.update({"texts_per_s": round(len(test) / secs, 1),
              "abstentions": "counted as wrong",
              "abstain_below": model.abstain_below,
              "abstain_rate": round(float(1 - sure.mean()), 4),
              "acc_when_sure": round(float((gold[sure] == np.array(pred)[sure]).mean()), 4),
              "forced_choice": subset_scores(test, forced),
              "abstention_curve": abstention_curve(np.vstack(proba_rows), gold, languages),
              "peers": list(model.peers), "weights_per_fold": weights,
              "gate": model.gate, "gate_at_per_fold": gate_at})
    result["glamlab"] = g

    for name, cls in PEERS.items():
        peer = cls().fit([], [], classes=languages)
        proba, secs = timed(lambda peer=peer: peer.predict_proba(test_items), args.repeats)
        p = [languages[int(i)] for i in proba.argmax(axis=1)]
        result[name] = {**subset_scores(test, p), "texts_per_s": round(len(test) / secs, 1)}

    best = max((k for k in PEERS), key=lambda k: result[k]["accuracy"])  # type: ignore[index]
    result["summary"] = {
        "best_peer": best,
        "glamlab_minus_best_peer_points": round(
            100 * (g["accuracy"] - result[best]["accuracy"]), 2),  # type: ignore[index,operator]
        "best_peer_historical": max(result[k]["acc_historical"] or 0 for k in PEERS),  # type: ignore[index]
        "best_peer_short": max(result[k]["acc_short"] or 0 for k in PEERS),  # type: ignore[index]
        "glamlab_forced_choice_minus_best_peer_points": round(
            100 * (g["forced_choice"]["accuracy"] - result[best]["accuracy"]), 2),  # type: ignore[index,operator]
        "scoring": "glamlab's abstentions (und) count as wrong; peers never abstain",
    }
    result = {**dev_flag(args.test), **result}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
