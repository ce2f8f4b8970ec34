"""glamlab predictors"""

from __future__ import annotations

from typing import Any

import click

from ._common import emit, json_option, open_ws

FAMILIES = ["language", "blank", "illustration", "subjects", "text", "image", "baseline"]


@click.command()
@click.argument("name", required=False)
@click.option("--modality", type=click.Choice(["image", "text"]), default=None,
              help="Only predictors for this modality (default: the workspace's, if any).")
@click.option("--task", "family", type=click.Choice(FAMILIES), default=None,
              help="Only predictors good for this kind of task (default: the workspace's).")
@json_option
@click.pass_context
def predictors(ctx: click.Context, name: str | None, modality: str | None,
               family: str | None, as_json: bool) -> None:
    """What each predictor is, what it needs, its speed and cost, and which to try first
    for this project (run it inside a workspace, or give --modality / --task). With NAME,
    that one predictor, with the parameters it takes (glamlab train NAME --param K=V)
    and their defaults.

    \b
    Examples:
      glamlab predictors                       # in a workspace: the ones for its task
      glamlab predictors --modality image --task blank
      glamlab predictors text-tfidf            # one predictor, with its parameters
      glamlab train page-stats-gbm            # then train one by name
    """
    from ..errors import WorkspaceError
    from ..predictors.catalogue import for_project, task_family

    if name is not None:
        emit(one(name), as_json, render_one)
        return

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


def one(name: str) -> dict[str, Any]:
    """One predictor's catalogue entry, with ``parameters``: each it takes and its
    default (None for one that must be given; a service's are its card block's keys)."""
    from ..predictors.catalogue import REQUIRED, describe, parameters

    entry = describe(name)  # an unknown name: one error listing the names
    params = parameters(name)
    return {**entry, "parameters": [
        {"name": k, "default": None if v is REQUIRED else _plain(v), "required": v is REQUIRED}
        for k, v in params.items()]}


def _plain(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str))


def render_one(data: dict[str, Any]) -> str:
    from ..predictors.catalogue import literal

    kind = " (baseline)" if "baseline" in data.get("good_for", ()) else ""
    lines = [f"{data['name']}{kind}: {data['summary']}",
             f"  needs {data['needs']}; speed {data['speed']}; cost {data['cost']}"]
    params = data["parameters"]
    if data["name"].startswith("service:"):
        lines.append("Its settings are its [services.NAME] block in glamlab.toml.")
    elif not params:
        lines.append("It takes no parameters.")
    else:
        width = max(len(p["name"]) for p in params)
        lines.append(f"Parameters (glamlab train {data['name']} --param NAME=VALUE; "
                     "left out, each keeps its default):")
        for p in params:
            default = ("(must be given)" if p["required"] else "the project's table schema "
                       "(given for you)" if p["name"] == "schema" and "record" in
                       data.get("modalities", ()) else literal(p["default"], "cli"))
            lines.append(f"  {p['name']:<{width}}  default {default}")
    return "\n".join(lines)
