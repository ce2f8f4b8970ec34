"""The policy on the frozen test split: the model's candidates on the test items (stored,
or predicted now where missing) and how often the policy's accepts are right there. The
optimiser picks thresholds from them; the dry run estimates the wrong auto-accepts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import LabelError
from ..tasks.kinds import Candidate, task_kind
from .intervals import grouped_wilson, intra_group_correlation

if TYPE_CHECKING:
    from ..registry.models import ModelVersion
    from ..workspace import Workspace
    from .policy import Policy


def mark_test_split_read(ws: Workspace, purpose: str, model: str) -> None:
    """Record that the test split was read: it is frozen from now on (``split.freeze``)."""
    from ..tasks.splits import test_data

    try:
        test_data(ws, reader=f"act ({purpose}, {model})", freeze=True)
    except LabelError:
        return  # an empty test split: nothing was read, nothing to freeze


def frozen_test_gold(ws: Workspace) -> dict[str, Any]:
    """Gold labels of the test items: item id -> gold label (nothing is frozen here);
    empty when there is no labelled test split."""
    from ..tasks.splits import test_data

    try:
        data = test_data(ws, reader="act", freeze=False)
    except LabelError:
        return {}
    return {item.item_id: gold for item, gold in zip(data.items, data.labels, strict=True)}


def frozen_test_candidates(ws: Workspace, mv: ModelVersion, gold: dict[str, Any], *,
                           predict_missing: bool = True
                           ) -> tuple[list[tuple[str, Candidate]], dict[str, Any]]:
    """(item_id, candidate) of the model on the test items, from stored predictions; test
    items without one are predicted in memory with the saved model when it loads."""
    kind = task_kind(ws.card)
    t = ws.store.t
    out: list[tuple[str, Candidate]] = []
    seen: set[str] = set()
    malformed = 0
    ids = sorted(gold)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        with ws.store.read() as conn:
            rows = conn.execute(sa.select(t.predictions.c.item_id, t.predictions.c.label,
                                          t.predictions.c.labels, t.predictions.c.scores,
                                          t.predictions.c.score)
                                .where(t.predictions.c.model_id == mv.id,
                                       t.predictions.c.item_id.in_(chunk))).fetchall()
        for row in rows:
            try:
                out.extend((row.item_id, c) for c in kind.candidates(
                    kind.from_stored(row.label, row.labels, row.scores, row.score)))
            except (TypeError, ValueError, AttributeError):
                malformed += 1  # predicted again below, when the model loads
                continue
            seen.add(row.item_id)
    missing = [i for i in ids if i not in seen]
    info: dict[str, Any] = {"test_items": len(ids), "stored": len(seen), "predicted_now": 0,
                            "missing": len(missing), "malformed": malformed}
    if missing and predict_missing:
        from ..errors import GlamlabError
        from ..inference.score import model_scorer

        try:
            _mv, score = model_scorer(ws, mv.spec)
        except GlamlabError as exc:  # the model cannot load here: say why, use what is stored
            info["predict_error"] = exc.message
            return out, info
        items = list(ws.items(ids=missing))
        res = score(items)
        for item, pred in zip(items, res.predictions, strict=True):
            if pred is not None:
                out.extend((item.item_id, c) for c in kind.candidates(pred))
        info["predicted_now"] = res.done
        info["missing"] = len(missing) - res.done
        if res.failures:
            info["predict_error"] = res.failures[0][1]
    return out, info


def frozen_test_precision(ws: Workspace, mv: ModelVersion, policy: Policy, *,
                   mark_read: bool = True) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Per label: how many test predictions the policy accepts, how many are right, and
    the 95% Wilson interval of that precision on the *effective* number of items (test
    items of one group, e.g. pages of one book, count as fewer than independent ones:
    :func:`glamlab.actions.intervals.grouped_wilson`). ``info["accepted_groups"]`` holds
    the (right, accepted) counts per group over all labels and ``info["rho"]`` the
    intra-group correlation, for an overall interval."""
    from ..evaluation.calibration import group_keys, split_group_by

    gold = frozen_test_gold(ws)
    if not gold:
        return {}, {"test_items": 0}
    kind = task_kind(ws.card)
    cands, info = frozen_test_candidates(ws, mv, gold)
    if mark_read and cands:
        mark_test_split_read(ws, "act: test precision of the policy", mv.spec)
    group_by = split_group_by(ws)
    groups = group_keys(ws, sorted(gold), group_by)
    every: dict[str, list[int]] = {}
    accepted: dict[str, list[int]] = {}
    per_group: dict[str, dict[str, list[int]]] = {}
    per: dict[str, dict[str, Any]] = {}
    for item_id, c in cands:
        ok = int(kind.is_correct(c, gold[item_id]))
        g = groups.get(item_id, item_id)
        e = every.setdefault(g, [0, 0])
        e[0] += ok
        e[1] += 1
        action, _ = policy.decide(c.label, c.score)
        if action != "accept":
            continue
        d = per.setdefault(c.label, {"accepted": 0, "correct": 0})
        d["accepted"] += 1
        d["correct"] += ok
        for counts in (per_group.setdefault(c.label, {}).setdefault(g, [0, 0]),
                       accepted.setdefault(g, [0, 0])):
            counts[0] += ok
            counts[1] += 1
    rho = intra_group_correlation((k, n) for k, n in every.values())
    for label, d in per.items():
        d["precision"] = d["correct"] / d["accepted"]
        lo, hi, n_eff = grouped_wilson([(k, n) for k, n in per_group[label].values()], rho)
        d["ci95"] = [lo, hi]
        d["effective_n"] = round(n_eff, 1)
        d["groups"] = len(per_group[label])
    info["group_by"] = group_by
    info["rho"] = round(rho, 4) if rho is not None else None
    info["accepted_groups"] = [(k, n) for k, n in accepted.values()]
    return per, info
