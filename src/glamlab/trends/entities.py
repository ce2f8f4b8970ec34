"""Entity trends: mentions per 1,000 words of each entity type, per group, raw and
corrected for the recogniser's measured errors, with 95% intervals.

A recogniser that misses a third of the place names halves nothing and thirds nothing: it
makes every group's count too low by the same factor, if its errors do not change from
group to group. The correction is the ratio estimator of the labelled test split:

    corrected mentions = predicted mentions x (gold mentions / predicted mentions on test)

(the same as precision / recall there: ``(correct/predicted) / (correct/gold)``). It
assumes the recogniser errs alike in every group, as the label-shift corrections of
shares do; a type the test split never saw (no gold mention, or none predicted) is shown
raw and flagged.

Counting runs in the database: per (value of the grouping field, type), the number of
items mentioning it, the sum of the per-item mention counts and the sum of their squares,
from the stored predictions' spans (``predictions.scores["spans"]``, a JSON array; SQLite's
``json_each`` and PostgreSQL's ``jsonb_array_elements``). Words per group come from the
n-gram baseline's word count (:func:`glamlab.trends.ngrams.group_words`), so the two series
share a denominator.

The 95% interval draws, 1,000 times, (a) the group's mention total from a gamma with the
spread of mentions between its items (never narrower than a Poisson count; a group with no
mention still gets an upper bound; a group is a sample of what the collection could have
held) and (b) the test split's ratio from a bootstrap over its items, and reads the 2.5th
and 97.5th percentiles of their product.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa

from ..errors import TrendsError
from ..said import in_words
from .aggregate import _meta_value
from .buckets import GroupBy

if TYPE_CHECKING:
    from ..registry import ModelVersion
    from ..workspace import Workspace
    from .trend import TrendResult

MEASURE = "mentions per 1,000 words"
METHOD = "ratio"  # gold / predicted mentions on the test split
MIN_WORDS = 1000
#: fewer marked or found test mentions of a type than this: its correction is flagged
MIN_TEST_MENTIONS = 10


def mention_stats(ws: Workspace, *, model_id: int, by: GroupBy,
                  where: dict[str, Any] | None = None
                  ) -> dict[tuple[str | None, str], tuple[int, float, float]]:
    """(group, type) -> (items mentioning it, mentions, sum of squared per-item mentions)
    for the stored predictions of ``model_id`` (current items matching ``where``)."""
    t = ws.store.t
    p = t.predictions
    label: Any
    if ws.store.is_sqlite:
        elem = sa.func.json_each(p.c.scores, "$.spans").table_valued("value").alias("e")
        label = sa.func.json_extract(elem.c.value, "$.label")
    else:
        elem = sa.func.jsonb_array_elements(p.c.scores["spans"]).table_valued(
            "value").alias("e")
        label = elem.c.value.op("->>")("label")
    value = _meta_value(t, by.field)
    per_item = (sa.select(p.c.item_id, value.label("g"), label.label("label"),
                          sa.func.count().label("m"))
                .select_from(p.join(t.items, t.items.c.item_id == p.c.item_id).join(
                    elem, sa.true()))
                .where(p.c.model_id == model_id, *ws.item_clauses(where, None))
                .group_by(p.c.item_id, value, label).subquery("per_item"))
    q = sa.select(per_item.c.g, per_item.c.label, sa.func.count(),
                  sa.func.sum(per_item.c.m), sa.func.sum(per_item.c.m * per_item.c.m)
                  ).group_by(per_item.c.g, per_item.c.label)
    out: dict[tuple[str | None, str], list[float]] = {}
    with ws.store.read() as conn:
        for g, lab, n, m, m2 in conn.execute(q):
            if lab is None:
                continue
            cell = out.setdefault((by.key(g), str(lab)), [0, 0.0, 0.0])
            cell[0] += int(n)
            cell[1] += float(m or 0)
            cell[2] += float(m2 or 0)
    return {k: (int(v[0]), v[1], v[2]) for k, v in out.items()}


def test_counts(ws: Workspace, model: ModelVersion, labels: Sequence[str]) -> tuple[
        np.ndarray, np.ndarray, int]:
    """Per test item and type: gold mentions ``G`` and predicted mentions ``P``
    (``(n_items, n_types)`` each), and how many test items were read (a text the model
    could not read is left out of both). Predictions are
    the model's stored ones where a run made them (a run over the collection covers the
    test texts), and the model's own for the rest, nothing written: a contextual
    recogniser reads a few dozen sentences a second, too slow to run on every query."""
    from ..registry import load_model
    from ..tasks.kinds import task_kind
    from ..tasks.predict import predict_items
    from ..tasks.splits import test_data
    from .rates import stored_predictions

    data = test_data(ws, reader="trends")
    kind = task_kind(ws.card)
    found: dict[str, Any] = {}
    for r in stored_predictions(ws, model.id, data.ids):
        try:
            found[r.item_id] = kind.from_stored(r.label, r.labels, r.scores, r.score)
        except (ValueError, TypeError):
            continue  # not spans: predicted again below
    missing = [it for it in data.items if it.item_id not in found]
    if missing:
        _, predictor = load_model(ws, model.spec)
        result = predict_items(kind, predictor, missing)
        found.update((it.item_id, p) for it, p in zip(missing, result.predictions, strict=True))
    # a text the model could not read (recorded as a failure) is left out, as the
    # classification rates leave it out: its marked mentions with none found would
    # inflate the ratio
    kept = [(gold, found[it.item_id]) for it, gold in zip(data.items, data.labels, strict=True)
            if found.get(it.item_id) is not None]
    index = {lab: j for j, lab in enumerate(labels)}
    G = np.zeros((len(kept), len(labels)))
    P = np.zeros((len(kept), len(labels)))
    for i, (gold, pred) in enumerate(kept):
        for s in gold or []:
            if s.label in index and getattr(s, "layer", "entity") == "entity":
                G[i, index[s.label]] += 1
        for s in pred or []:
            if s.label in index:
                P[i, index[s.label]] += 1
    return G, P, len(kept)


def entity_trends(ws: Workspace, *, by: str, model: str | None = None,
                  label: str | Sequence[str] | None = None,
                  where: dict[str, Any] | None = None, n_boot: int = 1000, seed: int = 0,
                  min_items: int = 30, min_words: int = MIN_WORDS, web: bool = False
                  ) -> TrendResult:
    """Mentions per 1,000 words of each entity type (``label``: default every type) per
    group of ``by``, from the stored predictions of ``model`` (default: the one act and
    export use, :func:`glamlab.trends.trend.resolve_model`), raw and corrected (see the module docstring). Returns a
    :class:`~glamlab.trends.trend.TrendResult` whose rows hold rates, not shares
    (``settings["measure"]``); groups with fewer than ``min_items`` items or
    ``min_words`` words are flagged, not hidden. ``notes`` says when, with no model marked
    champion, they are the latest run's model's spans (``web``: in the web app's words)."""
    from ..evaluation.bootstrap import Resamples
    from .aggregate import labels_of
    from .ngrams import group_words
    from .trend import TrendResult, TrendRow, choose_model

    gb = GroupBy.parse(by)
    mv, fallback = choose_model(ws, model, web=web)
    labels = labels_of(ws, [label] if isinstance(label, str) else label)
    stats = mention_stats(ws, model_id=mv.id, by=gb, where=where)
    # the texts the model read: an item added after the run (or left out of it) would add
    # words and no mention
    words = group_words(ws, by=gb, where=where, model_id=mv.id)
    if not words:
        check = (in_words("check where", "check --where", "check the values after 'Only items "
                          "whose'", words="web" if web else None) + ", or " if where else "")
        raise TrendsError(f"no text matching the query has a prediction from {mv.spec}",
                          hint=f"{check}run the model over the collection: "
                               f"glamlab run --model {mv.spec}")
    G, P, n_test = test_counts(ws, mv, labels)
    boot = Resamples(n_test, n_boot, seed=seed)
    Gb, Pb = boot @ G, boot @ P  # (n_boot, n_types) resampled test totals
    rng = np.random.default_rng(seed)
    rows: list[TrendRow] = []
    rates: dict[str, dict[str, Any]] = {}
    groups = sorted(words, key=gb.sort_key)
    for j, lab in enumerate(labels):
        gold, pred = float(G[:, j].sum()), float(P[:, j].sum())
        measurable = gold > 0 and pred > 0
        ratio = gold / pred if measurable else None
        # half a mention added to each side of a resample: a resample with no found mention
        # (the test's finds sit in few texts) stays a draw instead of being dropped
        ratios = (Gb[:, j] + 0.5) / (Pb[:, j] + 0.5)
        few = measurable and min(gold, pred) < MIN_TEST_MENTIONS
        rates[lab] = {"source": f"test split, {n_test} texts", "test_gold_mentions": int(gold),
                      "test_predicted_mentions": int(pred),
                      "ratio": None if ratio is None else round(ratio, 4), "few": few}
        for g in groups:
            n_items, n_words = words[g]
            _, m, m2 = stats.get((g, lab), (0, 0.0, 0.0))
            status = "ok"
            if n_items < min_items or n_words < min_words:
                status = (f"too few texts ({n_items})" if n_items < min_items
                          else f"too few words ({n_words})")
            elif few:
                status = (f"few test mentions of {lab} ({int(gold)} marked, {int(pred)} "
                          "found): the correction is rough")
            if not n_words:
                rows.append(TrendRow(g, lab, n_items, None, None, None, None, None, None,
                                     METHOD, "no words", {}))
                continue
            per = 1000.0 / n_words
            totals = _total_draws(rng, m, m2, n_items, n_boot)
            # (a group with no mention: the interval starts at its estimate, 0)
            raw_low = min(float(np.percentile(totals, 2.5)), m) * per
            raw_high = float(np.percentile(totals, 97.5)) * per
            if not measurable:
                rows.append(TrendRow(g, lab, n_items, m * per, raw_low, raw_high, None, None,
                                     None, METHOD, f"not corrected: the test split has no {lab} "
                                     + ("mention" if not gold else "prediction"),
                                     {"raw": m * per}))
                continue
            draws = totals * ratios
            assert ratio is not None
            low = min(float(np.percentile(draws, 2.5)), m * ratio) * per
            high = float(np.percentile(draws, 97.5)) * per
            rows.append(TrendRow(g, lab, n_items, round(m * per, 6), raw_low, raw_high,
                                 round(m * ratio * per, 6), low, high, METHOD, status,
                                 {"raw": m * per, METHOD: m * ratio * per}))
    return TrendResult(by=str(gb), model=mv.spec, method=METHOD, labels=labels, rows=rows,
                       rates=rates, where=dict(where or {}),
                       notes=[fallback] if fallback else [],
                       settings={"corrected": True, "measure": MEASURE, "model_id": mv.id,
                                 "n_boot": n_boot,
                                 "seed": seed,
                                 "min_items": min_items, "min_words": min_words,
                                 "words": {str(g): words[g][1] for g in groups},
                                 "interval": "95%, the group's mentions (spread between its "
                                             "items) times the test split's gold/predicted "
                                             "ratio (bootstrap over its items)",
                                 "choice": {"method": METHOD,
                                            "reason": "gold / predicted mentions on the "
                                                      "labelled test split, per type"}})


def _total_draws(rng: np.random.Generator, m: float, m2: float, n_items: int,
                 n_boot: int) -> np.ndarray:
    """Draws of a group's mention total: a gamma with the Jeffreys mean ``m + 0.5`` (a
    group with no mention still has an upper bound) and the variance the spread between
    its items gives (``n x`` the per-item variance), never less than a Poisson count's."""
    var_items = (m2 - m * m / n_items) / max(n_items - 1, 1) if n_items else 0.0
    mean = m + 0.5
    dispersion = max(1.0, max(var_items, 0.0) * n_items / mean)
    return rng.gamma(mean / dispersion, dispersion, n_boot)  # type: ignore[no-any-return]


__all__ = ["MEASURE", "entity_trends", "mention_stats", "test_counts"]
