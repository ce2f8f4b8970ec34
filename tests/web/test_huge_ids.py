"""An id no database row can have (above 2**63 - 1) sent to a route is refused like any
unknown id, not passed to the database: SQLite raised OverflowError and the app answered
500 (found by the OpenAPI conformance test's random inputs, which failed by chance)."""

from __future__ import annotations

from typing import Any

from .conftest import app_with_users, csrf_of

HUGE = str(2**64 + 7)


def test_the_api_refuses_an_undo_id_no_row_can_have(client_for: Any, queued_ws: Any) -> None:
    from glamlab.auth import api_token

    c = client_for("rey")
    h = {"Authorization": f"Bearer {api_token(queued_ws, 'rey')}"}
    for path in (f"/api/changes/{HUGE}/undo", f"/api/decisions/{HUGE}/undo"):
        r = c.post(path, headers=h)
        assert r.status_code == 422, (path, r.status_code, r.text[:300])
    assert c.post("/api/decisions/0/undo", headers=h).status_code == 422


def test_a_form_naming_a_job_no_row_can_have_is_an_unknown_job(kind_template: Any) -> None:
    gen = app_with_users(kind_template("rows"))
    try:
        _ws, _app, client = next(gen)
        ada = client("ada")
        r = ada.post("/stages/policy/save", data={"csrf": csrf_of(ada), "job": HUGE})
        assert r.status_code == 400, (r.status_code, r.text[:300])
        assert "there are no chosen thresholds to save" in r.text  # as for any unknown job
        r = ada.post("/stages/retrain/switch", data={"csrf": csrf_of(ada), "job": HUGE,
                                                    "confirmed": "yes"})
        assert r.status_code == 400 and "no retrained version to switch to" in r.text, \
            (r.status_code, r.text[:300])
    finally:
        gen.close()
