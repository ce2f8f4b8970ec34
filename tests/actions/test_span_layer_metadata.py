"""A span's layer in the value written to ``machine_metadata``.

:meth:`glamlab.tasks.kinds.entities.Entities.metadata_value` (what a reviewer's
accepted span, or a span ``glamlab act`` accepts, is written as) said a span's type,
words and offsets only. A nested span over the same words as a main-layer span of the
same type was written as the main one's value, so

- accepting the nested "Paris" made the export say the main "Paris" was confirmed by
  the reviewer, although nobody had decided on it;
- ``glamlab act`` took the second of the two for one already written, and wrote one row
  for both (the nested span was never written, nor kept when the text was marked done).

A span of another layer now names it in its value; a main-layer span's value is what it
always was, so the values stored before still match their spans."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.cli.test_export_layers import _export, _project


def _rows(path: Path) -> list[tuple[str, str, str, str, str, str]]:
    """(item, words, type, layer, action, who confirmed it) of each row of the entity
    CSV."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return sorted((r["item_id"], r["text"], r["type"], r["layer"], r["action"],
                       r["confirmed_by"]) for r in csv.DictReader(fh))


def _accepting(make_ws: Any, tmp_path: Path, monkeypatch: Any) -> Any:
    """The two-layer project (:func:`_project`: Durand on the main layer, Paris and Lyon
    on the main and the nested layers), its policy accepting every span."""
    from glamlab.actions.act import act

    ws = _project(make_ws, tmp_path, monkeypatch)  # acted once: every span queued
    ws.card_path.write_text(ws.card_path.read_text() + "[policy.labels.PER]\naccept = 0.0\n"
                            "[policy.labels.LOC]\naccept = 0.0\n")
    ws.reload_card()
    act(ws)
    return ws


def test_accepting_a_nested_span_confirms_it_not_the_main_one(
        make_ws: Any, tmp_path: Path, monkeypatch: Any) -> None:
    from glamlab.review import decide

    ws = _project(make_ws, tmp_path, monkeypatch)  # every span queued
    q, mm = ws.store.t.review_queue, ws.store.t.machine_metadata
    with ws.store.read() as conn:
        queued = conn.execute(sa.select(q.c.id, q.c.version, q.c.value).where(
            q.c.item_id == "a", q.c.label == "LOC")).all()
    [(row, version, _)] = [r for r in queued if (r.value or {}).get("layer") == "nested"]
    decide(ws, "ada", row, "accept", version)

    _export(ws, "--format", "csv", "--all-layers", "--out", str(tmp_path / "all.csv"))
    paris = [r for r in _rows(tmp_path / "all.csv") if r[1] == "Paris"]
    # ada's on the nested layer; the model's on the main layer waits for a person
    assert paris == [("a", "Paris", "LOC", "entity", "review", ""),
                     ("a", "Paris", "LOC", "nested", "accept", "ada")]
    with ws.store.read() as conn:
        [value] = conn.execute(sa.select(mm.c.value).where(mm.c.item_id == "a")).scalars()
    assert "nested" in value  # what ada confirmed, read in the item's history


def test_act_writes_each_layer_s_span_once(make_ws: Any, tmp_path: Path,
                                           monkeypatch: Any) -> None:
    from glamlab.actions.act import act
    from glamlab.tasks.spans.model import MAIN_LAYER

    ws = _accepting(make_ws, tmp_path, monkeypatch)
    mm = ws.store.t.machine_metadata
    with ws.store.read() as conn:
        values = sorted((r.item_id, r.value) for r in conn.execute(
            sa.select(mm.c.item_id, mm.c.value)))
    # Durand; Paris and Lyon on each layer: five spans, five values
    assert len(values) == len(set(values)) == 5
    again = act(ws)
    assert again.written["machine_metadata"] == 0
    assert again.already_written["machine_metadata"] == 5

    # a main-layer span's value is what it was before layers were written: the values
    # stored then still match
    texts = {i: ws.item(i).text or "" for i in ("a", "b")}
    main = sorted((i, f"{label}: {w} [{texts[i].index(w)}-{texts[i].index(w) + len(w)}]")
                  for i, w, label in (("a", "Durand", "PER"), ("a", "Paris", "LOC"),
                                      ("b", "Lyon", "LOC")))
    assert [v for v in values if v in main] == main
    assert all("nested" in v[1] for v in values if v not in main)

    _export(ws, "--format", "csv", "--all-layers", "--out", str(tmp_path / "all.csv"))
    rows = _rows(tmp_path / "all.csv")
    assert {r[4] for r in rows} == {"accept"} and len(rows) == 5
    assert sorted(r[3] for r in rows) == [MAIN_LAYER] * 3 + ["nested"] * 2


def test_marking_a_text_done_keeps_the_nested_spans_the_policy_accepted(
        make_ws: Any, tmp_path: Path, monkeypatch: Any) -> None:
    from glamlab.tasks.spans import gold_spans
    from glamlab.tasks.spans.complete import mark_text_done

    ws = _accepting(make_ws, tmp_path, monkeypatch)
    mark_text_done(ws, "a", user="ada")
    text = ws.item("a").text or ""
    spans = sorted((text[s.start:s.end], s.label, s.layer)
                   for s in gold_spans(ws, ["a"], layer=None)["a"])
    assert spans == [("Durand", "PER", "entity"), ("Paris", "LOC", "entity"),
                     ("Paris", "LOC", "nested")]
