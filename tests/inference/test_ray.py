"""The Ray engine on a real 2-node cluster (ray.cluster_utils.Cluster): same plan,
same predictions as the local engine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from glamlab.inference import run, run_failures
from tests.inference.conftest import add_text_items, save_hash_model

ray = pytest.importorskip("ray")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def ray_cluster(monkeypatch: pytest.MonkeyPatch):
    from ray.cluster_utils import Cluster

    # every Ray process must agree on the auth mode (Ray 2.60); the actors import the
    # test predictors, so they need the checkout on their path
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p))
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    try:
        yield cluster
    finally:
        if ray.is_initialized():
            ray.shutdown()
        cluster.shutdown()


def _rows(ws, model_id):
    t = ws.store.t.predictions
    with ws.store.read() as conn:
        return [tuple(r) for r in conn.execute(
            sa.select(t.c.item_id, t.c.label, t.c.labels, t.c.scores, t.c.score)
            .where(t.c.model_id == model_id).order_by(t.c.item_id))]


@pytest.mark.slow
# Ray's own internals warn about its own deprecated settings; nothing of ours is involved
@pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.*")
def test_ray_engine_on_a_two_node_cluster_matches_the_local_engine(make_ws, ray_cluster,
                                                                   monkeypatch):
    from ray.data._internal import util

    # what Ray Data logs about how it was called (a notebook shows it): nothing deprecated
    said: list[str] = []
    monkeypatch.setattr(util.logger, "warning", lambda msg, *a, **k: said.append(str(msg)))
    ws = make_ws("ray", modality="text", labels=["a", "b", "c"])
    ids = add_text_items(ws, 90)
    bad = ids[17]
    local_mv = save_hash_model(ws, name="local", fail_on=(bad,))
    ray_mv = save_hash_model(ws, name="onray", fail_on=(bad,))
    local = run(ws, "local", workers=2, batch_size=16)
    report = run(ws, "onray", engine="ray", address=ray_cluster.address, workers=2,
                 batch_size=16)
    assert (report.status, report.engine, report.done, report.failed) == ("done", "ray", 89, 1)
    assert [f["item_id"] for f in run_failures(ws, report.run_id)] == [bad]
    assert _rows(ws, ray_mv.id) == _rows(ws, local_mv.id) and local.done == 89
    # running again plans nothing: the same skip logic as the local engine
    again = run(ws, "onray", engine="ray", address=ray_cluster.address, workers=2)
    assert (again.planned, again.skipped) == (1, 89)
    assert not [m for m in said if "deprecated" in m], said


@pytest.mark.parametrize("cli, fix, not_fix", [
    (False, 'address="HOST:PORT"', "--address"),
    (True, "--address HOST:PORT", "address="),
])
def test_no_ray_cluster_gives_the_fix_in_the_callers_words(make_ws, monkeypatch, cli, fix,
                                                           not_fix):
    """From Python (a notebook) the fix names run()'s ``address=`` argument, and how to
    start Ray on this machine; from ``glamlab run`` it names ``--address``."""
    from glamlab.errors import RunError

    def no_cluster(*args, **kwargs):
        raise ConnectionError("Could not find any running Ray instance.")

    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", no_cluster)
    ws = make_ws("noray", modality="text", labels=["a", "b", "c"])
    add_text_items(ws, 3)
    save_hash_model(ws, name="onray")
    with pytest.raises(RunError, match="cannot connect to the Ray cluster") as err:
        run(ws, "onray", engine="ray", workers=1, cli=cli)
    hint = str(err.value.hint)
    assert fix in hint and not_fix not in hint
    if not cli:
        assert 'address="local"' in hint
