"""``glamlab evaluate``'s verdict said "better than every baseline (p < 0.01)" where the
web app, for the same comparison, said "(p < 0.001)": the command rounded every p-value
under 0.01 to "p < 0.01", the web app wrote it with the bootstrap's resolution. Both now
quote the one formatter (:func:`glamlab.evaluation.bootstrap.weakest_p`)."""

from __future__ import annotations

import re
from typing import Any

from click.testing import CliRunner

from .conftest import PASSWORD, login

P = re.compile(r"\((p [<=] \d*\.\d+)\)")


def test_the_command_line_and_the_web_app_quote_the_same_p_value(make_ws: Any) -> None:
    import numpy as np
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.cli import cli
    from glamlab.evaluation.bootstrap import format_p
    from glamlab.registry.training import train
    from glamlab.reports.overview import plain_verdict
    from glamlab.reports.stored import latest_evaluation
    from glamlab.store import now
    from glamlab.web import create_app

    # texts whose label is in their words, not in their length: the model beats every
    # baseline by far (the p-value at the bootstrap's resolution)
    ws = make_ws(modality="text", labels=["cat", "dog"])
    rng = np.random.default_rng(0)
    items, labels, splits = [], [], []
    for i in range(200):
        label = "cat" if i % 2 else "dog"
        words = " ".join(rng.choice(["the", "a", "old", "small", "grey", "house"],
                                    int(rng.integers(3, 30))))
        iid = f"t{i:03d}"
        items.append(dict(item_id=iid, version=1, is_current=True, modality="text",
                          source_kind="test", source="t", content_hash=iid,
                          text=f"{words} {label} {words}", meta={}, created_at=now()))
        labels.append(dict(item_id=iid, label=label, annotator="import", source="t",
                           active=True, created_at=now()))
        splits.append(dict(item_id=iid, split="test" if i % 3 == 0 else "train",
                           created_at=now()))
    t = ws.store.t
    with ws.store.write() as conn:
        conn.execute(t.items.insert(), items)
        conn.execute(t.labels.insert(), labels)
        conn.execute(t.splits.insert(), splits)
    train(ws, "text-tfidf", name="words")

    res = CliRunner().invoke(cli, ["-w", str(ws.root), "evaluate", "--n-boot", "2000"])
    assert res.exit_code == 0, res.output
    verdict = next(line for line in res.output.splitlines() if line.startswith("verdict:"))
    assert "better than every baseline" in verdict, verdict
    said = P.findall(verdict)
    assert len(said) == 1

    stored = latest_evaluation(ws, with_baselines=True)
    assert stored is not None
    vs = [c for c in stored.comparisons if c.b.startswith("words")
          and c.a in {x.name for x in stored.candidates if x.kind == "baseline"}]
    worst = max(vs, key=lambda c: c.p_value)
    assert said == [format_p(worst.p_value, worst.n_boot)]
    # the web app's verdict on the same comparison: the same words for the p-value
    plain = plain_verdict(ws)
    assert plain is not None and P.findall(plain) == said, (plain, verdict)
    add_user(ws, "val", PASSWORD, "viewer")
    app = create_app(ws)
    with TestClient(app) as c:
        assert login(c, "val").status_code == 303
        page = c.get("/reports").text
    app.state.refresher.wait(120)
    under = said[0].startswith("p <")
    number = said[0].split()[-1]
    assert f"p-value {'under ' if under else ''}{number}" in page
