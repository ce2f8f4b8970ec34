"""Which of multilingual-e5-small's layers the CRF should read: one layer (``crf-e5``,
the state after 6 of the 12 layers) against a mix of several (``context_layers`` a list:
each word's states after those layers side by side, one PCA).

    python benchmarks/entity_layers.py                      # seeds 7 and 8
    python benchmarks/entity_layers.py --seeds 7 --only crf-e5,crf-e5-mix

For each seed, the documents of ../shared/data/ner (train and dev) are split as
``entity_context.py`` splits them (30% held out, ``--seed``), and every candidate is
scored twice, strict micro F1 per ``<dataset>-<lang>``:

- ``validation``: trained on 75% of the seed's training documents and scored on the
  other 25% (the split ``entities.py`` selects its candidates on, seed 1): what a choice
  made on the training split alone sees;
- ``dev``: trained on all the seed's training documents, scored on the held-out 30%.

Each sentence's states are computed once, for every layer any candidate reads, in one
pass through the network (``--states FILE`` keeps them between runs: a pickle this
script writes and reads back when its sentences are the same), so candidates differ only
in their CRF. ``gain`` is each candidate's figure less ``crf-e5``'s, averaged over the
seeds; ``passes`` applies the rule fixed before measuring: better on at least 4 of
the 5 datasets, none worse by more than 0.01, in validation and in dev alike.
Speed is not measured here (``entity_context.py`` does, end to end).
"""

from __future__ import annotations

import argparse
import json
import pickle
import random
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import entities as B  # noqa: E402
from _figures import dev_flag  # noqa: E402

from glamlab.predictors.entities import contextual  # noqa: E402
from glamlab.predictors.entities.corpus import Sentence, read_many  # noqa: E402
from glamlab.predictors.entities.tokens import tokenize  # noqa: E402

BASELINE = "crf-e5"
CANDIDATES: dict[str, dict[str, Any]] = {
    BASELINE: {"predictor": "crf-ner", "params": {"features": "ocr", "context": "e5"}},
    "crf-e5-mix": {"predictor": "crf-ner", "params": {
        "features": "ocr", "context": "e5", "context_layers": [4, 8, 12]}},
    "crf-e5-mix-468": {"predictor": "crf-ner", "params": {
        "features": "ocr", "context": "e5", "context_layers": [4, 6, 8]}},
}


def _layers(spec: dict[str, Any]) -> tuple[int, ...]:
    got = spec["params"].get("context_layers", 6)
    return (got,) if isinstance(got, int) else tuple(sorted(got))


def precomputed(sentences: Sequence[tuple[str, ...]], keep: tuple[int, ...],
                path: str | None) -> dict[tuple[str, ...], Any]:
    """Every sentence's states after each layer of ``keep``, side by side."""
    if path and Path(path).exists():
        with open(path, "rb") as fh:
            got = pickle.load(fh)
        if got["keep"] == keep and set(sentences) <= got["states"].keys():
            return dict(got["states"])
    todo = sorted(set(sentences), key=len, reverse=True)  # like lengths batch together
    states: dict[tuple[str, ...], Any] = {}
    t0 = time.perf_counter()
    for i in range(0, len(todo), 256):
        chunk = todo[i:i + 256]
        for words, st in zip(chunk, contextual.token_states(list(chunk), layers=keep,
                                                              remember=False), strict=True):
            states[words] = st
        print(f"encoded {i + len(chunk)}/{len(todo)} sentences in "
              f"{time.perf_counter() - t0:.0f}s", file=sys.stderr, flush=True)
    if path:
        with open(path, "wb") as fh:
            pickle.dump({"keep": keep, "states": states}, fh, protocol=5)
    return states


def serve(states: dict[tuple[str, ...], Any], keep: tuple[int, ...]) -> None:
    """``token_states`` answers from ``states`` (its slices for the layers asked)."""
    real = contextual.token_states
    width = contextual.DIM

    def token_states(sentences: Sequence[Sequence[str]], *, layers: Any = 0,
                     **kw: Any) -> list[Any]:
        want = contextual.layer_set(layers)
        want_t = (want,) if isinstance(want, int) else want
        keys = [tuple(s) for s in sentences]
        if not set(want_t) <= set(keep) or not all(k in states for k in keys):
            return real(sentences, layers=layers, **kw)
        cols = [c for n in want_t for c in range(keep.index(n) * width,
                                                  (keep.index(n) + 1) * width)]
        return [states[k][:, cols] for k in keys]

    contextual.token_states = token_states  # type: ignore[assignment]


def subset(sentences: Sequence[Sentence], most: int) -> list[Sentence]:
    """Per dataset, whole documents in a seeded order until ``most`` sentences (all when
    0): a smaller run whose candidates still see the same sentences."""
    if most <= 0:
        return list(sentences)
    docs: dict[str, dict[str, int]] = defaultdict(dict)
    for s in sentences:
        docs[s.group][s.document_id] = docs[s.group].get(s.document_id, 0) + 1
    kept: set[tuple[str, str]] = set()
    for group, sizes in docs.items():
        order = sorted(sizes)
        random.Random(f"subset:{group}").shuffle(order)
        n = 0
        for d in order:
            if n >= most:
                break
            kept.add((group, d))
            n += sizes[d]
    return [s for s in sentences if (s.group, s.document_id) in kept]


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    B.add_train_option(ap)
    ap.add_argument("--seeds", default="7,8")
    ap.add_argument("--only", default="", help="comma-separated candidates (default all)")
    ap.add_argument("--states", help="a file keeping the sentences' states between runs")
    ap.add_argument("--max-sentences", type=int, default=0,
                    help="per dataset, whole documents (in a seeded order) up to about this "
                    "many sentences (default all)")
    args = ap.parse_args(argv)
    names = [n for n in CANDIDATES if not args.only or n in args.only.split(",")]
    if BASELINE not in names:
        names.insert(0, BASELINE)
    sentences = subset(read_many(B.train_folders(args.train)), args.max_sentences)
    keep = tuple(sorted({n for name in names for n in _layers(CANDIDATES[name])}))
    words = [tuple(s.text[a:b] for a, b in tokenize(s.text)) for s in sentences]
    serve(precomputed(words, keep, args.states), keep)
    seeds = [int(x) for x in args.seeds.split(",")]
    out: dict[str, Any] = {**dev_flag(None), "seeds": seeds, "layers_encoded": list(keep),
                           "max_sentences_per_dataset": args.max_sentences or None,
                           "sentences": {g: sum(s.group == g for s in sentences)
                                         for g in sorted({s.group for s in sentences})},
                           "candidates": {n: {"params": CANDIDATES[n]["params"]}
                                          for n in names}}
    for seed in seeds:
        train, dev = B.split_documents(sentences, 0.3, seed=seed)
        fit_part, val = B.split_documents(train, 0.25, seed=1)
        groups = sorted({s.group for s in sentences})
        for name in names:
            row = out["candidates"][name].setdefault("by_seed", {}).setdefault(str(seed), {})
            for part, (a, b) in (("validation", (fit_part, val)), ("dev", (train, dev))):
                p, secs = B.fit(CANDIDATES[name], a)
                pred, _ = B.predict(p, b)
                row[part] = B.score(b, pred, 1, groups)["strict_micro_f1"]
                row[f"{part}_train_seconds"] = round(secs, 1)
                print(json.dumps({"seed": seed, "candidate": name, part: row[part]}),
                      file=sys.stderr, flush=True)
    base = out["candidates"][BASELINE]["by_seed"]
    for name in names:
        if name == BASELINE:
            continue
        c = out["candidates"][name]
        verdict = True
        for part in ("validation", "dev"):
            gain = {g: round(sum(c["by_seed"][str(s)][part][g] - base[str(s)][part][g]
                                 for s in seeds) / len(seeds), 4)
                    for g in base[str(seeds[0])][part]}
            c.setdefault("gain", {})[part] = gain
            verdict = verdict and (sum(v > 0 for v in gain.values()) >= min(4, len(gain))
                                   and min(gain.values()) >= -0.01)
        c["passes"] = verdict
    print(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
