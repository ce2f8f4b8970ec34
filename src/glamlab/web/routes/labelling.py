# ruff: noqa: B008  (FastAPI declares dependencies as Depends(...) defaults)
"""The labelling page: the next item (by the one sampler), save, skip, undo; and, for an
admin, setting a test set aside from items labelled already (brought in with their
labels, or labelled for training): the web's ``glamlab labels split``; in a tabular
project, the date the test rows start on: ``glamlab labels split --by-time --cutoff``."""

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
from ...reports.agreement import sentence as agreement_sentence
from ...reports.agreement import web_agreement
from ...said import said_on_the_web
from ...tasks import sampling
from ..pages import form_of, not_in_project, page_user, render, writer

router = APIRouter(include_in_schema=False)


@router.get("/label", response_class=HTMLResponse)
def label_page(request: Request, strategy: str = "random", split: str = "test",
               item: str | None = None, mode: str = "",
               user: User = Depends(page_user)) -> Response:
    """The next item to label, or ``item`` (the overview links a text whose entities
    must be marked again for its new words), when it exists. ``mode=second``: label a
    sample again as a second labeller (:func:`second_page`)."""
    ws = request.app.state.ws
    if mode == SECOND and ws.card.kind != "entities":
        return second_page(request, user)
    if mode == CORRECT and not item:
        mode = ""  # nothing named to change: the next item to label
    near = strategy == NEAREST and ws.card.modality == "text"
    ignored: list[str] = []  # an unknown value is said, not silently replaced
    if strategy not in sampling.STRATEGIES and not near:
        known = [*sampling.STRATEGIES, *([NEAREST] if ws.card.modality == "text" else [])]
        ignored.append(not_in_project("sampling strategy", strategy,
                                      f"choosing {sampling.STRATEGIES['random']}", known))
        strategy = "random"
    asked_split = split
    if split not in ("train", "test"):
        split = "test"
    frozen = review.test_frozen(ws)
    tabular = ws.card.modality == "tabular"
    if near:  # chosen by their meaning: training labels only, as the model-ordered ones
        split = "train"
    elif tabular:
        # a row joins the test rows or training by its date (review.save_label), not by
        # a choice here; a row may fall in the test period, so only the strategies that
        # keep the test rows a fair sample choose it
        split = "test"
    elif frozen and split == "test":
        split = "train"
    if asked_split not in ("train", "test"):  # said with the split it falls back to
        ignored.append(not_in_project("split", asked_split, f"labelling for the {split} split",
                                      ("train", "test")))
    # the test split stays a random sample: model-ordered sampling only for training
    allowed = sampling.strategies_for(split)
    if strategy not in allowed and not near:
        # said, as an unknown value is: the page would otherwise quietly sample at random
        ignored.append(f"Sampling “{strategy}” ({sampling.STRATEGIES[strategy]}) is for "
                       f"training labels only; choosing {sampling.STRATEGIES['random']} "
                       "for the test split. The test split must stay a random sample of "
                       "the collection: the figures measured on it (how often the model "
                       "is right) hold for the whole collection only then. To label the "
                       "items the model is least sure about, label for the train split.")
        strategy = "random"
    chosen = next(iter(ws.items(ids=[item])), None) if item else None
    if item and chosen is None:
        ignored.append(not_in_project("item", item, "showing the next one to label"))
    concept = _concept(request, user) if near else None
    if near:
        shown = chosen or (next(iter(ws.items(ids=concept["next"][:1])), None)
                           if concept else None)
    else:
        shown = chosen or sampling.next_to_label(
            ws, strategy=strategy, exclude=request.app.state.skips.get(user.username),
            rng=random.Random(), split=split)
    counts = review.labelling_counts(ws)
    # once two people labelled the same items, how far they agree: loaded by the page
    # from /label/agreement (label_agreement), so that the page does not wait for it
    return render(request, "label.html", {
        "item": shown, "strategy": strategy, "split": split, "frozen": frozen,
        "ungrouped": _ungrouped(ws, counts),
        "second_offered": ws.card.kind != "entities" and counts["labelled"] > 0,
        # a second labeller's label that differs from the gold label: to settle on purpose
        # (not on the blind page, where another second labeller would see both labels)
        "to_settle": _to_settle(request) if ws.card.kind != "entities" else None,
        "strategies": allowed, "counts": counts,
        "concept": concept, "concept_offered": _concept_offered(ws, tabular),
        "ignored": ignored,
        "no_model_yet": strategy == "uncertainty"
        and sampling.latest_predicting_model(ws) is None,
        "labels": list(enumerate(ws.card.labels, start=1)),
        "done": request.query_params.get("done"),
        "tabular": tabular,
        "train_until": _train_until(ws) if tabular else None,
        "test_set": _test_set_form(request, user, counts, frozen),
        "time_split": _time_split_form(request, user, counts),
        "set_aside": _numbers(request, ("test", "train", "groups"))
        if request.query_params.get("done") == "test-set" else None,
        "set_by_time": _set_by_time(request),
        "had": _entities_had(request, shown) if ws.card.kind == "entities" else None,
        "correcting": _correcting(request, shown) if mode == CORRECT else None})


def _correcting(request: Request, item: Any) -> dict[str, Any] | None:
    """An item opened to change the label it has (its page's "Change the entities"):
    its split and who gave the label in force, for the form to say; None when it has no
    label yet (then it is labelled as any other)."""
    from ...review.labelling import gold_in_force
    from ...tasks.splits import split_of

    if item is None:
        return None
    ws = request.app.state.ws
    with ws.store.read() as conn:
        had = gold_in_force(conn, ws, item.item_id)
        if had is None:
            return None
        split = split_of(ws, [item.item_id], conn=conn).get(item.item_id)
    return {**had, "split": split}


#: the Labelling page's ``strategy`` for the passages nearest to a phrase or to example
#: passages (:func:`glamlab.trends.concepts.search`), once a person asked for them
NEAREST = "nearest"
#: how many nearest passages one search ranks (labelled ones are passed over)
NEAREST_POOL = 300
#: how many of the next nearest passages the page lists, with their text
NEAREST_SHOWN = 10


def _concept_offered(ws: Any, tabular: bool) -> dict[str, Any] | None:
    """Whether the "Passages nearest to a phrase" form is offered: text projects only;
    ``index``: whether the passage index it searches is built."""
    from ...trends.concepts import has_index
    from .. import jobs

    if tabular or ws.card.modality != "text" or ws.card.kind == "entities":
        return None
    built = has_index(ws)
    job = None if built else jobs.latest(ws, "index")
    return {"index": built,
            "job": job and {**job, "active": job["status"] in jobs.ACTIVE}}


def _concept(request: Request, user: User) -> dict[str, Any] | None:
    """This person's last concept search (the phrase or passages, and the nearest items
    it found), less the items labelled or skipped since: ``next``, their ids in order,
    and ``listed``, the first :data:`NEAREST_SHOWN` with their text and similarity."""
    found = getattr(request.app.state, "concepts", {}).get(user.username)
    if not found:
        return None
    ws = request.app.state.ws
    skipped = set(request.app.state.skips.get(user.username))
    left = sampling.unlabelled_of(ws, [i for i, _ in found["hits"] if i not in skipped])
    sims = dict(found["hits"])
    texts = {it.item_id: it.text or "" for it in ws.items(ids=left[:NEAREST_SHOWN])}
    return {"concept": found["concept"], "next": left, "ranked": len(found["hits"]),
            "listed": [{"item_id": i, "similarity": sims[i], "text": texts.get(i, "")[:300]}
                       for i in left[:NEAREST_SHOWN]]}


def _entities_had(request: Request, item: Any) -> dict[str, Any] | None:
    """An entities text that already has gold spans: ``spans`` (its spans with their
    words, and ``json``, the label form's value, so that saving keeps them unless
    changed) or, when it was ingested again with other words since, ``changed``: how many
    it had (their characters point at the earlier words: they are marked again)."""
    import json

    from ...tasks.spans import gold_spans
    from ...tasks.spans.model import MAIN_LAYER

    if item is None:
        return None
    ws, kind = request.app.state.ws, request.app.state.kind
    with ws.store.read() as conn:
        gold = gold_spans(ws, [item.item_id], layer=None, conn=conn).get(item.item_id)
        if not gold:
            return None
        if item.item_id in kind.changed_gold(ws, [item.item_id], conn):
            return {"changed": len(gold), "spans": [], "json": "[]"}
    text = item.text or ""
    rows = [{"start": s.start, "end": s.end, "label": s.label,
             **({"authority_id": s.authority_id} if s.authority_id else {}),
             **({"layer": s.layer} if s.layer != MAIN_LAYER else {}),
             # its attributes (HIPE's fine-grained type...): saved again as they were
             **({"attrs": s.attrs} if s.attrs else {})} for s in gold]
    return {"changed": 0, "json": json.dumps(rows, ensure_ascii=False),
            # each named with its layer where it is not the main one ("LOC, nested")
            "spans": [{"words": text[s.start:s.end], "label": s.label,
                       "layer": None if s.layer == MAIN_LAYER else s.layer} for s in gold]}


@router.get("/label/agreement", response_class=HTMLResponse)
def label_agreement(request: Request, user: User = Depends(page_user)) -> Response:
    """The Labelling page's line on the agreement between labellers, which the page loads
    on its own once shown (as the overview loads its section from /overview/agreement):
    it is asked for in the background (:func:`web_agreement`: on a large collection its
    bootstrap takes seconds, and even asking for it slowed the page down), and the page
    does not wait for it. Shown once two people labelled the same items (the Reports page
    says why not, before); while it is worked out, the line asks again every few seconds."""
    agreed = web_agreement(request.app.state.ws, request.app.state.refresher)
    return render(request, "label_agreement.html", {
        "agreement": agreement_sentence(agreed) if agreed.get("summary") else None,
        "agreement_stale": agreed.get("stale"),
        "agreement_pending": bool(agreed.get("pending"))})


def _settle_key(ws: Any) -> Any:
    """What :func:`glamlab.review.second_disagreements` reads: the active labels of the
    items a second labeller labelled (the label in force of an item is worked out from its
    own active labels alone), and the card's labels. Changes whenever one of those labels
    is given, replaced or taken back, but not with a label on any other item (the
    Labelling page's next item, most often): one count through the labels' index by
    source, instead of looking every second label and the label in force of its item up
    again."""
    import sqlalchemy as sa

    from ...store.gold import SECOND

    t = ws.store.t.labels
    seconds = sa.select(t.c.item_id).where(t.c.source == SECOND)
    with ws.store.read() as conn:
        row = conn.execute(sa.select(sa.func.count(), sa.func.max(t.c.id), sa.func.sum(t.c.id))
                           .where(t.c.active.is_(True), t.c.item_id.in_(seconds))).first()
    card = ws.card
    return (tuple(row) if row else None, tuple(card.labels), card.multi_label, card.kind)


def _to_settle(request: Request) -> dict[str, Any]:
    """:func:`glamlab.review.second_disagreements`, worked out again only when a label of
    an item a second labeller labelled was given, replaced or taken back since the last
    view (:func:`_settle_key`); the splits of the items listed are read on each view (a
    new test set changes them, not the labels)."""
    from ...tasks.splits import split_of

    ws = request.app.state.ws
    key = _settle_key(ws)
    memo = getattr(request.app.state, "to_settle", None)
    if memo is None or memo[0] != key:
        memo = (key, review.second_disagreements(ws))
        request.app.state.to_settle = memo
    found = memo[1]
    listed = found["listed"]
    splits = split_of(ws, [d["item_id"] for d in listed]) if listed else {}
    return {**found, "listed": [{**d, "split": splits.get(d["item_id"])} for d in listed]}


#: the Labelling page's ``mode`` for blind double labelling
SECOND = "second"


def second_page(request: Request, user: User) -> Response:
    """Blind double labelling: the next item someone else labelled and this person did
    not, their label hidden (:func:`glamlab.review.second_labelling`), until the items
    labelled by two people reach what Krippendorff's sample-size rule asks for. The
    label is saved as this person's own, next to the first person's, and the agreement
    between labellers is worked out again."""
    ws = request.app.state.ws
    queue = review.second_labelling(ws, user.username,
                                    exclude=request.app.state.skips.get(user.username))
    return render(request, "label.html", {
        "second": queue, "mode": SECOND, "to_settle": None,
        "item": queue["item"] if queue else None, "strategy": "random", "split": "",
        "frozen": False, "strategies": {}, "counts": review.labelling_counts(ws),
        "concept": None, "concept_offered": None, "no_model_yet": False,
        "labels": list(enumerate(ws.card.labels, start=1)),
        "done": request.query_params.get("done"),
        "tabular": ws.card.modality == "tabular", "train_until": None,
        "test_set": None, "time_split": None, "set_aside": None, "set_by_time": None})


def _train_until(ws: Any) -> str | None:
    from ...tasks.tabular import train_until

    return train_until(ws)


def _numbers(request: Request, keys: tuple[str, ...]) -> dict[str, int] | None:
    """Whole numbers from the query string (what a form post reports back), or None."""
    try:
        return {k: int(request.query_params.get(k) or 0) for k in keys}
    except ValueError:
        return None


def _ungrouped(ws: Any, counts: dict[str, Any]) -> dict[str, Any] | None:
    """The field (a Book, a document) the test set should have kept whole but did not,
    or None (:func:`glamlab.tasks.splits.ungrouped_split`)."""
    from ...tasks.splits import ungrouped_split

    if ws.card.modality == "tabular" or not counts["splits"].get("test"):
        return None
    return ungrouped_split(ws)


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
    from ...tasks.splits import grouping_field

    fields = keep_together_fields(ws)
    return {"fields": fields, "default": grouping_field(ws) or ""}


def _time_split_form(request: Request, user: User,
                     counts: dict[str, Any]) -> dict[str, Any] | None:
    """What the "Test rows: the later rows" part of a tabular project's page shows: the
    date the test rows start on now (the card's time split), and whether the form to move
    it is offered (an admin's, as the other split controls). None outside a tabular
    project or before any row has an outcome."""
    from ...tasks.tabular import train_until

    ws = request.app.state.ws
    if ws.card.modality != "tabular" or not counts["labelled"]:
        return None
    return {"train_until": train_until(ws) or "", "admin": user.can("admin")}


def _set_by_time(request: Request) -> dict[str, Any] | None:
    """What a by-time split just did (the counts its form post reports back), with the
    rows kept out of the test rows said as ``glamlab labels split --by-time`` says them."""
    from datetime import date

    from ...tasks.tabular import kept_in_split

    if request.query_params.get("done") != "time-split":
        return None
    numbers = _numbers(request, ("train", "test", "kept"))
    day = request.query_params.get("train_until") or ""
    try:
        date.fromisoformat(day)
    except ValueError:
        return None
    if numbers is None:
        return None
    return {**numbers, "train_until": day,
            "kept_words": kept_in_split(numbers["kept"], day) if numbers["kept"] else ""}


def _back_to_label(form: FormData, done: str) -> RedirectResponse:
    strategy, split = str(form.get("strategy") or ""), str(form.get("split") or "")
    # only values the label page knows go back into its address (a form's own text, e.g.
    # 100,000 characters, would make an address no server takes)
    known = strategy in sampling.STRATEGIES or strategy == NEAREST
    q = {"strategy": strategy if known else "random",
         "split": split if split in ("train", "test") else "test", "done": done}
    if form.get("mode") == SECOND:
        q = {"mode": SECOND, "done": done}
    return RedirectResponse("/label?" + urlencode(q), 303)


@router.post("/label")
def label_post(request: Request, form: FormData = Depends(form_of),
               user: User = Depends(writer("reviewer", "label items"))) -> Response:
    item_id = str(form.get("item_id") or "")
    values = [str(v) for v in form.getlist("label")]
    if form.get("mode") == CORRECT:  # a label given before, changed: see correct_label
        return correct_label(request, user, item_id, values)
    if form.get("mode") == SECOND:  # a second label: the item stays in its split, and
        # the gold label in force stays another person's (the agreement counts both)
        review.save_label(request.app.state.ws, user.username, item_id, values, None,
                          second=True)
    else:
        review.save_label(request.app.state.ws, user.username, item_id, values,
                          str(form.get("split") or "test"),
                          strategy=str(form.get("strategy") or "random"))
    request.app.state.queue_counts.invalidate()  # a gold label settles queue rows
    return _back_to_label(form, "label")


#: the label form's ``mode`` that changes the gold label an item has (the item page's
#: "Change the label", or an entities text reopened from its page)
CORRECT = "correct"


def correct_label(request: Request, user: User, item_id: str, values: list[str]) -> Response:
    """Change the gold label of an item labelled before: the item stays in its split (a
    test item in the test split, frozen or not: never moved to training), the earlier
    label stays in the store as it was, no longer in force when it was this person's
    (:func:`glamlab.review.save_label` with no split), and the change is logged in the
    audit log with the label it replaced (a test item's as ``test.relabel`` too, which
    marks the evaluations made before as measured on the labels as they were). Back to
    the item's page, which says so."""
    from ...review.labelling import gold_in_force
    from ..images import item_path

    ws = request.app.state.ws
    with ws.store.read() as conn:
        had = gold_in_force(conn, ws, item_id)
    if had is None:
        if next(iter(ws.items(ids=[item_id])), None) is None:
            raise review.NotFound(f"no item with id {item_id!r}", item=item_id,
                                  hint="open the item from the Review or Labelling page")
        raise LabelError(f"{item_id} has no label yet, so there is none to change",
                         item=item_id, hint="label it on the Labelling page")
    saved = review.save_label(ws, user.username, item_id, values, None)
    request.app.state.queue_counts.invalidate()  # a gold label settles queue rows
    done = "changed" if saved.get("changed_from") else "unchanged"
    page = f"/items/{item_path(item_id)}"
    return RedirectResponse(f"{page}{'&' if '?' in page else '?'}done={done}", 303)


@router.post("/label/concept")
def concept_post(request: Request, form: FormData = Depends(form_of),
                 user: User = Depends(writer("reviewer", "label items"))) -> Response:
    """Label the passages nearest to a phrase, or to example passages (one per paragraph),
    first: the passage index is searched (:func:`glamlab.trends.concepts.search`), and
    the Labelling page shows the nearest unlabelled passages in order, their labels going
    to training (a test set chosen by meaning would not be a fair sample)."""
    import re

    from ...trends.concepts import has_index, search

    ws = request.app.state.ws
    text = str(form.get("concept") or "").strip()
    hint = ("type a few words (e.g. emigration to America), or paste one or more example "
            "passages, separated by an empty line")
    if not text:
        raise LabelError("say what to look for: a phrase or example passages", hint=hint)
    if len(text) > 20_000:
        raise LabelError(f"the phrase or passages are too long ({len(text):,} characters; "
                         "20,000 at most)", hint="paste a few typical passages, not a text")
    if _concept_offered(ws, ws.card.modality == "tabular") is None:
        raise LabelError("passages nearest to a phrase are found in text projects only",
                         hint="choose another way of picking items on the Labelling page")
    if not has_index(ws):
        raise LabelError("the passages of this project are not indexed yet, so none can be "
                         "found by their meaning", hint=INDEX_HINT)
    passages = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    hits = search(ws, passages[0] if len(passages) == 1 else passages, k=NEAREST_POOL)
    if not hasattr(request.app.state, "concepts"):
        request.app.state.concepts = {}
    request.app.state.concepts[user.username] = {
        "concept": text[:200] + ("…" if len(text) > 200 else ""),
        "hits": [(h.item_id, h.similarity) for h in hits]}
    return RedirectResponse("/label?" + urlencode({"strategy": NEAREST, "split": "train"})
                            + "#concept", 303)


#: what to do when no passage index is built yet (the page's button builds it)
INDEX_HINT = ("build it once with “Build the passage index” on the Labelling page; on a few "
              "thousand passages it takes minutes")


@router.post("/label/concept/index")
def concept_index_post(request: Request, form: FormData = Depends(form_of),
                       user: User = Depends(writer("reviewer", "build the passage index"))
                       ) -> Response:
    """Build the passage index in the background (an ``index`` job, one at a time), so
    that passages can be found by their meaning; the Labelling page shows its progress."""
    from .. import jobs

    ws = request.app.state.ws
    if _concept_offered(ws, ws.card.modality == "tabular") is None:
        raise LabelError("passages nearest to a phrase are found in text projects only",
                         hint="choose another way of picking items on the Labelling page")
    jobs.submit(ws, "index", user.username)
    request.app.state.jobs.start()
    request.app.state.jobs.wake()
    return RedirectResponse("/label#concept", 303)


@router.post("/label/skip")
def label_skip(request: Request, form: FormData = Depends(form_of),
               user: User = Depends(writer("reviewer", "label items"))) -> Response:
    request.app.state.skips.add(user.username, str(form.get("item_id") or ""))
    return _back_to_label(form, "skip")


@router.post("/label/undo")
def label_undo(request: Request, form: FormData = Depends(form_of),
               user: User = Depends(writer("reviewer", "label items"))) -> Response:
    undone = review.undo_label(request.app.state.ws, user.username)
    request.app.state.queue_counts.invalidate()
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
        return _split_by_time(request, form, user)
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
        with said_on_the_web():  # a refusal's fix in the pages' words, not Python's
            report = split_labels(ws, test_size=share / 100, group_by=group_by,
                                  actor=user.username)
    except LabelError as exc:
        raise _in_web_words(ws, exc) from None
    return RedirectResponse("/label?" + urlencode(
        {"split": "train", "done": "test-set", "test": report.test, "train": report.train,
         "groups": report.groups if group_by else 0}) + "#test-set", 303)


def _split_by_time(request: Request, form: FormData, user: User) -> Response:
    """A tabular project's test rows: the rows from the date ``train_until`` on (empty:
    after the earliest 80% of the time range), the rows before it train; the split
    ``glamlab labels split --by-time --cutoff`` makes (:func:`set_time_split`). A date
    that is not one, or that leaves no rows to train on, is refused in words; so is
    moving the date of test rows models were measured on."""
    from datetime import date

    from ...tasks.splits import freeze_info
    from ...tasks.tabular import set_time_split

    ws = request.app.state.ws
    raw = str(form.get("train_until") or "").strip()
    if raw:
        try:
            date.fromisoformat(raw)
        except ValueError:
            raise LabelError(f"the first date of the test rows must be a date, not {raw!r}",
                             hint="give it as year-month-day, e.g. 2017-01-01, or leave it "
                                  "empty to test on the latest fifth of the time range"
                             ) from None
    try:
        res = set_time_split(ws, raw or None, actor=user.username)
    except LabelError:
        frozen = freeze_info(ws)
        if not frozen:
            raise
        raise LabelError(
            "The test rows cannot be moved to another date: models were already measured "
            f"on them (on {frozen['at']:%Y-%m-%d %H:%M} UTC), and other test rows would "
            "make later results impossible to compare with earlier ones",
            hint="keep the date; new rows with their outcomes join the test rows or "
                 "training by their date") from None
    return RedirectResponse("/label?" + urlencode(
        {"done": "time-split", "train_until": res["train_until"], "train": res["train"],
         "test": res["test"], "kept": res["kept_in_split"]}) + "#test-set", 303)


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
