"""In a single-label project, an item whose gold label the model never suggested (its
prediction's one label is another) had no accepted value in any export: the model's
label was rejected there (the person's wins), and the person's label was nowhere, so an
Annif corpus, a W3C collection or a CSV lost a page a person had labelled. The row now
carries the person's label in place of the model's, shaped as a reviewer's correction
is (``value`` the person's, ``origin=person``, ``predicted_value`` the model's), with
``decision=gold`` and ``confirmed_by`` who gave it: every export gives each item one
value, the person's."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from .test_export_gold_wins import _blank_pages

URI = "https://example.org/scans/{}.jpg"


def _labelled_otherwise(make_ws: Any) -> Any:
    """g1: labelled content, the model accepts blank; g2: labelled content, the model's
    blank is rejected (below both thresholds); g3: labelled blank, the model accepts
    content; g4: no gold, content accepted."""
    return _blank_pages(make_ws, "otherwise", {"g1": {"blank": 0.99, "content": 0.01},
                                               "g2": {"blank": 0.45, "content": 0.40},
                                               "g3": {"content": 0.96, "blank": 0.04},
                                               "g4": {"content": 0.97, "blank": 0.03}},
                        gold={"g1": "content", "g2": "content", "g3": "blank"})


PERSON = {"g1": ("content", "blank"), "g2": ("content", "blank"), "g3": ("blank", "content")}


def test_the_persons_label_reaches_every_export_once_per_item(make_ws: Any,
                                                                tmp_path: Path) -> None:
    from glamlab.actions import act, export, render
    from glamlab.actions.export import iter_rows

    ws = _labelled_otherwise(make_ws)
    report = act(ws)
    rows = [e.row for e in iter_rows(ws)]
    assert len(rows) == 4
    for r in rows:
        if r["item_id"] in PERSON:
            assert (r["value"], r["predicted_value"]) == PERSON[r["item_id"]], r
            assert (r["action"], r["origin"], r["decision"], r["confirmed_by"],
                    r["score"], r["written_at"]) == (
                "accept", "person", "gold", "curator", None, None), r
            assert r["reason"] == (
                f"settled by a gold label: curator's label is {r['value']!r}, not the "
                f"model's {r['predicted_value']!r} (a person's label wins over the model's)")
    assert report.gold_label_in_place == 3
    assert ("3 items a person labelled with another label than the model's export the "
            "person's label in place of the model's") in render(report.to_dict())
    want = {"g1": "content", "g2": "content", "g3": "blank", "g4": "content"}

    out = tmp_path / "export.csv"
    export(ws, "csv", out)
    table = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    accepted = [(r["item_id"], r["value"]) for r in table if r["action"] == "accept"]
    assert sorted(accepted) == sorted(want.items())
    assert {r["item_id"]: r["confirmed_by"] for r in table} == {
        "g1": "curator", "g2": "curator", "g3": "curator", "g4": ""}

    out = tmp_path / "export.jsonl"
    export(ws, "jsonl", out)
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert sorted((x["item_id"], x["value"]) for x in lines if x["action"] == "accept") == \
        sorted(want.items())

    out = tmp_path / "annif"
    export(ws, "annif", out)  # accepted values only: one subject file per item
    index = (out / "index.tsv").read_text(encoding="utf-8").splitlines()  # (no header)
    subjects = {line.split("\t")[1]: (out / f"{line.split(chr(9))[0]}.tsv").read_text(
        encoding="utf-8").split() for line in index}
    assert subjects == {i: [v] for i, v in want.items()}

    out = tmp_path / "export.json"
    export(ws, "w3c", out)
    annos = json.loads(out.read_text(encoding="utf-8"))["first"]["items"]
    got = sorted((a["target"]["source"], a["body"]["value"], a.get("confirmedBy"))
                 for a in annos if a["action"] == "accept")
    assert got == sorted((URI.format(i), v, "curator" if i in PERSON else None)
                         for i, v in want.items())

    # the filter list: the pages to send to OCR are those not blank, by the person's
    # label where there is one; act's figures agree
    out = tmp_path / "send-on.txt"
    export(ws, "filter", out)
    sent = out.read_text(encoding="utf-8").split()
    assert sent == [URI.format(i) for i in ("g1", "g2", "g4")]
    f = report.to_dict()["filter"]
    assert (f["accepted_as_positive"], f["sent_on"]) == (1, len(sent))


def test_a_page_a_person_labelled_blank_that_has_no_prediction_is_held_back(
        make_ws: Any, tmp_path: Path, capsys: Any) -> None:
    """A page a person labelled blank that the model has no prediction of (brought in
    after the run, or left out of it) was sent on to OCR by the filter list: only the
    pages with export rows were asked about. It is held back, and act's filter figures
    count it, so they agree with the list."""
    from glamlab.actions import act, export
    from glamlab.actions.act import plan

    from .helpers import add_gold, add_items, run_cli

    ws = _blank_pages(make_ws, "unpredicted", {"u1": {"blank": 0.98, "content": 0.02},
                                               "u3": {"content": 0.97, "blank": 0.03}})
    # u0 and u2: labelled blank, u4: labelled content, u5: nobody labelled it; none of
    # them predicted
    add_items(ws, [{"item_id": i, "uri": URI.format(i)} for i in ("u0", "u2", "u4", "u5")])
    add_gold(ws, {"u0": "blank", "u2": "blank", "u4": "content"}, split="train")
    report = act(ws)
    out = tmp_path / "send-on.txt"
    export(ws, "filter", out)
    sent = out.read_text(encoding="utf-8").split()
    assert sent == [URI.format(i) for i in ("u3", "u4", "u5")]
    code, stdout, _ = run_cli(capsys, ws, "export", "--format", "filter")
    assert code == 0 and stdout.split() == sent
    for f in (report.to_dict()["filter"], plan(ws).to_dict()["filter"]):
        assert (f["accepted_as_positive"], f["accepted_by_policy"],
                f["accepted_by_people_or_gold"], f["sent_on"], f["money_saved"]) == (
            3, 1, 2, len(sent), 0.3)


def test_a_review_candidate_a_persons_label_contradicts_is_not_exported_for_review(
        make_ws: Any, tmp_path: Path) -> None:
    """A label the policy sends to review on an item a person labelled otherwise was
    exported as ``review``, as if nobody had said anything of the item, while an accepted
    one was already settled by the person's label. Single-label: the row carries the
    person's label (accepted, decision gold), so the item has its one value; multi-label
    (the person's labels being the item's set): the label is rejected, the reason
    naming the person's labels. A review row the gold gives stays settled as before."""
    from glamlab.actions import act, export, render
    from glamlab.actions.export import iter_rows

    from .helpers import add_gold, add_items, add_model, add_predictions

    ws = _blank_pages(make_ws, "asked", {"v1": {"blank": 0.7, "content": 0.3},
                                         "v2": {"content": 0.7, "blank": 0.3},
                                         "v3": {"content": 0.7, "blank": 0.3}},
                      gold={"v1": "content", "v2": "blank"})
    report = act(ws)
    assert report.counts["review"] == 3
    rows = {e.row["item_id"]: e.row for e in iter_rows(ws)}
    got = {i: (r["value"], r["predicted_value"], r["action"], r["decision"],
               r["confirmed_by"]) for i, r in rows.items()}
    assert got == {"v1": ("content", "blank", "accept", "gold", "curator"),
                   "v2": ("blank", "content", "accept", "gold", "curator"),
                   "v3": ("content", "content", "review", None, None)}
    assert rows["v1"]["reason"].startswith(
        "settled by a gold label: curator's label is 'content', not the model's 'blank'")
    assert (report.review_overruled, report.gold_label_in_place) == (2, 2)
    assert "2 of the labels sent to review are on items a person labelled otherwise" in \
        render(report.to_dict())
    out = tmp_path / "send-on.txt"
    export(ws, "filter", out)
    sent = out.read_text(encoding="utf-8").split()
    assert sent == [URI.format(i) for i in ("v1", "v3")]
    assert report.to_dict()["filter"]["sent_on"] == len(sent)

    ml = make_ws("asked-ml", task="subjects", labels=["a", "b", "c"], multi_label=True)
    add_items(ml, [{"item_id": i} for i in ("m1", "m2")])
    add_gold(ml, {"m1": ["a", "b"]}, split="train")
    add_predictions(ml, add_model(ml, "subj", 1), {
        "m1": {"a": 0.95, "b": 0.7, "c": 0.7}, "m2": {"a": 0.95, "b": 0.7, "c": 0.7}},
        multi_label=True)
    ml.card.raw["policy"] = {"field": "subject",
                             "labels": {x: {"accept": 0.9, "review": 0.5} for x in "abc"}}
    ml.save_card()
    report = act(ml)
    got = {(e.row["item_id"], e.row["value"]): (e.row["action"], e.row["decision"])
           for e in iter_rows(ml)}
    assert got == {("m1", "a"): ("accept", "gold"), ("m1", "b"): ("accept", "gold"),
                   ("m1", "c"): ("reject", "gold"),
                   ("m2", "a"): ("accept", None), ("m2", "b"): ("review", None),
                   ("m2", "c"): ("review", None)}
    c = next(e.row for e in iter_rows(ml) if e.row["item_id"] == "m1"
             and e.row["value"] == "c")
    assert c["reason"] == ("settled by a gold label: curator's labels are 'a', 'b', not "
                           "this one (a person's label wins over the model's)")
    assert (report.review_overruled, report.gold_label_in_place) == (1, 0)


def test_a_reviewer_who_turns_the_models_label_down_keeps_the_persons_label(
        make_ws: Any, tmp_path: Path) -> None:
    """A reviewer rejects the model's label on an item whose gold label is another (they
    agree with the person): the row carried the model's label rejected, and the person's
    label, still in force, was in no export any more (a page labelled blank whose model
    label ``content`` a reviewer turned down was sent on to OCR). The row carries the
    person's label, as before the decision; act's filter figures agree with the list."""
    from glamlab.actions import act, export
    from glamlab.actions.export import iter_rows
    from glamlab.review import decide, peek_queue

    ws = _blank_pages(make_ws, "turned", {"v1": {"blank": 0.7, "content": 0.3},
                                          "v2": {"content": 0.7, "blank": 0.3},
                                          "v3": {"content": 0.7, "blank": 0.3}},
                      gold={"v1": "content", "v2": "blank"})
    act(ws)
    rows = {r["item_id"]: r for r in peek_queue(ws, limit=50)}
    for i in ("v1", "v2"):
        decide(ws, "rey", rows[i]["id"], "reject", rows[i]["version"])
    got = {e.row["item_id"]: (e.row["value"], e.row["action"], e.row["origin"],
                              e.row["confirmed_by"]) for e in iter_rows(ws)}
    assert got == {"v1": ("content", "accept", "person", "curator"),
                   "v2": ("blank", "accept", "person", "curator"),
                   "v3": ("content", "review", "machine", None)}
    v1 = next(e.row for e in iter_rows(ws) if e.row["item_id"] == "v1")
    assert v1["reason"].startswith("rejected by reviewer rey; settled by a gold label: "
                                   "curator's label is 'content'")
    out = tmp_path / "send-on.txt"
    export(ws, "filter", out)
    sent = out.read_text(encoding="utf-8").split()
    assert sent == [URI.format(i) for i in ("v1", "v3")]
    assert act(ws).to_dict()["filter"]["sent_on"] == len(sent)


def test_a_label_a_safety_rule_suppressed_on_an_item_labelled_otherwise_carries_the_persons(
        make_ws: Any, tmp_path: Path) -> None:
    """A safety rule suppresses the model's label of a page a person gave another label:
    the row kept the model's label, rejected, and the person's label was in no export
    (where an accepted, rejected or sent-to-review label of the model carries the
    person's). It carries the person's label as those do; the safety column still says
    what happened to the model's; act counts it, and its filter figures agree."""
    from glamlab.actions import act, export
    from glamlab.actions.export import iter_rows

    ws = _blank_pages(make_ws, "suppressed", {"f1": {"blank": 0.99, "content": 0.01},
                                              "f2": {"content": 0.99, "blank": 0.01},
                                              "f3": {"content": 0.99, "blank": 0.01}},
                      gold={"f1": "content", "f2": "blank"}, meta={"collection": "MSS"})
    ws.card.raw["safety"] = {"rules": [{
        "name": "manuscripts are seen", "labels": ["blank", "content"],
        "when": {"collection": "MSS"}, "action": "suppress"}]}
    ws.save_card()
    report = act(ws)
    rows = {e.row["item_id"]: e.row for e in iter_rows(ws)}
    got = {i: (r["value"], r["predicted_value"], r["action"], r["origin"], r["decision"],
               r["confirmed_by"]) for i, r in rows.items()}
    assert got == {"f1": ("content", "blank", "accept", "person", "gold", "curator"),
                   "f2": ("blank", "content", "accept", "person", "gold", "curator"),
                   "f3": ("content", "content", "reject", "machine", None, None)}
    assert rows["f1"]["safety"] and rows["f3"]["safety"]
    assert rows["f1"]["reason"].startswith(
        "settled by a gold label: curator's label is 'content', not the model's 'blank'")
    assert report.gold_label_in_place == 2
    out = tmp_path / "annif"
    export(ws, "annif", out)
    index = (out / "index.tsv").read_text(encoding="utf-8").splitlines()
    assert sorted(line.split("\t")[1] for line in index) == ["f1", "f2"]
    out = tmp_path / "send-on.txt"
    export(ws, "filter", out)
    sent = out.read_text(encoding="utf-8").split()
    assert sent == [URI.format(i) for i in ("f1", "f3")]
    f = report.to_dict()["filter"]
    assert f["sent_on"] == len(sent)
