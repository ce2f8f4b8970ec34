"""What the CRF's multilingual-e5 features cost and give: no context, each word in its
sentence (``context="e5"``), each word on its own (``context="e5-words"``), and a mix of
layers (``crf-e5-mix``: the states after 4, 8 and 12 layers; ``crf-e5-mix-468``).

    python benchmarks/entity_context.py                       # ../shared/data/ner, seed 7
    python benchmarks/entity_context.py --train DIR --test DIR

The CRFs (``features="ocr"``, otherwise alike) are trained on the same sentences:
``--train`` folders and ``--test``, or, without ``--test``, the split of
``entities.py --dev-holdout 0.3`` (``--seed``; ``--max-sentences N``: of a subset, whole
documents up to about N sentences per dataset, as ``entity_layers.py``). Prints one JSON
document with, per candidate:

- ``strict_micro_f1`` per ``<dataset>-<lang>`` of the test documents;
- ``sentences_per_s``: the whole test folder predicted end to end, every kept vector
  forgotten first (``cold``: nothing of the test texts is known, the run's worst case),
  median of ``--repeats``; and ``sentences_per_s_second_pass``, the same texts again
  without forgetting (a collection's later pages, whose words mostly recur: for
  ``e5-words`` the network no longer runs for words already seen; for ``e5`` only the
  very same sentences are kept);
- ``cpu_sentences_per_s``: the same over this process's CPU time (what it needs, on a
  shared machine);
- ``train_seconds``.

Plus ``test_words_not_in_training``: the share of the test tokens (and of the distinct
words) the training sentences never had, which ``e5-words`` must encode while it runs.
Run side by side in one process on one machine; compare the ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import entities as B  # noqa: E402
from _figures import dev_flag  # noqa: E402
from entity_layers import subset  # noqa: E402

from glamlab.predictors.entities import contextual  # noqa: E402
from glamlab.predictors.entities.corpus import read_many  # noqa: E402
from glamlab.predictors.entities.tokens import tokenize  # noqa: E402

CANDIDATES: dict[str, dict[str, Any]] = {
    "crf": {"predictor": "crf-ner", "params": {"features": "ocr"}},
    "crf-e5": {"predictor": "crf-ner", "params": {"features": "ocr", "context": "e5"}},
    "crf-e5-words": {"predictor": "crf-ner",
                     "params": {"features": "ocr", "context": "e5-words"}},
    # a mix of layers: each word's states after 4, 8 and 12 layers side by side, one PCA
    # (benchmarks/entity_layers.py compares them on F1)
    "crf-e5-mix": {"predictor": "crf-ner",
                   "params": {"features": "ocr", "context": "e5", "context_layers": [4, 8, 12]}},
    "crf-e5-mix-468": {"predictor": "crf-ner",
                       "params": {"features": "ocr", "context": "e5",
                                  "context_layers": [4, 6, 8]}},
}


def _words(sentences: Sequence[Any]) -> list[str]:
    return [s.text[a:b] for s in sentences for a, b in tokenize(s.text)]


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    B.add_train_option(ap)
    ap.add_argument("--test", help="test folder (default: documents held out of --train)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated candidates (default all)")
    ap.add_argument("--max-sentences", type=int, default=0,
                    help="per dataset, whole documents (in a seeded order) up to about this "
                    "many sentences, before the split (default all; as entity_layers.py)")
    args = ap.parse_args(argv)
    folders = B.train_folders(args.train)
    if args.test:
        train, test = read_many(folders), read_many([args.test])
    else:
        train, test = B.split_documents(subset(read_many(folders), args.max_sentences), 0.3,
                                        seed=args.seed)
    known = set(_words(train))
    test_words = _words(test)
    out: dict[str, Any] = {
        **dev_flag(args.test), "seed": None if args.test else args.seed,
        "max_sentences_per_dataset": args.max_sentences or None,
        "train_sentences": len(train), "test_sentences": len(test),
        "test_words_not_in_training": {
            "tokens": round(sum(w not in known for w in test_words) / len(test_words), 4),
            "distinct": round(len(set(test_words) - known) / len(set(test_words)), 4)},
        "candidates": {}}
    names = [n for n in CANDIDATES if not args.only or n in args.only.split(",")]
    for name in names:
        p, train_s = B.fit(CANDIDATES[name], train)
        wall, cpu, again = [], [], []
        pred: list[Any] = []
        for _ in range(args.repeats):
            contextual.clear_cache()  # cold: no word or sentence vector kept from before
            c0 = time.process_time()
            pred, secs = B.predict(p, test)
            wall.append(len(test) / secs)
            cpu.append(len(test) / (time.process_time() - c0))
            _, secs2 = B.predict(p, test)  # the same texts again, nothing forgotten
            again.append(len(test) / secs2)
        out["candidates"][name] = {
            "params": CANDIDATES[name]["params"],
            "strict_micro_f1": B.score(test, pred, 1)["strict_micro_f1"],
            "sentences_per_s": round(statistics.median(wall), 1),
            "sentences_per_s_second_pass": round(statistics.median(again), 1),
            "cpu_sentences_per_s": round(statistics.median(cpu), 1),
            "train_seconds": round(train_s, 1)}
        print(json.dumps({name: out["candidates"][name]}), file=sys.stderr, flush=True)
    c = out["candidates"]
    if "crf-e5" in c and "crf-e5-words" in c:
        out["e5_words_speedup_vs_e5"] = round(c["crf-e5-words"]["sentences_per_s"]
                                              / c["crf-e5"]["sentences_per_s"], 2)
    print(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
