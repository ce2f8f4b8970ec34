"""Demo stages for labels, baselines and evaluation (called from :mod:`glamlab.demo`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..demo import DemoProject, Say
    from ..workspace import Workspace

# demo -> (labels file, label column, group-by field)
LABELS = {
    "illustrations": ("illustrations/labels.csv", "label", "document"),
    "language": ("language/texts.csv", "label", None),
    "subjects": ("subjects/records.csv", "subjects", None),
}

# Items that "arrive later": not labelled, so production (and the monitor) meets them new.
UNLABELLED = {"illustrations": ("collection", "manuscripts")}


def _without(src: Any, dest: Any, field: str, value: str) -> Any:
    """A copy of the labels file without the rows whose ``field`` is ``value``."""
    import csv

    with open(src, encoding="utf-8", newline="") as fh, \
            open(dest, "w", encoding="utf-8", newline="") as out:
        reader = csv.DictReader(fh)
        writer = csv.DictWriter(out, fieldnames=reader.fieldnames or [])
        writer.writeheader()
        for row in reader:
            if row.get(field) != value:
                writer.writerow(row)
    return dest


# "Could this be a regular expression?": a few function words per language.
LANGUAGE_RULES = {
    "en": r"\b(the|and|of|with|which)\b", "fr": r"\b(le|les|des|est|une|avec)\b",
    "de": r"\b(und|der|die|das|nicht|ist)\b", "es": r"\b(el|los|las|del|que|por)\b",
    "it": r"\b(il|della|che|gli|sono|per)\b", "nl": r"\b(het|een|van|niet|zijn)\b",
    "pt": r"\b(não|uma|dos|das|com|em)\b", "la": r"\b(est|et|in|ad|quod|sunt)\b",
    "sv": r"\b(och|att|det|som|inte|är)\b", "da": r"\b(og|det|af|ikke|er|til)\b",
    "pl": r"\b(się|nie|jest|że|na)\b", "fi": r"\b(ja|on|että|ei|ovat)\b",
}


def _rules_toml(ws: Workspace) -> str:
    lines = ["# Demo rules: a few function words per language. Edit and rerun glamlab baseline.",
             ""]
    for label, pattern in LANGUAGE_RULES.items():
        if label in ws.card.labels:
            lines += ["[[rule]]", f'name = "{label}-words"', f'label = "{label}"',
                      f"text = '(?i){pattern}'", ""]
    return "\n".join(lines)


def stage_labels(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    from ..demo import demo_data
    from ..tasks import import_labels, label_counts, split_labels, split_of

    rel, column, group_by = LABELS[p.name]
    folder, _, name = rel.partition("/")
    path = demo_data(folder) / name
    later = UNLABELLED.get(p.name)
    if later:
        path = _without(path, ws.root / f"labelled-{name}", *later)
    report = import_labels(ws, path, label_column=column)
    say(f"Imported the curators' labels from {name}: {report.summary()}.")
    if later:
        say(f"The {later[1]} ({later[0]} = {later[1]!r}) arrived later and are not labelled: "
            "the model will meet them for the first time in production, and the monitor "
            "will compare them with what it was tested on.")
    if split_of(ws):
        say("The items are already split into train and test; keeping that split.")
        split = None
    else:
        split = split_labels(ws, test_size=0.3, seed=0, group_by=group_by)
        grouped = (f" Pages of one {group_by} stay together, so the test measures pages from "
                   "documents the models have never seen.") if group_by else ""
        say(f"Set aside a test set: {split.summary()}.{grouped}")
    return {"import": report.to_dict(), "split": split.to_dict() if split else None,
            "counts": label_counts(ws)}


def stage_baseline(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    from ..evaluation import fit_baselines

    if p.name == "language" and not (ws.root / "rules.toml").exists():
        (ws.root / "rules.toml").write_text(_rules_toml(ws), encoding="utf-8")
        say("Wrote rules.toml: one regular expression of common words per language.")
    cands, rules = fit_baselines(ws)
    say("Fitted the baselines on the training split: " + ", ".join(c.name for c in cands) + ".")
    if rules:
        best = max(rules["rules"], key=lambda r: (r["empirical_accuracy"] or 0, r["coverage"]))
        say(f"The rules fire on {rules['coverage']:.0%} of the training items; the best rule "
            f"({best['rule']}) is right {best['empirical_accuracy'] or 0:.0%} of the time it "
            "fires.")
    return {"baselines": [c.spec for c in cands], "rules_report": rules or None}


def stage_evaluate(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    from ..evaluation import evaluate, model_candidates, write_report
    from .report import leaderboard_text

    result = evaluate(ws, model_candidates(ws), min_slice=10)
    html = write_report(result, ws.root / "report.html", workspace=str(ws.root))
    say("Evaluated every candidate on the frozen test split:")
    for line in leaderboard_text(result).splitlines():
        say("  " + line)
    say(f"In plain words: {result.verdict}")
    say(f"The full report (confusion matrices, per-label scores, slices) is {html}.")
    return {"leaderboard": result.leaderboard(), "verdict": result.verdict,
            "report": str(html), "warnings": result.warnings}
