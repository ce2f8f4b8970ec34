"""glamlab baseline, train, evaluate, models."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ..said import said_on_the_command_line
from ._common import emit, json_option, open_ws, show_progress, table

if TYPE_CHECKING:
    from ..evaluation import EvaluationResult


def _leaderboard(result: EvaluationResult, ws: Any) -> str:
    from ..reports.evaluation import leaderboard_text

    # a table's classes are its outcomes: f1_macro is said to be the average over them
    return leaderboard_text(result, noun="outcome" if ws.card.modality == "tabular"
                            else "label")


def _write_html(ws: Any, result: EvaluationResult, html: str | None) -> str | None:
    if not html:
        return None
    from ..reports.evaluation import write_report

    return str(write_report(result, html, workspace=ws))


@click.command()
@click.option("--rules", "rules_file", type=click.Path(dir_okay=False), default=None,
              help="A TOML rules file (regexes and conditions -> labels).")
@click.option("--threshold", "threshold", default=None,
              help="Classification: statistic for the threshold baseline (dark_ratio, "
                   "mean_darkness, contrast, "
                   "text_length, digit_ratio, alpha_ratio, upper_ratio).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--html", type=click.Path(dir_okay=False), default=None,
              help="Write the evaluation report to this HTML file.")
@json_option
@click.pass_context
def baseline(ctx: click.Context, rules_file: str | None, threshold: str | None, seed: int,
             html: str | None, as_json: bool) -> None:
    """Fit and evaluate the baselines of the project's task kind; measure these before
    any model. A classification project's: prior, majority, and rules / threshold when
    configured ([baseline] in glamlab.toml, a rules.toml in the workspace, or the
    options). An entities project's: a lookup list of the entity names marked in the
    training texts (gazetteer), and patterns for dates and titles (entity-rules; --rules
    gives a file of your own); --threshold is for classification only.

    \b
    A classification rules file:
      default = "no_graphic"
      [[rule]]
      name = "plate"
      label = "graphic"
      priority = 10
      text = '(?i)\\b(plate|fig)\\b'
      meta = { collection = '^maps$' }
    """
    from ..evaluation import evaluate, fit_baselines

    ws = open_ws(ctx)
    if rules_file:
        from pathlib import Path

        rules_file = str(Path(rules_file).resolve())
    cands, rules = fit_baselines(ws, rules_file=rules_file, threshold=threshold, seed=seed,
                                 progress=show_progress(as_json))
    result = evaluate(ws, cands, seed=seed, progress=show_progress(as_json))
    written = None
    if html:
        from ..reports.evaluation import rules_section, write_report

        written = str(write_report(result, html, workspace=ws,
                                   extra=[rules_section(rules)] if rules else None))
    data = result.to_dict()
    data["rules_report"] = rules or None
    data["html"] = written

    def text(_: Any) -> str:
        lines = [_leaderboard(result, ws)]
        if rules:
            lines.append(f"\nRules on the {rules['labelled']:,} labelled training items "
                         f"(any rule fires on {rules['coverage']:.0%}):")
            lines.append(table(rules["rules"], ["rule", "label", "priority", "coverage",
                                                "overlaps", "conflicts", "correct", "incorrect",
                                                "empirical_accuracy"]))
        if written:
            lines.append(f"Report: {written}")
        return "\n".join(lines)

    emit(data, as_json, text)


@click.command()
@click.argument("predictor", required=False)
@click.option("--name", default=None, help="Model name (default: the predictor's).")
@click.option("--param", "params", multiple=True, help="Predictor parameter KEY=VALUE.")
@click.option("--allow-leaky", is_flag=True, help="Tabular: train even though a column "
              "predicts the outcome almost perfectly on its own.")
@json_option
@click.pass_context
def train(ctx: click.Context, predictor: str | None, name: str | None,
          params: tuple[str, ...], allow_leaky: bool, as_json: bool) -> None:
    """Fit PREDICTOR on the train split (never the test split) and save it as a new
    model version; the first version of a name becomes its champion. The project's first
    champion is the model in use (what run, act and export use); a later name's champion
    is used only once chosen (glamlab evaluate, glamlab models promote or use).

    Without PREDICTOR, lists the ones recommended for this task (exit status 0; nothing
    is trained). `glamlab predictors` says what every predictor is, needs and costs.
    """
    from ..registry.training import parse_params
    from ..registry.training import train as train_model

    ws = open_ws(ctx)
    if ws.card.modality == "tabular":
        from .tabular import train as train_rows

        return train_rows(ws, predictor or "tabular-gbm", name=name, params=parse_params(params),
                          allow_leaky=allow_leaky, as_json=as_json)
    if predictor is None:  # a listing, asked for: exit status 0 (like glamlab predictors)
        from ..predictors.catalogue import describe, recommended, task_family
        from ..predictors.services import describe as services

        picks = [describe(n) for n in recommended(ws.card)]
        data = {"task": task_family(ws.card), "recommended": picks, "services": services(ws)}
        emit(data, as_json, lambda d: "\n".join(
            [f"Which predictor? Recommended for this {d['task']} task, best bet first:"]
            + [f"  glamlab train {p['name']:<18} {p['summary']} (needs {p['needs']}; "
               f"{p['speed']})" for p in d["recommended"]]
            + [f"  glamlab train {p['name']:<18} an external service ({p['cost']})"
               for p in d["services"]]
            + ["All of them: glamlab predictors"]))
        return
    with said_on_the_command_line():  # an unknown predictor: glamlab predictors lists them
        res = train_model(ws, predictor, name=name, params=parse_params(params),
                          progress=show_progress(as_json))

    def text(_: Any) -> str:
        if res.model.predictor.startswith("service:"):
            lines = [f"Saved {res.model.spec} ({res.model.predictor}): a service needs no "
                     "training, and nothing was sent to it."]
        elif not res.trained:  # pretrained, used as shipped: it learned nothing here
            lines = [f"Saved {res.model.spec} ({predictor}) as shipped: a pretrained model, "
                     f"not trained on this project's {res.train_items:,} training items."]
        else:
            lines = [f"Trained {res.model.spec} ({predictor}) on {res.train_items:,} "
                     "training items."]
        if res.champion and "in-use" in res.model.aliases:
            lines.append(f"It is the chosen version of {res.model.name} (the first one), "
                         "and the model in use: glamlab run, act and export use it.")
        elif res.champion:
            lines.append(f"It is the chosen version of {res.model.name} (the first one); the "
                         f"model in use stays {_in_use_spec(ws)}: to use this one instead, "
                         f"glamlab models promote {res.model.spec}.")
        lines.extend(res.notes)
        lines.append(f"Compare it with the baselines: glamlab evaluate {res.model.spec}")
        return "\n".join(lines)

    emit(res.to_dict(), as_json, text)


@click.command()
@click.argument("models", nargs=-1)
@click.option("--slice", "slices", multiple=True,
              help="Metadata field to break the results down by (repeatable; default: "
                   "fields with a few values).")
@click.option("--min-slice", type=int, default=20, show_default=True,
              help="Smallest slice that is tested for being worse than the whole.")
@click.option("--n-boot", type=int, default=1000, show_default=True, help="Bootstrap resamples.")
@click.option("--threshold", type=float, default=None,
              help="Multi-label: a label is predicted when its score reaches this "
                   "(default: [task] threshold in glamlab.toml, 0.5).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--html", type=click.Path(dir_okay=False), default=None,
              help="Write a self-contained HTML report to this file.")
@click.option("--history", is_flag=True,
              help="List the stored evaluations (newest first) instead of evaluating.")
@json_option
@click.pass_context
def evaluate(ctx: click.Context, models: tuple[str, ...], slices: tuple[str, ...],
             min_slice: int, n_boot: int, threshold: float | None, seed: int,
             html: str | None,
             history: bool, as_json: bool) -> None:
    """Evaluate baselines and models (MODEL: NAME, NAME@ALIAS or NAME@N; default: every
    saved model) on the frozen test split: leaderboard, intervals, paired comparisons,
    slices, and a verdict."""
    from ..evaluation import candidates_for
    from ..evaluation import evaluate as run_evaluation

    ws = open_ws(ctx)
    if history:
        from ..evaluation import history as stored

        rows = stored(ws)
        for r in rows:
            r["test_split"] = (r["test_fingerprint"] or "")[:12]
        emit(rows, as_json, lambda r: table(r, ["id", "created_at", "candidate", "metric",
                                                "value", "low", "high", "test_split"]))
        return
    from ..progress import Heartbeat

    cands = candidates_for(ws, list(models) or None, seed=seed)
    with Heartbeat("evaluate", enabled=show_progress(as_json)), \
            said_on_the_command_line():  # a --slice field no test item has
        result = run_evaluation(ws, cands, n_boot=n_boot, seed=seed,
                                slice_fields=list(slices) or None, min_slice=min_slice,
                                progress=show_progress(as_json), threshold=threshold)
    written = _write_html(ws, result, html)
    data = result.to_dict()
    data["html"] = written
    emit(data, as_json, lambda _: _leaderboard(result, ws) + (f"\nReport: {written}"
                                                               if written else ""))


@click.command()
@json_option
@click.pass_context
def models(ctx: click.Context, as_json: bool) -> None:
    """List saved models: versions, aliases, training data and test score.

    With --json, each model's aliases are a list, as train and models use give them (one
    comma-separated string before this release)."""
    from ..registry import describe_models

    ws = open_ws(ctx)
    rows = describe_models(ws)  # aliases: a list in the JSON, as train and models use give
    # a model no evaluation scored yet: a dash, and why, rather than empty cells
    unscored = [row["model"] for row in rows if row.get("score") is None]
    emit(rows, as_json, lambda r: "\n".join([table(
        [{**row, "aliases": ",".join(row["aliases"]),
          "train_items": "—" if row.get("train_items") is None else row["train_items"],
          "metric": row.get("metric") or "—",
          "score": "—" if row.get("score") is None else row["score"]} for row in r],
        ["model", "predictor", "aliases", "train_items", "metric", "score", "created_at"]),
        *(f"{row['model']}: {row['note']}" for row in r if row.get("note")),
        *([f"— in metric and score: not scored on the test split yet "
           f"({', '.join(unscored)}); glamlab evaluate scores "
           f"{'it' if len(unscored) == 1 else 'them'}"
           + (" (glamlab backtest scores a table model month by month)"
              if ws.card.modality == "tabular" else "") + "."] if unscored else [])]))


def _in_use_spec(ws: Any) -> str:
    """The model in use (the champion run, act and export use), for a sentence."""
    from ..errors import ModelNotFound
    from ..registry import champion

    try:
        return champion(ws).spec
    except ModelNotFound:
        return "none"
