"""A failure that names a file by its place on the server (a model's missing file, here)
gives that place to an admin only: a reviewer or viewer reads it without the server's
folders, on the error an API call or a page answers and on a background job's failure
that every stage page shows, as the API's items and the exports already give them."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from .conftest import csrf_of


def _break_the_model(ws: Any) -> str:
    """The champion's saved files removed: loading it fails naming its folder."""
    from glamlab.registry import get_model

    folder = ws.root / get_model(ws, "majority@champion").path
    shutil.rmtree(folder)
    return str(folder)


def test_an_api_error_names_no_server_folder_but_to_an_admin(client_for: Any,
                                                             queued_ws: Any) -> None:
    folder = _break_the_model(queued_ws)
    item = next(iter(queued_ws.items())).item_id
    said = {}
    for user in ("ada", "rey", "val"):
        c = client_for(user)
        r = c.post("/api/predict", json={"item_id": item},
                   headers={"X-CSRF-Token": csrf_of(c)})
        assert r.status_code >= 400 and "missing" in r.json()["error"], r.text
        said[user] = r.text
    assert folder in said["ada"]  # the admin who runs it learns where to restore it
    for user in ("rey", "val"):
        assert str(queued_ws.root) not in said[user], said[user]
        assert "majority" in said[user]  # still says which model and what is wrong


def test_a_failed_job_names_no_server_folder_but_to_an_admin(
        client_for: Any, queued_ws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from glamlab.registry import load_model
    from glamlab.web import jobs

    folder = _break_the_model(queued_ws)
    # a run that has the model to load (the queue's items are all predicted already)
    monkeypatch.setitem(jobs.WORK, "run", lambda ws, _job: load_model(ws, "majority@champion"))
    ada = client_for("ada")
    r = ada.post("/stages/run", data={"csrf": csrf_of(ada)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert ada.app.state.jobs.wait(300)  # type: ignore[attr-defined]
    job = jobs.latest(queued_ws, "run")
    assert job is not None and job["status"] == "failed" and folder in job["error"]
    assert folder in ada.get("/stages/run").text
    for user in ("rey", "val"):
        page = client_for(user).get("/stages/run").text
        assert "failed" in page and "missing" in page
        assert str(queued_ws.root) not in page, user


def test_a_broken_project_card_names_no_server_folder_but_to_an_admin(
        client_for: Any, queued_ws: Any) -> None:
    """glamlab.toml edited into a file that is not TOML: every page says so, with the
    reason to those signed in; its place on the server to an admin only."""
    import os

    clients = {user: client_for(user) for user in ("ada", "rey", "val")}
    card = queued_ws.root / "glamlab.toml"
    card.write_text(card.read_text(encoding="utf-8") + "\n[[[\n", encoding="utf-8")
    os.utime(card, ns=(1, 1))  # the stamp certainly changes
    said = {user: c.get("/") for user, c in clients.items()}
    assert said["ada"].status_code == 503 and str(card) in said["ada"].text
    for user in ("rey", "val"):
        r = said[user]
        assert r.status_code == 503 and "not valid TOML" in r.text, r.text
        assert str(queued_ws.root) not in r.text, user
        api = clients[user].get("/api/status")
        assert api.status_code == 503 and "not valid TOML" in api.json()["error"]
        assert str(queued_ws.root) not in api.text, user


def test_every_page_with_a_job_box_gives_it_the_reader():
    """job_box reads ``user`` (a failed job's words are for the reader: server folders to
    admins only); a page importing it without its context failed with 'user is
    undefined' the moment its job failed (the retrain page, once)."""
    import re
    from pathlib import Path

    import glamlab.web

    folder = Path(glamlab.web.__file__).parent / "templates"
    bare = [p.name for p in folder.glob("*.html")
            if re.search(r'import job_box(?! with context)', p.read_text(encoding="utf-8"))]
    assert not bare, bare
