"""The benchmark scripts score honestly: an abstention is an error, and Annif's memory is
measured in Annif's own process, not inherited from the benchmark's."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

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
