from __future__ import annotations

import numpy as np
import pytest

from glamlab.monitoring.monitor import monitor
from glamlab.store import now


def _setup(ws, *, n_ref=300, windows=(), seed=0):
    """A model whose test-split predictions form the reference, and production runs
    drawn from given (p_a, score_mean) distributions."""
    rng = np.random.default_rng(seed)
    t = ws.store.t
    with ws.store.write() as conn:
        mid = conn.execute(t.models.insert().values(
            name="m", version=1, predictor="majority", params={}, artifacts={}, metrics={
                "accuracy": 0.9}, card={}, created_at=now())).inserted_primary_key[0]
        items, preds, splits = [], [], []
        run = 0

        def add_run(n, p_a, mu, prefix, split=None):
            nonlocal run
            run = conn.execute(t.runs.insert().values(
                model_id=mid, status="done", started_at=now(), done=n, failed=0
            )).inserted_primary_key[0]
            for i in range(n):
                iid = f"{prefix}-{i:05d}"
                lab = "a" if rng.random() < p_a else "b"
                score = float(np.clip(rng.normal(mu, 0.08), 0.5, 1.0))
                items.append(dict(item_id=iid, version=1, is_current=True, modality="image",
                                  source_kind="test", source="t", content_hash=iid,
                                  width=1000, height=1500, meta={}, created_at=now()))
                preds.append(dict(run_id=run, model_id=mid, item_id=iid, label=lab, labels=[lab],
                                  scores={lab: score}, score=score, created_at=now()))
                if split:
                    splits.append(dict(item_id=iid, split=split, created_at=now()))

        add_run(n_ref, 0.3, 0.85, "ref", split="test")
        for k, (n, p_a, mu) in enumerate(windows):
            add_run(n, p_a, mu, f"w{k}")
        conn.execute(t.items.insert(), items)
        conn.execute(t.predictions.insert(), preds)
        if splits:
            conn.execute(t.splits.insert(), splits)


def test_quiet_on_same_distribution_alert_on_shift(make_ws):
    ws = make_ws()
    _setup(ws, windows=[(200, 0.3, 0.85), (200, 0.3, 0.85), (200, 0.7, 0.65), (10, 0.9, 0.6)])
    report = monitor(ws, "m@1")
    by = {w.key: w for w in report.windows}
    keys = list(by)
    quiet1, quiet2, shifted, tiny = (by[k] for k in keys)
    assert not quiet1.alerts and not quiet2.alerts
    assert {r.signal for r in shifted.alerts} >= {"label_mix", "score"}
    # a 10-item window is never judged
    assert all(r.status in ("not enough data", "no data") for r in tiny.results)
    # the alert reads as a drift statistic, not as a value of the signal itself
    text = report.summary()
    assert "score changed (drift statistic" in text and "alert above" in text
    assert " > " not in text
    # alerts are stored once, even when monitoring twice
    monitor(ws, "m@1")
    with ws.store.read() as conn:
        import sqlalchemy as sa

        n = conn.execute(sa.select(sa.func.count()).select_from(ws.store.t.alerts)).scalar()
    assert n == len(shifted.alerts)


def test_thresholds_come_from_reference_variability(make_ws):
    """Large windows from the reference distribution stay quiet even though raw p-values
    would fire on some of them at a 5% level."""
    ws = make_ws()
    _setup(ws, n_ref=600, windows=[(300, 0.3, 0.85)] * 8, seed=3)
    report = monitor(ws, "m@1")
    assert report.alerts == []
    for w in report.windows:
        for r in w.results:
            if r.signal in ("label_mix", "score"):
                assert r.threshold is not None and r.threshold > 0


def test_not_enough_reference(make_ws):
    from glamlab.errors import GlamlabError

    ws = make_ws()
    _setup(ws, n_ref=20, windows=[(200, 0.3, 0.85)])
    with pytest.raises(GlamlabError, match="too few"):
        monitor(ws, "m@1")


def test_one_window_says_how_the_next_one_comes(make_ws):
    # "monitor again after the next run" was said after a run --force over the same
    # items too, which replaces their predictions and never makes a second window
    from glamlab.errors import GlamlabError

    ws = make_ws()
    _setup(ws, n_ref=20, windows=[(200, 0.3, 0.85)])
    with pytest.raises(GlamlabError, match="only one window") as err:
        monitor(ws, "m@1", reference="first")
    hint = err.value.hint or ""
    assert "ingest the next batch" in hint and "replaces their predictions" in hint, hint
    with pytest.raises(GlamlabError, match="only one window") as err:
        monitor(ws, "m@1", reference="first", window="day")
    assert "on a later day" in (err.value.hint or "") and "--window run" in (
        err.value.hint or "")
    with pytest.raises(GlamlabError, match="only one window") as err:
        monitor(ws, "m@1", reference="first", window="day", web=True)
    assert "Run page" in (err.value.hint or "") and "--" not in (err.value.hint or "")


def test_embedding_drift_from_cached_embeddings(make_ws):
    """Embeddings that a model cached are compared by a domain classifier: quiet on a
    window from the reference's distribution, an alert on a shifted one."""
    from glamlab.monitoring.monitor import EMBEDDING_KEY

    ws = make_ws()
    _setup(ws, windows=[(200, 0.3, 0.85), (200, 0.3, 0.85)])
    rng = np.random.default_rng(5)
    t = ws.store.t
    import sqlalchemy as sa

    with ws.store.read() as conn:
        ids = [r[0] for r in conn.execute(sa.select(t.items.c.item_id))]
    rows = []
    for iid in ids:
        shift = 1.0 if iid.startswith("w1-") else 0.0
        vec = rng.normal(loc=shift, size=8).astype("<f4")
        rows.append(dict(item_id=iid, extractor=EMBEDDING_KEY, content_hash=iid,
                         value=vec.tobytes(), created_at=now()))
    with ws.store.write() as conn:
        conn.execute(t.features.insert(), rows)
    report = monitor(ws, "m@1")
    same, shifted = report.windows
    emb = {w.key: next(r for r in w.results if r.signal == "embedding") for w in report.windows}
    assert emb[same.key].status == "ok", emb[same.key]
    assert emb[shifted.key].status == "alert", emb[shifted.key]
    assert emb[shifted.key].value > 0.8


def test_the_report_has_a_flat_table_and_monitor_a_docstring(make_ws):
    """MonitorReport.to_dict()["windows"] nests each window's results; table() gives one
    flat row per (window, signal), as TrendResult.table() does, for pandas."""
    import pandas as pd

    ws = make_ws()
    _setup(ws, windows=[(200, 0.3, 0.85), (200, 0.7, 0.65), (10, 0.9, 0.6)])
    report = monitor(ws, "m@1", store_alerts=False)
    rows = report.table()
    assert rows and all(list(r) == ["window", "signal", "status", "value", "threshold", "n"]
                        for r in rows)
    nested = report.to_dict()["windows"]
    assert len(rows) == sum(len(w["results"]) for w in nested)
    for w in nested:
        for r in w["results"]:
            assert {"window": w["window"], **{k: r[k] for k in ("signal", "status", "value",
                                                                "threshold", "n")}} in rows
    frame = pd.DataFrame(rows)
    shifted = frame[(frame["window"] == report.windows[1].key) & (frame["status"] == "alert")]
    assert {"label_mix", "score"} <= set(shifted["signal"])
    assert (frame[frame["window"] == report.windows[2].key]["status"]
            .isin(["not enough data", "no data"]).all())
    assert monitor.__doc__ and "table()" in monitor.__doc__


def test_says_which_window_and_signal_it_is_on(make_ws):
    """A long monitor says what it is doing with a count (window i of n, the signal, the
    reference chunk being calibrated), not only that it is still working."""
    ws = make_ws()
    _setup(ws, windows=[(200, 0.3, 0.85), (200, 0.7, 0.65)])
    notes: list[str] = []
    monitor(ws, "m@1", note=notes.append)
    assert any(n.startswith("monitor: window 1 of 2 (") and n.endswith(", label_mix")
               for n in notes), notes
    assert any("window 2 of 2" in n and ", score" in n for n in notes), notes
    assert any(n.endswith("score, reference chunk 30 of 30") for n in notes), notes
