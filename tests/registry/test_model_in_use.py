"""One model in use per project. Each model name keeps its own champion (retrain and
rollback work on one name), but only one of them is put to work: the one the evaluate
verdict or a person chose, else the project's first champion. Before, without a choice,
the champion marked most recently was the model in use, so training a second predictor
(its first version becomes its name's champion) silently made it the model glamlab run,
act and export use, before anyone had evaluated it."""

from __future__ import annotations

import os

import pytest

from glamlab import Workspace
from glamlab.actions.act import default_model_spec
from glamlab.inference import champion_spec
from glamlab.registry import champion, describe_models, in_use, set_alias, use_model
from glamlab.registry.training import train
from glamlab.workspace.status import workspace_status
from tests.actions.helpers import add_gold, add_items


def _labelled(make_ws):
    ws = make_ws(labels=["a", "b"])
    add_items(ws, [{"item_id": f"i{k}"} for k in range(8)])
    add_gold(ws, {f"i{k}": "ab"[k % 3 == 0] for k in range(8)}, split="train")
    return ws


def _in_use_rows(ws) -> list[str]:
    return [r["model"] for r in describe_models(ws) if "in-use" in r["aliases"]]


def test_a_predictor_trained_later_does_not_become_the_model_in_use(make_ws):
    ws = _labelled(make_ws)
    first = train(ws, "majority")
    assert first.champion and champion(ws).spec == "majority@1"
    later = train(ws, "prior")
    # the first version of a name becomes that name's champion (as glamlab train says) ...
    assert later.champion and "champion" in later.model.aliases
    assert champion(ws, "prior").spec == "prior@1"
    # ... but the model in use stays the one that was in use: every reader says so
    assert champion(ws).spec == "majority@1"
    assert champion_spec(ws) == "majority@champion"
    assert default_model_spec(ws) == "majority@1"
    assert in_use(ws) == "majority"
    assert workspace_status(ws)["model_in_use"] == "majority@champion"
    assert _in_use_rows(ws) == ["majority@1"]
    assert "in-use" not in later.model.aliases
    # a person's choice moves it
    use_model(ws, "prior")
    assert champion(ws).spec == "prior@1" and _in_use_rows(ws) == ["prior@1"]
    # a new champion of a name that is not in use does not take over either
    train(ws, "majority", params={})  # majority@2: not champion (majority has one)
    set_alias(ws, "majority@2", "champion")
    assert champion(ws).spec == "prior@1" and _in_use_rows(ws) == ["prior@1"]


def test_a_store_without_an_in_use_marker_keeps_the_most_recently_crowned(make_ws):
    """A project from before the marker was set with the first champion: the migration
    marks the champion that was in use then (the most recently crowned)."""
    from glamlab.store import schema as s

    ws = _labelled(make_ws)
    train(ws, "majority")
    train(ws, "prior")
    a = ws.store.t.model_aliases
    with ws.store.write() as conn:
        conn.execute(a.delete().where(a.c.alias == "in-use"))
        conn.execute(s.schema_migrations.delete().where(s.schema_migrations.c.version >= 15))
    assert champion(ws).spec == "prior@1"  # as glamlab run chose before the migration
    root, url = ws.root, (ws.store.url if not ws.store.is_sqlite else None)
    ws.close()
    again = Workspace.open(root, db=url)
    try:
        assert in_use(again) == "prior" and champion(again).spec == "prior@1"
        assert workspace_status(again)["model_in_use"] == "prior@champion"
        train(again, "majority", name="third")  # a third name: not in use
        assert champion(again).spec == "prior@1"
    finally:
        again.close()


def test_promote_from_python_makes_the_model_in_use_as_the_command_line_does(make_ws):
    """``glamlab.retraining.promote`` moved a name's champion but left the model in use
    where it was, while ``glamlab models promote`` and the Admin page made it the model
    in use: a data scientist promoting from a notebook saw run keep the old model."""
    from click.testing import CliRunner

    from glamlab.cli import cli
    from glamlab.retraining import promote

    ws = _labelled(make_ws)
    train(ws, "majority")
    train(ws, "prior")
    train(ws, "prior", params={})  # prior@2: not champion (prior has one)
    assert champion(ws).spec == "majority@1"
    mv = promote(ws, "prior@2", reason="from a notebook")
    assert mv.spec == "prior@2" and {"champion", "in-use"} <= set(mv.aliases)
    assert champion(ws, "prior").spec == "prior@2"
    # every reader now says prior@2, as after glamlab models promote
    assert in_use(ws) == "prior" and champion(ws).spec == "prior@2"
    assert default_model_spec(ws) == "prior@2" and _in_use_rows(ws) == ["prior@2"]
    # the command line does the same through the same function: back to majority@1
    base = ["-w", str(ws.root)] + ([] if ws.store.is_sqlite else ["--db", ws.store.url])
    r = CliRunner().invoke(cli, [*base, "models", "promote", "majority@1"])
    assert r.exit_code == 0, r.output
    assert in_use(ws) == "majority" and champion(ws).spec == "majority@1"
    assert _in_use_rows(ws) == ["majority@1"]
    assert champion(ws, "prior").spec == "prior@2"  # prior keeps its own champion


@pytest.mark.skipif(not os.environ.get("GLAMLAB_TEST_PG"),
                    reason="PostgreSQL runs write transactions side by side (SQLite: in turn)")
def test_two_first_champions_at_once_leave_one_model_in_use(make_ws):
    """Two names get their first champion at the same time (two `glamlab train` of a new
    project, or the web app's and the command line's): on PostgreSQL each transaction
    saw no model in use and marked its own, leaving two ``in-use`` rows, and run, act and
    export picked either at random. The second now waits for the first, and sees it."""
    import threading
    import time

    import sqlalchemy as sa

    from glamlab.registry.models import _set_alias
    from tests.actions.helpers import add_model

    ws = make_ws(labels=["a", "b"])
    alpha, _beta = add_model(ws, "alpha", 1), add_model(ws, "beta", 1)
    errors: list[BaseException] = []

    def second() -> None:
        try:
            set_alias(ws, "beta@1", "champion")
        except BaseException as exc:  # said by the assertion below
            errors.append(exc)

    def waits_on_a_lock() -> bool:
        with ws.store.read() as conn:
            return bool(conn.execute(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()")).scalar())

    worker = threading.Thread(target=second)
    with ws.store.write() as conn:
        _set_alias(conn, "alpha", "champion", alpha)  # not committed yet
        worker.start()
        while worker.is_alive() and not waits_on_a_lock():  # done, or waiting for us
            time.sleep(0.01)
    worker.join()
    assert not errors
    assert _in_use_rows(ws) == ["alpha@1"] and champion(ws).spec == "alpha@1"
    assert champion(ws, "beta").spec == "beta@1"
