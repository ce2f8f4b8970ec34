"""Agreement between labellers, as the web app and the HTML reports show it: the same
sentence as ``glamlab labels agreement`` (:func:`glamlab.tasks.agreement.agreement`'s
``summary``) and the same tables (per pair of labellers; per label for a multi-label
task), built here once for every page that shows them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import LabelError
from ..progress import plural

if TYPE_CHECKING:
    from ..workspace import Workspace
    from .html import Section
    from .overview import Schedule

TITLE = "Agreement between labellers"

#: the CLI's tables (``glamlab labels agreement``): columns, and their headers on a page
PAIR_COLUMNS = ["a", "b", "items", "percent_agreement", "cohen_kappa"]
PAIR_HEADERS = ["labeller", "labeller", "items both labelled", "share labelled alike",
                "Cohen's kappa"]
LABEL_COLUMNS = ["label", "krippendorff_alpha"]
LABEL_HEADERS = ["label", "Krippendorff's alpha"]


def agreement_view(ws: Workspace, *, web: bool = False) -> dict[str, Any]:
    """``{"summary": the CLI's sentence, "pairs": [...], "per_label": [...]}``, or
    ``{"missing": why not, "hint": what to do}`` when nothing can be measured (nobody
    labelled an item someone else labelled, or an entities project, whose spans are not
    compared). ``web``: the hint names the web app's pages instead of commands."""
    from ..tasks.agreement import NOTHING_LABELLED, agreement, sample_size

    if ws.card.kind == "entities":
        return {"missing": "agreement between labellers is not measured for an entities "
                           "project: glamlab compares the labels people give to whole "
                           "items, not the entities they mark in a text",
                "hint": None}
    try:
        r = agreement(ws)
    except LabelError as exc:
        if exc.message == NOTHING_LABELLED:  # label first: there is nothing to label again
            return {"missing": exc.message, "nothing_labelled": True,
                    "hint": ("label items first (the Labelling page); once a second person "
                             "has labelled some of them again, the agreement is measured"
                             if web else exc.hint)}
        needed = sample_size(ws)["items_needed"]
        labelled = _items_labelled(ws)
        what, why = _ask_words(needed, labelled, 0)
        hint = (f"have a second person, signed in as themselves, label {what} again (the "
                "Labelling page's \"Label a sample again as a second labeller\")" + why
                if web else exc.hint)
        return {"missing": exc.message, "hint": hint, "items_needed": needed,
                "items_labelled": labelled}
    return {"summary": r["summary"], "pairs": r.get("pairs") or [],
            "items_labelled": _items_labelled(ws),
            "per_label": r.get("per_label") or [], "alpha": r.get("krippendorff_alpha"),
            "interval": r.get("alpha_interval"), "shared_items": r["shared_items"],
            "items_needed": r["items_needed"], "multi_label": r["multi_label"],
            "rarest_label": r.get("rarest_label"), "rarest_share": r.get("rarest_share")}


def _items_labelled(ws: Workspace) -> int:
    """How many items someone labelled: a second person can label no more than these
    again."""
    from ..tasks.labels import annotator_labels

    return len(annotator_labels(ws))


def _ask_words(needed: int, labelled: int | None, shared: int) -> tuple[str, str]:
    """What to ask a second person to label again, ``shared`` items being labelled by
    two people already, and why that many: the items Krippendorff's rule still asks for
    (``needed``), but never more than the labelled items nobody labelled twice yet
    (``labelled``: the items labelled; None: not known, from a view stored by an earlier
    glamlab), and then that more items need labelling too."""
    more = max(0, needed - shared)
    left = more if labelled is None else min(more, max(0, labelled - shared))
    if left >= more:
        return f"{more:,} {'more ' if shared else ''}{plural(more, 'item')}", ""
    what = (f"{'all ' if left > 1 else ''}{left:,} {'other ' if shared else ''}"
            f"{plural(left, 'item')} labelled so far")
    return what, (f"; Krippendorff's rule asks for {needed:,} items labelled by two people "
                  f"before the agreement can be judged, and only {labelled:,} "
                  f"{plural(labelled or 0, 'is', 'are')} labelled: label more items too")


def at_a_glance(view: dict[str, Any]) -> dict[str, Any]:
    """What the overview shows of :func:`agreement_view` (or :func:`web_agreement`):
    ``verdict``, a plain-language answer to "can the labels be trusted?", and, once
    measured, ``alpha``, ``interval``, ``shared_items``, ``items_needed`` and ``left``
    (the shared items still missing); ``second``: whether asking a second person to
    label items again helps. A view stored by an earlier glamlab (no figures) gives
    only its sentence."""
    from ..tasks.agreement import ALPHA_MIN

    if view.get("pending"):  # the overview ends the verdict with its own full stop
        return {"verdict": view["pending"].rstrip("."), "pending": True}
    if view.get("nothing_labelled"):  # no one to ask to label "again" yet
        return {"verdict": f"not measured yet: {view['missing']}; {view['hint']}"}
    if view.get("missing"):
        needed = view.get("items_needed")
        if needed is None:  # an entities project: not measured at all
            return {"verdict": f"not measured: {view['missing']}"}
        what, why = _ask_words(needed, view.get("items_labelled"), 0)
        return {"verdict": f"not measured yet: ask a second person to label {what} "
                           f"again, without seeing the first label{why}", "second": True,
                "items_needed": needed}
    if "shared_items" not in view:
        return {"verdict": sentence(view)}
    out = {k: view.get(k) for k in ("alpha", "interval", "shared_items", "items_needed",
                                    "multi_label", "rarest_label", "rarest_share")}
    n, needed, alpha = view["shared_items"], view["items_needed"], view.get("alpha")
    out["left"] = max(0, needed - n)
    if alpha is None:
        out["verdict"] = ("not measured yet: no label was given differently on any item "
                          "two people labelled")
    elif n < needed:
        labelled = view.get("items_labelled")
        if labelled is not None and labelled <= n:  # nothing left to label again
            out["verdict"] = (f"too early to say: {n:,} of the {needed:,} items needed are "
                              "labelled by two people, every item labelled so far; label "
                              f"{needed - n:,} more {plural(needed - n, 'item')}, then ask "
                              "a second person to label them again, without seeing the "
                              "first label")
        else:
            what, why = _ask_words(needed, labelled, n)
            out["verdict"] = (f"too early to say: {n:,} of the {needed:,} items needed are "
                              f"labelled by two people; ask a second person to label {what} "
                              f"again, without seeing the first label{why}")
            out["second"] = True
    elif alpha >= ALPHA_MIN:
        out["verdict"] = ("yes: people who label the same items agree, so the labels can be "
                          "trusted")
    elif alpha >= 0.667:
        out["verdict"] = ("with care: people agree only partly; talk the labelling "
                          "guidelines through together before relying on the figures")
    else:
        out["verdict"] = ("not yet: people often give the same items different labels; "
                          "the labelling guidelines need work before the figures mean much")
    return out


def agreement_html(view: dict[str, Any]) -> str:
    """The tables of :func:`agreement_view` (trusted markup)."""
    from .html import table_html

    html = ""
    if view.get("pairs"):
        html += table_html(view["pairs"], PAIR_COLUMNS, headers=PAIR_HEADERS,
                           css_class="agreement-pairs")
    if view.get("per_label"):
        html += table_html(view["per_label"], LABEL_COLUMNS, headers=LABEL_HEADERS,
                           css_class="agreement-labels")
    return html


def sentence(view: dict[str, Any]) -> str:
    """The one line shown wherever agreement is: "Agreement between labellers: ..."."""
    if view.get("summary"):
        return f"{TITLE}: {view['summary']}."
    hint = f": {view['hint']}" if view.get("hint") else ""
    return f"{TITLE}: {view['missing']}{hint}."


def agreement_section(ws: Workspace, *, web: bool = False,
                      view: dict[str, Any] | None = None) -> Section:
    """The HTML reports' section (``glamlab evaluate --html``, the Reports page), of
    ``view`` when given (:func:`web_agreement`)."""
    from .html import Section

    view = view if view is not None else agreement_view(ws, web=web)
    if view.get("pending"):
        return Section(TITLE, text=view["pending"], kind="agreement")
    note = (f"Worked out at {view['computed_at']:%Y-%m-%d %H:%M} UTC; {view['stale']}."
            if view.get("stale") else "")
    return Section(TITLE, text=sentence(view), html=agreement_html(view), note=note,
                   kind="agreement")


NAME = "agreement"


def _key(ws: Workspace) -> str:
    """Changes whenever a label is given, replaced or taken back (or the labels change)."""
    import sqlalchemy as sa

    from ..store.results import key_of

    t = ws.store.t.labels
    with ws.store.read() as conn:
        row = conn.execute(sa.select(sa.func.count(), sa.func.max(t.c.id), sa.func.sum(t.c.id))
                           .where(t.c.active.is_(True))).first()
    card = ws.card
    # "view": what a stored view holds (2: the figures the overview shows, too; 3: says
    # when nothing is labelled yet; 4: how many items are labelled)
    return key_of({"labels": list(row) if row else None, "names": list(card.labels),
                   "multi": card.multi_label, "kind": card.kind, "view": 4})


def compute_web_agreement(ws: Workspace) -> dict[str, Any]:
    """Work the web app's agreement out now and store it (with the key of what it read)."""
    import time

    from ..store.results import put_result

    key = _key(ws)
    started = time.perf_counter()
    view = agreement_view(ws, web=True)
    return put_result(ws.store, NAME, key, view, time.perf_counter() - started)


def web_agreement(ws: Workspace, schedule: Schedule | None = None) -> dict[str, Any]:
    """:func:`agreement_view` for the web app's pages: the stored one while it is
    current; otherwise worked out in the background (``schedule``, the web app's
    refresher: the bootstrap over thousands of shared items takes a second, too long
    for the Labelling page after every label), with a note saying so meanwhile."""
    import sqlalchemy as sa

    from ..store.results import get_result
    from .overview import _stored_or_scheduled

    if ws.card.kind != "entities":
        items = ws.store.t.items
        with ws.store.read() as conn:
            empty = conn.execute(sa.select(items.c.item_id).where(items.c.is_current.is_(True))
                                 .limit(1)).first() is None
        if empty:  # nothing to measure, nor to work out in the background
            return {"missing": "nothing is labelled yet; once items are brought in and "
                               "labelled, a second person labels some of them again, and "
                               "the agreement is measured", "hint": None}
    row = get_result(ws.store, NAME)
    current = row is not None and row["key"] == _key(ws)
    out = _stored_or_scheduled(ws, NAME, current, row, lambda: compute_web_agreement(ws),
                               schedule, "The agreement between labellers",
                               "it compares the labels people gave to the same items")
    return out or {}
