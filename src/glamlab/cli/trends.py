"""glamlab trends"""

from __future__ import annotations

import click

from ._common import emit, json_option, open_ws, table


def _where(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for p in pairs:
        key, sep, value = p.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{p!r} is not FIELD=VALUE", param_hint="--where")
        out[key.strip()] = value
    return out


def _short(status: str) -> str:
    """A row's note in the table, short enough not to be cut: ``too few items: n=8`` first
    where it applies, then a word for each other note (a clipped or uncorrectable group's
    explanation is printed below the table, :func:`_long`)."""
    from ..trends.quantify import CLIPPED, is_too_few

    if status == "ok":
        return ""
    parts = []
    for part in status.split("; "):
        if is_too_few(part):
            parts.append(part.split(" (", 1)[0])
        elif part.startswith(CLIPPED):
            parts.append(part.split(":", 1)[0] + " (not reliable)")
        elif part.startswith("cannot correct"):
            parts.append("cannot correct (below)")
        elif part.startswith("every item labelled"):
            parts.append("all labelled (exact)")
        else:
            parts.append(part)
    return "; ".join(parts)


def _long(status: str) -> str:
    """The notes of a row that :func:`_short` abbreviates: printed in full below the table."""
    from ..trends.quantify import CLIPPED

    return "; ".join(p for p in status.split("; ")
                     if p.startswith(CLIPPED) or p.startswith("cannot correct"))


@click.command()
@click.option("--by", "by", required=True,
              help="Metadata field to group by, optionally FIELD:year, FIELD:decade or "
                   "FIELD:century (years read from dates like 'c.1850' or '1850-1855'; a "
                   "year of exhibition, publication or acquisition, as in 'exhibited 1909', "
                   "is not read as the year of making).")
@click.option("--model", default=None, help="Model spec (default: [policy] model, else the "
              "model in use, as act and export use; only when no model is in use yet: the "
              "latest run's model, and the output says so).")
@click.option("--label", "labels", multiple=True, help="Label(s) to count (default: every label).")
@click.option("--where", "where", multiple=True, help="Only items whose FIELD=VALUE (repeatable).")
@click.option("--method", type=click.Choice(["cc", "pcc", "cpcc", "acc", "pacc", "emq"]), default=None,
              help="Correction (default: chosen for this query by cross-validation over the "
                   "groups of the labelled test split's items; see docs/trends.md).")
@click.option("--pool/--no-pool", "pooled", default=None,
              help="Share strength between groups (partial pooling; off by default).")
@click.option("--strata/--no-strata", "strata", default=None,
              help="Measure error rates per group from the labelled items of that group "
                   "(off by default: one set of error rates for every group).")
@click.option("--known-labels/--no-known-labels", "known_labels", default=True,
              show_default=True,
              help="Count the items people labelled with their labels and estimate only "
                   "the rest (--no-known-labels: count every item as the model predicted it, "
                   "to see what the correction alone does).")
@click.option("--term", "terms", multiple=True,
              help="A word or phrase to count per 1,000 words beside the trend (repeatable).")
@click.option("--min-items", type=click.IntRange(min=1), default=30, show_default=True,
              help="Groups with fewer items are flagged 'too few items' (still "
                   "shown). Without --method it also sets which groups of the test split's "
                   "labelled items the cross-validation that picks the method holds out "
                   "(those with at least this many; fewer than 3 such groups: the default, "
                   "re-calibrated scores (cpcc)), so "
                   "changing it can change the method chosen and the intervals. On an entities "
                   "project: texts per group.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False), default=None,
              help="Write an interactive offline chart (raw vs corrected vs n-gram).")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), default=None,
              help="Write every number behind the chart as CSV. --json's rows use the same "
                   "names (name, raw_share, share, share_METHOD, ...; this release they also "
                   "keep their old names: label = name, raw = raw_share, estimate = share, "
                   "methods.METHOD = share_METHOD). The column clipped is true where a "
                   "corrected share (acc, pacc, emq) is clipped at 0 or 100% by more than "
                   "sampling noise: not reliable, the status says why (see docs/trends.md).")
@click.option("--parquet", "parquet_path", type=click.Path(dir_okay=False), default=None,
              help="Write every number behind the chart as Parquet (the CSV's columns).")
@json_option
@click.pass_context
def trends(ctx: click.Context, by: str, model: str | None, labels: tuple[str, ...],
           where: tuple[str, ...], method: str | None, pooled: bool | None, strata: bool | None,
           terms: tuple[str, ...], min_items: int, known_labels: bool,
           html_path: str | None, csv_path: str | None, parquet_path: str | None,
           as_json: bool) -> None:
    """Shares of labels per year, decade or any metadata field: raw ("classify and count")
    and corrected for the model's measured errors, with 95% intervals.

    The error rates come from the labelled test split. Aggregation runs in the database.
    On an entities project: mentions per 1,000 words of each type, raw and corrected by
    the test split's ratio of gold to predicted mentions.
    """
    from ..said import said_on_the_command_line
    from ..trends import GroupBy
    from ..trends import trends as run_trends
    from ..trends.words import label_summary, method_name, method_words, no_value_words

    GroupBy.parse(by, option="--by")  # a bad --by, in the command line's words
    ws = open_ws(ctx)
    with said_on_the_command_line():  # a field or filter refused: --by, --where
        result = run_trends(ws, by=by, model=model, label=list(labels) or None,
                            where=_where(where) or None, method=method, terms=terms,
                            min_items=min_items, pooled=pooled, strata=strata,
                            known_labels=known_labels)
    written = []
    if html_path:
        result.to_html(html_path)
        written.append(html_path)
    if csv_path:
        written.append(str(result.to_csv(csv_path)))
    if parquet_path:
        written.append(str(result.to_parquet(parquet_path)))

    def text(_d: object) -> str:
        measure = result.settings.get("measure")
        corrected = "corrected"
        # how many of a group's items a person labelled: they count as labelled, so a
        # group of 7 items, 6 of them labelled, has a narrow interval (an entity trend
        # counts a labelled text as the model found it: no such column)
        known = not measure and any(r.labelled for r in result.rows)
        rows = [{"group": "(no value)" if r.group is None else r.group, "label": r.label,
                 "n": r.n, **({"labelled": r.labelled} if known else {}), "raw": r.raw,
                 corrected: r.estimate, "95% low": r.low, "95% high": r.high,
                 "note": _short(r.status)}
                for r in result.rows]
        said: dict[tuple[str, str], list[str]] = {}  # one line per (label, reason)
        for r in result.rows:
            if _long(r.status):
                said.setdefault((r.label, _long(r.status)), []).append(
                    "(no value)" if r.group is None else str(r.group))
        clipped = [f"  {', '.join(groups)}, {label}: {why}"
                   for (label, why), groups in said.items()]
        chosen = result.settings.get("choice", {}).get("reason")
        how = (f"corrected with {method_name(result.method)}" if result.corrected
               else f"not corrected ({result.method})")
        out = [f"Trends by {result.by}, model {result.model}, {how}"
               + (f"; {measure} (n: texts; label: entity type)" if measure else "") + ":",
               *(f"WARNING: {w}" for w in result.warnings),  # before any figure
               # why this method, in words (the short reason stays in --json)
               *([method_words(result)] if chosen and chosen != "given" and not measure
                 else []),
               *result.notes,  # e.g. no champion: the latest run's model, which one
               table(rows, ["group", "label", "n", *(["labelled"] if known else []), "raw",
                            corrected, "95% low", "95% high", "note"])]
        if known:
            out.append("labelled: how many of the n items a person labelled. They count with "
                       "their labels, as facts; only the other items are estimated, so a "
                       "group mostly labelled has a narrow interval (--no-known-labels: "
                       "count every item as the model predicted it).")
        # the records with no year, said once (the words below leave it out per label)
        undated = no_value_words(result)
        if undated:
            out.append(undated)
        if clipped:
            out.append("Not reliable or not corrected (a clipped share's interval holds at "
                       "least the uncorrected share's):")
            out.extend(clipped)
        if result.terms:
            out.append("Words per 1,000:")
            out.append(table([{"group": "(no value)" if t.group is None else t.group,
                               "term": t.term, "words": t.words, "hits": t.hits,
                               "per 1,000": t.per_1000_words, "95% low": t.low,
                               "95% high": t.high, "note": _short(t.status)}
                              for t in result.terms],
                             ["group", "term", "words", "hits", "per 1,000", "95% low",
                              "95% high", "note"]))
        # what the figures say, in words, per label (as the page and the demo say it):
        # the largest group, the first and last in time and whether they differ by more
        # than the uncertainty
        out.append("In words:")
        for label in result.labels:  # the records with no year were said once, above
            out.extend(f"  {line}" for line in label_summary(result, label))
        out.extend(f"Written: {w}" for w in written)
        return "\n".join(out)

    emit(result.to_dict(), as_json, text)
