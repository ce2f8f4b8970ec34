"""One name, one shape, for the same thing in every command's --json: ingest problems
and `items --errors` both name the item under "item" (`items --errors` said "item_ref",
kept for one release); `models --json` gives aliases as a list, as `train` and `models
use` do (it gave "champion,in-use"); `run --json` gives a "warnings" list, as other
commands do (it gave only a "warning" string starting "warning: ", kept for one
release)."""

from __future__ import annotations

import json

import pytest

from glamlab.cli import main


def _json(capsys, ws, *args: str) -> tuple[int, object]:
    base = ["-w", str(ws.root)] + ([] if ws.store.is_sqlite else ["--db", ws.store.url])
    with pytest.raises(SystemExit) as exc:
        main([*base, *args, "--json"])
        raise SystemExit(0)
    return int(exc.value.code or 0), json.loads(capsys.readouterr().out)


def test_ingest_problems_and_items_errors_name_the_item_alike(make_ws, tmp_path, capsys):
    ws = make_ws("t", modality="text", labels=["fr", "de"])
    table = tmp_path / "letters.csv"
    table.write_text("id,text\nl1,bonjour\nl1,guten Tag\nl2,salut\n", encoding="utf-8")
    code, report = _json(capsys, ws, "ingest", str(table), "--id-column", "id",
                         "--text-column", "text")
    assert isinstance(report, dict)
    assert code == 1 and report["added"] == 2 and len(report["problems"]) == 1
    problem = report["problems"][0]
    assert problem["item"]
    code, rows = _json(capsys, ws, "items", "--errors")
    assert code == 0 and isinstance(rows, list) and len(rows) == 1
    assert rows[0]["item"] == problem["item"]
    assert rows[0]["item_ref"] == rows[0]["item"]  # the old name, kept for one release
    assert rows[0]["reason"] == problem["reason"]


def test_models_gives_aliases_as_a_list_like_train_and_use(make_ws, capsys):
    from tests.retraining.test_retrain import _workspace

    ws = _workspace(make_ws)  # len@1, trained
    code, trained = _json(capsys, ws, "train", "threshold", "--name", "size",
                          "--param", "statistic=text_length")
    assert code == 0 and isinstance(trained, dict)
    code, used = _json(capsys, ws, "models", "use", "size")
    assert code == 0 and isinstance(used, dict)
    code, listed = _json(capsys, ws, "models")
    assert code == 0 and isinstance(listed, list)
    by_spec = {row["model"]: row["aliases"] for row in listed}
    assert isinstance(trained["model"]["aliases"], list) and isinstance(used["aliases"], list)
    assert trained["model"]["aliases"] == ["champion"]  # the first version of "size"
    assert sorted(by_spec["size@1"]) == sorted(used["aliases"])
    assert "in-use" in by_spec["size@1"] and "champion" in by_spec["size@1"]
    assert by_spec["len@1"] == ["champion"]


def test_run_gives_its_warnings_as_a_list(make_ws, capsys):
    from tests.web.test_verdict_follow_through import _not_beaten

    ws = _not_beaten(make_ws)  # len@1 did not beat the baselines: run warns
    code, report = _json(capsys, ws, "run", "--model", "len@1", "--workers", "0")
    assert code == 0 and isinstance(report, dict)
    assert isinstance(report["warnings"], list) and len(report["warnings"]) == 1
    warning = report["warnings"][0]
    assert "no better than the baselines" in warning and not warning.startswith("warning:")
    assert report["warning"] == f"warning: {warning}"  # the old key, kept for one release
