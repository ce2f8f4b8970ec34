from __future__ import annotations

import numpy as np

from glamlab.monitoring.label_issues import confident_issues


def test_confident_learning_flags_swapped_labels():
    rng = np.random.default_rng(0)
    n = 200
    true = rng.integers(0, 2, n)
    proba = np.where(true[:, None] == np.arange(2)[None, :], 0.9, 0.1)
    proba += rng.normal(0, 0.03, proba.shape)
    given = true.copy()
    swapped = [3, 50, 120]
    given[swapped] = 1 - given[swapped]
    # the model is clearly confident about the true class of the swapped items
    proba[swapped] = np.where(true[swapped][:, None] == np.arange(2)[None, :], 0.97, 0.03)
    idx, suggested = confident_issues(proba, given)
    assert sorted(idx.tolist()) == swapped
    assert all(suggested[i] == true[i] for i in swapped)


def test_no_issues_when_model_agrees():
    proba = np.array([[0.8, 0.2], [0.3, 0.7], [0.9, 0.1], [0.2, 0.8]])
    idx, _ = confident_issues(proba, np.array([0, 1, 0, 1]))
    assert idx.tolist() == []


def test_ranked_by_self_confidence():
    proba = np.array([[0.9, 0.1], [0.95, 0.05], [0.2, 0.8], [0.4, 0.6], [0.05, 0.95]])
    given = np.array([0, 1, 1, 0, 1])  # items 1 and 3 look mislabelled
    idx, _ = confident_issues(proba, given)
    assert idx.tolist() == [1, 3]  # item 1 gives its label only 0.05


def test_label_issues_on_a_workspace_go_to_the_recheck_queue(make_ws):
    import sqlalchemy as sa
    from click.testing import CliRunner

    from glamlab.cli import cli
    from glamlab.store import now

    ws = make_ws(modality="text", labels=["long", "short"])
    t = ws.store.t
    wrong = {"t005", "t017", "t061"}
    rows_i, rows_l, rows_s = [], [], []
    for i in range(120):
        iid = f"t{i:03d}"
        n = 10 + (i * 37) % 90
        truth = "long" if n > 50 else "short"
        given = ({"long": "short", "short": "long"}[truth] if iid in wrong else truth)
        rows_i.append(dict(item_id=iid, version=1, is_current=True, modality="text",
                           source_kind="t", source="t", content_hash=iid, text="x" * n, meta={},
                           created_at=now()))
        rows_l.append(dict(item_id=iid, label=given, annotator="import", active=True,
                           created_at=now()))
        rows_s.append(dict(item_id=iid, split="test" if i >= 100 else "train", created_at=now()))
    with ws.store.write() as conn:
        conn.execute(t.items.insert(), rows_i)
        conn.execute(t.labels.insert(), rows_l)
        conn.execute(t.splits.insert(), rows_s)
    base = ["-w", str(ws.root)] + ([] if ws.store.is_sqlite else ["--db", ws.store.url])
    r = CliRunner().invoke(cli, [*base, "labels", "issues", "--predictor", "threshold",
                                 "--param", "statistic=text_length", "--json"])
    assert r.exit_code == 0, r.output
    import json

    data = json.loads(r.stdout)
    found = {row["item"] for row in data["issues"]}
    assert wrong <= found
    with ws.store.read() as conn:
        queued = {row.item_id for row in conn.execute(sa.select(t.review_queue).where(
            t.review_queue.c.kind == "recheck"))}
        labels_now = conn.execute(sa.select(sa.func.count()).select_from(t.labels).where(
            t.labels.c.active.is_(True))).scalar()
    assert wrong <= queued
    assert labels_now == 120  # nothing changed or dropped
    # queued once, even when asked twice
    CliRunner().invoke(cli, [*base, "labels", "issues", "--predictor", "threshold",
                                 "--param", "statistic=text_length"])
    with ws.store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.review_queue)).scalar() \
            == len(queued)
