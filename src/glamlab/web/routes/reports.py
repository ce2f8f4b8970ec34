# ruff: noqa: B008  (FastAPI declares dependencies as Depends(...) defaults)
"""The overview (each stage, its counts and the next step), the reports page, and the
API documentation rendered from the OpenAPI description."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from ... import review
from ...auth import User
from ...progress import plural
from ...reports.agreement import agreement_section, at_a_glance, web_agreement
from ...reports.overview import evaluation_sections, gather
from ...tasks.kinds import task_kind
from ...workspace.status import (
    SEE_ERRORS,
    no_better_step,
    not_applied_words,
    settled_step,
    stale_predictions_sentence,
    tabular_next_step,
    unpredicted_step,
)
from ..pages import page_user, render
from .stages import stage_names

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


#: a stage's counts in a curator's words, where the stored name is jargon (the rest are
#: shown with their underscores as spaces)
FACT_WORDS = {"champions": "models with a version chosen", "in_use": "model in use"}

STAGE_PAGES = {"need": "/stages/project", "items": "/stages/items", "labels": "/label", "models": "/stages/evaluate", "runs": "/stages/run",
               "actions": "/stages/act", "monitoring": "/stages/monitoring"}


def web_next_step(status: dict[str, Any], queue_open: int) -> tuple[str, str | None, str]:
    """(what to do next, the page that does it, the link's words): the workspace's next
    step as a curator does it in the browser (the CLI's words name commands)."""
    by = {s["stage"]: s for s in status["stages"]}
    if not by["need"]["done"]:
        if not by["items"]["done"]:
            return ("Set up the project: what it is for, and the labels.", "/stages/project",
                    "Set up the project")
        return ("State the need in words: an admin writes it on the Project page, in a "
                "sentence (what the project is for).", "/stages/project#need-form",
                "Write the need")
    if status.get("modality") == "tabular":  # the same steps as glamlab status's
        return _tabular_web_step(status, by, queue_open)
    if not by["items"]["done"]:
        if status.get("kind") == "entities":  # texts: no images to bring in
            return ("Bring your texts in: a spreadsheet with a column of text, or texts "
                    "with their entities marked by people (a HIPE or WebAnno .tsv file).",
                    "/stages/items", "Bring items in")
        return ("Bring your collection in: a spreadsheet, a ZIP of images, a IIIF manifest "
                "or a METS file.", "/stages/items", "Bring items in")
    labels = by["labels"]
    if not labels.get("test") and labels.get("count"):
        # labels brought in without a split (a spreadsheet, the terminal's import), or
        # labelled for training: set some aside rather than label more
        rough = (" With fewer than about 100 labelled items the test figures are rough: "
                 "label more as well." if labels["count"] < 100 else "")
        return (f"{labels['count']:,} {plural(labels['count'], 'item')} labelled, none set "
                "aside as a test set: set some aside (about 30%), so that models are "
                f"measured on items they never learned from.{rough}", "/label#test-set", "Set aside a test set")
    if not labels.get("test"):
        return ("No items labelled yet: label about 100 items for a test set.", "/label",
                "Label items")
    models = by["models"]
    if not models.get("evaluations"):
        return ("Measure the baselines first: the simple rules any model must beat.",
                "/stages/evaluate", "Fit the baselines and evaluate")
    verdict = status.get("baseline_verdict") or {}
    if not models["done"]:
        if not verdict.get("better") and not verdict.get("model_no_better"):
            # only the baselines are measured: a baseline is no model to put to work
            # (the Admin page would offer majority@1 as the model in use); train one,
            # as glamlab status says
            return ("Baselines measured: now train a model, then compare it with them on "
                    "the test set.", "/stages/train", "Train a model")
        return ("Baselines measured: an admin chooses the model in use.", "/admin",
                "Choose the model in use")
    if verdict.get("model_no_better"):
        in_use, better = verdict.get("in_use"), verdict.get("better", [])
        words = no_better_step(verdict["baselines"], queue_open, web=True, in_use=in_use,
                               better=better, chosen=verdict.get("chosen"))
        if in_use and any(spec != in_use for spec in better):  # another model did beat
            return words, "/admin", "Choose the model in use"  # them: make it the one in use
        return words, "/reports", "See the comparison"
    if not by["runs"]["done"] or not by["runs"].get("predictions"):
        if models.get("in_use") and models.get("in_use_measured") is False:
            # the first model trained is put in use at once: measure it before its
            # predictions go over the collection
            return (f"{models['in_use']} is the model in use, but not measured yet: "
                    "compare it with the baselines on the test set before running it over "
                    "the collection.", "/stages/evaluate", "Fit the baselines and evaluate")
        return ("Run the model in use over the collection.", "/stages/run", "Run it")
    stale = status.get("stale_predictions")
    if stale:
        return (f"Run the model in use, {stale['champion']}, over the collection.", "/stages/run",
                "Run it")
    if status.get("unpredicted"):
        return (unpredicted_step(status["unpredicted"], web=True), "/stages/run", "Run it")
    if queue_open:
        return (f"{queue_open:,} predictions wait for a person.", "/queue", "Review them")
    applied = status.get("policy_applied") or {}
    if not by["actions"]["done"] or not applied.get("done", True):
        # never applied, or applied to another model's predictions (an earlier champion):
        # the model in use's suggestions are not in the review queue yet
        return (not_applied_words(applied) + "Apply the policy to the predictions: see "
                "what it would do, then apply it.", "/stages/act", "Apply the policy")
    # the same step as glamlab status's: export first, then monitoring
    monitored = by["monitoring"].get("checks", 0)
    if monitored:
        return settled_step(monitored, web=True), "/stages/monitoring", "Monitoring"
    return settled_step(monitored, web=True), "/stages/export", "Export the decisions"


#: the page (and the link's words) of each stage of :func:`tabular_next_step`
TABULAR_STEP_PAGES = {"items": ("/stages/items", "Bring rows in"),
                      "train": ("/stages/evaluate", "Backtest the baselines"),
                      "run": ("/stages/run", "Run it"), "queue": ("/queue", "Review them"),
                      "act": ("/stages/act", "What the policy would do"),
                      "monitoring": ("/stages/monitoring", "Monitoring")}


def _tabular_web_step(status: dict[str, Any], by: dict[str, Any],
                      queue_open: int) -> tuple[str, str | None, str]:
    """A tabular project's next step: :func:`tabular_next_step`, as ``glamlab status``
    says it, in the web app's words, with the page that does it."""
    labels, runs = by["labels"], by["runs"]
    stage, words = tabular_next_step(
        by["items"].get("count", 0), labels.get("count", 0), labels.get("test", 0),
        by["models"].get("champions", 0), runs.get("predictions", 0),
        stale=status.get("stale_predictions"), unpredicted=status.get("unpredicted"),
        queue_open=queue_open, acted=bool(by["actions"]["done"]), web=True)
    url, link = TABULAR_STEP_PAGES[stage]
    return words, url, link


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, user: User = Depends(page_user)) -> Response:
    ws = request.app.state.ws
    status = ws.status()
    queue = request.app.state.queue_counts.get()
    status["next_step"], next_url, next_words = web_next_step(status, queue["open"])
    # the summary's pointer to the ingest problems names a command: the page that has them
    # (the stage as the navigation names it: "Bring rows in" in a tabular project)
    page_name = stage_names(task_kind(ws.card))["items"]
    status["summary"] = status["summary"].replace(SEE_ERRORS, f"(see the {page_name} page)")
    for s in status["stages"]:
        s["words"] = STAGE_WORDS.get(s["stage"], s["stage"])
        s["page"] = STAGE_PAGES.get(s["stage"])
        s["facts"] = {k: v for k, v in s.items()
                      if k not in ("stage", "done", "words", "detail", "page",
                                   "in_use_measured") and v is not None}
        if s.get("in_use_measured") is False:  # said with the model, not as "False"
            s["facts"]["in_use"] = f"{s['in_use']} (not measured yet)"
    stale = status.get("stale_predictions")
    return render(request, "overview.html", {
        "stale": stale_predictions_sentence(stale, web=True) if stale else None,
        "status": status, "queue": queue, "next_url": next_url, "next_words": next_words,
        "fact_words": FACT_WORDS,
        "labelling": review.labelling_counts(ws), "changed_gold": _changed_gold(ws)})


@router.get("/overview/agreement", response_class=HTMLResponse)
def overview_agreement(request: Request, user: User = Depends(page_user)) -> Response:
    """The overview's "Can the labels be trusted?" (the agreement between labellers, at
    a glance), which the overview loads on its own once shown: its bootstrap over the
    items labelled twice takes seconds on a large collection, worked out in the
    background (:func:`web_agreement`), and the rest of the overview does not wait for
    it. While it is worked out, the section asks again every few seconds."""
    agreed = at_a_glance(web_agreement(request.app.state.ws, request.app.state.refresher))
    return render(request, "overview_agreement.html", {"agreement": agreed})


#: how many texts whose gold no longer fits the overview links to, per split
CHANGED_SHOWN = 10


def _changed_gold(ws: Any) -> list[dict[str, Any]]:
    """Entities: per split, the texts re-ingested with other words after their gold spans
    were made (:func:`glamlab.tasks.spans.complete.changed_gold_texts`, what ``glamlab
    status`` says), the first :data:`CHANGED_SHOWN` of them to link to; none otherwise."""
    if ws.card.kind != "entities":
        return []
    from ...tasks.spans.complete import changed_gold_texts

    out = []
    for split in ("train", "test"):
        ids = changed_gold_texts(ws, split)
        if ids:
            out.append({"split": split, "n": len(ids), "shown": ids[:CHANGED_SHOWN]})
    return out


@router.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request, user: User = Depends(page_user)) -> Response:
    state = request.app.state
    agreed = web_agreement(state.ws, state.refresher)
    return render(request, "reports.html", {
        "reports": gather(state.ws, state.refresher),
        "evaluation": evaluation_sections(state.ws),
        "agreement": agreement_section(state.ws, view=agreed),
        "agreement_refresh": bool(agreed.get("refresh"))})


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
