"""A tabular project's export, as a curator opens it in Excel: each row carries the
booking's date and group (the card's time and group columns), and the chance of the
positive outcome in a column that names it (``score`` is the chance of ``value``, the
outcome predicted, whichever it is); the rows whose outcome is known already are left out,
and the file says so: an export left without a row says why and what to do."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pandas as pd

from tests import bookings


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_a_tabular_export_names_the_row_the_outcome_and_what_it_left_out(
        make_ws: Any, tmp_path: Path) -> None:
    from glamlab.actions.export import export
    from glamlab.inference import run
    from glamlab.registry.tabular import train_tabular
    from glamlab.tasks.tabular import ingest_table

    ws = bookings.rows_project(make_ws, tmp_path)  # 300 rows, the last 20 still to come
    train_tabular(ws, "tabular-gbm")
    run(ws, "tabular-gbm@1", workers=0, handle_signals=False)
    res = export(ws, "csv", tmp_path / "out.csv")
    rows = _read(tmp_path / "out.csv")
    assert res["rows"] == len(rows) == 20
    table = pd.read_csv(tmp_path / "rows.csv", dtype=str).set_index("id")
    for row in rows:  # the row's date and hotel, as in the table
        assert row["arrival_date"] == table.loc[row["item_id"], "arrival_date"]
        assert row["hotel"] == table.loc[row["item_id"], "hotel"]
        # the chance of is_canceled = 1, whichever outcome value predicts
        score, chance = float(row["score"]), float(row["chance_is_canceled_1"])
        assert abs(chance - (score if row["value"] == "1" else 1 - score)) < 1e-5
    assert rows[0]["item_id"] in table.index  # the id columns stay as they were
    assert any("280 rows whose outcome is known already are left out" in n
               for n in res["notes"])
    assert not res["warnings"]

    # the outcomes of the last 20 come in: nothing is left to decide, and the export
    # says so (it used to write a header alone, and "wrote 0 rows")
    full = bookings.raw().sort_values("arrival_date").head(300)
    full.to_csv(tmp_path / "rows.csv", index=False)
    ingest_table(ws, tmp_path / "rows.csv")
    res = export(ws, "csv", tmp_path / "empty.csv")
    assert res["rows"] == 0
    warning = " ".join(res["warnings"])
    assert "no row" in warning and "300 rows whose outcome is known already" in warning
    assert "ingest the rows still to come" in warning and "glamlab run" in warning
    web = export(ws, "csv", tmp_path / "web.csv", web=True)
    assert "Bring rows in page" in " ".join(web["warnings"])
    assert "glamlab" not in " ".join(web["warnings"])


def test_a_row_whose_outcome_a_person_gave_is_not_acted_on_nor_exported(
        make_ws: Any, tmp_path: Path) -> None:
    """A row still to come in the table (its outcome cell empty) whose outcome a person
    gave since (the Labelling page) has its outcome known, as training reads it: act
    and the export leave it out and count it with the known outcomes (they read the
    table's cell alone, so the row was still queued and exported as a row to come)."""
    from glamlab.actions.act import plan
    from glamlab.actions.export import export
    from glamlab.inference import run
    from glamlab.registry.tabular import train_tabular
    from glamlab.review.labelling import save_label
    from glamlab.tasks.tabular import count_known_outcomes

    ws = bookings.rows_project(make_ws, tmp_path)  # 300 rows, the last 20 still to come
    table = pd.read_csv(tmp_path / "rows.csv", dtype=str)
    to_come = table.loc[table["is_canceled"].isna(), "id"].tolist()
    train_tabular(ws, "tabular-gbm")
    run(ws, "tabular-gbm@1", workers=0, handle_signals=False)
    save_label(ws, "cataloguer", to_come[0], ["1"])
    assert count_known_outcomes(ws) == 281
    report = plan(ws, model="tabular-gbm@1")
    assert report.known_outcomes == 281 and report.items_total == 19
    assert sum(report.counts.values()) == 19
    res = export(ws, "csv", tmp_path / "out.csv")
    rows = _read(tmp_path / "out.csv")
    assert res["rows"] == len(rows) == 19
    assert to_come[0] not in {r["item_id"] for r in rows}
    assert any("281 rows whose outcome is known already are left out" in n
               for n in res["notes"])
    ws.close()
