"""Retraining: a challenger from gold training labels plus reviewers' corrections, judged
against the champion on the frozen test split, promoted only through the gate."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import ModelNotFound
from ..registry.models import ModelVersion, champion, get_model, list_models, set_alias, use_model
from ..store import now
from .gate import GateConfig, GateDecision, decide

if TYPE_CHECKING:
    from ..workspace import Workspace


@dataclass
class RetrainReport:
    """What :func:`retrain` did. ``trained`` False: nothing new to learn from (the
    training data is what the champion learned from), so no new version was trained and
    the test split was not used: ``challenger`` is None, ``comparison`` empty and
    ``test_uses`` the uses so far (this retrain added none)."""

    champion: str
    challenger: str | None
    metric: str
    decision: GateDecision
    comparison: dict[str, Any]
    train_items: int
    corrections: int
    promoted: bool
    notes: list[str] = field(default_factory=list)
    test_uses: int = 0
    test_budget: int = 0
    # texts whose spans reviewers decided only in part, or multi-label items some of
    # whose suggested labels are still open: left out of training, kept
    waiting: int = 0
    spans: bool = False  # an entities project: reviewers' corrections are whole texts
    # the items' nouns ("item", "items"), for the words about the waiting ones
    nouns: tuple[str, str] = ("item", "items")
    trained: bool = True  # False: nothing new to learn from, nothing trained or judged

    def to_dict(self) -> dict[str, Any]:
        return {"champion": self.champion, "challenger": self.challenger, "metric": self.metric,
                "gate": self.decision.to_dict(), "comparison": self.comparison,
                "train_items": self.train_items, "corrections": self.corrections,
                "waiting": self.waiting, "promoted": self.promoted, "notes": self.notes,
                "test_uses": self.test_uses, "test_budget": self.test_budget,
                "trained": self.trained}

    def summary(self) -> str:
        if not self.trained:
            why = self.decision.reasons[0]
            return "\n".join([
                f"{why[:1].upper()}{why[1:]}.",
                f"{self.champion} stays the current model. The test split has judged "
                f"{self.test_uses} time(s) (budget {self.test_budget}). To train and "
                "compare a new version anyway: glamlab retrain --force.",
                *[f"warning: {n}" for n in self.notes]])
        if self.spans:
            from ..tasks.spans.complete import waiting_sentence

            head = (f"New version {self.challenger} trained on {self.train_items:,} texts: "
                    f"{waiting_sentence(self.corrections, self.waiting)}.")
        else:
            head = (f"New version {self.challenger} trained on {self.train_items:,} items "
                    f"({self.corrections:,} of them from reviewers' corrections"
                    + (f"; {_waiting_words(self.waiting, *self.nouns)}" if self.waiting
                       else "") + ").")
        verdict = self.comparison.get("verdict", "")
        if "low" in self.comparison and "high" in self.comparison:
            n = self.comparison.get("test_items")
            verdict += (f"; 95% interval of the difference {self.comparison['low']:+.3f} to "
                        f"{self.comparison['high']:+.3f}"
                        + (f" over its {n:,} {'texts' if self.spans else 'items'}" if n else ""))
        if self.promoted:
            tail = (f"Promoted: {self.challenger} now replaces {self.champion}, which is kept "
                    "as 'previous' (glamlab models rollback undoes this).")
        else:
            tail = (f"Not promoted: {self.challenger} stays a new version being compared "
                    f"(not in use); {self.champion} stays the current model.")
        uses = (f"The test split has now judged {self.test_uses} time(s) (budget "
                f"{self.test_budget}); this new version was compared on it once.")
        return "\n".join([head, f"On the frozen test split: {verdict}.",
                          *[f"  - {r}" for r in self.decision.reasons], tail, uses,
                          *[f"warning: {n}" for n in self.notes]])


def _corrections(ws: Workspace, ids: list[str]) -> int:
    """How many of the training items carry a reviewer's correction: a gold label, or a
    gold span set (entities keep theirs in the span store), from review (decisions on
    its spans, or a text marked done; the partly reviewed ones are not training items)."""
    from ..store.gold import from_review
    from ..tasks.spans.complete import REVIEW_SOURCES
    from ..tasks.spans.gold import _active_sets

    found: set[str] = set()
    with ws.store.read() as conn:
        for i in range(0, len(ids), 900):
            chunk = ids[i : i + 900]
            # the label in force (a later annotator's label replaces a reviewer's)
            found.update(from_review(conn, chunk))
            # the text's latest gold set (as training reads it)
            found.update(item_id for item_id, r in _active_sets(conn, ws, chunk).items()
                         if r.source in REVIEW_SOURCES)
    return len(found)


def _waiting_words(n: int, noun: str, nouns: str) -> str:
    """"3 partly reviewed items wait ...": multi-label records some of whose suggested
    labels are still open (:mod:`glamlab.tasks.partial_labels`), left out of training."""
    return (f"{n:,} partly reviewed {noun if n == 1 else nouns} wait{'s' if n == 1 else ''} "
            f"until every label suggested for {'it' if n == 1 else 'them'} is decided")


def _unsplit(ws: Workspace, data: Any) -> int:
    """How many labelled items are in no split: training never reads them."""
    from ..tasks.labels import label_counts
    from ..tasks.spans.gold import span_counts

    counts = span_counts(ws) if data.kind.name == "entities" else label_counts(ws)
    return int(counts["splits"].get("unsplit", 0))


def unsplit_words(n: int, noun: str, nouns: str) -> str:
    """"2 labelled texts are in no split ...": labels imported without --split after the
    test split was made, which no training reads (said, not left to look like nothing)."""
    return (f"{n:,} labelled {noun if n == 1 else nouns} {'is' if n == 1 else 'are'} in no "
            f"split, so no training reads {'it' if n == 1 else 'them'}: import "
            f"{'its' if n == 1 else 'their'} file again with --split train (or run "
            "`glamlab labels split` while the test split is not frozen)")


def _nothing_new(spec: str, data: Any, *, trained: bool, unsplit: int = 0) -> str:
    """Why a retrain has nothing new to learn from, in words."""
    if data.kind.name == "entities":
        waiting = (f"; {len(data.waiting):,} partly reviewed texts wait until every span in "
                   "them is decided")
    else:
        waiting = "; " + _waiting_words(len(data.waiting), data.kind.noun_one, data.kind.noun)
    return (f"nothing new to learn from: the training labels are the ones {spec} was "
            "trained on (no reviewer corrections or new labels in the train split since)"
            + ("" if trained else "; no new version trained, the test split not used")
            + (waiting if data.waiting else "")
            + (f"; {unsplit_words(unsplit, data.kind.noun_one, data.kind.noun)}"
               if unsplit else ""))


def _same_as(champ: ModelVersion, predictor: Any, data: Any) -> bool:
    """Whether training ``predictor`` on ``data`` would remake ``champ``: the same
    training data, predictor and parameters (a model trained with an older word splitter
    is remade: its listing says to retrain it)."""
    import json

    from ..predictors.entities.base import older_splitter

    params = json.loads(json.dumps(predictor.get_params(), default=str))
    return (bool(champ.training_fingerprint) and champ.training_fingerprint == data.fingerprint
            and champ.predictor == predictor.name and champ.params == params
            and not older_splitter(champ.card))


def retrain(ws: Workspace, model: str | None = None, *, n_boot: int = 1000, seed: int = 0,
            actor: str = "glamlab", force: bool = False) -> RetrainReport:
    """Train a challenger on the gold training labels plus reviewers' corrections,
    compare it with the champion of ``model`` (default: the model in use) on the frozen
    test split and promote it only through the card's ``[gate]``.

    When the training data is what the champion was trained on (no corrections or new
    labels since), nothing is trained, saved or evaluated (the test split's budget is
    kept): the report has ``trained`` False. ``force``: train and compare anyway (such a
    challenger is still never promoted)."""
    from ..evaluation.bootstrap import slice_metrics
    from ..evaluation.evaluate import Candidate, evaluate
    from ..predictors.catalogue import create
    from ..predictors.services import attach
    from ..registry.models import load_model
    from ..registry.training import train
    from ..tasks.splits import test_data, training_data

    champ = champion(ws, model)
    data = training_data(ws)
    predictor = attach(create(champ.predictor, **champ.params), ws)
    if not force and _same_as(champ, predictor, data):
        from ..tasks.splits import test_budget, test_uses

        test = test_data(ws, freeze=False)
        decision = GateDecision(False, [_nothing_new(champ.spec, data, trained=False,
                                                     unsplit=_unsplit(ws, data))])
        return RetrainReport(champ.spec, None, ws.card.metric, decision, {}, len(data),
                             _corrections(ws, data.ids), False, [],
                             test_uses=test_uses(ws, test.fingerprint),
                             test_budget=test_budget(ws), waiting=len(data.waiting),
                             spans=data.kind.name == "entities", trained=False,
                             nouns=(data.kind.noun_one, data.kind.noun))
    result = train(ws, champ.predictor, name=champ.name, predictor=predictor, data=data,
                   set_champion=False)
    chall = set_alias(ws, result.model.spec, "challenger", actor=actor)
    notes = list(result.notes)
    _, champ_pred = load_model(ws, champ.spec)
    _, chall_pred = load_model(ws, chall.spec)
    test = test_data(ws, reader="retrain")
    ev = evaluate(ws, [Candidate(champ.spec, champ_pred, "model", champ.id, champ.spec),
                       Candidate(chall.spec, chall_pred, "model", chall.id, chall.spec)],
                  n_boot=n_boot, seed=seed, slice_fields=[], test=test, choose_on="none")
    metric = ev.metric
    from ..tasks.splits import budget_warning, test_budget

    budget = test_budget(ws)
    over = budget_warning(ev.test_uses, budget)
    if over:
        notes.append(over)
    by = {c.name: c for c in ev.candidates}
    a, b = by[champ.spec].metrics[metric]["value"], by[chall.spec].metrics[metric]["value"]
    cmp = next(c for c in ev.comparisons if {c.a, c.b} == {champ.spec, chall.spec})
    # the paired difference always read (and worded) as challenger minus champion (in
    # words: the new version minus the current model)
    if cmp.b != chall.spec:
        cmp = cmp.flipped()
    # with its 95% interval: on a small test split a difference of a few hundredths is
    # often within it (one retrain after a few corrections moves it that much)
    comparison = {"champion": a, "challenger": b, "difference": cmp.difference,
                  "low": cmp.low, "high": cmp.high, "test_items": len(test.items),
                  "p_value": cmp.p_value, "verdict": cmp.describe("current model", "new version"),
                  "mcnemar": cmp.mcnemar}

    cfg = GateConfig.from_card(ws.card.section("gate"))
    champ_slices: dict[str, tuple[float, int]] | None = None
    chall_slices: dict[str, tuple[float, int]] | None = None
    if cfg.slice_field:
        reduce = test.kind.reducer()
        values = [item.meta.get(cfg.slice_field) for item in test.items]
        champ_slices, chall_slices = {}, {}
        pairs: list[tuple[str, dict[str, tuple[float, int]]]] = [
            (champ.spec, champ_slices), (chall.spec, chall_slices)]
        for spec, target in pairs:
            for row in slice_metrics(ev.item_stats(spec), reduce, metric, values,
                                     min_size=cfg.min_slice_size, seed=seed):
                target[row["value"]] = (row[metric], row["items"])
    decision = decide(metric, a, b, config=cfg, champion_slices=champ_slices,
                      challenger_slices=chall_slices, paired_p=cmp.p_value)
    if champ.training_fingerprint and data.fingerprint == champ.training_fingerprint:
        # no corrections or new labels: the challenger learned from the champion's own
        # data, so whatever the gate says it is not promoted
        decision.promote = False
        decision.reasons.append(_nothing_new(champ.spec, data, trained=True,
                                             unsplit=_unsplit(ws, data)))
    if decision.promote:
        _make_champion(ws, chall.spec, actor=actor, reason="; ".join(decision.reasons))
    else:
        with ws.store.write() as conn:
            ws.store.audit(conn, actor, "model.gate_refused", chall.spec,
                           champion=champ.spec, reasons=decision.reasons)
    _record_metrics(ws, {champ.id: a, chall.id: b}, metric, ev.test_fingerprint)
    return RetrainReport(champ.spec, chall.spec, metric, decision, comparison, len(data),
                         _corrections(ws, data.ids), decision.promote, notes,
                         test_uses=ev.test_uses, test_budget=budget,
                         waiting=len(data.waiting), spans=data.kind.name == "entities",
                         nouns=(data.kind.noun_one, data.kind.noun))


def _record_metrics(ws: Workspace, values: dict[int, float], metric: str, fp: str) -> None:
    t = ws.store.t
    with ws.store.write() as conn:
        for model_id, value in values.items():
            row = conn.execute(sa.select(t.models.c.metrics).where(t.models.c.id == model_id)
                               ).first()
            metrics = dict(row[0] or {}) if row else {}
            metrics["test"] = {"metric": metric, "value": value, "test_fingerprint": fp,
                               "at": now().isoformat()}
            conn.execute(t.models.update().where(t.models.c.id == model_id).values(
                metrics=metrics))


def promote(ws: Workspace, spec: str, *, actor: str = "glamlab", reason: str = "") -> ModelVersion:
    """Make ``spec`` (``NAME@N``, ``NAME@challenger``) the champion of its name, bypassing
    the gate (audited; the old champion becomes ``previous``, for :func:`rollback`), and
    NAME the project's model in use (:func:`glamlab.registry.use_model`): what ``glamlab
    run``, ``act`` and ``export`` use without ``--model``. The same as ``glamlab models
    promote``, which calls this. Returns the new champion, with its aliases."""
    mv = _make_champion(ws, spec, actor=actor, reason=reason)  # NAME@challenger: now NAME@N
    return use_model(ws, mv.spec, actor=actor, reason=reason)


def _make_champion(ws: Workspace, spec: str, *, actor: str = "glamlab",
                   reason: str = "") -> ModelVersion:
    """Make ``spec`` the champion of its name; the old champion becomes ``previous``. The
    model in use is left as it is: the gate (:func:`retrain`, tabular retraining) crowns a
    challenger of the name it was asked about, which is the model in use only if that
    name already was."""
    mv = get_model(ws, spec)
    try:
        old = get_model(ws, f"{mv.name}@champion")
    except ModelNotFound:
        old = None
    if old is not None and old.id == mv.id:
        return mv
    if old is not None:
        set_alias(ws, old.spec, "previous", actor=actor)
    new = set_alias(ws, mv.spec, "champion", actor=actor)
    with ws.store.write() as conn:
        conn.execute(ws.store.t.model_aliases.delete().where(
            ws.store.t.model_aliases.c.name == mv.name,
            ws.store.t.model_aliases.c.alias == "challenger",
            ws.store.t.model_aliases.c.model_id == mv.id))
        ws.store.audit(conn, actor, "model.promote", mv.spec,
                       previous=old.spec if old else None, reason=reason)
    return new


def rollback(ws: Workspace, name: str, *, actor: str = "glamlab") -> ModelVersion:
    """Go back to the version of ``name`` chosen before the last promotion (its
    ``previous`` alias becomes ``champion`` again)."""
    name = name.split("@")[0]
    try:
        prev = get_model(ws, f"{name}@previous")
    except ModelNotFound:
        versions = [m for m in list_models(ws) if m.name == name]
        raise ModelNotFound(f"{name} has no previously chosen version to roll back to",
                            hint="versions: " + ", ".join(m.spec for m in versions)
                            + "; promote one with glamlab models promote NAME@N") from None
    current = get_model(ws, f"{name}@champion")
    set_alias(ws, prev.spec, "champion", actor=actor)
    set_alias(ws, current.spec, "previous", actor=actor)
    with ws.store.write() as conn:
        ws.store.audit(conn, actor, "model.rollback", prev.spec, demoted=current.spec)
    return get_model(ws, prev.spec)
