"""glamlab run / glamlab runs"""

from __future__ import annotations

import signal
import sys
from typing import Any

import click

from ..errors import EXIT_ITEMS_FAILED, EXIT_STOPPED, EXIT_TERMINATED
from ..store import utc_iso, utc_minutes
from ._common import emit, json_option, open_ws, show_progress, table


@click.command()
@click.option("--model", "model_spec", metavar="NAME[@alias]",
              help="Model version: NAME (latest), NAME@alias or NAME@N. Default: the model in use.")
@click.option("--items", "items_query", metavar="QUERY",
              help="Only items matching QUERY, e.g. 'collection=maps', 'label=graphic', "
                   "'split=test', 'unlabelled', 'pred.blank@champion=content', 'changed' "
                   "(re-ingested since this model predicted them, metadata-only changes "
                   "included; with --force).")
@click.option("--workers", type=int, default=None,
              help="Worker processes (default: the number of cores; 0 = in this process).")
@click.option("--batch-size", type=int, default=None,
              help="Items per batch; each batch is stored atomically. [default: 256]")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local worker processes, or an existing Ray cluster.")
@click.option("--address", metavar="ADDR", help="Ray cluster address (with --engine ray).")
@click.option("--resume", is_flag=True,
              help="Continue the latest unfinished run of this model instead of starting one.")
@click.option("--force", is_flag=True,
              help="Predict again the items this model version has already predicted.")
@click.option("--timeout", type=float, default=300.0, show_default=True,
              help="Seconds allowed per item before it is recorded as failed.")
@json_option
@click.pass_context
def run(ctx: click.Context, model_spec: str | None, items_query: str | None,
        workers: int | None, batch_size: int | None, engine: str, address: str | None,
        resume: bool, force: bool, timeout: float, as_json: bool) -> None:
    """Run a model over the collection and store one prediction per item.

    Items this model version has already predicted are skipped, so running again (or
    with --resume) after a crash or Ctrl-C finishes the job; items whose text or image
    was re-ingested since (corrected OCR, a new scan) are predicted again. Items
    re-ingested with new metadata only keep their prediction until --force --items changed.
    Items that cannot be predicted are recorded with the reason and the run goes on.
    With --json, warnings are a list under "warnings", as other commands give them; the
    old "warning" string (starting "warning: ") goes in the next release.

    \b
    Examples:
      glamlab run --model illustrations@champion
      glamlab run --model lang@3 --items collection=letters --workers 4
      glamlab run --force --items changed    # every item re-ingested since
      glamlab run --resume
      glamlab run --engine ray --address 10.0.0.5:6379
      glamlab runs --failures 12
    """
    from ..inference import run as run_model

    ws = open_ws(ctx)
    try:
        report = run_model(ws, model_spec, items_query, workers=workers, batch_size=batch_size,
                           engine=engine, address=address, resume=resume, force=force,
                           timeout=timeout, progress=show_progress(as_json),
                           raise_on_interrupt=False, cli=True)
    finally:
        ws.close()
    emit(report.to_dict(), as_json, lambda d: report.summary(cli=True))
    if report.status == "stopped":  # 143 for SIGTERM, what a batch scheduler reads
        sys.exit(EXIT_TERMINATED if report.signum == signal.SIGTERM else EXIT_STOPPED)
    if report.status == "failed" or report.failed_now:
        sys.exit(EXIT_ITEMS_FAILED)


def _runs_text(rows: list[dict[str, Any]]) -> str:
    # the status as words: "done, 2 failed" for a run that finished with failures; the
    # time as the rest of the command line and the web app say it (2026-12-05 08:53 UTC)
    rows = [{**r, "status": r.get("status_words", r["status"]),
             "started_at": utc_minutes(r["started_at"])} for r in rows]
    return table(rows, ["run_id", "model", "status", "planned", "done", "failed", "remaining",
                        "items_per_s", "engine", "workers", "items", "started_at"])


@click.command()
@click.option("--failures", "failures_of", type=int, metavar="RUN_ID",
              help="List the items that run could not predict, with the reason.")
@click.option("--limit", type=int, default=None, help="At most this many rows.")
@json_option
@click.pass_context
def runs(ctx: click.Context, failures_of: int | None, limit: int | None, as_json: bool) -> None:
    """List runs with status, counts, throughput and model version.

    \b
    Examples:
      glamlab runs
      glamlab runs --failures 3 --json
    """
    from ..inference import list_runs, run_failures

    ws = open_ws(ctx)
    try:
        if failures_of is not None:
            rows = run_failures(ws, failures_of, limit=limit)
            emit([{k: utc_iso(v) for k, v in f.items()} for f in rows] if as_json else rows,
                 as_json, lambda r: table([{**f, "at": utc_minutes(f["at"])} for f in r],
                                          ["item_id", "reason", "at"])
                 if r else f"run {failures_of} has no failures")
        else:
            rows = list_runs(ws, limit=limit)
            # --json: times in ISO 8601 saying UTC (...Z), as glamlab run --json gives them
            emit([{k: utc_iso(v) for k, v in r.items()} for r in rows] if as_json else rows,
                 as_json, lambda r: _runs_text(r) if r else
                 "no runs yet: start one with glamlab run --model NAME")
    finally:
        ws.close()
