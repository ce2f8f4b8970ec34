"""`glamlab review list` / `glamlab review import`: the review queue taken out as a file
(CSV for Excel and OpenRefine, JSONL for scripts), decided there, and the decisions
brought back, recorded as the web queue records them (review.decide): the reviewer's
name on the decision, the gold label and the export's confirmed_by, the audit log, and
another reviewer's lease respected. Bad rows are named one per line with the fix and
the rest is recorded (exit 1); a missing column refuses the file (exit 2); importing a
file twice records nothing twice. There was no such command before."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.actions.helpers import run_cli
from tests.web.conftest import seed_queue


def _queued(make_ws: Any, tmp_path: Path, *, multi: bool = False) -> Any:
    ws = make_ws("letters", modality="text", labels=["fr", "de", "en"], multi_label=multi)
    path = tmp_path / "letters.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text"])
        w.writerows((f"letter-{i:02d}", f"Lettre numéro {i} de la bibliothèque") for i in range(8))
    ws.ingest([str(path)])
    seed_queue(ws)
    return ws


def _sheet(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def _write(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=columns or list(rows[0]), extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def _decisions(ws: Any) -> list[Any]:
    d = ws.store.t.decisions
    with ws.store.read() as conn:
        return conn.execute(sa.select(d.c.queue_id, d.c.user, d.c.action, d.c.label)
                            .order_by(d.c.id)).all()


def test_list_fill_import_round_trip(make_ws, tmp_path, capsys):
    ws = _queued(make_ws, tmp_path)
    out = tmp_path / "queue.csv"
    code, _o, err = run_cli(capsys, ws, "review", "list", "-o", str(out))
    assert code == 0, err
    assert "8 open queue rows written" in err and "glamlab review import" in err
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    rows = _sheet(out)
    assert len(rows) == 8
    assert list(rows[0]) == ["queue_id", "version", "item_id", "title", "kind", "predicted",
                             "score", "reason", "gold", "decision", "correct_to"]
    assert all(r["decision"] == "" and r["correct_to"] == "" for r in rows)
    assert rows[0]["reason"] == "below the accept threshold"

    other = next(lab for lab in ws.card.labels if lab != rows[1]["predicted"])
    rows[0]["decision"] = "accept"
    rows[1]["decision"], rows[1]["correct_to"] = "Correct", other  # any case
    rows[2]["decision"] = "reject"
    filled = tmp_path / "decided.csv"
    _write(filled, rows)

    code, o, err = run_cli(capsys, ws, "review", "import", str(filled), "--by", "maria")
    assert code == 0, err
    assert o.strip() == ("3 decisions recorded as maria, 0 refused, 5 left open (no decision "
                         "written).")
    made = _decisions(ws)
    assert [(m.queue_id, m.user, m.action) for m in made] == [
        (int(rows[0]["queue_id"]), "maria", "accept"),
        (int(rows[1]["queue_id"]), "maria", "correct"),
        (int(rows[2]["queue_id"]), "maria", "reject")]
    assert made[1].label == other
    # the gold labels of accepted and corrected rows: the reviewer's, from review
    lt = ws.store.t.labels
    with ws.store.read() as conn:
        gold = {r.item_id: (r.label, r.annotator, r.source) for r in conn.execute(
            sa.select(lt).where(lt.c.active.is_(True)))}
        audit = [r.action for r in conn.execute(sa.select(ws.store.t.audit_log.c.action))]
    assert gold == {rows[0]["item_id"]: (rows[0]["predicted"], "maria", "review"),
                    rows[1]["item_id"]: (other, "maria", "review")}
    assert audit.count("review.accept") == 1 and audit.count("review.correct") == 1
    assert "review.import" in audit

    # the export says who confirmed them
    exp = tmp_path / "export.csv"
    code, _o, err = run_cli(capsys, ws, "export", "--format", "csv", "--out", str(exp))
    assert code == 0, err
    by_item = {r["item_id"]: r for r in _sheet(exp)}
    assert by_item[rows[0]["item_id"]]["confirmed_by"] == "maria"
    assert by_item[rows[0]["item_id"]]["decision"] == "accept"
    assert by_item[rows[1]["item_id"]]["confirmed_by"] == "maria"
    assert by_item[rows[1]["item_id"]]["value"] == other

    # the queue no longer lists them
    code, o, _e = run_cli(capsys, ws, "review", "list")
    listed = list(csv.DictReader(o.splitlines()))
    assert len(listed) == 5 and not o.startswith("\ufeff")  # stdout: no BOM for pipes
    assert {r["queue_id"] for r in listed}.isdisjoint(r["queue_id"] for r in rows[:3])

    # importing the same file again records nothing twice
    code, o, err = run_cli(capsys, ws, "review", "import", str(filled), "--by", "maria")
    assert code == 0, err
    assert "0 decisions recorded as maria, 0 refused, 3 already recorded before" in o
    assert len(_decisions(ws)) == 3


def test_bad_rows_are_named_with_the_fix_and_the_rest_is_recorded(make_ws, tmp_path, capsys):
    from glamlab import review

    ws = _queued(make_ws, tmp_path)
    out = tmp_path / "queue.csv"
    assert run_cli(capsys, ws, "review", "list", "-o", str(out))[0] == 0
    rows = _sheet(out)
    # a web reviewer holds the first row; another decided the second meanwhile
    held = review.lease_queue(ws, "rey", limit=1)
    assert [h["id"] for h in held] == [int(rows[0]["queue_id"])]
    review.decide(ws, "rob", int(rows[1]["queue_id"]), "reject", int(rows[1]["version"]))

    rows[0]["decision"] = "accept"  # held by rey
    rows[1]["decision"] = "accept"  # decided by rob
    rows[2]["decision"] = "acept"  # not a decision word
    rows[3]["decision"], rows[3]["correct_to"] = "correct", "it"  # not a label
    rows[4]["decision"] = "accept"
    rows[4]["queue_id"] = "9999"  # no such queue row
    rows[5]["decision"] = "accept"
    rows[5]["item_id"] = rows[6]["item_id"]  # a sheet sorted by one column only
    rows[7]["decision"] = "accept"  # the one good row
    filled = tmp_path / "decided.csv"
    _write(filled, rows)

    code, o, err = run_cli(capsys, ws, "review", "import", str(filled), "--by", "maria")
    assert code == 1, (o, err)
    assert o.strip() == ("1 decision recorded as maria, 6 refused, 1 left open (no decision "
                         "written).")
    lines = err.splitlines()
    problems = [ln for ln in lines if not ln.startswith("  fix: ")]
    fixes = [ln for ln in lines if ln.startswith("  fix: ")]
    assert len(problems) == 6 and len(fixes) == 6, err
    assert "Traceback" not in err
    item = [r["item_id"] for r in rows]
    assert problems[0] == (f"decided.csv line 2 (item {item[0]}): review queue row "
                           f"{rows[0]['queue_id']} is being reviewed by rey on the web "
                           "queue; not recorded")
    assert "leave it to rey" in fixes[0]
    assert problems[1] == (f"decided.csv line 3 (item {item[1]}): review queue row "
                           f"{rows[1]['queue_id']} was already decided by rob (reject); "
                           "not recorded")
    assert problems[2] == f"decided.csv line 4 (item {item[2]}): 'acept' is not a decision"
    assert fixes[2] == ("  fix: write one of accept, reject, correct (or leave it empty to "
                        "keep the row open)")
    assert problems[3] == f"decided.csv line 5 (item {item[3]}): 'it' is not a label of this project"
    assert fixes[3] == "  fix: write one of fr, de, en in correct_to"
    assert problems[4].startswith(f"decided.csv line 6 (item {item[4]}): no review queue "
                                  "row 9999")
    assert problems[5].startswith(f"decided.csv line 7 (item {item[5]}): review queue row "
                                  f"{rows[5]['queue_id']} is about item ")
    made = _decisions(ws)
    assert [(m.queue_id, m.user) for m in made] == [(int(rows[1]["queue_id"]), "rob"),
                                                    (int(rows[7]["queue_id"]), "maria")]

    # once rey's hold is given back, the file goes in: the row recorded before is not
    # recorded twice, the others are refused again
    review.release_leases(ws, "rey")
    code, o, err = run_cli(capsys, ws, "review", "import", str(filled), "--by", "maria")
    assert code == 1
    assert o.strip() == ("1 decision recorded as maria, 5 refused, 1 already recorded "
                         "before (nothing written again), 1 left open (no decision written).")
    assert len(_decisions(ws)) == 3


@pytest.mark.parametrize("drop,bad", [("decision", "'decision'"), ("queue_id", "'queue_id'"),
                                      ("correct_to", "'correct_to'")])
def test_a_missing_column_refuses_the_file(make_ws, tmp_path, capsys, drop, bad):
    ws = _queued(make_ws, tmp_path)
    out = tmp_path / "queue.csv"
    assert run_cli(capsys, ws, "review", "list", "-o", str(out))[0] == 0
    rows = _sheet(out)
    rows[0]["decision"], rows[0]["correct_to"] = "correct", "de"
    filled = tmp_path / "decided.csv"
    _write(filled, rows, [c for c in rows[0] if c != drop])
    code, o, err = run_cli(capsys, ws, "review", "import", str(filled), "--by", "maria")
    assert code == 2, (o, err)
    assert err.startswith(f"error: decided.csv has no column {bad} (its columns: ")
    assert "nothing was recorded" in err and "\nfix: keep the columns glamlab review list" in err
    assert _decisions(ws) == []


def test_jsonl_for_scripts_and_formula_safe_csv(make_ws, tmp_path, capsys, monkeypatch):
    from glamlab.review import sheet

    ws = _queued(make_ws, tmp_path)
    monkeypatch.setattr(sheet, "_BATCH", 3)  # read in parts: order and rows kept
    code, o, _e = run_cli(capsys, ws, "review", "list", "--sort", "oldest")
    assert [r["queue_id"] for r in csv.DictReader(o.splitlines())] == [str(i) for i in
                                                                       range(1, 9)]
    q = ws.store.t.review_queue
    with ws.store.write() as conn:  # a reason a spreadsheet would run as a formula
        conn.execute(q.update().where(q.c.id == 1).values(reason="=HYPERLINK(\"x\")"))
    code, o, _e = run_cli(capsys, ws, "review", "list", "--sort", "oldest")
    first = next(csv.DictReader(o.splitlines()))
    assert first["queue_id"] == "1" and first["reason"] == "'=HYPERLINK(\"x\")"

    out = tmp_path / "queue.jsonl"
    code, _o, err = run_cli(capsys, ws, "review", "list", "--limit", "3", "-o", str(out))
    assert code == 0, err
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 3 and rows[0]["decision"] is None and isinstance(rows[0]["score"], float)
    rows[0]["decision"] = "accept"
    rows[1]["decision"], rows[1]["correct_to"] = "correct", rows[1]["predicted"]  # = accept
    out.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    code, o, err = run_cli(capsys, ws, "review", "import", str(out), "--by", "script",
                           "--json")
    assert code == 0, err
    report = json.loads(o)
    assert (report["recorded"], report["refused"], report["left_open"]) == (2, 0, 1)
    assert [(m.user, m.action) for m in _decisions(ws)] == [("script", "accept")] * 2


def test_multi_label_suggestions_are_decided_too(make_ws, tmp_path, capsys):
    ws = _queued(make_ws, tmp_path, multi=True)
    out = tmp_path / "queue.csv"
    assert run_cli(capsys, ws, "review", "list", "-o", str(out))[0] == 0
    rows = _sheet(out)
    other = next(lab for lab in ws.card.labels if lab != rows[1]["predicted"])
    rows[0]["decision"] = "accept"
    rows[1]["decision"], rows[1]["correct_to"] = "correct", other
    rows[2]["decision"], rows[2]["correct_to"] = "correct", other.upper()  # spelt otherwise
    _write(out, rows)
    code, o, err = run_cli(capsys, ws, "review", "import", str(out), "--by", "maria")
    assert code == 1, err
    assert o.startswith("2 decisions recorded as maria, 1 refused")
    assert f"'{other.upper()}' is not a label of this project" in err
    assert f"fix: write '{other}', as the project spells it, in correct_to" in err
    lt = ws.store.t.labels
    with ws.store.read() as conn:
        gold = {(r.item_id, r.label) for r in conn.execute(
            sa.select(lt).where(lt.c.active.is_(True), lt.c.annotator == "maria"))}
    assert (rows[0]["item_id"], rows[0]["predicted"]) in gold
    assert (rows[1]["item_id"], other) in gold


def test_an_entities_project_is_sent_to_the_web_queue(make_ws, tmp_path, capsys):
    ws = make_ws("ner", task="entities", kind="entities", modality="text",
                 labels=["PER", "LOC"])
    for args in (["list"], ["import", str(tmp_path / "x.csv"), "--by", "maria"]):
        code, o, err = run_cli(capsys, ws, "review", *args)
        assert code == 2, (args, o, err)
        assert err.startswith("error: the review queue of an entities project is not taken "
                              "out as a file")
        assert "fix: review the spans on the web queue" in err


def test_an_excel_workbook_round_trip_and_ids_excel_would_change(make_ws, tmp_path, capsys):
    openpyxl = pytest.importorskip("openpyxl")
    ws = make_ws("cards", modality="text", labels=["fr", "de"])
    path = tmp_path / "cards.csv"
    path.write_text("id,text\n0042,Lettre\n0043,Brief\n0044,Carte\n", encoding="utf-8")
    ws.ingest([str(path)])
    seed_queue(ws)
    # a CSV: Excel would open 0042 as 42; the warning says so and how to keep it
    code, _o, err = run_cli(capsys, ws, "review", "list", "-o", str(tmp_path / "q.csv"))
    assert code == 0
    assert "warning: 3 ids look like numbers: Excel opens 0042 as 42" in err
    assert "list the queue as an Excel workbook (-o FILE.xlsx)" in err
    out = tmp_path / "q.xlsx"
    code, _o, err = run_cli(capsys, ws, "review", "list", "-o", str(out))
    assert code == 0 and "warning" not in err, err
    book = openpyxl.load_workbook(out)
    sheet = book.worksheets[0]
    head = [c.value for c in sheet[1]]
    assert sheet.cell(2, head.index("item_id") + 1).value in ("0042", "0043", "0044")
    sheet.cell(2, head.index("decision") + 1).value = "accept"
    sheet.cell(3, head.index("decision") + 1).value = "correct"
    sheet.cell(3, head.index("correct_to") + 1).value = "nl"  # not a label
    book.save(out)
    code, o, err = run_cli(capsys, ws, "review", "import", str(out), "--by", "maria")
    assert code == 1, (o, err)
    assert err.startswith("q.xlsx row 3 (item 00")
    assert "'nl' is not a label of this project" in err
    assert o.startswith("1 decision recorded as maria, 1 refused")
    assert [(m.user, m.action) for m in _decisions(ws)] == [("maria", "accept")]
    code, _o, err = run_cli(capsys, ws, "review", "list", "--format", "xlsx")
    assert code == 2 and "add -o FILE.xlsx" in err


def test_a_label_copied_from_a_formula_safe_cell_is_read_without_its_quote(make_ws, tmp_path,
                                                                            capsys):
    ws = make_ws("cards", modality="text", labels=["fr", "-none"])
    path = tmp_path / "cards.csv"
    path.write_text("id,text\nc1,Lettre\nc2,Brief\n", encoding="utf-8")
    ws.ingest([str(path)])
    seed_queue(ws)
    q = ws.store.t.review_queue
    with ws.store.write() as conn:
        conn.execute(q.update().values(label="fr"))
    out = tmp_path / "q.csv"
    assert run_cli(capsys, ws, "review", "list", "-o", str(out))[0] == 0
    rows = _sheet(out)
    for r in rows:  # the person copies "'-none" from a cell where the CSV wrote it so
        r["decision"], r["correct_to"] = "correct", "'-none"
    _write(out, rows)
    code, o, err = run_cli(capsys, ws, "review", "import", str(out), "--by", "maria")
    assert code == 0, err
    assert [(m.action, m.label) for m in _decisions(ws)] == [("correct", "-none")] * 2


def test_rows_that_cannot_be_read_are_named_in_the_files_order(make_ws, tmp_path, capsys):
    ws = _queued(make_ws, tmp_path)
    out = tmp_path / "queue.csv"
    assert run_cli(capsys, ws, "review", "list", "-o", str(out))[0] == 0
    rows = _sheet(out)
    rows[0]["decision"], rows[0]["version"] = "accept", "one"  # not a number
    rows[2]["decision"] = "accept"
    _write(out, rows[:3])
    text = out.read_text(encoding="utf-8").splitlines()
    text[2] = text[2] + ",accept,a cell too many"  # more cells than the header
    out.write_text("\n".join(text) + "\n", encoding="utf-8")
    code, o, err = run_cli(capsys, ws, "review", "import", str(out), "--by", "maria")
    assert code == 1, (o, err)
    problems = [ln for ln in err.splitlines() if not ln.startswith("  fix: ")]
    assert problems[0].startswith(f"queue.csv line 2 (item {rows[0]['item_id']}): queue_id ")
    assert "version 'one' should be numbers" in problems[0]
    assert problems[1].startswith("queue.csv line 3")
    assert o.startswith("1 decision recorded as maria, 2 refused")


def test_labels_holding_a_comma_are_quoted_in_the_fix(make_ws, tmp_path, capsys):
    ws = make_ws("subjects", modality="text", multi_label=True,
                 labels=["nature", "emotions, concepts and ideas"])
    path = tmp_path / "records.csv"
    path.write_text("id,text\nr1,Un lac\nr2,La joie\n", encoding="utf-8")
    ws.ingest([str(path)])
    seed_queue(ws)
    out = tmp_path / "queue.csv"
    assert run_cli(capsys, ws, "review", "list", "-o", str(out))[0] == 0
    rows = _sheet(out)
    rows[0]["decision"], rows[0]["correct_to"] = "correct", "ideas"
    _write(out, rows)
    code, _o, err = run_cli(capsys, ws, "review", "import", str(out), "--by", "maria")
    assert code == 1
    assert "fix: write one of 'nature', 'emotions, concepts and ideas' in correct_to" in err


def test_a_jsonl_file_not_utf8_and_an_id_too_large_are_said_not_a_traceback(
        make_ws, tmp_path, capsys):
    """A JSONL file saved as Latin-1 raised UnicodeDecodeError, and a queue_id of 1e20
    (a spreadsheet's number) OverflowError from SQLite: each is now one line with the
    fix (the file refused; the row refused, the others recorded)."""
    ws = _queued(make_ws, tmp_path)
    out = tmp_path / "queue.csv"
    assert run_cli(capsys, ws, "review", "list", "-o", str(out))[0] == 0
    rows = _sheet(out)
    latin = tmp_path / "decided.jsonl"
    latin.write_bytes((json.dumps({**rows[0], "decision": "accept", "title": "été"},
                                  ensure_ascii=False) + "\n").encode("latin-1"))
    code, _o, err = run_cli(capsys, ws, "review", "import", str(latin), "--by", "maria")
    assert code == 2 and "decided.jsonl is not UTF-8 text" in err, err
    assert "fix: save it as UTF-8" in err and not _decisions(ws)
    big = [{**rows[0], "decision": "accept", "queue_id": "1e20"},
           {**rows[1], "decision": "reject"}]
    filled = tmp_path / "decided.csv"
    _write(filled, big)
    code, o, err = run_cli(capsys, ws, "review", "import", str(filled), "--by", "maria")
    assert code == 1, err
    assert "queue_id '1e20' and version" in err and "should be numbers" in err
    assert o.strip().startswith("1 decision recorded as maria, 1 refused")


@pytest.mark.parametrize("name", ["queue.csv", "queue.xlsx", "queue.jsonl"])
def test_the_listed_queue_is_owner_only_and_a_missing_folder_is_made(make_ws, tmp_path,
                                                                       capsys, name):
    """The queue's titles are the collection's data: written as every export is, owner-
    only (it was 0644 by the umask, an existing file keeping a wider mode), and into a
    folder made for it (a missing folder was a FileNotFoundError traceback)."""
    import stat

    pytest.importorskip("openpyxl")
    ws = _queued(make_ws, tmp_path)
    out = tmp_path / "new" / name
    code, _o, err = run_cli(capsys, ws, "review", "list", "-o", str(out))
    assert code == 0, err
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and out.stat().st_size > 0
    out.chmod(0o644)  # an existing file loses its wider mode too
    assert run_cli(capsys, ws, "review", "list", "-o", str(out))[0] == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_a_refused_list_leaves_the_file_named_as_it_was(make_ws, tmp_path, capsys):
    """``open_rows`` is a generator: its refusal (an entities project) came only once the
    output was opened, so ``-o`` emptied the file it named (a person's own queue.csv)
    before the error. The refusal now comes before anything is written."""
    ws = make_ws("ner", task="entities", kind="entities", modality="text",
                 labels=["PER", "LOC"])
    out = tmp_path / "queue.csv"
    out.write_text("my own notes\n", encoding="utf-8")
    code, _o, err = run_cli(capsys, ws, "review", "list", "-o", str(out))
    assert code == 2 and "entities project" in err, err
    assert out.read_text(encoding="utf-8") == "my own notes\n"


def test_a_sheet_as_a_person_edits_it_in_excel(make_ws, tmp_path, capsys):
    """Columns moved and one added, a row deleted, the rows sorted, the decision written
    as a person writes what they did ("Accepted", " REJECTED ", "Corrected"), the ids
    retyped as numbers; then the CSV as a European Excel saves it (UTF-8 with a BOM,
    semicolons, CRLF): each decision recorded once, as the word it means."""
    openpyxl = pytest.importorskip("openpyxl")
    ws = _queued(make_ws, tmp_path)
    out = tmp_path / "queue.xlsx"
    assert run_cli(capsys, ws, "review", "list", "-o", str(out))[0] == 0
    book = openpyxl.load_workbook(out)
    head, *body = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    rows = [dict(zip(head, r, strict=True)) for r in body]
    del rows[3]  # a row deleted
    rows.sort(key=lambda r: r["item_id"], reverse=True)  # whole rows sorted
    other = next(lab for lab in ws.card.labels if lab != rows[2]["predicted"])
    rows[0]["decision"] = "Accepted"
    rows[1]["decision"] = " REJECTED "
    rows[2]["decision"], rows[2]["correct_to"] = "Corrected", other
    order = ["decision", "correct_to", "note",
             *(c for c in head if c not in ("decision", "correct_to"))]
    edited = openpyxl.Workbook()
    sheet = edited.active
    sheet.append(order)
    for r in rows:
        r["note"] = "checked"
        r["queue_id"], r["version"] = int(r["queue_id"]), int(r["version"])  # as numbers
        sheet.append([r[c] for c in order])
    edited.save(tmp_path / "edited.xlsx")
    code, o, err = run_cli(capsys, ws, "review", "import", str(tmp_path / "edited.xlsx"),
                           "--by", "maria")
    assert code == 0, err
    assert o.strip() == ("3 decisions recorded as maria, 0 refused, 4 left open (no decision "
                         "written).")
    made = {m.queue_id: (m.user, m.action) for m in _decisions(ws)}
    assert made == {rows[0]["queue_id"]: ("maria", "accept"),
                    rows[1]["queue_id"]: ("maria", "reject"),
                    rows[2]["queue_id"]: ("maria", "correct")}
    assert [m.label for m in _decisions(ws) if m.action == "correct"] == [other]

    # the same decisions as European Excel saves a CSV: nothing recorded twice
    eu = tmp_path / "edited.csv"
    with open(eu, "w", newline="", encoding="utf-8-sig") as fh:
        csv.writer(fh, delimiter=";", lineterminator="\r\n").writerows(
            [order, *([r[c] for c in order] for r in rows),
             [""] * len(order), [""] * len(order)])  # blank lines Excel saves: ;;;;
    code, o, err = run_cli(capsys, ws, "review", "import", str(eu), "--by", "maria")
    assert code == 0, err
    assert o.strip() == ("0 decisions recorded as maria, 0 refused, 3 already recorded "
                         "before (nothing written again), 4 left open (no decision written).")
    assert len(_decisions(ws)) == 3
