"""``glamlab demo blank-pages``: stop paying for OCR of blank pages, on a bundled sample.

The project card states the need and the price per page; the lifecycle is the common one
(:data:`glamlab.demo.STAGES`: ingest, labels, baselines, train, evaluate, run, act, export,
status; every page is labelled here, so there is no new material for the monitor) with
four stages of its own:

- ``labels``: the curators' labels and a test split of whole documents (30 %);
- ``train``: glamlab's ``blank-ink`` (the champion) and the older ``page-stats-logreg``
  for comparison; the champion's auto-blank threshold, chosen on the training pages
  with a margin that favours content, is stated in plain words;
- ``act``: the policy is the champion's own (withhold from that threshold, a person
  for the pages that only look blank, OCR for the rest), not thresholds chosen on the
  test split; it reports the pages to send to OCR, the pages withheld, the review
  workload, the money saved on this sample and, with a 95 % interval, per 100,000
  pages of a collection like it, and the content pages expected to be withheld wrongly;
- ``explain``: what a reviewer sees for a page: the ink found and where.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..progress import plural

if TYPE_CHECKING:
    from ..workspace import Workspace
    from .projects import DemoProject, Say

NAME = "blank-pages"
PRICE = 0.03
PER = 100_000


def project() -> DemoProject:
    from .projects import DemoProject, demo_data

    d = demo_data("blank_pages")
    return DemoProject(
        name=NAME,
        init={"task": "blank-pages", "modality": "image", "labels": ["blank", "content"],
              "need": "Stop paying the OCR service for pages with nothing on them: send only "
                      "pages with ink of their own (text, a number, a stamp, a mark) to OCR, "
                      f"at {PRICE:.2f} EUR a page, and never lose a page that has content.",
              # the filter withholds the pages the model is sure are blank
              "positive_label": "blank", "price_per_item": PRICE},
        ingest=[str(d / "labels.csv")],
        ingest_options={"id_column": "id", "image_column": "path"},
        stages=stages(),
        noun="pages",
    )


def stages() -> list[tuple[str, Any]]:
    from . import STAGES

    common = dict(STAGES)
    return [("ingest", common["ingest"]), ("labels", stage_labels),
            ("baseline", common["baseline"]), ("train", stage_train),
            ("evaluate", common["evaluate"]), ("run", common["run"]), ("act", stage_act),
            ("export", common["export"]), ("explain", stage_explain),
            ("status", common["status"])]


def stage_labels(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    """The curators' labels, and a test split of whole documents (30 %)."""
    from ..tasks import import_labels, label_counts, split_labels, split_of
    from .projects import demo_data

    report = import_labels(ws, demo_data("blank_pages") / "labels.csv", label_column="label")
    say(f"Imported the curators' labels from labels.csv: {report.summary()}.")
    split = None
    if split_of(ws):
        say("The pages are already split into train and test; keeping that split.")
    else:
        split = split_labels(ws, test_size=0.3, seed=0, group_by="document")
        say(f"Set aside a test set: {split.summary()}. Pages of one document stay together, "
            "so the test measures pages from documents the models have never seen.")
    return {"import": report.to_dict(), "split": split.to_dict() if split else None,
            "counts": label_counts(ws)}


def stage_train(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    from ..actions.policy import threshold_pct
    from ..registry import load_model
    from ..registry.training import train

    out: dict[str, Any] = {}
    for predictor, name in (("blank-ink", "blank-pages"), ("page-stats-logreg", "page-stats")):
        res = train(ws, predictor, name=name, reuse=True, set_champion=predictor == "blank-ink")
        say(f"Trained {predictor} on the {res.train_items} training pages and saved it as "
            f"{res.model.spec}" + (" (the model in use: runs, act and exports use it)."
                                   if "in-use" in res.model.aliases else "."))
        for note in res.notes:
            say(f"  Note: {note}")
        out[predictor] = res.model.spec
    _, champion = load_model(ws, out["blank-ink"])
    t = getattr(champion, "training_", {})
    if "threshold" in t:
        say(f"  blank-ink withholds a page only when it is at least {threshold_pct(t['threshold'])} sure it "
            "is blank. That threshold was chosen on the training pages alone: well above the "
            f"most blank-looking page with content among them ({t['most_blank_looking_content']:.0%}"
            " in out-of-fold predictions). Pages that only look blank go to a person.")
    return out


def stage_act(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    from ..actions import act, plan
    from ..actions.act import projected_saving
    from ..actions.policy import parse_policy, threshold_pct
    from ..inference.runner import champion_spec
    from ..registry import load_model

    try:
        spec = champion_spec(ws)
    except Exception as exc:  # noqa: BLE001 - narrated, the demo goes on
        say(f"No model in use to act on ({exc}); skipping this stage.")
        return {"skipped": str(exc)}
    mv, model = load_model(ws, spec)
    if not hasattr(model, "policy"):
        say(f"The model in use, {spec}, has no policy of its own; skipping this stage.")
        return {"skipped": "no policy"}
    section = {"field": "page_type", "default_action": "review", "model": spec,
               "labels": model.policy()}
    parse_policy(section, ws.card)  # validated before it is written
    ws.update_card({"policy": section})
    t = section["labels"]["blank"]["accept"]
    say(f"The policy (written to glamlab.toml): a page is withheld from OCR when the model is at "
        f"least {threshold_pct(t)} sure it is blank; from 50% to that, a person decides; every other page "
        "is sent to OCR. These thresholds come from the training pages, not the test pages.")
    report = plan(ws, dry_run=True).to_dict()
    f = report["filter"]
    n = report["items_total"]
    withheld = f["accepted_as_positive"]
    review = sum(row["review_workload"] for row in report["by_label"] if row["label"] == "blank")
    saved = withheld * PRICE
    say(f"For the {n} pages of this collection:")
    say(f"  {withheld} pages withheld as blank; {f['sent_on']} pages to send to OCR (listed in "
        f"exports/send-on.txt by the export stage), of which {review} look blank but not "
        "surely: a person checks them first.")
    say(f"  Money saved on this sample: {saved:.2f} {f['currency']} ({withheld} pages x "
        f"{PRICE:.2f}).")
    proj = projected_saving(withheld, n, PRICE, PER)  # as glamlab act and the Act page say
    assert proj is not None
    say(f"  For {PER:,} pages like these: about {proj['saved']:,.0f} "
        f"{f['currency']} saved (95% interval {proj['ci95'][0]:,.0f} to "
        f"{proj['ci95'][1]:,.0f}: the share withheld here is {withheld} of {n}, Wilson "
        "interval).")
    if f["expected_wrongly_withheld"] is not None:
        from ..actions.act import about_count  # "about 1", "under 1", as act says it

        ci = f["expected_wrongly_withheld_ci95"]
        rng = (f" (95% range {math.floor(ci[0])} to {math.ceil(ci[1])} pages)"  # whole pages
               if ci else "")
        say(f"  Pages with content expected among those withheld: "
            f"{about_count(f['expected_wrongly_withheld'])}{rng}, judging by the frozen test "
            "split.")
    minutes = review * ws.card.review_seconds_per_item / 60
    settled = report.get("review_settled_by_gold", 0)
    known = (f" ({settled} more {'is' if settled == 1 else 'are'} settled by a curator's "
             "label already, so nobody is asked)" if settled else "")
    if review:
        say(f"  Review workload: {review} page{'s' if review != 1 else ''}, about "
            f"{max(1, round(minutes))} minute{'s' if round(minutes) > 1 else ''}{known}.")
    else:
        say(f"  Review workload: none{known}.")
    done = act(ws).to_dict()
    queued, gold = done["written_open"], done["written_settled_by_gold"]
    say(f"Then acted: {done['written']['machine_metadata']} page types written as machine "
        f"metadata (with the model, score and time), {queued} {plural(queued, 'page')} put "
        "in the review queue, where the web app shows each page with the ink the model "
        "found" + (f"; {gold} more {plural(gold, 'is', 'are')} settled by a curator's label "
                   "already, so nobody is asked" if gold else "") + ".")
    return {"policy": section, "dry_run": report, "money_saved": round(saved, 2),
            f"money_saved_per_{PER}": {"estimate": proj["saved"], "ci95": proj["ci95"]},
            "written": done["written"]}


def stage_explain(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    import sqlalchemy as sa

    from ..review.explain import explain_item

    t = ws.store.t.predictions
    out: dict[str, Any] = {}
    with ws.store.read() as conn:
        rows = conn.execute(sa.select(t.c.item_id, t.c.label, t.c.score)
                            .order_by(t.c.score.desc(), t.c.item_id)).all()
    if not rows:
        say("No predictions to explain; skipping this stage.")
        return {"skipped": "no predictions"}
    picks: dict[str, str] = {}
    blank_rows = [r for r in rows if r[1] == "blank"]
    if blank_rows:
        picks["surest blank"] = blank_rows[0][0]
        picks["least sure blank"] = blank_rows[-1][0]
    content = [r for r in rows if r[1] == "content"]
    if content:
        picks["least sure content"] = content[-1][0]
    say("What a reviewer sees beside a page (the web app draws the boxes on the image):")
    for what, item_id in picks.items():
        exp = explain_item(ws, item_id)
        if exp is None:
            continue
        out[what] = {k: exp[k] for k in ("item", "p_blank", "action", "text")}
        out[what]["marks"] = exp["marks"][:3]
        say(f"  {item_id} ({what}): {exp['text']}")
    return out
