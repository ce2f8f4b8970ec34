"""Choose accept thresholds from the frozen test split so that the auto-accepted set
reaches a precision target (like Annif's ``optimize``, aimed at precision, not F1).

For each label, the candidates are the test items on which the model predicts that
label (the top label; every scored label in a multi-label task). Sorted by score, the
threshold is the lowest score at which the accepted set (score >= threshold) still has
precision >= target: the most auto-accepts the target allows. With
``criterion="lower_bound"`` the 95% Wilson lower bound must reach the target instead,
which needs many more test items (about 300 all-correct ones for 0.99).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from ..errors import PolicyError
from ..store import now
from ..tasks.kinds import task_kind
from .act import plan, resolve_model
from .intervals import wilson
from .policy import LabelPolicy, Policy, fmt, load_policy
from .test_split import frozen_test_candidates, frozen_test_gold, mark_test_split_read

if TYPE_CHECKING:
    from ..workspace import Workspace

CRITERIA = ("point", "lower_bound")


def pick_threshold(scored: list[tuple[float, bool]], target: float,
                   criterion: str = "point") -> dict[str, Any]:
    """The lowest threshold whose accepted set (score >= threshold) reaches ``target``.

    ``scored`` is (score, correct) per candidate. Returns the threshold (None when no
    threshold reaches the target) with the accepted count, correct count, precision and
    its 95% Wilson interval."""
    if criterion not in CRITERIA:
        raise PolicyError(f"criterion must be one of {', '.join(CRITERIA)}, not {criterion!r}")
    ordered = sorted(scored, key=lambda sc: -sc[0])
    best: dict[str, Any] = {"threshold": None, "accepted": 0, "correct": 0, "precision": None,
                            "ci95": None, "candidates": len(ordered)}
    n = k = 0
    i = 0
    while i < len(ordered):
        s = ordered[i][0]
        while i < len(ordered) and ordered[i][0] == s:  # ties enter together
            n += 1
            k += int(ordered[i][1])
            i += 1
        p = k / n
        lo, hi = wilson(k, n)
        ok = p >= target if criterion == "point" else lo >= target
        if ok:
            best = {"threshold": s, "accepted": n, "correct": k, "precision": p,
                    "ci95": [lo, hi], "candidates": len(ordered)}
    return best


def optimise(ws: Workspace, *, target_precision: float, model: str | None = None,
             criterion: str = "point", review_threshold: float = 0.5,
             write: bool = False) -> dict[str, Any]:
    """Pick accept thresholds per label; with ``write`` save them in ``[policy]``."""
    if not 0.0 < target_precision <= 1.0:
        raise PolicyError(f"the target precision must be above 0 and at most 1, not "
                          f"{target_precision:g}", hint="e.g. --target-precision 0.99")
    if not 0.0 <= review_threshold <= 1.0:
        raise PolicyError(f"the review threshold must be between 0 and 1, not "
                          f"{review_threshold:g}")
    current = load_policy(ws.card)
    mv = resolve_model(ws, model, current)
    gold = frozen_test_gold(ws)
    if not gold:
        raise PolicyError("there is no labelled test split to choose thresholds on",
                          hint="label items and freeze a test split: glamlab labels split")
    cands, info = frozen_test_candidates(ws, mv, gold)
    if not cands:
        raise PolicyError(f"model {mv.spec} has no predictions on the {len(gold)} test items"
                          + (f" and could not predict them ({info['predict_error']})"
                             if "predict_error" in info else ""),
                          hint=f"run it over the test items: glamlab run --model {mv.spec}")
    mark_test_split_read(ws, f"act --optimise (target precision {target_precision:g})", mv.spec)
    kind = task_kind(ws.card)
    by_label: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for item_id, c in cands:
        by_label[c.label].append((c.score, kind.is_correct(c, gold[item_id])))
    labels: dict[str, LabelPolicy] = {}
    results: list[dict[str, Any]] = []
    total_acc = total_ok = 0
    for label in ws.card.labels:
        res = pick_threshold(by_label.get(label, []), target_precision, criterion)
        old = current.labels.get(label)
        review = old.review if old is not None and old.review is not None else review_threshold
        if res["threshold"] is not None:
            review = min(review, res["threshold"])
        labels[label] = LabelPolicy(accept=res["threshold"], review=review)
        res["coverage"] = res["accepted"] / res["candidates"] if res["candidates"] else 0.0
        results.append({"label": label, "review": review, **res})
        total_acc += res["accepted"]
        total_ok += res["correct"]
    new_policy = Policy(field=current.field, default_action=current.default_action,
                        labels=labels, model=current.model, target_precision=target_precision,
                        extra={"optimised_with": mv.spec, "optimised_at": now().isoformat(
                            timespec="seconds") + "Z", "criterion": criterion})
    overall_ci = list(wilson(total_ok, total_acc)) if total_acc else None
    preview = plan(ws, model=mv.spec, dry_run=True, policy=new_policy).to_dict()
    out = {
        "model": mv.spec, "target_precision": target_precision, "criterion": criterion,
        "interval": "95% Wilson score interval", "test": info,
        "labels": results,
        "overall": {"accepted": total_acc, "correct": total_ok,
                    "precision": total_ok / total_acc if total_acc else None,
                    "ci95": overall_ci,
                    "meets_target_at_lower_bound": bool(overall_ci and
                                                        overall_ci[0] >= target_precision)},
        "collection": {"counts": preview["counts"], "review_hours": preview["review_hours"],
                       "expected_wrong_accepts": preview["expected_wrong_accepts"],
                       "filter": preview["filter"]},
        "policy": new_policy.to_toml(), "written": False,
    }
    if write:
        write_thresholds(ws, out)
    return out


def write_thresholds(ws: Workspace, result: dict[str, Any]) -> None:
    """Save an :func:`optimise` result's policy in ``[policy]`` of glamlab.toml."""
    ws.card.raw["policy"] = result["policy"]
    ws.save_card()
    with ws.store.write() as conn:
        ws.store.audit(conn, "glamlab act", "policy.optimise", result["model"],
                       target_precision=result["target_precision"],
                       criterion=result["criterion"],
                       thresholds={r["label"]: r["threshold"] for r in result["labels"]})
    result["written"] = True


def render_optimise(res: dict[str, Any]) -> str:
    lines = [f"Thresholds for precision >= {res['target_precision']:g} on the frozen test split "
             f"({res['test']['test_items']} items), model {res['model']}, criterion "
             f"{res['criterion']}; intervals are 95% Wilson:"]
    for r in res["labels"]:
        if r["threshold"] is None:
            lines.append(f"  {r['label']}: no threshold reaches the target on "
                         f"{r['candidates']} test predictions; never auto-accepted "
                         f"(review from {r['review']:g})")
        else:
            lo, hi = r["ci95"]
            lines.append(f"  {r['label']}: accept >= {fmt(r['threshold'])}: {r['correct']}/"
                         f"{r['accepted']} right, precision {r['precision']:.3f} "
                         f"(95% CI {lo:.3f}-{hi:.3f}), {r['coverage']:.0%} of its predictions "
                         f"auto-accepted; review from {r['review']:g}")
    o = res["overall"]
    if o["accepted"]:
        lo, hi = o["ci95"]
        met = "meets" if o["meets_target_at_lower_bound"] else "does NOT meet"
        lines.append(f"All auto-accepts on the test split: {o['correct']}/{o['accepted']} right, "
                     f"precision {o['precision']:.3f} (95% CI {lo:.3f}-{hi:.3f}); the lower "
                     f"bound {met} the target.")
    c = res["collection"]
    lines.append(f"On the collection: accept {c['counts']['accept']}, review "
                 f"{c['counts']['review']} (about {c['review_hours']:.1f} reviewer hours), "
                 f"reject {c['counts']['reject']}.")
    lines.append("Written to [policy] in glamlab.toml." if res["written"] else
                 "Not written: add --write to save these thresholds in [policy].")
    return "\n".join(lines)
