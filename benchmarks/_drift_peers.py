"""The peers of benchmarks/drift.py, run inside their own virtual environment:

    .bench/evidently-venv/bin/python benchmarks/_drift_peers.py evidently FOLDER
    .bench/nannyml-venv/bin/python benchmarks/_drift_peers.py nannyml FOLDER

FOLDER holds what drift.py wrote (reference.parquet, cbpe_reference.parquet,
window{i}.parquet, meta.json). Prints one JSON document: per window the peer's alarm
(``flags``), a continuous window score (``scores``), the column it ranks first
(``root_causes``) and, for NannyML, CBPE's estimated F1 (``estimates``).
Imports nothing from glamlab.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import pandas as pd

warnings.filterwarnings("ignore")


def evidently(folder: Path, meta: dict) -> dict:
    import evidently as ev
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    cols = meta["categorical"] + meta["numerical"] + ["prediction"]
    ref_all = pd.read_parquet(folder / "history.parquet")
    definition = DataDefinition(numerical_columns=meta["numerical"] + ["prediction"],
                                categorical_columns=meta["categorical"])
    flags, scores, roots = [], [], []
    for i, w in enumerate(meta["windows"]):
        cur = pd.read_parquet(folder / f"window{i}.parquet")[cols]
        ref = ref_all.iloc[w["reference_rows"]][cols]
        snap = Report([DataDriftPreset()]).run(
            current_data=Dataset.from_pandas(cur, data_definition=definition),
            reference_data=Dataset.from_pandas(ref, data_definition=definition))
        share, drifted, best, best_ratio = 0.0, False, None, -1.0
        for m in snap.dict()["metrics"]:
            name = m.get("metric_name", "")
            value = m.get("value")
            cfg = m.get("config", {})
            if name.startswith("DriftedColumnsCount"):
                share = float(value["share"])
                drifted = share >= float(cfg.get("drift_share", 0.5))
            elif name.startswith("ValueDrift"):
                col = cfg.get("column")
                method = str(cfg.get("method", ""))
                thr = cfg.get("threshold")
                if thr is None or col == "prediction" or value is None:
                    continue
                v = float(value)
                p_value = "p_value" in method or "p-value" in method or "test" in method.lower()
                ratio = (float(thr) / max(v, 1e-300)) if p_value else v / max(float(thr), 1e-12)
                if ratio > best_ratio:
                    best, best_ratio = col, ratio
        flags.append(bool(drifted))
        scores.append(share)
        roots.append(best)
    return {"flags": flags, "scores": scores, "root_causes": roots, "version": ev.__version__,
            "setup": "DataDriftPreset() with its defaults (per-column test chosen by Evidently, "
                     "dataset drift when at least half the columns drift), reference = the same "
                     "rows glamlab compares the window with (the 28 days before it); score = share of "
                     "drifted columns; root cause = the column furthest past its test's threshold"}


def nannyml(folder: Path, meta: dict) -> dict:
    import nannyml as nml

    cols = meta["categorical"] + meta["numerical"] + ["prediction"]
    ref = pd.read_parquet(folder / "reference.parquet")
    cbpe_ref = pd.read_parquet(folder / "cbpe_reference.parquet")
    cbpe_ref["pred"] = (cbpe_ref["prediction"] >= 0.5).astype(int)
    cbpe_ref["y"] = cbpe_ref["y"].astype(int)
    drift_by_n: dict[int, object] = {}
    cbpe_by_n: dict[int, object] = {}
    flags, scores, roots, estimates = [], [], [], []
    for i, w in enumerate(meta["windows"]):
        n = int(w["n"])
        cur = pd.read_parquet(folder / f"window{i}.parquet")
        if n not in drift_by_n:
            drift_by_n[n] = nml.UnivariateDriftCalculator(
                column_names=cols, treat_as_categorical=meta["categorical"], chunk_size=n,
            ).fit(ref[cols])
            cbpe_by_n[n] = nml.CBPE(y_pred_proba="prediction", y_pred="pred", y_true="y",
                                    metrics=["f1"], chunk_size=n,
                                    problem_type="classification_binary").fit(cbpe_ref)
        res = drift_by_n[n].calculate(cur[cols].iloc[:n]).filter(period="analysis").to_df()
        alerts, best, best_ratio = 0, None, -1.0
        for col in cols:
            for method in ("jensen_shannon", "chi2", "kolmogorov_smirnov", "l_infinity"):
                if (col, method, "alert") not in res.columns:
                    continue
                alert = bool(res[(col, method, "alert")].iloc[0])
                value = float(res[(col, method, "value")].iloc[0])
                upper = res[(col, method, "upper_threshold")].iloc[0]
                ratio = value / max(float(upper), 1e-12) if upper == upper and upper else 0.0
                alerts += alert
                if col != "prediction" and ratio > best_ratio:
                    best, best_ratio = col, ratio
        flags.append(alerts > 0)
        scores.append(alerts + min(best_ratio, 100.0) / 1000.0)
        roots.append(best)
        if w["shift"] is None:
            ana = cur[["prediction"]].iloc[:n].copy()
            ana["pred"] = (ana["prediction"] >= 0.5).astype(int)
            est = cbpe_by_n[n].estimate(ana).filter(period="analysis").to_df()
            estimates.append(float(est[("f1", "value")].iloc[0]))
        else:
            estimates.append(None)
    return {"flags": flags, "scores": scores, "root_causes": roots, "estimates": estimates,
            "version": nml.__version__,
            "setup": "UnivariateDriftCalculator with its default methods (Jensen-Shannon) and "
                     "thresholds (chunks of the whole 2015-16 training period, chunk size = the "
                     "window size); flagged when any column alerts; score = number of alerting "
                     "columns; root cause = the column furthest past its threshold. CBPE fitted "
                     "on the model's calibration rows (same as glamlab's reference)"}


if __name__ == "__main__":
    peer, folder = sys.argv[1], Path(sys.argv[2])
    meta = json.loads((folder / "meta.json").read_text())
    out = {"evidently": evidently, "nannyml": nannyml}[peer](folder, meta)
    json.dump(out, sys.stdout)
