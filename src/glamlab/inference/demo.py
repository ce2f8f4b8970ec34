"""The ``run`` stage of ``glamlab demo``: the champion over the whole sample collection."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import ModelNotFound

if TYPE_CHECKING:
    from ..workspace import Workspace


def stage_run(ws: Workspace, say: Callable[[str], None]) -> dict[str, Any]:
    from .runner import champion_spec, run

    try:
        spec = champion_spec(ws)
    except ModelNotFound:
        say("No model is marked champion yet, so there is nothing to run over the collection; "
            "skipping this stage. (Compare models with glamlab evaluate and mark the best one "
            "champion first.)")
        return {"skipped": "no champion model"}
    say(f"Running the champion model ({spec}) over every item of the collection. Items it "
        "has already predicted are skipped, so this is safe to repeat.")
    report = run(ws, spec, workers=min(2, os.cpu_count() or 1), progress=False)
    say(f"Run {report.run_id} {report.status}: {report.done:,} of {report.planned:,} items "
        f"have a prediction from {report.model}"
        + (f", {report.skipped:,} had one already" if report.skipped else "")
        + f"; {report.failed:,} could not be predicted"
        + (f" (see why with: glamlab runs --failures {report.run_id})" if report.failed else "")
        + ".")
    labels: dict[str, int] = {}
    import sqlalchemy as sa

    t = ws.store.t.predictions
    with ws.store.read() as conn:
        for label, n in conn.execute(sa.select(t.c.label, sa.func.count())
                                     .where(t.c.model_id == report.model_id)
                                     .group_by(t.c.label)):
            labels[str(label)] = int(n)
    if labels and not ws.card.multi_label:
        mix = ", ".join(f"{n:,} {label}" for label, n in sorted(labels.items(),
                                                                key=lambda kv: -kv[1]))
        say(f"What the model says across the collection: {mix}.")
    return report.to_dict()
