"""glamlab monitor"""

from __future__ import annotations

import sys
from datetime import datetime

import click

from ._common import emit, json_option, open_ws, show_progress


@click.command()
@click.option("--model", default=None, help="Model spec (default: the model in use).")
@click.option("--reference", type=click.Choice(["test", "first"]), default=None,
              help="Compare with the test-split predictions or the first production window.")
@click.option("--window", type=click.Choice(["run", "day", "week", "month", "auto"]),
              default=None, help="Cut production predictions by run or by time (tabular: "
              "week, month or auto; default: [monitor] window, else auto: weeks unless they are "
              "too small).")
@click.option("--min-window", type=int, default=None,
              help="Fewer items than this in a window: 'not enough data' (default 30).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Only windows ending on or after this date.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False), default=None,
              help="Write an offline HTML report with a plot per signal.")
@json_option
@click.pass_context
def monitor(ctx: click.Context, model: str | None, reference: str | None, window: str | None,
            min_window: int | None, since: datetime | None, html_path: str | None,
            as_json: bool) -> None:
    """Watch for drift: label mix, scores, inputs, reviewer overrides, failures.

    Exit status 3 when an alert fires (for cron). Alerts are stored and shown in the web app.
    """
    from ..monitoring.monitor import ALERT_EXIT_CODE
    from ..monitoring.monitor import monitor as run_monitor
    from ..progress import Heartbeat

    ws = open_ws(ctx)
    if ws.card.modality == "tabular":  # rows over time: drift causes, estimated performance
        from .tabular import monitor as monitor_rows

        return monitor_rows(ws, model=model, window=window, html_path=html_path,
                            since=since.date().isoformat() if since else None,
                            as_json=as_json)
    if window in ("month", "auto"):
        raise click.UsageError("--window month/auto is for tabular projects; use run, day or week")
    from ..said import said_on_the_command_line

    with Heartbeat("monitor", enabled=show_progress(as_json)) as beat, \
            said_on_the_command_line():  # too small a test split: --reference first
        report = run_monitor(ws, model, reference=reference, window=window,
                             min_window=min_window, since=since, note=beat.note)
    if reference is None and window is None and min_window is None and since is None:
        from ..monitoring.stored import store_report

        store_report(ws, report)  # the web app's reports page shows it at once
    if html_path:
        from ..files import open_private
        from ..reports.monitoring import render

        with open_private(html_path, "w", encoding="utf-8") as fh:
            fh.write(render(report))
    from ..reports.monitoring import text_note

    note = text_note(report)
    emit(report.to_dict(), as_json, lambda _d: report.summary() + (
        f"\nReport written to {html_path}." if html_path else "")
        + (f"\n{note}" if note else ""))
    if report.alerts:
        sys.exit(ALERT_EXIT_CODE)
