"""The ``glamlab`` command line: thin commands over the library.

Commands are loaded lazily so ``glamlab --help`` starts fast; each command module
imports heavy libraries inside its functions only.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

# name -> (module:function, one-line help). The help is here so that listing the
# commands imports nothing.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("glamlab.cli.workspace:init", "Create a workspace: glamlab.toml and its database."),
    "status": ("glamlab.cli.workspace:status", "Where the workspace stands, and the next step."),
    "migrate": ("glamlab.cli.workspace:migrate", "Upgrade the workspace database schema."),
    "db": ("glamlab.cli.db:db", "Export/import a workspace database (SQLite <-> PostgreSQL); schema status."),
    "ingest": ("glamlab.cli.ingest:ingest", "Read folders, IIIF manifests, ALTO/PAGE, text, CSV/JSONL/Parquet."),
    "items": ("glamlab.cli.items:items", "Count, list, show and filter items; see ingest errors."),
    "labels": ("glamlab.cli.labels:labels", "Gold labels: import, split train/test, sample, agreement."),
    "authority": ("glamlab.cli.entities:authority", "Import the authority file entity mentions link to."),
    "baseline": ("glamlab.cli.evaluate:baseline", "Fit and evaluate the baselines (prior, majority, rules, threshold)."),
    "predictors": ("glamlab.cli.predictors:predictors", "What each predictor is, needs, costs; which to try for this task."),
    "try-service": ("glamlab.cli.services:try_service", "Send a small sample to an external service: its labels, how they map, the cost."),
    "train": ("glamlab.cli.evaluate:train", "Fit a predictor on the train split and save it as a model."),
    "evaluate": ("glamlab.cli.evaluate:evaluate", "Leaderboard, intervals, comparisons and a verdict on the test split."),
    "models": ("glamlab.cli.models:models", "List saved models with aliases and test scores; promote, rollback."),
    "retrain": ("glamlab.cli.models:retrain", "Retrain on labels + corrections; the gate decides if it replaces the model in use."),
    "monitor": ("glamlab.cli.monitor:monitor", "Watch for drift; exit status 3 when an alert fires."),
    "trends": ("glamlab.cli.trends:trends", "Shares of labels per year/decade/field, corrected, with 95% intervals."),
    "concepts": ("glamlab.cli.concepts:concepts", "Find passages by meaning (a phrase or examples): index, search."),
    "serve": ("glamlab.cli.serve:serve", "Start the web app: labelling, review queue, reports, JSON API."),
    "users": ("glamlab.cli.serve:users", "Manage web app users and roles: add, list, remove, token, tokens, revoke."),
    "demo": ("glamlab.cli.demo:demo", "Run a whole project on a bundled sample collection."),
    "run": ("glamlab.cli.run:run", "Run a model over the collection; resumable, parallel, Ray."),
    "runs": ("glamlab.cli.run:runs", "List runs with status, counts, throughput and failures."),
    "backtest": ("glamlab.cli.tabular:backtest", "Tabular: rolling-origin backtest by month, baselines first, with intervals."),
    "capacity": ("glamlab.cli.tabular:capacity", "Tabular: extra places per slot for a risk of going over capacity, replayed in money."),
    "link": ("glamlab.cli.entities:link", "Entities: link the model's predicted spans to the authority file."),
    "review": ("glamlab.cli.review:review", "The review queue as a file: list it, decide in a sheet, import the decisions."),
    "act": ("glamlab.cli.act:act", "Apply the policy: accept, review or reject; dry run; optimise thresholds."),
    "export": ("glamlab.cli.act:export", "Export predictions with provenance: CSV, JSONL, Parquet, Web Annotation, IIIF, filter lists."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module_name, attr = spec[0].split(":")
        return getattr(importlib.import_module(module_name), attr)  # type: ignore[no-any-return]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-w", "--workspace", envvar="GLAMLAB_WORKSPACE", default=".", show_default=True,
              type=click.Path(file_okay=False), help="Workspace folder.")
@click.option("--db", envvar="GLAMLAB_DB", default=None,
              help="Database URL (postgresql://...) instead of the workspace's glamlab.db.")
@click.version_option(package_name="glamlab")
@click.pass_context
def cli(ctx: click.Context, workspace: str, db: str | None) -> None:
    """glamlab: machine learning for digitised collections, from the need to the catalogue.

    \b
    A project goes through these stages:
      init -> ingest -> labels -> baseline -> train -> evaluate -> run -> act -> monitor
    `glamlab status` says where yours stands and what to do next.

    \b
    Exit status:
      0    all good
      1    some items failed (each recorded with its reason); the rest was done
      2    a usage or input error: the message on stderr says the fix
      3    glamlab monitor: an alert fired
      130  stopped by Ctrl-C (glamlab run --resume finishes a run)
      143  glamlab run stopped by SIGTERM (a scheduler's notice; --resume finishes it)
    """
    ctx.ensure_object(dict)
    ctx.obj["workspace"] = workspace
    ctx.obj["db"] = db
    from ..said import said_on_the_command_line

    # every command's refusals name the fix as the command line takes it (--labels a,b),
    # not as Python's arguments, for as long as the command runs
    ctx.with_resource(said_on_the_command_line())


def main(argv: list[str] | None = None) -> Any:
    from ..errors import GlamlabError

    try:
        return cli.main(args=argv, prog_name="glamlab", standalone_mode=False)
    except GlamlabError as exc:
        click.echo(f"error: {exc.message}", err=True)
        if exc.hint:
            click.echo(f"fix: {exc.hint}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
