"""An item's id is ``item_id`` everywhere: ``Item.to_dict()`` and ``glamlab items list|show
--json`` said ``id`` while predictions, labels and exports say ``item_id``, so a notebook
joining items to predictions in pandas needed a rename. Both keys come for this release
(the old ``id`` is deprecated, documented in the README)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from glamlab.cli import cli


def test_item_dicts_carry_item_id_and_the_old_id(make_ws, tmp_path):
    ws = make_ws("letters", modality="text", labels=["fr", "de"])
    path = tmp_path / "letters.csv"
    path.write_text("id,text\nl-1,Lettre de Paris\nl-2,Brief aus Wien\n", encoding="utf-8")
    ws.ingest([str(path)])

    rows = [it.to_dict() for it in ws.items()]
    assert sorted(r["item_id"] for r in rows) == ["l-1", "l-2"]
    assert all(r["id"] == r["item_id"] for r in rows)

    runner = CliRunner()
    res = runner.invoke(cli, ["-w", str(ws.root), "items", "list", "--json"])
    assert res.exit_code == 0, res.output
    listed = json.loads(res.stdout)
    assert sorted(r["item_id"] for r in listed) == ["l-1", "l-2"]
    assert all(r["id"] == r["item_id"] for r in listed)

    res = runner.invoke(cli, ["-w", str(ws.root), "items", "show", "l-2", "--json"])
    assert res.exit_code == 0, res.output
    shown = json.loads(res.stdout)
    assert shown["item_id"] == shown["id"] == "l-2"
