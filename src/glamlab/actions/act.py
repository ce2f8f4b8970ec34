"""Apply the policy and the safety checks to a model's predictions.

What a prediction puts before the policy (its candidates: labels with scores, and for
richer kinds a value such as a span) is the task kind's (:meth:`TaskKind.candidates`);
the policy decides accept / review / reject per candidate.

:func:`plan` (the dry run) counts what would happen, with the expected number of wrong
auto-accepts from the frozen test split (each label's precision to expect there: the
Jeffreys posterior mean, 1 of 1 right is 0.75; labels no test item reaches are named), the reviewer hours and, for a filter task, the
money saved. :func:`act` writes it: ``accept`` -> ``machine_metadata`` rows with
provenance (not one a person's gold overrules: every export says the person's, so it is
counted, not written), ``review`` -> ``review_queue`` rows with the reason, ``reject`` -> counted.
Acting twice writes nothing new. What people already decided about an item, on this
prediction or an earlier one (:mod:`.people`), stands: such a
candidate is not queued again, and a value they turned down is not written. Predictions are streamed in batches (constant memory).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import CardNotWritable, ModelNotFound, PolicyError
from ..items import Item
from ..progress import plural, review_time
from ..store import QUEUE_SUPERSEDED as SUPERSEDED
from ..store import now
from ..store.ids import among, id_batches
from ..store.queue import (
    ItemGold,
    complete_span_gold_items,
    gold_labels,
    item_gold,
    items_labelled,
)
from ..tasks.kinds import Candidate, TaskKind, task_kind
from .intervals import expected_precision, wrong_total_interval
from .people import item_decisions, person_decision, same_value
from .policy import LabelPolicy, Policy, load_policy, parse_policy, thresholds_text
from .safety import Safety, SafetyHit, load_safety
from .test_split import frozen_test_precision

#: under the package logger ("glamlab"): a notebook shows its warnings without setup
log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from ..registry.models import ModelVersion
    from ..workspace import Workspace

BATCH = 1000
HEARTBEAT_S = 5.0  # with progress: a line at least this often while nothing else is shown
#: the task kinds whose gold is the item's labels: a label the policy accepts that the
#: item's gold label in force does not give is settled by it, as the exports say
#: (:func:`.export._gold_verdicts`, :func:`_count_accepts_on_gold`)
CLASSIFICATION_KINDS = ("single-label", "multi-label")
MAX_HITS_IN_TEXT = 30


@dataclass
class Decision:
    """What the policy (and safety) does with one predicted label of one item."""

    prediction_id: int
    run_id: int
    item: Item
    label: str
    score: float
    action: str  # accept | review | reject
    reason: str
    created_at: Any
    safety: SafetyHit | None = None
    value: Any = None  # the candidate's value, for kinds whose candidates are more than a label

    @property
    def suppressed(self) -> bool:
        return self.safety is not None and self.safety.action == "suppress"

    @property
    def candidate(self) -> Candidate:
        return Candidate(self.label, self.score, self.value)


# -- which predictions ----------------------------------------------------------
#: where the web app does what ``glamlab run --model NAME`` does
WEB_RUN = "run the model over the collection on the Run page"


def resolve_model(ws: Workspace, spec: str | None = None,
                  policy: Policy | None = None, *, web: bool = False,
                  exporting: bool = False) -> ModelVersion:
    """The model act, export and link use: ``spec``, else ``[policy] model``, else the
    champion (the one ``glamlab run`` runs, :func:`glamlab.inference.champion_spec`),
    else, when no model is in use yet, the model of the latest run with predictions
    (:func:`choose_model` says so in a note). A champion with no predictions yet while
    another model has some is refused (run it first, or name the other one): act never
    writes the guesses of a model that was run only to be looked at (a baseline).
    ``exporting``: for an export, which gives the latest run's predictions instead (with
    the reviewers' decisions on them) and says so (:func:`choose_model`).
    ``web``: an error's fix names the web app's pages, not commands."""
    return choose_model(ws, spec, policy, web=web, exporting=exporting)[0]


def _champion(ws: Workspace) -> ModelVersion | None:
    """The champion ``glamlab run`` uses; None when no model is in use yet. (A model
    in use with no champion version, while others have one, is refused as run refuses.)"""
    from ..registry.models import champion

    try:
        return champion(ws)
    except ModelNotFound:
        t = ws.store.t.model_aliases
        with ws.store.read() as conn:
            marked = conn.execute(sa.select(t.c.name).where(t.c.alias == "champion")
                                  .limit(1)).first()
        if marked is not None:
            raise
        return None


def default_model_spec(ws: Workspace, policy: Policy | None = None) -> str | None:
    """The spec (``NAME@N``) of the model act and export use without ``--model``:
    ``[policy] model``, else the champion (run or not), else the latest run's model;
    None when there is none of these."""
    from ..registry.models import get_model

    if policy is not None and policy.model:
        return get_model(ws, policy.model).spec
    champ = _champion(ws)
    if champ is not None:
        return champ.spec
    latest = _latest_run_model(ws)
    return latest.spec if latest is not None else None


def _latest_run_model(ws: Workspace) -> ModelVersion | None:
    """The model of the latest run with predictions (else of the latest prediction)."""
    from ..registry.models import get_model_by_id

    t = ws.store.t
    with ws.store.read() as conn:
        model_id = conn.execute(
            sa.select(t.runs.c.model_id)
            .where(sa.exists().where(t.predictions.c.run_id == t.runs.c.id))
            .order_by(t.runs.c.id.desc()).limit(1)).scalar()
        if model_id is None:
            model_id = conn.execute(sa.select(t.predictions.c.model_id)
                                    .order_by(t.predictions.c.id.desc()).limit(1)).scalar()
    return None if model_id is None else get_model_by_id(ws, int(model_id))


def _latest_acted_model(ws: Workspace) -> ModelVersion | None:
    """The model act was applied to last, with predictions still: that of the latest
    review queue row about a prediction (the rows reviewers decide on), else of the
    latest value written as metadata; None when act never wrote anything."""
    from ..registry.models import get_model, get_model_by_id

    t = ws.store.t
    q, mm = t.review_queue, t.machine_metadata
    with ws.store.read() as conn:
        model_id = conn.execute(sa.select(q.c.model_id).where(q.c.model_id.is_not(None))
                                .order_by(q.c.id.desc()).limit(1)).scalar()
        written = None if model_id is not None else conn.execute(
            sa.select(mm.c.model, mm.c.model_version).order_by(mm.c.id.desc()).limit(1)).first()
    try:
        mv = (get_model_by_id(ws, int(model_id)) if model_id is not None else
              get_model(ws, f"{written.model}@{written.model_version}") if written else None)
    except ModelNotFound:
        return None
    return mv if mv is not None and _has_predictions(ws, mv.id) else None


#: what needs the predictions of the model in use, said when it has none yet (act's)
POLICY_USES = ("the policy is applied with the predictions of the model in use, not another "
               "model's")


def _has_predictions(ws: Workspace, model_id: int) -> bool:
    t = ws.store.t.predictions
    with ws.store.read() as conn:
        return conn.execute(sa.select(t.c.id).where(t.c.model_id == model_id)
                            .limit(1)).first() is not None


def choose_model(ws: Workspace, spec: str | None = None, policy: Policy | None = None, *,
                 web: bool = False, cli: bool = True,
                 acting: bool = False,
                 exporting: bool = False,
                 uses: str = POLICY_USES) -> tuple[ModelVersion, str | None]:
    """:func:`resolve_model`, with a note to show the person when the model is the latest
    run's because no model is in use yet (None otherwise): in the web app's words
    (``web``), the command line's (``cli``), else as Python calls. ``acting``: for act
    (not a dry run), which refuses another model than the one in use
    (:func:`_check_model_in_use`), so the fix for a model in use with no predictions
    is to run it or promote the other, not ``--model``. ``exporting``: for an export
    (the command's and the web app's alike), which, when the model in use has no
    predictions yet (promoted by a retrain, not run), gives the predictions of the model
    the policy was last applied to (else the latest run's model:
    :func:`_latest_acted_model`), with the reviewers' decisions made on them, and says
    so in the note (the decisions cannot be exported otherwise before someone runs the
    new model). ``uses``: what needs the model in use's predictions, said when it has
    none yet (a trend counts them, link links their spans; by default the policy is
    applied with them)."""
    from ..registry.models import get_model

    spec = spec or (policy.model if policy else None)
    if spec:
        try:
            return get_model(ws, spec), None
        except ModelNotFound as exc:
            if not web or not exc.hint or exc.hint.startswith(("the models there are",
                                                               "the versions of")):
                raise  # the models it has: no command in it
            raise ModelNotFound(exc.message, hint="train one first on the Train models "
                                                  "page") from None
    champ = _champion(ws)
    latest = _latest_run_model(ws)
    if latest is None:
        raise PolicyError("there are no predictions to act on yet",
                          hint=f"first {WEB_RUN}" if web else
                          "run a model over the collection first: glamlab run --model NAME")
    if champ is not None:
        if _has_predictions(ws, champ.id):
            return champ, None
        if exporting:
            acted = _latest_acted_model(ws)
            return (acted or latest), unrun_champion_note(champ, acted or latest,
                                                          acted=acted is not None,
                                                          web=web, cli=cli)
        # promoted (by a retrain, or glamlab models promote) but not run over the
        # collection yet: what to do is run it, said first and plainly
        raise PolicyError(
            f"the model in use, {champ.spec}, has no predictions yet: it has not been run "
            f"over the collection (the latest predictions are {latest.spec}'s), and "
            f"{uses}",
            hint=("an admin runs the model in use over the collection first, on the Run "
                  "page") if web else
            (f"run it over the collection first: glamlab run; or make {latest.spec} the "
             f"model in use: glamlab models promote {latest.spec} (glamlab act "
             f"--model {latest.spec} --dry-run shows what it would do)" if acting else
             f"run it over the collection first: glamlab run; or, to use {latest.spec}'s "
             f"predictions meanwhile, give --model {latest.spec}"))
    note = (f"No model is in use yet, so these are the predictions of the latest run's "
            f"model, {latest.spec}. "
            + ("Compare the models on the Evaluate page to choose one." if web else
               "Choose one: glamlab evaluate (or glamlab models use NAME), or "
               "--model NAME." if cli else
               "Choose one: use_model(ws, NAME) (from glamlab.registry), or model=NAME."))
    return latest, note


def unrun_champion_note(champ: ModelVersion, latest: ModelVersion, *, acted: bool = False,
                        web: bool = False, cli: bool = True) -> str:
    """What an export says when the model in use, ``champ``, has no predictions yet and
    it holds ``latest``'s instead (the model the policy was applied to last, ``acted``,
    else the model run last): whose predictions they are, why, and where the model in
    use is run (the Run page, an admin's, on the web)."""
    whose = ("an earlier version of the model in use" if latest.name == champ.name
             else "not the model in use")
    which = ("the model the policy was last applied to" if acted
             else "the model that was run last")
    how = (f"An admin can run {champ.spec} on the Run page" if web else
           f"Run {champ.spec} first (glamlab run)" if cli else
           f"Run {champ.spec} first (run(ws), from glamlab.inference)")
    return (f"The model in use, {champ.spec}, has not been run yet, so the export holds the "
            f"predictions of {which}, {latest.spec} ({whose}), with the reviewers' "
            f"decisions on them. {how} for the export to hold its predictions.")


def _stopped_run(ws: Workspace, mv: ModelVersion, *, web: bool = False,
                 cli: bool = False) -> str | None:
    """A warning when the latest run of ``mv`` stopped part way (Ctrl-C, a crash): the
    items it did not reach have no prediction of this model, so the policy passes them by
    without a word. None when its latest run finished (or it has none). How to resume it
    is said on the web app's Run page (``web``), as a command (``cli``), else as the
    Python call."""
    t = ws.store.t.runs
    with ws.store.read() as conn:
        row = conn.execute(sa.select(t.c.status, t.c.planned, t.c.done, t.c.failed)
                           .where(t.c.model_id == mv.id)
                           .order_by(t.c.id.desc()).limit(1)).first()
    if row is None or row.status != "stopped" or \
            (row.planned or 0) <= (row.done or 0) + (row.failed or 0):
        return None
    return (f"the run of {mv.spec} stopped after {row.done:,} of {row.planned:,} items; the "
            "rest have no predictions and are not acted on: resume it first"
            + (" (run the model again on the Run page: it carries on where it stopped)"
               if web else f" (glamlab run --model {mv.spec} --resume)" if cli else
               f" (run(ws, {mv.spec!r}, resume=True), from glamlab.inference)"))


def _candidates(kind: TaskKind[Any, Any], row: Any) -> list[Candidate]:
    """What the policy acts on in one stored prediction. Raises ValueError (TypeError,
    AttributeError) for a malformed one."""
    return kind.candidates(kind.from_stored(row.label, row.labels, row.scores, row.score))


def _item(row: Any) -> Item:
    return Item(item_id=row.item_id, modality=row.modality, source_kind=row.source_kind,
                source=row.source, uri=row.uri, page=row.page, content_hash=row.content_hash,
                width=row.width, height=row.height, meta=row.meta or {}, version=row.version)


def decide(policy: Policy, safety: Safety, item: Item, c: Candidate, *,
           external: bool) -> tuple[str, str, SafetyHit | None]:
    """(action, reason, safety hit) for one candidate: the policy, then the safety checks
    (which may send an accept to review, or suppress it)."""
    action, reason = policy.decide(c.label, c.score)
    hit = None
    if action != "reject":
        hit = safety.check(item, c.label, c.score, action, external=external)
        if hit is not None:
            reason = f"safety {hit.check} {hit.name!r}: {hit.detail}"
            action = "reject" if hit.action == "suppress" else "review"
    return action, reason, hit


def iter_decisions(ws: Workspace, mv: ModelVersion, policy: Policy, safety: Safety, *,
                   batch_size: int | None = None,
                   problems: list[dict[str, Any]] | None = None,
                   current: dict[str, int] | None = None,
                   known: list[str] | None = None,
                   empty: list[Item] | None = None) -> Iterator[list[Decision]]:
    """The model's predictions, in item order, as batches of decisions.

    A malformed prediction is skipped (added to ``problems`` with its item and the fix);
    the rest carry on. ``current``, when given, holds each batch's items and their
    prediction's id as the batch is yielded (items with no candidates too: a model that
    now finds nothing in a text). In a tabular project a row whose outcome is known
    already (its label, in the outcome column, or the label a person gave it since:
    :func:`glamlab.tasks.tabular.people_outcomes`, the outcome training reads) is left
    out (its id added to ``known``): there is nothing left to decide about it, only the
    rows still to come are acted on.
    ``empty``, when given, holds each batch's items whose prediction gives no candidate
    at all (the model found no label), in item order: no decision is about them."""
    from ..tasks.tabular import has_outcome, outcome_column, people_outcomes

    outcome = outcome_column(ws)
    # the rows whose outcome a person gave (the table's cell may still be empty)
    given = set(people_outcomes(ws)) if outcome is not None else set()
    batch_size = batch_size or BATCH
    t = ws.store.t
    p, it = t.predictions, t.items
    external = safety.is_external(mv.predictor, mv.card)
    kind = task_kind(ws.card)
    last: str | None = None
    cols = [p.c.id, p.c.run_id, p.c.item_id, p.c.label, p.c.labels, p.c.scores, p.c.score,
            p.c.created_at]
    while True:
        # Two simple queries per batch (predictions by the (model, item) index, then their
        # items by id): a join here makes SQLite scan items once per prediction.
        q = sa.select(*cols).where(p.c.model_id == mv.id).order_by(p.c.item_id).limit(batch_size)
        if last is not None:
            q = q.where(p.c.item_id > last)
        with ws.store.read() as conn:
            preds = conn.execute(q).fetchall()
            if not preds:
                return
            last = preds[-1].item_id
            items = {r.item_id: _item(r) for r in conn.execute(
                sa.select(it.c.item_id, it.c.modality, it.c.source_kind, it.c.source, it.c.uri,
                          it.c.page, it.c.content_hash, it.c.width, it.c.height, it.c.meta,
                          it.c.version)
                .where(among(conn, it.c.item_id, [r.item_id for r in preds]),
                       it.c.is_current.is_(True)))}
        rows = [(r, items[r.item_id]) for r in preds if r.item_id in items]
        settled: list[str] = []
        if outcome is not None:
            settled = [r.item_id for r, item in rows
                       if r.item_id in given or has_outcome(item.meta, outcome)]
            if settled:
                if known is not None:
                    known.extend(settled)
                done = set(settled)
                rows = [(r, item) for r, item in rows if r.item_id not in done]
        if current is not None:
            current.clear()
            current.update((r.item_id, int(r.id)) for r, _ in rows)
            # a row whose outcome came in since: no prediction of it is to be reviewed
            # (0 is no prediction's id, so its open review rows are withdrawn)
            current.update((item_id, 0) for item_id in settled)
        batch: list[Decision] = []
        if empty is not None:
            empty.clear()
        for row, item in rows:
            try:
                candidates = _candidates(kind, row)
            except (TypeError, ValueError, AttributeError) as exc:
                if problems is not None:
                    problems.append({
                        "item_id": row.item_id, "prediction_id": row.id,
                        "reason": f"prediction {row.id} of item {row.item_id}: {exc}",
                        "fix": f"re-run the model on this item: glamlab run --model {mv.spec}"})
                continue
            if not candidates and empty is not None:
                empty.append(item)
            for c in candidates:
                action, reason, hit = decide(policy, safety, item, c, external=external)
                batch.append(Decision(row.id, row.run_id, item, c.label, c.score, action, reason,
                                      row.created_at, hit, c.value))
        yield batch


# -- the dry run and the act ------------------------------------------------------
@dataclass
class ActReport:
    model: str
    field: str
    dry_run: bool
    counts: dict[str, int] = dataclasses.field(default_factory=lambda: {"accept": 0, "review": 0, "reject": 0})
    by_label: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    items_with_predictions: int = 0
    items_total: int = 0
    safety_hits: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    written: dict[str, int] = dataclasses.field(default_factory=lambda: {"machine_metadata": 0,
                                                              "review_queue": 0})
    already_written: dict[str, int] = dataclasses.field(default_factory=lambda: {"machine_metadata": 0,
                                                                      "review_queue": 0})
    #: candidates a person had already decided (on an earlier prediction of the item):
    #: not queued again, and not written when the person turned them down
    decided_by_people: int = 0
    #: candidates the policy sends to review that a person already decided (on this
    #: prediction or an earlier one; entities, on a text in the test split: a span over
    #: words a reviewer decided there, glamlab.tasks.spans.saved.decided_on_test_texts):
    #: no reviewer time is counted for them
    review_decided: int = 0
    #: candidates the policy sends to review whose label an active gold label of the item
    #: already gives (entities: every span of a text with complete gold spans): queued,
    #: but the queue does not show them (glamlab.store.queue), so no reviewer time is
    #: counted for them either; and (entities) the spans over words a person saved as an
    #: entity on a text whose gold is not complete (glamlab.tasks.spans.saved.
    #: settled_by_person): settled as act applies the policy, not queued (an open row
    #: asking about one is withdrawn). On a text in the test split, where a decision
    #: writes no gold, a span over words a reviewer decided there is settled the same way
    #: by that decision, and counted with ``review_decided`` (by a reviewer, not a gold
    #: label)
    review_settled_by_gold: int = 0
    #: of ``counts["accept"]`` (entities), the spans the policy accepts on a text with
    #: complete gold spans (a person's annotation of the whole text): the gold wins over
    #: them in every export (:mod:`.export`): one it holds is confirmed by who gave the
    #: gold, one it does not is not an entity, and the text's exported spans are its gold
    #: spans, those the model missed too; (classification) the labels the policy accepts
    #: on items with a person's gold label in force that a person did not decide on
    #: (:func:`_count_accepts_on_gold`): one the gold gives is confirmed by who gave it,
    #: another is not exported as accepted (``accept_overruled``)
    accept_settled_by_gold: int = 0
    #: of those (classification: the labels the policy accepts on items with a person's
    #: gold label in force, :func:`_count_accepts_on_gold`), per label, the ones the
    #: gold does not give (the item's label is another): not exported as accepted, so
    #: the filter's figures leave them out too
    accept_overruled: dict[str, int] = dataclasses.field(default_factory=dict)
    #: (classification) the candidates the policy sends to review whose item's gold
    #: labels in force, its whole set, do not give their label, no person having decided
    #: on them: every export says the person's label (single-label: in their row, in
    #: place of the model's; multi-label: rejected, the reason naming it). The queue
    #: still shows them to a reviewer, with the gold labels (:mod:`glamlab.store.queue`)
    review_overruled: int = 0
    #: (single-label) the candidates the policy accepts, rejects or sends to review whose item's gold label
    #: is another, no person having decided on them: every export carries the person's
    #: label in their row, in place of the model's (:func:`gold_label_in_place`)
    gold_label_in_place: int = 0
    #: (classification) people's gold labels the model gave no value for, which every
    #: export gives as the person's label in a row of its own (:func:`.export._gold_row`):
    #: those on current items the model has no prediction of, and (multi-label) those
    #: not among the item's suggestions (:func:`unsuggested_gold`), or, either kind, on
    #: an item its prediction gives no label at all (``gold_not_suggested``)
    gold_unpredicted: int = 0
    gold_not_suggested: int = 0
    #: and per label the ones the gold gives (confirmed by who gave it): none of them is
    #: a wrong accept, so the filter's figure of items wrongly held back leaves them out;
    #: (entities) per type, the spans accepted on a text with complete gold spans
    accept_confirmed: dict[str, int] = dataclasses.field(default_factory=dict)
    #: (classification) per label, the labels the policy rejects that the item's gold
    #: label in force gives, no person having decided on them: the export accepts them,
    #: confirmed by who gave the gold (:func:`_count_kept_by_gold`)
    reject_given_by_gold: dict[str, int] = dataclasses.field(default_factory=dict)
    #: (a filter project) the items a person's gold label gives the ``positive_label``
    #: that the model suggested no candidate of (it said another label), or only one a
    #: safety check suppressed, or that it has no prediction of at all: the filter list
    #: holds them back (the person's label wins)
    held_by_gold: int = 0
    #: (classification) per label, the labels the policy accepts that a person turned
    #: down or corrected to another label (``people_dropped``), and the labels a
    #: person's decision gives on candidates the policy accepts or rejects
    #: (``people_added``): the export says the person's decision, so the filter's
    #: figures do too (:func:`_count_people_on_policy`)
    people_dropped: dict[str, int] = dataclasses.field(default_factory=dict)
    people_added: dict[str, int] = dataclasses.field(default_factory=dict)
    #: of the candidates the policy sends to review, those a person accepted or an active
    #: gold label of the item gives, per label: the export (and its filter list) counts
    #: them accepted, so the filter's figures do too
    review_accepted: dict[str, int] = dataclasses.field(default_factory=dict)
    test: dict[str, Any] = dataclasses.field(default_factory=dict)
    expected_wrong_accepts: float | None = None
    expected_wrong_range: list[float] | None = None
    #: when some accepted labels have no test item above their threshold: the figure for
    #: the rest, those labels, why, and a range that takes their precision as anywhere
    #: from 0 to 1 (``expected_wrong_accepts`` is then None: the total is not known)
    expected_wrong_partial: dict[str, Any] | None = None
    #: the latest comparison with the baselines found this model no better than them
    #: (act goes ahead), labels whose precision on test falls far short of the target, and
    #: review thresholds an earlier act saved that no longer fit (see
    #: _old_review_default), in plain words
    warnings: list[str] = dataclasses.field(default_factory=list)
    review_hours: float = 0.0
    filter: dict[str, Any] | None = None
    policy: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    problems: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    # where the thresholds came from: "card" ([policy] in glamlab.toml), "default" (none
    # there yet: proposed from the labelled data, as act --optimise would), "model" (none
    # there yet: the model's own, chosen on its training items: blank-ink), "review-all"
    policy_source: str = "card"
    #: rows of a tabular project whose outcome is known already: not acted on
    known_outcomes: int = 0
    notes: list[str] = dataclasses.field(default_factory=list)
    #: what the counts count, in words: "items", or "spans" for entities
    unit: str = "items"
    #: the project's items in words: "items", or "rows" for a tabular project (whose
    #: values are outcomes written to rows, not metadata of a catalogue)
    noun: str = "items"
    #: open review rows about an earlier prediction of these items, withdrawn because
    #: the model that now runs no longer sends their candidate to review
    superseded: int = 0
    #: open review rows about the very prediction act decides, withdrawn because the
    #: policy now accepts or rejects their candidate (its thresholds changed since)
    withdrawn_by_policy: int = 0
    #: labels (spans) the policy accepts that a person's gold overrules, no person having
    #: decided on them: a label the item's gold labels in force do not give, where they
    #: are its whole set (classification), a span a text's complete gold spans do not hold
    #: (entities). Not written as machine metadata: every export says the person's
    #: (:func:`.export._gold_verdicts`), so the store does not keep a contradicted value
    #: as automatic metadata
    not_written_overruled: int = 0
    #: of ``not_written_overruled``: values act wrote earlier, before the person's gold
    #: was given, kept in ``machine_metadata`` marked overruled (:func:`_mark_overruled`)
    #: rather than counted as there already, so every accepted candidate is counted once
    #: (written, there already, or not written because the person's gold wins)
    overruled_kept: int = 0
    #: (classification) values act wrote as machine metadata earlier that a person's gold
    #: label in force now overrules (given since, no person having decided on the value):
    #: marked overruled (``machine_metadata.overruled_by``/``overruled_at``), kept, no
    #: longer counted as written metadata; a dry run counts those it would mark
    #: (:func:`_mark_overruled`)
    written_overruled: int = 0
    #: marked overruled earlier, no person's label overrules them now (the gold was
    #: withdrawn or changed back): the mark is taken off, the value is written again
    overruled_restored: int = 0
    #: of ``written["review_queue"]``, the rows an active gold label of the item already
    #: settles (glamlab.store.queue): written, but nobody is asked about them; the rest
    #: (``written_open``) wait for a person
    written_settled_by_gold: int = 0
    #: with ``plan(before=...)``: how many candidates change action, "review->reject"
    #: and so on (None: not compared); "review->reject" counts only the candidates a
    #: person is asked about under ``before`` (not those a person already decided, nor
    #: those a gold label settles: they wait for nobody)
    changes: dict[str, int] | None = None
    #: the same, counted in items (a multi-label item may have several labels change
    #: action; "review->reject": the items with at least one candidate that is sent to a
    #: person under ``before`` and rejected under this policy)
    changes_items: dict[str, int] | None = None
    #: what to do next is said as commands (plan(..., cli=True): the command line) or as
    #: Python calls (the default), in :meth:`summary` as in the notes
    cli: bool = dataclasses.field(default=False, repr=False)

    @property
    def review_workload(self) -> int:
        """What a reviewer will be shown of what the policy sends to review: not what a
        person already decided, nor what a gold label settles."""
        return max(self.counts["review"] - self.review_decided - self.review_settled_by_gold, 0)

    def summary(self) -> str:
        """The report in plain words, as ``glamlab act`` (``--dry-run``) prints it: the
        counts, the expected wrong accepts, the review hours, the warnings (as
        :class:`glamlab.inference.RunReport.summary` is for a run); what to do next in the
        words of its caller (``act(ws)`` from Python, ``glamlab act`` from the command
        line), as its notes are."""
        return render(self.to_dict(), cli=self.cli)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model, "field": self.field, "dry_run": self.dry_run,
            "items_total": self.items_total, "items_with_predictions": self.items_with_predictions,
            "counts": self.counts,
            "by_label": [{"label": k, **v, "review_workload": max(
                v["review"] - v.get("review_already_decided", 0)
                - v.get("review_settled_by_gold", 0), 0)}
                for k, v in sorted(self.by_label.items())],
            "expected_wrong_accepts": self.expected_wrong_accepts,
            "expected_wrong_accepts_ci95": self.expected_wrong_range,
            "expected_wrong_partial": self.expected_wrong_partial,
            # what the expected wrong accepts count: the accepted values no person's label
            # settles (:func:`_accepts_unsettled`)
            "accept_unsettled": sum(_accepts_unsettled(self, k) for k in self.by_label),
            "warnings": self.warnings,
            "review_hours": self.review_hours, "filter": self.filter,
            "safety_hits": self.safety_hits,
            "safety_counts": {a: sum(1 for h in self.safety_hits if h["safety_action"] == a)
                              for a in ("review", "suppress")},
            "written": self.written, "already_written": self.already_written,
            "superseded": self.superseded,
            "withdrawn_by_policy": self.withdrawn_by_policy,
            "written_settled_by_gold": self.written_settled_by_gold,
            "not_written_overruled_by_gold": self.not_written_overruled,
            "overruled_kept": self.overruled_kept,
            "written_overruled_by_gold": self.written_overruled,
            "overruled_restored": self.overruled_restored,
            "written_open": self.written["review_queue"] - self.written_settled_by_gold,
            "decided_by_people": self.decided_by_people,
            "review_already_decided": self.review_decided,
            "review_settled_by_gold": self.review_settled_by_gold,
            "accept_settled_by_gold": self.accept_settled_by_gold,
            "accept_overruled_by_gold": sum(self.accept_overruled.values()),
            "reject_given_by_gold": sum(self.reject_given_by_gold.values()),
            "gold_label_in_place": self.gold_label_in_place,
            "gold_unpredicted": self.gold_unpredicted,
            "gold_not_suggested": self.gold_not_suggested,
            "review_overruled_by_gold": self.review_overruled,
            "review_workload": self.review_workload,
            "test": self.test, "policy": self.policy, "problems": self.problems,
            "policy_source": self.policy_source, "notes": self.notes, "unit": self.unit,
            "noun": self.noun,
            "known_outcomes": self.known_outcomes,
            **({"changes": self.changes} if self.changes is not None else {}),
            **({"changes_items": self.changes_items}
               if self.changes_items is not None else {}),
        }


def plan(ws: Workspace, *, model: str | None = None, dry_run: bool = True,
         actor: str = "glamlab act", policy: Policy | None = None,
         safety: Safety | None = None, web: bool = False,
         before: Policy | None = None, cli: bool = False,
         progress: bool = False) -> ActReport:
    """Apply the policy to the predictions of ``model``, else of the model
    :func:`resolve_model` chooses (``[policy] model``, else the champion: a champion not
    run yet is refused, not replaced by another model); write them unless ``dry_run``.

    Without ``policy`` and with no thresholds in ``[policy]`` yet (nothing optimised, no
    ``default_action`` chosen), the thresholds are the ones ``glamlab act --optimise``
    proposes from the labelled data for ``[policy] target_precision`` (default
    :data:`DEFAULT_TARGET`), with everything below them sent to review (no item goes to
    no one), except, in a multi-label task, the labels the model does not suggest (below
    :func:`default_review_threshold`), which are rejected; the report's ``notes`` say so
    and how to change them. When they are applied
    (not a dry run) to the model act and export use without ``model``, they are saved in
    ``[policy]``, as ``act --optimise --write`` would:
    the exports, the web app and the next ``act`` then apply the thresholds that wrote
    the metadata, instead of proposing new ones from labels that changed since.
    ``web``: the notes and errors name the web app's pages instead of commands (a dry
    run there). ``cli``: the notes and warnings say what to do next as commands
    (``glamlab act``'s words); without it, as Python calls. ``before``: a policy to compare with (e.g. :func:`policy_now`); the
    report's ``changes`` count the candidates whose action differs under it
    ("review->reject": sent to a person under ``before``, rejected under this one).
    ``progress``: the items gone through so far on stderr, as ``glamlab run`` shows them
    (a bar in a terminal, a line every few seconds in a log), and from the start a line
    every few seconds of what it is doing where nothing else is shown (choosing the
    thresholds, the counts after the items)."""
    from ..progress import Heartbeat

    with Heartbeat(f"act{' (dry run)' if dry_run else ''}: choosing the policy",
                   interval=HEARTBEAT_S, enabled=progress) as beat:
        return _plan(ws, model=model, dry_run=dry_run, actor=actor, policy=policy,
                     safety=safety, web=web, before=before, cli=cli, progress=progress,
                     beat=beat)


def _plan(ws: Workspace, *, model: str | None, dry_run: bool, actor: str,
          policy: Policy | None, safety: Safety | None, web: bool, before: Policy | None,
          cli: bool, progress: bool, beat: Any) -> ActReport:
    """:func:`plan`; ``beat`` the :class:`glamlab.progress.Heartbeat` told each step."""
    source = "card"
    notes: list[str] = []
    proposed = None
    if policy is None:
        policy, source, notes, proposed = _policy_for(ws, model, web=web, cli=cli,
                                                      progress=progress)
    safety = safety or load_safety(ws.card, ws.root, web=web)
    mv, fallback = choose_model(ws, model, policy, web=web, cli=cli, acting=not dry_run)
    if fallback:
        notes = [*notes, fallback]
    from ..registry.overlap import check_disjoint

    check_disjoint(ws, mv, "act", web=web)
    if not dry_run:
        _check_model_in_use(ws, mv, web=web)
    # acting (not a dry run) with another model than the one act and export use without
    # --model is refused just above, so thresholds act proposed and applies are always
    # for that model: saved in [policy] (one [policy], for that model)
    save = proposed is not None and not dry_run
    if save:
        _check_card_writable(ws)  # before anything is written: all of it, or nothing
        notes = notes + ["Saved in [policy] of glamlab.toml: the exports, the web app and "
                         "the next act apply these thresholds to this model."]
    if save and proposed is not None:
        from .optimise import write_thresholds

        write_thresholds(ws, proposed)
    from ..workspace.verdict import not_better_than_baseline

    warning = not_better_than_baseline(ws, mv.spec, web=web,  # a warning, not a refusal
                                       noun=task_kind(ws.card).noun)
    report = ActReport(model=mv.spec, field=policy.field, dry_run=dry_run,
                       policy=policy.describe(), policy_source=source, notes=notes,
                       cli=cli)
    if warning:  # with the other warnings, without the "warning: " the text adds itself
        report.warnings.append(warning.removeprefix("warning: "))
        if not dry_run and not web and not cli:
            # written from Python: said where a notebook shows it, not only in .summary()
            # (the command line and the web app show the report's warnings themselves)
            log.warning("act writes with %s: %s", mv.spec, warning.removeprefix("warning: "))
    partial = _stopped_run(ws, mv, web=web, cli=cli)
    if partial:
        report.warnings.append(partial)
    old_default = _old_review_default(ws, policy, web=web) if source == "card" else None
    if old_default:
        report.warnings.append(old_default)
    from ..tasks.tabular import count_known_outcomes

    # a tabular project acts on the rows whose outcome is not known yet
    beat.note(f"act ({mv.spec}{', dry run' if dry_run else ''}): counting the items")
    report.known_outcomes = count_known_outcomes(ws)
    report.items_total = ws.count_items() - report.known_outcomes
    kind = task_kind(ws.card)
    report.unit = kind.candidates_word
    report.noun = kind.noun
    seen_items = 0
    # (a filter project) the items a person labelled with the positive label, and those
    # of them the model predicted: the others are held back by the filter list too
    positive = ws.card.positive_label if kind.name in CLASSIFICATION_KINDS else None
    labelled_positive: set[str] = set()
    if positive:
        with ws.store.read() as conn:
            labelled_positive = items_labelled(conn, positive)
    predicted_positive: set[str] = set()
    current: dict[str, int] = {}
    known: list[str] = []
    changed_items: dict[str, set[str]] = {}
    if before is not None:
        report.changes = {}
        external = safety.is_external(mv.predictor, mv.card)
    empty: list[Item] = []  # each batch's items the model predicted no label for
    from ..progress import Progress

    # no total: the items the model found nothing in are not gone through
    bar = Progress(f"act ({mv.spec}{', dry run' if dry_run else ''})",
                   unit=("items" if kind.candidates_word == "items"  # not "items with items"
                         else f"items with {kind.candidates_word}"), enabled=progress,
                   said="done")
    for batch in iter_decisions(ws, mv, policy, safety, problems=report.problems,
                                current=current, known=known, empty=empty):
        seen_items += len({d.item.item_id for d in batch})
        bar.update(len({d.item.item_id for d in batch}))
        predicted_positive.update(d.item.item_id for d in batch
                                  if d.item.item_id in labelled_positive)
        dropped: list[Decision] = []  # sent to a person under ``before``, rejected now
        for d in batch:
            report.counts[d.action] += 1
            if before is not None and report.changes is not None:
                was = decide(before, safety, d.item, d.candidate, external=external)[0]
                if was == "review" and d.action == "reject":
                    dropped.append(d)  # counted below: is a person asked about it?
                elif was != d.action:
                    key = f"{was}->{d.action}"
                    report.changes[key] = report.changes.get(key, 0) + 1
                    changed_items.setdefault(key, set()).add(d.item.item_id)
            per = report.by_label.setdefault(d.label, {"accept": 0, "review": 0, "reject": 0,
                                                       "review_already_decided": 0,
                                                       "review_settled_by_gold": 0})
            per[d.action] += 1
            if d.safety is not None:
                report.safety_hits.append(d.safety.to_dict())
        # what people decided on earlier predictions of these items stands (people.py)
        with ws.store.read() as conn:
            people = item_decisions(ws, conn, [d.item.item_id for d in batch
                                               if d.action != "reject"])
            reviewed = [d.item.item_id for d in batch if d.action == "review"]
            gold = gold_labels(conn, reviewed)
            # texts whose complete gold spans settle every predicted span of them
            span_gold = complete_span_gold_items(conn, reviewed)
            # the spans people saved on the other texts settle the predicted spans over
            # the same words (glamlab.tasks.spans.saved): not queued, and one the policy
            # accepts that a person's span there says otherwise of is not written
            # (_overruled_by_gold)
            marked = sorted({d.item.item_id for d in batch if d.action in ("review", "accept")}
                            - span_gold)
            saved = _people_spans(ws, conn, kind, marked)
            if kind.name == "entities":
                accepted_gold = complete_span_gold_items(
                    conn, sorted({d.item.item_id for d in batch if d.action == "accept"}))
                for d in batch:
                    if d.action == "accept" and d.item.item_id in accepted_gold:
                        report.accept_settled_by_gold += 1
                        # settled by the gold, held by it or not: never exported as the
                        # model's accept, so never a wrong one (_accepts_unsettled)
                        report.accept_confirmed[d.label] = (
                            report.accept_confirmed.get(d.label, 0) + 1)
            elif kind.name in CLASSIFICATION_KINDS:
                _count_accepts_on_gold(kind, batch, people, item_gold(
                    conn, {d.item.item_id for d in batch
                           if d.action in ("accept", "review")}), report)
                _count_kept_by_gold(ws, conn, kind, batch, report)
                rejected_only = sorted({d.item.item_id for d in batch} - set(people))
                everyone = {**people, **(item_decisions(ws, conn, rejected_only)
                                         if rejected_only else {})}
                _count_people_on_policy(kind, batch, everyone, report)
                if kind.name == "multi-label":
                    _count_unsuggested(kind, batch, everyone, item_gold(
                        conn, {d.item.item_id for d in batch}), report)
                if empty:  # every export gives their gold labels in rows of their own
                    report.gold_not_suggested += sum(len(g.labels) for g in item_gold(
                        conn, {item.item_id for item in empty}).values())
        if dropped and report.changes is not None:
            _count_dropped(ws, kind, dropped, report.changes, changed_items)
        decided, settled, kept = _review_decided(kind, batch, people, gold, span_gold, saved)
        for label, n in kept.items():
            report.review_accepted[label] = report.review_accepted.get(label, 0) + n
        for label, n in decided.items():
            report.review_decided += n
            report.by_label[label]["review_already_decided"] += n
        for label, n in settled.items():
            report.review_settled_by_gold += n
            report.by_label[label]["review_settled_by_gold"] += n
        if not dry_run:
            _write_batch(ws, mv, policy, batch, report, people, current, saved,
                         gold=gold, span_gold=span_gold)
        else:  # the open review rows applying it would withdraw
            with ws.store.read() as conn:
                earlier, by_policy = _refresh_queue(conn, ws, mv, batch, current or {
                    d.item.item_id: d.prediction_id for d in batch}, dry_run=True)
            report.superseded += earlier
            report.withdrawn_by_policy += by_policy
    bar.close()
    beat.note(f"act ({mv.spec}{', dry run' if dry_run else ''}): counting the gold labels "
              "and the expected errors")
    report.items_with_predictions = seen_items
    if kind.name in CLASSIFICATION_KINDS:
        from .export import count_gold_only

        report.gold_unpredicted = count_gold_only(ws, mv)
        _mark_overruled(ws, kind, policy.field, report, dry_run=dry_run)
    if labelled_positive - predicted_positive:
        report.held_by_gold += _current(ws, labelled_positive - predicted_positive)
    if before is not None:
        report.changes_items = {k: len(v) for k, v in changed_items.items()}
    if report.known_outcomes:
        report.notes = [*report.notes,
                        f"{report.known_outcomes:,} rows whose outcome is known already "
                        f"({len(known):,} with predictions) are left out: act decides about "
                        "the rows still to come (their outcomes are the labels evaluate and "
                        "the thresholds use)."]
    _expectations(ws, mv, policy, report, web=web, cli=cli)
    if not dry_run:
        with ws.store.write() as conn:
            ws.store.audit(conn, actor, "act", mv.spec, counts=report.counts,
                           written=report.written, safety_hits=len(report.safety_hits))
    return report


DEFAULT_TARGET = 0.95  # the precision the default thresholds aim at
ACTOR = "glamlab act"  # who writes the thresholds act proposed itself


#: where the web app does what ``glamlab act --optimise ... --write`` does
WEB_OPTIMISE = ("on the Choose the policy page (Work out the thresholds, then save "
                "them)")


def _policy_for(ws: Workspace, model: str | None, *, web: bool = False, cli: bool = True,
                progress: bool = False) -> tuple[Policy, str, list[str], dict[str, Any] | None]:
    """The policy act uses, where it comes from, what to tell the person, and the
    :func:`.optimise.optimise` result that proposed it (None: the card's own).

    Thresholds act proposed and saved itself (``proposed_by``) stand for the model they
    were proposed for; a new model gets new ones. Thresholds a person kept (``act
    --optimise --write``, or written by hand) always stand, with a note when they were
    tuned on another model. ``web``: the notes name the web app's pages, ``cli`` commands,
    neither the Python call (:func:`.optimise.optimise`)."""
    policy = load_policy(ws.card, web=web)
    tuned_on = policy.extra.get("optimised_with")
    if _card_applies(ws, model, policy, web=web):
        spec = resolve_model(ws, model, policy, web=web).spec if tuned_on else None
        notes = [] if tuned_on in (None, spec) else [
            f"The thresholds in [policy] were tuned on {tuned_on}; this is {spec}. Tune "
            + (f"them for it {WEB_OPTIMISE}." if web else
               "them for it: glamlab act --optimise --target-precision P --write." if cli
               else "them for it: optimise(ws, target_precision=P, write=True), from "
                    "glamlab.actions.")]
        return policy, "card", notes, None
    from .optimise import optimise

    own = _models_own_policy(ws, model, policy, web=web, cli=cli)
    if own is not None:
        return own
    target = policy.target_precision or DEFAULT_TARGET
    review_from = default_review_threshold(task_kind(ws.card))
    resolve_model(ws, model, policy, web=web)  # no such model: said in the right words
    try:
        proposed = optimise(ws, target_precision=target, model=model,
                            review_threshold=review_from, web=web, progress=progress)
    except PolicyError as exc:
        # thresholds act proposed for another model do not apply to this one either
        policy = dataclasses.replace(policy, labels={}) \
            if policy.extra.get("proposed_by") == ACTOR else policy
        return policy, "review-all", [
            f"No thresholds in [policy] yet, and none could be proposed ({exc.message}): "
            "every prediction goes to review. Once there is a labelled test split, "
            + (f"set them {WEB_OPTIMISE}." if web else
               "`glamlab act --optimise --target-precision 0.95 --write` sets them." if cli
               else "optimise(ws, target_precision=0.95, write=True), from glamlab.actions, "
                    "sets them.")], None
    proposed["policy"]["proposed_by"] = ACTOR
    chosen = parse_policy(proposed["policy"], ws.card)
    texts = thresholds_text(r.get("threshold") for r in proposed["labels"])
    shown = ", ".join(f"{r['label']} >= {texts[r['threshold']]}"
                      for r in proposed["labels"] if r.get("threshold") is not None)
    untested = [f"{r['label']} ({r['why']})" for r in proposed["labels"]
                if r.get("untested_threshold") is not None]
    if untested:
        shown = (shown + "; " if shown else "") + "not automatic: " + "; ".join(untested)
    if review_from > 0:
        # multi-label: each label is scored on its own, so a label the model does not
        # suggest for an item (below its own cut-off) is not a question for a reviewer
        rest = (f"the other labels the model suggests (score >= {review_from:g}, its own "
                f"cut-off for suggesting a label) to review, and labels scoring below "
                f"{review_from:g} rejected: neither written nor reviewed")
    else:
        rest = "the rest to review"
    return chosen, "default", [
        f"No thresholds in [policy] for {proposed['model']} yet: accepting a label where the "
        f"labelled (calibration) data reaches {target:.0%} precision, at score thresholds "
        f"{shown or '(none: no label reaches it, so nothing is accepted)'}; {rest}. "
        + (f"To keep them for every model, save them {WEB_OPTIMISE}, or choose another "
           "target there." if web else
           "Acting (not a dry run) saves them in [policy]; keep them for every model with "
           + (f"glamlab act --optimise --target-precision {target:g} --write (or choose "
              "another target)." if cli else
              f"optimise(ws, target_precision={target:g}, write=True) (from glamlab.actions; "
              "or choose another target)."))
    ], proposed


def _models_own_policy(ws: Workspace, model: str | None, policy: Policy, *, web: bool,
                       cli: bool) -> tuple[Policy, str, list[str], dict[str, Any]] | None:
    """The thresholds a model chose for itself on its training items, for
    :func:`_policy_for` when ``[policy]`` has none: ``blank-ink`` withholds a page from OCR
    only from its own margin, chosen so that no content page of its training books is
    withheld (a 95% precision target would allow one withheld page in twenty to be a page
    with text that then never gets its OCR: a precision target does not aim at that need).
    None for a model without a ``policy()`` of its
    own (its class is looked up; the model is loaded only when it has one)."""
    from ..predictors.catalogue import get
    from ..registry import load_model

    mv = resolve_model(ws, model, policy, web=web)
    try:
        cls = get(mv.predictor)
    except Exception:  # noqa: BLE001 - a predictor from a plugin no longer installed
        return None
    if not callable(getattr(cls, "policy", None)):
        return None
    _mv, predictor = load_model(ws, mv.spec)
    labels = predictor.policy()  # type: ignore[attr-defined]
    section = {"field": policy.field, "default_action": policy.default_action,
               "labels": labels, "proposed_by": ACTOR, "optimised_with": mv.spec,
               "tuned_on": "the model's own thresholds, chosen on its training items"}
    chosen = parse_policy(section, ws.card)
    texts = thresholds_text(v for lp in chosen.labels.values()
                            for v in (lp.accept, lp.review))
    parts = []
    for label, lp in sorted(chosen.labels.items()):
        if lp.accept is not None and lp.accept <= 0.0:
            parts.append(f"{label} always accepted")
            continue
        said = f"{label} accepted from score {texts[lp.accept]}" if lp.accept is not None \
            else f"{label} never accepted"
        if lp.review is not None:
            said += f", sent to a person from {texts[lp.review]}"
        parts.append(said)
    proposed = {"model": mv.spec, "policy": chosen.to_toml(), "target_precision": None,
                "criterion": "the model's own",
                "labels": [{"label": k, "threshold": v.accept}
                           for k, v in sorted(chosen.labels.items())]}
    keep = (f"choose thresholds for a precision target instead {WEB_OPTIMISE}." if web else
            "choose thresholds for a precision target instead with glamlab act --optimise "
            "--target-precision 0.95 --write." if cli else
            "choose thresholds for a precision target instead with optimise(ws, "
            "target_precision=0.95, write=True), from glamlab.actions.")
    return chosen, "model", [
        f"No thresholds in [policy] for {mv.spec} yet: it brings its own, chosen on its "
        f"training items ({'; '.join(parts)}). Acting (not a dry run) saves them in "
        f"[policy]; {keep}"], proposed


def _card_applies(ws: Workspace, model: str | None, policy: Policy, *,
                  web: bool = False) -> bool:
    """Whether act applies ``[policy]`` as it is to ``model``'s predictions: thresholds
    (or a default action) a person kept, or thresholds act proposed for this model."""
    if not (policy.labels or "default_action" in (ws.card.raw.get("policy") or {})):
        return False
    tuned_on = policy.extra.get("optimised_with")
    return (policy.extra.get("proposed_by") != ACTOR or tuned_on is None
            or tuned_on == resolve_model(ws, model, policy, web=web).spec)


def policy_now(ws: Workspace, model: str | None = None, *, web: bool = False) -> Policy:
    """The policy act applies to ``model``'s predictions now, as far as who sees them:
    ``[policy]`` when act applies it as it is; else (act proposes thresholds itself) every
    label sent to a person from :func:`default_review_threshold`. The accept thresholds
    act would propose are not worked out again here (that would read the test split once
    more), so what they would accept counts as sent to a person: compare what is
    rejected with it, not what is accepted. ``web``: errors in the web app's words."""
    policy = load_policy(ws.card, web=web)
    if _card_applies(ws, model, policy, web=web):
        return policy
    review = default_review_threshold(task_kind(ws.card))
    return dataclasses.replace(policy, labels={
        label: LabelPolicy(review=review) for label in ws.card.labels})


def _old_review_default(ws: Workspace, policy: Policy, *, web: bool = False) -> str | None:
    """A warning when [policy] holds the review thresholds an earlier ``glamlab act``
    saved for a multi-label task, before :func:`default_review_threshold`: ``review = 0``
    for every label (so every label of every item, suggested or not, below its accept
    threshold went to a reviewer). The card is the user's: it is not rewritten here.
    ``web``: the fix is said in the web app's words (its Choose the policy page), not
    as a command or an edit of glamlab.toml."""
    review_from = default_review_threshold(task_kind(ws.card))
    if (review_from <= 0 or policy.extra.get("proposed_by") != ACTOR or not policy.labels
            or any(lp.action is not None or lp.review != 0.0
                   for lp in policy.labels.values())):
        return None
    target = policy.target_precision or DEFAULT_TARGET
    if web:
        return (f"the thresholds of the policy were saved by an earlier version of glamlab, "
                f"which sends every label to a person from 0% sure: every label of every "
                f"item below its accept threshold goes to a reviewer, including the labels "
                f"the model does not suggest (less than {review_from:.0%} sure). glamlab now "
                f"sends only the suggested labels to a person and rejects the rest. To do "
                f"that here, work out the thresholds again {WEB_OPTIMISE} (it also "
                f"tunes the accept thresholds again, for the precision you choose).")
    return (f"the thresholds in [policy] were saved by an earlier glamlab act with "
            f"review = 0 for every label, so every label of every item below its accept "
            f"threshold goes to a reviewer, including the labels the model does not "
            f"suggest (score below {review_from:g}). glamlab act now sends only the "
            f"suggested labels to review and rejects the rest. To do that here: glamlab act "
            f"--optimise --target-precision {target:g} --review-threshold {review_from:g} "
            "--write (it also tunes the accept thresholds again), or set review = "
            f"{review_from:g} for each label under [policy.labels] in glamlab.toml.")


def default_review_threshold(kind: TaskKind[Any, Any]) -> float:
    """Where the review band starts in the thresholds act proposes itself. Single-label
    (and other kinds): 0, every item's one candidate below accept goes to a reviewer (no
    item goes to no one). Multi-label: the kind's own decision threshold (``[task]
    threshold``, 0.5 by default), the score from which the model suggests a label at all;
    every label is scored on every item, and sending the many labels it does not suggest
    to review would bury the reviewers (15 labels x 300 records is 4,500 questions)."""
    threshold = getattr(kind, "threshold", None)
    if kind.multi_label and isinstance(threshold, int | float):
        return float(threshold)
    return 0.0



def _check_model_in_use(ws: Workspace, mv: ModelVersion, *, web: bool = False) -> None:
    """Refuse, before anything is written, to act with a model that is not the one act
    uses without ``--model`` (the model in use): the exports and the web app show what
    act wrote with the model in use, so the values accepted from another model would be
    written where nothing shows them (and mixed with the model in use's in the stored
    metadata); and while reviewers have open review items from another model, acting
    would withdraw those items or move them to this model's predictions
    (:func:`_refresh_queue`), so the queue of the model in use would be lost to a model
    that was only being tried. A dry run says what it would do and touches nothing."""
    from ..registry.models import get_model_by_id

    policy = load_policy(ws.card, web=web)
    policy_model = policy.model
    try:
        default = default_model_spec(ws, policy)
    except ModelNotFound:  # [policy] model names no model: act with --model still works,
        # as before this check; the model kept is then the champion (the model in use)
        policy_model, default = None, default_model_spec(ws)
    if default is None or default == mv.spec:
        return
    rq = ws.store.t.review_queue
    with ws.store.read() as conn:
        owners = conn.execute(
            sa.select(rq.c.model_id, sa.func.count()).where(
                rq.c.kind == "prediction", rq.c.status == "open", rq.c.model_id != mv.id)
            .group_by(rq.c.model_id)).all()
    if web:
        fix = (f"choose {mv.spec} on the Admin page (make it the model in use) before acting "
               "with it")
    elif policy_model:
        fix = (f'name it in [policy] of glamlab.toml (model = "{mv.spec}") before acting '
               f"with it; or see what it would do, writing nothing: glamlab act --model "
               f"{mv.spec} --dry-run")
    else:
        fix = (f"make it the model in use first (glamlab models promote {mv.spec}), then "
               f"glamlab act; or see what it would do, writing nothing: glamlab act --model "
               f"{mv.spec} --dry-run")
    # who act and the exports follow: the model in use, or with none yet (no policy
    # model, no chosen version) the latest run's model, which is not "in use"
    who = (f"{default} is" if policy_model or _champion(ws) is not None else
           f"none is yet, so act and the exports follow the latest run's model, {default}")
    if not owners:
        shown = "the web app" if web else "the exports and the web app"
        raise PolicyError(
            f"{mv.spec} is not the model in use ({who}): {shown} show the values "
            f"act writes with {default}, so {mv.spec}'s would be written where nothing "
            "shows them; nothing was written", hint=fix)
    n = sum(int(c) for _m, c in owners)
    specs = sorted(get_model_by_id(ws, int(m)).spec for m, _c in owners)
    whose = specs[0] if len(specs) == 1 else ", ".join(specs)
    items = f"{n:,} open review item{'s' if n != 1 else ''}"
    raise PolicyError(
        f"{mv.spec} is not the model in use ({who}), and reviewers have {items} "
        f"from {whose}: acting with {mv.spec} would withdraw them or move them to "
        f"{mv.spec}'s predictions; nothing was written", hint=fix)


def _check_card_writable(ws: Workspace) -> None:
    """Refuse, before anything is written, an act that must save the thresholds it
    proposed in a glamlab.toml that cannot be written."""
    from ..config import CONFIG_NAME, card_not_writable

    why = card_not_writable(ws.card_path)
    if why:
        raise CardNotWritable(
            f"glamlab act must save the thresholds it proposed in [policy] of {CONFIG_NAME}, "
            f"but {why}; nothing was written",
            hint=f"make {CONFIG_NAME} and its folder writable (chmod u+w "
                 f"{ws.card_path} {ws.root}) and act again; or keep thresholds of your own "
                 "in [policy] (glamlab act --optimise --target-precision 0.95 --write, or "
                 "written by hand), so act has none to save; or see what would happen "
                 "without writing anything: glamlab act --dry-run")


def act(ws: Workspace, *, model: str | None = None, actor: str = "glamlab act",
        web: bool = False, cli: bool = False, progress: bool = False) -> ActReport:
    """Write the policy's decisions (idempotent), with the predictions of ``model``, else
    of the model :func:`resolve_model` chooses (``[policy] model``, else the champion).
    ``web``: notes and errors in the web app's words; ``cli``, ``progress``: as
    :func:`plan`."""
    return plan(ws, model=model, dry_run=False, actor=actor, web=web, cli=cli,
                progress=progress)


def _people_spans(ws: Workspace, conn: sa.Connection, kind: TaskKind[Any, Any],
                  ids: list[str]) -> dict[str, list[Any]]:
    """Entities: item -> the spans people saved on its text that settle the model's
    spans over the same words (:func:`glamlab.tasks.spans.saved.people_spans`), and on
    a text in the test split the spans reviewers decided there (no gold is written
    there: :func:`glamlab.tasks.spans.saved.decided_on_test_texts`); none for other
    kinds."""
    if kind.name != "entities" or not ids:
        return {}
    from ..tasks.spans.saved import decided_on_test_texts, people_spans

    return {**decided_on_test_texts(ws, conn, ids), **people_spans(ws, conn, ids)}


def _write_batch(ws: Workspace, mv: ModelVersion, policy: Policy, batch: list[Decision],
                 report: ActReport, people: dict[str, list[Any]],
                 current: dict[str, int] | None = None,
                 saved: dict[str, list[Any]] | None = None, *,
                 gold: dict[str, set[str]] | None = None,
                 span_gold: set[str] | None = None) -> None:
    """Write one batch; ``people``: the people's decisions on its items
    (:func:`.people.item_decisions`); ``current``: the batch's items and their
    prediction's id (see :func:`_refresh_queue`); ``saved``: the spans people saved on
    its texts (:func:`_people_spans`): a span to review over their words is settled,
    not queued, and an open row asking about it is withdrawn. ``gold``/``span_gold``
    (as for :func:`_review_decided`): the rows written that a gold label settles are
    counted in ``report.written_settled_by_gold`` (nobody is asked about them)."""
    from ..tasks.spans.saved import settled_by_person

    kind = task_kind(ws.card)
    t = ws.store.t
    mm, rq = t.machine_metadata, t.review_queue
    pids = sorted({d.prediction_id for d in batch})
    stamp = now()

    same = same_value

    with ws.store.write() as conn:
        earlier, by_policy = _refresh_queue(conn, ws, mv, batch, current or {
            d.item.item_id: d.prediction_id for d in batch})
        report.superseded += earlier
        report.withdrawn_by_policy += by_policy
        have_mm = {(r.prediction_id, r.value) for r in conn.execute(
            sa.select(mm.c.prediction_id, mm.c.value).where(
                among(conn, mm.c.prediction_id, pids), mm.c.field == policy.field))}
        # (not the withdrawn rows: a candidate the policy sends back to review after a
        # change that withdrew its row is queued again)
        have_rq = {(r.prediction_id, r.label, same(r.value)) for r in conn.execute(
            sa.select(rq.c.prediction_id, rq.c.label, rq.c.value).where(
                among(conn, rq.c.prediction_id, pids), rq.c.kind == "prediction",
                rq.c.status != SUPERSEDED))}
        # a candidate still open in the queue from an earlier prediction is not queued
        # twice (single-label: the item is there already, whatever its label)
        queued_ids = sorted({d.item.item_id for d in batch if d.action == "review"})
        one_value = kind.one_value_per_item

        def queued(item_id: str, label: str | None, value: Any) -> tuple[Any, ...]:
            return (item_id,) if one_value else (item_id, label, same(value))

        open_ids: dict[tuple[Any, ...], list[int]] = {}
        for ids_part in id_batches(conn, queued_ids):
            for r in conn.execute(sa.select(rq.c.id, rq.c.item_id, rq.c.label, rq.c.value).where(
                    among(conn, rq.c.item_id, ids_part),
                    rq.c.kind == "prediction", rq.c.status == "open")):
                open_ids.setdefault(queued(r.item_id, r.label, r.value), []).append(int(r.id))
        open_rq = set(open_ids)
        overruled = _overruled_by_gold(ws, conn, kind, batch, people, saved)
        settled_rows: list[int] = []
        new_mm: list[dict[str, Any]] = []
        new_rq: list[dict[str, Any]] = []
        for d in batch:
            if d.action == "accept":
                value = kind.metadata_value(d.candidate)
                if (d.prediction_id, value) in have_mm:
                    if id(d) in overruled:
                        # written earlier, a person's gold given since says otherwise:
                        # kept, marked overruled (:func:`_mark_overruled`), so not the
                        # item's value; counted with those not written (theirs wins)
                        report.not_written_overruled += 1
                        report.overruled_kept += 1
                    else:
                        report.already_written["machine_metadata"] += 1
                    continue
                person = person_decision(people.get(d.item.item_id), d.label, d.value,
                                         one_value=one_value)
                if person is not None and person.action != "accept":
                    report.decided_by_people += 1  # a person turned this value down
                    continue
                if id(d) in overruled:  # a person's gold says otherwise: theirs wins
                    report.not_written_overruled += 1
                    continue
                have_mm.add((d.prediction_id, value))
                new_mm.append({"item_id": d.item.item_id, "field": policy.field,
                               "value": value, "model": mv.name,
                               "model_version": mv.version, "score": d.score,
                               "run_id": d.run_id, "prediction_id": d.prediction_id,
                               "created_at": stamp,
                               "confirmed_by": person.user if person else None,
                               "confirmed_at": person.created_at if person else None})
            elif d.action == "review":
                key = (d.prediction_id, d.label, same(d.value))
                if saved and settled_by_person(saved.get(d.item.item_id), d.label,
                                               d.value) is not None:
                    # a person saved an entity over these words: settled, not asked
                    settled_rows.extend(open_ids.pop(queued(d.item.item_id, d.label,
                                                            d.value), []))
                    continue
                if key in have_rq or queued(d.item.item_id, d.label, d.value) in open_rq:
                    report.already_written["review_queue"] += 1
                    continue
                if person_decision(people.get(d.item.item_id), d.label, d.value,
                                   one_value=one_value) is not None:
                    report.decided_by_people += 1  # not queued for a second look
                    continue
                have_rq.add(key)
                if (d.label in (gold or {}).get(d.item.item_id, ())
                        or d.item.item_id in (span_gold or ())):
                    report.written_settled_by_gold += 1
                new_rq.append({"item_id": d.item.item_id, "prediction_id": d.prediction_id,
                               "model_id": mv.id, "label": d.label, "value": d.value,
                               "score": d.score, "reason": d.reason, "kind": "prediction",
                               "status": "open", "lease_owner": None, "lease_until": None,
                               "version": 1, "created_at": stamp})
        for ids_part in id_batches(conn, settled_rows):
            conn.execute(rq.update().where(among(conn, rq.c.id, ids_part),
                                           rq.c.status == "open")
                         .values(status=SUPERSEDED, version=rq.c.version + 1,
                                 lease_owner=None, lease_until=None))
        if new_mm:
            conn.execute(mm.insert(), new_mm)
        if new_rq:
            conn.execute(rq.insert(), new_rq)
    report.written["machine_metadata"] += len(new_mm)
    report.written["review_queue"] += len(new_rq)


#: how many machine metadata rows :func:`_mark_overruled` reads at a time
MARK_BATCH = 900


def _mark_overruled(ws: Workspace, kind: TaskKind[Any, Any], field: str,
                    report: ActReport, *, dry_run: bool) -> None:
    """(classification) Mark the values of ``field`` act wrote as machine metadata that a
    person's gold label in force overrules (given after act wrote them): a label the
    item's gold labels do not give, where they are its whole set
    (:meth:`~glamlab.store.queue.ItemGold.whole`), that no person confirmed or decided
    on (their decision comes first, as in the export). The row is kept (history is never
    deleted) with ``overruled_by`` who gave the gold and ``overruled_at`` now, and
    counted in ``report.written_overruled``; a row marked earlier that no gold overrules
    any more has its mark taken off (``report.overruled_restored``). A dry run counts,
    marks nothing."""
    from ..store.gold import in_force

    mm, lab = ws.store.t.machine_metadata, ws.store.t.labels
    multi = not kind.one_value_per_item
    one = kind.one_value_per_item
    gold_on_item = sa.exists().where(lab.c.item_id == mm.c.item_id, in_force(lab))
    # the values to look at: unmarked and unconfirmed ones of items with gold in force,
    # and the marked ones (is their mark still right?)
    wanted = sa.or_(sa.and_(mm.c.overruled_at.is_(None), mm.c.confirmed_by.is_(None),
                            gold_on_item),
                    mm.c.overruled_at.is_not(None))
    last = 0
    stamp = now()
    while True:
        with ws.store.read() as conn:
            rows = conn.execute(sa.select(mm.c.id, mm.c.item_id, mm.c.value, mm.c.overruled_at)
                                .where(mm.c.field == field, mm.c.id > last, wanted)
                                .order_by(mm.c.id).limit(MARK_BATCH)).all()
            if not rows:
                return
            ids = {r.item_id for r in rows}
            gold = item_gold(conn, ids)
            people = item_decisions(ws, conn, sorted(ids))
        last = rows[-1].id
        mark: dict[str, list[int]] = {}
        restore: list[int] = []
        for r in rows:
            g = gold.get(r.item_id)
            over = (g is not None and r.value not in g.labels and g.whole(multi)
                    and person_decision(people.get(r.item_id), r.value, None,
                                        one_value=one) is None)
            if over and r.overruled_at is None and g is not None:
                mark.setdefault(g.annotator, []).append(int(r.id))
            elif not over and r.overruled_at is not None:
                restore.append(int(r.id))
        report.written_overruled += sum(len(v) for v in mark.values())
        report.overruled_restored += len(restore)
        if dry_run or not (mark or restore):
            continue
        with ws.store.write() as conn:
            for who, marked in mark.items():
                conn.execute(mm.update().where(among(conn, mm.c.id, marked),
                                               mm.c.overruled_at.is_(None))
                             .values(overruled_by=who, overruled_at=stamp))
            if restore:
                conn.execute(mm.update().where(among(conn, mm.c.id, restore))
                             .values(overruled_by=None, overruled_at=None))


def _overruled_by_gold(ws: Workspace, conn: sa.Connection, kind: TaskKind[Any, Any],
                       batch: list[Decision], people: dict[str, list[Any]],
                       saved: dict[str, list[Any]] | None = None) -> set[int]:
    """The ``id()`` of the batch's accepted candidates a person's gold overrules, no
    person having decided on them (their decision comes first, as in the export): in a
    classification project a label the item's gold labels in force do not give, where
    they are its whole set (:meth:`~glamlab.store.queue.ItemGold.whole`); in an entities
    project a span its text's complete gold spans do not hold
    (:func:`.export.complete_gold`), or, on another text, a span over words a person
    saved as another entity (``saved``: :func:`_people_spans`, the rule that settles a
    span to review, :func:`glamlab.tasks.spans.saved.settled_by_person`: a text a
    person marked is not marked again by the model against them). Every export says the
    person's value for them (:func:`.export._gold_verdicts`), so :func:`_write_batch`
    does not write them as machine metadata."""
    accepted = [d for d in batch if d.action == "accept" and person_decision(
        people.get(d.item.item_id), d.label, d.value,
        one_value=kind.one_value_per_item) is None]
    if not accepted:
        return set()
    ids = {d.item.item_id for d in accepted}
    if kind.name in CLASSIFICATION_KINDS:
        gold = item_gold(conn, ids)
        multi = not kind.one_value_per_item
        return {id(d) for d in accepted if (g := gold.get(d.item.item_id)) is not None
                and d.label not in g.labels and g.whole(multi)}
    if kind.name == "entities":
        from ..tasks.spans.saved import settled_by_person
        from .export import _gold_holds, complete_gold

        whole = complete_gold(ws, conn, sorted(ids))
        out = {id(d) for d in accepted if d.item.item_id in whole
               and not _gold_holds(kind, d.candidate, whole[d.item.item_id][2])}
        for d in accepted:
            if d.item.item_id not in whole and saved and (by := settled_by_person(
                    saved.get(d.item.item_id), d.label, d.value)) is not None \
                    and not by.holds:
                out.add(id(d))
        return out
    return set()


def _refresh_queue(conn: sa.Connection, ws: Workspace, mv: ModelVersion,
                   batch: list[Decision], current: dict[str, int], *,
                   dry_run: bool = False) -> tuple[int, int]:
    """The open review rows of these items, against what the policy does now with their
    prediction: a row whose candidate this prediction sends to review again follows the
    prediction (its id, score and reason; its ``version`` stays, so a reviewer who has
    it open can still decide on the same candidate); every other row is withdrawn
    (``status = "superseded"``, version +1, so a decision on it is refused with the
    reason). A row about an earlier prediction (another model's, or this model's before
    ``run --force``) is withdrawn where the model that now runs accepts, rejects or no
    longer proposes its candidate; a row about the very prediction decided here, where
    the policy now accepts or rejects its candidate (its thresholds changed since the
    row was written: act writes the accepted value, and nobody should be asked about
    it). Returns how many were withdrawn of each (``dry_run``: would be; nothing is
    changed). Rechecks and decided rows are left as they are."""
    if not current:
        return 0, 0
    kind = task_kind(ws.card)
    rq = ws.store.t.review_queue
    ids = sorted(current)
    stale = [r for part in id_batches(conn, ids) for r in conn.execute(
        sa.select(rq.c.id, rq.c.item_id, rq.c.prediction_id, rq.c.label, rq.c.value)
        .where(among(conn, rq.c.item_id, part), rq.c.kind == "prediction",
               rq.c.status == "open"))]
    if not stale:
        return 0, 0
    one_value = kind.one_value_per_item
    review: dict[tuple[Any, ...], Decision] = {}
    for d in batch:
        if d.action == "review":
            key = (d.item.item_id,) if one_value else (d.item.item_id, d.label,
                                                       same_value(d.value))
            review.setdefault(key, d)
    withdrawn = []
    follow: list[dict[str, Any]] = []
    by_policy = 0
    for r in stale:
        key = (r.item_id,) if one_value else (r.item_id, r.label, same_value(r.value))
        hit = review.pop(key, None)  # one row per candidate follows it
        if (hit is not None and hit.label == r.label
                and same_value(hit.value) == same_value(r.value)):
            if not dry_run:  # the reason says today's thresholds
                follow.append({"row": r.id, "new_prediction": hit.prediction_id,
                               "new_score": hit.score, "new_reason": hit.reason})
        else:
            withdrawn.append(r.id)
            by_policy += r.prediction_id == current.get(r.item_id)
    if follow:  # one statement for them all (the driver sends them together)
        conn.execute(rq.update().where(rq.c.id == sa.bindparam("row"), rq.c.status == "open")
                     .values(prediction_id=sa.bindparam("new_prediction"), model_id=mv.id,
                             score=sa.bindparam("new_score"),
                             reason=sa.bindparam("new_reason")), follow)
    if not dry_run:
        for ids_part in id_batches(conn, withdrawn):
            conn.execute(rq.update().where(among(conn, rq.c.id, ids_part),
                                           rq.c.status == "open")
                         .values(status=SUPERSEDED, version=rq.c.version + 1,
                                 lease_owner=None, lease_until=None))
    return len(withdrawn) - by_policy, by_policy


def _count_dropped(ws: Workspace, kind: TaskKind[Any, Any], dropped: list[Decision],
                   changes: dict[str, int], items: dict[str, set[str]]) -> None:
    """Count in ``changes["review->reject"]`` (and its items) the candidates of
    ``dropped`` (sent to a person under the policy compared with, rejected under this
    one) that a person would really be asked about: not those a person already decided,
    nor those a gold label settles (:func:`_review_decided`), which wait for nobody."""
    ids = sorted({d.item.item_id for d in dropped})
    with ws.store.read() as conn:
        people = item_decisions(ws, conn, ids)
        gold = gold_labels(conn, ids)
        span_gold = complete_span_gold_items(conn, ids)
        saved = _people_spans(ws, conn, kind, [i for i in ids if i not in span_gold])
    for d in dropped:
        decided, settled, _kept = _review_decided(
            kind, [dataclasses.replace(d, action="review")], people, gold, span_gold, saved)
        if not decided and not settled:
            changes["review->reject"] = changes.get("review->reject", 0) + 1
            items.setdefault("review->reject", set()).add(d.item.item_id)


def _count_accepts_on_gold(kind: TaskKind[Any, Any], batch: list[Decision],
                           people: dict[str, list[Any]], gold: dict[str, ItemGold],
                           report: ActReport) -> None:
    """Count the labels the policy accepts on items a person's gold label in force
    settles (``gold``: :func:`glamlab.store.queue.item_gold`; not those a person decided
    on, whose decision the export gives first): in ``report.accept_settled_by_gold``,
    and in ``report.accept_overruled`` (per label) those the gold does not give, which
    no export gives as accepted (:func:`.export._gold_verdicts`); and the labels the
    policy sends to review whose item's gold labels, its whole set, are others
    (``report.review_overruled``): every export says the person's label for them."""
    multi = not kind.one_value_per_item
    for d in batch:
        g = gold.get(d.item.item_id) if d.action in ("accept", "review") else None
        if g is None or person_decision(people.get(d.item.item_id), d.label, d.value,
                                        one_value=kind.one_value_per_item) is not None:
            continue
        if d.action == "review":
            if d.label not in g.labels and g.whole(multi):
                report.review_overruled += 1
                if gold_label_in_place(kind, d, g) is not None:
                    report.gold_label_in_place += 1
            continue
        if d.label in g.labels:
            report.accept_settled_by_gold += 1
            report.accept_confirmed[d.label] = report.accept_confirmed.get(d.label, 0) + 1
        elif g.whole(multi):
            report.accept_settled_by_gold += 1
            report.accept_overruled[d.label] = report.accept_overruled.get(d.label, 0) + 1
            if gold_label_in_place(kind, d, g) is not None:
                report.gold_label_in_place += 1


def _count_people_on_policy(kind: TaskKind[Any, Any], batch: list[Decision],
                            people: dict[str, list[Any]], report: ActReport) -> None:
    """Count, per label, the candidates the policy accepts or rejects that a person
    decided on (their decision is the export's row, :func:`.export._row`): an accepted
    one they rejected or corrected to another label in ``report.people_dropped``, and
    the label their decision gives in ``report.people_added`` (a correction to a label
    the model also suggested, multi-label, is that candidate's row)."""
    one = kind.one_value_per_item
    candidates = {(d.item.item_id, d.label, same_value(d.value)) for d in batch}
    for d in batch:
        if d.action == "review":
            continue  # (:func:`_review_decided`)
        person = person_decision(people.get(d.item.item_id), d.label, d.value,
                                 one_value=one)
        if person is None:
            continue
        given: str | None = d.label
        if person.action == "reject":
            given = None
        elif person.action == "correct" and person.label and person.label != d.label:
            given = person.label if one or (d.item.item_id, person.label, same_value(
                person.value)) not in candidates else None
        if d.action == "accept" and given == d.label:
            continue  # accepted as it was: counted as the policy's
        if d.action == "accept":
            report.people_dropped[d.label] = report.people_dropped.get(d.label, 0) + 1
        if given is not None:
            report.people_added[given] = report.people_added.get(given, 0) + 1


def rejected_on_gold(kind: TaskKind[Any, Any], d: Decision) -> bool:
    """Whether the item's gold label is asked of ``d``, a label the policy rejects in a
    classification project (below its thresholds): where the gold gives it, the person's
    label wins and it is exported accepted (:func:`.export._gold_verdicts`). Not one a
    safety check suppressed: that is kept from every export whatever its label (where the
    item's gold label is another, the row carries the person's: :func:`gold_label_in_place`)."""
    return d.action == "reject" and d.safety is None and kind.name in CLASSIFICATION_KINDS


def gold_label_in_place(kind: TaskKind[Any, Any], d: Decision,
                        gold: ItemGold | None) -> str | None:
    """(single-label) The person's label an export carries in place of ``d``'s, where the
    item's gold label in force is another: the policy accepted, rejected or sent to
    review the model's label, or a safety check suppressed it, but the person's label is
    the item's (:func:`.export._gold_verdicts`). The row
    is shaped as a reviewer's correction is (the person's value, ``origin=person``,
    ``predicted_value`` the model's; a suppressed label's ``safety`` column says so), so
    an item gets one value in every export. None where the gold gives ``d``'s label, is
    not one label, or the project is not single-label."""
    if (gold is None or kind.name != "single-label" or d.label in gold.labels
            or len(gold.labels) != 1):
        return None
    return next(iter(gold.labels))


def unsuggested_gold(kind: TaskKind[Any, Any], ds: list[Decision], people: list[Any] | None,
                     gold: ItemGold | None) -> list[str]:
    """(multi-label) The item's gold labels in force that none of its export rows gives:
    not among the labels of its decisions ``ds`` (the model did not suggest them), nor a
    correction of a person's to one of them (``people``: the item's decisions,
    :func:`.people.item_decisions`). Every export adds a row of the person's label for
    each (:func:`.export._gold_row`), and act counts them (``gold_not_suggested``)."""
    if gold is None or kind.name != "multi-label":
        return []
    values = {d.label for d in ds}
    for d in ds:
        person = person_decision(people, d.label, d.value, one_value=False)
        if person is not None and person.action == "correct" and person.label:
            values.add(person.label)  # (the row of ``d`` or another suggestion gives it)
    return sorted(set(gold.labels) - values)


def _count_unsuggested(kind: TaskKind[Any, Any], batch: list[Decision],
                       people: dict[str, list[Any]], gold: dict[str, ItemGold],
                       report: ActReport) -> None:
    """(multi-label) Count the items' gold labels the model did not suggest
    (``report.gold_not_suggested``, :func:`unsuggested_gold`)."""
    on_item: dict[str, list[Decision]] = {}
    for d in batch:
        on_item.setdefault(d.item.item_id, []).append(d)
    for item_id, ds in on_item.items():
        report.gold_not_suggested += len(unsuggested_gold(kind, ds, people.get(item_id),
                                                          gold.get(item_id)))


def _count_kept_by_gold(ws: Workspace, conn: sa.Connection, kind: TaskKind[Any, Any],
                        batch: list[Decision], report: ActReport) -> None:
    """Count, where no person decided on them, the labels the policy rejects that the
    item's gold label in force gives (``report.reject_given_by_gold``, per label: the
    export accepts them, confirmed by who gave the gold); and, in a filter project, the
    items whose gold label gives the ``positive_label`` that the model suggested no
    candidate of (``report.held_by_gold``: the filter list holds them back,
    :func:`.export._held`)."""
    # (and those a safety check suppressed, whose row carries the person's label where
    # the item's gold label is another: :func:`gold_label_in_place`)
    rejected = [d for d in batch if rejected_on_gold(kind, d) or _suppressed(d)]
    positive = ws.card.positive_label
    ids = {d.item.item_id for d in (batch if positive else rejected)}
    gold = item_gold(conn, ids) if ids else {}
    if not gold:
        return
    people = item_decisions(ws, conn, sorted(gold))
    one = kind.one_value_per_item

    def decided(d: Decision) -> bool:
        return person_decision(people.get(d.item.item_id), d.label, d.value,
                               one_value=one) is not None

    def turned_down_for_gold(d: Decision, g: ItemGold) -> bool:
        """A reviewer rejected ``d``'s label, which the gold label, another, replaces in
        the export row (:func:`.export._row`)."""
        p = person_decision(people.get(d.item.item_id), d.label, d.value, one_value=one)
        return (p is not None and p.action == "reject"
                and gold_label_in_place(kind, d, g) is not None)

    for d in rejected:
        g = gold.get(d.item.item_id)
        if (g is not None and d.label in g.labels and not decided(d)
                and rejected_on_gold(kind, d)):
            report.reject_given_by_gold[d.label] = report.reject_given_by_gold.get(d.label, 0) + 1
        elif not decided(d) and gold_label_in_place(kind, d, g) is not None:
            report.gold_label_in_place += 1
    if positive:
        on_item: dict[str, list[Decision]] = {}
        for d in batch:
            on_item.setdefault(d.item.item_id, []).append(d)
        for item_id, ds in on_item.items():
            g = gold.get(item_id)
            # a positive a safety check suppressed is counted nowhere else: the filter
            # list holds the page back by the person's label all the same
            if (g is not None and positive in g.labels
                    and not any((d.label == positive and not _suppressed(d))
                                or (decided(d) and not turned_down_for_gold(d, g))
                                for d in ds)):
                report.held_by_gold += 1


def _current(ws: Workspace, ids: set[str]) -> int:
    """How many of ``ids`` are current items."""
    it = ws.store.t.items
    wanted = sorted(ids)
    n = 0
    with ws.store.read() as conn:
        for ids_part in id_batches(conn, wanted):
            n += int(conn.execute(sa.select(sa.func.count()).select_from(it).where(
                among(conn, it.c.item_id, ids_part), it.c.is_current.is_(True))).scalar() or 0)
    return n


def _suppressed(d: Decision) -> bool:
    """Whether a safety check suppressed ``d`` (rejected whatever its score)."""
    return d.action == "reject" and d.safety is not None


def _review_decided(kind: TaskKind[Any, Any], batch: list[Decision],
                    people: dict[str, list[Any]], gold: dict[str, set[str]] | None = None,
                    span_gold: set[str] | None = None,
                    saved: dict[str, list[Any]] | None = None
                    ) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """How many of the batch's candidates the policy sends to review a person has
    already decided, and how many of the rest an active gold label of the item settles
    (the queue does not show them: :mod:`glamlab.store.queue`), per label
    (``people``: :func:`.people.item_decisions` of the batch; ``gold``:
    :func:`glamlab.store.queue.gold_labels`; ``span_gold``: the items whose complete gold
    spans settle every predicted span, :func:`glamlab.store.queue.complete_span_gold_items`;
    ``saved``: the spans people saved on the other texts, which settle the predicted
    spans over their words, :func:`_people_spans`: on a text in the test split, the
    spans reviewers decided there, which count as decided by a reviewer, not settled by
    gold, since no gold is written there); and, third, how many of them end
    accepted as they are: a person accepted the candidate, or the item's gold label
    gives it (what the export says, :mod:`.export`); a candidate a person corrected to
    another label counts as that label's (the export accepts it on the row)."""
    from ..tasks.spans.saved import settled_by_person

    decided: Counter[str] = Counter()
    settled: Counter[str] = Counter()
    kept: Counter[str] = Counter()
    candidates: set[tuple[str, str, str]] | None = None  # (multi-label) the batch's
    for d in batch:
        if d.action != "review":
            continue
        person = person_decision(people.get(d.item.item_id), d.label, d.value,
                                 one_value=kind.one_value_per_item)
        if person is not None:
            decided[d.label] += 1
            if person.action == "correct" and person.label and person.label != d.label:
                # corrected to another label: the export accepts the person's label on
                # this row, unless the model also suggested it (multi-label: that row
                # says it, and counts as that candidate's)
                if candidates is None:
                    candidates = {(o.item.item_id, o.label, same_value(o.value)) for o in batch}
                if kind.one_value_per_item or (d.item.item_id, person.label,
                                               same_value(person.value)) not in candidates:
                    kept[person.label] += 1
            else:
                kept[d.label] += person.action in ("accept", "correct")
        elif d.label in (gold or {}).get(d.item.item_id, ()):
            settled[d.label] += 1
            kept[d.label] += 1
        elif d.item.item_id in (span_gold or ()):
            settled[d.label] += 1
        elif saved and (by := settled_by_person(saved.get(d.item.item_id), d.label,
                                                d.value)) is not None:
            if by.by_decision:  # a reviewer's decision on a test text: no gold there
                decided[d.label] += 1
                kept[d.label] += by.holds
            else:
                settled[d.label] += 1
    return decided, settled, kept


def _expectations(ws: Workspace, mv: ModelVersion, policy: Policy, report: ActReport, *,
                  web: bool = False, cli: bool = True) -> None:
    card = ws.card
    report.review_hours = report.review_workload * card.review_seconds_per_item / 3600.0
    per, info = frozen_test_precision(ws, mv, policy)
    info.pop("accepted_groups", None)
    # thresholds the test split chose (tuned_on "test", or optimised before calibration
    # data existed) make these figures in-sample: optimistic, not what to expect
    extra = policy.extra or {}
    in_sample = extra.get("tuned_on") == "test" or ("optimised_with" in extra
                                                    and "tuned_on" not in extra)
    why = ("the test split itself chose these thresholds, so expect more wrong accepts. "
           + (f"Re-tune them on calibration data {WEB_OPTIMISE}" if web else
              "Re-tune on calibration data: glamlab act --optimise --write" if cli else
              "Re-tune on calibration data: optimise(ws, target_precision=P, write=True), "
              "from glamlab.actions"))
    from ..registry.tabular import test_rows_learned

    learned = test_rows_learned(ws, mv)  # a model retrained on rows of the test split
    if learned is not None:
        in_sample = True
        why = (f"{learned['spec']} learned from {learned['rows']:,} of the test rows they "
               f"are measured on (it was retrained on rows up to {learned['train_until']}), "
               "so expect more wrong accepts"
               + ("" if web else f". Its fair comparison: {learned['fair']}"))
    report.test = {**info, "by_label": per, "in_sample": in_sample,
                   **({"in_sample_why": why} if in_sample else {})}
    target = policy.target_precision
    expected = 0.0  # the expected number of wrong accepts, from the precision to expect
    seen = 0.0  # the same from the test precision as seen (for the interval's low end)
    parts: list[tuple[float, float, float]] = []
    wrong_by_label: dict[str, tuple[float, float, float]] = {}
    unmeasured: list[dict[str, Any]] = []
    measured_n = 0  # the accepts no person's label settles, of the labels test measures
    for label, counts in sorted(report.by_label.items()):
        if counts["accept"] == 0:
            continue
        # the accepted values that may be wrong: not those a person's gold label confirms
        # (right by who gave it), nor those it overrules or a person turned down or
        # corrected (no export gives them as accepted): the rest, no person settles
        n = _accepts_unsettled(report, label)
        if n == 0:
            continue
        stats = per.get(label)
        if stats is None:
            unmeasured.append({"label": label, "accepts": n})
            continue
        lo_p, hi_p = stats["ci95"]
        # on the effective number of test items (grouped items are worth fewer), shrunk
        # for how few they are: 1 of 1 right on test is 0.75, not 100% (the Jeffreys
        # posterior mean, the figure act --optimise and the README promise)
        n_eff = stats.get("effective_n") or stats["accepted"]
        to_expect = expected_precision(stats["precision"], n_eff)
        wrong_by_label[label] = (n * (1 - to_expect), n * (1 - hi_p), n * (1 - lo_p))
        expected += wrong_by_label[label][0]
        seen += n * (1 - stats["precision"])
        parts.append((n, stats["precision"] * n_eff, n_eff))
        measured_n += n
        counts.update({"expected_wrong": round(wrong_by_label[label][0], 2),
                       "accept_unsettled": n,
                       "test_accepted": stats["accepted"], "test_correct": stats["correct"],
                       "expected_precision": round(to_expect, 4)})
        if target is not None and hi_p < target:
            # even the top of its 95% interval is short of the target: say so, loudly
            counts["below_target"] = True
            report.warnings.append(
                f"{label}: only {stats['correct']} of {stats['accepted']} test accepts right "
                f"(precision to expect {to_expect:.0%}, 95% interval {lo_p:.0%} to "
                f"{hi_p:.0%}), far below the {target:.0%} target, so about "
                f"{wrong_by_label[label][0]:.0f} of its {n} accepts "
                + ("" if n == counts["accept"] else "no person's label settles ")
                + "may be wrong. "
                + ("Send it to review or raise its accept threshold on the Choose the "
                   "policy page; label more items for training on the Labelling page (the "
                   "thresholds are worked out on them)." if web else
                   f"Send it to review ([policy.labels.\"{label}\"] action = \"review\") "
                   "or raise its accept threshold; label more calibration items for it."))
    measured = None
    if parts:
        # a joint 95% interval for the total, not the sum of the labels' own bounds; its
        # low end never above the test split's own figure (0 wrong on a few test items
        # is what was seen, even if the posterior centres a little higher)
        low, high = wrong_total_interval(parts)
        measured = (round(expected, 2), [round(min(low, seen), 2), round(high, 2)])
    if not unmeasured:
        report.expected_wrong_accepts = measured[0] if measured else 0.0
        report.expected_wrong_range = measured[1] if measured else [0.0, 0.0]
    elif report.counts["accept"]:
        extra_n = sum(u["accepts"] for u in unmeasured)
        lo, hi = measured[1] if measured else [0.0, 0.0]
        report.expected_wrong_partial = {
            "unmeasured": unmeasured, "unmeasured_accepts": extra_n,
            "why": _unmeasured_why(info, [u["label"] for u in unmeasured], cli=cli or web),
            # the accepts the figure is for: of the measured labels, those no person's
            # label settles (the unmeasured labels' likewise: ``unmeasured_accepts``)
            "measured_accepts": measured_n,
            "expected_wrong_measured": measured[0] if measured else 0.0,
            "expected_wrong_measured_ci95": [lo, hi],
            # the unmeasured labels' precision anywhere from 0 to 1
            "expected_wrong_range": [lo, round(hi + extra_n, 2)],
        }
    positive = card.positive_label
    if positive:
        # an accept the item's gold label overrules (another label) is not held back:
        # the export rejects it, so the filter list sends the item on
        overruled = report.accept_overruled.get(positive, 0)
        # and so is one a person turned down or corrected to another label
        by_policy = (report.by_label.get(positive, {}).get("accept", 0) - overruled
                     - report.people_dropped.get(positive, 0))
        # a review candidate a person accepted, or the item's gold label gives, is held
        # back too: the filter list (glamlab export --format filter) leaves it out
        # and so is a rejected one the gold gives, and an item whose gold label gives it
        # where the model said another label (the person's label wins)
        by_people = (report.review_accepted.get(positive, 0)
                     + report.reject_given_by_gold.get(positive, 0) + report.held_by_gold
                     + report.people_added.get(positive, 0))
        withheld = by_policy + by_people
        # the policy's accepts a person's gold label settles are none of them wrongly
        # held back (those it gives are right, the others are sent on): the figure is
        # the label's expected wrong accepts, which count only the rest
        # (:func:`_accepts_unsettled`), so the two figures agree
        wrong = wrong_by_label.get(positive)
        unsettled = _accepts_unsettled(report, positive)
        report.filter = {
            "positive_label": positive,
            "accepted_as_positive": withheld,
            "accepted_by_policy": by_policy,
            "accepted_by_people_or_gold": by_people,
            "overruled_by_gold": overruled,
            "sent_on": report.items_total - withheld,
            "price_per_item": card.price_per_item,
            "currency": card.currency,
            "money_saved": round(withheld * card.price_per_item, 2),
            # the same share of a larger collection like this one (the Wilson interval)
            "projected": projected_saving(withheld, report.items_total, card.price_per_item),
            "expected_wrongly_withheld": round(wrong[0], 2) if wrong else (0.0 if not unsettled
                                                                            else None),
            "expected_wrongly_withheld_ci95": [round(wrong[1], 2), round(wrong[2], 2)]
            if wrong else None,
        }


#: how many items a filter project's projected saving is said for
PROJECTED_PER = 100_000


def projected_saving(withheld: int, total: int, price: float,
                     per: int = PROJECTED_PER) -> dict[str, Any] | None:
    """The money saved on ``per`` items like these when ``withheld`` of ``total`` are held
    back at ``price`` each: ``{"per", "saved", "ci95"}``, the 95% interval from the
    Wilson interval of the share held back; None without a price or items."""
    from .intervals import wilson

    if not price or total <= 0:
        return None
    lo, hi = wilson(withheld, total)
    return {"per": per, "saved": round(withheld / total * per * price, 2),
            "ci95": [round(lo * per * price, 2), round(hi * per * price, 2)]}


def projected_words(f: dict[str, Any], noun: str = "items") -> str:
    """A filter's projected saving in words, as ``glamlab act`` and the Act page say it
    ("" without one)."""
    p = f.get("projected")
    if not p:
        return ""
    return (f"for {p['per']:,} {noun} like these, about {p['saved']:,.0f} {f['currency']} "
            f"saved (95% interval {p['ci95'][0]:,.0f} to {p['ci95'][1]:,.0f}: the share held "
            f"back here is {f['accepted_as_positive']} of {f['accepted_as_positive'] + f['sent_on']})")


def _accepts_unsettled(report: ActReport, label: str) -> int:
    """Of the values of ``label`` the policy accepts, those no person settles: not
    confirmed by the item's gold label (``accept_confirmed``), not overruled by it
    (``accept_overruled``), not turned down or corrected by a person
    (``people_dropped``). Only these may be wrong accepts in the exports."""
    accepts = report.by_label.get(label, {}).get("accept", 0)
    return max(accepts - report.accept_confirmed.get(label, 0)
               - report.accept_overruled.get(label, 0)
               - report.people_dropped.get(label, 0), 0)


def _unmeasured_why(info: dict[str, Any], labels: list[str], *, cli: bool = True) -> str:
    """Why the test split says nothing about these accepted labels, in plain words: what
    to do as commands (``cli``), else as Python calls."""
    names = ", ".join(repr(x) for x in labels)
    if not info.get("test_items"):
        return (f"there is no labelled test split to measure {names} on; label a test "
                "split (" + ("glamlab labels split" if cli else
                             "split_labels(ws), from glamlab.tasks")
                + ") and run the model on it")
    if not info.get("stored") and not info.get("predicted_now"):
        return (f"the model has no predictions on the {info['test_items']} test items, so "
                f"{names} are unmeasured; run the model on them ("
                + ("glamlab run" if cli else "run(ws), from glamlab.inference") + ")")
    return (f"no test item (of {info['test_items']}) scores at or above the accept "
            f"threshold of {names}, so their precision is unmeasured; label more test items "
            "these labels apply to, or review them instead")


def unsettled_words(report: dict[str, Any]) -> str:
    """What the expected wrong accepts count, in words: the accepted values no person's
    label settles (a gold label confirming one makes it right, one overruling it or a
    person turning it down keeps it from the exports' accepted values)."""
    accepts = report["counts"]["accept"]
    unsettled = report.get("accept_unsettled", accepts)
    if unsettled == accepts:
        return f"counting all {accepts:,} accepted {plural(accepts, 'value')}"
    why = ("those a person's label confirms are right, those it overrules or a person "
           "turned down are not exported as accepted")
    if unsettled == 0:
        return (f"none of the {accepts:,} accepted {plural(accepts, 'value')} can be wrong: "
                f"a person's label settles each ({why})")
    return (f"counting the {unsettled:,} of the {accepts:,} accepted "
            f"{plural(accepts, 'value')} that no person's label settles ({why})")


def about_count(n: float) -> str:
    """An expected count in words, rounded as the totals are: "about 97", "under 1"
    (never "about 96.51" of whole spans or items)."""
    return "under 1" if 0 < n < 0.5 else f"about {math.floor(n + 0.5)}"  # (0.5 -> 1)


def render(report: dict[str, Any], *, cli: bool = True) -> str:
    """The act report in plain words; what to do next as commands (``glamlab act``), or
    with ``cli=False`` as Python calls (``act(ws)``)."""
    lines: list[str] = []
    verb = "would" if report["dry_run"] else "did"
    c = report["counts"]
    unit = report.get("unit") or "items"
    rows = report.get("noun") == "rows"  # a tabular project: outcomes of rows, no catalogue
    if unit == "items":
        lines.append(f"Model {report['model']}: {report['items_with_predictions']} of "
                     f"{report['items_total']} {'rows' if rows else 'items'} have "
                     "predictions.")
    else:  # the items the model found something in (a text it found no entity in: none)
        lines.append(f"Model {report['model']} found {unit} in "
                     f"{report['items_with_predictions']} of {report['items_total']} items.")
    lines.extend(report.get("notes", []))
    # first, before the counts: a model no better than the baselines should not be acted on
    lines.extend(f"WARNING: {warning}" for warning in report.get("warnings", []))
    if rows:
        lines.append(f"The policy {verb}: accept {c['accept']} (the predicted outcome "
                     f"written to the row's {report['field']!r} field, marked as the "
                     f"model's), send {c['review']} to a person to check, reject "
                     f"{c['reject']}.")
    else:
        # each count says what it counts (spans, items, suggested labels): the review
        # count is every candidate the policy sends to review, of which the workload below
        # is what a person is asked about (the rest decided already or settled by gold)
        def n_unit(n: int) -> str:  # "1 item", not "1 items"
            return f"{n} {plural(n, unit.removesuffix('s'), unit)}"

        lines.append(f"The policy {verb}: accept {n_unit(c['accept'])} (written to field "
                     f"{report['field']!r} as machine metadata), send {n_unit(c['review'])} "
                     f"to review, reject {n_unit(c['reject'])}.")
    on_gold = report.get("accept_settled_by_gold", 0)
    overruled = report.get("accept_overruled_by_gold", 0)
    if on_gold and unit != "spans":  # classification: the items' gold labels
        lines.append(f"{on_gold} of the accepted labels are on items a person already "
                     "labelled: the person's label wins over the model's in every export "
                     f"({on_gold - overruled} it gives "
                     f"{plural(on_gold - overruled, 'is', 'are')} confirmed by who gave it"
                     + (f"; {overruled} it does not give {plural(overruled, 'is', 'are')} "
                        "not exported as accepted: the person's label is another"
                        if overruled else "")
                     + ").")
    elif on_gold:
        lines.append(f"{on_gold} of the accepted {unit} lie on texts whose gold spans a "
                     "person gave for the whole text: the gold wins over them in every "
                     "export (a span it holds is confirmed by who gave it, the others are "
                     "not exported as accepted), and those texts export their gold spans.")
    if report.get("gold_label_in_place"):
        n = report["gold_label_in_place"]
        lines.append(f"{n} {plural(n, 'item')} a person labelled with another label than "
                     f"the model's {plural(n, 'exports', 'export')} the person's label in "
                     "place of the model's (decision gold, confirmed by who gave it).")
    alone = report.get("gold_unpredicted", 0) + report.get("gold_not_suggested", 0)
    if alone:
        why = [f"{n} on {'an item' if n == 1 else 'items'} the model has no prediction of"
               if k == "gold_unpredicted" else f"{n} it did not suggest"
               for k in ("gold_unpredicted", "gold_not_suggested") if (n := report.get(k))]
        lines.append(f"{alone} {'label' if alone == 1 else 'labels'} a person gave "
                     f"{'has' if alone == 1 else 'have'} no value of the model "
                     f"({'; '.join(why)}): every export gives "
                     f"{'it' if alone == 1 else 'them'} in a row of "
                     f"{'its' if alone == 1 else 'their'} own, the person's label "
                     "(decision gold, confirmed by who gave it).")
    if report.get("review_overruled_by_gold"):
        n = report["review_overruled_by_gold"]
        lines.append(f"{n} of the labels sent to review are on items a person labelled "
                     "otherwise: every export gives the person's label, not the model's, "
                     "until a reviewer decides (the queue shows them with it).")
    if report.get("reject_given_by_gold"):
        lines.append(f"{report['reject_given_by_gold']} of the rejected labels are given by "
                     "a person's label on the item: every export accepts them, confirmed by "
                     "who gave it (the person's label wins over the model's).")
    if c["reject"]:
        n = c["reject"]
        lines.append(f"The {n} rejected {plural(n, 'value is', 'values are')} not written "
                     f"to field {report['field']!r} and not sent to review; the predictions stay "
                     "stored, so a curator can list them: "
                     + ("glamlab export --format csv --action reject --out rejected.csv"
                        if cli else "export(ws, \"csv\", \"rejected.csv\", "
                        "where=ExportFilter(actions=(\"reject\",)))")
                     + " (in the web app, the Export page's download: the rows whose action "
                     "is reject).")
    partial = report.get("expected_wrong_partial")
    unmeasured = {u["label"] for u in (partial or {}).get("unmeasured", [])}
    for row in report["by_label"]:
        extra = ""
        if "expected_wrong" in row:
            unsettled = row.get("accept_unsettled", row["accept"])
            of = ("the accepts" if unsettled == row["accept"] else
                  f"the {unsettled} {plural(unsettled, 'accept')} no person's label settles")
            extra = (f", {about_count(row['expected_wrong'])} of {of} expected wrong "
                     f"({row['test_correct']} of {row['test_accepted']} right on test: "
                     f"precision to expect {row['expected_precision']:.0%})")
        elif row["label"] in unmeasured:
            extra = ", wrong accepts unknown (no test item scores that high)"
        done = row.get("review_already_decided", 0)
        gold = row.get("review_settled_by_gold", 0)
        more = ([f"+{done} already decided"] if done else []) + (
            [f"+{gold} settled by a gold label"] if gold else [])
        lines.append(f"  {row['label']}: accept {row['accept']}, "
                     f"review {row['review'] - done - gold}"
                     + (f" ({', '.join(more)})" if more else "")
                     + f", reject {row['reject']}{extra}")
    how = ("from the test-split precision at these thresholds, shrunk for how few test "
           f"{'rows each outcome' if rows else 'items each label'} rests on (1 of 1 right "
           "counts as 75%): a joint interval over the "
           f"{'outcomes' if rows else 'labels'}")
    if report["expected_wrong_accepts"] is not None:
        lo, hi = report["expected_wrong_accepts_ci95"]
        lines.append(f"Expected wrong {'automatic outcomes' if rows else 'auto-accepts'}: "
                     f"about {round(report['expected_wrong_accepts'])} (95% range "
                     f"{math.floor(lo)} to {math.ceil(hi)} {'rows' if rows else unit}, "
                     f"{how}), "
                     + unsettled_words(report) + ".")
    elif partial:
        lo, hi = partial["expected_wrong_measured_ci95"]
        names = ", ".join(u["label"] for u in partial["unmeasured"])
        lines.append(f"Expected wrong auto-accepts: unknown in total: {partial['why']}. For "
                     f"the other {partial['measured_accepts']} accepts about "
                     f"{round(partial['expected_wrong_measured'])} (95% range "
                     f"{math.floor(lo)} to {math.ceil(hi)}, {how}); counting the "
                     f"{partial['unmeasured_accepts']} accepts of {names} as anywhere from all "
                     f"right to all wrong, {math.floor(partial['expected_wrong_range'][0])} to "
                     f"{math.ceil(partial['expected_wrong_range'][1])} in all, "
                     + unsettled_words(report) + ".")
    if (report["expected_wrong_accepts"] is not None or partial) and \
            report.get("test", {}).get("in_sample"):
        lines.append("  These are in-sample figures: "
                     + report["test"].get("in_sample_why",
                                          "the test split itself chose these thresholds, so "
                                          "expect more wrong accepts. Re-tune on calibration "
                                          "data: " + ("glamlab act --optimise --write"
                                                      if cli else
                                                      "optimise(ws, target_precision=0.95, "
                                                      "write=True) (with your precision "
                                                      "target)")) + ".")
    decided = report.get("review_already_decided", 0)
    gold = report.get("review_settled_by_gold", 0)
    workload = report.get("review_workload", c["review"] - decided - gold)
    not_asked = ([f"{decided} more already decided by a reviewer"] if decided else []) + (
        [f"{gold} more settled by a gold label, which a person already gave them"]
        if gold else [])
    lines.append(f"Review workload: {workload} "
                 f"{'rows' if rows and unit == 'items' else report.get('unit', 'items')}"
                 + (f", {review_time(report['review_hours'])} of review" if workload else "")
                 + (f" (of the {c['review']} sent to review: {'; '.join(not_asked)}: not "
                    "asked again)." if not_asked else "."))
    f = report.get("filter")
    if f and f["price_per_item"]:
        wrong = ("unknown" if f["expected_wrongly_withheld"] is None
                 else about_count(f["expected_wrongly_withheld"]))
        people = (f" ({f['accepted_by_people_or_gold']} of them by a person or a gold label)"
                  if f.get("accepted_by_people_or_gold") else "")
        over = f.get("overruled_by_gold", 0)
        sent = (f" ({over} of them accepted as {f['positive_label']!r} by the model but "
                "labelled otherwise by a person)" if over else "")
        lines.append(f"Filter: {f['accepted_as_positive']} items accepted as "
                     f"{f['positive_label']!r}{people} are held back and {f['sent_on']} sent "
                     f"on{sent}; money "
                     f"saved {f['money_saved']:,.2f} {f['currency']}"
                     + (f", {projected_words(f)}" if f.get("projected") else "")
                     + f"; items wrongly held back: {wrong}.")
    elif f:
        over = f.get("overruled_by_gold", 0)
        lines.append(f"Accepted as {f['positive_label']!r}: {f['accepted_as_positive']} items; "
                     f"the other {f['sent_on']} are listed by "
                     + ("glamlab export --format filter" if cli else
                        "export(ws, \"filter\", PATH)")
                     + (f" ({over} of them accepted as {f['positive_label']!r} by the model "
                        "but labelled otherwise by a person)" if over else "") + ".")
    units = report.get("unit", "items")

    def were(n: int) -> str:
        return "would be" if report.get("dry_run") else plural(n, "was", "were")

    def review_units(n: int) -> str:
        return f"{n} open review {plural(n, units.removesuffix('s'), units)}"
    if report.get("superseded"):
        n = report["superseded"]
        lines.append(f"{review_units(n)} asked about an earlier prediction of these items "
                     f"and {were(n)} withdrawn: this model's candidates replace "
                     f"{plural(n, 'it', 'them')}.")
    if report.get("withdrawn_by_policy"):
        n = report["withdrawn_by_policy"]
        lines.append(f"{review_units(n)} {were(n)} withdrawn from the queue: the policy now "
                     f"accepts or rejects {plural(n, 'its', 'their')} candidate (its "
                     f"thresholds changed since {plural(n, 'it was', 'they were')} queued), "
                     f"so nobody is asked about {plural(n, 'it', 'them')}.")
    hits = report["safety_hits"]
    if hits:
        lines.append(f"Safety checks fired {len(hits)} time(s) "
                     f"({report['safety_counts']['review']} to review, "
                     f"{report['safety_counts']['suppress']} suppressed):")
        for h in hits[:MAX_HITS_IN_TEXT]:
            lines.append(f"  {h['item_id']}: {h['label']!r} -> {h['safety_action']} "
                         f"({h['check']} {h['name']!r}: {h['detail']})")
        if len(hits) > MAX_HITS_IN_TEXT:
            lines.append(f"  ... and {len(hits) - MAX_HITS_IN_TEXT} more (all of them with --json)")
    else:
        lines.append("Safety checks: no hits.")
    for p in report.get("problems", [])[:MAX_HITS_IN_TEXT]:
        lines.append(f"Skipped: {p['reason']} (fix: {p['fix']})")
    if len(report.get("problems", [])) > MAX_HITS_IN_TEXT:
        lines.append(f"  ... and {len(report['problems']) - MAX_HITS_IN_TEXT} more skipped "
                     "predictions (all of them " + ("with --json)" if cli else
                                                    "in the report's problems)"))
    if report["dry_run"]:
        lines.append("Nothing was written (dry run). "
                     + ("Run glamlab act to write it." if cli else "act(ws) writes it."))
    else:
        w, a = report["written"], report["already_written"]
        gold = report.get("written_settled_by_gold", 0)
        if rows:
            head = (f"Written: {w['machine_metadata']} predicted outcomes (marked as the "
                    f"model's), {w['review_queue'] - gold} rows waiting for a person to check")
            tail = f"; {a['machine_metadata']} and {a['review_queue']} were there already."
        else:
            # in the unit of the counts above (a span, an item, a suggested label): the
            # accepted ones written, there already, and (below) not written add up to them
            head = (f"Written: {w['machine_metadata']} of the {c['accept']} accepted "
                    f"{unit} as machine metadata values, "
                    f"{w['review_queue'] - gold} review {unit} waiting for a person")
            tail = (f"; {a['machine_metadata']} accepted {unit} and "
                    f"{a['review_queue']} review {unit} were there already.")
        lines.append(head + (f" (and {gold} settled by a gold label already: nobody is "
                             "asked)" if gold else "") + tail)
        skipped = report.get("not_written_overruled_by_gold", 0)
        if skipped:
            what = plural(skipped, "span" if unit == "spans" else "label")
            lines.append(f"{skipped} accepted {what} {plural(skipped, 'was', 'were')} not "
                         "written as machine metadata: a person's gold on the item says "
                         "otherwise, and the person's wins"
                         + (f" ({kept} of them act wrote earlier: kept, overruled by "
                            "the person's label)."
                            if (kept := report.get("overruled_kept", 0)) else "."))
    if not report["dry_run"] and report.get("decided_by_people"):
        n = report["decided_by_people"]
        lines.append(f"{n} {plural(n, 'candidate')} a person had already decided "
                     f"{plural(n, 'was', 'were')} left as they decided (not queued again; "
                     "a value they turned down not written).")
    dry = bool(report["dry_run"])
    over = report.get("written_overruled_by_gold", 0)
    if over:  # (kept in machine_metadata, marked: never deleted)
        lines.append(f"{over} machine metadata {plural(over, 'value')} act wrote earlier "
                     + ("would be marked overruled: a person's label given since says "
                        "otherwise (kept, with who gave the label; no longer the item's "
                        "value)." if dry else
                        f"{plural(over, 'is', 'are')} overruled by a person's label given "
                        "since: marked overruled in machine_metadata (kept, with who gave "
                        "the label and when), no longer the item's value."))
    back = report.get("overruled_restored", 0)
    if back:
        lines.append(f"{back} machine metadata {plural(back, 'value')} marked overruled "
                     + ("would be" if dry else plural(back, "is", "are"))
                     + " no longer overruled (the person's label that said otherwise was "
                     "withdrawn): the mark " + ("would be" if dry else "is") + " taken off.")
    return "\n".join(lines)
