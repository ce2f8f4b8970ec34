"""``trends(ws, ...)``: corrected shares of labels over groups of items, with intervals.

>>> result = trends(ws, by="date_text:decade", label="people")
>>> result.rows[0]
TrendRow(group='1850s', label='people', n=412, raw=0.31, estimate=0.27, low=0.22, ...)

The database computes per-group sufficient statistics (:mod:`.aggregate`); the labelled
items give the classifier's error rates (:func:`.rates.labelled_rates`, the one place
that chooses them, or ``rates=`` given explicitly); :mod:`.quantify` turns both into the
raw share, the corrected share and a 95% interval per group. Terms given in ``terms`` add
the n-gram baseline (:mod:`.ngrams`) for the same groups.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import TrendsError
from ..files import open_private
from .aggregate import (
    check_fields,
    check_groupable,
    group_stats,
    labelled_in_groups,
    labels_of,
    matched_counts,
    models_with_predictions,
)
from .buckets import GroupBy
from .quantify import (
    BINS,
    DEFAULT_METHOD,
    DEFAULT_POOL,
    DEFAULT_STRATA,
    METHODS,
    MIN_ITEMS,
    STRATA_STRENGTH,
    UNCORRECTED,
    Choice,
    ErrorRates,
    GroupStats,
    choose,
    estimate,
    pool,
    with_known,
)

if TYPE_CHECKING:
    from ..registry import ModelVersion
    from ..workspace import Workspace


#: how the group of items without a value in the grouping field is shown and written (CSV)
NO_VALUE = "(no value)"
#: ``--json``'s row keys from before they were given the CSV's names (``label`` = ``name``,
#: ``raw`` = ``raw_share``, ``estimate`` = ``share``, ``methods.M`` = ``share_M``); still
#: written alongside the new ones in this release, to be dropped in the next
OLD_JSON_KEYS = ("label", "raw", "estimate", "methods")


#: an entity trend's columns of mentions per 1,000 words, and the decimals its CSV (for
#: people) shows them with: ``3.4172``, not ``3.417164179104477`` (JSON and Parquet keep
#: every digit; the n-gram terms' ``per_1000_words`` is already rounded to as many)
RATE_COLUMNS = ("raw_per_1000_words", "corrected_per_1000_words", "raw_low", "raw_high",
                "low", "high", "per_1000_words")
RATE_DECIMALS = 4
#: the columns every row of the CSV and Parquet ends with: where its figures come from (the
#: model, the grouping, the filter, when they were worked out, by which glamlab), so that a
#: row copied into a paper or another sheet can still be cited
PROVENANCE_COLUMNS = ("model", "by", "where", "made_at", "glamlab_version")


def _utc_now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _for_people(column: str, value: Any) -> Any:
    """A cell of an entity trend's CSV as people read it: a rate rounded."""
    if column in RATE_COLUMNS and isinstance(value, float):
        return round(value, RATE_DECIMALS)
    return value


@dataclass
class TrendRow:
    group: str | None
    label: str
    n: int
    raw: float | None
    raw_low: float | None
    raw_high: float | None
    estimate: float | None
    low: float | None
    high: float | None
    method: str
    status: str
    methods: dict[str, float | None] = field(default_factory=dict)
    #: the corrected share was clipped at 0 or 1 by more than noise, so it is not reliable
    #: (the status says why; :func:`glamlab.trends.quantify.is_clipped`)
    clipped: bool = False
    #: how many of the group's ``n`` items carry a person's labels: counted as they are
    #: (:func:`glamlab.trends.quantify.with_known`), only the rest is estimated
    labelled: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass
class TermRow:
    group: str | None
    term: str
    words: int
    hits: int
    per_1000_words: float | None
    #: the 95% interval of ``per_1000_words`` (:func:`glamlab.trends.ngrams.per_1000_interval`)
    low: float | None = None
    high: float | None = None
    #: the texts counted, and ``too few items: n=...`` where they are fewer than the trend's
    #: ``min_items`` (as a label row says it)
    items: int | None = None
    status: str = "ok"


@dataclass
class TrendResult:
    by: str
    model: str
    method: str
    labels: list[str]
    rows: list[TrendRow]
    rates: dict[str, dict[str, Any]]
    where: dict[str, Any] = field(default_factory=dict)
    terms: list[TermRow] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    #: what to tell the person about the figures: with no model in use yet (and none
    #: named), that they count the latest run's model's predictions, and which (as
    #: ``glamlab act`` says it, :func:`glamlab.actions.act.choose_model`)
    notes: list[str] = field(default_factory=list)
    #: what the person must know before reading the figures, said before them in every
    #: output: the intervals leave out the method's error between groups (it could not be
    #: measured), the model has predicted only some of the items so far
    warnings: list[str] = field(default_factory=list)
    #: when the figures were worked out (UTC, ``2026-12-07T09:09:00Z``), in every export
    made_at: str = field(default_factory=_utc_now)

    @property
    def corrected(self) -> bool:
        """Whether the second share corrects the model's errors: ``settings["corrected"]``
        (false for ``cc`` and ``pcc``, true on an entities project), the one definition
        the command line, the chart and the words read."""
        return bool(self.settings.get("corrected", True))

    def groups(self) -> list[str | None]:
        gb = GroupBy.parse(self.by)
        return sorted({r.group for r in self.rows} | {t.group for t in self.terms},
                      key=gb.sort_key)

    def to_dict(self) -> dict[str, Any]:
        """What ``--json`` prints. Each row has the CSV's column names (``name``,
        ``raw_share``, ``share``, ``share_METHOD``, ... :meth:`table`), followed by the
        names it had before (``label``, ``raw``, ``estimate``, ``methods``), kept for one
        more release (:data:`OLD_JSON_KEYS`)."""
        from .. import __version__

        return {"by": self.by, "model": self.model, "method": self.method,
                "made_at": self.made_at, "glamlab_version": __version__,
                "labels": self.labels, "where": self.where, "settings": self.settings,
                "rates": self.rates, "notes": self.notes, "warnings": self.warnings,
                "rows": [{**self._label_row(r), **{k: v for k, v in r.to_dict().items()
                                                   if k in OLD_JSON_KEYS}}
                         for r in self.rows],
                "terms": [{**self._term_row(t), "term": t.term} for t in self.terms]}

    def _label_row(self, r: TrendRow) -> dict[str, Any]:
        raw_key, est_key = self.value_columns()
        return {"group": r.group, "series": "label", "name": r.label, "n": r.n,
                raw_key: r.raw, "raw_low": r.raw_low, "raw_high": r.raw_high,
                est_key: r.estimate, "low": r.low, "high": r.high,
                "method": r.method, "status": r.status, "clipped": r.clipped,
                # an entity trend counts a labelled text as the model found it: no
                # group holds items "counted as they are", so empty, not 0
                "labelled_items": r.labelled if raw_key == "raw_share" else None,
                **{f"share_{m}": r.methods.get(m) for m in METHODS
                   if r.methods and raw_key == "raw_share"}}

    @staticmethod
    def _term_row(t: TermRow) -> dict[str, Any]:
        return {"group": t.group, "series": "term", "name": t.term, "words": t.words,
                "hits": t.hits, "per_1000_words": t.per_1000_words,
                "per_1000_low": t.low, "per_1000_high": t.high, "status": t.status}

    # -- exports: every number behind the chart ------------------------------------------
    def table(self) -> list[dict[str, Any]]:
        """One flat row per (group, series): the label rows, then the term rows."""
        out: list[dict[str, Any]] = []
        raw_key, est_key = self.value_columns()
        for r in self.rows:  # "clipped" last: the columns before it keep their places
            row = self._label_row(r)
            clipped = row.pop("clipped")
            labelled = row.pop("labelled_items")
            out.append({**row, "words": None, "hits": None, "per_1000_words": None,
                        "clipped": clipped, "per_1000_low": None, "per_1000_high": None,
                        "labelled_items": labelled})
        for t in self.terms:
            out.append({"group": t.group, "series": "term", "name": t.term, "n": t.items,
                        raw_key: None, "raw_low": None, "raw_high": None, est_key: None,
                        "low": None, "high": None, "method": "ngram",
                        **self._term_row(t), "clipped": None, "labelled_items": None})
        keys: list[str] = []
        for row in out:
            keys.extend(k for k in row if k not in keys)
        return [{**{k: row.get(k) for k in keys}, **self.provenance()} for row in out]

    def provenance(self) -> dict[str, str]:
        """What every exported row says of where its figures come from
        (:data:`PROVENANCE_COLUMNS`): the model, the grouping, the filter (``FIELD=VALUE``
        joined by ``; ``, empty for none), when they were worked out, by which glamlab."""
        from .. import __version__

        return {"model": self.model, "by": self.by,
                "where": "; ".join(f"{k}={v}" for k, v in self.where.items()),
                "made_at": self.made_at, "glamlab_version": __version__}

    def value_columns(self) -> tuple[str, str]:
        """The names of the raw and corrected columns: shares, or (an entity trend)
        mentions per 1,000 words."""
        if self.settings.get("measure"):
            return "raw_per_1000_words", "corrected_per_1000_words"
        return "raw_share", "share"

    def to_csv(self, path: str | Path) -> Path:
        """Every number behind the chart, one row per (group, series). The group of the
        items without a value in the grouping field is written ``(no value)``, as the
        tables and the chart show it (Parquet and JSON keep it as null); other empty cells
        are numbers that do not apply to the row. UTF-8 with a byte-order mark, as every
        glamlab CSV (Excel then shows the accents of a group name), formula-safe. An entity
        trend's mentions per 1,000 words are rounded to :data:`RATE_DECIMALS` decimals (JSON
        and Parquet keep every digit)."""
        from ..sheets import write_csv_file

        rows = self.table()
        path = Path(path)
        rates = bool(self.settings.get("measure"))
        write_csv_file(path, list(rows[0]) if rows else [],
                       ([NO_VALUE if k == "group" and v is None else
                         _for_people(k, v) if rates else v for k, v in row.items()]
                        for row in rows))
        return path

    def to_parquet(self, path: str | Path) -> Path:
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows = self.table()
        path = Path(path)
        # each column's type by what it holds, not by the values this file happens to
        # have: a column empty in every row (the term columns of a trend with no --term,
        # a method no group could use) is still numbers, not pyarrow's type "null"
        # (which pandas reads back as a column of objects)
        types = {"group": pa.string(), "series": pa.string(), "name": pa.string(),
                 "method": pa.string(), "status": pa.string(), "n": pa.int64(),
                 "words": pa.int64(), "hits": pa.int64(), "clipped": pa.bool_(),
                 "labelled_items": pa.int64(),
                 **{k: pa.string() for k in PROVENANCE_COLUMNS}}
        schema = pa.schema([(k, types.get(k, pa.float64())) for k in rows[0]]) if rows else None
        table = pa.Table.from_pylist(rows, schema=schema) if rows else pa.table({})
        meta = {b"glamlab.trends": json.dumps({k: v for k, v in self.to_dict().items()
                                               if k not in ("rows", "terms")},
                                              default=str).encode()}
        with open_private(path, "wb") as fh:
            pq.write_table(table.replace_schema_metadata(meta), fh)
        return path

    def to_html(self, path: str | Path | None = None) -> str:
        from .chart import trend_page

        page = trend_page(self)
        if path is not None:
            with open_private(path, "w", encoding="utf-8") as fh:
                fh.write(page)
        return page


def resolve_model(ws: Workspace, model: str | None) -> ModelVersion:
    """The model whose predictions a trend counts: ``model`` by spec, else the one act,
    export and link use (:func:`glamlab.actions.act.resolve_model`: ``[policy] model``,
    else the champion, else the latest run's model), so that a baseline run only to be
    looked at (``glamlab run --model prior``) does not change the trend's figures."""
    return choose_model(ws, model)[0]


def choose_model(ws: Workspace, model: str | None, *, web: bool = False
                 ) -> tuple[ModelVersion, str | None]:
    """:func:`resolve_model`, with the note :func:`glamlab.actions.act.choose_model` gives
    when the model is the latest run's because no model is in use yet (None
    otherwise). ``web``: the note names the web app's pages, not commands."""
    from ..actions.act import choose_model as act_model
    from ..actions.policy import load_policy

    if not model and not models_with_predictions(ws):
        from ..said import in_words

        raise TrendsError("no model has predictions in this workspace yet",
                          hint=in_words("run one over the collection first: run(ws, 'NAME')",
                                        "run one over the collection first: glamlab run "
                                        "--model NAME",
                                        "run the model in use on the Run page",
                                        words="web" if web else None))
    return act_model(ws, model, load_policy(ws.card, web=web), web=web,
                     uses="a trend counts the predictions of the model in use, not another "
                          "model's")


def trends(ws: Workspace, *, by: str, model: str | None = None,
           label: str | Sequence[str] | None = None, where: dict[str, Any] | None = None,
           method: str | None = None, rates: Mapping[str, ErrorRates] | None = None,
           terms: Sequence[str] = (), n_boot: int = 1000, seed: int = 0,
           min_items: int = MIN_ITEMS, bins: int = BINS, pooled: bool | None = None,
           strata: bool | None = None, web: bool = False,
           known_labels: bool = True) -> TrendResult:
    """Shares of ``label`` (default: every label) per group of ``by`` for the stored
    predictions of ``model``, raw and corrected by ``method``, each with a 95% interval.

    Without ``method`` (and without ``rates``) the method is chosen for this query by
    leave-one-group-out cross-validation on the labelled test split's items (the training
    items are not used: their predictions are in-sample) grouped like the trend
    (:func:`glamlab.trends.quantify.choose`), and the intervals include the chosen
    method's error between groups measured there; ``settings["choice"]`` says what was
    chosen and why (where it chose ``cc`` or ``pcc``, which correct nothing, the corrected
    share equals the raw share, or the mean score, in every group, and the reason says so).
    ``settings["corrected"]`` is whether the method used, chosen or given, corrects the
    classifier's errors (false for ``cc`` and ``pcc``; true on an entities project).
    ``rates`` (label -> :class:`ErrorRates`) gives the classifier's error
    rates explicitly (or label -> group -> rates, with the overall rates under ``"*"``;
    the method is then :data:`~glamlab.trends.quantify.DEFAULT_METHOD` unless given); by
    default they are measured on the workspace's labelled items
    (:func:`glamlab.trends.rates.labelled_rates`), per group with ``strata``. ``pooled``
    shares strength between a label's groups (:func:`glamlab.trends.quantify.pool`).
    ``terms`` adds the n-gram baseline.

    On an entities project the rows are mentions per 1,000 words of each type, raw and
    corrected by the test split's gold/predicted ratio (:func:`glamlab.trends.entities.
    entity_trends`; ``method``, ``rates``, ``pooled`` and ``strata`` do not apply).

    ``min_items`` (at least 1): groups with fewer items are flagged; without ``method`` it
    is also the fewest labelled items a group needs to be held out in the cross-validation
    that picks the method.

    ``known_labels`` (default): an item a person labelled counts with its label, not the
    model's prediction, and only the other items are estimated
    (:func:`glamlab.trends.quantify.with_known`; ``TrendRow.labelled`` says how many);
    false counts every item as the model predicted it (to see what the correction alone
    does, e.g. on a collection labelled throughout).

    Without ``model``, the model act and export use (:func:`resolve_model`); when no model
    is in use yet that is the latest run's, and ``notes`` says so and names it
    (``web``: the note names the web app's pages, not commands)."""
    if (isinstance(min_items, bool) or not isinstance(min_items, numbers.Integral)
            or min_items < 1):
        from ..said import in_words

        raise TrendsError(f"min_items is {min_items!r}; it must be a whole number of at least 1",
                          hint="give the fewest items a group needs not to be flagged, e.g. "
                               + in_words(f"min_items={MIN_ITEMS}", f"--min-items {MIN_ITEMS}",
                                          f"{MIN_ITEMS}", words="web" if web else None))
    min_items = int(min_items)
    if where is not None and not isinstance(where, Mapping):
        # a string ("medium=Oil paint on canvas", as --where writes it) was read letter by
        # letter: "no item has the metadata field 'm'"
        example = (f"where={{{str(where).partition('=')[0].strip()!r}: "
                   f"{str(where).partition('=')[2].strip()!r}}}"
                   if isinstance(where, str) and "=" in where else
                   "where={'medium': 'Oil paint on canvas'}")
        raise TrendsError(f"where is {where!r}; it must be a mapping of field to value",
                          hint=f"give it as a dict, e.g. {example}")
    said = "web" if web else None  # else Python's words, or the command line's
    if ws.card.kind == "entities":
        from .entities import entity_trends

        if method is not None or rates is not None or pooled or strata:
            from ..said import in_words

            raise TrendsError("an entity trend has one correction: the test split's ratio of "
                              "gold to predicted mentions",
                              hint=in_words("leave out method, rates, pooled and strata",
                                            "leave out --method, --pool and --strata",
                                            "leave the correction method as it is",
                                            words=said))
        if models_with_predictions(ws):  # else entity_trends says to run a model first
            check_fields(ws, GroupBy.parse(by), where, words=said)
            check_groupable(ws, GroupBy.parse(by), where=where, words=said)
        result = entity_trends(ws, by=by, model=model, label=label, where=where,
                               n_boot=n_boot, seed=seed, min_items=min_items, web=web)
        if terms:
            from .ngrams import term_frequencies

            result.terms = term_frequencies(ws, terms, by=GroupBy.parse(by), where=where,
                                            min_items=min_items,
                                            model_id=result.settings["model_id"])
        # the texts whose only years are not of making ("exhibited 1909"), as below
        result.settings["other_dates"] = matched_counts(ws, GroupBy.parse(by), where)[1]
        return result
    if ws.card.kind not in ("single-label", "multi-label"):
        raise TrendsError(f"trends count labels of classified items or entity mentions; this "
                          f"is a {ws.card.kind} project",
                          hint="use a classification or entities project (for counts "
                               "over time: glamlab backtest and glamlab monitor)")
    pooled = DEFAULT_POOL if pooled is None else pooled
    strata = DEFAULT_STRATA if strata is None else strata
    if method is not None and method not in METHODS:
        raise TrendsError(f"unknown method {method!r}", hint=f"choose one of {', '.join(METHODS)}")
    gb = GroupBy.parse(by)
    mv, fallback = choose_model(ws, model, web=web)
    check_fields(ws, gb, where, words=said)
    check_groupable(ws, gb, where=where, words=said)
    labels = labels_of(ws, [label] if isinstance(label, str) else label)
    choice: Choice | None = None
    reason = "given" if method else ("default: the error rates were given, so there were "
                                     "no labelled groups to test the methods on")
    if rates is None and method in UNCORRECTED:
        rates = {lab: _no_rates(lab, bins) for lab in labels}
    elif rates is None:
        from .rates import labelled_rates

        own: Any = labelled_rates(ws, mv, labels, bins=bins, by=gb, strength=0)
        if method is None:
            choice = choose({lab: own[lab] for lab in labels}, min_items=min_items, seed=seed)
            method = choice.method
        if strata:
            rates = {lab: {g: (r if g == "*" else r.blend(own[lab]["*"], STRATA_STRENGTH))  # type: ignore[misc]
                           for g, r in own[lab].items()} for lab in labels}
        else:
            rates = {lab: own[lab]["*"] for lab in labels}
    method = method or DEFAULT_METHOD
    assert rates is not None
    missing = [lab for lab in labels if lab not in rates]
    if missing:
        raise TrendsError(f"no error rates for the label {missing[0]!r}",
                          hint="pass rates for every label asked for")
    rows: list[TrendRow] = []
    overall: dict[str, ErrorRates] = {}
    known = (labelled_in_groups(ws, model_id=mv.id, labels=labels, by=gb, where=where,
                                bins=bins) if known_labels else {})
    predicted = 0
    for k, lab in enumerate(labels):
        given: Any = rates[lab]
        overall[lab] = given["*"] if isinstance(given, dict) else given
        stats = group_stats(ws, model_id=mv.id, label=lab, by=gb, where=where, bins=bins)
        predicted = sum(st.n for st in stats.values())
        mine = known.get(lab, {})
        groups = sorted(set(stats) | set(mine), key=gb.sort_key)
        shared: dict[Any, Any] = {}  # the label's rate draws, made once for all its groups
        ests = []
        for i, g in enumerate(groups):
            full = stats.get(g) or GroupStats.empty(bins)
            n_known, positives, cells = mine.get(g) or (0, 0, GroupStats.empty(bins))
            group_rates = given.get(g, overall[lab]) if isinstance(given, dict) else given
            # the labelled items' labels are facts: only the other items are estimated
            rest = GroupStats(np.maximum(full.counts - cells.counts, 0.0),
                              np.maximum(full.sums - cells.sums, 0.0))
            e = estimate(rest, group_rates, method=method, n_boot=n_boot, seed=seed + i,
                         rates_seed=seed + 7919 * (k + 1), min_items=min_items,
                         all_methods=True,
                         model_sd=choice.model_sd.get(lab, 0.0) if choice else 0.0,
                         draw_cache=None if isinstance(given, dict) else shared)
            if n_known:
                e = with_known(e, n_known, positives, min_items=min_items, n_boot=n_boot)
                # the raw share stays the model's own count over every item it predicted
                raw = (estimate(full, group_rates, method="cc", n_boot=n_boot, seed=seed + i,
                                min_items=min_items) if full.n else None)
                e.raw, e.raw_low, e.raw_high = ((raw.raw, raw.raw_low, raw.raw_high)
                                                if raw else (None, None, None))
            ests.append((e, n_known, positives))
        pooled_ests = [e for e, _, _ in ests]
        if pooled and method not in UNCORRECTED:
            pooled_ests = pool(pooled_ests, known=[(k, p) for _, k, p in ests])
        for g, e, (_e, n_known, _p) in zip(groups, pooled_ests, ests, strict=True):
            rows.append(TrendRow(g, lab, e.n, e.raw, e.raw_low, e.raw_high, e.estimate,
                                 e.low, e.high, method + ("+strata" if isinstance(given, dict)
                                                          and method not in UNCORRECTED
                                                          else "") + ("+pool" if e.pooled else ""),
                                 e.status, e.methods, clipped=e.clipped, labelled=n_known))
    term_rows: list[TermRow] = []
    if terms:
        from .ngrams import term_frequencies

        term_rows = term_frequencies(ws, terms, by=gb, where=where, min_items=min_items)
    by_group = any(isinstance(rates[lab], dict) for lab in labels)
    corrected = method not in UNCORRECTED
    between = bool(choice and any(choice.model_sd.values()))
    warnings = []
    # where people labelled every item of every group, every share is counted, none
    # estimated: no method errs, and "the intervals are too narrow" would be wrong
    if not between and any(r.labelled < r.n for r in rows):
        warnings.append(NO_BETWEEN_GROUP_ERROR)
    counts, other_dates = matched_counts(ws, gb, where)
    matched = sum(counts.values())
    if labels and predicted < matched:
        warnings.append(f"{predicted:,} of {matched:,} items predicted so far by {mv.spec}: "
                        "the figures count only those (and the labelled items), not the "
                        "whole collection; run the model over the rest ("
                        + ("the page 'Run over the collection'" if web else "glamlab run")
                        + ") or wait for the run in progress to finish.")
    shown = (method + ("+strata" if by_group and corrected else "")
             + ("+pool" if pooled and corrected else ""))
    return TrendResult(by=str(gb), model=mv.spec, method=shown, labels=labels, rows=rows,
                       rates={lab: overall[lab].summary() for lab in labels
                              if overall[lab].n_pos + overall[lab].n_neg},
                       where=dict(where or {}), terms=term_rows,
                       notes=[fallback] if fallback else [], warnings=warnings,
                       settings={"corrected": corrected, "between_group_error": between,
                                 "known_labels": known_labels,
                                 "items_predicted": predicted, "items_matched": matched,
                                 # matched items whose only years are not of making
                                 # ("exhibited 1909"): in the group "(no value)"
                                 "other_dates": other_dates,
                                 "n_boot": n_boot, "seed": seed, "min_items": min_items,
                                 "pooled": pooled, "strata": by_group,
                                 "bins": bins, "interval": "95%: the range the share most "
                                 "likely lies in, from drawing the group's items again and "
                                 "again (a bootstrap), with one imaginary item added to each "
                                 "group, half with the label and half without, so that a "
                                 "group of a few items gets a wide interval, and the same "
                                 "for the labelled items' error rates" + (
                                     ", plus the method's cross-validated error between "
                                     "groups" if choice and any(choice.model_sd.values())
                                     else ""),
                                 "choice": choice.to_dict() if choice else
                                 {"method": method, "reason": reason}})


#: the warning of a trend whose intervals leave out the method's error between groups
NO_BETWEEN_GROUP_ERROR = (
    "The intervals are too narrow: they cover only the sampling of each group's items and "
    "the doubt about the model's error rates, NOT how much the method errs from one group "
    "to another, which could not be measured (fewer than 3 groups with enough labelled "
    "items). A group's true share can lie outside its interval, and overlapping intervals "
    "do not show that nothing changed. Label more items spread over the groups (e.g. 30 in "
    "each of 3 or more groups) to measure it.")


def _no_rates(label: str, bins: int) -> ErrorRates:
    from .quantify import GroupStats

    return ErrorRates(label, GroupStats.empty(bins), GroupStats.empty(bins), "not needed")


def finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)
