"""The Export page: what the file holds, said plainly, and the same warning about ids a
spreadsheet would change that ``glamlab export --format csv`` gives."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from .conftest import PASSWORD, login

IDS = ["=1+2", "0042", "1E5", "-1234", "plain"]


@pytest.fixture
def export_client(make_ws: Any) -> Any:
    from fastapi.testclient import TestClient

    from glamlab.actions import act
    from glamlab.auth import add_user
    from glamlab.web import create_app
    from tests.actions.helpers import add_items, add_model, add_predictions

    ws = make_ws("exp", task="t", labels=["a", "b"])
    add_items(ws, [{"item_id": i, "uri": f"/s/{n}.jpg"} for n, i in enumerate(IDS)])
    mid = add_model(ws, "m", 1)
    add_predictions(ws, mid, {i: ({"a": 0.99, "b": 0.01} if n % 2 else {"a": 0.55, "b": 0.45})
                              for n, i in enumerate(IDS)})
    act(ws)
    add_user(ws, "ada", PASSWORD, "admin")
    app = create_app(ws)
    with TestClient(app) as c:
        assert login(c, "ada").status_code == 303
        yield ws, c


def test_the_export_page_warns_about_ids_a_spreadsheet_would_change(export_client: Any) -> None:
    from glamlab.actions import export

    ws, c = export_client
    page = c.get("/stages/export").text
    warning = page.split('id="export-id-warning">', 1)[1].split("</p>", 1)[0]
    assert "1 ids start with = + - or @" in warning  # "=1+2"; "-1234" is a plain number
    assert "2 ids look like numbers" in warning and "0042 as 42" in warning  # 0042, 1E5
    assert "Data &gt; From Text/CSV" in warning and "Text" in warning
    assert "Spaces around ids were removed" in warning
    # the CLI's CSV export says the same of the same ids
    res = export(ws, "csv", ws.root / "o.csv")
    assert any("1 ids start with = + - or @" in w and "2 ids look like numbers" in w
               for w in res["warnings"])
    # the file keeps every id as it is
    r = c.get("/stages/export/download?format=csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert sorted(row["item_id"] for row in rows) == sorted(IDS)
    # what the file holds: undecided rows too, said so
    assert "the values the project settled on" not in page
    assert "waiting for a person" in page
    assert {row["action"] for row in rows} == {"review"}  # nothing decided yet, all in it


def test_no_warning_when_every_id_is_safe(make_ws: Any) -> None:
    from glamlab.actions.export import spreadsheet_id_warning
    from tests.actions.helpers import add_items

    ws = make_ws("safe", task="t", labels=["a", "b"])
    add_items(ws, [{"item_id": i, "uri": "/s/x.jpg"} for i in ("a-1", "42", "-7", "e5", "0")])
    assert spreadsheet_id_warning(ws, "fix") is None
    add_items(ws, [{"item_id": "00123456789012345678", "uri": "/s/y.jpg"}])
    assert "1 ids look like numbers" in (spreadsheet_id_warning(ws, "fix") or "")


def test_the_export_page_warns_about_predictions_of_items_brought_in_again(
        export_client: Any) -> None:
    """Before, only the downloaded file's CLI twin said that items had changed since the
    model predicted them; the web page offered the download without a word."""
    ws, c = export_client
    assert 'id="export-stale-warning"' not in c.get("/stages/export").text
    t = ws.store.t.items
    with ws.store.write() as conn:  # "plain" re-ingested with another image
        conn.execute(ws.store.t.predictions.update().values(item_version=1))  # as a run does
        old = conn.execute(t.select().where(t.c.item_id == "plain")).one()._asdict()
        del old["pk"]
        conn.execute(t.update().where(t.c.item_id == "plain").values(is_current=False))
        conn.execute(t.insert().values({**old, "version": old["version"] + 1,
                                        "uri": "/s/new.jpg", "content_hash": "x" * 64}))
    page = c.get("/stages/export").text
    warning = page.split('id="export-stale-warning">', 1)[1].split("</p>", 1)[0]
    assert warning.startswith("1 item was brought in again with new text or a new image")
    assert "Run the model again" in warning
