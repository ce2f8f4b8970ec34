"""Choose accept thresholds so that the auto-accepted set reaches a precision target
(like Annif's ``optimize``, aimed at precision, not F1), on calibration data, and report
the precision those thresholds reach on the frozen test split.

Thresholds are tuned on **calibration** data (:mod:`glamlab.evaluation.calibration`: the
``calibration`` split when there is one, else out-of-fold predictions on the train
split), never on the test split: a precision measured on the items that chose the
threshold is optimistic (the threshold sits just where those items happened to be
right). The test split then scores the chosen thresholds once; that figure, with its
95% Wilson interval, is the one to expect. Calibration figures are marked
``in_sample``.

For each label, the candidates are the items on which the model predicts that label
(the top label; every scored label in a multi-label task). Sorted by score, the
threshold is the lowest score at which the accepted set (score >= threshold) still
reaches the target: by default (``criterion="point"``) the calibration precision itself;
with ``"expected"`` *the precision to expect* from that evidence (the Jeffreys posterior
mean on the effective number of items, so that 1 or 2 lucky calibration items, 3 of 3
right is 0.875, or the pages of one lucky book do not set a threshold); with
``"lower_bound"`` its 95% lower bound (about 70 all-correct items for 0.95). When no threshold reaches the target, the label is never auto-accepted, and
with no label at all the result says ``declined``: glamlab does not automate on
evidence that cannot support the target, and says so.

Items of one group (the split's ``group_by``: pages of one book, works of one artist;
without it, the several predictions of one item) go right or wrong together, so both
the calibration criterion and the test interval count them as fewer independent items
(:func:`glamlab.actions.intervals.grouped_wilson`). The figure to expect is the test
precision shrunk the same way (``expected_precision``): 1 of 1 right on test is 0.75,
not 100%.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import PolicyError
from ..progress import own_steps, plural, review_time, step
from ..store import now
from ..tasks.kinds import Candidate, task_kind
from .act import (
    ACTOR,
    WEB_RUN,
    choose_model,
    default_model_spec,
    default_review_threshold,
    plan,
    policy_now,
)
from .intervals import (
    design_effect_from_sums,
    expected_precision,
    grouped_wilson,
    intra_group_correlation,
    wilson_rate,
)
from .policy import LabelPolicy, Policy, load_policy, threshold_pct, thresholds_text
from .test_split import (
    frozen_test_candidates,
    frozen_test_gold,
    frozen_test_precision,
    mark_test_split_read,
)

if TYPE_CHECKING:
    from ..registry.models import ModelVersion
    from ..workspace import Workspace

CRITERIA = ("expected", "point", "lower_bound")
#: the default: the most auto-accepts the calibration data allows; the figure to expect
#: (``expected_precision`` on the effective number of test items) then says how far a
#: thin calibration sample can be trusted. ``expected`` declines more often, which left
#: smaller, noisier accepted sets in benchmarks/honesty.py (see docs/safety.md)
DEFAULT_CRITERION = "point"
#: what thresholds are tuned on; "test" is today's old behaviour, kept for comparison
#: (benchmarks/honesty.py): its figures are in-sample.
TUNE_ON = ("calibration", "test")
#: where the web app finds what thresholds are tuned on (it labels no calibration split)
WEB_CALIBRATION = ("label more items for training on the Label page: the thresholds are "
                   "worked out on them (a separate calibration set cannot be imported "
                   "here: ask whoever runs glamlab on the server to run "
                   "\"glamlab labels import FILE --split calibration\")")
#: where the web app makes the test split the chosen thresholds are checked on
WEB_TEST_SPLIT = ("label items for the test set on the Label page (Labels go to: the test "
                  "set)")


#: scores that differ by less than this are the same score: one text scored twice (a
#: duplicate in the collection, a model refitted on the same folds) can differ in the last
#: bits of a float, and a threshold that sat exactly on such a score sent its duplicates
#: to accept or to review by chance (``glamlab act --dry-run`` then ``glamlab act``
#: disagreed about them). A threshold is a score floored to this step.
THRESHOLD_STEPS = 10**9  # per unit of score: a step of 1e-9


def threshold_floor(score: float) -> float:
    """``score`` floored to a step of 1/:data:`THRESHOLD_STEPS` (0.85 stays 0.85;
    0.48364571866942396 and 0.4836457186694241, the same text scored twice, are both
    0.483645718)."""
    steps = math.floor(score * THRESHOLD_STEPS + 1e-6)
    if steps / THRESHOLD_STEPS > score:  # a hair below a step (1 - 19/100): the one before
        steps -= 1
    return steps / THRESHOLD_STEPS


def pick_threshold(scored: Sequence[tuple[float, bool] | tuple[float, bool, str]],
                   target: float, criterion: str = DEFAULT_CRITERION,
                   rho: float | None = None) -> dict[str, Any]:
    """The lowest threshold whose accepted set (score >= threshold) reaches ``target``.

    ``scored`` is (score, correct) or (score, correct, group) per candidate; candidates of
    one group (pages of one book) count as fewer independent ones (the design effect, with
    ``rho`` the intra-group correlation: :mod:`glamlab.actions.intervals`). ``criterion``:
    ``point`` (the precision seen), ``expected`` (the precision to expect from that much
    evidence: the Jeffreys posterior mean on the effective number of items, so 2 of 2
    right is not 95%), ``lower_bound`` (its 95% Wilson lower bound). Returns the threshold
    (None when no threshold reaches the target) with the accepted count, correct count,
    precision, its 95% interval and the effective number of items."""
    if criterion not in CRITERIA:
        raise PolicyError(f"criterion must be one of {', '.join(CRITERIA)}, not {criterion!r}")
    ordered = sorted(scored, key=lambda sc: -sc[0])
    best: dict[str, Any] = {"threshold": None, "accepted": 0, "correct": 0, "precision": None,
                            "ci95": None, "effective_n": 0.0, "candidates": len(ordered)}
    per_group: dict[Any, tuple[int, int]] = {}
    n = k = 0
    s_nn = s_kn = s_kk = 0
    i = 0
    while i < len(ordered):
        s = threshold_floor(ordered[i][0])
        # ties enter together (scores within one step of THRESHOLD_STEPS are one score)
        while i < len(ordered) and ordered[i][0] >= s:
            ok = int(ordered[i][1])
            g = ordered[i][2] if len(ordered[i]) > 2 else i  # type: ignore[misc]
            kg, ng = per_group.get(g, (0, 0))
            per_group[g] = (kg + ok, ng + 1)
            s_nn += 2 * ng + 1
            s_kn += (kg + ok) * (ng + 1) - kg * ng
            s_kk += (kg + ok) ** 2 - kg * kg
            n += 1
            k += ok
            i += 1
        p = k / n
        n_eff = n / design_effect_from_sums(n, k, len(per_group), s_nn, s_kn, s_kk, rho)
        lo, hi = wilson_rate(p, n_eff)
        if criterion == "point":
            reached = p >= target
        elif criterion == "expected":
            reached = expected_precision(p, n_eff) >= target
        else:
            reached = lo >= target
        if reached:
            best = {"threshold": s, "accepted": n, "correct": k, "precision": p,
                    "ci95": [lo, hi], "effective_n": round(n_eff, 1),
                    "candidates": len(ordered)}
    return best


def calibration_candidates(ws: Workspace, mv: ModelVersion, *, source: str = "auto",
                           folds: int = 5, seed: int = 0, web: bool = False,
                           progress: bool = False) -> tuple[list[tuple[str, Candidate]], dict[str, Any], dict[str, Any]]:
    """(item_id, candidate) of the model on calibration data, the gold labels of those
    items, and where they came from. The calibration split's stored predictions are used
    when there are any (the model predicts the rest); out-of-fold predictions come from
    copies of the model fitted on the other folds of the train split. ``web``: an
    error's fix names the web app's pages, not commands. ``progress``: say on stderr
    what is being refitted while it is."""
    from ..errors import GlamlabError
    from ..evaluation.calibration import calibration_split, out_of_fold
    from ..registry.models import load_model

    kind = task_kind(ws.card)
    if source in ("auto", "split"):
        data = calibration_split(ws)
        if data is not None:
            gold = {i.item_id: g for i, g in zip(data.items, data.labels, strict=True)}
            cands, info = frozen_test_candidates(ws, mv, gold)
            return cands, gold, {"source": "split", "items": len(gold),
                                 "stored": info["stored"], "predicted_now": info["predicted_now"],
                                 "missing": info["missing"], "in_sample": True}
        if source == "split":
            raise PolicyError("the calibration split is empty",
                              hint=WEB_CALIBRATION if web else
                              "import labels into it (glamlab labels import FILE --split "
                              "calibration), or tune on out-of-fold predictions: "
                              "--calibration out-of-fold")
    try:
        _mv, predictor = load_model(ws, mv.spec)
        cal = out_of_fold(ws, predictor, folds=folds, seed=seed, progress=progress,
                          name=mv.spec)
    except GlamlabError as exc:
        raise PolicyError(f"no calibration data for model {mv.spec}: out-of-fold predictions "
                          f"on the train split failed ({exc.message})",
                          hint=WEB_CALIBRATION if web else
                          "label a calibration split (glamlab labels import FILE --split "
                          "calibration) and run the model on it") from exc
    cands = [(item_id, c) for item_id, pred in zip(cal.ids, cal.predictions, strict=True)
             if pred is not None for c in kind.candidates(pred)]
    gold = dict(zip(cal.ids, cal.golds, strict=True))
    return cands, gold, {**cal.describe(), "in_sample": True}


@own_steps
def optimise(ws: Workspace, *, target_precision: float, model: str | None = None,
             criterion: str = DEFAULT_CRITERION, review_threshold: float | None = None,
             write: bool = False, calibration: str = "auto", folds: int = 5, seed: int = 0,
             tune_on: str = "calibration", web: bool = False,
             progress: bool = False) -> dict[str, Any]:
    """Pick accept thresholds per label on calibration data (``calibration``: "auto",
    "split" or "out-of-fold"), report what they reach on the frozen test split; with
    ``write`` save them in ``[policy]``. ``tune_on="test"`` is the old, optimistic way
    (thresholds and figures from the same test items), kept to measure the difference.

    ``review_threshold``: the score from which a prediction below accept goes to a
    person (below it: rejected, nobody sees it), for every label. None (the default): the
    review thresholds a person saved in ``[policy]`` stand, and labels without one get
    the project's own (:func:`.act.default_review_threshold`: the ``[task] threshold`` of
    a multi-label task, 0 otherwise), so no prediction that reaches a person under the
    defaults is dropped unless someone chooses it. ``result["collection"]["changes"]``
    counts the predictions whose action saving would change (``"review->reject"``: sent
    to a person now, rejected then; "now" is :func:`.act.policy_now`).

    ``result["notes"]``: what to tell the person about the model, as ``act``'s report
    says it (:func:`.act.choose_model`): with no model in use yet, the thresholds
    are worked out on the latest run's model, and the note names it.

    ``web``: errors and warnings name the web app's pages (its Label, Run and Train
    models pages), not commands: the Choose the policy page shows them."""
    if not 0.0 < target_precision <= 1.0:
        raise PolicyError(f"the target precision must be above 0 and at most 1, not "
                          f"{target_precision:g}",
                          hint="e.g. 0.99: 99 of 100 accepted items right" if web else
                          "e.g. --target-precision 0.99")
    if review_threshold is not None and not 0.0 <= review_threshold <= 1.0:
        raise PolicyError(f"the review threshold must be between 0 and 1, not "
                          f"{review_threshold:g}")
    if tune_on not in TUNE_ON:
        raise PolicyError(f"tune_on must be one of {', '.join(TUNE_ON)}, not {tune_on!r}")
    current = load_policy(ws.card, web=web)
    # with no model in use yet, the latest run's model, said in the notes as act says it
    mv, fallback = choose_model(ws, model, current, web=web)
    # [policy] is applied to the model in use: thresholds tuned on another are shown only
    not_saved = not_in_use_note(ws, mv.spec, web=web)
    if write and not not_saved:  # refused before the work, not after it
        from ..config import check_card_writable

        check_card_writable(ws.card_path)
    from ..registry.overlap import check_disjoint

    check_disjoint(ws, mv, "choosing the thresholds" if web else "act --optimise", web=web)
    gold = frozen_test_gold(ws)
    if not gold:
        raise PolicyError("there is no labelled test split to report the thresholds on",
                          hint=WEB_TEST_SPLIT if web else
                          "label items and freeze a test split: glamlab labels split")
    if tune_on == "test":
        cands, info = frozen_test_candidates(ws, mv, gold)
        cal_gold = gold
        cal_info: dict[str, Any] = {"source": "test", "items": len(gold), "in_sample": True}
        if not cands:
            raise PolicyError(f"model {mv.spec} has no predictions on the {len(gold)} test "
                              "items", hint=f"first {WEB_RUN}" if web else
                              f"run it over the test items: glamlab run --model {mv.spec}")
    else:
        step(f"step 1 of 3, getting {mv.spec}'s predictions on the calibration data")
        cands, cal_gold, cal_info = calibration_candidates(ws, mv, source=calibration,
                                                           folds=folds, seed=seed, web=web,
                                                           progress=progress)
        if not cands:
            raise PolicyError(f"model {mv.spec} has no predictions on the "
                              f"{cal_info.get('items', 0)} calibration items",
                              hint=WEB_CALIBRATION if web else
                              "label a calibration split, or more training items")
    step(f"step 2 of 3, choosing a threshold for each of the {len(ws.card.labels)} labels on "
         f"{len(cands):,} calibration {plural(len(cands), 'prediction')}")
    kind = task_kind(ws.card)
    from ..evaluation.calibration import group_keys

    # candidates of one group (the split's group_by: pages of one book) are not independent
    groups = group_keys(ws, sorted(cal_gold))
    by_label: dict[str, list[tuple[float, bool, str]]] = defaultdict(list)
    every: dict[str, list[int]] = {}
    for item_id, c in cands:
        ok = kind.is_correct(c, cal_gold[item_id])
        g = groups.get(item_id, item_id)
        by_label[c.label].append((c.score, ok, g))
        e = every.setdefault(g, [0, 0])
        e[0] += int(ok)
        e[1] += 1
    cal_rho = intra_group_correlation((k, n) for k, n in every.values())
    cal_info["rho"] = round(cal_rho, 4) if cal_rho is not None else None
    labels: dict[str, LabelPolicy] = {}
    picked: dict[str, dict[str, Any]] = {}
    # review thresholds a person set stand; those act proposed itself were its defaults
    # (0 for every label of a multi-label task, before), not anyone's choice
    keep = current.extra.get("proposed_by") != ACTOR and review_threshold is None
    project_review = default_review_threshold(kind)
    kept: list[str] = []
    for label in ws.card.labels:
        res = pick_threshold(by_label.get(label, []), target_precision, criterion, cal_rho)
        old = current.labels.get(label) if keep else None
        if old is not None and old.review is not None:
            review = old.review
            kept.append(label)
        else:
            review = project_review if review_threshold is None else review_threshold
        if res["threshold"] is not None:
            review = min(review, res["threshold"])
        labels[label] = LabelPolicy(accept=res["threshold"], review=review)
        res["coverage"] = res["accepted"] / res["candidates"] if res["candidates"] else 0.0
        picked[label] = {"review": review, **res}
    new_policy = Policy(field=current.field, default_action=current.default_action,
                        labels=labels, model=current.model, target_precision=target_precision,
                        extra={"optimised_with": mv.spec, "optimised_at": now().isoformat(
                            timespec="seconds") + "Z", "criterion": criterion,
                            "tuned_on": cal_info["source"]})
    # the honest figure: the chosen thresholds scored once on the frozen test split
    step("step 3 of 3, scoring the chosen thresholds on the test items and counting what they "
         "change in the collection")
    mark_test_split_read(ws, f"act --optimise (target precision {target_precision:g})", mv.spec)
    per_test, test_info = frozen_test_precision(ws, mv, new_policy, mark_read=False)
    # a threshold no test prediction reaches has no evidence on the test split: nothing
    # shows that what it accepts is right (0 of 0). Where the kind says so (entities),
    # the label is not automatic: what would have been accepted goes to review, and the
    # result says why (other kinds accept it, and act names it as unmeasured)
    untested: dict[str, float] = {}
    for label, res in picked.items():
        if (not kind.accepts_untested and res["threshold"] is not None
                and not per_test.get(label, {}).get("accepted")):
            untested[label] = res["threshold"]
            res["threshold"] = None
            labels[label] = LabelPolicy(accept=None, review=res["review"])
    accepted_groups = test_info.pop("accepted_groups", [])
    test_in_sample = tune_on == "test"
    from ..tasks.splits import budget_warning, record_test_use, test_budget, test_data

    fp = test_data(ws, reader="act --optimise", freeze=False).fingerprint
    test_info["uses"] = record_test_use(ws, fp, f"act --optimise {mv.spec}")
    over = budget_warning(test_info["uses"], test_budget(ws), web=web)
    if over:
        test_info["warning"] = over
    results: list[dict[str, Any]] = []
    total_acc = total_ok = cal_acc = cal_ok = 0
    for label in ws.card.labels:
        res = picked[label]
        tst = per_test.get(label, {"accepted": 0, "correct": 0})
        row = {"label": label, "review": res["review"], "threshold": res["threshold"],
               "accepted": tst["accepted"], "correct": tst["correct"],
               "precision": tst.get("precision"), "ci95": tst.get("ci95"),
               "effective_n": tst.get("effective_n"),
               "expected_precision": (expected_precision(tst["precision"], tst["effective_n"])
                                      if tst["accepted"] else None),
               "computed_on": "test", "in_sample": test_in_sample,
               "candidates": res["candidates"], "coverage": res["coverage"],
               "calibration": {k: res[k] for k in ("accepted", "correct", "precision", "ci95",
                                                   "effective_n", "candidates", "coverage")}
               | {"in_sample": True}}
        if label in untested:
            row["untested_threshold"] = untested[label]
            row["why"] = untested_why(label, untested[label], test_info, kind.candidates_word)
        results.append(row)
        total_acc += tst["accepted"]
        total_ok += tst["correct"]
        if res["threshold"] is not None:
            cal_acc += res["accepted"]
            cal_ok += res["correct"]
    overall_ci = overall_n_eff = None
    if total_acc:
        lo, hi, n_eff = grouped_wilson(accepted_groups, test_info.get("rho"))
        overall_ci, overall_n_eff = [lo, hi], round(n_eff, 1)
    cal_groups: dict[str, list[int]] = {}
    for label, res in picked.items():
        if res["threshold"] is None:
            continue
        for score, ok, g in by_label.get(label, []):
            if score >= res["threshold"]:
                counts = cal_groups.setdefault(g, [0, 0])
                counts[0] += int(ok)
                counts[1] += 1
    cal_ci = (list(grouped_wilson([(k, n) for k, n in cal_groups.values()], cal_rho)[:2])
              if cal_acc else None)
    preview = plan(ws, model=mv.spec, dry_run=True, policy=new_policy, web=web,
                   before=policy_now(ws, mv.spec, web=web)).to_dict()
    out = {
        "model": mv.spec, "target_precision": target_precision, "criterion": criterion,
        "interval": ("95% Wilson score interval on the effective number of items (items of "
                     "one group count as fewer)" if test_info.get("group_by")
                     else "95% Wilson score interval"), "tuned_on": cal_info["source"],
        "calibration": {**cal_info,
                        "accepted": cal_acc, "correct": cal_ok,
                        "precision": cal_ok / cal_acc if cal_acc else None,
                        "ci95": cal_ci},
        "test": {**test_info, "in_sample": test_in_sample},
        "labels": results,
        # where the review thresholds came from: chosen for this call, kept from
        # [policy] (those labels), or the project's own for the rest
        "review_from": {"chosen": review_threshold, "kept": kept, "project": project_review},
        "overall": {"accepted": total_acc, "correct": total_ok,
                    "precision": total_ok / total_acc if total_acc else None,
                    "ci95": overall_ci, "effective_n": overall_n_eff,
                    # the figure to expect: the test precision, shrunk by how little
                    # evidence (how few independent items) it rests on
                    "expected_precision": (expected_precision(total_ok / total_acc,
                                                              overall_n_eff or 0.0)
                                           if total_acc else None),
                    "computed_on": "test", "in_sample": test_in_sample,
                    "declined": not any(r["threshold"] is not None for r in picked.values()),
                    "meets_target_at_lower_bound": bool(overall_ci and
                                                        overall_ci[0] >= target_precision)},
        "collection": {"counts": preview["counts"], "review_hours": preview["review_hours"],
                       "review_already_decided": preview.get("review_already_decided", 0),
                       "review_settled_by_gold": preview.get("review_settled_by_gold", 0),
                       "review_workload": preview.get("review_workload"),
                       # the accepts no person's label settles (the rest, a label does)
                       "accept_unsettled": preview.get("accept_unsettled"),
                       "expected_wrong_accepts": preview["expected_wrong_accepts"],
                       "filter": preview["filter"], "unit": preview["unit"],
                       "items_with_predictions": preview.get("items_with_predictions"),
                       "changes": preview.get("changes") or {},
                       "changes_items": preview.get("changes_items") or {},
                       "nouns": [kind.noun_one, kind.noun]},
        "policy": new_policy.to_toml(), "written": False,
        # what to tell the person about the model: e.g. no model is in use yet, so
        # these are the latest run's model's predictions (as act's report says it)
        "notes": [fallback] if fallback else [],
        # why these thresholds cannot be saved in [policy] (None: they can)
        "not_saved": not_saved,
    }
    if not_saved:
        out["notes"].append(not_saved)
    elif write:
        write_thresholds(ws, out)
    return out


def not_in_use_note(ws: Workspace, spec: str, *, web: bool = False) -> str | None:
    """Why thresholds tuned on the model ``spec`` are not saved in ``[policy]``, in plain
    words with the fix: it is not the model act and export use without ``--model`` (the
    model in use), and ``[policy]`` is applied to that model, so the thresholds would be
    applied to a model they were not tuned for. None when ``spec`` is the model in use.
    The fix, choosing ``spec`` first, names the web app's pages (``web``), else commands."""
    found = _not_in_use(ws, spec, web=web)
    if found is None:
        return None
    why, fix = found
    return f"Not saved in [policy]: {why}. To use thresholds tuned on {spec}, {fix}."


def _not_in_use(ws: Workspace, spec: str, *, web: bool = False) -> tuple[str, str] | None:
    """(what is wrong, the fix) for :func:`not_in_use_note`; None when nothing is."""
    from ..errors import ModelNotFound
    from ..registry.models import champion, get_model

    policy = load_policy(ws.card, web=web)
    policy_model = policy.model
    try:
        in_use = default_model_spec(ws, policy)
    except ModelNotFound:  # [policy] model names no model: the model in use, as act does
        policy_model, in_use = None, default_model_spec(ws)
    if in_use is None or in_use == spec:
        return None
    from .act import _champion

    who = (f"the model in use is {in_use}" if policy_model or _champion(ws) is not None else
           f"act and export use {in_use} (no model is in use yet: the latest run's model)")
    why = (f"these thresholds were tuned on {spec}, but {who}, and the policy is applied to "
           f"that model, not to {spec}")
    if web and policy_model:  # the Admin page's choice does not override [policy] model
        return why, (f'name {spec} in [policy] of the project\'s glamlab.toml (model = '
                     f'"{spec}"), or take that line out and choose {spec} on the Admin page, '
                     "then work out the thresholds again")
    if web:
        return why, (f"choose {spec} on the Admin page (make it the model in use), then "
                     "work out the thresholds again")
    if policy_model:
        how = f'name it in [policy] of glamlab.toml: model = "{spec}"'
    else:
        mv = get_model(ws, spec)
        try:
            chosen = champion(ws, mv.name).id == mv.id
        except ModelNotFound:
            chosen = False
        how = f"glamlab models use {mv.name}" if chosen else f"glamlab models promote {spec}"
    return why, (f"choose {spec} first ({how}), then glamlab act --optimise "
                 "--target-precision P --write")


def review_sentence(res: dict[str, Any], *, web: bool = False) -> str:
    """Where the review band starts and what saving the result changes, in words:
    what is rejected without review, and what now reaches a person and would not."""
    c = res["collection"]
    reviews = sorted({r["review"] for r in res["labels"]})
    src = res.get("review_from") or {}
    if src.get("chosen") is not None:
        why = "the review threshold chosen for this"
    elif src.get("kept"):
        why = "the review thresholds saved in the policy, and the project's own for the rest"
    else:
        why = "the project's own review threshold"
    rejected = c["counts"]["reject"]
    total = sum(c["counts"].values())
    if reviews == [0.0]:
        out = (f"Every prediction below its accept threshold goes to a person ({why}: "
               f"from 0)")
        out += f"; {rejected} of {total} rejected by the safety rules." if rejected else "."
    else:
        if len(reviews) == 1:
            under = (threshold_pct(reviews[0]) + " sure" if web
                     else thresholds_text(reviews)[reviews[0]])
        else:
            under = ("their label's threshold (Sent to a person from, above)" if web
                     else "their label's review threshold (above)")
        out = (f"Predictions scoring under {under} are rejected without review: "
               f"{rejected} of {total} ({why}).")
    changes = c.get("changes") or {}
    items = c.get("changes_items") or {}
    dropped = _counted(changes.get("review->reject", 0), items.get("review->reject"), c)
    lost = _counted(changes.get("accept->reject", 0), items.get("accept->reject"), c)
    if res.get("written"):  # "now" was before it was saved
        if dropped or lost:
            out += (f" Saved: {dropped or 'nothing'} sent to a person before"
                    + (f", and {lost} accepted before" if lost else "")
                    + ", are rejected now.")
    elif dropped or lost:
        out += (f" Saving would reject {dropped or 'nothing'} sent to a person now"
                + (f", and {lost} now accepted" if lost else "")
                + ": nobody would see them.")
    else:
        out += " Saving rejects nothing that now goes to a person."
    return out


def _counted(n: int, items: int | None, c: dict[str, Any]) -> str:
    """``n`` candidates that change action, in words: "3 predictions" where each item
    has one (single-label), "5 suggested labels on 3 items" where an item may have
    several (multi-label, entities); "" for none."""
    unit = c.get("unit") or "items"
    if not n:
        return ""
    if unit == "items" or items is None:
        return _predictions(n)
    one, many = c.get("nouns") or ("item", "items")
    word = unit if n != 1 else {"suggested labels": "suggested label"}.get(
        unit, unit.removesuffix("s"))
    return f"{n} {word} on {items} {plural(items, one, many)}"


def _predictions(n: int) -> str:
    return f"{n} {plural(n, 'prediction')}"


def untested_why(label: str, threshold: float, test_info: dict[str, Any], word: str) -> str:
    """Why a label whose calibration threshold no test prediction reaches is not
    automatic, in plain words."""
    t = thresholds_text([threshold])[threshold]
    items = test_info.get("test_items")
    of = f" (of {items} test items)" if items else ""
    return (f"on the calibration data its {word} from score {t} up reached the target, "
            f"but none of the test split's "
            f"{word}{of} scores that high, so its precision on test is unmeasured (0 of 0 "
            f"right). Its {word} go to review instead. Label more test items that hold "
            f"{label} to automate it")


def write_thresholds(ws: Workspace, result: dict[str, Any], *, web: bool = False) -> None:
    """Save an :func:`optimise` result's policy in ``[policy]`` of glamlab.toml; refused
    when its model is not the model in use (now: it may have changed since), since
    ``[policy]`` is applied to the model in use. ``web``: the fix names the web app's
    pages."""
    found = _not_in_use(ws, result["model"], web=web)
    if found is not None:
        raise PolicyError(f"{found[0]}; nothing was saved in [policy]", hint=found[1])
    ws.update_card({"policy": result["policy"]})
    with ws.store.write() as conn:
        ws.store.audit(conn, "glamlab act", "policy.optimise", result["model"],
                       target_precision=result["target_precision"],
                       criterion=result["criterion"],
                       thresholds={r["label"]: r["threshold"] for r in result["labels"]})
    result["written"] = True


def _source_words(cal: dict[str, Any]) -> str:
    if cal["source"] == "split":
        return f"the calibration split ({cal['items']} items)"
    if cal["source"] == "out-of-fold":
        return (f"out-of-fold predictions on the train split ({cal['items']} items, "
                f"{cal.get('folds', 0)} folds)")
    return f"the frozen test split ({cal['items']} items) itself"


def render_optimise(res: dict[str, Any]) -> str:
    cal = res["calibration"]
    lines = [f"Thresholds for precision >= {res['target_precision']:g} chosen on "
             f"{_source_words(cal)}, model {res['model']}, criterion {res['criterion']}; "
             f"then scored once on the frozen test split ({res['test']['test_items']} items). "
             f"Intervals: {res['interval']}."]
    lines.extend(res.get("notes", []))
    if res["overall"]["in_sample"]:
        lines.append("WARNING: these thresholds were chosen on the test split, so the test "
                     "figures below are in-sample (optimistic), not what to expect.")
    # three decimals, more only where two thresholds would otherwise read the same
    shown = thresholds_text([r[k] for r in res["labels"] for k in ("threshold", "review")])
    for r in res["labels"]:
        review = shown[r["review"]]
        if r.get("untested_threshold") is not None:
            lines.append(f"  {r['label']}: never auto-accepted: {r['why']} (review from "
                         f"{review})")
        elif r["threshold"] is None:
            lines.append(f"  {r['label']}: no threshold reaches the target on "
                         f"{r['candidates']} calibration predictions; never auto-accepted "
                         f"(review from {review})")
        elif not r["accepted"]:
            lines.append(f"  {r['label']}: accept >= {shown[r['threshold']]}: no test item "
                         f"reaches it, so its precision is unmeasured; review from "
                         f"{review}")
        else:
            lo, hi = r["ci95"]
            c = r["calibration"]
            worth = (f", worth {r['effective_n']:g} independent"
                     if r.get("effective_n") is not None and r["effective_n"] < r["accepted"]
                     else "")
            lines.append(f"  {r['label']}: accept >= {shown[r['threshold']]}: on test "
                         f"{r['correct']}/{r['accepted']} right{worth}, precision "
                         f"{r['precision']:.3f} (95% CI {lo:.3f}-{hi:.3f}); on calibration "
                         f"(in-sample) {c['correct']}/{c['accepted']}; review from "
                         f"{review}")
    if res["test"].get("warning"):
        lines.append(f"WARNING: {res['test']['warning']}")
    o = res["overall"]
    if o["accepted"]:
        lo, hi = o["ci95"]
        met = "meets" if o["meets_target_at_lower_bound"] else "does NOT meet"
        what = ("in-sample, not expected" if o["in_sample"] else "the precision to expect")
        worth = (f" (worth {o['effective_n']:g} independent items: items of one "
                 f"{res['test'].get('group_by') or 'item'} go wrong together)"
                 if o.get("effective_n") is not None and o["effective_n"] < o["accepted"]
                 else "")
        lines.append(f"All auto-accepts on the test split: {o['correct']}/{o['accepted']} right"
                     f"{worth}, precision {o['precision']:.3f}; to expect "
                     f"{o['expected_precision']:.3f} (95% CI {lo:.3f}-{hi:.3f}; {what}); the "
                     f"lower bound {met} the target.")
    elif o.get("declined") and any(r.get("untested_threshold") is not None
                                   for r in res["labels"]):
        lines.append("Nothing is auto-accepted: no label both reaches the target on the "
                     "calibration data and has test predictions that show it (see above); "
                     "every prediction goes to review.")
    elif o.get("declined"):
        lines.append("No label reaches the target on the calibration data with enough evidence "
                     "(a few lucky items, or items of a few groups, are not enough): nothing "
                     "is auto-accepted, every prediction goes to review. Label more items "
                     "(from more groups) to automate.")
    c = res["collection"]
    decided = c.get("review_already_decided", 0)
    gold = c.get("review_settled_by_gold", 0)
    workload = c.get("review_workload")
    workload = c["counts"]["review"] - decided - gold if workload is None else workload
    lines.append(f"On the collection: accept {c['counts']['accept']}, review "
                 f"{workload} ({review_time(c['review_hours'])} of review), reject "
                 f"{c['counts']['reject']}"
                 + (f"; {decided} more already decided by a reviewer, not asked again"
                    if decided else "")
                 + (f"; {gold} more settled by a gold label, not asked" if gold else "")
                 + ".")
    lines.append(review_sentence(res))
    lines.append("Written to [policy] in glamlab.toml." if res["written"] else
                 "Not written: add --write to save these thresholds in [policy].")
    return "\n".join(lines)
