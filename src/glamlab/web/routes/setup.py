# ruff: noqa: B008  (FastAPI declares dependencies as Depends(...) defaults)
"""The first two stages in the browser: the project (what is predicted, its labels; what
``glamlab init`` writes) and bringing items in (a spreadsheet with a column-mapping step,
a ZIP of images, a IIIF manifest or a METS file: what ``glamlab ingest`` reads; in a
tabular project, a table of rows with ``glamlab ingest``'s schema, outcome and leakage
checks)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from ...auth import User
from ...config import check_label_names, measure_of, parse_label_list
from ...errors import GlamlabError
from ...progress import label_list
from ...said import said_on_the_web
from ..pages import form_of, page_user, render, writer
from ..words import for_the_web
from .stages import project_stages

router = APIRouter(include_in_schema=False)

MODALITIES = {"text": "texts (OCR, descriptions, transcriptions)",
              "image": "images (page scans, photographs)",
              "tabular": "rows of a table over time (bookings, visits, loans), each with a "
                         "yes/no outcome"}
KINDS = {"single-label": "one label per item",
         "multi-label": "any number of labels per item",
         "entities": "names in the text (people, places, organisations)"}


def hipe_types() -> list[str]:
    """The entity types HIPE files mark (PER, LOC, ORG, PROD, TIME), the usual labels of
    an entities project whose gold comes from such files: the project page says so."""
    from ...tasks.spans.hipe import HIPE_TYPES

    return list(dict.fromkeys(t for t in HIPE_TYPES.values() if t))


#: how models are compared, in words (the task kind's default when none is chosen)
METRIC_WORDS = {
    "f1_macro": "F1 averaged over labels (rare labels count as much as common ones)",
    "accuracy": "accuracy (share of items right; common labels dominate)",
    "f1_micro": "F1 over all decisions (common labels dominate)",
    "f1_weighted": "F1 averaged over labels, weighted by how common each is",
    "f1_samples": "F1 per item, averaged (several labels per item)",
    "precision_at_k": "precision of the top suggestions (several labels per item)",
    "recall_at_k": "recall of the top suggestions (several labels per item)",
    "ndcg_at_k": "ranking quality of the suggestions (several labels per item)",
    "strict_micro_f1": "entities: F1 with exact boundaries and type (HIPE strict)",
    "fuzzy_micro_f1": "entities: F1 with the type right and the words overlapping (HIPE fuzzy)",
    "strict_micro_precision": "entities: share of the names found that are right, exact "
                              "boundaries and type (HIPE strict precision)",
    "strict_micro_recall": "entities: share of the names there that are found, exact "
                           "boundaries and type (HIPE strict recall)",
    "fuzzy_micro_precision": "entities: share of the names found that are right, the words "
                             "overlapping (HIPE fuzzy precision)",
    "fuzzy_micro_recall": "entities: share of the names there that are found, the words "
                          "overlapping (HIPE fuzzy recall)",
    "mae": "how far the predicted number per slot is from the real one, on average (mean "
           "absolute error; lower is better)",
    "rmse": "how far the predicted number per slot is from the real one, large misses "
            "counting more (root mean squared error; lower is better)",
}

#: a measure offered for several kinds, in the words of the kind it is listed under (each
#: choice of the list reads differently)
KIND_METRIC_WORDS = {
    ("multi-label", "f1_micro"): "F1 over every label given to every item (common labels "
                                 "dominate; several labels per item)",
    ("multi-label", "f1_macro"): "F1 of each label, averaged (rare labels count as much as "
                                 "common ones; several labels per item)",
}


def metric_words(metric: str | None, kind: str | None = None) -> str:
    """How models are compared, in words (the stored name of the measure otherwise)."""
    if not metric:
        return "the usual measure for what is predicted"
    return KIND_METRIC_WORDS.get((kind or "", metric)) or METRIC_WORDS.get(
        metric, metric.replace("_", " "))


def _stage(request: Request, template: str, stage: str, ctx: dict[str, Any],
           status: int = 200) -> Response:
    if ctx.get("refresh"):
        request.app.state.jobs.start()  # a job left by a stopped server carries on
    return render(request, template, {"stage": stage,
                                      "stages": project_stages(request),
                                      **ctx}, status=status)


# -- the project ------------------------------------------------------------------------
@router.get("/stages/project", response_class=HTMLResponse)
def project_page(request: Request, user: User = Depends(page_user)) -> Response:
    ws = request.app.state.ws
    return _stage(request, "stage_project.html", "project", {
        "holds": ws.holdings(), "modalities": MODALITIES, "kinds": KINDS,
        "metric_words": metric_words(measure_of(ws.card), ws.card.kind),
        "metrics": _metrics(), "form": _card_form(ws.card), "error": None,
        "entity_types": hipe_types(), "saved": request.query_params.get("saved")})


def _card_form(card: Any) -> dict[str, str]:
    """The form filled in with the card as it is (one made by ``glamlab init``: its name,
    kind of items and labels), so that stating the need does not mean typing them again,
    nor turning an image project into a text one by leaving the first choice."""
    if not card.labels:
        return {}
    price = card.price_per_item
    return {"name": card.name, "need": card.need, "modality": card.modality,
            "kind": card.kind, "labels": _labels_text(card.labels),
            "metric": card.metric or "",
            "price_per_item": f"{price:g}" if price else "0"}


def _labels_text(labels: list[str]) -> str:
    """The labels as the form shows them, one a line, read back as they are
    (:func:`glamlab.config.parse_label_list`): a single label that holds a comma, on a line
    of its own with no other, would be read as a list separated by commas, so it is given
    in double quotes."""
    if len(labels) == 1 and "," in labels[0] and '"' not in labels[0]:
        return f'"{labels[0]}"'
    return "\n".join(labels)


def _metrics() -> dict[str, list[tuple[str, str]]]:
    """The metrics each kind offers, default first, with their words."""
    from ...tasks.kinds import get

    out = {}
    for k in KINDS:
        kind = get(k)
        names = [kind.default_metric, *(m for m in kind.metrics if m != kind.default_metric)]
        out[k] = [(m, metric_words(m, k)) for m in dict.fromkeys(names)]
    return out


@router.post("/stages/project")
def project_save(request: Request, form: FormData = Depends(form_of),
                 user: User = Depends(writer("admin", "set up the project"))) -> Response:
    from ...tasks.kinds import prepare_card, task_kind

    ws = request.app.state.ws
    values = {k: str(form.get(k) or "").strip() for k in (
        "name", "task", "need", "modality", "kind", "labels", "price_per_item", "metric")}
    try:
        # one a line, as the form asks; a single line as glamlab init --labels reads it
        labels = parse_label_list(values["labels"], hint="write the labels one a line; a "
                              "label may then hold commas and needs no quotes")
        # the fix in the form's words (not glamlab.toml's, not a command's)
        check_label_names(labels, rename="write that label without '|' in the labels, "
                          "one a line (for example 'a / b' instead of 'a|b')",
                          unique="write each label once in the labels")
        if values["kind"] == "single-label" and len(labels) < 2 and \
                values["modality"] != "tabular":
            # said in the form's words (the card's own check names glamlab init's --labels)
            raise GlamlabError("one label per item needs at least two labels, not "
                               f"{len(labels)}" + (f" ({label_list(labels)})" if labels else ""),
                               hint="write each label on its own line in the labels")
        if values["modality"] not in MODALITIES:
            raise GlamlabError("choose what the items are: texts, images or rows of a table")
        if values["kind"] not in KINDS:
            raise GlamlabError("choose what is predicted for each item")
        if values["modality"] == "tabular":
            # as glamlab init --modality tabular: one outcome per row, yes or no
            if values["kind"] != "single-label":
                raise GlamlabError("each row of a table gets one outcome, yes or no",
                                   hint="choose 'one label per item'")
            if labels != ["0", "1"]:
                raise GlamlabError("rows of a table take the labels 0 and 1 (no and yes of "
                                   f"their outcome), not {', '.join(labels) or 'none'}",
                                   hint="write 0 and 1, one a line; an outcome column that "
                                        "says yes/no is read when the table comes in")
        try:
            price = float(values["price_per_item"] or 0)
        except ValueError:
            raise GlamlabError(f"the cost per item must be a number, not "
                               f"{values['price_per_item']!r}", hint="e.g. 0.02") from None
        name = values["name"]
        task = values["task"] or "-".join(name.lower().split()) or ""
        if not task:
            raise GlamlabError("give the project a name", hint="e.g. Language of each text")
        metric = values["metric"] or None
        if metric is not None and metric not in dict(_metrics()[values["kind"]]):
            raise GlamlabError(f"{metric!r} does not measure a {KINDS[values['kind']]} "
                               "project", hint="choose one of the measures listed for it")
        with said_on_the_web():  # a card refused after all: the fix in the form's words
            ws.define(task=task, name=name or task, modality=values["modality"],
                      labels=labels, kind=values["kind"],
                      multi_label=values["kind"] == "multi-label", metric=metric,
                      need=values["need"], price_per_item=price, prepare=prepare_card,
                      positive_label=labels[1] if values["modality"] == "tabular" else None,
                      actor=user.username)
    except GlamlabError as exc:
        return _stage(request, "stage_project.html", "project", {
            "holds": ws.holdings(), "modalities": MODALITIES, "kinds": KINDS,
            "metric_words": metric_words(measure_of(ws.card), ws.card.kind),
            "metrics": _metrics(), "form": values, "error": exc, "saved": None,
            "entity_types": hipe_types()}, status=422)
    request.app.state.kind = task_kind(ws.card)  # its widgets draw the labelling controls
    request.app.state.models.clear()
    return RedirectResponse("/stages/items?" + urlencode({"created": "1"}), 303)


@router.post("/stages/project/need")
def need_save(request: Request, form: FormData = Depends(form_of),
              user: User = Depends(writer("admin", "write the project's need"))) -> Response:
    """The need alone, in a sentence: an admin writes or changes it at any time (the
    rest of the project is fixed once it holds items). Kept as ``[project] need`` in
    glamlab.toml."""
    ws = request.app.state.ws
    need = " ".join(str(form.get("need") or "").split())[:500]
    if not need:
        raise GlamlabError("the need is empty",
                           hint="write in a sentence what the project is for")
    before = ws.card.need
    ws.card.need = need
    ws.save_card()
    with ws.store.write() as conn:  # who wrote it, and what it said before
        ws.store.audit(conn, user.username, "project.need", None, need=need, before=before)
    return RedirectResponse("/stages/project?" + urlencode({"saved": "need"}), 303)


# -- bringing items in ----------------------------------------------------------------
def _items_ctx(request: Request, **extra: Any) -> dict[str, Any]:
    from ...tasks import uploads

    ws = request.app.state.ws
    from .. import jobs

    job = jobs.latest(ws, "ingest")
    view = {**job, "active": job["status"] in jobs.ACTIVE} if job else None
    report = job["result"] if job and job["status"] == "done" else None
    after = _after_ingest(request) if report and ws.card.modality != "tabular" else None
    from ...workspace.status import ingest_problem_counts

    with ws.store.read() as conn:  # problems apart from warnings, as glamlab status counts
        errors_total, warnings_total = ingest_problem_counts(ws, conn)
    return {"after": after, "items_total": ws.count_items(), "errors_total": errors_total,
            "warnings_total": warnings_total,
            "job": view, "refresh": bool(view and view["active"]), "report": report,
            "limits": {k: v // 1_000_000 for k, v in uploads.MAX_BYTES.items()},
            "mapping": None, "rows_mapping": None,
            "tabular": ws.card.modality == "tabular",
            "created": request.query_params.get("created"), **extra,
            "error": for_the_web(extra["error"]) if extra.get("error") else None}


def _after_ingest(request: Request) -> dict[str, Any] | None:
    """What to do next once items came in: the overview's next step for the project as
    it stands now (an entities project whose texts came with their entities, a model
    trained already: run it, not "label items"), with the page that does it."""
    from .reports import web_next_step

    try:
        words, url, link = web_next_step(request.app.state.ws.status(),
                                         request.app.state.queue_counts.get()["open"])
    except GlamlabError:
        return None
    return {"words": words, "url": url, "link": link}


@router.get("/stages/items", response_class=HTMLResponse)
def items_page(request: Request, user: User = Depends(page_user)) -> Response:
    from ...tasks import uploads

    ws = request.app.state.ws
    q = request.query_params
    ctx = _items_ctx(request)
    folder, name = q.get("upload", ""), q.get("file", "")
    if folder and name and user.can("admin"):
        try:
            path = uploads.find(ws, folder, name)
            if ws.card.modality == "tabular":  # rows over time: glamlab ingest's checks
                ctx["rows_mapping"] = {**uploads.preview_rows(ws, path), "upload": folder,
                                       "form": {}}
            else:
                ctx["mapping"] = {**uploads.preview_table(ws, path), "upload": folder}
        except GlamlabError as exc:
            ctx["error"] = for_the_web(exc)
    return _stage(request, "stage_items.html", "items", ctx)


def admin_first(request: Request) -> User:
    """Signed in as an admin before an upload's body is read (a stranger's upload is
    refused before it reaches the disk)."""
    user = page_user(request)
    user.require("admin", "bring items in")
    return user


@router.post("/stages/items")
def items_upload(request: Request, _admin: User = Depends(admin_first),
                 form: FormData = Depends(form_of),
                 user: User = Depends(writer("admin", "bring items in"))) -> Response:
    """An upload: a table goes to the column-mapping step; the rest is brought in."""
    from ...tasks import uploads

    ws = request.app.state.ws
    file = form.get("file")
    try:
        if not isinstance(file, UploadFile) or not file.filename:
            raise GlamlabError("choose a file to upload first")
        try:
            folder, path = uploads.save(ws, file.file, file.filename)
        finally:
            file.file.close()  # the spooled copy goes now, not at garbage collection
        if uploads.span_format(ws, path):  # gold entities (HIPE, INCEpTION): no columns
            return _ingest_job(request, user, {"folder": folder, "file": path.name,
                                               "spans": True})
        if uploads.kind_of(path.name) == "table":
            return RedirectResponse("/stages/items?" + urlencode(
                {"upload": folder, "file": path.name}), 303)
        uploads.check_files(path)  # a wrong file says so now, not in the job
    except GlamlabError as exc:
        return _stage(request, "stage_items.html", "items", _items_ctx(request, error=exc),
                      status=422)
    # images, manifests and METS files can take minutes: a background job
    return _ingest_job(request, user, {"folder": folder, "file": path.name})


def _ingest_job(request: Request, user: User, params: dict[str, Any]) -> Response:
    from .. import jobs

    jobs.submit(request.app.state.ws, "ingest", user.username, params)
    request.app.state.jobs.start()
    request.app.state.jobs.wake()
    return RedirectResponse("/stages/items?started=ingest", 303)


@router.post("/stages/items/url")
def items_url(request: Request, form: FormData = Depends(form_of),
              user: User = Depends(writer("admin", "bring items in"))) -> Response:
    """A IIIF manifest or collection by its web address, brought in by a background job."""
    from urllib.parse import urlparse

    url = str(form.get("url") or "").strip()
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        err = GlamlabError(f"{url!r} is not a web address",
                           hint="give the manifest's address, starting with https://")
        return _stage(request, "stage_items.html", "items", _items_ctx(request, error=err),
                      status=422)
    return _ingest_job(request, user, {"url": url})


@router.post("/stages/items/table")
def items_table(request: Request, form: FormData = Depends(form_of),
                user: User = Depends(writer("admin", "bring items in"))) -> Response:
    """The column mapping confirmed: checked now, then a background job ingests the
    table and imports its labels (a large spreadsheet takes minutes)."""
    from ...tasks import uploads

    ws = request.app.state.ws
    folder, name = str(form.get("upload") or ""), str(form.get("file") or "")
    cols = {"id_column": str(form.get("id_column") or ""),
            "text_column": str(form.get("text_column") or "") or None,
            "label_column": str(form.get("label_column") or "") or None,
            "image_column": str(form.get("image_column") or "") or None}
    try:
        path = uploads.find(ws, folder, name)
        uploads.check_mapping(path, id_column=cols["id_column"] or "",  # said now, not
                              text_column=cols["text_column"],      # in the job
                              label_column=cols["label_column"], header_only=True,
                              needs_image=ws.card.modality == "image",
                              image_column=cols["image_column"])
    except GlamlabError as exc:
        ctx = _items_ctx(request, error=exc)
        try:
            ctx["mapping"] = {**uploads.preview_table(ws, uploads.find(ws, folder, name)),
                              "upload": folder}
        except GlamlabError:
            pass
        return _stage(request, "stage_items.html", "items", ctx, status=422)
    return _ingest_job(request, user, {"folder": folder, "file": path.name, **cols})


@router.post("/stages/items/rows")
def items_rows(request: Request, form: FormData = Depends(form_of),
               user: User = Depends(writer("admin", "bring items in"))) -> Response:
    """A tabular project's table, its columns chosen: checked now as ``glamlab ingest``
    checks it (the columns and their types, a misspelt outcome column: one message on
    this page, nothing stored), then a background job brings the rows in
    (:func:`glamlab.tasks.uploads.bring_in_rows`: the leakage check; "these rows update
    rows I uploaded before" is ``--allow-source-change``)."""
    from ...files import UploadError
    from ...tasks import uploads

    ws = request.app.state.ws
    folder, name = str(form.get("upload") or ""), str(form.get("file") or "")
    first = not ws.card.section("tabular")
    values: dict[str, Any] = {
        "time_column": str(form.get("time_column") or "").strip(),
        "label_column": str(form.get("label_column") or "").strip(),
        "id_column": str(form.get("id_column") or "").strip(),
        "group_columns": [str(c) for c in form.getlist("group_columns") if c],
        "never_features": [str(c) for c in form.getlist("never_features") if c],
        "updates": str(form.get("updates") or "") == "1"}
    options: dict[str, Any] = {"never_features": values["never_features"] or None}
    if first:  # the first table fixes the schema; later ones must fit it
        options.update(time_column=values["time_column"], label_column=values["label_column"],
                       id_column=values["id_column"] or None,
                       group_columns=values["group_columns"] or None)
    try:
        if ws.card.modality != "tabular":
            raise UploadError("this project's items are not rows of a table over time",
                              hint="map the table's columns on the upload page")
        path = uploads.find(ws, folder, name)
        if first and not values["time_column"]:
            raise UploadError("choose the column with the date of each row", item=name,
                              hint="the time column: the model learns from earlier rows "
                                   "and is judged on later ones")
        if first and not values["id_column"]:
            raise UploadError("choose the column with each row's id", item=name,
                              hint="a column with a different value on each row, such as a "
                                   "booking number; if the table has none, add one (in "
                                   "Excel: a first column id filled with 1, 2, 3, …) and "
                                   "upload it again")
        if first and not values["label_column"]:
            raise UploadError("choose the outcome column (what the model predicts, yes or "
                              "no)", item=name,
                              hint="the first table must hold the outcomes of its rows")
        uploads.check_rows(ws, path, **options)
    except GlamlabError as exc:
        ctx = _items_ctx(request, error=exc)
        try:
            ctx["rows_mapping"] = {**uploads.preview_rows(ws, uploads.find(ws, folder, name)),
                                   "upload": folder, "form": values}
        except GlamlabError:
            pass
        return _stage(request, "stage_items.html", "items", ctx, status=422)
    return _ingest_job(request, user, {"folder": folder, "file": path.name, "rows": True,
                                       "updates": values["updates"], **options})
