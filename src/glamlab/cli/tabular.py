"""glamlab backtest | capacity, and the tabular paths of ingest, labels split, train,
monitor and retrain (the common commands call these when the card's modality is
``tabular``)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from ._common import emit, json_option, open_ws

if TYPE_CHECKING:
    from ..workspace import Workspace


def _write_html(path: str, title: str, sections: list[Any]) -> None:
    from ..reports.html import write_page

    write_page(path, title, sections)


@click.command()
@click.option("--model", default="tabular-gbm", show_default=True,
              help="The predictor to backtest after the baselines, or a saved model "
                   "(NAME@VERSION) retrained each month with its settings.")
@click.option("--param", "params", multiple=True, help="Predictor parameter KEY=VALUE.")
@click.option("--since", default=None, help="First month (default: the time split's cutoff).")
@click.option("--until", default=None, help="Last date (default: the last row).")
@click.option("--count/--per-row", "count", default=None,
              help="Score the number of 'yes' per slot and group column (MAE) or each row "
                   "(F1); default: counts for a count task ([count] in the card), else rows.")
@click.option("--n-boot", type=int, default=200, show_default=True,
              help="Bootstrap resamples (whole weeks) for the 95% intervals.")
@click.option("--allow-leaky", is_flag=True, help="Backtest even though a column predicts "
              "the outcome almost perfectly on its own (refused by default, as in train).")
@click.option("--html", "html_path", type=click.Path(dir_okay=False), default=None,
              help="Write an offline HTML report with the error by month.")
@json_option
@click.pass_context
def backtest(ctx: click.Context, model: str, params: tuple[str, ...], since: str | None,
             until: str | None, count: bool | None, n_boot: int, allow_leaky: bool,
             html_path: str | None, as_json: bool) -> None:
    """Rolling-origin backtest of a tabular project: each month, train on every row
    before it and predict it; the baselines (training share, last period, same period
    last year) first, then the model; 95% intervals by resampling whole weeks."""
    from ..evaluation.tabular import project_backtest
    from ..registry.training import parse_params

    ws = open_ws(ctx)
    report = project_backtest(ws, model=model, params=parse_params(params), since=since,
                              until=until, count=count, n_boot=n_boot, allow_leaky=allow_leaky)
    if html_path:
        from ..reports.tabular import backtest_sections

        _write_html(html_path, "Backtest", backtest_sections(report))
    from ..reports.tabular import backtest_text_note

    emit(report.to_dict(), as_json, lambda _d: report.summary() + (
        f"\nReport written to {html_path}." if html_path else "")
        + "\n" + backtest_text_note(report))


@click.command()
@click.option("--risk", type=float, default=None,
              help="Accepted chance of a slot going over capacity (default [decision] risk, "
                   "0.05).")
@click.option("--slot", default=None, help="Slot length: h (hour), D (day), W (week), "
              "M (month); default [decision] slot, D.")
@click.option("--price", type=float, default=None, help="What an extra place earns.")
@click.option("--over-cost", type=float, default=None,
              help="What a person over capacity costs.")
@click.option("--since", default=None, help="First date (default: after the training period).")
@click.option("--until", default=None, help="End date (exclusive).")
@click.option("--model", default=None, help="Model spec (default: the model in use).")
@click.option("--calibrated/--uncalibrated", "calibrate", default=None,
              help="Plan from the outcomes of recent slots (default, [decision] calibrate) or "
                   "take the model's probabilities at their word.")
@click.option("--window", type=int, default=None,
              help="Recent slots the calibration looks at (default [decision] window, 60).")
@click.option("--lead", type=int, default=None,
              help="Slots between a slot and the first plan that knows its outcome (default "
                   "[decision] lead, 1: sold at the door, yesterday's outcomes known; 7 for "
                   "places sold a week ahead of daily slots).")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), default=None,
              help="Write the plan (one row per slot) as CSV.")
@json_option
@click.pass_context
def capacity(ctx: click.Context, risk: float | None, slot: str | None, price: float | None,
             over_cost: float | None, since: str | None, until: str | None,
             model: str | None, calibrate: bool | None, window: int | None,
             lead: int | None, csv_path: str | None, as_json: bool) -> None:
    """Extra places to sell per slot (a day per group column) for a chosen risk of being
    over capacity, from the champion's probabilities calibrated on the outcomes of recent
    slots; with the outcomes known, what that would have earned and cost (and what taking
    the model at its word would have)."""
    from ..actions.capacity import plural, project_capacity
    from ..config import SLOT_WORDS

    ws = open_ws(ctx)
    out = project_capacity(ws, risk=risk, price=price, over_cost=over_cost, freq=slot,
                           since=since, until=until, model=model, calibrate=calibrate,
                           window=window, lead=lead)
    if csv_path:
        from ..actions.capacity import write_plan_csv

        write_plan_csv(csv_path, out["plan"])

    def text(_: Any) -> str:
        lines = [f"{out['extra']:,} extra {plural(out['extra'], 'place')} over {out['slots']:,} "
                 f"{plural(out['slots'], 'slot')} (a slot: {out['slot_unit']}) from "
                 f"{out['first']} to {out['last']}, risk {out['risk']:.0%} per slot "
                 f"({out['model']})."]
        if out["past_only"]:
            lines.append(f"Every slot of this plan is past (its outcomes are in): it replays "
                         "what the plan would have done, with nothing left to sell. To plan "
                         f"the {SLOT_WORDS.get(out['slot'], 'period')}s ahead: ingest their "
                         "bookings (without outcomes), then run glamlab capacity again.")
        cal = out["calibration"]
        if cal:
            later = ("the next slot" if cal["lead"] == 1 else f"{cal['lead']} slots later")
            lines.append(f"Calibrated on the outcomes of the latest {cal['window']} slots as they "
                         f"come in (a slot's outcome is used from {later}); started on "
                         f"{cal['source']}.")
        cur = out.get("currency", "")
        r0 = out["replay"]
        if r0 and r0["extra_sold"] and not (r0["earned"] or r0["cost"]):
            lines.append("No price is set, so the money below is 0: give --price and "
                         "--over-cost (or price and over_cost in the card's [decision]).")
        for key, what in (("replay", "Replayed on the known outcomes"),
                          ("replay_uncalibrated", "Taking the model at its word instead")):
            if out[key]:
                lines.append(replay_line(what, out[key], cur))
                if key == "replay":
                    lines.append(f"  That is {out[key]['chance_words']}.")
        if csv_path:
            lines.append(f"Plan written to {csv_path}.")
        return "\n".join(lines)

    emit(out, as_json, text)


def replay_line(what: str, r: dict[str, Any], currency: str) -> str:
    """A replayed plan (``r``: :meth:`glamlab.actions.capacity.CapacityReplay.to_dict`)
    as ``glamlab capacity`` says it, each count in the singular or plural it needs."""
    from ..actions.capacity import people, plural

    return (f"{what}: {r['extra_sold']:,} extra {plural(r['extra_sold'], 'place')} earned "
            f"{r['earned']:,.0f} {currency}, {r['over_capacity_slots']:,} "
            f"{plural(r['over_capacity_slots'], 'slot')} ({r['over_capacity_rate']:.1%}) "
            f"over capacity by {people(r['people_over'])}, cost {r['cost']:,.0f}: net "
            f"{r['net']:,.0f} {currency}.")


# -- the tabular paths of the common commands ------------------------------------------------
def ingest(ws: Workspace, sources: tuple[str, ...], *, as_json: bool, **options: Any) -> None:
    from ..errors import EXIT_ITEMS_FAILED, EXIT_USAGE
    from ..tasks.tabular import ingest_table
    from .ingest import exit_for, say

    results = [ingest_table(ws, s, **options) for s in sources]
    if as_json:
        emit([r.to_dict() for r in results] if len(results) > 1 else results[0].to_dict(),
             as_json)
    else:  # as glamlab ingest says it: each left-out row, with its fix, on stderr
        for r in results:
            say(r.summary(), r.report)
    if len(results) == 1:
        exit_for(results[0].report, as_json)  # 1: rows left out, 2: nothing came in
    elif any(r.report.failed for r in results):
        sys.exit(EXIT_ITEMS_FAILED if any(r.report.seen for r in results) else EXIT_USAGE)


def split_by_time(ws: Workspace, cutoff: str | None, as_json: bool, *,
                  force: bool = False) -> None:
    from ..tasks.tabular import kept_in_split, kept_in_test, set_time_split

    res = set_time_split(ws, cutoff, force=force)

    def text(d: dict[str, Any]) -> str:
        out = (f"Rows before {d['train_until']} train ({d['train']:,}), later rows test "
               f"({d['test']:,}); the rows with an outcome are the labelled train and test "
               "splits (glamlab labels show).")
        if d["kept_in_split"]:
            out += "\n" + kept_in_split(d["kept_in_split"], d["train_until"]) + "."
        if d["kept_in_test"]:
            out += "\n" + kept_in_test(d["held_rows"], d["train_until"]) + "."
        return out

    emit(res, as_json, text)


def train(ws: Workspace, predictor: str, *, name: str | None, params: dict[str, Any],
          allow_leaky: bool, as_json: bool) -> None:
    from ..registry import in_use
    from ..registry.tabular import train_tabular

    res = train_tabular(ws, predictor, params=params, name=name, allow_leaky=allow_leaky)
    used = in_use(ws) == res["model"].split("@")[0]
    emit(res, as_json, lambda d: (
        f"Trained {d['model']} on {d['train_rows']:,} rows before {d['train_until']}"
        + (" (the model in use)." if d["champion"] and used else
           " (the chosen version of its name)." if d["champion"] else ".")
        + (f"\nProbabilities: {d['calibrated_on']}." if d.get("calibrated_on") else "")
        + "\nNext: glamlab backtest, then glamlab monitor as new rows arrive."))


def monitor(ws: Workspace, *, model: str | None, window: str | None, since: str | None,
            html_path: str | None, as_json: bool) -> None:
    from ..monitoring import stored
    from ..monitoring.monitor import ALERT_EXIT_CODE
    from ..monitoring.tabular_project import monitor_project, store_alerts

    report = monitor_project(ws, model=model, window=window, since=since)
    store_alerts(ws, report)  # status and the web app show them
    stored.store_report(ws, report)
    if html_path:
        from ..reports.tabular import monitor_page

        monitor_page(report, html_path)
    from ..reports.tabular import monitor_text_note

    note = monitor_text_note(report)
    emit(report.to_dict(), as_json, lambda _d: report.summary() + (
        f"\nReport written to {html_path}." if html_path else "")
        + (f"\n{note}" if note else ""))
    if not report.windows:  # every window named above, none could be checked
        from ..errors import GlamlabError

        first = report.skipped[0]
        raise GlamlabError(f"no {report.window} could be checked ({first.reason})",
                           hint=first.hint)
    if report.flagged:
        sys.exit(ALERT_EXIT_CODE)


def retrain(ws: Workspace, *, model: str | None, window_start: str | None, recent_days: int,
            as_json: bool) -> None:
    from ..retraining.gate import measure_words
    from ..retraining.tabular import NEW_VERSIONS, left_out_of_window, retrain_project

    res = retrain_project(ws, model=model, window_start=window_start, recent_days=recent_days)
    s = res["scores"]
    note = left_out_of_window(res["window_learned"])
    emit(res, as_json, lambda _d: "\n".join([
        f"On the newest labelled window ({res['window'][0]} to {res['window_last_day']}, "
        f"{res['window_rows']:,} rows), {measure_words(res['metric'])}: current model "
        f"{s['champion']:.3f}, "
        f"{NEW_VERSIONS.format(recent=s['recent'], all=s['all'])}.",
        *([note] if note else []),
        *[f"  - {r}" for r in res["gate"]["reasons"]],
        *([res["too_few_to_tell"]] if res["too_few_to_tell"] else []),
        f"Promoted {res['saved']}." if res["saved"] else
        "Kept the current model (no new version saved)."]))
