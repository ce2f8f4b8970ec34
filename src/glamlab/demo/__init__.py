"""``glamlab demo``: a whole project on a bundled sample, narrated in plain words.

Each stage is a small function ``(ws, project, say) -> dict``; :data:`STAGES` lists them
in lifecycle order. The demo uses only the library (the same calls a notebook would make)
and the bundled samples under ``glamlab/demo_data`` (real data, with their SOURCE.md and
licences). Nothing else in glamlab imports this package.

- :mod:`.projects`: the demo projects (need, task, sample, models);
- :mod:`.preparation_stages`: ingest, labels, baselines, training, evaluation;
- :mod:`.production_stages`: run, act, export, monitor, status;
- :mod:`.blank_pages`: the blank-pages demo's own stages (labels, train, act, explain).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..workspace import Workspace
from . import preparation_stages as prep
from . import production_stages as prod
from .projects import DEMOS, DemoProject, Say, demo_data, project

Stage = Callable[[Workspace, DemoProject, Say], dict[str, Any]]

# Stages run in this order; a new stage goes in its place in the lifecycle.
STAGES: list[tuple[str, Stage]] = [
    ("ingest", prep.stage_ingest),
    ("labels", prep.stage_labels),
    ("baseline", prep.stage_baseline),
    ("train", prep.stage_train),
    ("evaluate", prep.stage_evaluate),
    ("run", lambda ws, p, say: prod.stage_run(ws, say)),
    ("act", lambda ws, p, say: prod.stage_act(ws, say, p.noun)),
    ("export", lambda ws, p, say: prod.stage_export(ws, say, p.noun)),
    ("monitor", prod.stage_monitor),
    ("status", prod.stage_status),
]


def run_demo(name: str, directory: str | Path, *, fresh: bool = False,
             say: Say = print, progress: bool = False) -> dict[str, Any]:
    """Run every stage of the demo ``name`` in ``directory``, telling ``say`` what
    happens. ``progress``: while a stage works in silence, a line on stderr every few
    seconds (:class:`glamlab.progress.Heartbeat`)."""
    from ..progress import Heartbeat, touch

    def tell(message: str) -> None:  # say it, noting that a line was shown
        say(message)
        touch()

    p = project(name)
    root = Path(directory)
    if fresh and root.exists():
        shutil.rmtree(root)
    tell(f"glamlab demo: {name}")
    tell(f"The need: {p.init['need']}")
    if (root / "glamlab.toml").exists():
        ws = Workspace.open(root)
        tell(f"Using the existing workspace {ws.root}.")
    else:
        ws = Workspace.init(root, **p.init)
        tell(f"Created the workspace {ws.root} (project card glamlab.toml, database glamlab.db).")
    results: dict[str, Any] = {"demo": name, "workspace": str(ws.root)}
    try:
        for stage_name, stage in p.stages or STAGES:
            tell("")
            tell(f"== {stage_name}")
            with Heartbeat(f"{stage_name}", enabled=progress):
                results[stage_name] = stage(ws, p, tell)
    finally:
        ws.close()
    return results


__all__ = ["DEMOS", "STAGES", "DemoProject", "Say", "Stage", "demo_data", "project", "run_demo"]
