"""Evaluating candidates on the frozen test split: leaderboard, intervals, paired
comparisons, slices, and a verdict in plain words.

The task kind (:mod:`glamlab.tasks.kinds`) gives the per-item statistics and the metrics
they reduce to, the baselines, and warnings about its test set; everything here is the
same for every kind.

>>> from glamlab.evaluation import evaluate, fit_baselines, model_candidates
>>> baselines, _rules_report = fit_baselines(ws)
>>> result = evaluate(ws, baselines + model_candidates(ws, ["effnet-logreg"]))
>>> print(result.verdict)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..config import COUNT_METRICS, SLOT_WORDS
from ..errors import EvaluationError, GlamlabError
from ..progress import plural, step
from ..tasks.predict import predict_items
from ..tasks.splits import field_fix
from .bootstrap import (
    ALPHA,
    Comparison,
    Resamples,
    bootstrap_ci,
    bootstrap_counts,
    check_n_boot,
    mcnemar,
    paired_bootstrap,
    per_label_ci,
    slice_metrics,
    weakest_p,
)

if TYPE_CHECKING:
    from ..predictors.base import Predictor
    from ..registry.models import ModelVersion
    from ..tasks.kinds import TaskKind
    from ..tasks.splits import LabelledSet
    from ..workspace import Workspace

METRIC_WORDS = {"accuracy": "accuracy", "f1_macro": "F1", "f1_micro": "micro F1",
                "f1_weighted": "weighted F1", "f1_samples": "F1", "precision_at_k": "P@k",
                "recall_at_k": "R@k", "ndcg_at_k": "NDCG@k"}


@dataclass
class Candidate:
    """Something to evaluate: a fitted predictor, and the saved model it came from."""

    name: str
    predictor: Predictor
    kind: str  # "baseline" | "model"
    model_id: int | None = None
    spec: str | None = None
    #: named by the user (a model that cannot be scored fairly is refused); False for
    #: the ones taken by default (such a model is left out, with a warning)
    named: bool = True
    #: the spec of the newer version left out because it learned from the test split,
    #: which this one is evaluated in place of (its figures say nothing against it)
    stands_in_for: str | None = None


def _is_baseline(predictor_name: str) -> bool:
    from ..predictors.baselines import BASELINES
    from ..predictors.entities.baselines import SPAN_BASELINES
    from ..tasks.tabular import BASELINES as TABLE_BASELINES

    return (predictor_name in BASELINES or predictor_name in SPAN_BASELINES
            or predictor_name in TABLE_BASELINES)


def baseline_config(ws: Workspace) -> dict[str, Any]:
    """Which optional baselines are configured: ``[baseline]`` in glamlab.toml may name a
    ``rules`` file (default: ``rules.toml`` when the workspace has one) and a
    ``threshold`` statistic (false or "" for none; unset: the task kind's default, e.g.
    the dark-pixel ratio for a two-label image task)."""
    section = ws.card.section("baseline")
    rules = section.get("rules")
    if rules is None and (ws.root / "rules.toml").exists():
        rules = "rules.toml"
    threshold = section.get("threshold")
    return {"rules": rules, "threshold": "" if threshold is False else threshold}


def fit_baselines(ws: Workspace, *, rules_file: str | None = None,
                  threshold: str | None = None, seed: int = 0, save: bool = True,
                  data: LabelledSet | None = None, progress: bool = False,
                  ) -> tuple[list[Candidate], dict[str, Any]]:
    """Fit the task kind's baselines (for classification: prior, majority, and rules /
    threshold when configured) on the train split. With ``save``, each is saved as a
    model (an identical earlier one is reused). Returns the candidates and the rules
    report (if there are rules). ``progress``: a line on stderr every few seconds while a
    baseline fits (the threshold baseline reads every training page's image), as
    ``train`` says it."""
    from ..predictors.baselines import RulesPredictor, rules_report
    from ..predictors.catalogue import create
    from ..progress import Heartbeat
    from ..registry import load_model
    from ..registry.training import fit_on_train, train
    from ..tasks.splits import training_data

    cfg = baseline_config(ws)
    rules_file = rules_file or cfg["rules"]
    threshold = threshold or cfg["threshold"]
    if rules_file and not str(rules_file).startswith("/"):
        rules_file = str(ws.root / rules_file)
    if data is None:
        data = training_data(ws)
    kind = data.kind
    predictors = [create(name, **params)
                  for name, params in kind.baselines(rules=rules_file, threshold=threshold,
                                                     seed=seed)]
    out: list[Candidate] = []
    report: dict[str, Any] = {}
    for p in predictors:
        if save:
            res = train(ws, p.name, name=p.name, predictor=p, data=data, set_champion=False,
                        reuse=True, progress=progress)
            mv = res.model
            if res.reused:
                mv, p = load_model(ws, mv.spec)
            out.append(Candidate(p.name, p, "baseline", mv.id, mv.spec))
        else:
            with Heartbeat(f"fitting the {p.name} baseline", enabled=progress):
                fit_on_train(ws, p, data)
            out.append(Candidate(p.name, p, "baseline"))
        if isinstance(p, RulesPredictor):
            report = rules_report(p, data.items, data.labels)
    return out, report


def service_model(ws: Workspace, service: str) -> str:
    """The saved model of ``[services.SERVICE]`` as the card describes it now (the latest
    version named after the service with the same URL, request and mapping), saved first
    when there is none: a service needs no training, so naming it is enough."""
    from ..predictors.external import OPERATIONAL
    from ..predictors.services import create
    from ..registry import list_models
    from ..registry.training import train

    want = create(ws, service).cfg
    defining = {k: v for k, v in want.items() if k not in OPERATIONAL}
    for mv in reversed(list_models(ws)):
        if mv.name == service and mv.predictor == f"service:{service}":
            from ..predictors.external import DEFAULTS

            saved = {**DEFAULTS, **(mv.params.get("config") or {})}
            if {k: v for k, v in saved.items() if k not in OPERATIONAL} == defining:
                return mv.spec
            break
    return train(ws, f"service:{service}", name=service).model.spec


def model_candidates(ws: Workspace, specs: Sequence[str] | None = None) -> list[Candidate]:
    """Saved models by spec (``NAME``, ``NAME@ALIAS``, ``NAME@N``); with no specs, the
    latest version of every saved model. ``service:NAME`` (or a service block's name)
    is that external service's model, saved on first use (:func:`service_model`)."""
    from ..predictors.services import service_of
    from ..registry import list_models, load_model

    if specs:
        specs = [service_model(ws, svc) if (svc := service_of(s, ws.card.raw)) else s
                 for s in specs]
    named = bool(specs)
    if not specs:
        latest: dict[str, str] = {}
        for mv in list_models(ws):
            latest[mv.name] = mv.spec
        specs = list(latest.values())
    out = []
    for spec in specs:
        mv, predictor = load_model(ws, spec)
        kind = "baseline" if _is_baseline(mv.predictor) else "model"
        label = mv.name if kind == "baseline" else mv.spec
        out.append(Candidate(label, predictor, kind, mv.id, mv.spec, named=named))
    return out


def candidates_for(ws: Workspace, specs: Sequence[str] | None = None, *,
                   seed: int = 0) -> list[Candidate]:
    """What ``glamlab evaluate`` compares: the models ``specs`` names (default: the latest
    version of every saved model), with the latest saved version of every baseline when
    models are named; baselines fitted now (not saved) when no saved one is among them."""
    from ..registry import list_models

    cands = model_candidates(ws, list(specs) if specs else None)
    if specs:
        given = {c.name for c in cands}
        latest: dict[str, str] = {}
        for mv in list_models(ws):
            if _is_baseline(mv.predictor) and mv.name not in given:
                latest[mv.name] = mv.spec
        for c in model_candidates(ws, list(latest.values())) if latest else []:
            c.named = False  # added, not named: left out (not refused) if it cannot be fair
            cands.append(c)
    if not any(c.kind == "baseline" for c in cands):
        base, _ = fit_baselines(ws, seed=seed, save=False)
        cands = base + cands
    return cands


# -- results -------------------------------------------------------------------------
@dataclass
class CandidateResult:
    name: str
    kind: str
    predictor: str
    model_id: int | None
    spec: str | None
    metrics: dict[str, dict[str, float]]
    per_label: list[dict[str, Any]]
    confusion: list[list[int]] | None
    failures: list[dict[str, str]]
    items: int
    seconds: float
    items_per_s: float | None
    cost_per_1000: float
    slices: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: its figures are on data that chose it (picked as best on the test split)
    in_sample: bool = False
    #: an external service's spend in this evaluation: paid calls, answers that came
    #: from the cache (free), and the money; ``service`` is None for other predictors
    service: str | None = None
    calls: int = 0
    cached: int = 0
    spent: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


class Leaderboard(list[dict[str, Any]]):
    """:attr:`EvaluationResult.leaderboard`: a list of rows that may also be called, as the
    method it once was, and returns itself."""

    def __call__(self) -> Leaderboard:
        return self


@dataclass
class EvaluationResult:
    metric: str
    multi_label: bool
    classes: list[str]
    test_items: int
    test_fingerprint: str
    test_labels: dict[str, int]
    candidates: list[CandidateResult]
    comparisons: list[Comparison]
    warnings: list[str]
    verdict: str
    n_boot: int
    k: int | None
    evaluation_ids: list[int] = field(default_factory=list)
    currency: str = "EUR"
    _S: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    task_kind: str = ""
    # the model the verdict found better than every baseline; once stored, the project's
    # model in use (what `glamlab run` runs without --model)
    chosen: str | None = None
    #: how the best model was chosen: {"chosen", "chosen_on", "calibration", ...}
    selection: dict[str, Any] = field(default_factory=dict)
    #: how many times this test split has been used, this evaluation included
    test_uses: int = 0
    #: test items left out because their gold was given for content they no longer have
    #: (entities: a text re-ingested with other words after its gold spans were made;
    #: :func:`glamlab.tasks.splits.test_data`), by id
    test_left_out: list[str] = field(default_factory=list)
    #: a count task's measure (``[count] metric``), which its verdict and the model in
    #: use go by; each candidate's ``metrics`` holds it beside the rows' figures
    count_metric: str | None = None
    #: on that measure: the best model, the best baseline, whether the model beats every
    #: baseline and the weakest p-value, in words (the web app's verdict reads it)
    count_summary: dict[str, Any] | None = None

    def item_stats(self, candidate: str) -> np.ndarray:
        """The per-item statistics matrix of a candidate (for slices, custom tests)."""
        return self._S[candidate]

    @property
    def leaderboard(self) -> Leaderboard:
        """One row (a dict) per candidate, best first: its headline metric with the 95%
        interval, failures, speed and cost. A list, so ``pandas.DataFrame(res.leaderboard)``
        reads it; calling it (``res.leaderboard()``, the older form) gives the same list."""
        rows = Leaderboard()
        cm = self.count_metric
        counted = cm is not None and all(cm in c.metrics for c in self.candidates)

        def rank(c: CandidateResult) -> float:  # a count error: lower is better
            return (c.metrics[cm]["value"] if counted and cm else
                    -c.metrics[self.metric]["value"])

        for c in sorted(self.candidates, key=rank):
            m = c.metrics[self.metric]
            count = ({cm: c.metrics[cm]["value"], f"{cm}_low": c.metrics[cm]["low"],
                      f"{cm}_high": c.metrics[cm]["high"]} if counted and cm else {})
            rows.append({"candidate": c.name, "kind": c.kind, self.metric: m["value"],
                         "low": m["low"], "high": m["high"], **count,
                         "failed": len(c.failures),
                         "in_sample": c.in_sample,
                         "items_per_s": c.items_per_s, "cost_per_1000": c.cost_per_1000,
                         "service": c.service, "calls": c.calls, "cached": c.cached,
                         "spent": c.spent})
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric, "task_kind": self.task_kind,
            "multi_label": self.multi_label, "classes": self.classes,
            "k": self.k, "test_items": self.test_items, "test_fingerprint": self.test_fingerprint,
            "test_labels": self.test_labels, "n_boot": self.n_boot,
            "leaderboard": list(self.leaderboard),
            "candidates": [c.to_dict() for c in self.candidates],
            "comparisons": [c.to_dict() for c in self.comparisons],
            "warnings": self.warnings, "verdict": self.verdict,
            "evaluation_ids": self.evaluation_ids, "currency": self.currency,
            "chosen": self.chosen,
            "selection": self.selection, "test_uses": self.test_uses,
            "test_left_out": len(self.test_left_out), "count_metric": self.count_metric,
            "test_left_out_items": list(self.test_left_out),
        }


def evaluate(ws: Workspace, candidates: Sequence[Candidate], *, n_boot: int = 1000,
             seed: int = 0, slice_fields: Sequence[str] | None = None, min_slice: int = 20,
             store: bool = True, progress: bool = False, threshold: float | None = None,
             test: LabelledSet | None = None, choose_on: str = "calibration",
             calibration: str = "auto", folds: int = 5, web: bool = False
             ) -> EvaluationResult:
    """Evaluate every candidate on the test split (which this freezes). ``threshold``:
    for kinds that have one (multi-label), the score from which a label counts as
    predicted (default: ``[task] threshold``, 0.5).

    Among several models, the best is chosen on calibration data (``choose_on``;
    :mod:`glamlab.evaluation.calibration`), then reported on test: picking the best of
    many on the test split itself would overstate it. Where calibration is impossible
    (no model can be refitted or predicted there) the choice falls back to the test
    split and the chosen figure is marked ``in_sample``. Saved models that trained on a
    test item are refused (:func:`glamlab.registry.overlap.check_disjoint`). A tabular
    model retrained on outcomes that learned from test rows is refused when named, and
    left out with a warning (the newest earlier version of it evaluated in its place)
    when taken by default (:attr:`Candidate.named`)."""
    from ..features import feature_store
    from ..registry.overlap import check_disjoint, unchecked
    from ..tasks.kinds import task_kind
    from ..tasks.splits import test_data

    if not candidates:
        raise EvaluationError("nothing to evaluate", hint="run glamlab baseline first")
    check_n_boot(n_boot)  # before the test split is frozen or a model predicts
    # the same saved model given twice (fit_baselines(ws) + model_candidates(ws) both
    # hold the baselines) is evaluated once
    seen_ids: set[int] = set()
    unique = []
    for cand in candidates:
        if cand.model_id is not None:
            if cand.model_id in seen_ids:
                continue
            seen_ids.add(cand.model_id)
        unique.append(cand)
    candidates = unique
    names = [c.name for c in candidates]
    if len(set(names)) != len(names):
        raise EvaluationError(f"two candidates share a name: {names}",
                              hint="give each model a different name")
    card = ws.card
    try:
        kind = task_kind(card, **({"threshold": threshold} if threshold is not None else {}))
    except GlamlabError as exc:
        raise EvaluationError(exc.message, hint=exc.hint) from exc
    if choose_on not in ("calibration", "test", "none"):
        raise EvaluationError(f"choose_on must be calibration, test or none, not "
                              f"{choose_on!r}")
    candidates, left_out = _leave_out_in_sample(ws, candidates)
    names = [c.name for c in candidates]
    unrecorded = []
    for cand in candidates:
        if cand.model_id is not None:
            check_disjoint(ws, cand.model_id, "evaluate", spec=cand.spec)
            if unchecked(ws, cand.model_id):
                unrecorded.append(str(cand.spec or cand.model_id))
    if test is None:
        test = test_data(ws, reader="evaluate")
    metric = card.metric
    classes = kind.breakdown_labels()
    reduce = kind.reducer()
    headline = kind.headline_metrics()
    golds = test.labels
    n = len(test)
    W = bootstrap_counts(n, n_boot, seed)
    label_counts = {c: 0 for c in classes}
    for g in golds:
        for s in dict.fromkeys(kind.strata(g)):
            label_counts[s] = label_counts.get(s, 0) + 1
    warnings: list[str] = list(kind.evaluation_warnings(golds, metric)) + left_out
    if test.changed:
        from ..tasks.splits import CHANGED_TEST_FIX, changed_test_sentence

        warnings.append(f"{changed_test_sentence(test.changed)}. To score "
                        f"{'them' if len(test.changed) != 1 else 'it'} again: "
                        f"{CHANGED_TEST_FIX}.")
    if unrecorded:
        warnings.append(f"{', '.join(unrecorded)} {'was' if len(unrecorded) == 1 else 'were'} "
                        "saved before glamlab recorded which items a model trained on, so "
                        "whether its training items are in the test split cannot be checked: "
                        "retrain to be sure its figures are not optimistic.")
    if n < 30:
        warnings.append(f"the test set has only {n} {plural(n, 'item')}: intervals are wide "
                        "and small differences cannot be detected. Label more items for testing.")
    results: list[CandidateResult] = []
    S_all: dict[str, np.ndarray] = {}
    correct: dict[str, np.ndarray] = {}
    # a count task is judged by its count error per slot, as backtest, monitor and
    # retrain judge it: the verdict and the model in use go by that measure
    counted = _count_measure(ws, test.items, golds, kind)
    S_count: dict[str, np.ndarray] = {}
    W_slots = counted.resamples(n_boot, seed) if counted is not None else W
    for i, cand in enumerate(candidates, 1):
        # a web job's status line: which model, of how many (the count follows)
        step(f"model {i} of {len(candidates)} ({cand.name}) on the {n:,} test "
             f"{plural(n, 'item')}")
        p = cand.predictor
        try:
            kind.check_predictor(p)
        except GlamlabError as exc:
            raise EvaluationError(f"{cand.name} {exc.message}", hint=exc.hint) from exc
        usage = getattr(p, "usage", None)
        before = usage() if callable(usage) else None
        with feature_store(ws):  # reuse cached features of the test items
            pr = predict_items(kind, p, test.items, batch_size=getattr(p, "batch_size", None),
                               progress=progress)
        spend: dict[str, Any] = {}
        if before is not None and callable(usage):
            after = usage()
            spend = {"service": getattr(p, "service", None),
                     "calls": int(after["calls"] - before["calls"]),
                     "cached": int(after["cached"] - before["cached"]),
                     "spent": round(float(after["spent"] - before["spent"]), 6)}
        stats = kind.item_stats(golds, pr.predictions)
        S = stats.S
        if stats.correct is not None:
            correct[cand.name] = stats.correct
        S_all[cand.name] = S
        cis = bootstrap_ci(S, reduce, headline, W=W)
        if counted is not None:
            S_count[cand.name] = counted.stats(pr.predictions)
            cis.update(bootstrap_ci(S_count[cand.name], counted.reduce, [counted.metric],
                                    W=W_slots))
        per_label: list[dict[str, Any]] = []
        if classes:
            point, lo, hi = per_label_ci(S, reduce, "f1", W)
            prec = reduce(S.sum(axis=0), float(n))
            per_label = [{"label": c, "precision": float(prec["precision"][j]),
                          "recall": float(prec["recall"][j]), "f1": float(point[j]),
                          "f1_low": float(lo[j]), "f1_high": float(hi[j]),
                          "support": int(prec["support"][j])} for j, c in enumerate(classes)]
        results.append(CandidateResult(
            name=cand.name, kind=cand.kind, predictor=p.name, model_id=cand.model_id,
            spec=cand.spec, metrics=cis, per_label=per_label, confusion=stats.confusion,
            failures=pr.failure_dicts(), items=n, seconds=round(pr.seconds, 4),
            items_per_s=pr.items_per_s, cost_per_1000=float(getattr(p, "price_per_item", 0.0)
                                                             or 0.0) * 1000, **spend))
    step("choosing the best model on calibration data")
    selection = _choose(ws, candidates, results, metric, choose_on=choose_on,
                        calibration=calibration, folds=folds, seed=seed, progress=progress)
    chosen = next((c for c in results if c.name == selection.get("chosen")), None)
    step(f"comparing the models ({n_boot:,} resamples for the 95% intervals)")
    comparisons = _compare(results, S_all, correct, reduce, metric, W, chosen)
    best = chosen or _best(results, metric)
    fields = (list(slice_fields) if slice_fields is not None
              else _slice_fields(test, min_slice, kind))
    for f in fields:
        values = [item.meta.get(f) for item in test.items]
        if all(v is None for v in values):
            raise EvaluationError(f"no test item has the metadata field {f!r}",
                                  hint=field_fix())
        best.slices[f] = slice_metrics(S_all[best.name], reduce, metric, values,
                                       min_size=min_slice, seed=seed, n_boot=n_boot)
    from ..tasks.splits import budget_warning, record_test_use, test_budget

    uses = record_test_use(ws, test.fingerprint, "evaluate: " + ", ".join(names))
    over = budget_warning(uses, test_budget(ws), web=web)
    if over:
        warnings.append(over)
    k = getattr(kind, "k", None)
    earlier = None
    if not any(c.kind == "baseline" for c in results):
        from ..workspace.verdict import baseline_verdict

        earlier = baseline_verdict(ws)
        if earlier is not None:
            earlier["same_split"] = earlier["test_fingerprint"] == test.fingerprint
    verdict = _verdict(results, comparisons, metric, k, chosen, selection, earlier)
    count_chosen: str | None = None
    count_summary: dict[str, Any] = {}
    if counted is not None:
        count_chosen, verdict = counted.verdict(results, S_count, W_slots, chosen, verdict,
                                                count_summary)
    for c in results:
        if c.service is not None:
            verdict += (f" {c.name} asked the service {c.service} {c.calls} time"
                        f"{'s' if c.calls != 1 else ''} for {c.spent:.2f} {card.currency} "
                        f"({c.cached} answers came from the cache, free).")
    for c in results:
        if c.failures:
            warnings.append(f"{c.name}: {len(c.failures)} test items could not be predicted "
                            f"(e.g. {c.failures[0]['item']}: {c.failures[0]['reason']}); they "
                            "count as wrong.")
    result = EvaluationResult(
        metric=metric, multi_label=test.multi_label, classes=classes, test_items=n,
        test_fingerprint=test.fingerprint, test_labels=label_counts, candidates=results,
        comparisons=comparisons, warnings=warnings, verdict=verdict, n_boot=n_boot,
        k=k, currency=card.currency, _S=S_all, task_kind=kind.name, selection=selection,
        test_uses=uses, test_left_out=list(test.changed))
    result.chosen = (_chosen(results, comparisons, metric, chosen) if counted is None
                     else count_chosen)
    if counted is not None:
        result.count_metric = counted.metric
        result.count_summary = count_summary
    if store:
        result.evaluation_ids = _store(ws, result)
        if result.chosen is not None:
            _use(ws, result, {c.spec: c.stands_in_for for c in candidates
                              if c.spec and c.stands_in_for})
    return result


@dataclass
class _CountMeasure:
    """A count task's measure on the test rows (:mod:`.count_measure`)."""

    metric: str
    words: str
    y: np.ndarray
    slots: np.ndarray
    k: int
    labels: list[str]
    positive: str

    @property
    def reduce(self) -> Any:
        from .count_measure import count_reducer

        return count_reducer(self.metric)

    def resamples(self, n_boot: int, seed: int) -> Resamples:
        """The slots' resamples (the same for every candidate: paired)."""
        return bootstrap_counts(self.k, n_boot, seed)

    def stats(self, predictions: Sequence[Any]) -> np.ndarray:
        """The rows' count statistics from their predictions (a failed row: 0 expected)."""
        from ..tasks.count import slot_errors

        p = np.zeros(len(self.y))
        for i, pred in enumerate(predictions):
            if pred is not None:
                p[i] = float(dict(zip(pred.classes, pred.values, strict=True)).get(
                    self.positive, 0.0))
        return slot_errors(self.y, p, self.slots, self.k)

    def verdict(self, results: list[CandidateResult], S: dict[str, np.ndarray],
                W: Resamples, chosen: CandidateResult | None, rows_verdict: str,
                summary: dict[str, Any]) -> tuple[str | None, str]:
        """(the model to use, or None; the verdict): the model with the lowest count error
        (the one chosen on calibration data, when there was a choice) against every
        baseline, on the project's measure; the rows' figures follow as a note."""
        from .bootstrap import paired_bootstrap

        m = self.metric

        def value(c: CandidateResult) -> float:
            return float(c.metrics[m]["value"])

        def said(c: CandidateResult) -> str:
            v = c.metrics[m]
            return f"{value(c):.3f} [{v['low']:.3f}–{v['high']:.3f}]"

        baselines = [c for c in results if c.kind == "baseline"]
        models = [c for c in results if c.kind == "model"]
        head = f"judged by {self.words} (lower is better)"
        rows = f" On the rows one by one: {rows_verdict}"
        if not models or not baselines:
            best = min(results, key=value)
            return None, f"{head}: best {best.name} {said(best)}.{rows}"
        top = min(baselines, key=value)
        best = chosen if chosen is not None and chosen.kind == "model" else min(models, key=value)
        vs = [paired_bootstrap(S[b.name], S[best.name], self.reduce, m, W=W,
                               names=(b.name, best.name)) for b in baselines]
        beaten = all(c.significant and c.difference < 0 for c in vs)
        summary.update(words=self.words, best=best.name, baseline=top.name, beaten=beaten,
                       p=weakest_p(vs))
        text = f"{head}: best baseline {top.name} {said(top)}; best model {best.name} {said(best)}"
        if beaten:
            return best.spec, f"{text}, better than every baseline ({weakest_p(vs)}).{rows}"
        return None, (f"{text}. No model beats every baseline on this measure: do not "
                      f"automate with machine learning yet.{rows}")


def _count_measure(ws: Workspace, items: Sequence[Any], golds: Sequence[Any],
                   kind: Any) -> _CountMeasure | None:
    """The count measure of a count task's test rows, or None for any other project."""
    from ..tasks.count import count_task
    from ..tasks.tabular import is_tabular, schema_of
    from .count_measure import test_slots

    if not is_tabular(ws):
        return None
    task = count_task(ws)
    found = test_slots(ws, items)
    if task is None or found is None:
        return None
    slots, k = found
    schema = schema_of(ws)
    positive = str(schema.positive)
    y = np.array([1.0 if positive in kind.strata(g) else 0.0 for g in golds])
    groups = "".join(f" and {c}" for c in schema.group_columns)
    per = SLOT_WORDS.get(task.slot, f"{task.slot} period")
    judged = {"mae": "mean absolute error", "rmse": "root mean squared error"}[task.metric]
    words = (f"the project's measure, the {judged} ({task.metric}) of the number of "
             f"{schema.positive_outcome} per {per}{groups}")
    return _CountMeasure(task.metric, words, y, slots, k, list(kind.labels), positive)


def _leave_out_in_sample(ws: Workspace, candidates: Sequence[Candidate]
                         ) -> tuple[list[Candidate], list[str]]:
    """The candidates without the saved models that learned from rows of the test split
    (a tabular model retrained on outcomes: :func:`glamlab.registry.tabular.test_rows_learned`),
    and a warning for each: scored on the test split its figures would be in-sample. One
    taken by default is left out (the newest version of its name that did not learn
    from the test split is evaluated in its place, when there is one); one named is
    refused."""
    from ..registry import list_models, load_model
    from ..registry.models import get_model_by_id
    from ..registry.tabular import test_rows_learned
    from ..tasks.tabular import is_tabular

    if not is_tabular(ws):
        return list(candidates), []
    kept: list[Candidate] = []
    warnings: list[str] = []
    taken = {c.model_id for c in candidates if c.model_id is not None}
    for cand in candidates:
        if cand.model_id is None:
            kept.append(cand)
            continue
        mv = get_model_by_id(ws, cand.model_id)
        learned = test_rows_learned(ws, mv)
        if learned is None:
            kept.append(cand)
            continue
        fair = next((v for v in reversed(list_models(ws)) if v.name == mv.name
                     and v.version < mv.version and test_rows_learned(ws, v) is None), None)
        if cand.named:
            raise EvaluationError(
                f"{learned['message']}, so evaluate does not score it",
                hint=f"its fair comparison is {learned['fair']}"
                     + (f"; or evaluate {fair.spec}, trained before the test split"
                        if fair is not None else ""))
        text = (f"{mv.spec} is left out of this evaluation: {learned['message']}. Its fair "
                f"comparison is {learned['fair']}.")
        if fair is not None and fair.id not in taken:
            _, predictor = load_model(ws, fair.spec)
            label = fair.name if cand.kind == "baseline" else fair.spec
            kept.append(Candidate(label, predictor, cand.kind, fair.id, fair.spec, named=False,
                                  stands_in_for=mv.spec))
            taken.add(fair.id)
            text += (f" {fair.spec}, the newest version of {mv.name} that did not learn from "
                     "the test split, is evaluated in its place.")
        warnings.append(text)
    return kept, warnings


def _chosen(results: list[CandidateResult], comparisons: list[Comparison],
            metric: str, chosen: CandidateResult | None = None) -> str | None:
    """The spec of the chosen model (the one chosen on calibration data, else the best on
    test) when it beats every baseline significantly, else None."""
    baselines = {c.name for c in results if c.kind == "baseline"}
    models = [c for c in results if c.kind == "model" and c.spec]
    if not baselines or not models:
        return None
    best = chosen if chosen is not None and chosen.kind == "model" else \
        _best(results, metric, "model")
    vs = [c for c in comparisons if c.b == best.name and c.a in baselines]
    if vs and all(c.significant and c.difference > 0 for c in vs):
        return best.spec
    return None


def _use(ws: Workspace, result: EvaluationResult,
         stands_in: dict[str, str] | None = None) -> None:
    """Make the verdict's model the project's model in use, when it is its name's
    champion (a newer version becomes champion through retrain's gate or by hand).
    ``stands_in``: a chosen version evaluated in place of a newer one left out (it
    learned from the test split) is not offered to replace it: this evaluation did not
    score the newer one, and the evidence that promoted it is said instead."""
    from ..registry import get_model, use_model

    assert result.chosen is not None
    mv = get_model(ws, result.chosen)
    newer = (stands_in or {}).get(mv.spec)
    if "champion" not in mv.aliases and newer is not None:
        result.verdict += " " + _kept_newer(get_model(ws, newer), mv.spec)
        result.chosen = None
        return
    if "champion" not in mv.aliases:
        result.verdict += (f" {mv.spec} is not the chosen version of {mv.name}: `glamlab "
                           f"models promote {mv.spec}` to make it the model in use.")
        result.chosen = None
        return
    kept = _kept_in_use(ws, result, mv)
    if kept:
        result.verdict += " " + kept
        result.chosen = None
        return
    use_model(ws, mv.spec, actor="glamlab evaluate", reason=result.verdict)
    result.verdict += (f" glamlab run (then act and export, on what it predicts) will now "
                       f"use {mv.spec} (choose another: glamlab models use NAME).")


def _kept_in_use(ws: Workspace, result: EvaluationResult, mv: ModelVersion) -> str | None:
    """Why the model in use stays, when this evaluation did not score it but an earlier
    one on the same test split did, at least as well as the verdict's model scores now
    (``glamlab evaluate text-tfidf@1``, as training
    suggests, used to replace a better model in use, scored before, by the one it was
    given); None when the verdict's model may take over."""
    from ..registry import champion, in_use

    if in_use(ws) is None:
        return None
    current = champion(ws)
    if current.name == mv.name or any(c.model_id == current.id for c in result.candidates):
        return None
    test = (current.metrics or {}).get("test") or {}
    if test.get("test_fingerprint") != result.test_fingerprint:
        return None  # never scored on this test split (e.g. the first model trained)
    figure = ""
    if test.get("metric") == result.metric and isinstance(test.get("value"), int | float):
        figure = f" ({result.metric} {test['value']:.2f})"
        mine = next((c.metrics.get(result.metric, {}).get("value") for c in result.candidates
                     if c.model_id == mv.id), None)
        if isinstance(mine, int | float) and mine > test["value"]:
            return None  # better than the model in use scored on this same test split
    return (f"{current.spec} stays the model in use: this evaluation did not score it, and "
            f"an earlier one on this test split did{figure}. To choose between them, evaluate "
            f"both (`glamlab evaluate` with no model names scores every saved model); to use "
            f"{mv.spec} anyway: glamlab models use {mv.name}.")


def _kept_newer(newer: ModelVersion, older: str) -> str:
    """Why ``newer`` (left out: it learned from the test split) stays in use though
    ``older`` was chosen here in its place: on what evidence it was promoted."""
    window = newer.card.get("retrained_on_window")
    over = newer.card.get("promoted_over") or {}
    evidence = ""
    if window:
        from ..tasks.calendar import last_day

        evidence = (f": glamlab retrain promoted it on the outcomes from {window[0]} to "
                    f"{last_day(window[1])}, which neither version learned from")
        if over.get("metric") and over.get("model"):
            lower = over["metric"] in COUNT_METRICS
            evidence += (f" ({over['metric']} {over['chosen']:.3f} against "
                         f"{over['model']}'s {over['champion']:.3f}, "
                         f"{'lower' if lower else 'higher'} is better)")
    return (f"{newer.spec} stays the model in use{evidence}. {older} is scored here only in "
            f"its place ({newer.spec} learned from test rows), so these figures say nothing "
            f"against {newer.spec}: glamlab retrain compares them again on the next "
            "outcomes, which neither learned from.")


def _best(results: Sequence[CandidateResult], metric: str,
          kind: str | None = None) -> CandidateResult:
    pool = [c for c in results if kind is None or c.kind == kind]
    return max(pool, key=lambda c: c.metrics[metric]["value"])


def _choose(ws: Workspace, candidates: Sequence[Candidate], results: list[CandidateResult],
            metric: str, *, choose_on: str, calibration: str, folds: int,
            seed: int, progress: bool = False) -> dict[str, Any]:
    """Which model is "the best": chosen on calibration data among several models (so
    its test figure stays honest); the only model needs no choice. Marks the chosen
    result ``in_sample`` when the test split had to choose."""
    models = [c for c in candidates if c.kind == "model"]
    if not models or choose_on == "none":  # e.g. the gate: two fixed models, no choice
        return {}
    if len(models) == 1:
        return {"chosen": models[0].name, "chosen_on": "only model", "in_sample": False}
    out: dict[str, Any] = {}
    if choose_on == "calibration":
        from .calibration import calibration_scores

        scores, info = calibration_scores(ws, [(c.name, c.predictor) for c in models], metric,
                                          source=calibration, folds=folds, seed=seed,
                                          progress=progress)
        if scores:
            chosen = max(scores, key=lambda name: scores[name])
            return {"chosen": chosen, "chosen_on": "calibration", "in_sample": False,
                    "calibration": {"metric": metric, "scores": scores, **info}}
        out["calibration"] = info
    best = _best(results, metric, "model")
    best.in_sample = True
    return {**out, "chosen": best.name, "chosen_on": "test", "in_sample": True}


def _compare(results: list[CandidateResult], S: dict[str, np.ndarray],
             correct: dict[str, np.ndarray], reduce: Any, metric: str,
             W: Resamples, chosen: CandidateResult | None = None) -> list[Comparison]:
    """Each model against each baseline; without models, the best baseline against the
    others."""
    models = [c for c in results if c.kind == "model"]
    baselines = [c for c in results if c.kind == "baseline"]
    pairs: list[tuple[CandidateResult, CandidateResult]] = []
    if models:
        pairs = [(b, m) for m in models for b in baselines]
        best_model = chosen or _best(results, metric, "model")
        pairs += [(m, best_model) for m in models if m is not best_model]
    elif len(baselines) > 1:
        top = _best(results, metric, "baseline")
        pairs = [(b, top) for b in baselines if b is not top]
    out = []
    for a, b in pairs:
        cmp = paired_bootstrap(S[a.name], S[b.name], reduce, metric, W=W, names=(a.name, b.name))
        if a.name in correct:
            cmp.mcnemar = mcnemar(correct[a.name], correct[b.name])
        out.append(cmp)
    return out


def _slice_fields(test: LabelledSet, min_slice: int, kind: TaskKind[Any, Any]) -> list[str]:
    """Metadata fields worth slicing by: 2 to 12 distinct values, at least two of them
    on ``min_slice`` items or more, and not a copy of the gold label."""
    values: dict[str, dict[str, int]] = {}
    echoes: dict[str, int] = {}  # fields that repeat the gold label (e.g. a "label" column)
    for item, g in zip(test.items, test.labels, strict=True):
        ys = kind.strata(g)
        gold = {"|".join(ys), *ys}
        for key, v in item.meta.items():
            if isinstance(v, dict | list) or v in (None, ""):
                continue
            values.setdefault(key, {})
            values[key][str(v)] = values[key].get(str(v), 0) + 1
            if str(v) in gold:
                echoes[key] = echoes.get(key, 0) + 1
    fields = []
    seen: set[tuple[int, ...]] = set()
    for key in sorted(values, key=lambda k: (len(values[k]), k)):
        counts = values[key]
        if echoes.get(key, 0) >= 0.9 * len(test.items):
            continue
        if not (2 <= len(counts) <= 12 and sum(1 for c in counts.values() if c >= min_slice) >= 2):
            continue
        # fields that split the items the same way (collection, source_repo, ...) once
        codes: dict[str, int] = {}
        signature = tuple(codes.setdefault(str(item.meta.get(key)), len(codes))
                          for item in test.items)
        if signature in seen:
            continue
        seen.add(signature)
        fields.append(key)
    return sorted(fields)[:5]


def describe(c: CandidateResult, metric: str, k: int | None = None, *,
             word: bool = True) -> str:
    """``F1 0.91 [0.88–0.94]``: the value and its 95% interval."""
    m = c.metrics[metric]
    value = f"{m['value']:.2f} [{m['low']:.2f}\u2013{m['high']:.2f}]"
    if not word:
        return value
    return METRIC_WORDS.get(metric, metric).replace("@k", f"@{k}" if k else "@k") + " " + value


def _no_baselines(earlier: dict[str, Any] | None, k: int | None = None) -> str:
    """What an evaluation without baselines says about them: never measured, or measured
    before and not re-run this time (a retrain compares champion and challenger only),
    with their last figure (``earlier``: :func:`glamlab.workspace.verdict.baseline_verdict`)."""
    if earlier is None:
        return ("No baseline was measured, so there is nothing to compare it with: run "
                "glamlab baseline.")
    when = earlier["created_at"]
    split = ("this same test split" if earlier.get("same_split") else
             "the test split as it was then (it has changed since)")
    text = (f"The baselines were not re-run in this evaluation; they were last measured "
            f"on {when:%Y-%m-%d}, on {split}")
    top = earlier.get("best_baseline")
    if top:
        m = earlier["metric"]
        word = METRIC_WORDS.get(m, m).replace("@k", f"@{k}" if k else "@k")
        text += (f", when the best of them was {top['name']}: {word} {top['value']:.2f} "
                 f"[{top['low']:.2f}\u2013{top['high']:.2f}]")
    return text + " (`glamlab evaluate` compares with them again)."


def _verdict(results: list[CandidateResult], comparisons: list[Comparison], metric: str,
             k: int | None, chosen: CandidateResult | None = None,
             selection: dict[str, Any] | None = None,
             earlier: dict[str, Any] | None = None) -> str:
    baselines = [c for c in results if c.kind == "baseline"]
    models = [c for c in results if c.kind == "model"]
    if not baselines:
        best = _best(results, metric)
        return f"best: {best.name}: {describe(best, metric, k)}. {_no_baselines(earlier, k)}"
    top_base = _best(results, metric, "baseline")
    base_text = f"{top_base.name}: {describe(top_base, metric, k)}"
    if not models:
        return (f"baselines only. The best baseline is {base_text}. Train a model "
                "(`glamlab predictors` lists those for this task; `glamlab train NAME`) to "
                "see whether machine learning does better.")
    best = chosen or _best(results, metric, "model")
    vs = [c for c in comparisons if c.b == best.name and c.a in {b.name for b in baselines}]
    beaten = [c for c in vs if c.significant and c.difference > 0]
    how = (selection or {}).get("chosen_on")
    chosen_text = {"calibration": " (chosen on calibration data, scored on test)",
                   "test": " (chosen on the test split: this figure is in-sample, "
                           "optimistic)"}.get(how or "", "")
    model_text = f"best model {best.name}{chosen_text}: {describe(best, metric, k, word=False)}"
    if vs and len(beaten) == len(vs):
        return f"{base_text}; {model_text}, better than every baseline ({weakest_p(vs)})."
    against_top = next((c for c in vs if c.a == top_base.name), None)
    detail = ""
    if against_top is not None:
        detail = f" ({against_top.verdict})"
    return (f"{base_text}; {model_text}. No model beats the {top_base.name} baseline"
            f"{detail}: do not automate with machine learning yet.")


def _store(ws: Workspace, result: EvaluationResult) -> list[int]:
    import json

    import sqlalchemy as sa

    from ..store import now

    t = ws.store.t
    ids = []
    shared = {"test_items": result.test_items, "n_boot": result.n_boot, "k": result.k,
              "verdict": result.verdict, "warnings": result.warnings,
              "count_metric": result.count_metric, "count_summary": result.count_summary}
    with ws.store.write() as conn:
        stamp = now()
        for c in result.candidates:
            payload = json.loads(json.dumps({**c.to_dict(), **shared,
                                             "comparisons": [x.to_dict() for x in result.comparisons
                                                             if c.name in (x.a, x.b)]},
                                            default=_json_default))
            key = conn.execute(t.evaluations.insert().values(
                model_id=c.model_id, candidate=c.name, test_fingerprint=result.test_fingerprint,
                metric=result.metric, results=payload, created_at=stamp)).inserted_primary_key
            assert key is not None
            ids.append(int(key[0]))
            if c.model_id is not None:
                row = conn.execute(sa.select(t.models.c.metrics).where(
                    t.models.c.id == c.model_id)).first()
                stored = dict(row[0] or {}) if row else {}
                stored["test"] = {"metric": result.metric, **c.metrics[result.metric],
                                  "test_fingerprint": result.test_fingerprint,
                                  "evaluated_at": stamp.isoformat()}
                conn.execute(t.models.update().where(t.models.c.id == c.model_id)
                             .values(metrics=stored))
        ws.store.audit(conn, "glamlab", "evaluate", result.test_fingerprint,
                       candidates=[c.name for c in result.candidates], verdict=result.verdict)
    return ids


def _json_default(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    return str(v)


def history(ws: Workspace, *, limit: int = 50) -> list[dict[str, Any]]:
    """Stored evaluations, newest first."""
    import sqlalchemy as sa

    t = ws.store.t.evaluations
    with ws.store.read() as conn:
        rows = conn.execute(sa.select(t).order_by(t.c.id.desc()).limit(limit)).all()
    out = []
    for r in rows:
        res = r.results or {}
        m = (res.get("metrics") or {}).get(r.metric, {})
        out.append({"id": r.id, "candidate": r.candidate, "model_id": r.model_id,
                    "metrics": dict(res.get("metrics") or {}),
                    "count_metric": res.get("count_metric"),
                    "metric": r.metric, "value": m.get("value"), "low": m.get("low"),
                    "high": m.get("high"), "test_fingerprint": r.test_fingerprint,
                    "created_at": r.created_at, "verdict": res.get("verdict"),
                    "service": res.get("service"), "calls": int(res.get("calls") or 0),
                    "cached": int(res.get("cached") or 0),
                    "spent": float(res.get("spent") or 0.0),
                    "warnings": list(res.get("warnings") or [])})
    return out


__all__ = ["ALPHA", "Candidate", "candidates_for", "CandidateResult", "EvaluationResult", "baseline_config",
           "describe", "evaluate", "fit_baselines", "history",
           "model_candidates"]
