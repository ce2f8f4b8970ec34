"""Entity linking on HIPE's NEL-LIT column: glamlab's linker, authority list from training.

    python benchmarks/entity_linking.py                          # --train ner/train --test ner/dev
    python benchmarks/entity_linking.py --train DIR [--train DIR2] --test DIR
    python benchmarks/entity_linking.py --cv --train DIR [--train DIR2] [--folds 5]

Folders follow the ../shared/data/ner layout (HIPE TSV files in ``iob/``). The authority
list is built from the training folders' linked literal mentions (each Wikidata QID with
every surface form seen for it) and the linker learns its weights and NIL threshold from
the same mentions only (out of fold); the test folder is never looked at before scoring.
Linking uses the **gold mention boundaries and types** (it measures linking, not
recognition).

Prints one JSON document: ``accuracy_at_1`` (linkable mentions: QID in the list),
``nil_precision`` (the other mentions: share answered NIL), ``nil_answer_precision`` (NIL
answers that were right), ``linkable_mentions``, ``nil_mentions``, ``mentions_per_s``
(median of ``--repeats`` timed passes, in this process), per dataset too. ``--cv`` instead
groups the training folders' documents into ``--folds`` folds and links each fold with
what the others teach (a development figure: no test folder).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import dev_flag  # noqa: E402

from glamlab.linking import linking_benchmark, linking_cross_validation  # noqa: E402

DATA = Path(os.environ.get("GLAMLAB_SHARED_DATA", ROOT.parent / "shared" / "data")) / "ner"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", type=Path, action="append",
                    help="a training folder (repeat for several); default ner/train")
    ap.add_argument("--test", type=Path, help="the held-out folder; default ner/dev")
    ap.add_argument("--cv", action="store_true",
                    help="document-grouped cross-validation over the training folders")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    train = args.train or [DATA / "train"]
    start = time.perf_counter()
    if args.cv:
        if args.test:
            ap.error("--cv scores the training folders by cross-validation: drop --test")
        result = linking_cross_validation(train, folds=args.folds, seed=args.seed)
        result["mode"] = "cross-validation (document-grouped) over the training folders"
    else:
        test = args.test or DATA / "dev"
        result = linking_benchmark(train, test, repeats=args.repeats)
        result["mode"] = "train on --train, score --test"
        result["test"] = str(test)
    result["train"] = [str(p) for p in train]
    result["seconds"] = round(time.perf_counter() - start, 1)
    result = {**dev_flag(args.test), **result}
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
