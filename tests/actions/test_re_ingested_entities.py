"""An entities project whose text is corrected after a run: the next run predicts the
item again and withdraws the open review questions about the old spans, reviewers'
decisions are kept, and the exports say which items carry spans of an earlier text and
which decided spans no longer fit it."""

from __future__ import annotations

import csv

import pytest
import sqlalchemy as sa

from glamlab.actions.act import act
from glamlab.actions.entity_export import export_entities
from glamlab.inference import run
from glamlab.predictors.entities.baselines import EntityRulesPredictor
from glamlab.registry import save_model
from glamlab.review.decisions import StaleDecision, decide
from glamlab.review.queue import lease_queue
from glamlab.tasks.kinds import prepare_card

LABELS = ["PER", "LOC"]
RULES = [{"name": "city", "label": "LOC", "pattern": r"\b(?:Paris|Lyon)\b"}]


def _ingest(ws, path, a_text):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text"])
        w.writerows([["a", a_text], ["b", "Rien à Lyon."]])
    return ws.ingest([str(path)], id_column="id", text_column="text")


def _acted(make_ws, src):
    """An entities project whose items a ("M. Durand est à Paris et à Lyon.") and b come
    from the CSV ``src``, a rules model finding Paris and Lyon (LOC) run over them and
    act sending its spans to review: the workspace, the run's report and act's result."""
    ws = make_ws("ner", task="ner", kind="entities", modality="text", labels=LABELS,
                 prepare=prepare_card)
    _ingest(ws, src, "M. Durand est à Paris et à Lyon.")
    save_model(ws, EntityRulesPredictor(rules=RULES, preset=None).fit([], [], classes=LABELS),
               name="rules")
    ran = run(ws, "rules", workers=0)
    ws.card_path.write_text(ws.card_path.read_text() + '\n[policy]\nmodel = "rules@1"\n\n'
                            '[policy.labels.LOC]\nreview = 0.0\n')
    return ws, ran, act(ws)


def test_corrected_text_re_predicted_queue_withdrawn_decisions_kept(make_ws, tmp_path):
    src = tmp_path / "pages.csv"
    ws, ran, acted = _acted(make_ws, src)
    assert ran.done == 2 and acted.counts["review"] == 3
    queued = {(r["item_id"], r["value"]["text"]): r for r in lease_queue(ws, "ann")}
    paris = queued[("a", "Paris")]
    decide(ws, "ann", paris["id"], "accept", paris["version"])

    # the OCR of a is corrected: every span after "est" moves by 7 characters
    assert _ingest(ws, src, "M. Durand est arrivé à Paris et à Lyon.").updated == 1
    out = tmp_path / "before.csv"
    res = export_entities(ws, "csv", out)
    warned = [w for w in res.get("warnings", []) if "re-ingested" in w]
    assert len(warned) == 1 and "'a'" in warned[0] and "'b'" not in warned[0]
    assert "glamlab run" in warned[0]
    # the web app's Export page says so before anything is downloaded
    from glamlab.actions.export import stale_predictions_warning

    stale = stale_predictions_warning(ws)
    assert stale is not None and stale.startswith("1 item was brought in again")
    assert "rules@1" in stale and "Run the model again" in stale

    # the run withdraws the open question about a's old Lyon span at once: a reviewer
    # who has it open is refused with the reason
    again = run(ws, "rules", workers=0)
    assert (again.done, again.changed_now, again.withdrawn_now) == (1, 1, 1)
    assert "1 open review questions about their earlier predictions were withdrawn" \
        in again.summary()
    lyon = queued[("a", "Lyon")]
    with pytest.raises(StaleDecision, match="earlier prediction"):
        decide(ws, "ann", lyon["id"], "accept", lyon["version"])
    assert stale_predictions_warning(ws) is None  # predicted again: nothing stale
    acted = act(ws)
    assert acted.superseded == 0 and acted.written["review_queue"] == 2
    t = ws.store.t
    with ws.store.read() as conn:
        rows = {r.id: r for r in conn.execute(sa.select(t.review_queue))}
        decisions = conn.execute(sa.select(t.decisions)).fetchall()
    assert rows[queued[("a", "Lyon")]["id"]].status == "superseded"
    assert rows[queued[("b", "Lyon")]["id"]].status == "open"  # b did not change
    open_a = sorted((r.value["start"], r.value["text"]) for r in rows.values()
                    if r.item_id == "a" and r.status == "open")
    text = ws.item("a").text
    assert all(text[s:s + len(w)] == w for s, w in open_a) and len(open_a) == 2
    # the reviewer's decision on the old Paris span is kept, and reported, not exported
    assert [(d.item_id, d.action, d.user) for d in decisions] == [("a", "accept", "ann")]
    res = export_entities(ws, "csv", tmp_path / "after.csv")
    warnings = res.get("warnings", [])
    assert not [w for w in warnings if "re-ingested with new text" in w]
    unfit = [w for w in warnings if "no longer lie on the item's text" in w]
    assert len(unfit) == 1 and "'a'" in unfit[0]
    exported = list(csv.DictReader((tmp_path / "after.csv").read_text(
        encoding="utf-8-sig").splitlines()))
    assert {r["item_id"] for r in exported} == {"a", "b"}
    for r in exported:
        item_text = ws.item(r["item_id"]).text
        assert item_text[int(r["start"]):int(r["end"])] == r["text"], r
