"""On a text whose gold is complete (a person's annotation of the whole text: an import,
a text marked checked), the spans the policy accepts automatically were exported as the
machine's, unconfirmed, even where the gold says otherwise (the demo exported a machine
span "FRANÇAISESSaint-Pierre-Miquelon" over words its gold annotates differently): the
gold was only asked about spans going to review. A person's annotation wins over the
machine everywhere it is exported: on such a text the exported spans are its gold spans,
confirmed by who gave them, those the model missed too; a machine span the gold holds
(the same span, in the same layer) is confirmed by the gold, one it does not hold is
not exported as an accepted value. The per-prediction export says ``decision=gold``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.ner_project import gold_and_gazetteer, policy_and_run


def _accepting_everything(make_ws: Any) -> Any:
    """The NewsEye gold project, its card's policy accepting every span automatically,
    the gazetteer run over its (gold) texts."""
    return policy_and_run(gold_and_gazetteer(make_ws), "accept")


def test_accepted_spans_on_texts_with_complete_gold_export_the_gold(make_ws: Any,
                                                                     tmp_path: Path) -> None:
    from glamlab.actions import act
    from glamlab.actions.act import render
    from glamlab.actions.entity_export import export_entities
    from glamlab.actions.export import iter_rows
    from glamlab.tasks.spans import gold_spans
    from glamlab.tasks.spans.model import MAIN_LAYER
    from glamlab.tasks.spans.webanno import read_webanno

    ws = _accepting_everything(make_ws)
    try:
        report = act(ws, model="gazetteer@1")
        assert report.counts["accept"] > 0 and report.counts["review"] == 0
        # act says the gold wins over the spans it accepts on those texts
        assert report.accept_settled_by_gold == report.counts["accept"]
        assert (f"{report.counts['accept']} of the accepted spans lie on texts whose gold "
                "spans a person gave" in render(report.to_dict()))
        gold = gold_spans(ws)
        rows = [e.row | {"span": (e.candidate.value["start"], e.candidate.value["end"],
                                  e.candidate.label,
                                  e.candidate.value.get("layer") or MAIN_LAYER)}
                for e in iter_rows(ws)]
        assert rows and {r["item_id"] for r in rows} <= set(gold)
        # a machine span the gold does not hold, in the main layer: the gold's
        # nested layer gets a span over the very same words, as the same type
        wrong = next(r for r in rows if (r["span"][0], r["span"][1], r["span"][2])
                     not in {(s.start, s.end, s.label) for s in gold[r["item_id"]]})
        sets, sp = ws.store.t.span_sets, ws.store.t.spans
        text = ws.item(wrong["item_id"]).text or ""
        start, end, label, _ = wrong["span"]
        with ws.store.write() as conn:
            set_id = conn.execute(sa.select(sets.c.id).where(
                sets.c.item_id == wrong["item_id"], sets.c.kind == "gold",
                sets.c.active.is_(True)).order_by(sets.c.id.desc())).scalar_one()
            conn.execute(sp.insert().values(
                set_id=set_id, item_id=wrong["item_id"], layer="nested", char_start=start,
                char_end=end, label=label, text=text[start:end], norm=text[start:end].lower(),
                authority_id=None, score=None, attrs={}))
        gold = gold_spans(ws, layer=None)
        truth = {i: {(s.start, s.end, s.label, s.layer) for s in spans}
                 for i, spans in gold.items()}
        assert any(s[3] != MAIN_LAYER for s in truth[wrong["item_id"]])

        # the per-prediction export: every accepted span says what the gold says of it
        rows = [e.row | {"span": (e.candidate.value["start"], e.candidate.value["end"],
                                  e.candidate.label,
                                  e.candidate.value.get("layer") or MAIN_LAYER)}
                for e in iter_rows(ws)]
        for r in rows:
            held = r["span"] in truth[r["item_id"]]
            assert (r["action"], r["decision"], r["confirmed_by"]) == (
                "accept" if held else "reject", "gold", "import"), r
            assert r["reason"].startswith("settled by a gold label"), r
        assert next(r for r in rows if r["prediction_id"] == wrong["prediction_id"]
                    and r["span"] == wrong["span"])["action"] == "reject"
        held = sum(r["action"] == "accept" for r in rows)
        assert 0 < held < len(rows)

        # the entity exports: the gold spans, each once, confirmed by who gave them
        every = {(i, *s) for i, t in truth.items() for s in t}
        out = tmp_path / "entities.csv"
        export_entities(ws, "csv", out, model="gazetteer@1", all_layers=True)
        lines = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
        got = [(r["item_id"], int(r["start"]), int(r["end"]), r["type"], r["layer"])
               for r in lines]
        assert len(got) == len(set(got)) and set(got) == every
        assert held < len(got)  # those the model missed too
        assert {(r["action"], r["confirmed_by"]) for r in lines} == {("accept", "import")}

        out = tmp_path / "entities.jsonl"
        export_entities(ws, "jsonl", out, model="gazetteer@1", all_layers=True)
        docs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        got_jsonl = {(d["id"], e["start"], e["end"], e["label"], e.get("layer", MAIN_LAYER))
                     for d in docs for e in d["entities"]}
        assert got_jsonl == every
        assert {e["action"] for d in docs for e in d["entities"]} == {"accept"}

        out = tmp_path / "entities.json"
        export_entities(ws, "w3c", out, model="gazetteer@1", all_layers=True)
        annos = json.loads(out.read_text(encoding="utf-8"))["first"]["items"]
        assert len(annos) == len(every)
        assert {(a["action"], a.get("confirmedBy")) for a in annos} == {("accept", "import")}

        out = tmp_path / "inception"
        export_entities(ws, "inception", out, model="gazetteer@1")
        index = (out / "index.tsv").read_text(encoding="utf-8").splitlines()[1:]
        # every gold text, those whose gold holds no entity too (a document without any)
        assert {line.split("\t")[1] for line in index} == set(truth)
        assert any(not t for t in truth.values())
        for line in index:  # (the entity layer: the one INCEpTION's Named Entity holds)
            name, item_id = line.split("\t")[:2]
            [doc] = read_webanno(out / name)
            assert sorted((s.start, s.end, s.label) for s in doc.spans) == sorted(
                (s[0], s[1], s[2]) for s in truth[item_id] if s[3] == MAIN_LAYER)
    finally:
        ws.close()


def test_a_machine_span_the_gold_holds_exports_the_gold_s_link(make_ws: Any,
                                                                tmp_path: Path) -> None:
    """A machine span the gold holds was exported with the linker's authority id, even
    where the person's gold span carries another: the gold's link wins, and the
    linker's stays only where the gold span has none."""
    from click.testing import CliRunner

    from glamlab.actions.entity_export import export_entities
    from glamlab.actions.export import iter_rows
    from glamlab.actions.link import prediction_links
    from glamlab.cli import cli
    from glamlab.tasks.spans import gold_spans
    from glamlab.tasks.spans.model import MAIN_LAYER

    ws = _accepting_everything(make_ws)
    try:
        held = sorted({(e.item.item_id, int(e.candidate.value["start"]),
                        int(e.candidate.value["end"]), e.candidate.label)
                       for e in iter_rows(ws) if e.row["action"] == "accept"
                       and (e.candidate.value.get("layer") or MAIN_LAYER) == MAIN_LAYER})
        assert len(held) >= 4
        words = {(i, s, e, t): (ws.item(i).text or "")[s:e] for i, s, e, t in held}
        # an authority file naming every held span's words: the linker links them
        names = tmp_path / "names.csv"
        records = {(w, k[3]): f"L{n}" for n, (k, w) in enumerate(sorted(words.items()))}
        with names.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([["id", "label", "alt_labels", "type"],
                                      *[[rid, w, "", t] for (w, t), rid in records.items()]])
        for args in (["authority", "import", str(names)], ["link", "--json"]):
            res = CliRunner().invoke(cli, ["-w", str(ws.root), *args])
            assert res.exit_code == 0, res.output

        def exported() -> dict[tuple[str, int, int, str], str]:
            out = tmp_path / "entities.csv"
            export_entities(ws, "csv", out, model="gazetteer@1")
            lines = csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))
            return {(r["item_id"], int(r["start"]), int(r["end"]), r["type"]):
                    r["authority_id"] for r in lines}

        # what the linker linked each held span to, and the gold's own ids (the NewsEye
        # gold links many of its entities to Wikidata)
        model_id = next(iter_rows(ws)).row["prediction_id"]
        with ws.store.read() as conn:
            model_id = conn.execute(sa.select(ws.store.t.predictions.c.model_id).where(
                ws.store.t.predictions.c.id == model_id)).scalar_one()
        links = prediction_links(ws, model_id, sorted({k[0] for k in held}))
        linker = {k: links[(k[0], k[1], k[2], k[3], MAIN_LAYER)].authority_id
                  for k in held if (k[0], k[1], k[2], k[3], MAIN_LAYER) in links}
        gold = {(i, g.start, g.end, g.label): g.authority_id
                for i, spans in gold_spans(ws).items() for g in spans}
        ours = [k for k in held if gold.get(k) and (linker.get(k) or "").startswith("L")]
        assert len(ours) >= 2, (linker, gold)
        # the gold spans of every other one of them carry no authority id
        theirs, ours = ours[1::2], ours[::2]
        sets, sp = ws.store.t.span_sets, ws.store.t.spans
        with ws.store.write() as conn:
            for item_id, start, end, label in theirs:
                done = conn.execute(sp.update().where(
                    sp.c.set_id.in_(sa.select(sets.c.id).where(
                        sets.c.item_id == item_id, sets.c.kind == "gold",
                        sets.c.active.is_(True))),
                    sp.c.char_start == start, sp.c.char_end == end, sp.c.label == label,
                    sp.c.layer == MAIN_LAYER).values(authority_id=None))
                assert done.rowcount >= 1
        got = exported()
        for k in ours:  # the person's link wins over the linker's
            assert got[k] == gold[k] != linker[k], (k, got[k], linker[k])
        for k in theirs:  # the gold span has none: the linker's stays
            assert got[k] == linker[k], (k, got[k])
    finally:
        ws.close()


def test_imported_gold_is_confirmed_by_import_in_every_entity_export(make_ws: Any,
                                                                     tmp_path: Path) -> None:
    """The per-prediction exports name who gave a text's complete gold (``import`` for
    an imported file's) as the ``confirmed_by`` of its spans; the gold-only export left
    it empty for an import, so the same gold span read as confirmed in one file and as
    an unconfirmed value in the other. Both say ``import`` now."""
    from glamlab.actions.entity_export import export_entities

    ws = gold_and_gazetteer(make_ws)
    try:
        out = tmp_path / "gold.csv"
        export_entities(ws, "csv", out, gold=True, all_layers=True)
        rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
        assert rows and {r["confirmed_by"] for r in rows} == {"import"}
        out = tmp_path / "gold.json"
        export_entities(ws, "w3c", out, gold=True)
        annos = json.loads(out.read_text(encoding="utf-8"))["first"]["items"]
        assert annos and {a.get("confirmedBy") for a in annos} == {"import"}
        out = tmp_path / "gold.jsonl"
        export_entities(ws, "jsonl", out, gold=True)
        docs = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
        assert {d["provenance"]["confirmed_by"] for d in docs if d["entities"]} == {"import"}
    finally:
        ws.close()
