"""glamlab predictors"""

from __future__ import annotations

from typing import Any

import click

from ._common import emit, json_option, open_ws

FAMILIES = ["language", "blank", "illustration", "subjects", "text", "image", "baseline"]


@click.command()
@click.option("--modality", type=click.Choice(["image", "text"]), default=None,
              help="Only predictors for this modality (default: the workspace's, if any).")
@click.option("--task", "family", type=click.Choice(FAMILIES), default=None,
              help="Only predictors good for this kind of task (default: the workspace's).")
@json_option
@click.pass_context
def predictors(ctx: click.Context, modality: str | None, family: str | None,
               as_json: bool) -> None:
    """What each predictor is, what it needs, its speed and cost, and which to try first
    for this project (run it inside a workspace, or give --modality / --task).

    \b
    Examples:
      glamlab predictors                       # in a workspace: the ones for its task
      glamlab predictors --modality image --task blank
      glamlab train page-stats-gbm            # then train one by name
    """
    from ..errors import WorkspaceError
    from ..predictors.catalogue import for_project, task_family

    card = None
    try:
        ws = open_ws(ctx)
        card = ws.card
        rows = for_project(card, modality=modality, family=family, ws=ws)  # services' spend
        ws.close()
    except WorkspaceError:
        card = None
        rows = for_project(card, modality=modality, family=family)
    data: dict[str, Any] = {"modality": modality or (card.modality if card else None),
                            "task": family or (task_family(card) if card else None),
                            "predictors": rows}
    emit(data, as_json, render)


def render(data: dict[str, Any]) -> str:
    rows = data["predictors"]
    if not rows:
        return "No predictor fits (try without --task)."
    lines = []
    if data.get("task"):
        task = str(data["task"])
        lines.append(f"Predictors for {'an' if task[:1] in 'aeiou' else 'a'} {task} task"
                     + (f" ({data['modality']})" if data.get("modality") else "")
                     + "; the recommended ones first:")
    for r in rows:
        mark = f"[{r['recommended']}]" if r["recommended"] else "   "
        kind = " (baseline)" if "baseline" in r["good_for"] else ""
        lines.append(f"{mark} {r['name']}{kind}: {r['summary']}")
        lines.append(f"      needs {r['needs']}; speed {r['speed']}; cost {r['cost']}")
    lines.append("Train one: glamlab train NAME   (baselines: glamlab baseline)")
    if any(r["name"].startswith("service:") for r in rows):
        lines.append("A service: glamlab try-service NAME first (a small sample, its labels "
                     "and how they map), then glamlab evaluate service:NAME")
    return "\n".join(lines)
