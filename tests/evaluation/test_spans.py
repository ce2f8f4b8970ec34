"""Span metrics against the official HIPE scorer's own figures, and their intervals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from glamlab.evaluation.bootstrap import paired_bootstrap
from glamlab.evaluation.spans import (
    compare_spans,
    evaluate_spans,
    group_documents,
    hipe_counts,
    span_reducer,
    span_stats,
)
from glamlab.predictors.entities.tokens import Span, bio_to_spans

DATA = Path(__file__).resolve().parents[1] / "data" / "ner"


def _read_hipe(path: Path) -> list[list[list[Span]]]:
    """Documents (one segment each: the scorer merges a document's lines) of
    NE-COARSE-LIT spans over the tokens joined by single spaces."""
    docs: list[tuple[list[tuple[int, int]], list[str]]] = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        cols = line.split("\t")
        if not cols[0] or cols[0] == "TOKEN":
            continue
        if cols[0].startswith("#"):
            if cols[0].startswith("# hipe2022:document_id"):
                docs.append(([], []))
            continue
        toks, tags = docs[-1]
        start = toks[-1][1] + 1 if toks else 0
        toks.append((start, start + len(cols[0])))
        tags.append(cols[1].upper())
    return [[bio_to_spans(toks, tags)] for toks, tags in docs]


def test_same_figures_as_the_hipe_scorer() -> None:
    gold = _read_hipe(DATA / "newseye-fr-gold.tsv")
    pred = _read_hipe(DATA / "newseye-fr-pred.tsv")
    assert len(gold) == 6
    expected = json.loads((DATA / "hipe_expected.json").read_text())
    got = evaluate_spans(gold, pred, n_boot=200)
    assert set(got["types"]) == set(expected) - {"ALL"}  # TIME (not in the gold) ignored
    for scheme, theirs in (("strict", "strict"), ("fuzzy", "ent_type")):
        ref = expected["ALL"][theirs]
        assert got[f"{scheme}_micro_precision"]["value"] == pytest.approx(ref["P_micro"])
        assert got[f"{scheme}_micro_recall"]["value"] == pytest.approx(ref["R_micro"])
        assert got[f"{scheme}_micro_f1"]["value"] == pytest.approx(ref["F1_micro"])
        assert got[f"{scheme}_macro_doc_precision"]["value"] == pytest.approx(ref["P_macro_doc"])
        assert got[f"{scheme}_macro_doc_recall"]["value"] == pytest.approx(ref["R_macro_doc"])
        assert got[f"{scheme}_macro_doc_f1"]["value"] == pytest.approx(ref["F1_macro_doc"])
        counts = got[f"{scheme}_counts"]
        assert counts["correct"] == ref["TP"]
        assert counts["actual"] - counts["correct"] == ref["FP"]
        assert counts["possible"] - counts["correct"] == ref["FN"]
        for t, row in got["per_type"].items():
            ref_t = expected[t][theirs]
            assert row[f"{scheme}_precision"]["value"] == pytest.approx(ref_t["P_micro"]), t
            assert row[f"{scheme}_recall"]["value"] == pytest.approx(ref_t["R_micro"]), t
            assert row[f"{scheme}_f1"]["value"] == pytest.approx(ref_t["F1_micro"]), t


def test_interval_brackets_the_value_and_resamples_documents() -> None:
    gold = _read_hipe(DATA / "newseye-fr-gold.tsv")
    pred = _read_hipe(DATA / "newseye-fr-pred.tsv")
    got = evaluate_spans(gold, pred, n_boot=300, seed=1)
    f1 = got["strict_micro_f1"]
    assert f1["low"] < f1["value"] < f1["high"]
    perfect = evaluate_spans(gold, gold, n_boot=50)
    assert perfect["strict_micro_f1"] == {"value": 1.0, "low": 1.0, "high": 1.0}
    # per-document statistics add up: a paired comparison runs on them
    S_a, types = span_stats(gold, pred)
    S_b, _ = span_stats(gold, gold)
    cmp = paired_bootstrap(S_a, S_b, lambda s, n: span_reducer(s, n, len(types)),
                           "strict_micro_f1", n_boot=300)
    assert cmp.difference == pytest.approx(1.0 - f1["value"]) and cmp.significant


def test_scenarios_one_by_one() -> None:
    from glamlab.evaluation.spans import _Entity as E

    true = [E(0, 0, 5, "PER"), E(0, 10, 20, "LOC"), E(0, 30, 35, "ORG"), E(1, 0, 4, "LOC")]
    pred = [E(0, 0, 5, "PER"),      # exact
            E(0, 10, 15, "LOC"),    # overlap, same type: fuzzy only
            E(0, 12, 18, "LOC"),    # overlaps a gold span already matched: spurious
            E(0, 30, 35, "PER"),    # same offsets, other type: wrong in both
            E(1, 5, 9, "LOC")]      # nothing there: spurious
    ev = hipe_counts(true, pred, {"PER", "LOC", "ORG"})
    assert ev["strict"]["ALL"] == {"correct": 1, "incorrect": 2, "missed": 1, "spurious": 2}
    assert ev["fuzzy"]["ALL"] == {"correct": 2, "incorrect": 1, "missed": 1, "spurious": 2}
    assert ev["strict"]["ORG"]["incorrect"] == 1 and "incorrect" in ev["strict"]["PER"]
    assert ev["strict"]["LOC"]["spurious"] == 2


def test_empty_and_bad_input() -> None:
    S, types = span_stats([[[]]], [[[(0, 3, "PER")]]])
    assert types == [] and S.shape[0] == 1
    with pytest.raises(ValueError):
        span_stats([[[]]], [])
    got = evaluate_spans([[[(0, 3, "PER")]]], [[[]]], n_boot=20)
    assert got["strict_micro_f1"]["value"] == 0.0
    assert got["strict_macro_doc_recall"]["value"] == 0.0
    # documents from sentences, in first-seen order
    ids, docs = group_documents(["b", "a", "b"], [[1], [2], [3]])
    assert ids == ["b", "a"] and docs == [[[1], [3]], [[2]]]
    assert np.all(S == 0)


def test_verdict_says_when_a_lookup_list_is_as_good() -> None:
    gold = _read_hipe(DATA / "newseye-fr-gold.tsv")
    pred = _read_hipe(DATA / "newseye-fr-pred.tsv")
    same = compare_spans(gold, pred, pred, names=("gazetteer", "model"), n_boot=200)
    assert not same.significant and "no detectable difference" in same.verdict
    better = compare_spans(gold, pred, gold, names=("gazetteer", "model"), n_boot=200)
    assert better.significant and better.verdict.startswith("model is better than gazetteer")


def test_no_bootstrap_resamples_is_refused_with_the_fix_not_an_index_error(capsys):
    """``n_boot=0`` crashed with an IndexError from an empty percentile; it is refused
    with one clear error, as the classification evaluation's bootstrap now refuses it,
    and the entity benchmark refuses ``--n-boot 0`` before it trains anything."""
    import importlib.util

    from glamlab.errors import EvaluationError
    from glamlab.evaluation.bootstrap import bootstrap_ci

    gold = [[[Span(0, 5, "PER")]], [[Span(2, 8, "LOC")]]]
    pred = [[[Span(0, 5, "PER")]], [[Span(2, 8, "PER")]]]
    for bad in (0, -3):
        with pytest.raises(EvaluationError, match=f"n_boot .* is {bad}; it must be 1 or more"):
            evaluate_spans(gold, pred, n_boot=bad)
        with pytest.raises(EvaluationError, match="must be 1 or more"):
            bootstrap_ci(np.ones((4, 2)), lambda s, n: {"a": s[..., 0] / n}, ["a"], n_boot=bad)
    one = evaluate_spans(gold, pred, n_boot=1)  # the figures, no real interval
    assert one["strict_micro_f1"]["value"] == 0.5

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("_bench_entities_nboot",
                                                  root / "benchmarks" / "entities.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    with pytest.raises(SystemExit) as stop:
        bench.main(["--train", str(DATA / "newseye-sample.csv"), "--dev-holdout", "0.5",
                    "--n-boot", "0"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "--n-boot 0" in err and "must be 1 or more" in err and "Traceback" not in err
