"""Bookings that drift: glamlab's tabular drift monitor, performance estimate and
time-aware evaluation against Evidently and NannyML, on real hotel bookings.

    python benchmarks/drift.py [--seed 0] [--no-peers] > drift.json

Data: ``shared/data/bookings/hotel_bookings.csv.gz`` (119,390 real bookings, CC BY 4.0).
Everything is learned on arrivals of 2015-2016 (the training period): the model
(LightGBM by default, calibrated on the latest 20% of the training rows), the monitor's
thresholds (windows replayed inside the training period, each against the 28 days of
bookings before it, each hotel against the same hotel, a number's shift judged against the
shift of the same weeks of the other training year) and the range check. Nothing is
learned on 2017. A 2017 window is
compared with the 28 days of bookings that arrived before it (inputs and scores only:
no outcome is needed); ``glamlab_season_reference`` gives the figures with the other
reference, the same weeks of the previous year.

Windows of 2017 (contiguous runs of bookings in arrival order, 200 to 2,000 rows):

- ``--windows`` (40) **without a staged shift**: 2017 as it happened. 2017 does differ
  from 2015-16 (season, prices, lead times): a window counts as a false alarm when it is
  flagged anyway;
- ``--windows`` (40) **with a staged shift**, the first window after it, one of:
  ``lead_time`` (the bookings of those weeks are resampled from the real 2017 bookings
  of the same weeks ± 30 days made at most 7 days ahead: people book days ahead instead
  of months), ``distribution_channel`` (half of the window's bookings come through a
  new channel, "App"), ``adr`` (prices rise by half: every booking's rate × 1.5).

Figures per system: ``false_alarm_rate``, ``detection_rate``, ``root_cause_top1`` (the
staged column ranked first among the flagged ones), and for glamlab and NannyML
``estimated_vs_realised_mae`` (|estimated - realised F1| on the windows without a shift;
NannyML's CBPE gets the same reference: the calibration rows' probabilities and
outcomes). Peers run in their own virtual environments under ``.bench/`` (created on
first use: their dependencies clash with glamlab's pandas 3), on the same windows and
scores: Evidently's DataDriftPreset with its defaults against the same reference rows
glamlab uses (the 28 days of bookings before the window), NannyML's univariate drift (its thresholds from chunks of
the whole training period, the window size as chunk size) and CBPE. For the peers the
figures are also given **at glamlab's detection rate**: the false-alarm rate of the
peer's own window score (share of drifted columns; number of alerting columns) at the
lowest threshold that detects at least as many shifted windows as glamlab.

``backtest``: the time split (train 2015-16, test 2017) of the model(s) and of each
baseline with 95% week-block intervals, yes/no per booking (F1, AUC, Brier) and count
per arrival day and hotel (MAE); the monthly rolling-origin backtest over 2017; and the
overbooking decision replayed over 2017.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bookings import bookings_schema, hotel_table  # noqa: E402

from glamlab.actions.capacity import calibration_before, plan, replay  # noqa: E402
from glamlab.evaluation.backtest import (  # noqa: E402
    backtest,
    count_scores,
    group_counts,
    time_split,
)
from glamlab.ingest.columns import prepare  # noqa: E402
from glamlab.monitoring.estimate import RangeCheck, estimate  # noqa: E402
from glamlab.monitoring.tabular import DriftConfig, TabularDriftMonitor  # noqa: E402
from glamlab.predictors.tabular import (  # noqa: E402
    LastPeriod,
    SamePeriodLastYear,
    TabularGBM,
    TrainingShare,
)
from glamlab.store.jsontext import encoder  # noqa: E402
from glamlab.tasks.leakage import check_leakage  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GLAMLAB_SHARED_DATA", ROOT.parent / "shared" / "data"))
DATA = SHARED / "bookings" / "hotel_bookings.csv.gz"
CUTOFF = "2017-01-01"
SIZES = (200, 500, 1000, 2000)
SHIFTS = ("lead_time", "distribution_channel", "adr")
PEERS = {"evidently": ["evidently==0.7.23", "pandas<3", "pyarrow"],
         "nannyml": ["nannyml==0.13.1", "statsmodels", "pandas<3", "pyarrow"]}


#: the figures as strict JSON, as ``--json`` and the exports write them: a figure that is
#: not a number (the AUC of a month with one outcome, the mean of no windows) is null;
#: ``json.dumps`` wrote ``NaN``, which jq and every other JSON reader refuse
json_text = encoder(indent=2, default=str)


def log(msg: str) -> None:
    print(f"[drift] {msg}", file=sys.stderr, flush=True)


# -- windows -----------------------------------------------------------------------------------
def staged(test: pd.DataFrame, start: int, n: int, kind: str, rng: np.random.Generator
           ) -> pd.DataFrame:
    window = test.iloc[start : start + n].copy()
    if kind == "lead_time":
        t = test["arrival_date"]
        lo = window["arrival_date"].min() - pd.Timedelta(days=30)
        hi = window["arrival_date"].max() + pd.Timedelta(days=30)
        pool = test[(t >= lo) & (t <= hi) & (test["lead_time"] <= 7)]
        pick = (rng.choice(len(pool), n, replace=False) if len(pool) >= n
                else rng.integers(0, len(pool), n))
        out = pool.iloc[np.sort(pick)].copy()
        out["arrival_date"] = window["arrival_date"].to_numpy()  # the same arrival days
        return out.reset_index(drop=True)
    if kind == "distribution_channel":
        app = rng.random(n) < 0.5
        window.loc[app, "distribution_channel"] = "App"
    elif kind == "adr":
        window["adr"] = window["adr"] * 1.5
    return window.reset_index(drop=True)


def make_windows(test: pd.DataFrame, count: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        n = SIZES[i % len(SIZES)]
        s = int(rng.integers(0, len(test) - n))
        out.append({"shift": None, "n": n, "start": s,
                    "frame": test.iloc[s : s + n].reset_index(drop=True)})
    for i in range(count):
        n = SIZES[i % len(SIZES)]
        kind = SHIFTS[i % len(SHIFTS)]
        s = int(rng.integers(0, len(test) - n))
        out.append({"shift": kind, "n": n, "start": s, "frame": staged(test, s, n, kind, rng)})
    return out


# -- scoring -------------------------------------------------------------------------------------
def rates(flags: list[bool], shifted: list[bool]) -> tuple[float, float]:
    f = np.array(flags)
    s = np.array(shifted)
    return float(f[~s].mean()), float(f[s].mean())


def at_detection_rate(scores: list[float], shifted: list[bool], target: float) -> dict:
    """The false-alarm rate of a window score at the lowest threshold whose detection
    rate is at least ``target``."""
    sc = np.array(scores, dtype=float)
    s = np.array(shifted)
    for thr in sorted(set(sc.tolist()), reverse=True):
        flagged = sc >= thr
        if flagged[s].mean() >= target:
            return {"detection_rate": round(float(flagged[s].mean()), 4),
                    "false_alarm_rate": round(float(flagged[~s].mean()), 4),
                    "score_threshold": thr}
    return {"detection_rate": round(float((sc >= sc.min())[s].mean()), 4),
            "false_alarm_rate": 1.0, "score_threshold": float(sc.min())}


def cross_fit(train: pd.DataFrame, make, folds: int = 3) -> np.ndarray:
    """Out-of-fold scores for the training rows (months dealt round-robin to folds)."""
    month = train["arrival_date"].dt.to_period("M")
    order = {m: i % folds for i, m in enumerate(sorted(month.unique()))}
    fold = month.map(order).to_numpy()
    out = np.empty(len(train))
    for k in range(folds):
        out[fold == k] = make().fit_table(train[fold != k]).predict_table(train[fold == k])
    return out


# -- peers ---------------------------------------------------------------------------------------
def peer_python(name: str) -> Path:
    venv = ROOT / ".bench" / f"{name}-venv"
    py = venv / "bin" / "python"
    if not (venv / ".ready").exists():
        log(f"creating {venv} ({', '.join(PEERS[name])})")
        env = {k: v for k, v in os.environ.items() if k not in ("PIP_CONSTRAINT", "PYTHONPATH")}
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", *PEERS[name]], check=True,
                       env=env)
        (venv / ".ready").write_text("ok")
    return py


def run_peer(name: str, folder: Path) -> dict:
    py = peer_python(name)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(NML_DISABLE_USAGE_LOGGING="1", DO_NOT_TRACK="1")  # no telemetry calls
    t0 = time.perf_counter()
    proc = subprocess.run([str(py), str(ROOT / "benchmarks" / "_drift_peers.py"), name,
                           str(folder)], capture_output=True, text=True, env=env)
    if proc.returncode:
        raise RuntimeError(f"{name} failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout)
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out


# -- main ----------------------------------------------------------------------------------------
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--windows", type=int, default=40)
    ap.add_argument("--engine", default="lightgbm", choices=["lightgbm", "hgb"])
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--no-rolling", action="store_true")
    ap.add_argument("--no-backtest", action="store_true")
    ap.add_argument("--only-backtest", action="store_true",
                    help="just the time split / rolling-origin backtest and the decision")
    ap.add_argument("--threads", type=int, default=1,
                    help="OpenMP threads per model (1 is fastest on a busy machine)")
    args = ap.parse_args()
    t_all = time.perf_counter()
    started = time.strftime("%Y-%m-%dT%H:%M:%S")
    load0 = os.getloadavg()[0]

    table = hotel_table(DATA, as_strings=False)
    schema = bookings_schema(table)
    frame = prepare(table, schema)
    train, test = time_split(frame, schema, CUTOFF)
    test = test.reset_index(drop=True)
    log(f"{len(train):,} training bookings, {len(test):,} in 2017")

    card = schema.to_card()
    if args.only_backtest:
        print(json_text({"benchmark": "drift", "seed": args.seed, "started": started,
                         "load_average_at_start": round(load0, 2),
                         "backtest": run_backtest(frame, schema, card, args),
                         "seconds_total": round(time.perf_counter() - t_all, 1),
                         "load_average_at_end": round(os.getloadavg()[0], 2)}))
        return
    leak = check_leakage(train, schema, seed=args.seed)

    def make() -> TabularGBM:
        return TabularGBM(card, engine=args.engine, seed=args.seed, threads=args.threads)

    t0 = time.perf_counter()
    model = make().fit_table(train)
    fit_seconds = time.perf_counter() - t0
    log(f"model fitted in {fit_seconds:.0f} s; cross-fitting the training scores")
    ref_scores = cross_fit(train, make)

    monitors = {ref: TabularDriftMonitor(schema, DriftConfig(reference=ref, seed=args.seed))
                .fit(train, ref_scores) for ref in ("recent", "season")}
    check = RangeCheck(schema).fit(train)
    windows = make_windows(test, args.windows, args.seed)
    shifted = [w["shift"] is not None for w in windows]
    # what arrived before each window (inputs and the model's scores, no outcomes):
    # the training rows with their cross-fitted scores, then 2017 as it happened
    history = pd.concat([train, test], ignore_index=True)
    history_scores = np.r_[ref_scores, model.predict_table(test)]

    t0 = time.perf_counter()
    results: dict[str, list] = {"recent": [], "season": []}
    estimates = []
    for w in windows:
        w["scores"] = model.predict_table(w["frame"])
        for ref, mon in monitors.items():
            results[ref].append(mon.check(w["frame"], w["scores"], before=history,
                                          before_scores=history_scores))
        estimates.append(estimate(w["scores"], w["frame"], check, seed=args.seed))
    monitor_seconds = time.perf_counter() - t0
    log(f"glamlab checked {len(windows)} windows in {monitor_seconds:.0f} s")

    def figures(res: list) -> dict:
        flags = [r.flagged for r in res]
        far, dr = rates(flags, shifted)
        top = [r.root_cause == w["shift"] for r, w in zip(res, windows, strict=True) if w["shift"]]
        by_kind = {k: round(float(np.mean([r.root_cause == k for r, w in
                                           zip(res, windows, strict=True) if w["shift"] == k])), 4)
                   for k in SHIFTS}
        return {"false_alarm_rate": round(far, 4), "detection_rate": round(dr, 4),
                "root_cause_top1": round(float(np.mean(top)), 4),
                "root_cause_top1_by_shift": by_kind,
                "false_alarms": [{"start": r.start, "n": r.n, "root_cause": r.root_cause,
                                  "top": r.columns[0].words}
                                 for r, s in zip(res, shifted, strict=True) if r.flagged and not s]}

    glam = figures(results["recent"])
    pre = [e for e, s in zip(estimates, shifted, strict=True) if not s]
    glam["estimated_vs_realised_mae"] = round(float(np.mean(
        [abs(e.value - e.realised) for e in pre])), 4)
    glam["estimate_within_interval"] = round(float(np.mean(
        [e.low <= e.realised <= e.high for e in pre])), 4)
    glam["estimate_trusted_share"] = {
        "unshifted": round(float(np.mean([e.trusted for e in pre])), 4),
        **{k: round(float(np.mean([e.trusted for e, w in zip(estimates, windows, strict=True)
                                   if w["shift"] == k])), 4) for k in SHIFTS}}
    glam["estimated_vs_realised_mae_shifted"] = {
        k: round(float(np.mean([abs(e.value - e.realised) for e, w in
                                zip(estimates, windows, strict=True) if w["shift"] == k])), 4)
        for k in SHIFTS}
    glam["examples"] = {windows[args.windows + k]["shift"]:
                        results["recent"][args.windows + k].summary() for k in range(3)}
    glam["thresholds"] = {str(n): round(monitors["recent"].calibrate(n)[2], 3) for n in SIZES}
    glam["calibration_windows"] = {str(n): monitors["recent"].calibrate(n)[3] for n in SIZES}
    glam["seconds"] = {"fit": round(fit_seconds, 1), "check_all_windows": round(monitor_seconds, 1)}
    glam_season = figures(results["season"])
    glam_season["false_alarms"] = len(glam_season["false_alarms"])

    out: dict = {"benchmark": "drift", "seed": args.seed, "started": started,
                 "load_average_at_start": round(load0, 2), "engine": args.engine,
                 "data": {"file": str(DATA.relative_to(SHARED.parent)),
                          "training_rows": len(train), "rows_2017": len(test),
                          "windows_without_shift": args.windows,
                          "windows_with_shift": args.windows, "window_sizes": list(SIZES)},
                 "leakage": leak.to_dict() | {"columns": leak.to_dict()["columns"][:6]},
                 "glamlab": glam, "glamlab_season_reference": glam_season}

    if not args.no_peers:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            write_peer_data(folder, schema, train, ref_scores, history, history_scores, model,
                            windows, monitors["recent"].config.recent_days)
            for name in PEERS:
                log(f"running {name}")
                res = run_peer(name, folder)
                target = glam["detection_rate"]
                flags = res.pop("flags")
                far, dr = rates(flags, shifted)
                roots = res.pop("root_causes")
                top = [r == w["shift"] for r, w in zip(roots, windows, strict=True) if w["shift"]]
                peer = {"false_alarm_rate": round(far, 4), "detection_rate": round(dr, 4),
                        "root_cause_top1": round(float(np.mean(top)), 4),
                        "at_glamlab_detection_rate": at_detection_rate(res.pop("scores"),
                                                                       shifted, target)}
                est = res.pop("estimates", None)
                if est is not None:
                    errs = [abs(v - e.realised) for v, e, s in
                            zip(est, estimates, shifted, strict=True) if not s and v is not None]
                    peer["estimated_vs_realised_mae"] = round(float(np.mean(errs)), 4)
                    peer["estimated_windows"] = len(errs)
                peer.update(res)
                out[name] = peer

    if not args.no_backtest:
        log("backtest")
        out["backtest"] = run_backtest(frame, schema, card, args)
    out["seconds_total"] = round(time.perf_counter() - t_all, 1)
    out["load_average_at_end"] = round(os.getloadavg()[0], 2)
    print(json_text(out))


def write_peer_data(folder: Path, schema, train: pd.DataFrame, ref_scores: np.ndarray,
                    history: pd.DataFrame, history_scores: np.ndarray, model,
                    windows: list[dict], recent_days: int) -> None:
    feats = schema.features
    cats = [c for c in feats if schema.columns[c] == "category"]
    nums = [c for c in feats if c not in cats]

    def table(df: pd.DataFrame, scores: np.ndarray) -> pd.DataFrame:
        out = df[feats].copy()
        for c in cats:
            out[c] = out[c].astype(str)
        for c in nums:
            out[c] = out[c].astype(float)
        out["prediction"] = scores
        out["y"] = df[schema.label_column].to_numpy(dtype=float)
        out["arrival_date"] = df[schema.time_column].to_numpy()
        return out

    table(train, ref_scores).to_parquet(folder / "reference.parquet")
    table(history, history_scores).to_parquet(folder / "history.parquet")
    ht = history["arrival_date"].to_numpy()
    r = model.reference_
    pd.DataFrame({"prediction": r["proba"], "y": r["y"],
                  "arrival_date": r["time"]}).to_parquet(folder / "cbpe_reference.parquet")
    meta = {"categorical": cats, "numerical": nums, "windows": []}
    for i, w in enumerate(windows):
        table(w["frame"], w["scores"]).to_parquet(folder / f"window{i}.parquet")
        start = w["frame"]["arrival_date"].min().to_datetime64()
        rows = np.flatnonzero((ht >= start - np.timedelta64(recent_days, "D")) & (ht < start))
        meta["windows"].append({"n": w["n"], "shift": w["shift"], "reference_rows": rows.tolist()})
    (folder / "meta.json").write_text(json.dumps(meta))


def run_backtest(frame, schema, card, args) -> dict:
    def models(include_hgb: bool) -> dict:
        out = {f"tabular-gbm ({args.engine})": lambda: TabularGBM(
            card, engine=args.engine, seed=args.seed, threads=args.threads)}
        if include_hgb and args.engine != "hgb":
            out["tabular-gbm (hgb)"] = lambda: TabularGBM(card, engine="hgb", seed=args.seed,
                                                          threads=args.threads)
        out.update({"tabular-share": lambda: TrainingShare(card),
                    "tabular-last-period": lambda: LastPeriod(card),
                    "tabular-last-year": lambda: SamePeriodLastYear(card)})
        return out

    t0 = time.perf_counter()
    split = backtest(frame, schema, models(True), origins=[CUTOFF], horizon="YS",
                     seed=args.seed)
    y = frame.loc[split.test_index]
    count: dict = {}
    decision: dict = {}
    makers = models(True)
    for name, p in split.predictions.items():
        counts = group_counts(y, schema, p, group_by=["hotel"])
        count[name] = count_scores(counts, seed=args.seed)["mae"]
        slots = plan(y, schema, p, risk=0.05, group_by=["hotel"])
        raw = replay(slots, risk=0.05, price=100.0, over_cost=300.0).to_dict()
        # calibrated on the outcomes of the latest 60 days x hotels as they come in, started
        # on December 2016 predicted by a copy trained on the rows before it (glamlab's default)
        cal = calibration_before(frame, schema, makers[name](), name, start=CUTOFF, cutoff=CUTOFF,
                           risk=0.05, group_by=["hotel"], freq="D", window=60, step=0.01)
        calibrated = plan(y, schema, p, risk=0.05, group_by=["hotel"], calibration=cal)
        # the same with rooms sold a week ahead: a day's outcome is used 7 days later
        cal7 = calibration_before(frame, schema, makers[name](), name, start=CUTOFF,
                                  cutoff=CUTOFF, risk=0.05, group_by=["hotel"], freq="D",
                                  window=60, step=0.01, lead=7)
        ahead = plan(y, schema, p, risk=0.05, group_by=["hotel"], calibration=cal7)
        decision[name] = {"calibrated": replay(calibrated, risk=0.05, price=100.0,
                                               over_cost=300.0).to_dict(),
                          "calibrated_lead_7_days": replay(ahead, risk=0.05, price=100.0,
                                                           over_cost=300.0).to_dict(),
                          "uncalibrated": raw, "calibration": cal.to_dict()}
    res = {"time_split": {"train": "arrivals 2015-07-01 to 2016-12-31",
                          "test": "arrivals 2017-01-01 to 2017-08-31",
                          "per_booking": split.overall,
                          "count_per_day_and_hotel_mae": count,
                          "seconds": round(time.perf_counter() - t0, 1)},
           "decision": {"what": "extra rooms to sell per arrival day and hotel for a 5% risk "
                                "of being over capacity; 100 EUR earned per extra room, 300 EUR "
                                "lost per guest over capacity; replayed on 2017 with the "
                                "time-split predictions, calibrated day by day on the "
                                "outcomes of the latest 60 days x hotels (glamlab's default) "
                                "and taken at their word (uncalibrated)",
                        **decision}}
    if not args.no_rolling:
        t0 = time.perf_counter()
        origins = list(pd.date_range("2017-01-01", "2017-08-01", freq="MS"))
        roll = backtest(frame, schema, models(False), origins=origins, seed=args.seed)
        res["rolling_origin"] = {"origins": [str(o.date()) for o in origins],
                                 "per_booking": roll.overall,
                                 "by_month": {f.origin[:7]: {m: s["f1"] for m, s in f.scores.items()}
                                              for f in roll.folds},
                                 "seconds": round(time.perf_counter() - t0, 1)}
        # the same pooled predictions as counts
        pooled = frame.loc[roll.test_index]
        res["rolling_origin"]["count_per_day_and_hotel_mae"] = {
            m: count_scores(group_counts(pooled, schema, p, group_by=["hotel"]),
                            seed=args.seed)["mae"] for m, p in roll.predictions.items()}
    return res


if __name__ == "__main__":
    main()
