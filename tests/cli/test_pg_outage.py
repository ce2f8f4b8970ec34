"""The PostgreSQL server going away while glamlab works (it is stopped, restarted, or the
network fails): one clear message, nothing lost, and the work carries on afterwards.

glamlab reaches the test server through a relay the test cuts (tests.pg.CuttableProxy):
for glamlab that is the server stopping, with open connections dropped and new ones
refused."""

from __future__ import annotations

import csv
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from glamlab.cli import main
from glamlab.workspace import Workspace
from tests.inference.predictors import HashPredictor
from tests.pg import CuttableProxy, fresh_database

pytestmark = pytest.mark.postgres

#: the relay a running CutPredictor cuts (the run predicts in this process: --workers 0)
_CUT: list[CuttableProxy] = []


class CutPredictor(HashPredictor):
    """HashPredictor that cuts the relay to the server when it reaches an item of
    ``cut_on``: the batches before it are stored, the one holding it cannot be. With
    ``while_writing`` the cut comes as that batch's predictions are being sent."""

    name = "test_cut"

    def __init__(self, cut_on: tuple[str, ...] = (), while_writing: bool = False):
        super().__init__()
        self.cut_on = cut_on
        self.while_writing = while_writing

    def _predict_batch(self, items):
        if _CUT and any(i.item_id in self.cut_on for i in items):
            proxy = _CUT.pop()
            if self.while_writing:
                proxy.cut_at_row_sent(5)
            else:
                proxy.cut()
        return super()._predict_batch(items)


@pytest.fixture
def relay(request: pytest.FixtureRequest) -> Iterator[tuple[CuttableProxy, str]]:
    server = os.environ.get("GLAMLAB_TEST_PG")
    if not server:
        pytest.skip("needs a PostgreSQL server: scripts/pg-test-server make test-pg")
    direct = fresh_database(server, request.node.name)
    with CuttableProxy(server) as proxy:
        yield proxy, direct
    _CUT.clear()


def _ingest(ws: Workspace, n: int) -> list[str]:
    path = ws.root / "texts.csv"
    ids = [f"doc-{i:03d}" for i in range(n)]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text"])
        w.writerows([i, f"the text of {i}"] for i in ids)
    ws.ingest([str(path)], id_column="id", text_column="text")
    return ids


def _predictions(direct: str) -> tuple[int, int, list[tuple[int, str]]]:
    """All predictions, distinct (item, model) pairs, and each run's status (read past
    the relay)."""
    from glamlab.store import normalise_url

    engine = sa.create_engine(normalise_url(direct))
    with engine.connect() as conn:
        n, distinct = conn.exec_driver_sql(
            "SELECT count(*), count(DISTINCT (item_id, model_id)) FROM predictions").one()
        runs = [(int(r[0]), str(r[1])) for r in conn.exec_driver_sql(
            "SELECT id, status FROM runs ORDER BY id")]
    engine.dispose()
    return int(n), int(distinct), runs


@pytest.mark.parametrize("while_writing", [False, True], ids=["between-batches",
                                                              "while-writing-a-batch"])
def test_server_lost_mid_run_is_one_message_and_resume_finishes_without_duplicates(
        relay, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, caplog,
        while_writing: bool):
    from glamlab.predictors import catalogue
    from glamlab.registry import save_model

    monkeypatch.setattr(catalogue, "BUILTIN", {
        **catalogue.BUILTIN, "test_cut": "tests.cli.test_pg_outage:CutPredictor"})
    proxy, direct = relay
    url = proxy.url(direct)
    ws = Workspace.init(tmp_path / "ws", task="t", modality="text", labels=["a", "b"],
                        need="a test project", db=url)
    ids = _ingest(ws, 60)
    pred = CutPredictor(cut_on=(ids[35],), while_writing=while_writing)
    items = list(ws.items(limit=4))
    pred.fit(items, ["a", "b", "a", "b"], classes=["a", "b"], multi_label=False)
    save_model(ws, pred, name="cut")
    ws.close()

    _CUT.append(proxy)
    caplog.set_level(logging.WARNING)
    with pytest.raises(SystemExit) as stop:
        main(["-w", str(tmp_path / "ws"), "--db", url, "run", "--model", "cut@1",
              "--workers", "0", "--batch-size", "10"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    said = [ln for ln in err.splitlines()  # what is said, past the progress bar
            if ln.strip() and not ln.startswith("run 1 (cut@1): ")]
    # one error and its fix: no "recording it as failed failed", no repeat of the reason
    assert [ln.split(":")[0] for ln in said] == ["error", "fix"], err
    assert said[0].startswith("error: cannot reach the database postgresql")
    assert "--model cut@1 --resume" in said[1] and "server is running" in said[1]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], \
        [r.getMessage() for r in caplog.records]
    n, distinct, runs = _predictions(direct)
    assert n == distinct and 30 <= n < 60  # the batches before the cut, each once
    assert f"Run 1 of cut@1 stopped there; the {n} predictions it stored before that are " \
        "kept" in said[0]

    proxy.restore()  # the server is back
    # the run whose database went away is listed as stopped (resumable), not running
    main(["-w", str(tmp_path / "ws"), "--db", url, "runs", "--json"])
    listed = json.loads(capsys.readouterr().out)
    assert [(r["run_id"], r["status"]) for r in listed] == [(1, "stopped")]
    try:
        main(["-w", str(tmp_path / "ws"), "--db", url, "run", "--model", "cut@1",
              "--workers", "0", "--resume"])
    except SystemExit as done:
        assert done.code == 0, capsys.readouterr().err
    n, distinct, runs = _predictions(direct)
    assert (n, distinct) == (60, 60)  # each item once: none lost, none twice
    assert runs == [(1, "done")]  # the same run carried on


def test_web_app_says_the_database_is_not_answering_in_plain_words_and_recovers(
        relay, tmp_path: Path):
    """While the server is away every page and API call answers 503 (try again later)
    with one plain sentence (no database address for whoever opens the page), and the
    same session works again once it is back."""
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.web import create_app
    from tests.web.conftest import PASSWORD, login

    proxy, direct = relay
    ws = Workspace.init(tmp_path / "ws", task="t", modality="text", labels=["a", "b"],
                        need="a test project", db=proxy.url(direct))
    add_user(ws, "ada", PASSWORD, "reviewer")
    app = create_app(ws)
    try:
        with TestClient(app) as c:
            assert login(c, "ada").status_code == 303
            assert c.get("/api/queue").status_code == 200
            assert c.get("/").status_code == 200

            proxy.cut()
            for path in ("/api/queue", "/api/status", "/", "/queue", "/no-such-page", "/login"):
                r = c.get(path)
                assert r.status_code == 503, (path, r.status_code, r.text[:300])
                assert r.headers.get("retry-after"), path
                assert "The database is not answering" in r.text, path
                for internal in ("postgresql", "127.0.0.1", str(proxy.port), "psycopg"):
                    assert internal not in r.text, (path, internal)
            r = c.post("/api/decisions", json={"queue_id": 1, "action": "accept",
                                               "seen_version": 1})
            assert r.status_code == 503 and r.json()["error"].startswith(
                "The database is not answering")

            proxy.restore()
            assert c.get("/api/queue").status_code == 200
            assert c.get("/").status_code == 200  # still signed in
    finally:
        app.state.refresher.wait(120)
        ws.close()
