"""A script reads the times of ``glamlab models --json``, ``glamlab train --json`` and
``glamlab models use --json`` (and the windows of ``glamlab monitor --json``) as it
reads ``glamlab runs --json``'s: ISO 8601 saying UTC
(``2026-12-05T08:53:07Z``). They were naive text with microseconds
(``2026-12-05 08:53:07.123456``), a time of no stated zone."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from glamlab.cli import cli
from tests.actions.helpers import add_gold, add_items

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _json(ws, *args: str):
    res = CliRunner().invoke(cli, ["-w", str(ws.root), *args, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_model_times_in_json_say_utc(make_ws):
    ws = make_ws(labels=["a", "b"])
    add_items(ws, [{"item_id": f"i{k}"} for k in range(8)])
    add_gold(ws, {f"i{k}": "ab"[k % 3 == 0] for k in range(8)}, split="train")
    trained = _json(ws, "train", "majority")
    assert ISO_Z.match(trained["model"]["created_at"]), trained["model"]["created_at"]
    listed = _json(ws, "models")
    assert [ISO_Z.match(r["created_at"]) is not None for r in listed] == [True]
    used = _json(ws, "models", "use", "majority")
    assert ISO_Z.match(used["created_at"]), used["created_at"]


def test_ingest_problem_and_item_version_times_in_json_say_utc(make_ws, tmp_path):
    ws = make_ws(modality="text")
    src = tmp_path / "t.csv"
    src.write_bytes(b"id,text\nl1,Une phrase en fran\xe7ais.\nl2,Plain ascii text.\n")
    CliRunner().invoke(cli, ["-w", str(ws.root), "ingest", str(src)])
    problems = _json(ws, "items", "--errors")
    assert [ISO_Z.match(p["created_at"]) is not None for p in problems] == [True]
    shown = _json(ws, "items", "show", "l2")
    assert ISO_Z.match(shown["versions"][0]["created_at"]), shown["versions"]


def test_monitor_window_times_in_json_say_utc(make_ws):
    """``glamlab monitor --json``'s windows start and end as the other times do (they were
    ``2026-12-05 08:53:07.123456``)."""
    from tests.monitoring.test_monitor import _setup

    ws = make_ws()
    _setup(ws, windows=[(200, 0.3, 0.85)])
    db = [] if ws.store.is_sqlite else ["--db", ws.store.url]
    res = CliRunner().invoke(cli, ["-w", str(ws.root), *db, "monitor", "--model", "m@1",
                                   "--json"])
    assert res.exit_code == 0, res.output
    windows = json.loads(res.stdout)["windows"]
    assert windows and all(ISO_Z.match(w["start"]) and ISO_Z.match(w["end"])
                           for w in windows), windows
