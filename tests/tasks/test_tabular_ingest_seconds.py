"""ingest_table's report says how long the table took (it read 0.0 s, and no rate)."""

from __future__ import annotations

from glamlab.tasks import tabular as tb


def test_the_report_of_a_table_says_how_long_it_took(make_ws, tmp_path):
    ws = make_ws("rows", modality="tabular", labels=["0", "1"])
    path = tmp_path / "rows.csv"
    path.write_text("id,day,size,outcome\n" + "".join(
        f"r{i},2024-01-{1 + i % 28:02d},{i % 7},{'yes' if i % 3 else 'no'}\n"
        for i in range(60)), encoding="utf-8")
    res = tb.ingest_table(ws, path, time_column="day", label_column="outcome",
                          id_column="id", positive="yes")
    assert res.report.added == 60
    assert res.report.seconds > 0
    summary = res.report.to_dict()
    assert summary["seconds"] == round(res.report.seconds, 3) and summary["items_per_s"] > 0
