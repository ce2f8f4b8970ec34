"""glamlab try-service"""

from __future__ import annotations

import sys
from typing import Any

import click

from ._common import emit, json_option, open_ws


@click.command("try-service")
@click.argument("service")
@click.option("--sample", type=click.IntRange(1, 500), default=5, show_default=True,
              help="How many items to send (labelled training items first, never test items).")
@click.option("--item", "ids", multiple=True, help="Send this item (repeatable) instead of a "
              "sample.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--yes", is_flag=True, help="Do not ask before paying for more than the free "
              "sample of 5 (for scripts).")
@json_option
@click.pass_context
def try_service(ctx: click.Context, service: str, sample: int, ids: tuple[str, ...],
                seed: int, yes: bool, as_json: bool) -> None:
    """Send a small sample to the external service [services.SERVICE] and show, for each
    item, the labels and scores it returns, what each maps to in your labels (and which
    map to nothing), and what the sample cost. Look at them and ask whether they fit
    before comparing the service with a model (glamlab evaluate service:SERVICE).

    Answers are cached in the workspace: trying again costs nothing.

    \b
    Examples:
      glamlab try-service tagger
      glamlab try-service tagger --sample 20 --yes --json
    """
    from ..errors import EXIT_USAGE, ServiceError
    from ..predictors.services import FREE_SAMPLE, estimate
    from ..predictors.services import try_service as run_try

    ws = open_ws(ctx)
    if service.startswith("service:"):
        service = service.split(":", 1)[1]
    n = len(ids) if ids else sample
    cost = estimate(ws, service, n)
    if n > FREE_SAMPLE and cost["max_cost"] > 0 and not yes:
        words = (f"Sending {n} items to {service} may cost up to {cost['max_cost']:g} "
                 f"{cost['currency']} ({cost['price_per_call']:g} per call; answers already "
                 "cached are free).")
        if as_json or not sys.stdin.isatty():
            raise ServiceError(words + " Nothing was sent.",
                               hint=f"add --yes to pay for it, or --sample {FREE_SAMPLE} or fewer")
        if not click.confirm(words + " Go on?", default=False, err=True):
            click.echo("nothing was sent", err=True)
            sys.exit(EXIT_USAGE)
    report = run_try(ws, service, sample=sample, seed=seed, ids=list(ids) or None)
    emit(report.to_dict(), as_json, render)
    if report.items and all(i.error for i in report.items):
        from ..errors import EXIT_ITEMS_FAILED

        sys.exit(EXIT_ITEMS_FAILED)


def render(d: dict[str, Any]) -> str:
    cur = d["currency"]
    lines = [f"Service {d['service']} ({d['url']}) on {len(d['items'])} items; "
             f"your labels: {', '.join(d['task_labels'])}", ""]
    for it in d["items"]:
        gold = it["gold"]
        gold_text = ("" if gold is None else
                     f"  (yours: {gold if isinstance(gold, str) else ', '.join(gold) or '-'})")
        head = f"{it['item_id']}{gold_text}"
        if it["error"]:
            lines.append(f"{head}: FAILED: {it['error']}"
                         + (f" (fix: {it['hint']})" if it.get("hint") else ""))
            continue
        got = ", ".join(it["predicted"]) or "no label of yours"
        lines.append(f"{head} -> {got}{' [cached]' if it['cached'] else ''}")
        for lab in it["labels"]:
            target = lab["maps_to"] if lab["maps_to"] is not None else "UNMAPPED"
            lines.append(f"    {lab['label']:<30} {lab['score']:.2f}  -> {target}")
        if not it["labels"]:
            lines.append("    (the service returned no label)")
    lines.append("")
    if d["unmapped"]:
        lines.append("Unmapped service labels (add them to [services."
                     f"{d['service']}.mapping] if they mean one of yours): "
                     + ", ".join(f"{k} ({v})" for k, v in d["unmapped"].items()))
    else:
        lines.append("Every label the service returned maps to one of yours.")
    if d["agree"] is not None:
        lines.append(f"Its mapped answer includes your label on {d['agree']} of the labelled "
                     "items tried (a glance, not an evaluation: glamlab evaluate "
                     f"service:{d['service']}).")
    budget = f" of a budget of {d['budget']:g}" if d["budget"] is not None else ""
    lines.append(f"Cost: {d['calls']} paid calls, {d['cost']:.4g} {cur} "
                 f"({d['cached']} answers from the cache, free); "
                 f"{d['spent_total']:.4g} {cur} spent on this service so far{budget}.")
    return "\n".join(lines)
