# ruff: noqa: B008  (FastAPI declares dependencies as Depends(...) defaults)
"""The labelling page: the next item (by the one sampler), save, skip, undo; and, for an
admin, setting a test set aside from items labelled already (brought in with their
labels, or labelled for training): the web's ``glamlab labels split``."""

from __future__ import annotations

import random
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from ... import review
from ...auth import User
from ...errors import LabelError
from ...tasks import sampling
from ..pages import form_of, page_user, render, writer

router = APIRouter(include_in_schema=False)


@router.get("/label", response_class=HTMLResponse)
def label_page(request: Request, strategy: str = "random", split: str = "test",
               item: str | None = None, user: User = Depends(page_user)) -> Response:
    """The next item to label, or ``item`` (the overview links a text whose entities
    must be marked again for its new words), when it exists."""
    ws = request.app.state.ws
    if strategy not in sampling.STRATEGIES:
        strategy = "random"
    if split not in ("train", "test"):
        split = "test"
    frozen = review.test_frozen(ws)
    if frozen and split == "test":
        split = "train"
    # the test split stays a random sample: model-ordered sampling only for training
    allowed = sampling.strategies_for(split)
    if strategy not in allowed:
        strategy = "random"
    chosen = next(iter(ws.items(ids=[item])), None) if item else None
    shown = chosen or sampling.next_to_label(ws, strategy=strategy,
                                             exclude=request.app.state.skips.get(user.username),
                                             rng=random.Random(), split=split)
    counts = review.labelling_counts(ws)
    return render(request, "label.html", {
        "item": shown, "strategy": strategy, "split": split, "frozen": frozen,
        "strategies": allowed, "counts": counts,
        "labels": list(enumerate(ws.card.labels, start=1)),
        "done": request.query_params.get("done"),
        "tabular": ws.card.modality == "tabular",
        "test_set": _test_set_form(request, user, counts, frozen),
        "set_aside": _numbers(request, ("test", "train", "groups"))
        if request.query_params.get("done") == "test-set" else None})


def _numbers(request: Request, keys: tuple[str, ...]) -> dict[str, int] | None:
    """Whole numbers from the query string (what a form post reports back), or None."""
    try:
        return {k: int(request.query_params.get(k) or 0) for k in keys}
    except ValueError:
        return None


def _test_set_form(request: Request, user: User, counts: dict[str, Any],
                   frozen: bool) -> dict[str, Any] | None:
    """What the "Set aside a test set" form offers: the fields whose values labelled items
    share (keep the pages of one document together), the task kind's suggestion chosen.
    None where there is no form to show (nothing labelled, the split frozen or by time,
    or not an admin, who alone may change the splits)."""
    from ...tasks.splits import keep_together_fields

    ws = request.app.state.ws
    if (not counts["labelled"] or frozen or ws.card.modality == "tabular"
            or not user.can("admin")):
        return None
    fields = keep_together_fields(ws)
    kind = request.app.state.kind
    return {"fields": fields,
            "default": fields[0] if fields and fields[0] in kind.keep_together else ""}


def _back_to_label(form: FormData, done: str) -> RedirectResponse:
    strategy, split = str(form.get("strategy") or ""), str(form.get("split") or "")
    # only values the label page knows go back into its address (a form's own text, e.g.
    # 100,000 characters, would make an address no server takes)
    q = {"strategy": strategy if strategy in sampling.STRATEGIES else "random",
         "split": split if split in ("train", "test") else "test", "done": done}
    return RedirectResponse("/label?" + urlencode(q), 303)


@router.post("/label")
def label_post(request: Request, form: FormData = Depends(form_of),
               user: User = Depends(writer("reviewer", "label items"))) -> Response:
    item_id = str(form.get("item_id") or "")
    values = [str(v) for v in form.getlist("label")]
    review.save_label(request.app.state.ws, user.username, item_id, values,
                      str(form.get("split") or "test"),
                      strategy=str(form.get("strategy") or "random"))
    return _back_to_label(form, "label")


@router.post("/label/skip")
def label_skip(request: Request, form: FormData = Depends(form_of),
               user: User = Depends(writer("reviewer", "label items"))) -> Response:
    request.app.state.skips.add(user.username, str(form.get("item_id") or ""))
    return _back_to_label(form, "skip")


@router.post("/label/undo")
def label_undo(request: Request, form: FormData = Depends(form_of),
               user: User = Depends(writer("reviewer", "label items"))) -> Response:
    undone = review.undo_label(request.app.state.ws, user.username)
    return _back_to_label(form, "undo" if undone else "nothing-to-undo")


@router.post("/label/test-set")
def test_set_post(request: Request, form: FormData = Depends(form_of),
                  user: User = Depends(writer("admin", "set a test set aside"))) -> Response:
    """Split the labelled items into a test set (``share`` percent, default 30) and
    training, keeping whole the items that share ``keep_together``'s value if given
    (:func:`glamlab.tasks.split_labels`). A frozen test set is refused in words."""
    from ...tasks import split_labels
    from ...tasks.splits import keep_together_fields

    ws = request.app.state.ws
    if ws.card.modality == "tabular":
        raise LabelError("a table's test rows are its later rows: they are set aside by "
                         "date, not by share", hint="bring the later rows in with their "
                         "outcomes on the Bring rows in page")
    raw = str(form.get("share") or "30").strip().rstrip("%").strip()
    hint = "a percentage between 5 and 70, e.g. 30: 30 of every 100 labelled items"
    try:
        share = float(raw)
    except ValueError:
        raise LabelError(f"the share set aside must be a number, not {raw!r}",
                         hint=hint) from None
    if not 5 <= share <= 70:
        raise LabelError(f"the share set aside must be between 5% and 70%, not {share:g}%",
                         hint=hint)
    group_by = str(form.get("keep_together") or "").strip() or None
    if group_by and group_by not in keep_together_fields(ws):
        raise LabelError(f"the labelled items share no values of the field {group_by!r}",
                         hint="choose one of the fields the form offers, or none")
    try:
        report = split_labels(ws, test_size=share / 100, group_by=group_by,
                              actor=user.username)
    except LabelError as exc:
        raise _in_web_words(ws, exc) from None
    return RedirectResponse("/label?" + urlencode(
        {"split": "train", "done": "test-set", "test": report.test, "train": report.train,
         "groups": report.groups if group_by else 0}) + "#test-set", 303)


def _in_web_words(ws: Any, exc: LabelError) -> LabelError:
    """split_labels' refusal, with what to do on these pages (its hints name commands)."""
    from ...tasks.splits import freeze_info
    from ..words import has_command

    frozen = freeze_info(ws)
    if frozen:
        return LabelError(
            "The test set cannot be set aside again: models were already measured on it "
            f"(on {frozen['at']:%Y-%m-%d %H:%M} UTC), and a new test set would make later "
            "results impossible to compare with earlier ones",
            hint="new labels go to training on the Labelling page; the test set stays as "
                 "it is")
    hint = exc.hint
    if not hint or has_command(hint):
        hint = ("label items chosen at random on the Labelling page (labels go to the test "
                "set), or bring a spreadsheet of labels in on the Bring items in page")
    return LabelError(exc.message, hint=hint)
