# ruff: noqa: B008  (FastAPI declares dependencies as Depends(...) defaults)
"""The labelling page: the next item (by the one sampler), save, skip, undo."""

from __future__ import annotations

import random
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from ... import review
from ...auth import User
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
    return render(request, "label.html", {
        "item": shown, "strategy": strategy, "split": split, "frozen": frozen,
        "strategies": allowed, "counts": review.labelling_counts(ws),
        "labels": list(enumerate(ws.card.labels, start=1)),
        "done": request.query_params.get("done")})


def _back_to_label(form: FormData, done: str) -> RedirectResponse:
    q = {"strategy": str(form.get("strategy") or "random"),
         "split": str(form.get("split") or "test"), "done": done}
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
