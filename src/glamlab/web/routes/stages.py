# ruff: noqa: B008  (FastAPI declares dependencies as Depends(...) defaults)
"""A page per stage, so a curator never needs the terminal (the project and bringing
items in are in :mod:`.setup`): train, evaluate (baselines and the
leaderboard), run over the collection (a background job with a progress bar that survives
a reload), what the policy would do (the dry run, with money and review hours), export
(download), monitoring. Long work is a job (:mod:`glamlab.web.jobs`).

A tabular project's evaluate page also backtests month by month (``glamlab backtest``)
and shows its figures with the notes the command line prints after them.

The evaluate page lists the card's external services (``[services.NAME]``) with their
price and spend; each has a page that sends a small sample and shows the labels the
service returns and how they map (``glamlab try-service``), and an admin adds a service
to the comparison."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.background import BackgroundTask
from starlette.datastructures import FormData

from ...auth import User
from ...reports import overview
from .. import jobs
from ..pages import form_of, page_user, render, writer
from ..words import model_notes, web_hint

if TYPE_CHECKING:
    from ...tasks.kinds.base import TaskKind

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
    "trends": "Trends over time",
    "export": "Export",
    "monitoring": "Monitoring",
}


def stage_names(kind: TaskKind) -> dict[str, str]:
    """The stages' names for a project, in its word for its items
    (:attr:`~glamlab.tasks.kinds.base.TaskKind.noun`): a tabular project brings the rows
    of a table in, labels rows and runs its model over them."""
    if kind.noun == "items":
        return STAGES
    return {**STAGES, "items": f"Bring {kind.noun} in", "label": f"Label {kind.noun}",
            "run": f"Run over the {kind.noun}"}


def project_stages(request: Request) -> dict[str, str]:
    """The stages every page of this project lists: :func:`stage_names`, and a tabular
    project's "Retrain from outcomes" (outcomes arrive: retrain on them). A tabular
    project has no trends to show (they count labels of texts and images): its rows over
    time are the backtest's months and monitoring's windows, so Trends is not listed."""
    stages = stage_names(request.app.state.kind)
    if request.app.state.ws.card.modality == "tabular":
        stages = {k: v for k, v in stages.items() if k != "trends"}
        stages = {**stages, "retrain": "Retrain from outcomes"}
    return stages


EXPORT_FORMATS = {"csv": ("text/csv", "a spreadsheet (CSV)"),
                  "jsonl": ("application/x-ndjson", "JSON lines, one item a line"),
                  "parquet": ("application/vnd.apache.parquet", "Parquet, for data tools")}
#: the downloads an entities project adds: its mentions as W3C Web Annotations on the
#: text (what ``glamlab export --format w3c`` writes: a quote and its position, for
#: any text), as IIIF annotations on the page images (one AnnotationPage; mentions it
#: cannot place are counted on the page), and the texts for INCEpTION
ENTITY_EXPORT_FORMATS = {"w3c": ("application/ld+json",
                                 "W3C Web Annotations (JSON-LD): each mention's words and "
                                 "where they are in its text, no page image needed"),
                         "iiif": ("application/ld+json",
                                  "IIIF annotations on the page images (JSON)"),
                         # what ``glamlab export --format inception`` writes, zipped
                         "inception": ("application/zip",
                                       "the texts for INCEpTION (a .zip of WebAnno TSV "
                                       "files, one per text, and index.tsv)")}
#: why an entities project of plain texts has no IIIF annotations download
NO_IIIF = ("No IIIF annotations for this project: they place each mention on its page "
           "image, and its texts have no page images (nor OCR with word positions). The "
           "W3C Web Annotations download gives each mention's words and where they are "
           "in its text.")
#: the download a filter project (one with a ``positive_label``) adds: the send-on list
#: of ``glamlab export --format filter``, one address a line (plain text)
FILTER_EXPORT_FORMATS = {"filter": ("text/plain; charset=utf-8",
                                    "the send-on list (plain text, one address a line)")}


#: the Excel workbook ``glamlab export --format xlsx`` writes (ids and every text cell
#: typed as text, so Excel opens it with 0042 kept as 0042): offered where openpyxl (the
#: spreadsheets extra) is installed on the server
XLSX_EXPORT_FORMAT = {"xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml"
                               ".sheet", "an Excel workbook (.xlsx), ids kept as they are")}


def _export_formats(ws: Any) -> dict[str, tuple[str, str]]:
    """The Export page's downloads for this project: format -> (media type, words)."""
    import importlib.util

    from ...actions.entity_export import exports_spans, iiif_offered

    xlsx = XLSX_EXPORT_FORMAT if importlib.util.find_spec("openpyxl") else {}
    extra = {f: v for f, v in ENTITY_EXPORT_FORMATS.items() if exports_spans(ws, f)}
    if "iiif" in extra and not iiif_offered(ws):  # plain texts: nothing to place on a page
        del extra["iiif"]
    # (entities: refused; a tabular project's rows are bookings, not pages to send to a
    # paid service: the list would name rows whose outcome is known, which its
    # spreadsheet leaves out)
    if ws.card.positive_label and ws.card.kind != "entities" \
            and ws.card.modality != "tabular":
        extra.update(FILTER_EXPORT_FORMATS)
    csv_first = dict(list(EXPORT_FORMATS.items())[:1])
    return {**csv_first, **xlsx, **EXPORT_FORMATS, **extra}


def _form_number(form: FormData, key: str, what: str, low: float, high: float, *,
                 hint: str, closed: bool = True) -> float:
    """A number from a form field, between ``low`` and ``high`` (ends included when
    ``closed``), or one PolicyError naming the field's meaning and an example."""
    from ...errors import PolicyError

    raw = str(form.get(key) or "")
    try:
        value = float(raw)
    except ValueError:
        raise PolicyError(f"{what} must be a number, not {raw!r}", hint=hint) from None
    inside = low <= value <= high if closed else low < value < high
    if not inside:
        raise PolicyError(f"{what} must be between {low:g} and {high:g}, not {value:g}",
                          hint=hint)
    return value


def _job_view(job: dict[str, Any] | None) -> dict[str, Any] | None:
    if job is None:
        return None
    return {**job, "active": job["status"] in jobs.ACTIVE}


def _page(request: Request, stage: str, ctx: dict[str, Any], *,
          template: str = "stage.html", status: int = 200) -> Response:
    refresh = any(isinstance(v, dict) and v.get("active") for v in ctx.values())
    if refresh:
        request.app.state.jobs.start()  # a job left by a stopped server carries on
    return render(request, template, {
        "stage": stage, "stages": project_stages(request),
        "refresh": refresh,
        "project_modality": request.app.state.ws.card.modality, **ctx}, status=status)


def _start(request: Request, kind: str, user: User, stage: str,
           params: dict[str, Any] | None = None) -> Response:
    """Queue a ``kind`` job with ``params``, wake the job thread, and send the person
    to the ``stage`` page, which follows it."""
    jobs.submit(request.app.state.ws, kind, user.username, params)
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
    return _evaluate(request)


def _evaluate(request: Request, *, asked: FormData | None = None,
              problem: dict[str, str] | None = None) -> Response:
    """The evaluate page; after a refused backtest form, with its ``problem`` beside the
    form and the form as it was sent (``asked``), status 400."""
    from ... import review
    from ...evaluation.backtest import NOT_MEASURED, never_yes, not_measured
    from ...predictors.services import describe
    from ...tasks.calendar import last_day
    from ...tasks.splits import ungrouped_split

    ws = request.app.state.ws
    tabular = ws.card.modality == "tabular"
    backtest = _job_view(jobs.latest(ws, "backtest")) if tabular else None
    folds = ((backtest or {}).get("result") or {}).get("folds") or []
    return _page(request, "evaluate", {
        "job": _job_view(jobs.latest(ws, "evaluate")),
        "backtest": backtest,
        # the last month's last day (its stored end is the day after: half-open)
        "backtest_last_day": last_day(folds[-1]["end"]) if folds else None,
        "backtest_form": _backtest_form(ws, asked) if tabular else None,
        "backtest_problem": problem,
        # each backtest measure in words: "F1 for 'is_canceled = 1'" (the F1 of that
        # outcome alone, not the leaderboard's F1 averaged over the outcomes)
        "backtest_words": _backtest_words(ws) if tabular else {},
        # in place of a figure a backtest could not measure (the AUC of months whose rows
        # all have one outcome), stored as null
        "backtest_not_measured": NOT_MEASURED,
        # the F1 of a month in which nobody cancelled: nothing to find, not "none found"
        "backtest_unmeasured": {"f1": not_measured("f1", overview._positive_outcome(ws))}
        if tabular else {},
        # why a baseline's F1 is 0 [0, 0]: it never predicts the outcome on any row
        "backtest_never_yes": never_yes(overview._positive_outcome(ws)) if tabular else "",
        "board": overview._section("Leaderboard", overview.leaderboard, ws),
        "labelling": review.labelling_counts(ws), "services": describe(ws),
        "relabelled": _relabelled(ws),
        "ungrouped": None if tabular or not review.labelling_counts(ws)["splits"].get("test")
        else ungrouped_split(ws),
        "added": request.query_params.get("added")}, status=400 if problem else 200)


def _relabelled(ws: Any) -> list[dict[str, Any]]:
    """The test items given another label since the newest stored evaluation
    (:func:`glamlab.review.labelling.test_relabelled`): its figures are for the labels as
    they were (the stored results are never rewritten); none before any evaluation."""
    import sqlalchemy as sa

    from ...review.labelling import test_relabelled

    t = ws.store.t.evaluations
    with ws.store.read() as conn:
        newest = conn.execute(sa.select(sa.func.max(t.c.created_at))).scalar()
    return test_relabelled(ws, newest) if newest is not None else []


@router.post("/stages/evaluate")
def evaluate_start(request: Request, form: FormData = Depends(form_of),
                   user: User = Depends(writer("admin", "evaluate models"))) -> Response:
    return _start(request, "evaluate", user, "evaluate")


def _backtest_words(ws: Any) -> dict[str, str]:
    """A backtest's measures (f1, auc, brier, mae, rmse) as its table on the evaluate page
    names them, the F1 after the outcome it is measured for."""
    from ...reports.words import MEASURE_WORDS, measure_words

    positive = overview._positive_outcome(ws)
    return {k: measure_words(k, positive) for k in MEASURE_WORDS}


#: the bootstrap resamples of a backtest's 95% intervals: ``glamlab backtest --n-boot``'s
#: default, and the most the page takes (each resample scores every month again)
BACKTEST_RESAMPLES = 200
BACKTEST_RESAMPLES_MAX = 2000


def backtest_models(ws: Any) -> list[tuple[str, str]]:
    """What a tabular project's backtest can try after the baselines, as (the form's
    value, its words): the catalogue's table predictors (the baselines always come
    first, so not offered), then each saved model of the project by its version,
    retrained each month with the parameters it was trained with."""
    from ...predictors.catalogue import for_project, get
    from ...predictors.tabular import TabularPredictor
    from ...registry import list_models

    out = []
    for entry in for_project(ws.card):
        if "baseline" in entry["good_for"]:
            continue
        try:
            tabular = issubclass(get(entry["name"]), TabularPredictor)
        except Exception:  # noqa: BLE001 - a service or a plug-in that does not load
            tabular = False
        if tabular:
            out.append((entry["name"], f"{entry['name']}: {entry['summary']}"))
    for m in list_models(ws):
        aliases = f", the {' and '.join(m.aliases)}" if m.aliases else ""
        out.append((m.spec, f"{m.spec} (saved model: {m.predictor} with its "
                            f"settings{aliases})"))
    return out


def _backtest_form(ws: Any, asked: FormData | None = None) -> dict[str, Any]:
    """The backtest form's choices and values: the command's defaults, or what the
    person sent (``asked``) when the form comes back with a problem, so nothing typed is
    lost."""
    from ...registry.tabular import DEFAULT_MODEL
    from ...tasks.tabular import train_until

    def sent(key: str) -> str:
        return str(asked.get(key) or "").strip()[:80] if asked is not None else ""

    models = backtest_models(ws)
    model = sent("model")
    return {"models": models,
            "default": model if model in {v for v, _w in models} else DEFAULT_MODEL,
            "cutoff": (train_until(ws) or "")[:7], "since": sent("since"),
            "until": sent("until"), "n_boot": sent("n_boot") or BACKTEST_RESAMPLES,
            "n_boot_max": BACKTEST_RESAMPLES_MAX}


def _backtest_params(ws: Any, form: FormData) -> dict[str, Any]:
    """The backtest's choices from the evaluate page's form, as ``glamlab backtest``
    takes them (an empty field: the command's default), or one EvaluationError naming
    the field and what to give."""
    from datetime import date

    from ...errors import EvaluationError
    from ...registry.tabular import DEFAULT_MODEL

    model = str(form.get("model") or "").strip() or DEFAULT_MODEL
    offered = [value for value, _words in backtest_models(ws)]
    if model not in offered:
        raise EvaluationError(f"the model to backtest must be one of the list, not "
                              f"{model[:80]!r}",
                              hint="choose it from the list on the evaluate page: "
                                   + ", ".join(offered))

    def day(key: str, what: str, example: str, empty: str, *, month: bool) -> str | None:
        raw = str(form.get(key) or "").strip()
        if not raw:
            return None
        shape = r"\d{4}-\d{2}(-\d{2})?" if month else r"\d{4}-\d{2}-\d{2}"
        try:
            if not re.fullmatch(shape, raw):
                raise ValueError(raw)
            date.fromisoformat(raw if len(raw) == 10 else raw + "-01")
        except ValueError:
            raise EvaluationError(f"{what} must be a {'month' if month else 'date'}, not "
                                  f"{raw[:80]!r}", hint=f"give it as {example}, or leave it "
                                                        f"empty {empty}") from None
        return raw

    since = day("since", "the first month of the backtest", "year-month, e.g. 2016-01",
                "to start with the month the test rows start in", month=True)
    until = day("until", "the last date of the backtest", "year-month-day, e.g. 2016-12-31",
                "to go on to the last row", month=False)
    if since and until and until < since:
        raise EvaluationError(f"the last date of the backtest ({until}) is before its first "
                              f"month ({since})",
                              hint="choose a last date after the first month, or leave it "
                                   "empty to go on to the last row")
    raw = str(form.get("n_boot") or "").strip()
    n_boot = BACKTEST_RESAMPLES
    if raw:
        if not re.fullmatch(r"\d{1,6}", raw) or not 10 <= int(raw) <= BACKTEST_RESAMPLES_MAX:
            raise EvaluationError(
                f"the resamples for the 95% intervals must be a whole number from 10 to "
                f"{BACKTEST_RESAMPLES_MAX}, not {raw[:80]!r}",
                hint=f"e.g. {BACKTEST_RESAMPLES} (more: steadier intervals, a slower "
                     "backtest), or leave it empty for "
                     f"{BACKTEST_RESAMPLES}")
        n_boot = int(raw)
    return {"model": model, "since": since, "until": until, "n_boot": n_boot}


@router.post("/stages/evaluate/backtest")
def backtest_start(request: Request, form: FormData = Depends(form_of),
                   user: User = Depends(writer("admin", "backtest models"))) -> Response:
    """A tabular project's backtest (``glamlab backtest``), shown with its notes on the
    evaluate page: the model (a table predictor of the catalogue or a saved model), the
    first month and the last date (empty: from the test rows' first month to the last
    row) and the resamples of the intervals, as the command takes them. A bad value
    comes back on the evaluate page, beside the form as it was filled in."""
    from ...errors import EvaluationError

    ws = request.app.state.ws
    if ws.card.modality != "tabular":
        raise HTTPException(404, "the backtest month by month is for tabular projects")
    try:
        params = _backtest_params(ws, form)
    except EvaluationError as exc:  # on the page, beside the form as it was filled in
        page = _evaluate(request, asked=form,
                         problem={"message": exc.message, "hint": web_hint(exc.hint) or ""})
        page.headers["HX-Replace-Url"] = "/stages/evaluate"
        return page
    return _start(request, "backtest", user, "evaluate", params)


@router.get("/stages/run", response_class=HTMLResponse)
def run_page(request: Request, user: User = Depends(page_user)) -> Response:
    from ...errors import GlamlabError
    from ...inference import list_runs
    from ...registry import champion as champion_of
    from ...registry.models import measured
    from ...workspace.status import stale_predictions, stale_predictions_sentence

    ws = request.app.state.ws
    try:  # the version the run uses (crf-ner@1), not the alias's words (crf-ner@champion)
        champion: str | None = champion_of(ws).spec
    except GlamlabError:
        champion = None
    runs = list_runs(ws, limit=5)
    stale = stale_predictions(ws) if champion else None
    return _page(request, "run", {
        # the items the latest run could not predict, each with its reason (the page
        # only counted them: glamlab runs --failures was the one place that named them)
        "failures": _run_failures(ws, runs[0]) if runs else [],
        "stale": stale_predictions_sentence(stale, web=True) if stale else None,
        "job": _job_view(jobs.latest(ws, "run")), "champion": champion, "runs": runs,
        "unmeasured": champion is not None and not measured(ws, champion),
        "items_total": ws.count_items()})


#: the failed items the Run page lists (the rest are counted)
FAILURES_SHOWN = 50


def _run_failures(ws: Any, latest: dict[str, Any]) -> list[dict[str, str]]:
    """The latest run's failed items, each with its reason and what to do in the web
    app's words (the reason's ``(fix: ...)`` passed through :func:`web_hint`)."""
    from ...inference import run_failures

    if not latest.get("failed"):
        return []
    out = []
    for f in run_failures(ws, latest["run_id"], limit=FAILURES_SHOWN):
        reason, _, fix = str(f["reason"]).partition(" (fix: ")
        prefix = f"{f['item_id']}: "
        out.append({"item_id": f["item_id"],
                    "reason": reason[len(prefix):] if reason.startswith(prefix) else reason,
                    "fix": web_hint(fix[:-1] if fix.endswith(")") else fix) or ""})
    return out


@router.post("/stages/run")
def run_start(request: Request, form: FormData = Depends(form_of),
              user: User = Depends(writer("admin", "run models"))) -> Response:
    return _start(request, "run", user, "run")


@router.get("/stages/act", response_class=HTMLResponse)
def act_page(request: Request, user: User = Depends(page_user)) -> Response:
    ws = request.app.state.ws
    if ws.card.modality == "tabular":
        return _capacity_page(request)
    section = overview._section("What the policy would do",
                                lambda w: overview.act_dry_run(w, request.app.state.refresher),
                                ws)
    return _page(request, "act", {"act": section, "policy": ws.card.section("policy"),
                                  "job": _job_view(jobs.latest(ws, "act"))})


@router.post("/stages/act")
def act_start(request: Request, form: FormData = Depends(form_of),
              user: User = Depends(writer("admin", "apply the policy"))) -> Response:
    return _start(request, "act", user, "act")


# -- a tabular project's decision: extra places per slot ---------------------------------
RISKS = (0.01, 0.02, 0.05, 0.1, 0.2)


def _capacity_page(request: Request) -> Response:
    from ...config import SLOT_WORDS
    from ...tasks.tabular import schema_of

    ws = request.app.state.ws
    decision = ws.card.section("decision")
    job = _job_view(jobs.latest(ws, "capacity"))
    result = job["result"] if job and job["status"] == "done" else None
    plan = (result or {}).get("plan") or []
    shown = plan[-60:]
    slot = str(decision.get("slot", "D"))
    try:
        group_by = list(schema_of(ws).group_columns)
    except Exception:  # noqa: BLE001 - no table yet: the page still explains itself
        group_by = []
    risk = float(decision.get("risk", 0.05))
    return _page(request, "act", {
        "job": job, "result": result, "shown": shown,
        "columns": [c for c in (shown[0] if shown else {})],
        "risks": sorted({*RISKS, risk}), "risk": risk,
        "calibrate": bool(decision.get("calibrate", True)),
        "priced": bool(float(decision.get("price", 0) or 0)
                       or float(decision.get("over_cost", 0) or 0)),
        "slot_words": SLOT_WORDS.get(slot, f"{slot} period"), "group_by": group_by},
        template="stage_capacity.html")


@router.post("/stages/act/capacity")
def capacity_start(request: Request, form: FormData = Depends(form_of),
                   user: User = Depends(writer("reviewer", "plan extra places"))) -> Response:
    ws = request.app.state.ws
    if ws.card.modality != "tabular":
        raise HTTPException(404, "extra places per slot are for tabular projects")
    risk = _form_number(form, "risk", "the risk", 0.0, 1.0, closed=False,
                        hint="e.g. 0.05: over capacity on 5 slots in 100")
    return _start(request, "capacity", user, "act",
                  {"risk": risk, "calibrate": form.get("calibrate") == "yes"})


@router.get("/stages/act/capacity.csv")
def capacity_csv(request: Request, user: User = Depends(page_user)) -> Response:
    from ...actions.capacity import plan_csv

    job = jobs.latest(request.app.state.ws, "capacity")
    if not job or job["status"] != "done":
        raise HTTPException(404, "no plan yet: work one out on this page first")
    return Response(plan_csv(job["result"].get("plan") or []),
                    media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="capacity-plan.csv"'})


@router.get("/stages/export", response_class=HTMLResponse)
def export_page(request: Request, user: User = Depends(page_user)) -> Response:
    from urllib.parse import urlencode

    from ...actions.export import (
        WEB_ID_FIX,
        asked_meta,
        chance_column,
        detail_meta,
        export_model_note,
        spreadsheet_id_warning,
        stale_predictions_warning,
        unpredicted_warning,
    )
    from ...trends.aggregate import metadata_fields

    ws = request.app.state.ws
    warning = spreadsheet_id_warning(ws, WEB_ID_FIX)
    stale = stale_predictions_warning(ws)
    # the download's own warnings, from the export itself (worked out in the background):
    # those the page does not say already above
    check = overview._section("The export's own check",
                              lambda w: overview.export_check(w, request.app.state.refresher),
                              ws)
    check["warnings"] = [w for w in check.get("warnings") or [] if w not in (warning, stale)]
    # whose predictions the downloads hold, when not the model in use's (a retrain promoted
    # a model not run yet: the last run's, with the reviewers' decisions), up front
    model_note = export_model_note(ws, web=True)
    check["notes"] = [n for n in check.get("notes") or [] if n != model_note]
    # the item metadata fields the downloads add (--meta on the command line): those
    # ticked on this page, else [export] meta in glamlab.toml
    chosen = _export_meta(request)
    default = chosen is None
    chosen = chosen if chosen is not None else asked_meta(ws)
    fields = [f for f in metadata_fields(ws) if f not in EXPORT_HIDDEN_FIELDS]
    fields += [f for f in chosen if f not in fields]
    query = "" if default else urlencode([("chosen", "1"), *(("meta", f) for f in chosen)])
    # a field named like one of the file's own columns (ignoring case) comes as meta_FIELD
    if ws.card.kind == "entities":
        from ...actions.entity_export import csv_meta_columns

        columns = csv_meta_columns(chosen)
    else:
        columns = detail_meta(ws, chosen)
    renamed = [(f, c) for c, f in columns if c != f]
    from ...actions.entity_export import exports_spans

    # an entities project's span downloads again with every span layer (nested...)
    # (not the INCEpTION files: WebAnno TSV carries the main layer only)
    formats = _export_formats(ws)
    layered = [f for f in formats if exports_spans(ws, f) and f != "inception"]
    return _page(request, "export", {"formats": formats, "id_warning": warning,
                                     "layered_formats": layered,
                                     "positive_label": ws.card.positive_label,
                                     "entity_export": ws.card.kind == "entities",
                                     # what a tabular project's rows always carry (not a
                                     # text project's title and start of the text)
                                     "chance_column": (chance_column(ws) or ("",))[0],
                                     "no_iiif": NO_IIIF if exports_spans(ws, "iiif")
                                     and "iiif" not in formats else "",
                                     "stale_warning": stale, "check": check,
                                     "model_note": model_note,
                                     "unpredicted_warning": unpredicted_warning(ws, web=True),
                                     "meta_fields": fields, "meta_chosen": chosen,
                                     "meta_query": query, "meta_renamed": renamed})


#: item metadata that is not the item's description but ingest's own bookkeeping (ALTO
#: word and region boxes, the XML schema, the image a page names but lacks): left off
#: the Export page's choice
EXPORT_HIDDEN_FIELDS = ("word_boxes", "boxes", "boxes_size", "ocr_schema", "image_missing",
                        "hyphenated_words_joined", "measurement_unit")


def _export_meta(request: Request) -> list[str] | None:
    """The metadata fields ticked on the Export page (``chosen=1&meta=F...``; none ticked:
    none), or None where nothing was chosen there (then ``[export] meta`` in the card)."""
    if not request.query_params.get("chosen"):
        return None
    return [f for f in request.query_params.getlist("meta") if f]


@router.get("/stages/export/download")
def export_download(request: Request, user: User = Depends(page_user)) -> Response:
    """``?format=csv|jsonl|parquet`` (an entities project: also ``w3c``, its mentions as
    W3C Web Annotations on the text, ``iiif``, as IIIF annotations on the page images, and ``inception``, a .zip of the folder of
    WebAnno TSV files ``glamlab export --format inception`` writes; and ``layer=NAME...`` or ``all_layers=1``:
    the span layers of csv, jsonl and iiif, default the main one, as ``glamlab export
    --layer/--all-layers``) (and ``chosen=1&meta=FIELD...``: the item metadata
    fields ticked on the page) (read from the query string: a parameter called
    ``format`` made FastAPI give pydantic an alias it warns about, now and then, when the
    API description is built). A file on the server is named by its path to an admin
    only, as in the API's items: anyone else's download has no local ``uri`` and a
    metadata field naming a file has its name (``server_paths``)."""
    from ...actions.export import export

    format = request.query_params.get("format", "csv")
    ws = request.app.state.ws
    formats = _export_formats(ws)
    from ...actions.entity_export import export_entities, exports_spans

    if format == "iiif" and exports_spans(ws, format) and format not in formats:
        raise HTTPException(404, NO_IIIF)
    if format not in formats:
        raise HTTPException(404, f"no export format {format!r}")
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", ws.card.name or "glamlab").strip("-.") or "glamlab"
    meta = _export_meta(request)  # None: [export] meta in the card
    # the span layers (an entities project): layer=NAME..., or all_layers=1; else the main
    layers = [x for x in request.query_params.getlist("layer") if x] or None
    all_layers = bool(request.query_params.get("all_layers"))
    # a local file's path on the server goes to an admin only, as in the API's items
    paths = user.can("admin")
    folder: Path | None = None
    try:
        folder = Path(tempfile.mkdtemp(prefix="glamlab-export-"))
        path = folder / {"iiif": f"{stem}-export.iiif.json",
                         "w3c": f"{stem}-export.jsonld",
                         "filter": f"{stem}-send-on.txt",
                         "inception": f"{stem}-inception.zip"}.get(format,
                                                                   f"{stem}-export.{format}")
        if format == "filter":  # one address a line: no item details (refused with it)
            res = export(ws, format, path, web=True, server_paths=paths)
            if res.get("refused") and request.query_params.get("left_out") != "ok":
                # an item the list cannot hold is never left out silently: named, with
                # the fix, before the rest of the list is downloaded
                from ...actions.export import left_out_words

                _remove(folder)
                return render(request, "export_left_out.html", {
                    "refused": res["refused"][:100], "written": res["uris"],
                    "summary": left_out_words(res["refused"])})
        elif format == "inception":  # the command's folder of WebAnno TSV files, zipped
            _zip_folder(folder / f"{stem}-inception", path, lambda out: export_entities(
                ws, format, out, web=True, meta=meta, layers=layers, all_layers=all_layers,
                server_paths=paths))
        elif exports_spans(ws, format):  # an entities project: a row per span, with its link
            res = export_entities(ws, format, path, web=True, meta=meta, layers=layers,
                                  all_layers=all_layers, server_paths=paths)
            if res.get("empty"):  # IIIF annotations that place no mention: why, not a file
                from ...actions.entity_export import iiif_nothing_placed

                _remove(folder)
                said = iiif_nothing_placed(res, web=True) or ""
                why, _, fix = said.partition(". To place them, ")
                return render(request, "error.html", {
                    "error": f"{why[:1].upper()}{why[1:]}. Nothing was downloaded.",
                    "hint": fix.rstrip(".") or None}, status=409)
        else:
            export(ws, format, path, web=True, meta=meta, server_paths=paths)
    except OSError as exc:  # the server's temporary folder: full, missing, not writable
        if folder is not None:
            _remove(folder)
        return render(request, "error.html", {
            "error": f"The export, {formats[format][1]}, could not be written on the server "
                     f"({exc.strerror or exc}), so nothing was downloaded.",
            "hint": "ask the person who runs glamlab to free space in (or fix) the "
                    "server's temporary folder, then download again"}, status=500)
    except BaseException:  # a refused export (its error page says why): nothing left behind
        if folder is not None:
            _remove(folder)
        raise
    # the file goes once it is sent
    return FileResponse(path, media_type=formats[format][0], filename=path.name,
                        background=BackgroundTask(_remove, folder))


def _zip_folder(folder: Path, path: Path, write: Any) -> None:
    """``write(folder)`` fills ``folder``; its files go into the .zip ``path``, under
    the folder's name (one folder when unzipped, as ``glamlab export --out`` writes it)."""
    import zipfile

    write(folder)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                zf.write(f, f"{folder.name}/{f.relative_to(folder).as_posix()}")


def _remove(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


#: the windows of a tabular project's monitoring, in words
WINDOW_WORDS = {"auto": "weeks, or months when weeks hold too few rows",
                "week": "weeks (Monday to Sunday)", "month": "months"}
#: the same, as the Monitoring page's sentence says how the rows are compared
WINDOW_SENTENCES = {"auto": "week by week, or month by month where a week holds too few "
                            "rows to judge",
                    "week": "week by week (Monday to Sunday)", "month": "month by month"}


def _monitoring_choice(ws: Any) -> dict[str, Any] | None:
    """A tabular project's monitoring choices: the window the card chooses and the date
    column the rows are cut by."""
    if ws.card.modality != "tabular":
        return None
    from ...tasks.tabular import schema_of

    section = ws.card.section("monitor")
    try:
        date_column = schema_of(ws).time_column
    except Exception:  # noqa: BLE001 - no rows yet: no column to name
        date_column = None
    return {"window": str(section.get("window") or "auto"), "words": WINDOW_WORDS,
            "sentences": WINDOW_SENTENCES,
            "date_column": date_column}


@router.get("/stages/monitoring", response_class=HTMLResponse)
def monitoring_page(request: Request, user: User = Depends(page_user)) -> Response:
    ws = request.app.state.ws
    section = overview._section("Monitoring",
                                lambda w: overview.monitoring(w, request.app.state.refresher), ws)
    return _page(request, "monitoring", {"monitoring": section,
                                         "choice": _monitoring_choice(ws),
                                         "job": _job_view(jobs.latest(ws, "monitor"))})


@router.post("/stages/monitoring")
def monitoring_start(request: Request, form: FormData = Depends(form_of),
                     user: User = Depends(writer("reviewer", "check monitoring"))) -> Response:
    """Check now; in a tabular project an admin may choose the window first (weeks,
    months or auto), kept as ``[monitor] window`` in glamlab.toml, which the command
    line's ``glamlab monitor`` reads too."""
    from ...errors import PolicyError

    ws = request.app.state.ws
    choice = _monitoring_choice(ws)
    asked = str(form.get("window") or "").strip()
    if choice is not None and asked and asked != choice["window"]:
        if asked not in WINDOW_WORDS:
            raise PolicyError(f"the window must be one of the list, not {asked[:80]!r}",
                              hint="choose weeks, months or automatic on the Monitoring page")
        user.require("admin", "change how monitoring cuts the rows into windows")
        ws.update_card({"monitor": {**ws.card.section("monitor"), "window": asked}})
    return _start(request, "monitor", user, "monitoring")


# -- external services ------------------------------------------------------------------
def _service_or_404(request: Request, name: str) -> dict[str, Any]:
    from ...predictors.services import describe

    for entry in describe(request.app.state.ws):
        if entry["service"] == name:
            return entry
    raise HTTPException(404, f"no [services.{name}] in glamlab.toml")


@router.get("/stages/services/{name}", response_class=HTMLResponse)
def service_page(request: Request, name: str, user: User = Depends(page_user)) -> Response:
    from ...predictors.services import FREE_SAMPLE

    return _page(request, "service", {"service": _service_or_404(request, name),
                                      "title": f"Try the service {name}",
                                      "free_sample": FREE_SAMPLE, "tried": None})


@router.post("/stages/services/{name}", response_class=HTMLResponse)
def service_try(request: Request, name: str, form: FormData = Depends(form_of),
                user: User = Depends(writer("admin", "send items to a paid service"))
                ) -> Response:
    """Send a sample (at most 50 items); more than the free sample of a priced service
    is confirmed first, with what it may cost."""
    from ...predictors.services import FREE_SAMPLE, estimate, try_service

    entry = _service_or_404(request, name)
    ws = request.app.state.ws
    try:
        n = max(1, min(50, int(str(form.get("sample") or FREE_SAMPLE))))
    except ValueError:
        n = FREE_SAMPLE
    cost = estimate(ws, name, n)
    if n > FREE_SAMPLE and cost["max_cost"] > 0 and form.get("confirmed") != "yes":
        return render(request, "confirm.html", {
            "action": f"/stages/services/{name}",
            "question": f"Send {n} items to {name}?",
            "consequence": f"It may cost up to {cost['max_cost']:g} {cost['currency']} "
                           f"({cost['price_per_call']:g} per call; answers already cached "
                           "are free).",
            "yes": f"Yes, send {n} items", "fields": {"sample": str(n)}})
    tried = try_service(ws, name, sample=n)
    del entry
    return _page(request, "service", {"service": _service_or_404(request, name),
                                      "title": f"Try the service {name}",
                                      "free_sample": FREE_SAMPLE, "tried": tried.to_dict()})


@router.post("/stages/services/{name}/add")
def service_add(request: Request, name: str, form: FormData = Depends(form_of),
                user: User = Depends(writer("admin", "evaluate models"))) -> Response:
    """Save the service as a model, so that the next evaluation compares it (nothing is
    sent to it before that)."""
    from ...evaluation.evaluate import service_model

    _service_or_404(request, name)
    spec = service_model(request.app.state.ws, name)
    return RedirectResponse(f"/stages/evaluate?added={spec}", 303)


# -- train --------------------------------------------------------------------------
@router.get("/stages/train", response_class=HTMLResponse)
def train_page(request: Request, user: User = Depends(page_user)) -> Response:
    from ... import review
    from ...predictors.catalogue import for_project, task_family
    from ...registry import list_models

    ws = request.app.state.ws
    entities = ws.card.kind == "entities"
    # baselines are fitted by evaluate; entity recognisers only for an entities project
    from ..words import needs_words

    rows = [{**r, "needs": needs_words(str(r["needs"]))} for r in for_project(ws.card)
            if "baseline" not in r["good_for"] and ("entities" in r["good_for"]) == entities]
    # the approaches made for this project's kind of task (or for any item of its kind)
    # first; those made for another task (a blank-page finder in an illustrations
    # project) under "other", never ticked
    family = task_family(ws.card)
    general = {"image", "text", "tabular"}
    serving = [r for r in rows if r["recommended"] or family in r["good_for"]
               or family in general or general & set(r["good_for"])]
    tasks = {"blank": "finding blank pages", "illustration": "finding pictures",
             "language": "telling languages apart", "subjects": "subjects of texts",
             "image": "any image labels", "text": "any text labels"}
    others = [{**r, "made_for": ", ".join(tasks.get(str(g), str(g)) for g in r["good_for"])}
              for r in rows if r not in serving]
    models = list_models(ws)
    return _page(request, "train", {
        "job": _job_view(jobs.latest(ws, "train")), "predictors": serving,
        "other_predictors": others,
        "models": models, "model_notes": model_notes(models),
        "labelling": review.labelling_counts(ws)},
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
    return _start(request, "train", user, "train", {"predictors": names})


# -- the policy ---------------------------------------------------------------------
TARGETS = (0.9, 0.95, 0.98, 0.99)


@router.get("/stages/policy", response_class=HTMLResponse)
def policy_page(request: Request, user: User = Depends(page_user)) -> Response:
    from ...actions.act import ACTOR, default_review_threshold
    from ...actions.optimise import review_sentence
    from ...actions.policy import load_policy
    from ...inference import list_runs
    from ...tasks.kinds import task_kind

    ws = request.app.state.ws
    job = _job_view(jobs.latest(ws, "optimise"))
    policy = load_policy(ws.card, web=True)
    result = job["result"] if job and job["status"] == "done" else None
    # what "Work out the thresholds" sends to a person from, unless the admin chooses
    saved_review = sorted({lp.review for lp in policy.labels.values() if lp.review is not None}
                          ) if policy.extra.get("proposed_by") != ACTOR else []
    return _page(request, "policy", {
        "has_run": bool(list_runs(ws, limit=1)),
        "job": job, "result": result, "policy": policy, "targets": TARGETS,
        "review_words": review_sentence(result, web=True) if result else None,
        # saving would reject predictions that now reach a person
        "review_drops": bool(result and not result.get("written") and any(
            n for k, n in (result["collection"].get("changes") or {}).items()
            if k.endswith("->reject"))),
        "review_default": default_review_threshold(task_kind(ws.card)),
        "review_saved": saved_review,
        "saved": request.query_params.get("saved")}, template="stage_policy.html")


@router.post("/stages/policy")
def policy_start(request: Request, form: FormData = Depends(form_of),
                 user: User = Depends(writer("admin", "choose the policy"))) -> Response:
    target = _form_number(form, "target_precision", "the precision target", 0.5, 1.0,
                          hint="e.g. 0.95: 95 of 100 accepted items right")
    params: dict[str, Any] = {"target_precision": target}
    if str(form.get("review_percent") or "").strip():  # empty: the project's own
        params["review_threshold"] = _form_number(
            form, "review_percent", "the score from which predictions go to a person", 0.0,
            100.0, hint="a percentage, e.g. 30: predictions the model is less than 30% sure "
                        "of are rejected without review; leave it empty for the policy's "
                        "own") / 100
    return _start(request, "optimise", user, "policy", params)


@router.post("/stages/policy/save")
def policy_save(request: Request, form: FormData = Depends(form_of),
                user: User = Depends(writer("admin", "choose the policy"))) -> Response:
    try:
        job_id = int(str(form.get("job") or ""))
    except ValueError:
        raise HTTPException(404, "no such job") from None
    jobs.save_policy(request.app.state.ws, job_id, user.username)
    return RedirectResponse("/stages/policy?saved=1", 303)


# -- retraining from outcomes (tabular) ------------------------------------------------
#: the recent period's length a retrain offers by default (``glamlab retrain``'s)
RECENT_DAYS = 90


def _tabular_or_404(request: Request) -> Any:
    ws = request.app.state.ws
    if ws.card.modality != "tabular":
        raise HTTPException(404, "retraining from outcomes on this page is for tabular "
                                 "projects")
    return ws


def _retrain_view(ws: Any, job: dict[str, Any] | None) -> dict[str, Any] | None:
    """A finished retrain job's result as the page shows it: each model's score and 95%
    interval on the same held-out rows, in words."""
    from ...retraining.gate import measure_words
    from ...retraining.tabular import TRAINED_ON, last_day, left_out_of_window

    if not job or job["status"] != "done" or not job.get("result"):
        return None
    res = job["result"]
    iv = res.get("intervals") or {}
    lower = res["metric"] in ("mae", "rmse")
    rows = [{"who": f"Current model ({res['champion']})", "trained_on": "as it was trained",
             "rows": None, "score": res["scores"]["champion"], "interval": iv.get("champion"),
             "key": "champion"}]
    spec = jobs.retrained_spec(ws, res)
    for key in ("recent", "all"):
        rows.append({"who": "New version" + (f" ({spec})" if key == res["chosen"]
                                             and spec else ""),
                     "trained_on": TRAINED_ON[key], "rows": res["train_rows"][key],
                     "score": res["scores"][key], "interval": iv.get(key), "key": key,
                     "chosen": key == res["chosen"]})
    return {**res, "rows": rows, "measure": measure_words(res["metric"]), "lower": lower,
            # None where a score could not be had (an AUC on a window of one outcome);
            # a gain, as its interval is (a count's error: the current model's minus the
            # new version's), so the figure lies in its own range
            "difference": (None if None in (res["scores"][res["chosen"]],
                                            res["scores"]["champion"])
                           else (-1 if lower else 1) * (res["scores"][res["chosen"]]
                                                        - res["scores"]["champion"])),
            "difference_interval": iv.get("difference"),
            "left_out": left_out_of_window(int(res.get("window_learned") or 0)),
            # the window as a person reads it: its last day (stored: the day after)
            "last_day": res.get("window_last_day") or last_day(res["window"][1]),
            "spec": spec, "kept": bool(res.get("kept")),
            "too_few": res.get("too_few_to_tell"), "job_id": job["id"]}


def _retrain_page(request: Request, *, asked: FormData | None = None,
                  problem: dict[str, str] | None = None) -> Response:
    from ...registry.tabular import champion_predictor

    ws = _tabular_or_404(request)
    job = _job_view(jobs.latest(ws, "retrain"))
    try:
        current = champion_predictor(ws, None)[0].spec
    except Exception:  # noqa: BLE001 - no model yet: the page says so
        current = None

    def sent(key: str, default: str = "") -> str:
        return str(asked.get(key) or "").strip()[:80] if asked is not None else default

    return _page(request, "retrain", {
        "job": job, "result": _retrain_view(ws, job), "current": current,
        "form": {"window_start": sent("window_start"),
                 "recent_days": sent("recent_days") or str(RECENT_DAYS)},
        "problem": problem, "switched": request.query_params.get("switched")},
        template="stage_retrain.html", status=400 if problem else 200)


@router.get("/stages/retrain", response_class=HTMLResponse)
def retrain_page(request: Request, user: User = Depends(page_user)) -> Response:
    return _retrain_page(request)


def _retrain_params(form: FormData) -> dict[str, Any]:
    """The retrain's choices from its form (empty: ``glamlab retrain``'s defaults), or one
    EvaluationError naming the field and what to give."""
    from datetime import date

    from ...errors import EvaluationError

    start = str(form.get("window_start") or "").strip()
    if start:
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", start):
                raise ValueError(start)
            date.fromisoformat(start)
        except ValueError:
            raise EvaluationError(
                f"the first day of the window to compare on must be a date, not "
                f"{start[:80]!r}",
                hint="give it as year-month-day, e.g. 2017-08-01, or leave it empty to "
                     "compare on the last 4 weeks that have outcomes") from None
    raw = str(form.get("recent_days") or "").strip()
    days = RECENT_DAYS
    if raw:
        if not re.fullmatch(r"\d{1,5}", raw) or not 7 <= int(raw) <= 3650:
            raise EvaluationError(
                f"the recent period must be a whole number of days from 7 to 3650, not "
                f"{raw[:80]!r}",
                hint=f"e.g. {RECENT_DAYS} (the last three months before the window), or "
                     f"leave it empty for {RECENT_DAYS}")
        days = int(raw)
    return {"window_start": start or None, "recent_days": days}


@router.post("/stages/retrain")
def retrain_start(request: Request, form: FormData = Depends(form_of),
                  user: User = Depends(writer("admin", "retrain models"))) -> Response:
    """Retrain on the outcomes people brought in or corrected (``glamlab retrain``), as a
    job: nothing changes for the model in use until a person switches. A bad value comes
    back beside the form as it was filled in."""
    from ...errors import EvaluationError

    _tabular_or_404(request)  # a tabular project, else 404
    try:
        params = _retrain_params(form)
    except EvaluationError as exc:
        page = _retrain_page(request, asked=form, problem={
            "message": exc.message, "hint": web_hint(exc.hint) or ""})
        page.headers["HX-Replace-Url"] = "/stages/retrain"
        return page
    return _start(request, "retrain", user, "retrain", params)


@router.post("/stages/retrain/switch")
def retrain_switch(request: Request, form: FormData = Depends(form_of),
                   user: User = Depends(writer("admin", "change the model in use"))
                   ) -> Response:
    """Switch to the new version a finished retrain saved, after a confirmation that
    says what the comparison advised."""
    from ...errors import GlamlabError

    ws = _tabular_or_404(request)
    try:
        job_id = int(str(form.get("job") or ""))
    except ValueError:
        raise GlamlabError("there is no retrained version to switch to",
                           hint="retrain first (Retrain from outcomes), then switch") from None
    job = jobs.get(ws, job_id)
    result = (job or {}).get("result") or {}
    if job is not None and job["kind"] == "retrain":
        jobs.refuse_removed(result)  # a newer retrain superseded it, say
    spec = jobs.retrained_spec(ws, result) if job is not None else None
    if job is None or job["kind"] != "retrain" or not spec:
        raise GlamlabError("there is no retrained version to switch to",
                           hint="retrain first (Retrain from outcomes), then switch")
    if form.get("confirmed") != "yes":
        jobs.compared_with_model_in_use(ws, result)  # the question names the model replaced
        advice = ("The comparison advised switching" if result.get("promoted") else
                  "The comparison advised keeping the current model")
        reasons = "; ".join((result.get("gate") or {}).get("reasons") or [])
        advice = f"{advice}: {reasons.rstrip('.')}." if reasons else f"{advice}."
        unsure = result.get("too_few_to_tell")
        return render(request, "confirm.html", {
            "action": "/stages/retrain/switch", "back": "/stages/retrain",
            "question": f"Switch to the new version {spec}?",
            "consequence": f"Predictions, capacity planning and monitoring will use {spec} "
                           f"from now on instead of {result['champion']}, which is kept (an "
                           "admin can switch back on the Admin page). " + advice
                           + (f" {unsure}" if unsure else ""),
            "yes": f"Yes, use {spec} from now on", "fields": {"job": str(job_id)}})
    jobs.switch_to_retrained(ws, job_id, user.username)
    request.app.state.models.clear()
    return RedirectResponse("/stages/retrain?switched=1", 303)
