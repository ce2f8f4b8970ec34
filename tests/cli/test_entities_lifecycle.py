"""An entities project through the command line, on real HIPE data: init -> labels
import (HIPE TSV) -> split -> baseline -> train crf-ner -> evaluate -> run -> act ->
review one span -> export (csv, jsonl, inception). The sample is the first six NewsEye
French dev documents (CC BY 4.0, tests/data/ner/SOURCE.md)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from glamlab.cli import cli

DATA = Path(__file__).resolve().parents[1] / "data" / "ner"
LABELS = "PER,LOC,ORG,PROD,TIME"


def _cli(args: list[str], code: int = 0) -> dict:
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == code, res.output
    return json.loads(res.stdout) if "--json" in args and code == 0 else {}


@pytest.fixture
def project(tmp_path: Path, db_url: str | None) -> list[str]:
    ws = tmp_path / "ner"
    base = ["-w", str(ws)] + (["--db", db_url] if db_url else [])
    made = _cli([*base, "init", "--task", "entities", "--modality", "text", "--labels",
                 LABELS, "--json"])
    assert made["kind"] == "entities"
    return base


def _trained_run_and_acted(base: list[str]) -> None:
    """The NewsEye sample imported and split, crf-ner trained, then run and acted on over
    it and over eight new texts nobody labelled (train sentences after a new first one).
    The imported texts' spans are settled by their gold (not asked): reviewers are asked
    about the new texts' spans."""
    from glamlab import Workspace
    from glamlab.tasks.spans import gold_spans
    from glamlab.tasks.splits import split_of

    _cli([*base, "labels", "import", str(DATA / "newseye-fr-gold.tsv"), "--json"])
    _cli([*base, "labels", "split", "--group-by", "document_id", "--json"])
    _cli([*base, "train", "crf-ner", "--json"])
    folder = Path(base[1]).parent / "unread"
    folder.mkdir()
    ws = Workspace.open(base[1], db=base[3] if len(base) > 2 else None)
    try:
        gold = gold_spans(ws)
        train = [i for i, s in sorted(split_of(ws).items()) if s == "train" and len(gold[i]) >= 2]
        for n, item_id in enumerate(train[:8]):
            (folder / f"unread{n}.txt").write_text(
                "Nouvelle lettre. " + (ws.item(item_id).text or ""), encoding="utf-8")
    finally:
        ws.close()
    _cli([*base, "ingest", str(folder)])
    _cli([*base, "run", "--model", "crf-ner@1"])
    _cli([*base, "act", "--json"])


def _queued_by_item(ws: Any, user: str) -> dict[str, list[dict[str, Any]]]:
    """The review queue leased by ``user``, by item."""
    from glamlab.review import lease_queue

    by_item: dict[str, list[dict[str, Any]]] = {}
    for r in lease_queue(ws, user, limit=300):
        by_item.setdefault(r["item_id"], []).append(r)
    return by_item


def test_entities_lifecycle(project: list[str], tmp_path: Path) -> None:
    base = project
    imported = _cli([*base, "labels", "import", str(DATA / "newseye-fr-gold.tsv"),
                     "--format", "hipe", "--json"])
    assert imported["items"] == 54 and imported["created"] == 54
    split = _cli([*base, "labels", "split", "--group-by", "document_id", "--json"])
    assert split["train"] + split["test"] == 54 and split["test"] > 0

    baseline = _cli([*base, "baseline", "--json"])
    names = {c["name"] for c in baseline["candidates"]}
    assert names == {"gazetteer", "entity-rules"}
    assert baseline["metric"] == "strict_micro_f1"

    _cli([*base, "train", "crf-ner", "--json"])
    ev = _cli([*base, "evaluate", "crf-ner@1", "--json"])
    crf = next(c for c in ev["candidates"] if c["name"] == "crf-ner@1")
    for m in ("strict_micro_f1", "fuzzy_micro_f1"):
        v = crf["metrics"][m]
        assert 0.0 <= v["low"] <= v["value"] <= v["high"] <= 1.0
    # fuzzy (type + overlap) is never below strict (exact boundaries and type)
    assert crf["metrics"]["fuzzy_micro_f1"]["value"] >= crf["metrics"]["strict_micro_f1"]["value"]
    assert {row["label"] for row in crf["per_label"]} <= set(LABELS.split(","))

    _cli([*base, "run", "--model", "crf-ner@1"])
    # spans at 0.9 or more are accepted as metadata, the rest go to review
    card = Path(base[1]) / "glamlab.toml"
    card.write_text(card.read_text() + '\n[policy]\nmodel = "crf-ner@1"\n' + "".join(
        f"\n[policy.labels.{t}]\naccept = 0.9\nreview = 0.0\n" for t in LABELS.split(",")))
    acted = _cli([*base, "act", "--json"])
    assert acted["counts"]["accept"] > 0 and acted["counts"]["review"] > 0
    assert acted["counts"]["accept"] + acted["counts"]["review"] == sum(
        r["accept"] + r["review"] + r["reject"] for r in acted["by_label"])
    # the counts are of spans, and the text says so
    assert acted["unit"] == "spans"
    # every text has complete gold (imported): its spans are settled by it, not asked
    assert acted["review_settled_by_gold"] == acted["counts"]["review"]
    assert acted["review_workload"] == 0
    dry = CliRunner().invoke(cli, [*base, "act", "--dry-run"])
    assert "Review workload: 0 spans (of the" in dry.output, dry.output
    assert f"{acted['counts']['review']} more settled by a gold label" in dry.output

    out = tmp_path / "entities.csv"
    res = _cli([*base, "export", "--format", "csv", "--out", str(out), "--json"])
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    # the spans the gold settles (sent to review or accepted) say what it says: those it
    # holds are accepted, confirmed by the import, and those it does not hold are not
    # entities, left out; every text has gold, so the spans are the gold spans, those
    # the model missed too (no model named)
    from glamlab import Workspace
    from glamlab.tasks.spans import gold_spans

    ws = Workspace.open(base[1], db=base[3] if len(base) > 2 else None)
    try:
        gold = sorted((i, s.start, s.end, s.label) for i, spans in gold_spans(ws).items()
                      for s in spans)
    finally:
        ws.close()
    held = sum(r["action"] == "accept" and r["confirmed_by"] == "import" and r["model"] != ""
               for r in rows)
    assert held <= acted["counts"]["review"] + acted["counts"]["accept"]
    assert {(r["action"], r["confirmed_by"]) for r in rows} == {("accept", "import")}
    assert len(rows) == res["rows"] == len(gold)
    assert sorted((r["item_id"], int(r["start"]), int(r["end"]), r["type"]) for r in rows
                  ) == gold
    assert all(r["text"] for r in rows) and {r["model"] for r in rows} <= {"crf-ner", ""}
    jl = tmp_path / "entities.jsonl"
    _cli([*base, "export", "--format", "jsonl", "--out", str(jl), "--json"])
    first = json.loads(jl.read_text(encoding="utf-8").splitlines()[0])
    for e in first["entities"]:
        assert first["text"][e["start"]:e["end"]] == e["text"]
    inc = tmp_path / "inception"
    _cli([*base, "export", "--format", "inception", "--out", str(inc), "--json"])
    assert any(p.suffix == ".tsv" for p in inc.iterdir())


def test_a_reviewed_span_becomes_gold_in_the_span_store(project: list[str]) -> None:
    from glamlab import Workspace
    from glamlab.review import decide, lease_queue
    from glamlab.tasks import gold_labels
    from glamlab.tasks.spans import gold_spans

    base = project
    _trained_run_and_acted(base)
    ws = Workspace.open(base[1], db=base[3] if len(base) > 2 else None)
    try:
        rows = lease_queue(ws, "maria", limit=200)
        with ws.store.read() as conn:
            split = dict(conn.execute(ws.store.t.splits.select().with_only_columns(
                ws.store.t.splits.c.item_id, ws.store.t.splits.c.split)).all())
        row = next(r for r in rows if split.get(r["item_id"]) != "test")
        spans_of_text = sum(r["item_id"] == row["item_id"] for r in rows)
        before = gold_spans(ws, [row["item_id"]]).get(row["item_id"], [])
        # the reviewer says the span is a place
        decide(ws, "maria", row["id"], "correct", row["version"], label="LOC",
               value=row["value"])
        after = gold_spans(ws, [row["item_id"]])[row["item_id"]]
        v = row["value"]
        assert any((s.start, s.end, s.label) == (v["start"], v["end"], "LOC") for s in after)
        assert len(after) <= len(before) + 1
        # one source of truth: the kind's gold is the span store, the labels table is empty
        assert gold_labels(ws, [row["item_id"]])[row["item_id"]] == after
        with ws.store.read() as conn:
            assert conn.execute(ws.store.t.labels.select()).first() is None
    finally:
        ws.close()
    # retraining counts the reviewer's spans: a new text whose only span this was goes
    # into training; one with other spans undecided waits (out of training)
    retrained = _cli([*base, "retrain", "--json"])
    assert (retrained["corrections"], retrained["waiting"]) == (
        (0, 1) if spans_of_text > 1 else (1, 0))


def test_bad_spans_import_nothing_with_the_line(project: list[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "a", "text": "Genève et Berne",
                               "entities": [{"start": 0, "end": 6, "label": "LOC"}]}) + "\n"
                   + json.dumps({"id": "b", "text": "Paris",
                                 "entities": [{"start": 0, "end": 40, "label": "LOC"}]}) + "\n",
                   encoding="utf-8")
    res = CliRunner().invoke(cli, [*project, "labels", "import", str(bad), "--format", "jsonl"])
    assert res.exit_code != 0
    message = str(res.exception) + res.output
    assert "line 2" in message and "outside the text" in message and "nothing imported" in message
    counts = _cli([*project, "labels", "show", "--json"])
    assert counts.get("items", 0) == 0


@pytest.mark.parametrize("name,content", [
    ("hipe2020-fr.tsv", "\t".join(("TOKEN", "NE-COARSE-LIT", "NE-COARSE-METO", "NE-FINE-LIT",
                                    "NE-FINE-METO", "NE-FINE-COMP", "NE-NESTED", "NEL-LIT",
                                    "NEL-METO", "MISC")) + "\n"),
    ("hipe2020-fr.tsv", "# hipe2022:document_id = d1\n# hipe2022:language = fr\n"),
    ("texts.jsonl", "\n"),
])
def test_a_span_file_with_nothing_in_it_is_an_error(project: list[str], tmp_path: Path,
                                                    name: str, content: str) -> None:
    """A header-only (or comments-only, or blank) span file is one error naming the file
    and what it should hold, not '0 items' and exit status 0."""
    empty = tmp_path / name
    empty.write_text(content, encoding="utf-8")
    res = CliRunner().invoke(cli, [*project, "labels", "import", str(empty)])
    assert res.exit_code != 0
    message = str(res.exception) + res.output
    assert f"{name}: 1 problem, nothing imported" in message
    assert ("no tokens" if name.endswith(".tsv") else "no items: the file is empty") in message
    from glamlab.errors import LabelError

    assert isinstance(res.exception, LabelError)  # the CLI's one line on stderr, status 2


def test_authority_import_all_or_nothing(project: list[str], tmp_path: Path) -> None:
    good = tmp_path / "names.csv"
    good.write_text("id,label,alt_labels,type\nQ71,Genève,Geneve|Genf,LOC\n"
                    "Q70,Berne,Bern,LOC\n", encoding="utf-8")
    rep = _cli([*project, "authority", "import", str(good), "--json"])
    assert rep["rows"] == 2 and rep["added"] == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("id,label,alt_labels,type\nQ90,Paris,,LOC\nQ1,Univers,,GALAXY\n",
                   encoding="utf-8")
    res = CliRunner().invoke(cli, [*project, "authority", "import", str(bad)])
    assert res.exit_code != 0 and "line 3" in str(res.exception) + res.output
    from glamlab import Workspace
    from glamlab.linking import load_authority

    ws = Workspace.open(project[1], db=project[3] if len(project) > 2 else None)
    try:
        assert sorted(r.record_id for r in load_authority(ws)) == ["Q70", "Q71"]
    finally:
        ws.close()


def test_an_entity_export_file_is_private(project: list[str], tmp_path: Path) -> None:
    import stat

    _cli([*project, "labels", "import", str(DATA / "newseye-fr-gold.tsv"), "--json"])
    from glamlab import Workspace
    from glamlab.actions.entity_export import export_spans, iter_gold_rows

    ws = Workspace.open(project[1], db=project[3] if len(project) > 2 else None)
    try:
        out = tmp_path / "gold.jsonl"
        res = export_spans(iter_gold_rows(ws), "jsonl", out)
    finally:
        ws.close()
    assert res["items"] == 54
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_link_predicted_spans_to_the_authority(project: list[str], tmp_path: Path) -> None:
    """glamlab link: the model's spans get authority ids (or NIL) that the CSV export
    carries and the entity index counts; a second link keeps what was linked, --relink
    replaces it (no duplicate sets); with no authority it says what to import."""
    base = project
    _cli([*base, "labels", "import", str(DATA / "newseye-fr-gold.tsv"), "--format", "hipe"])
    _cli([*base, "labels", "split", "--group-by", "document_id"])
    _cli([*base, "train", "crf-ner", "--json"])
    _cli([*base, "run", "--model", "crf-ner@1"])

    res = CliRunner().invoke(cli, [*base, "link"])
    assert res.exit_code != 0 and "authority import" in getattr(res.exception, "hint", "")

    from glamlab import Workspace
    from glamlab.actions.link import training_mentions
    from glamlab.linking import authority_from_mentions
    from glamlab.linking.index import entity_index

    ws = Workspace.open(base[1], db=base[3] if len(base) > 2 else None)
    try:
        mentions = training_mentions(ws)
        assert len(mentions) > 50 and all(m.authority_id for m in mentions)
        names = tmp_path / "names.csv"
        with names.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["id", "label", "alt_labels", "type"])
            for r in authority_from_mentions(mentions):
                w.writerow([r.record_id, r.label, "|".join(r.alt_labels), r.type])
        _cli([*base, "authority", "import", str(names)])
        known = {r.record_id for r in authority_from_mentions(mentions)}

        first = _cli([*base, "link", "--json"])
        assert first["mentions"] > 0 and first["linked"] > 0
        assert first["linked"] + first["nil"] == first["mentions"]
        assert first["trained_on_linked_gold_mentions"] == len(mentions)
        assert {t["authority_id"] for t in first["top_authorities"]} <= known

        out = tmp_path / "linked.csv"
        _cli([*base, "export", "--format", "csv", "--out", str(out), "--json"])
        rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
        ids = [r["authority_id"] for r in rows if r["authority_id"]]
        assert ids and set(ids) <= known | {"NIL"}
        # (the texts' gold spans carry the gold's own links: those the model missed, and
        # the model's spans the gold holds, confirmed by who gave it, where it has one)
        linked = [r["authority_id"] for r in rows if r["authority_id"] and r["model"]
                  and not r["confirmed_by"]]
        assert sum(1 for i in linked if i != "NIL") <= first["linked"]

        index = entity_index(ws, by="authority", kind="prediction", limit=None)
        assert sum(e["mentions"] for e in index) == first["linked"]

        again = _cli([*base, "link", "--json"])
        assert again["mentions"] == 0 and again["already_linked_items"] == first["items"]
        redo = _cli([*base, "link", "--relink", "--json"])
        assert redo["mentions"] == first["mentions"]
        index = entity_index(ws, by="authority", kind="prediction", limit=None)
        assert sum(e["mentions"] for e in index) == redo["linked"]

        # a reviewer accepts one span of an item: its spans now come in two export rows
        # (the reviewer's and the rest), and one link set still holds all of them
        import sqlalchemy as sa

        from glamlab.actions.link import prediction_links
        from glamlab.review.decisions import decide

        _cli([*base, "act", "--json"])
        q = ws.store.t.review_queue
        with ws.store.read() as conn:
            queued = conn.execute(sa.select(q).where(q.c.status == "open")
                                  .order_by(q.c.item_id, q.c.id)).all()
        by_item: dict[str, list] = {}
        for r in queued:
            by_item.setdefault(r.item_id, []).append(r)
        # (an item with two spans its imported gold holds: the export's second row is the
        # gold's, confirmed by the import; a span it does not hold is left out)
        from glamlab.tasks.spans import gold_spans

        gold = gold_spans(ws)
        item_id, rows_of = next(
            (k, v) for k, v in by_item.items()
            if sum((r.value["start"], r.value["end"], r.label)
                   in {(s.start, s.end, s.label) for s in gold[k]} for r in v) >= 2)
        decide(ws, "ana", rows_of[0].id, "accept", rows_of[0].version)
        relinked = _cli([*base, "link", "--relink", "--json"])
        assert relinked["mentions"] == first["mentions"]
        from glamlab.actions.entity_export import iter_prediction_rows
        from glamlab.registry.models import get_model

        # (what link links: the model's spans and people's, not the gold spans it missed)
        rows_of_item = [r for r in iter_prediction_rows(ws, with_gold=False)
                        if r[0].item_id == item_id]
        assert len(rows_of_item) >= 2  # ana's accepted span, and the rest
        links = prediction_links(ws, get_model(ws, "crf-ner@1").id, [item_id])
        assert len(links) == sum(len(spans) for _, spans, _ in rows_of_item) > 1

        # a forced run predicts again: the next link links the new prediction's spans
        _cli([*base, "run", "--model", "crf-ner@1", "--force"])
        after = _cli([*base, "link", "--json"])
        assert after["already_linked_items"] == 0
        assert after["items"] == first["items"] and after["mentions"] == first["mentions"]
        assert _cli([*base, "link", "--json"])["already_linked_items"] == first["items"]
    finally:
        ws.close()


def test_people_s_spans_outlive_a_new_champion_in_the_exports(project: list[str],
                                                              tmp_path: Path) -> None:
    """A span a reviewer accepted or fixed stays in the exports, with their name, after
    another model becomes the one that runs, whether or not it predicts that span; a
    span they rejected does not come back as confirmed."""
    from glamlab import Workspace
    from glamlab.review import decide

    base = project
    _trained_run_and_acted(base)

    def confirmed() -> set[tuple[str, str, str, str, str]]:
        out = tmp_path / "confirmed.csv"
        _cli([*base, "export", "--format", "csv", "--confirmed", "yes", "--out", str(out),
              "--json"])
        text = out.read_text(encoding="utf-8-sig")
        # (spans of the labelled texts their imported gold holds are confirmed by it)
        return {(r["item_id"], r["type"], r["start"], r["end"], r["confirmed_by"])
                for r in csv.DictReader(text.splitlines()) if r["confirmed_by"] != "import"}

    ws = Workspace.open(base[1], db=base[3] if len(base) > 2 else None)
    try:
        by_item = _queued_by_item(ws, "ana")
        a, b, c = (v[0] for v in list(by_item.values())[:3])
        decide(ws, "ana", a["id"], "accept", a["version"])
        # the web app's boundary form sends the offsets only, no text
        fixed = {"start": b["value"]["start"], "end": b["value"]["end"] + 1}
        decide(ws, "ana", b["id"], "correct", b["version"], label="ORG", value=fixed)
        decide(ws, "ana", c["id"], "reject", c["version"])
    finally:
        ws.close()
    mine = {(a["item_id"], a["label"], str(a["value"]["start"]), str(a["value"]["end"]),
             "ana"),
            (b["item_id"], "ORG", str(fixed["start"]), str(fixed["end"]), "ana")}
    assert confirmed() == mine
    # another model runs now: rules for dates and titled names find other spans
    _cli([*base, "train", "entity-rules", "--json"])
    _cli([*base, "run", "--model", "entity-rules@1"])
    _cli([*base, "act", "--json"])
    after = confirmed()
    assert after == mine
    rejected = (c["item_id"], c["label"], str(c["value"]["start"]), str(c["value"]["end"]))
    assert not any(r[:4] == rejected for r in after)


def test_a_boundary_fixed_into_the_next_span_keeps_filters_and_links_right(
        project: list[str], tmp_path: Path) -> None:
    """A reviewer stretches a span over the start of the next one. The export filtered to
    unconfirmed spans lists the same machine spans as the whole export does, and
    glamlab link links every span of the item (it used to refuse the item as 'changed')."""
    from glamlab import Workspace
    from glamlab.actions.link import training_mentions
    from glamlab.linking import authority_from_mentions
    from glamlab.review import decide

    base = project
    _trained_run_and_acted(base)
    ws = Workspace.open(base[1], db=base[3] if len(base) > 2 else None)
    try:
        by_item = _queued_by_item(ws, "ana")
        pair = next(sorted(v, key=lambda r: r["value"]["start"])[:2]
                    for v in by_item.values() if len(v) >= 2)
        first, second = pair
        fixed = {"start": first["value"]["start"], "end": second["value"]["start"] + 1}
        decide(ws, "ana", first["id"], "correct", first["version"], label=first["label"],
               value=fixed)
        names = tmp_path / "names.csv"
        with names.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["id", "label", "alt_labels", "type"])
            for rec in authority_from_mentions(training_mentions(ws)):
                w.writerow([rec.record_id, rec.label, "|".join(rec.alt_labels), rec.type])
    finally:
        ws.close()

    def spans(*flags: str) -> set[tuple[str, str, str, str, str]]:
        out = tmp_path / "e.csv"
        _cli([*base, "export", "--format", "csv", "--out", str(out), *flags, "--json"])
        return {(r["item_id"], r["type"], r["start"], r["end"], r["confirmed_by"])
                for r in csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines())}

    everything = spans()
    assert (first["item_id"], first["label"], str(fixed["start"]), str(fixed["end"]),
            "ana") in everything
    unconfirmed = {s for s in everything if not s[4]}
    assert spans("--confirmed", "no") == unconfirmed
    # the model's next span, over a word the correction now covers, was decided with it
    # (rejected: the person's span stands), so it is neither unconfirmed nor exported
    assert (second["item_id"], second["label"], str(second["value"]["start"]),
            str(second["value"]["end"]), "") not in unconfirmed
    _cli([*base, "authority", "import", str(names)])
    linked = _cli([*base, "link", "--json"])
    assert linked["problems"] == []
    # every span but the texts' gold spans the model missed (they carry the gold's links)
    out = tmp_path / "e.csv"
    _cli([*base, "export", "--format", "csv", "--out", str(out), "--json"])
    gold_only = [r for r in csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines())
                 if r["confirmed_by"] == "import" and not r["model"]]
    assert linked["mentions"] == len(everything) - len(gold_only)


def test_the_export_says_what_it_wrote_and_what_it_left_out(project: list[str],
                                                          tmp_path: Path) -> None:
    """A text-only sample has no word positions on page images: the IIIF export says
    how many mentions it left out and why (it said "wrote 0 entity iiif records", no
    more); the INCEpTION export counts its files; --format webanno (the old name of
    w3c) says it writes W3C JSON-LD and that WebAnno TSV is --format inception."""
    base = project
    _trained_run_and_acted(base)
    csv_out = tmp_path / "e.csv"
    res = CliRunner().invoke(cli, [*base, "export", "--format", "csv", "--out", str(csv_out)])
    assert res.exit_code == 0, res.output
    with open(csv_out, encoding="utf-8-sig", newline="") as fh:
        mentions = len(list(csv.DictReader(fh)))
    assert mentions > 0
    assert f"wrote {mentions} mentions" in res.output

    res = CliRunner().invoke(cli, [*base, "export", "--format", "iiif",
                                   "--out", str(tmp_path / "iiif.json")])
    # nothing placed at all: said, with what works, and exit status 1
    assert res.exit_code == 1, res.output
    assert "the IIIF annotations hold no mention" in res.output
    assert f"wrote 0 mentions as IIIF annotations to {tmp_path / 'iiif.json'} (no " \
           "mention could be placed on a page image: see the warning above)" in res.output
    assert f"{mentions:,} mentions are in texts with no word positions" in res.output
    assert "ALTO" in res.output and "--format w3c" in res.output
    # why, said once (the summary line said it a second time, in other words)
    assert res.output.count("word positions") == 1, res.output

    folder = tmp_path / "inception"
    res = CliRunner().invoke(cli, [*base, "export", "--format", "inception", "--out",
                                   str(folder)])
    assert res.exit_code == 0, res.output
    files = len([p for p in folder.iterdir() if p.name != "index.tsv"])
    assert f"wrote {mentions} mentions in {files} WebAnno TSV files" in res.output

    res = CliRunner().invoke(cli, [*base, "export", "--format", "webanno", "--out",
                                   str(tmp_path / "w.jsonld")])
    assert res.exit_code == 0, res.output
    assert "warning: --format webanno is deprecated" in res.output
    assert "--format inception" in res.output
    assert json.loads((tmp_path / "w.jsonld").read_text(encoding="utf-8"))["total"] == mentions


def test_the_entity_exports_say_which_spans_wait_for_review(project: list[str],
                                                           tmp_path: Path) -> None:
    """The CSV had no action column: a span the policy wrote as metadata and one still
    waiting in the review queue read the same (both unconfirmed), so a curator loading
    the file published unreviewed guesses. Each row now says accept or review, as many
    of each as act wrote and queued; a span a reviewer accepted reads accept, with
    their name; the JSONL entities and W3C annotations say the same.

    The policy is the one act proposes (no [policy]): thresholds where the out-of-fold
    calibration spans reach 95% precision. A span's score is the chance all its tags are
    right (the product of its tokens' marginals), so short LOC spans reach it and are
    written as metadata; on the imported texts their gold settles them (those it holds
    read as its rows, confirmed by the import; the others are not written: a person's
    annotation of the whole text wins), so they are not counted twice."""
    import sqlalchemy as sa

    from glamlab import Workspace
    from glamlab.actions.policy import load_policy
    from glamlab.review import decide, lease_queue
    from glamlab.store.queue import shown
    from glamlab.tasks.spans import gold_spans

    base = project
    _trained_run_and_acted(base)
    ws = Workspace.open(base[1], db=base[3] if len(base) > 2 else None)
    try:
        imported = gold_spans(ws)  # the NewsEye texts; the new ones have none
        accept_from = {label: lp.accept for label, lp in load_policy(ws.card).labels.items()
                       if lp.accept is not None}
        row = lease_queue(ws, "rey", limit=1)[0]
        decide(ws, "rey", row["id"], "accept", row["version"])
        q, meta = ws.store.t.review_queue, ws.store.t.machine_metadata
        with ws.store.read() as conn:
            # the open rows the queue shows (not those complete gold spans settle)
            waiting = conn.execute(sa.select(sa.func.count()).where(
                *shown(q, "prediction"))).scalar()
            # the metadata written on the new texts: the policy's accepts and rey's
            written = conn.execute(sa.select(sa.func.count()).select_from(meta).where(
                meta.c.item_id.not_in(sorted(imported)))).scalar()
    finally:
        ws.close()
    assert accept_from, "act proposed no threshold: nothing accepted, nothing to check"
    out = tmp_path / "e.csv"
    CliRunner().invoke(cli, [*base, "export", "--format", "csv", "--out", str(out)])
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    actions = [r["action"] for r in rows]
    assert set(actions) == {"accept", "review"}
    assert actions.count("review") == waiting
    # the policy's, the one rey accepted, and those the imported gold of their text holds
    by_gold = sum(r["confirmed_by"] == "import" for r in rows)
    assert actions.count("accept") == written + by_gold
    # on the imported texts the spans are their gold spans, whatever the policy accepted
    assert sorted((r["item_id"], int(r["start"]), int(r["end"]), r["type"]) for r in rows
                  if r["item_id"] in imported) == sorted(
        (i, s.start, s.end, s.label) for i, spans in imported.items() for s in spans)
    assert {r["confirmed_by"] for r in rows if r["item_id"] in imported} == {"import"}
    # the policy's accepts (nobody confirmed them) are those at or above their label's
    # threshold, the rest wait for review
    policy = [r for r in rows if r["action"] == "accept" and not r["confirmed_by"]]
    assert policy and all(float(r["score"]) >= accept_from[r["type"]] for r in policy)
    assert all(r["type"] not in accept_from or float(r["score"]) < accept_from[r["type"]]
               for r in rows if r["action"] == "review")
    v = row["value"]
    mine = next(r for r in rows if r["item_id"] == row["item_id"]
                and (int(r["start"]), int(r["end"])) == (v["start"], v["end"]))
    assert (mine["action"], mine["confirmed_by"]) == ("accept", "rey")

    CliRunner().invoke(cli, [*base, "export", "--format", "jsonl", "--out",
                             str(tmp_path / "e.jsonl")])
    entities = [e for line in (tmp_path / "e.jsonl").read_text(encoding="utf-8").splitlines()
                for e in json.loads(line)["entities"]]
    assert sorted(e["action"] for e in entities) == sorted(actions)
    CliRunner().invoke(cli, [*base, "export", "--format", "w3c", "--out",
                             str(tmp_path / "e.jsonld")])
    annos = json.loads((tmp_path / "e.jsonld").read_text(encoding="utf-8"))["first"]["items"]
    assert sorted(a["action"] for a in annos) == sorted(actions)


def test_init_says_how_an_entities_project_starts(tmp_path: Path) -> None:
    """init said "Next: glamlab ingest ..." for every project; an entities project starts
    from texts with their entities marked (labels import)."""
    res = CliRunner().invoke(cli, ["-w", str(tmp_path / "ner"), "init", "--task", "entities",
                                   "--modality", "text", "--labels", LABELS])
    assert res.exit_code == 0, res.output
    assert "Next: glamlab labels import FILE" in res.output
    res = CliRunner().invoke(cli, ["-w", str(tmp_path / "rows"), "init", "--task", "no-shows",
                                   "--modality", "tabular", "--labels", "0,1"])
    assert res.exit_code == 0, res.output
    assert "--time-column COL --label-column COL" in res.output


@pytest.mark.parametrize("fmt", ["annif", "filter"])
def test_subject_formats_are_refused_naming_the_entity_formats(project: list[str],
                                                               tmp_path: Path,
                                                               fmt: str) -> None:
    """--format annif and filter write an item's labels as its subjects: in an entities
    project they wrote entity types ("TIME") as subjects of each text. Refused, with the
    formats that fit entities, and nothing written."""
    base = project
    _trained_run_and_acted(base)
    out = tmp_path / "subjects"
    res = CliRunner().invoke(cli, [*base, "export", "--format", fmt, "--out", str(out)])
    assert res.exit_code != 0, res.output
    message = str(res.exception) + res.output
    assert "entities project" in message and "not subjects" in message, message
    assert "--format csv, xlsx, parquet, jsonl, w3c, iiif or inception" in message, message
    assert "webanno" not in message
    assert not out.exists()
