"""Issue 17's rules for benchmarks, checked on their source and on the shared helper:
every benchmark that can be given a held-out ``--test`` folder labels its figures
``selected_on_dev`` when it was not, and the Annif peer's best backend is chosen on the
training fold, never on the test records."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def test_dev_flag_says_where_figures_come_from() -> None:
    sys.path.insert(0, str(BENCH))
    try:
        from _figures import dev_flag
    finally:
        sys.path.remove(str(BENCH))
    assert dev_flag(None)["selected_on_dev"] is True
    assert dev_flag("/data/held-out")["selected_on_dev"] is False
    assert "developed" in str(dev_flag(None)["selected_on_dev_means"])


def test_every_benchmark_with_a_test_folder_labels_dev_figures() -> None:
    with_test = []
    for path in sorted(BENCH.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        if path.name.startswith("_"):  # shared helpers, not benchmarks
            continue
        if '"--test"' in text or "page_benchmark_args" in text:
            with_test.append(path.name)
            assert "dev_flag(args.test)" in text, f"{path.name} does not label dev figures"
    assert {"blank_pages.py", "illustrations.py", "entities.py", "trends.py",
            "subjects_vs_annif.py", "language.py", "entity_linking.py"} <= set(with_test)


def test_annif_best_is_not_chosen_on_the_test_records() -> None:
    tree = ast.parse((BENCH / "subjects_vs_annif.py").read_text(encoding="utf-8"))
    chosen = [n for n in ast.walk(tree) if isinstance(n, ast.Assign)
              and any(isinstance(t, ast.Subscript) and getattr(t.slice, "value", None)
                      == "annif_best" for t in n.targets)]
    assert chosen, "annif_best is never set"
    src = ast.unparse(tree)
    assert "b = max(scored, key=on_fold)" in src
    assert "optimize_f1_doc_avg_on_training_fold" in src


def _refuse(token: str) -> None:
    raise ValueError(f"{token} is not JSON")


def test_the_drift_benchmark_prints_strict_json() -> None:
    """``benchmarks/drift.py`` printed its figures with ``json.dumps``: a figure that is
    not a number (an AUC over rows of one outcome, the mean of no windows) came out as
    ``NaN``, and jq refused the whole file. It writes them as null, as ``--json`` does."""
    import importlib.util
    import json

    spec = importlib.util.spec_from_file_location("_bench_drift", BENCH / "drift.py")
    assert spec and spec.loader
    drift = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(drift)
    figures = {"backtest": {"auc": {"value": float("nan"), "low": float("-inf")},
                            "f1": 0.5, "started": Path("x")}}
    text = drift.json_text(figures)
    assert json.loads(text, parse_constant=_refuse) == {
        "backtest": {"auc": {"value": None, "low": None}, "f1": 0.5, "started": "x"}}
    src = ast.unparse(ast.parse((BENCH / "drift.py").read_text(encoding="utf-8")))
    assert "print(json.dumps(" not in src  # every document it prints goes through json_text
