"""Span models saved before glued words were cut (``nachWien``, ``LeBlanc``), loaded by
today's code: how they score against the same model as it was and retrained.

    python benchmarks/older_splitter.py                      # gazetteers, ../shared/data/ner
    python benchmarks/older_splitter.py --candidate crf

Each candidate is trained with the old word splitter (words and punctuation, nothing
more) on the held-out split of ``entities.py --dev-holdout 0.3`` (``--seed``), saved,
its state stripped of the splitter version (as saved before versions were recorded),
then scored (strict micro F1 per ``<dataset>-<lang>`` of the held-out documents):

- ``as_saved``: predicting with the old splitter, as before the upgrade;
- ``old_state_new_splitter``: its state read with today's splitter, untouched (what the
  code before the version did: a gazetteer's names once one token, ``LeBlanc``, missed);
- ``loaded``: :meth:`glamlab.predictors.base.Predictor.load` of the saved folder (a
  case-sensitive gazetteer re-keys its table; the others read today's tokens as they
  are, with a warning);
- ``retrained``: trained again with today's splitter.

Development figures: the folders are ../shared/data's, on which the cut was designed.
"""

from __future__ import annotations

import argparse
import json
import logging
import pickle
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import entities as B  # noqa: E402
import glued_words as G  # noqa: E402
from _figures import dev_flag  # noqa: E402

from glamlab.predictors.base import STATE_FILE, Predictor  # noqa: E402
from glamlab.predictors.entities.base import SpanPredictor  # noqa: E402
from glamlab.predictors.entities.corpus import Sentence, read_many  # noqa: E402

CANDIDATES: dict[str, dict[str, Any]] = {
    "gazetteer": {"predictor": "gazetteer", "params": {}},
    "gazetteer-case-blind": {"predictor": "gazetteer", "params": {"case_sensitive": False}},
    "crf": B.CANDIDATES["crf"],
}


def _f1(p: SpanPredictor, test: Sequence[Sentence]) -> dict[str, float]:
    return dict(B.score(test, B.predict(p, test)[0], 1)["strict_micro_f1"])


def measure(spec: dict[str, Any], train: Sequence[Sentence], test: Sequence[Sentence]
            ) -> dict[str, Any]:
    out: dict[str, Any] = {}
    G.use(G.before)
    try:
        old, _ = B.fit(spec, train)
        out["as_saved"] = _f1(old, test)
    finally:
        G.use(G.NOW)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        old.save(folder)
        with open(folder / STATE_FILE, "rb") as fh:
            state = pickle.load(fh)  # noqa: S301 - just written
        state.pop("tokeniser_", None)
        with open(folder / STATE_FILE, "wb") as fh:
            pickle.dump(state, fh)
        old.tokeniser_ = 2  # read as it is with today's splitter
        out["old_state_new_splitter"] = _f1(old, test)
        logging.disable(logging.WARNING)  # the retrain warning: said in the docstring
        try:
            loaded = Predictor.load(folder)
        finally:
            logging.disable(logging.NOTSET)
        assert isinstance(loaded, SpanPredictor)
        out["loaded"] = _f1(loaded, test)
    out["retrained"] = _f1(B.fit(spec, train)[0], test)
    return out


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    B.add_train_option(ap)
    ap.add_argument("--candidate", action="append", choices=sorted(CANDIDATES),
                    help="repeatable (default: both gazetteers)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    folders = B.train_folders(args.train)
    train, test = B.split_documents(read_many(folders), 0.3, seed=args.seed)
    out: dict[str, Any] = {**dev_flag(None), "seed": args.seed}
    for name in args.candidate or ["gazetteer", "gazetteer-case-blind"]:
        out[name] = measure(CANDIDATES[name], train, test)
        print(json.dumps({name: out[name]}), file=sys.stderr, flush=True)
    print(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
