"""Words glued by a lost line break (``nachWien``): what cutting them where the case shows
it changes, measured against the plain word/punctuation tokeniser it replaced.

    python benchmarks/glued_words.py                       # ../shared/data/ner, crf
    python benchmarks/glued_words.py --candidate crf-e5 --perturb 2

Prints one JSON document:

- ``reachable``: per ``<dataset>-<lang>`` of the folders, the gold entities and how many
  start or end inside a token under each tokeniser (``unreachable_before``,
  ``unreachable_now``): a tagger of whole tokens can never find those exactly;
- ``tokens``: how many tokens each tokeniser makes (how much text the cut touches);
- ``strict_micro_f1``: the candidate (``--candidate``, one of benchmarks/entities.py's)
  trained on the same held-out split as ``entities.py --dev-holdout 0.3`` (``--seed``)
  with each tokeniser, strict micro F1 per dataset-language of the held-out documents;
- ``noise``: with ``--perturb N``, the same candidate with the old tokeniser trained N
  more times with 5 random NewsEye-French training sentences left out each time (seeded):
  how far the F1 moves when the training data changes by nothing that matters, the
  yardstick for the difference between the two tokenisers.

Development figures: the folders are ../shared/data's, on which the cut was designed.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import entities as B  # noqa: E402
from _figures import dev_flag  # noqa: E402

from glamlab.predictors.entities import baselines, crf, spacy_ner, tokens  # noqa: E402
from glamlab.predictors.entities.corpus import Sentence, read_many  # noqa: E402

_WORD = re.compile(r"\w+|[^\w\s]")
NOW = tokens.tokenize


def before(text: str) -> list[tuple[int, int]]:
    """The tokeniser before the cut: words and punctuation, nothing more."""
    return [m.span() for m in _WORD.finditer(text)]


def use(tokenize: Callable[[str], list[tuple[int, int]]]) -> None:
    """Every span predictor tokenises with ``tokenize`` (each imported it by name)."""
    tokens.tokenize = tokenize
    for module in (crf, baselines, spacy_ner):
        module.tokenize = tokenize  # type: ignore[attr-defined]


def reachable(sentences: Sequence[Sentence]) -> tuple[dict[str, Any], dict[str, Any]]:
    out: dict[str, Counter[str]] = {}
    toks: dict[str, Counter[str]] = {}
    for s in sentences:
        c = out.setdefault(s.group, Counter())
        t = toks.setdefault(s.group, Counter())
        for name, fn in (("before", before), ("now", NOW)):
            spans = fn(s.text)
            t[name] += len(spans)
            starts, ends = {a for a, _ in spans}, {b for _, b in spans}
            c[f"unreachable_{name}"] += sum(1 for x in s.spans
                                            if x.start not in starts or x.end not in ends)
        c["gold_entities"] += len(s.spans)
    return ({g: dict(c) for g, c in sorted(out.items())},
            {g: dict(c) for g, c in sorted(toks.items())})


def f1(spec: dict[str, Any], train: Sequence[Sentence], test: Sequence[Sentence]
       ) -> dict[str, float]:
    p, _ = B.fit(spec, train)
    pred, _ = B.predict(p, test)
    return dict(B.score(test, pred, 1)["strict_micro_f1"])


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    B.add_train_option(ap)
    ap.add_argument("--candidate", default="crf", choices=sorted(B.CANDIDATES))
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--perturb", type=int, default=0)
    args = ap.parse_args(argv)
    folders = B.train_folders(args.train)
    sentences = read_many(folders)
    train, test = B.split_documents(sentences, 0.3, seed=args.seed)
    spec = B.CANDIDATES[args.candidate]
    reach, tok = reachable(sentences)
    out: dict[str, Any] = {**dev_flag(None), "candidate": args.candidate,
                           "seed": args.seed, "reachable": reach, "tokens": tok}
    scores: dict[str, Any] = {}
    for name, fn in (("before", before), ("now", NOW)):
        use(fn)
        scores[name] = f1(spec, train, test)
        print(json.dumps({name: scores[name]}), file=sys.stderr, flush=True)
    use(NOW)
    out["strict_micro_f1"] = scores
    out["difference"] = {g: round(scores["now"][g] - scores["before"][g], 4)
                         for g in scores["now"]}
    if args.perturb:
        use(before)
        noise = []
        for k in range(args.perturb):
            rng = random.Random(k + 1)
            nf = [i for i, s in enumerate(train) if s.group == "newseye-fr"]
            gone = set(rng.sample(nf, min(5, len(nf))))
            got = f1(spec, [s for i, s in enumerate(train) if i not in gone], test)
            noise.append({g: round(got[g] - scores["before"][g], 4) for g in got})
        use(NOW)
        out["noise"] = noise
    print(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
