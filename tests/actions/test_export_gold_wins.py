"""In a classification project a label the policy accepted automatically on an item
that already had a person's gold label was exported as the machine's, unconfirmed, even
where the person's label was another: only the candidates going to review asked the
gold. So a page a person labelled "content" that the model accepted as "blank" was left
out of the filter list of pages to send to OCR. A person's label wins in every export
and in act's report: an accepted label the gold gives is confirmed by who gave it
(``decision=gold``), one it does not give is not exported as accepted (``reject``,
the reason naming the person's label). In a multi-label project the gold labels are
the item's set (a label not among them is rejected), unless a reviewer's decision on
one suggestion wrote them: that says nothing of the item's other labels."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from .helpers import add_gold, add_items, add_model, add_predictions, run_cli

BLANK_POLICY = {"field": "page_type", "labels": {"blank": {"accept": 0.9, "review": 0.5},
                                                 "content": {"accept": 0.9, "review": 0.5}}}


def _blank_pages(make_ws: Any, name: str, scores: dict[str, dict[str, float]],
                 gold: dict[str, str] | None = None, meta: dict[str, Any] | None = None) -> Any:
    """A blank-pages project ``name`` (a page costs 0.1 to OCR), one item per page of
    ``scores`` (with ``meta``), the gold labels ``gold`` (train split), model blanks@1
    predicting ``scores``, and the blank policy."""
    ws = make_ws(name, task="blank-pages", labels=["blank", "content"],
                 positive_label="blank", price_per_item=0.1)
    add_items(ws, [{"item_id": i, "uri": f"https://example.org/scans/{i}.jpg",
                    **({"meta": meta} if meta else {})} for i in scores])
    if gold:
        add_gold(ws, gold, split="train")
    add_predictions(ws, add_model(ws, "blanks", 1), scores)
    ws.card.raw["policy"] = BLANK_POLICY
    ws.save_card()
    return ws


def _pages(make_ws: Any) -> Any:
    """p1: a person labelled it content, the model accepts blank; p2: a person labelled
    it blank, the model accepts blank; p3: no gold, blank accepted; p4: no gold,
    content accepted."""
    return _blank_pages(make_ws, "pages", {"p1": {"blank": 0.99, "content": 0.01},
                                           "p2": {"blank": 0.97, "content": 0.03},
                                           "p3": {"blank": 0.98, "content": 0.02},
                                           "p4": {"content": 0.96, "blank": 0.04}},
                        gold={"p1": "content", "p2": "blank"})


def test_a_page_a_person_labelled_content_is_never_in_the_skip_list(
        make_ws: Any, tmp_path: Path, capsys: Any) -> None:
    from glamlab.actions import act, export, render
    from glamlab.actions.export import iter_rows

    ws = _pages(make_ws)
    report = act(ws)
    assert report.counts["accept"] == 4
    # the filter list (the pages to send to OCR): p1 is on it, as the unlabelled content
    # page p4 is; the blank pages p2 and p3 are held back
    out = tmp_path / "send-on.txt"
    export(ws, "filter", out)
    sent = out.read_text(encoding="utf-8").split()
    assert sent == ["https://example.org/scans/p1.jpg", "https://example.org/scans/p4.jpg"]
    # the same with glamlab export
    code, stdout, _ = run_cli(capsys, ws, "export", "--format", "filter")
    assert code == 0 and stdout.split() == sent
    # the exports say what the gold says
    rows = {e.row["item_id"]: e.row for e in iter_rows(ws)}
    p1, p2 = rows["p1"], rows["p2"]
    # (p1's row carries the person's label in place of the model's blank, as a
    # reviewer's correction does: test_gold_label_in_place)
    assert (p1["value"], p1["predicted_value"], p1["action"], p1["decision"],
            p1["confirmed_by"]) == ("content", "blank", "accept", "gold", "curator")
    assert p1["reason"].startswith("settled by a gold label: curator's label is 'content'")
    assert (p2["value"], p2["action"], p2["decision"], p2["confirmed_by"]) == (
        "blank", "accept", "gold", "curator")
    assert (rows["p3"]["action"], rows["p3"]["decision"], rows["p3"]["confirmed_by"]) == (
        "accept", None, None)

    # act's filter figures agree with the list, and its words say the person's label wins
    shown = report.to_dict()
    f = shown["filter"]
    assert (f["accepted_as_positive"], f["sent_on"], f["overruled_by_gold"]) == (2, 2, 1)
    assert f["sent_on"] == len(sent)
    assert (shown["accept_settled_by_gold"], shown["accept_overruled_by_gold"]) == (2, 1)
    words = render(shown)
    assert ("2 of the accepted labels are on items a person already labelled: the "
            "person's label wins over the model's in every export (1 it gives is confirmed "
            "by who gave it; 1 it does not give is not exported as accepted") in words
    assert "(1 of them accepted as 'blank' by the model but labelled otherwise" in words

    # the other exports: p1's blank is never given as accepted, the person's content is
    out = tmp_path / "export.csv"
    export(ws, "csv", out)
    table = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert {(r["item_id"], r["action"], r["confirmed_by"]) for r in table} == {
        ("p1", "accept", "curator"), ("p2", "accept", "curator"), ("p3", "accept", ""),
        ("p4", "accept", "")}
    out = tmp_path / "export.jsonl"
    export(ws, "jsonl", out)
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [(x["value"], x["action"]) for x in lines if x["item_id"] == "p1"] == [
        ("content", "accept")]
    out = tmp_path / "annif"
    export(ws, "annif", out)  # accepted values only
    subjects = {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()
                if p.suffix in (".tsv", ".key") and p.name != "index.tsv"}
    assert subjects and not any(name.startswith("p1") and "blank" in text
                                for name, text in subjects.items())
    out = tmp_path / "export.json"
    export(ws, "w3c", out)
    annos = json.loads(out.read_text(encoding="utf-8"))["first"]["items"]
    on_p1 = [a for a in annos if a["target"]["source"].endswith("/p1.jpg")]
    assert [(a["body"]["value"], a["action"], a.get("confirmedBy")) for a in on_p1] == [
        ("content", "accept", "curator")]


def test_multi_label_the_persons_set_wins_over_accepted_labels(make_ws: Any) -> None:
    from glamlab.actions import act, render
    from glamlab.actions.export import iter_rows

    ws = make_ws("ml", task="subjects", labels=["a", "b", "c"], multi_label=True)
    add_items(ws, [{"item_id": i} for i in ("m1", "m2", "m3")])
    # m1: a person gave {a, b}; m2: a reviewer's decision on one suggestion gave {a}
    add_gold(ws, {"m1": ["a", "b"], "m2": "a"}, split="train")
    t = ws.store.t
    with ws.store.write() as conn:
        conn.execute(t.labels.update().where(t.labels.c.item_id == "m2")
                     .values(source="review"))
    mid = add_model(ws, "subj", 1)
    scores = {"a": 0.95, "b": 0.1, "c": 0.97}
    add_predictions(ws, mid, {"m1": scores, "m2": scores, "m3": scores}, multi_label=True)
    ws.card.raw["policy"] = {"field": "subject",
                             "labels": {x: {"accept": 0.9, "review": 0.5} for x in "abc"}}
    ws.save_card()
    report = act(ws)
    rows = {(e.row["item_id"], e.row["value"]): e.row for e in iter_rows(ws)
            if e.row["value"] != "b"}  # (b: below the review threshold, rejected)
    got = {k: (r["action"], r["decision"], r["confirmed_by"]) for k, r in rows.items()}
    assert got == {
        # the person's set gives a, not c
        ("m1", "a"): ("accept", "gold", "curator"), ("m1", "c"): ("reject", "gold", "curator"),
        # a reviewer accepting a says nothing of c
        ("m2", "a"): ("accept", "gold", "curator"), ("m2", "c"): ("accept", None, None),
        ("m3", "a"): ("accept", None, None), ("m3", "c"): ("accept", None, None)}
    assert rows[("m1", "c")]["reason"] == (
        "settled by a gold label: curator's labels are 'a', 'b', not this one (a person's "
        "label wins over the model's)")
    assert (report.accept_settled_by_gold, report.accept_overruled) == (3, {"c": 1})
    assert "3 of the accepted labels are on items a person already labelled" in render(
        report.to_dict())
    # act writes what the policy accepted, except m1's c, which the person's set
    # overrules (not kept as automatic metadata)
    with ws.store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(
            t.machine_metadata)).scalar() == 5
    assert report.not_written_overruled == 1


def _more_pages(make_ws: Any) -> Any:
    """q1: a person labelled it blank, the model's blank is below the thresholds
    (rejected); q2: labelled blank, the model accepts content; q3: labelled blank, the
    model sends content to review; q4: no gold, content accepted; q5: labelled content,
    the model's content is rejected; q6: no gold, blank accepted."""
    return _blank_pages(make_ws, "more-pages", {"q1": {"blank": 0.45, "content": 0.40},
                                                "q2": {"content": 0.96, "blank": 0.04},
                                                "q3": {"content": 0.7, "blank": 0.3},
                                                "q4": {"content": 0.96, "blank": 0.04},
                                                "q5": {"content": 0.3, "blank": 0.25},
                                                "q6": {"blank": 0.98, "content": 0.02}},
                        gold={"q1": "blank", "q2": "blank", "q3": "blank", "q5": "content"})


def test_a_rejected_label_the_persons_label_gives_is_exported_accepted(
        make_ws: Any, tmp_path: Path) -> None:
    """A label below the thresholds that the item's gold label gives: the person said it
    is right, so every export accepts it, confirmed by them."""
    from glamlab.actions import act, export, render
    from glamlab.actions.export import iter_rows

    ws = _more_pages(make_ws)
    report = act(ws)
    rows = {e.row["item_id"]: e.row for e in iter_rows(ws)}
    for item_id, label in (("q1", "blank"), ("q5", "content")):
        r = rows[item_id]
        assert (r["value"], r["action"], r["decision"], r["confirmed_by"]) == (
            label, "accept", "gold", "curator")
        assert r["reason"] == "settled by a gold label: curator's label gives it"
    out = tmp_path / "export.csv"
    export(ws, "csv", out)
    table = {r["item_id"]: r for r in csv.DictReader(
        io.StringIO(out.read_text(encoding="utf-8-sig")))}
    assert (table["q1"]["action"], table["q1"]["confirmed_by"]) == ("accept", "curator")
    assert (report.counts["reject"], report.reject_given_by_gold) == (
        2, {"blank": 1, "content": 1})
    assert "2 of the rejected labels are given by a person's label on the item" in render(
        report.to_dict())


def test_multi_label_a_rejected_label_in_the_persons_set_is_accepted(make_ws: Any) -> None:
    from glamlab.actions import act
    from glamlab.actions.export import iter_rows

    ws = make_ws("ml2", task="subjects", labels=["a", "b", "c"], multi_label=True)
    add_items(ws, [{"item_id": i} for i in ("m1", "m2")])
    add_gold(ws, {"m1": ["a", "b"]}, split="train")
    mid = add_model(ws, "subj", 1)
    scores = {"a": 0.95, "b": 0.1, "c": 0.2}
    add_predictions(ws, mid, {"m1": scores, "m2": scores}, multi_label=True)
    ws.card.raw["policy"] = {"field": "subject",
                             "labels": {x: {"accept": 0.9, "review": 0.5} for x in "abc"}}
    ws.save_card()
    report = act(ws)
    got = {(e.row["item_id"], e.row["value"]): (e.row["action"], e.row["decision"],
                                                e.row["confirmed_by"]) for e in iter_rows(ws)}
    assert got == {
        ("m1", "a"): ("accept", "gold", "curator"), ("m1", "b"): ("accept", "gold", "curator"),
        ("m1", "c"): ("reject", None, None),  # (rejected by the policy and the person)
        ("m2", "a"): ("accept", None, None), ("m2", "b"): ("reject", None, None),
        ("m2", "c"): ("reject", None, None)}
    assert report.reject_given_by_gold == {"b": 1}


def test_a_page_a_person_labelled_blank_is_held_back_from_ocr(
        make_ws: Any, tmp_path: Path, capsys: Any) -> None:
    """The filter list (the pages to send to OCR) holds back a page a person labelled
    blank, whatever the model said of it (content accepted or sent to review, blank
    rejected), and act's filter figures count it."""
    from glamlab.actions import act, export

    ws = _more_pages(make_ws)
    report = act(ws)
    out = tmp_path / "send-on.txt"
    export(ws, "filter", out)
    sent = out.read_text(encoding="utf-8").split()
    assert sent == ["https://example.org/scans/q4.jpg", "https://example.org/scans/q5.jpg"]
    code, stdout, _ = run_cli(capsys, ws, "export", "--format", "filter")
    assert code == 0 and stdout.split() == sent
    f = report.to_dict()["filter"]
    # held back: q6 by the policy; q1 (its blank rejected), q2 and q3 by the person's label
    assert (f["accepted_as_positive"], f["accepted_by_policy"],
            f["accepted_by_people_or_gold"], f["sent_on"], f["money_saved"]) == (
        4, 1, 3, 2, 0.4)
    assert f["sent_on"] == len(sent)


def test_a_page_labelled_blank_whose_blank_a_safety_rule_suppressed_counts_as_held_back(
        make_ws: Any, tmp_path: Path) -> None:
    """A safety rule suppresses the model's blank on a page a person labelled blank: the
    export keeps the model's blank out (rejected, the safety column says why), and the
    filter list holds the page back all the same (the person's label wins, whatever the
    model said). act's filter figures counted the page as sent on: its money saved and
    pages sent on disagreed with the list."""
    from glamlab.actions import act, export
    from glamlab.actions.export import iter_rows

    ws = _blank_pages(make_ws, "safe-pages", {"s1": {"blank": 0.99, "content": 0.01},
                                              "s2": {"blank": 0.99, "content": 0.01},
                                              "s3": {"content": 0.99, "blank": 0.01}},
                      gold={"s1": "blank"}, meta={"collection": "Manuscripts"})
    ws.card.raw["safety"] = {"rules": [{
        "name": "never skip a manuscript page unseen", "labels": ["blank"],
        "when": {"collection": "Manuscripts"}, "action": "suppress"}]}
    ws.save_card()
    report = act(ws)
    rows = {(e.row["item_id"], e.row["value"]): e.row for e in iter_rows(ws)}
    assert rows[("s1", "blank")]["action"] == "reject"
    assert rows[("s1", "blank")]["safety"]
    out = tmp_path / "send-on.txt"
    export(ws, "filter", out)
    sent = out.read_text(encoding="utf-8").split()
    # s1 is held back by the person's label; s2's blank was suppressed, so it is sent on
    assert sent == ["https://example.org/scans/s2.jpg", "https://example.org/scans/s3.jpg"]
    f = report.to_dict()["filter"]
    assert (f["accepted_as_positive"], f["sent_on"], f["money_saved"]) == (1, 2, 0.1)
    assert f["sent_on"] == len(sent)


def test_a_page_a_reviewer_corrected_to_blank_counts_as_held_back(
        make_ws: Any, tmp_path: Path) -> None:
    """A reviewer corrects the model's "content" (sent to review) to "blank": every
    export accepts blank, so the filter list holds the page back. act's filter figures
    counted it as sent on (only a reviewer's accept of a blank counted): its money saved
    and pages sent on disagreed with the list."""
    import sqlalchemy as sa

    from glamlab.actions import act, export
    from glamlab.actions.act import plan
    from glamlab.actions.export import iter_rows
    from glamlab.review.decisions import decide

    ws = _blank_pages(make_ws, "fixed-pages", {"r1": {"content": 0.7, "blank": 0.3},
                                               "r2": {"content": 0.96, "blank": 0.04},
                                               "r3": {"blank": 0.98, "content": 0.02}})
    act(ws)
    q = ws.store.t.review_queue
    with ws.store.read() as conn:
        row = conn.execute(sa.select(q).where(q.c.item_id == "r1")).one()
    decide(ws, "rey", row.id, "correct", row.version, label="blank")
    r1 = [e.row for e in iter_rows(ws) if e.row["item_id"] == "r1"]
    assert [(r["value"], r["action"], r["decision"]) for r in r1] == [
        ("blank", "accept", "correct")]
    out = tmp_path / "send-on.txt"
    export(ws, "filter", out)
    sent = out.read_text(encoding="utf-8").split()
    assert sent == ["https://example.org/scans/r2.jpg"]
    f = plan(ws).to_dict()["filter"]
    assert (f["accepted_as_positive"], f["sent_on"], f["money_saved"]) == (2, 1, 0.2)


def test_a_reviewers_decision_on_an_earlier_prediction_counts_in_the_filter_figures(
        make_ws: Any, tmp_path: Path) -> None:
    """A reviewer decided on the first model's blank; the second model's blank is
    accepted (a1 and a4, which the reviewer turned down) or rejected (a2, which the
    reviewer accepted) by the policy. The export says the reviewer's decision, so the filter list
    sends a1 on and holds a2 back; act's filter figures counted the policy's decisions."""
    import sqlalchemy as sa

    from glamlab.actions import act, export
    from glamlab.actions.act import plan
    from glamlab.actions.export import iter_rows
    from glamlab.review.decisions import decide

    ws = _blank_pages(make_ws, "again-pages", {"a1": {"blank": 0.7, "content": 0.3},
                                               "a2": {"blank": 0.7, "content": 0.3},
                                               "a3": {"content": 0.96, "blank": 0.04},
                                               "a4": {"blank": 0.7, "content": 0.3}})
    act(ws)
    q = ws.store.t.review_queue
    with ws.store.read() as conn:
        queued = {r.item_id: r for r in conn.execute(sa.select(q))}
    decide(ws, "rey", queued["a1"].id, "reject", queued["a1"].version)
    decide(ws, "rey", queued["a2"].id, "accept", queued["a2"].version)
    decide(ws, "rey", queued["a4"].id, "reject", queued["a4"].version)
    mid2 = add_model(ws, "blanks", 2)
    add_predictions(ws, mid2, {"a1": {"blank": 0.98, "content": 0.02},
                               "a4": {"blank": 0.98, "content": 0.02},
                               "a2": {"blank": 0.3, "content": 0.25},
                               "a3": {"content": 0.96, "blank": 0.04}})
    rows = {e.row["item_id"]: e.row for e in iter_rows(ws, model="blanks@2")}
    assert (rows["a1"]["action"], rows["a1"]["decision"]) == ("reject", "reject")
    assert (rows["a2"]["action"], rows["a2"]["decision"]) == ("accept", "accept")
    out = tmp_path / "send-on.txt"
    export(ws, "filter", out, model="blanks@2")
    sent = out.read_text(encoding="utf-8").split()
    assert sent == ["https://example.org/scans/a1.jpg", "https://example.org/scans/a3.jpg",
                    "https://example.org/scans/a4.jpg"]
    f = plan(ws, model="blanks@2").to_dict()["filter"]
    assert (f["accepted_as_positive"], f["sent_on"], f["money_saved"]) == (1, 3, 0.1)
