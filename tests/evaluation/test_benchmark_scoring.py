"""The benchmark scripts score honestly: an abstention is an error, and Annif's memory is
measured in Annif's own process, not inherited from the benchmark's."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _bench(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", ROOT / "benchmarks" / f"{name}.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_language_benchmark_counts_abstentions_as_wrong():
    lang = _bench("language")
    rows = [{"label": "de", "kind": "sentences"}, {"label": "fr", "kind": "word-pairs"},
            {"label": "en", "kind": "ocr-sentence (topres19th)"}, {"label": "sv", "kind": "word-pairs"}]
    s = lang.subset_scores(rows, ["de", "und", "und", "sv"])
    assert s["accuracy"] == 0.5 and s["errors"] == 2
    assert s["acc_short"] == 0.5 and s["acc_historical"] == 0.0 and s["acc_sentences"] == 1.0


def test_annif_peak_memory_is_the_child_s_not_the_benchmark_s(tmp_path):
    subj = _bench("subjects_vs_annif")
    env = {"ANNIF_WORK": str(tmp_path), "PATH": "/usr/bin:/bin"}
    held = bytearray(b"x") * (300 * 2**20)  # this process: 300 MB resident
    subj.sh([sys.executable, "-c", "pass"], env)
    subj.sh([sys.executable, "-c", "b = bytearray(b'x') * (120 * 2**20)"], env)
    # one entry per command name (here "-c"), the larger of the two runs
    assert len(held) and 120 * 1024 < subj.ANNIF_PEAK_KB["-c"] < 300 * 1024
    subj.ANNIF_PEAK_KB.clear()
    subj.sh([sys.executable, "-c", "pass"], env)
    assert subj.ANNIF_PEAK_KB["-c"] < 120 * 1024


def test_language_abstention_curve_uses_predict_s_rule():
    import numpy as np

    lang = _bench("language")
    proba = np.array([[0.9, 0.1], [0.55, 0.45], [0.5, 0.5], [0.2, 0.8]])
    gold = np.array(["de", "fr", "de", "fr"])
    curve = lang.abstention_curve(proba, gold, ["de", "fr"], levels=(0.0, 0.6))
    # a uniform row always abstains; the 0.55 guess is wrong, so abstaining on it costs nothing
    assert curve["0.0"] == {"accuracy": 0.5, "abstain_rate": 0.25}
    assert curve["0.6"] == {"accuracy": 0.5, "abstain_rate": 0.5}


_FAKE_ANNIF = r'''#!{python}
"""A stand-in for the annif command: fastText "diverges" at lr 0.25, as the real one can."""
import os, pathlib, re, sys
work = pathlib.Path(os.environ["ANNIF_WORK"])
cmd = sys.argv[1]
if cmd == "--version":
    print("0.0-fake"); sys.exit(0)
cfg = (work / "projects.cfg").read_text()
project = sys.argv[2] if len(sys.argv) > 2 else ""
ft_lr = float(re.search(r"\[fasttext\][^\[]*?lr=([0-9.]+)", cfg).group(1))
with open(work / "calls.log", "a") as fh:
    fh.write(f"{cmd} {project} lr={ft_lr}\n")
if cmd == "train" and project == "fasttext" and ft_lr >= 0.25:
    sys.stderr.write("Traceback ...\nRuntimeError: Encountered NaN.\n"); sys.exit(1)
if cmd == "eval" and project == "tfidf" and os.environ.get("FAKE_TFIDF_BROKEN"):
    sys.stderr.write("ValueError: something else\n"); sys.exit(1)
if cmd == "optimize":
    print("Best F1 score (doc avg):\t0.5000\tLimit: 2\tThreshold: 0.20")
if cmd == "eval":
    print("F1 score (doc avg):  " + {"tfidf": "0.40", "omikuji": "0.45",
                                     "fasttext": "0.50", "ensemble": "0.55"}[project])
if cmd == "index":
    for doc in pathlib.Path(sys.argv[-1]).glob("*.txt"):
        doc.with_suffix(".annif").write_text("<http://example.org/tate/0>\tpeople\t0.9\n")
'''


def test_annif_fasttext_nan_is_retrained_at_a_lower_rate(tmp_path, monkeypatch):
    """fastText's "Encountered NaN" costs a retry at a lower learning rate, not the
    backend (nor the ensemble that uses it); another backend's failure is reported and
    the rest still run."""
    subj = _bench("subjects_vs_annif")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    fake = venv / "bin" / "annif"
    fake.write_text(_FAKE_ANNIF.replace("{python}", sys.executable))
    fake.chmod(0o755)
    monkeypatch.setattr(subj, "BENCH", tmp_path / "bench")
    monkeypatch.setenv("FAKE_TFIDF_BROKEN", "1")
    rows = [{"id": str(i), "path_or_text": f"title {i}", "label": "people|nature",
             "artist": f"a{i % 7}"} for i in range(40)]
    train, test = rows[:30], rows[30:]
    res = subj.run_annif(venv, train, test, ["nature", "people"], (), 0)
    assert res["fasttext_nan_at_lr"] == [0.25]
    assert res["annif_fasttext"]["fasttext_lr"] == 0.1
    assert res["annif_fasttext"]["samples_f1"] == round(2 / 3, 4)  # "people" of two labels
    assert res["annif_ensemble"]["annif_eval"]["F1 score (doc avg)"] == 0.55
    assert res["annif_tfidf"]["status"].startswith("failed:")
    assert "ValueError: something else" in res["annif_tfidf"]["status"]
    assert "annif_eval" in res["annif_omikuji"]
    log = (tmp_path / "bench" / "annif-work" / "calls.log").read_text()
    assert "train fasttext lr=0.25" in log and "train fasttext lr=0.1" in log


def test_subjects_several_splits_reports_medians_and_every_split(monkeypatch):
    import argparse

    subj = _bench("subjects_vs_annif")
    rows = [{"id": str(i), "path_or_text": "t", "label": "people", "artist": f"a{i}"}
            for i in range(20)]
    glam = {0: 0.60, 1: 0.62, 2: 0.58}
    annif = {0: 0.57, 1: 0.52, 2: 0.56}
    seeds_seen = []

    def fake_glamlab(train, test, classes, fields, seed):
        seeds_seen.append(seed)
        return {"glamlab": {"samples_f1": glam[seed]}}

    def fake_annif(venv, train, test, classes, fields, seed):
        ev = {"F1 score (doc avg)": annif[seed]}
        return {"annif_omikuji": {"annif_eval": ev, "samples_f1": annif[seed]},
                "annif_fasttext": {"status": "failed: x"}}

    monkeypatch.setattr(subj, "run_glamlab", fake_glamlab)
    monkeypatch.setattr(subj, "run_annif", fake_annif)
    monkeypatch.setattr(subj, "ensure_annif", lambda venv: None)
    monkeypatch.setattr(subj, "embedding_throughput", lambda texts, repeats: {"n": len(texts)})
    args = argparse.Namespace(splits=3, seed=0, test_size=0.3, data=Path("x"), fields="",
                              repeats=1, no_annif=False, annif_venv=Path("v"))
    out = subj.several_splits(rows, args)
    assert seeds_seen == [0, 1, 2]
    assert out["glamlab"] == {"samples_f1": 0.60, "per_split": [0.60, 0.62, 0.58]}
    assert out["annif_best"]["samples_f1"] == 0.56
    assert out["summary"]["per_split"] == [3.0, 10.0, 2.0]
    assert out["summary"]["glamlab_minus_annif_best_points"] == 3.0
    assert out["summary"]["splits_at_or_above_5_points"] == 1
    assert len(out["per_split"]) == 3 and "annif_fasttext" not in out


@pytest.mark.slow
def test_entities_benchmark_holds_out_whole_documents_and_reports_every_key(capsys):
    ent = _bench("entities")
    from glamlab.predictors.entities.corpus import read_sentences

    sample = ROOT / "tests" / "data" / "ner" / "newseye-sample.csv"
    rows = read_sentences(sample)
    kept, held = ent.split_documents(rows, 0.5, seed=7)
    assert {s.document_id for s in kept}.isdisjoint({s.document_id for s in held})
    assert len(kept) + len(held) == len(rows) and held
    out = ent.main(["--train", str(sample), "--dev-holdout", "0.5",
                    "--choice", "*=crf", "--repeats", "1", "--n-boot", "20",
                    "--skip", "spacy_fr_sm,spacy_fr_md"])
    assert out["evaluation"].startswith("development")
    printed = capsys.readouterr().out
    assert '"glamlab"' in printed and '"linking"' in printed
    for key in ("glamlab", "crf_baseline", "gazetteer", "entity_rules"):
        assert set(out[key]["strict_micro_f1"]) == set(out["test_groups"])
        assert out[key]["sentences_per_s"] > 0
    # a labels.csv holds no NEL-LIT links: linking is skipped, and says why
    assert out["linking"]["accuracy_at_1"] is None and "NEL-LIT" in out["linking"]["skipped"]
    assert set(out["verdict"]) == set(out["test_groups"])


def test_blank_pages_benchmark_scores_decisions_and_tunes_the_ocr_peer_on_training_pages():
    import numpy as np

    bp = _bench("blank_pages")
    y = np.array([1, 1, 0, 0, 0])  # 1 = blank
    f1, rc = bp.f1_recall(y, np.array([True, False, True, False, False]))
    assert f1 == 0.5 and rc == 2 / 3  # one blank missed, one content page lost
    assert bp.f1_recall(y, np.zeros(5, dtype=bool)) == (0.0, 1.0)  # send all: nothing lost
    # letters Tesseract read: blank pages read 0-3 (noise), content 12+; N < 4 is not enough
    letters = np.array([0.0, 3.0, 12.0, np.inf, 40.0])
    n = bp.tune_letters(letters, y)
    assert 4 <= n <= 12 and bp.f1_recall(y, letters < n) == (1.0, 1.0)
    assert bp._count(0.5 ** 7) == 7 and bp._count(0.0) == float("inf")


def test_the_entities_selection_reports_each_candidates_f1_and_speed(monkeypatch):
    """glamlab's entry is chosen on training documents, and the selection says what each
    candidate costs beside what it scores (the price of context="e5" is a speed)."""
    ent = _bench("entities")
    from glamlab.predictors.entities.corpus import read_sentences

    rows = read_sentences(ROOT / "tests" / "data" / "ner" / "newseye-sample.csv")
    monkeypatch.setattr(ent, "LANG_CANDIDATES", {"fr": ["crf", "crf-lex"]})
    choice, table = ent.select(rows, lambda msg: None)
    assert set(table["strict_micro_f1_by_language"]["fr"]) == {"crf", "crf-lex"}
    speed = table["sentences_per_s_by_candidate"]
    assert set(speed) == {"crf", "crf-lex"} and all(v > 0 for v in speed.values())
    assert choice["fr"] in {"crf", "crf-lex"}
