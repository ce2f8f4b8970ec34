# ruff: noqa: B008  (FastAPI declares dependencies as Depends(...) defaults)
"""The overview (each stage, its counts and the next step), the reports page, and the
API documentation rendered from the OpenAPI description."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from ... import review
from ...auth import User
from ...reports.overview import evaluation_sections, gather
from ..pages import page_user, render

router = APIRouter(include_in_schema=False)

STAGE_WORDS = {
    "need": "The need, in words",
    "items": "The collection",
    "labels": "Gold labels (test set and training)",
    "models": "Baselines and models",
    "runs": "Runs over the collection",
    "actions": "Actions: metadata, review queue",
    "monitoring": "Monitoring",
}


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, user: User = Depends(page_user)) -> Response:
    ws = request.app.state.ws
    status = ws.status()
    for s in status["stages"]:
        s["words"] = STAGE_WORDS.get(s["stage"], s["stage"])
        s["facts"] = {k: v for k, v in s.items()
                      if k not in ("stage", "done", "words", "detail") and v is not None}
    return render(request, "overview.html", {
        "status": status, "queue": request.app.state.queue_counts.get(),
        "labelling": review.labelling_counts(ws)})


@router.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request, user: User = Depends(page_user)) -> Response:
    state = request.app.state
    return render(request, "reports.html", {
        "reports": gather(state.ws, state.refresher),
        "evaluation": evaluation_sections(state.ws)})


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> Response:
    spec = request.app.openapi()
    ops = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            body = (op.get("requestBody") or {}).get("content", {}).get(
                "application/json", {}).get("schema", {}).get("$ref", "")
            ops.append({
                "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                "description": op.get("description", ""),
                "params": [f"{p['name']} ({p['in']})" for p in op.get("parameters", [])],
                "body": body.rsplit("/", 1)[-1], "responses": sorted(op.get("responses", {}))})
    return render(request, "docs.html", {"ops": ops, "info": spec.get("info", {})})
