"""A table of labels ("id,label") for images already in the workspace, from the command
line: `glamlab labels import` saves them and says so; `glamlab ingest` of the same table
stores nothing and points to `glamlab labels import` (not to --allow-source-change, which
would make each image a new version without its image)."""

from __future__ import annotations

import shutil

from click.testing import CliRunner

from glamlab.cli import cli
from glamlab.demo import demo_data


def test_a_table_of_labels_for_images_already_here(make_ws, tmp_path):
    from glamlab.tasks.labels import gold_labels

    ws = make_ws("scans", modality="image", labels=["graphic", "no_graphic"])
    scans = tmp_path / "images"
    scans.mkdir()
    for p in sorted((demo_data("illustrations") / "images").glob("*.jpg"))[:4]:
        shutil.copy(p, scans / p.name)
    runner = CliRunner()
    res = runner.invoke(cli, ["-w", str(ws.root), "ingest", str(scans)])
    assert res.exit_code == 0, res.output
    ids = sorted(i.item_id for i in ws.items())
    sheet = tmp_path / "labels.csv"
    wanted = {i: "graphic" if n % 2 else "no_graphic" for n, i in enumerate(ids)}
    sheet.write_text("id,label\n" + "".join(f"{i},{g}\n" for i, g in wanted.items()))

    res = runner.invoke(cli, ["-w", str(ws.root), "ingest", str(sheet)])
    assert res.exit_code != 0 and "0 new items" in res.output  # every row a problem
    assert {i.modality for i in ws.items()} == {"image"}  # no image became a record
    assert res.output.count("glamlab labels import labels.csv") == len(ids)

    res = runner.invoke(cli, ["-w", str(ws.root), "labels", "import", str(sheet)])
    assert res.exit_code == 0, res.output
    assert f"{len(ids)} items labelled" in res.output
    assert gold_labels(ws) == {i: [g] for i, g in wanted.items()}
