"""A tabular project without its need stated: `glamlab status` went straight to the
table's steps (backtest, run, act) while showing the need stage undone, and the web app's
overview said to state the need; the need's example was the OCR one. Status now asks for
the need first, as every other project and the overview do, with a table's example."""

from __future__ import annotations

from glamlab.tasks import tabular as tb
from tests import bookings


def test_a_tabular_project_without_its_need_is_asked_for_it_first(make_ws, tmp_path):
    ws = make_ws("rows", modality="tabular", labels=["0", "1"], need="")
    raw = bookings.raw().head(200)
    raw.to_csv(tmp_path / "rows.csv", index=False)
    tb.ingest_table(ws, tmp_path / "rows.csv", time_column="arrival_date",
                    label_column="is_canceled", id_column="id", check_leaks=False)
    step = ws.status()["next_step"]
    assert step.startswith("State the need in words") and "timed-ticket" in step
    assert "OCR" not in step
    ws.card.need = "sell the places booked visitors leave empty"
    ws.save_card()
    assert not ws.status()["next_step"].startswith("State the need")
