"""glamlab models [list|promote|rollback] and glamlab retrain"""

from __future__ import annotations

import click

from ._common import emit, json_option, open_ws


@click.group(invoke_without_command=True)
@json_option
@click.pass_context
def models(ctx: click.Context, as_json: bool) -> None:
    """List saved models (versions, aliases, metrics); choose the model in use or go back.

    \b
      glamlab models                       list them
      glamlab models promote NAME@N        make version N the model in use (NAME's
                                           chosen version: NAME@champion)
      glamlab models use NAME              run, act and export use NAME's chosen version
                                           (NAME@N only if N is the chosen one)
      glamlab models rollback NAME         go back to NAME's previously chosen version
    """
    if ctx.invoked_subcommand is None:
        from .evaluate import models as list_models

        ctx.invoke(list_models, as_json=as_json)


@models.command("promote")
@click.argument("spec")
@json_option
@click.pass_context
def promote(ctx: click.Context, spec: str, as_json: bool) -> None:
    """Make SPEC (NAME@N or NAME@challenger) the chosen version of NAME (its champion
    alias), bypassing the gate (audited), and NAME the project's model in use (what run, act and export use without --model)."""
    from ..retraining.retrain import promote as do_promote

    ws = open_ws(ctx)
    # the Python API's promote: the champion of its name and the model in use, both
    mv = do_promote(ws, spec, actor=_actor(), reason="promoted by hand")
    emit(mv.to_dict(), as_json, lambda d: f"{mv.spec} is now the model in use: the one "
                                          "glamlab run, act and export use.")


@models.command("use")
@click.argument("name")
@json_option
@click.pass_context
def use(ctx: click.Context, name: str, as_json: bool) -> None:
    """Make NAME's chosen version the model in use: the one run, act and export use
    without --model (the evaluate verdict sets it to the model it finds best; this is the
    person's choice). A version of NAME chosen later (retrain, promote) takes over. NAME@N
    is accepted only when version N is the chosen one: promote it first (glamlab models
    promote NAME@N)."""
    from ..registry import use_model

    ws = open_ws(ctx)
    mv = use_model(ws, name, actor=_actor(), reason="chosen by hand")
    emit(mv.to_dict(), as_json,
         lambda d: f"glamlab run (then act and export, on what it predicts) will now use "
                   f"{mv.spec} (the chosen version of {mv.name}): it is the model in use.")


@models.command("rollback")
@click.argument("name")
@json_option
@click.pass_context
def rollback(ctx: click.Context, name: str, as_json: bool) -> None:
    """Go back to NAME's previously chosen version (the one in use before the last
    promotion)."""
    from ..retraining.retrain import rollback as do_rollback

    ws = open_ws(ctx)
    mv = do_rollback(ws, name, actor=_actor())
    emit(mv.to_dict(), as_json, lambda d: f"Rolled back: {mv.spec} is the chosen version of {mv.name} "
                                          "again.")


@click.command()
@click.option("--model", default=None, help="Which model's chosen version to challenge (default: "
              "the model in use).")
@click.option("--n-boot", type=int, default=1000, show_default=True)
@click.option("--window-start", default=None, help="Tabular: the first date of the newest "
              "labelled window (default: its last 28 days).")
@click.option("--recent-days", type=int, default=90, show_default=True,
              help="Tabular: how many days before the window the recent challenger learns from.")
@click.option("--force", is_flag=True, help="Train and compare a new version even when "
              "nothing is new since the current model was trained (it uses the test split "
              "once; a version that learned nothing new is never promoted).")
@json_option
@click.pass_context
def retrain(ctx: click.Context, model: str | None, n_boot: int, window_start: str | None,
            recent_days: int, force: bool, as_json: bool) -> None:
    """Train a challenger on gold training labels plus reviewers' corrections, compare it
    with the champion on the frozen test split (paired), and promote it only if it passes
    the [gate] in glamlab.toml. With no reviewer corrections or new labels since the
    champion was trained, nothing is trained and the test split is not used (exit status
    0; "trained": false with --json)."""
    from ..retraining.retrain import retrain as do_retrain

    ws = open_ws(ctx)
    if ws.card.modality == "tabular":
        if force:
            raise click.UsageError("--force does not apply to a tabular project: its "
                                   "retrain saves a new version only when it wins on the "
                                   "newest labelled window; leave --force out")
        from .tabular import retrain as retrain_rows

        return retrain_rows(ws, model=model, window_start=window_start,
                            recent_days=recent_days, as_json=as_json)
    report = do_retrain(ws, model, n_boot=n_boot, actor=_actor(), force=force)
    emit(report.to_dict(), as_json, lambda _d: report.summary())


def _actor() -> str:
    from ..workspace import current_user

    return current_user()
