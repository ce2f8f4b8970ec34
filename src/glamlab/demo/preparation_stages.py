"""The demo's preparation stages: ingest, labels, baselines, a trained model, evaluation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .projects import DEMO_MODELS, LABELS, LANGUAGE_RULES, UNLABELLED, DemoProject, Say, demo_data

if TYPE_CHECKING:
    from ..workspace import Workspace


def stage_ingest(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    report = ws.ingest(p.ingest, **p.ingest_options)
    say(f"Ingested the sample collection: {report.summary()}.")
    return report.to_dict()


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


def _rules_toml(ws: Workspace) -> str:
    lines = ["# Demo rules: a few function words per language. Edit and rerun glamlab baseline.",
             ""]
    for label, pattern in LANGUAGE_RULES.items():
        if label in ws.card.labels:
            lines += ["[[rule]]", f'name = "{label}-words"', f'label = "{label}"',
                      f"text = '(?i){pattern}'", ""]
    return "\n".join(lines)


def stage_labels(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
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
    from ..evaluation import evaluate, model_candidates
    from ..reports.evaluation import leaderboard_text, write_report

    result = evaluate(ws, model_candidates(ws), min_slice=10)
    html = write_report(result, ws.root / "report.html", workspace=ws)
    say("Evaluated every candidate on the frozen test split:")
    for line in leaderboard_text(result).splitlines():
        if not line.startswith("verdict:"):  # said once, in plain words, below
            say("  " + line)
    say(f"In plain words: {result.verdict}")
    say(f"The full report (confusion matrices, per-label scores, slices) is {html}.")
    return {"leaderboard": list(result.leaderboard), "verdict": result.verdict,
            "report": str(html), "warnings": result.warnings}


def stage_train(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    from ..errors import MissingDependency
    from ..predictors.catalogue import available
    from ..registry.training import train

    names = available()
    for predictor, name in DEMO_MODELS.get(p.name, []):
        if predictor not in names:
            continue
        try:
            result = train(ws, predictor, name=name, reuse=True, progress=True)
        except MissingDependency as exc:
            say(f"Skipping {predictor}: {exc.message} ({exc.hint}).")
            continue
        mv = result.model
        say(f"Trained {predictor} on the {result.train_items:,} training items and saved it as "
            f"{mv.spec}" + (" (the model in use: runs, act and exports use it)."
                             if "in-use" in mv.aliases else "."))
        for note in result.notes:
            say(f"  Note: {note}")
        return {"model": mv.spec, "predictor": predictor, "champion": result.champion}
    say("No trainable model is installed for this demo; continuing with the baselines.")
    return {"model": None}
