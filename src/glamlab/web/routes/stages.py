# ruff: noqa: B008  (FastAPI declares dependencies as Depends(...) defaults)
"""A page per stage, so a curator never needs the terminal (the project and bringing
items in are in :mod:`.setup`): train, evaluate (baselines and the
leaderboard), run over the collection (a background job with a progress bar that survives
a reload), what the policy would do (the dry run, with money and review hours), export
(download), monitoring. Long work is a job (:mod:`glamlab.web.jobs`)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.background import BackgroundTask
from starlette.datastructures import FormData

from ...auth import User
from ...reports import overview
from .. import jobs
from ..pages import form_of, page_user, render, writer

router = APIRouter(include_in_schema=False)

STAGES = {
    "project": "The project",
    "items": "Bring items in",
    "label": "Label items",
    "train": "Train models",
    "evaluate": "Baselines and evaluation",
    "run": "Run over the collection",
    "policy": "Choose the policy",
    "act": "What the policy would do",
    "export": "Export",
    "monitoring": "Monitoring",
}
EXPORT_FORMATS = {"csv": ("text/csv", "a spreadsheet (CSV)"),
                  "jsonl": ("application/x-ndjson", "JSON lines, one item a line"),
                  "parquet": ("application/vnd.apache.parquet", "Parquet, for data tools")}


def _job_view(job: dict[str, Any] | None) -> dict[str, Any] | None:
    if job is None:
        return None
    return {**job, "active": job["status"] in jobs.ACTIVE}


def _page(request: Request, stage: str, ctx: dict[str, Any], *,
          template: str = "stage.html") -> Response:
    refresh = any(isinstance(v, dict) and v.get("active") for v in ctx.values())
    if refresh:
        request.app.state.jobs.start()  # a job left by a stopped server carries on
    return render(request, template, {"stage": stage, "stages": STAGES,
                                      "refresh": refresh, **ctx})


def _start(request: Request, kind: str, user: User, stage: str) -> Response:
    jobs.submit(request.app.state.ws, kind, user.username)
    request.app.state.jobs.start()
    request.app.state.jobs.wake()
    return RedirectResponse(f"/stages/{stage}?started={kind}", 303)


@router.get("/stages", response_class=HTMLResponse)
def stages_index(request: Request, user: User = Depends(page_user)) -> Response:
    return RedirectResponse("/stages/evaluate", 303)


@router.get("/stages/label", response_class=HTMLResponse)
def label_stage(request: Request, user: User = Depends(page_user)) -> Response:
    return RedirectResponse("/label", 303)


@router.get("/stages/evaluate", response_class=HTMLResponse)
def evaluate_page(request: Request, user: User = Depends(page_user)) -> Response:
    from ... import review

    ws = request.app.state.ws
    return _page(request, "evaluate", {
        "job": _job_view(jobs.latest(ws, "evaluate")),
        "board": overview._section("Leaderboard", overview.leaderboard, ws),
        "labelling": review.labelling_counts(ws)})


@router.post("/stages/evaluate")
def evaluate_start(request: Request, form: FormData = Depends(form_of),
                   user: User = Depends(writer("admin", "evaluate models"))) -> Response:
    return _start(request, "evaluate", user, "evaluate")


@router.get("/stages/run", response_class=HTMLResponse)
def run_page(request: Request, user: User = Depends(page_user)) -> Response:
    from ...errors import GlamlabError
    from ...inference import champion_spec, list_runs

    ws = request.app.state.ws
    try:
        champion: str | None = champion_spec(ws)
    except GlamlabError:
        champion = None
    runs = list_runs(ws, limit=5)
    return _page(request, "run", {
        "job": _job_view(jobs.latest(ws, "run")), "champion": champion, "runs": runs,
        "items_total": ws.count_items()})


@router.post("/stages/run")
def run_start(request: Request, form: FormData = Depends(form_of),
              user: User = Depends(writer("admin", "run models"))) -> Response:
    return _start(request, "run", user, "run")


@router.get("/stages/act", response_class=HTMLResponse)
def act_page(request: Request, user: User = Depends(page_user)) -> Response:
    ws = request.app.state.ws
    section = overview._section("What the policy would do",
                                lambda w: overview.act_dry_run(w, request.app.state.refresher),
                                ws)
    return _page(request, "act", {"act": section, "policy": ws.card.section("policy")})


@router.get("/stages/export", response_class=HTMLResponse)
def export_page(request: Request, user: User = Depends(page_user)) -> Response:
    return _page(request, "export", {"formats": EXPORT_FORMATS})


@router.get("/stages/export/download")
def export_download(request: Request, format: str = "csv",
                    user: User = Depends(page_user)) -> Response:
    from ...actions.export import export

    if format not in EXPORT_FORMATS:
        raise HTTPException(404, f"no export format {format!r}")
    ws = request.app.state.ws
    folder = tempfile.mkdtemp(prefix="glamlab-export-")
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", ws.card.name or "glamlab").strip("-.") or "glamlab"
    path = Path(folder) / f"{stem}-export.{format}"
    export(ws, format, path)
    return FileResponse(path, media_type=EXPORT_FORMATS[format][0], filename=path.name,
                        background=BackgroundTask(_remove, Path(folder)))


def _remove(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


@router.get("/stages/monitoring", response_class=HTMLResponse)
def monitoring_page(request: Request, user: User = Depends(page_user)) -> Response:
    ws = request.app.state.ws
    section = overview._section("Monitoring",
                                lambda w: overview.monitoring(w, request.app.state.refresher), ws)
    return _page(request, "monitoring", {"monitoring": section,
                                         "job": _job_view(jobs.latest(ws, "monitor"))})


@router.post("/stages/monitoring")
def monitoring_start(request: Request, form: FormData = Depends(form_of),
                     user: User = Depends(writer("reviewer", "check monitoring"))) -> Response:
    return _start(request, "monitor", user, "monitoring")


# -- train --------------------------------------------------------------------------
@router.get("/stages/train", response_class=HTMLResponse)
def train_page(request: Request, user: User = Depends(page_user)) -> Response:
    from ... import review
    from ...predictors.catalogue import for_project
    from ...registry import list_models

    ws = request.app.state.ws
    entities = ws.card.kind == "entities"
    # baselines are fitted by evaluate; entity recognisers only for an entities project
    rows = [r for r in for_project(ws.card) if "baseline" not in r["good_for"]
            and ("entities" in r["good_for"]) == entities]
    return _page(request, "train", {
        "job": _job_view(jobs.latest(ws, "train")), "predictors": rows,
        "models": [m for m in list_models(ws)], "labelling": review.labelling_counts(ws)},
        template="stage_train.html")


@router.post("/stages/train")
def train_start(request: Request, form: FormData = Depends(form_of),
                user: User = Depends(writer("admin", "train models"))) -> Response:
    from ...errors import GlamlabError
    from ...predictors.catalogue import available

    names = [str(n) for n in form.getlist("predictor")]
    unknown = [n for n in names if n not in available()]
    if not names or unknown:
        raise GlamlabError("tick at least one of the predictors listed" if not names else
                           f"no predictor called {unknown[0]!r}",
                           hint="choose from the list on the Train models page")
    jobs.submit(request.app.state.ws, "train", user.username, {"predictors": names})
    request.app.state.jobs.start()
    request.app.state.jobs.wake()
    return RedirectResponse("/stages/train?started=train", 303)


# -- the policy ---------------------------------------------------------------------
TARGETS = (0.9, 0.95, 0.98, 0.99)


@router.get("/stages/policy", response_class=HTMLResponse)
def policy_page(request: Request, user: User = Depends(page_user)) -> Response:
    from ...actions.policy import load_policy
    from ...inference import list_runs

    ws = request.app.state.ws
    job = _job_view(jobs.latest(ws, "optimise"))
    policy = load_policy(ws.card)
    return _page(request, "policy", {
        "has_run": bool(list_runs(ws, limit=1)),
        "job": job, "result": job["result"] if job and job["status"] == "done" else None,
        "policy": policy, "targets": TARGETS,
        "saved": request.query_params.get("saved")}, template="stage_policy.html")


@router.post("/stages/policy")
def policy_start(request: Request, form: FormData = Depends(form_of),
                 user: User = Depends(writer("admin", "choose the policy"))) -> Response:
    from ...errors import PolicyError

    raw = str(form.get("target_precision") or "")
    try:
        target = float(raw)
    except ValueError:
        raise PolicyError(f"the precision target must be a number, not {raw!r}",
                          hint="e.g. 0.95: 95 of 100 accepted items right") from None
    if not 0.5 <= target <= 1.0:
        raise PolicyError(f"the precision target must be between 0.5 and 1, not {target:g}",
                          hint="e.g. 0.95: 95 of 100 accepted items right")
    jobs.submit(request.app.state.ws, "optimise", user.username,
                {"target_precision": target})
    request.app.state.jobs.start()
    request.app.state.jobs.wake()
    return RedirectResponse("/stages/policy?started=optimise", 303)


@router.post("/stages/policy/save")
def policy_save(request: Request, form: FormData = Depends(form_of),
                user: User = Depends(writer("admin", "choose the policy"))) -> Response:
    try:
        job_id = int(str(form.get("job") or ""))
    except ValueError:
        raise HTTPException(404, "no such job") from None
    jobs.save_policy(request.app.state.ws, job_id, user.username)
    return RedirectResponse("/stages/policy?saved=1", 303)
