"""The demo's labels, baseline and evaluate stages on the bundled language sample."""

from __future__ import annotations

from glamlab.demo import project
from glamlab.demo.preparation_stages import stage_baseline, stage_evaluate, stage_labels


def test_demo_stages_import_split_measure_and_write_a_report(make_ws) -> None:
    p = project("language")
    ws = make_ws("demo", **{k: v for k, v in p.init.items()})
    ws.ingest(p.ingest, **p.ingest_options)
    said: list[str] = []
    labels = stage_labels(ws, p, said.append)
    assert labels["import"]["items"] == 300
    assert labels["split"]["test"] > 0
    base = stage_baseline(ws, p, said.append)
    assert (ws.root / "rules.toml").exists()
    assert {s.split("@")[0] for s in base["baselines"]} == {"prior", "majority", "rules"}
    ev = stage_evaluate(ws, p, said.append)
    assert (ws.root / "report.html").exists()
    assert ev["leaderboard"][0]["candidate"] == "rules"  # function words beat guessing
    assert any(line.startswith("In plain words:") for line in said)
    # a second run keeps the frozen split and reuses the saved baselines
    again = stage_labels(ws, p, said.append)
    assert again["split"] is None and again["import"]["unchanged"] == 300
    assert stage_baseline(ws, p, said.append)["baselines"] == base["baselines"]


def test_the_demo_says_its_verdict_once(make_ws):
    p = project("language")
    ws = make_ws("once", **dict(p.init.items()))
    ws.ingest(p.ingest, **p.ingest_options)
    said: list[str] = []
    stage_labels(ws, p, said.append)
    stage_baseline(ws, p, said.append)
    ev = stage_evaluate(ws, p, said.append)
    assert sum(ev["verdict"] in line for line in said) == 1
