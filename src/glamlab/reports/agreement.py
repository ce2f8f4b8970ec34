"""Agreement between labellers, as the web app and the HTML reports show it: the same
sentence as ``glamlab labels agreement`` (:func:`glamlab.tasks.agreement.agreement`'s
``summary``) and the same tables (per pair of labellers; per label for a multi-label
task), built here once for every page that shows them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import LabelError

if TYPE_CHECKING:
    from ..workspace import Workspace
    from .html import Section

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
    from ..tasks.agreement import agreement

    if ws.card.kind == "entities":
        return {"missing": "agreement between labellers is not measured for an entities "
                           "project: glamlab compares the labels people give to whole "
                           "items, not the entities they mark in a text",
                "hint": None}
    try:
        r = agreement(ws)
    except LabelError as exc:
        hint = ("have a second person, signed in as themselves, label some of the items "
                "already labelled (the Labelling page opens one by its id: "
                "/label?item=ITEM-ID)" if web else exc.hint)
        return {"missing": exc.message, "hint": hint}
    return {"summary": r["summary"], "pairs": r.get("pairs") or [],
            "per_label": r.get("per_label") or []}


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


def agreement_section(ws: Workspace, *, web: bool = False) -> Section:
    """The HTML reports' section (``glamlab evaluate --html``, the Reports page)."""
    from .html import Section

    view = agreement_view(ws, web=web)
    return Section(TITLE, text=sentence(view), html=agreement_html(view),
                   kind="agreement")
