"""A person's gold label reached an export only through a row of the model's: an item a
person labelled that the model has no prediction of (not run on it yet, or its image
failed) had no row at all in the CSV, JSON lines, Annif, W3C or IIIF export, and in a
multi-label project a gold label the model never suggested for the item was in none, so
a curator exporting to their catalogue lost labels people gave. Each now has a row of
its own: the person's label, ``origin=person``, ``action=accept``, ``decision=gold``,
``confirmed_by`` who gave it, no score and no model value, in item order with the
others, filtered as the other rows are; the CLI's summary counts them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from .helpers import add_gold, add_items, add_model, add_predictions, run_cli

CANVAS = "https://iiif.example.org/iiif/book1/canvas/{}"
MANIFEST = "https://iiif.example.org/iiif/book1/manifest.json"
POLICY = {"field": "page_type", "labels": {"blank": {"accept": 0.9, "review": 0.5},
                                           "content": {"accept": 0.9, "review": 0.5}}}
GOLD_ONLY = ("accept", "person", "gold", "curator", None, None, None, None)


def _shape(r: dict[str, Any]) -> tuple[Any, ...]:
    return (r["action"], r["origin"], r["decision"], r["confirmed_by"], r["score"],
            r["predicted_value"], r["prediction_id"], r["model"])


def _unrun_pages(make_ws: Any) -> Any:
    """u1, u3: predicted (content accepted); u2: a person labelled it content, no
    prediction; u4: labelled blank, no prediction; u5: neither. Every page is a IIIF
    canvas."""
    ws = make_ws("unrun", task="blank-pages", labels=["blank", "content"],
                 positive_label="blank")
    add_items(ws, [{"item_id": i, "source_kind": "iiif",
                    "uri": f"https://example.org/scans/{i}.jpg",
                    "meta": {"canvas_id": CANVAS.format(i), "manifest": MANIFEST}}
                   for i in ("u1", "u2", "u3", "u4", "u5")])
    add_gold(ws, {"u2": "content", "u4": "blank"}, split="train")
    scores = {"content": 0.97, "blank": 0.03}
    add_predictions(ws, add_model(ws, "blanks", 1), {"u1": scores, "u3": scores})
    ws.card.raw["policy"] = POLICY
    ws.save_card()
    return ws


def test_an_item_a_person_labelled_with_no_prediction_has_rows_in_every_export(
        make_ws: Any, tmp_path: Path, capsys: Any) -> None:
    from glamlab.actions import act, export
    from glamlab.actions.export import ExportFilter, iter_rows

    ws = _unrun_pages(make_ws)
    act(ws)
    rows = [e.row for e in iter_rows(ws)]
    # in item order with the model's rows
    assert [(r["item_id"], r["value"]) for r in rows] == [
        ("u1", "content"), ("u2", "content"), ("u3", "content"), ("u4", "blank")]
    for r in rows:
        if r["item_id"] in ("u2", "u4"):
            assert _shape(r) == GOLD_ONLY, r
            assert r["confirmed_at"] and r["reason"].startswith(
                "a person's gold label: curator gave it; blanks@1 has no prediction")

    # the filters: a label, an action
    assert [e.row["item_id"] for e in iter_rows(ws, where=ExportFilter(label="blank"))] == [
        "u4"]
    assert [e.row["item_id"] for e in iter_rows(
        ws, where=ExportFilter(actions=("review", "reject")))] == []
    assert [e.row["item_id"] for e in iter_rows(
        ws, where=ExportFilter(confirmed=True))] == ["u2", "u4"]

    out = tmp_path / "export.csv"
    export(ws, "csv", out)
    table = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [(r["item_id"], r["value"], r["origin"], r["confirmed_by"], r["score"])
            for r in table] == [
        ("u1", "content", "machine", "", "0.97"), ("u2", "content", "person", "curator", ""),
        ("u3", "content", "machine", "", "0.97"), ("u4", "blank", "person", "curator", "")]

    out = tmp_path / "export.jsonl"
    res = export(ws, "jsonl", out)
    assert (res["rows"], res["from_gold"]) == (4, 2)
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [(x["item_id"], x["value"], x["decision"]) for x in lines] == [
        ("u1", "content", None), ("u2", "content", "gold"), ("u3", "content", None),
        ("u4", "blank", "gold")]

    out = tmp_path / "annif"
    export(ws, "annif", out)
    index = (out / "index.tsv").read_text(encoding="utf-8").splitlines()
    subjects = {line.split("\t")[1]: (out / f"{line.split(chr(9))[0]}.tsv").read_text(
        encoding="utf-8").split() for line in index}
    assert subjects == {"u1": ["content"], "u2": ["content"], "u3": ["content"],
                        "u4": ["blank"]}

    out = tmp_path / "export.json"
    export(ws, "w3c", out)
    annos = json.loads(out.read_text(encoding="utf-8"))["first"]["items"]
    by_target = {a["target"]["source"]: a for a in annos}
    u4 = by_target[CANVAS.format("u4")]
    assert (u4["body"]["value"], u4["action"], u4["confirmedBy"], u4["creator"]["name"],
            u4["confidence"]) == ("blank", "accept", "curator", "curator", None)
    assert "generator" not in u4 and u4["created"]
    assert len({a["id"] for a in annos}) == len(annos) == 4

    out = tmp_path / "iiif"
    res = export(ws, "iiif", out, base_url="https://example.org/annos/")
    assert res["annotations"] == 4
    page = json.loads((out / res["pages"][0]["file"]).read_text(encoding="utf-8"))
    on_u2 = [a for a in page["items"] if a["target"]["source"]["id"] == CANVAS.format("u2")]
    assert [(a["body"][0]["value"], a["creator"]["name"], "generator" in a)
            for a in on_u2] == [("content", "curator", False)]

    # the CLI's summary counts the rows that came from people's labels alone
    code, stdout, _ = run_cli(capsys, ws, "export", "--format", "csv", "--out",
                              str(tmp_path / "cli.csv"))
    assert code == 0
    assert "wrote 4 rows" in stdout and "2 rows from people's labels alone" in stdout
    code, stdout, _ = run_cli(capsys, ws, "export", "--format", "csv", "--label", "content",
                              "--out", str(tmp_path / "cli2.csv"))
    assert code == 0 and "wrote 3 rows" in stdout and "1 row from people's labels" in stdout

    # the filter list: u4, labelled blank, is held back; u2, labelled content, sent on
    out = tmp_path / "send-on.txt"
    export(ws, "filter", out)
    assert out.read_text(encoding="utf-8").split() == [CANVAS.format(i)
                                                       for i in ("u1", "u2", "u3", "u5")]
    out = tmp_path / "blank.txt"
    export(ws, "filter", out, where=ExportFilter(label="blank"))
    assert out.read_text(encoding="utf-8").split() == [CANVAS.format("u4")]


def test_another_model_exports_the_items_it_has_no_prediction_of(make_ws: Any) -> None:
    """--model: the rows from people's labels alone are the items that model has no
    prediction of."""
    from glamlab.actions.export import iter_rows

    ws = _unrun_pages(make_ws)
    add_predictions(ws, add_model(ws, "blanks", 2), {"u2": {"blank": 0.95, "content": 0.05}})
    rows = [e.row for e in iter_rows(ws, model="blanks@2")]
    # u2's row is the model's (the person's label in its place); u4 has no prediction
    assert [(r["item_id"], r["value"], r["predicted_value"], r["model"]) for r in rows] == [
        ("u2", "content", "blank", "blanks"), ("u4", "blank", None, None)]


def test_multi_label_a_gold_label_the_model_never_suggested_has_a_row(
        make_ws: Any, tmp_path: Path) -> None:
    from glamlab.actions import act, export
    from glamlab.actions.export import ExportFilter, iter_rows

    ws = make_ws("ml-gold", task="subjects", labels=["a", "b", "c", "d"], multi_label=True)
    add_items(ws, [{"item_id": i} for i in ("m1", "m2", "m3")])
    # m1: a person gave {a, d}; the model suggests a, b, c only. m3: {d}, no prediction
    add_gold(ws, {"m1": ["a", "d"], "m3": "d"}, split="train")
    scores = {"a": 0.95, "b": 0.1, "c": 0.97}
    add_predictions(ws, add_model(ws, "subj", 1), {"m1": scores, "m2": scores},
                    multi_label=True)
    ws.card.raw["policy"] = {"field": "subject",
                             "labels": {x: {"accept": 0.9, "review": 0.5} for x in "abcd"}}
    ws.save_card()
    act(ws)
    rows = [e.row for e in iter_rows(ws)]
    got = [(r["item_id"], r["value"], r["action"], r["decision"]) for r in rows]
    # (the model's rows by score, then the person's label it never suggested)
    assert got == [("m1", "c", "reject", "gold"), ("m1", "a", "accept", "gold"),
                   ("m1", "b", "reject", None), ("m1", "d", "accept", "gold"),
                   ("m2", "c", "accept", None), ("m2", "a", "accept", None),
                   ("m2", "b", "reject", None), ("m3", "d", "accept", "gold")]
    d1 = next(r for r in rows if (r["item_id"], r["value"]) == ("m1", "d"))
    assert _shape(d1) == GOLD_ONLY
    assert d1["reason"] == "a person's gold label: curator gave it; the model did not suggest it"
    assert [(e.row["item_id"], e.row["value"]) for e in iter_rows(
        ws, where=ExportFilter(label="d"))] == [("m1", "d"), ("m3", "d")]

    out = tmp_path / "annif"
    res = export(ws, "annif", out)
    assert res["from_gold"] == 2
    index = (out / "index.tsv").read_text(encoding="utf-8").splitlines()
    subjects = {line.split("\t")[1]: sorted((out / f"{line.split(chr(9))[0]}.tsv").read_text(
        encoding="utf-8").split()) for line in index}
    assert subjects == {"m1": ["a", "d"], "m2": ["a", "c"], "m3": ["d"]}


def test_act_counts_the_labels_every_export_gives_from_people_alone(
        make_ws: Any, tmp_path: Path) -> None:
    """act says how many of people's labels the model gave no value for reach every
    export in a row of their own: the figure is the export's, unfiltered."""
    from glamlab.actions import act, export, render

    ws = _unrun_pages(make_ws)
    report = act(ws)
    res = export(ws, "jsonl", tmp_path / "pages.jsonl")
    assert (report.gold_unpredicted, report.gold_not_suggested) == (2, 0)
    assert res["from_gold"] == 2
    assert ("2 labels a person gave have no value of the model (2 on items the model has "
            "no prediction of): every export gives them in a row of their own, the "
            "person's label (decision gold, confirmed by who gave it).") in render(
        report.to_dict())

    ws = make_ws("ml-count", task="subjects", labels=["a", "b", "c", "d"], multi_label=True)
    add_items(ws, [{"item_id": i} for i in ("m1", "m2", "m3")])
    add_gold(ws, {"m1": ["a", "d"], "m2": ["b", "c", "d"], "m3": "d"}, split="train")
    add_predictions(ws, add_model(ws, "subj", 1), {
        "m1": {"a": 0.95, "b": 0.1}, "m2": {"a": 0.95}}, multi_label=True)
    ws.card.raw["policy"] = {"field": "subject",
                             "labels": {x: {"accept": 0.9, "review": 0.5} for x in "abcd"}}
    ws.save_card()
    report = act(ws)
    res = export(ws, "csv", tmp_path / "ml.csv")
    # m1's d, m2's b, c and d; m3's d (no prediction)
    assert (report.gold_not_suggested, report.gold_unpredicted) == (4, 1)
    assert res["from_gold"] == 5
    assert ("5 labels a person gave have no value of the model (1 on an item the model "
            "has no prediction of; 4 it did not suggest)") in render(report.to_dict())


def _no_candidate(ws: Any, model_id: int, item_ids: list[str], multi_label: bool) -> None:
    """A prediction of each of ``item_ids`` that gives no label at all (no scores)."""
    add_predictions(ws, model_id, {i: {} for i in item_ids}, multi_label)


def test_an_item_the_model_predicted_no_label_for_exports_the_persons_labels(
        make_ws: Any, tmp_path: Path) -> None:
    """An item the model predicted but gave no label at all (no candidate) had no row in
    any export, and no row from the person's labels either (it has a prediction): the
    labels a person gave it were lost. Each gets its row, as a label the model did not
    suggest, in item order; act counts them."""
    from glamlab.actions import act, export
    from glamlab.actions.export import iter_rows

    ws = make_ws("ml-none", task="subjects", labels=["a", "b", "c", "d"], multi_label=True)
    add_items(ws, [{"item_id": i} for i in ("m1", "m2", "m3")])
    add_gold(ws, {"m1": "a", "m2": ["b", "d"]}, split="train")
    mid = add_model(ws, "subj", 1)
    add_predictions(ws, mid, {"m1": {"a": 0.95}, "m3": {"c": 0.95}}, multi_label=True)
    _no_candidate(ws, mid, ["m2"], multi_label=True)
    ws.card.raw["policy"] = {"field": "subject",
                             "labels": {x: {"accept": 0.9, "review": 0.5} for x in "abcd"}}
    ws.save_card()
    report = act(ws)
    rows = [e.row for e in iter_rows(ws)]
    assert [(r["item_id"], r["value"], r["decision"]) for r in rows] == [
        ("m1", "a", "gold"), ("m2", "b", "gold"), ("m2", "d", "gold"), ("m3", "c", None)]
    for r in rows[1:3]:
        assert _shape(r) == GOLD_ONLY, r
        assert r["reason"] == ("a person's gold label: curator gave it; the model did "
                               "not suggest it")
    assert report.gold_not_suggested == 2
    res = export(ws, "jsonl", tmp_path / "none.jsonl")
    assert res["from_gold"] == 2

    one = make_ws("sl-none", task="pages", labels=["blank", "content"])
    add_items(one, [{"item_id": i} for i in ("s1", "s2")])
    add_gold(one, {"s1": "blank"}, split="train")
    mid = add_model(one, "pages", 1)
    add_predictions(one, mid, {"s2": {"content": 0.97, "blank": 0.03}})
    _no_candidate(one, mid, ["s1"], multi_label=False)
    one.card.raw["policy"] = POLICY
    one.save_card()
    report = act(one)
    assert [(e.row["item_id"], e.row["value"], e.row["origin"]) for e in iter_rows(one)] == [
        ("s1", "blank", "person"), ("s2", "content", "machine")]
    assert report.gold_not_suggested == 1


def test_a_persons_label_in_a_models_row_is_the_persons_annotation(
        make_ws: Any, tmp_path: Path) -> None:
    """A row that carries a person's label (origin person: a reviewer's correction, a gold
    label in place of the model's) was a W3C/IIIF annotation generated by the model, with
    no creator, while a person's label with no model value (:func:`_gold_row`) has its
    creator, the person, and no generator. Every annotation of a person's label is the
    person's: creator who gave it, no model generator. The CSV keeps the model's columns
    for such a row (they say whose ``predicted_value`` it is); a row of a person's label
    with no prediction has none, as before."""
    from glamlab.actions import act, export
    from glamlab.actions.export import iter_rows
    from glamlab.review import decide, peek_queue

    ws = _unrun_pages(make_ws)
    # model 2: u2 (labelled content) blank, in place of which the row carries content;
    # u1 content sent to review, which a reviewer corrects to blank
    add_predictions(ws, add_model(ws, "blanks", 2), {
        "u1": {"content": 0.7, "blank": 0.3}, "u2": {"blank": 0.95, "content": 0.05},
        "u3": {"content": 0.97, "blank": 0.03}})
    ws.card.raw["policy"] = {**POLICY, "model": "blanks@2"}
    ws.save_card()
    act(ws)
    q = {r["item_id"]: r for r in peek_queue(ws, limit=50)}
    decide(ws, "rey", q["u1"]["id"], "correct", q["u1"]["version"], label="blank")
    rows = {e.row["item_id"]: e.row for e in iter_rows(ws)}
    assert {i: (r["value"], r["origin"], r["decision"], r["model"], r["confirmed_by"])
            for i, r in rows.items()} == {
        "u1": ("blank", "person", "correct", "blanks", "rey"),
        "u2": ("content", "person", "gold", "blanks", "curator"),
        "u3": ("content", "machine", None, "blanks", None),
        "u4": ("blank", "person", "gold", None, "curator")}

    out = tmp_path / "export.json"
    export(ws, "w3c", out)
    annos = {a["target"]["source"]: a for a in
             json.loads(out.read_text(encoding="utf-8"))["first"]["items"]}
    who = {i: (annos[CANVAS.format(i)].get("creator", {}).get("name"),
               "generator" in annos[CANVAS.format(i)]) for i in ("u1", "u2", "u3", "u4")}
    assert who == {"u1": ("rey", False), "u2": ("curator", False), "u3": (None, True),
                   "u4": ("curator", False)}

    out = tmp_path / "iiif"
    res = export(ws, "iiif", out, base_url="https://example.org/annos/")
    page = json.loads((out / res["pages"][0]["file"]).read_text(encoding="utf-8"))
    on = {a["target"]["source"]["id"]: a for a in page["items"]}
    assert {i: (on[CANVAS.format(i)].get("creator", {}).get("name"),
                "generator" in on[CANVAS.format(i)]) for i in ("u1", "u2", "u3", "u4")} == who
    # created: when the person gave it
    assert annos[CANVAS.format("u1")]["created"] == rows["u1"]["confirmed_at"]
    assert annos[CANVAS.format("u2")]["created"] == rows["u2"]["confirmed_at"]
