"""Where a workspace stands, in counts and plain words."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..config import measure_of
from ..ingest.columns import outcome_known
from ..progress import plural
from ..store import queue as queue_rows

if TYPE_CHECKING:
    from . import Workspace


def _count(conn: sa.Connection, table: sa.Table, *where: Any) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar() or 0)


def ingest_problem_counts(ws: Workspace, conn: sa.Connection) -> tuple[int, int]:
    """The current ingest problems (an item left out, or in with a problem) and, apart,
    the warnings (the item came in all the same: an OCR page whose named image is not
    there), as ``glamlab status`` and the web app's items page count them."""
    t = ws.store.t.ingest_errors
    e = t.c
    errors = _count(conn, t, e.resolved_at.is_(None),
                    sa.or_(e.warning.is_(None), e.warning.is_(False)))
    warnings = _count(conn, t, e.resolved_at.is_(None), e.warning.is_(True))
    return errors, warnings


def workspace_status(ws: Workspace, *,
                     keep_together: Callable[[], str | None] | None = None) -> dict[str, Any]:
    """Where ``ws`` stands, stage by stage, and the next step in plain words.
    ``keep_together`` gives the metadata field a test set should keep whole (the pages
    of one document), asked only when the next step is to set a test set aside."""
    t = ws.store.t
    with ws.store.read() as conn:
        items = _count(conn, t.items, t.items.c.is_current.is_(True))
        errors, warnings = ingest_problem_counts(ws, conn)
        labelled = int(conn.execute(
            sa.select(sa.func.count(sa.distinct(t.labels.c.item_id))).where(t.labels.c.active.is_(True))
        ).scalar() or 0)
        # items with gold spans (an entities project keeps its gold in the span store)
        labelled += int(conn.execute(
            sa.select(sa.func.count(sa.distinct(t.span_sets.c.item_id)))
            .where(t.span_sets.c.active.is_(True), t.span_sets.c.kind == "gold")).scalar() or 0)
        outcome = (ws.card.section("tabular").get("label_column")
                   if ws.card.modality == "tabular" else None)
        if outcome:
            # a table's rows carry their outcome in a column, kept as labels too: a row
            # counts once, with an outcome in its column or a label (ingested before the
            # outcomes were kept as labels, or labelled by a person)
            value = t.items.c.meta[str(outcome)].as_string()
            in_labels = sa.exists().where(t.labels.c.item_id == t.items.c.item_id,
                                          t.labels.c.active.is_(True))
            unlisted = _count(conn, t.items, t.items.c.is_current.is_(True),
                              outcome_known(value), ~in_labels)
            labelled += unlisted
        split_rows = conn.execute(
            sa.select(t.splits.c.split, sa.func.count()).group_by(t.splits.c.split)
        ).all()
        splits = {s: int(n) for s, n in split_rows}
        models = _count(conn, t.models)
        champions = _count(conn, t.model_aliases, t.model_aliases.c.alias == "champion")
        evaluations = _count(conn, t.evaluations)
        runs = _count(conn, t.runs)
        predictions = _count(conn, t.predictions)
        # (not the values a person's label given since overrules: kept, marked by act)
        # a value counts once: act writes a row per prediction, so a model run again
        # (--force, or a new version saying the same) adds a row for the same value
        mm = t.machine_metadata
        machine = int(conn.execute(sa.select(sa.func.count()).select_from(
            sa.select(mm.c.item_id, mm.c.field, mm.c.value).where(mm.c.overruled_at.is_(None))
            .distinct().subquery())).scalar() or 0)
        # what a reviewer is shown (the queue page's own count), and the open predictions
        # a gold label already settles (kept, not asked about)
        queue_open = _count(conn, t.review_queue, *queue_rows.shown(t.review_queue))
        settled = _count(conn, t.review_queue, *queue_rows.settled(t.review_queue))
        # a decision its reviewer undid (its action ends in "-withdrawn") is not one
        decisions = _count(conn, t.decisions, ~t.decisions.c.action.like("%-withdrawn"))
        alerts = _count(conn, t.alerts)
        monitored = _count(conn, t.audit_log, t.audit_log.c.action == "monitor")
        # act has run (not a dry run) even when it wrote nothing new: every suggestion
        # settled by gold (an entities project's imported texts), or all below threshold
        acted = _count(conn, t.audit_log, t.audit_log.c.action == "act")
        aliases = t.model_aliases.c
        in_use = conn.execute(sa.select(aliases.name).where(aliases.alias == "in-use")
                              .limit(1)).scalar()
        if in_use is None:  # (a store not migrated yet) as champion() reads it then
            in_use = conn.execute(sa.select(aliases.name).where(aliases.alias == "champion")
                                  .order_by(aliases.updated_at.desc()).limit(1)).scalar()
        in_use_version = conn.execute(
            sa.select(t.models.c.version).join(t.model_aliases,
                                               aliases.model_id == t.models.c.id)
            .where(aliases.name == in_use, aliases.alias == "champion").limit(1)
        ).scalar() if in_use else None
        # whether an evaluation scored the version in use: the first version trained is
        # put in use before anyone measured it (the pages say "not measured yet")
        in_use_measured = conn.execute(
            sa.select(t.evaluations.c.id).join(t.model_aliases,
                                               aliases.model_id == t.evaluations.c.model_id)
            .where(aliases.name == in_use, aliases.alias == "champion").limit(1)
        ).first() is not None if in_use else False
        if in_use and not in_use_measured:  # or a retrain's comparison (models.measured)
            card = conn.execute(
                sa.select(t.models.c.card).join(t.model_aliases,
                                                aliases.model_id == t.models.c.id)
                .where(aliases.name == in_use, aliases.alias == "champion").limit(1)
            ).scalar()
            compared = dict((card or {}).get("promoted_over") or {})
            in_use_measured = bool(compared.get("metric")) and compared.get("chosen") is not None
        stale = _stale_predictions(conn, t, in_use) if in_use else None
        unpredicted = (_unpredicted(conn, t, in_use, items)
                       if in_use and not stale and items else None)

    from .verdict import baseline_verdict, not_better_than_baseline

    found = baseline_verdict(ws) if evaluations else None
    in_use_spec = f"{in_use}@{in_use_version}" if in_use and in_use_version else None
    # the latest comparison with the baselines found no model (or not the one in use)
    # better than them: say so before any step that puts the model to work
    no_better = bool(found and found["models"] and (
        not_better_than_baseline(ws, in_use_spec) if in_use_spec else not found["beaten"]))
    # the verdict says not to automate (the model it chose is no better than the
    # baselines): the next step says so too, even where another model (the one in use)
    # scored better on the test set
    against = bool(found and found["models"] and not found.get("automate", True))
    verdict = ({"verdict": found["verdict"], "baselines": found["baselines"],
                "beaten": found["beaten"], "model_no_better": no_better or against,
                # the model in use, and the models that did beat the baselines: "no model
                # was better" is not the thing to say while one of them was
                "in_use": in_use_spec,
                "better": [] if against else
                [spec for spec, ok in found["models"].items() if ok],
                # named when another model did beat them on the test set (the verdict
                # is about the chosen one, not about every model)
                "chosen": found.get("chosen") if against and found["beaten"] else None}
               if found else None)
    card = ws.card
    applied = _policy_applied(ws, in_use_spec)
    # the policy has been applied: something written, queued, decided, or act has run
    acted_on = machine > 0 or queue_open > 0 or decisions > 0 or acted > 0
    stages = [
        {"stage": "need", "done": bool(card.need), "detail": card.need or "not stated yet"},
        {"stage": "items", "done": items > 0, "count": items, "errors": errors,
         "warnings": warnings},
        {"stage": "labels", "done": splits.get("test", 0) > 0, "count": labelled,
         "train": splits.get("train", 0), "test": splits.get("test", 0)},
        # champions: the model names with a version chosen (one each); in_use: the one
        # model act, export and the web app use (a project may have several champions)
        {"stage": "models", "done": champions > 0, "count": models, "champions": champions,
         **({"in_use": in_use_spec, "in_use_measured": in_use_measured} if in_use_spec
            else {}), "evaluations": evaluations},
        {"stage": "runs", "done": runs > 0, "count": runs, "predictions": predictions},
        {"stage": "actions", "done": acted_on,
         "acted": acted, "machine_metadata": machine, "review_open": queue_open,
         "settled_by_gold": settled, "decisions": decisions},
        {"stage": "monitoring", "done": monitored > 0, "alerts": alerts,
         "checks": monitored},
    ]
    return {
        "workspace": str(ws.root),
        "task": card.task,
        "modality": card.modality,
        "labels": card.labels,
        "multi_label": card.multi_label,
        "kind": card.kind,
        "metric": card.metric,
        # what the project is judged by: a count task's count error, else the metric
        "measure": measure_of(card),
        "database": "postgresql" if not ws.store.is_sqlite else "sqlite",
        "stages": stages,
        "summary": _summary(items, errors, labelled, splits, models, evaluations, runs,
                            predictions, queue_open, settled, warnings=warnings,
                            labelled_word="with an outcome" if outcome else "labelled"),
        "model_in_use": f"{in_use}@champion" if in_use else None,
        "stale_predictions": stale,
        "unpredicted": unpredicted,
        "policy_applied": applied,
        "baseline_verdict": verdict,
        "count_task": _count_words(ws) if card.modality == "tabular" else None,
        # a tabular project states its need first too, as every other project does (and
        # as the web app's overview says): its steps follow once it is stated
        "next_step": (tabular_next_step(items, labelled, splits.get("test", 0), champions,
                                        predictions, stale=stale, unpredicted=unpredicted,
                                        queue_open=queue_open,
                                        acted=acted_on)[1]
                      if card.modality == "tabular" and card.need else
                      _next_step(card.need, items, labelled, splits, evaluations, champions,
                                 runs, predictions, queue_open, machine, in_use, monitored,
                                 found["baselines"] if found and verdict
                                 and verdict["model_no_better"] else None,
                                 stale, acted, keep_together,
                                 better=verdict["better"] if verdict else [],
                                 chosen=verdict["chosen"] if verdict else None,
                                 in_use_spec=in_use_spec, unpredicted=unpredicted,
                                 applied=applied, in_use_measured=in_use_measured,
                                 need_example=_need_example(card), kind=card.kind)),
    }


#: a need of each task kind (``[task] kind``), in words: the example the next step gives
#: while the card states none (the blank-pages one for any other kind)
NEED_EXAMPLES = {
    "entities": ("index the people, places and organisations the newspaper texts name, "
                 "for the catalogue"),
    "multi-label": "give each item the subjects a cataloguer would search by",
}


def _need_example(card: Any) -> str:
    """The example need the next step gives: one of the project's task kind (a table's
    rows: the no-show story of docs/tabular.md)."""
    if getattr(card, "modality", None) == "tabular":
        return ("sell at the door the timed-ticket places booked visitors will leave "
                "empty, without turning anyone away")
    return NEED_EXAMPLES.get(str(card.kind or ""),
                             "stop paying the OCR service for blank pages")


def _policy_applied(ws: Workspace, in_use_spec: str | None) -> dict[str, Any]:
    """Whether ``glamlab act`` (or the web app's "Apply the policy") has applied the
    policy to the predictions of the model it uses without ``--model`` (``[policy]
    model``, else the model in use): ``{"model": "X@2", "done": bool, "last": "X@1"}``,
    ``last`` the model of the latest act (None when act never ran). Review decisions and
    metadata an act with an earlier model wrote are no application to this model's
    predictions: its suggestions are not in the queue."""
    t = ws.store.t
    log = t.audit_log.c
    pinned = ws.card.section("policy").get("model")
    with ws.store.read() as conn:
        model = (_spec_of(conn, t, pinned) if isinstance(pinned, str) and pinned
                 else in_use_spec)
        last = conn.execute(sa.select(log.object).where(log.action == "act")
                            .order_by(log.id.desc()).limit(1)).scalar()
        done = bool(model and last is not None and conn.execute(
            sa.select(log.id).where(log.action == "act", log.object == model).limit(1)
        ).first())
    return {"model": model, "done": done if model else last is not None, "last": last}


def _spec_of(conn: sa.Connection, t: Any, spec: str) -> str | None:
    """``NAME@N`` of the model ``spec`` names, as :func:`glamlab.registry.get_model`
    finds it (:func:`glamlab.store.models.select_model`); None when there is none (act
    says why)."""
    from ..store.models import select_model

    row = conn.execute(select_model(t, spec)).first()
    return f"{row.name}@{row.version}" if row is not None else None


def _stale_predictions(conn: sa.Connection, t: Any, name: str) -> dict[str, str] | None:
    """``{"predictions_from": "X@1", "champion": "X@2"}`` when the champion ``name`` has
    no stored predictions yet while another model's are stored (``glamlab retrain`` or
    ``models promote`` made a new champion): act and exports read the champion's
    predictions, so it has to run first. None otherwise."""
    m, aliases = t.models.c, t.model_aliases.c
    champ = conn.execute(
        sa.select(m.id, m.name, m.version).join(t.model_aliases, aliases.model_id == m.id)
        .where(aliases.name == name, aliases.alias == "champion").limit(1)).first()
    if champ is None:
        return None
    p = t.predictions.c
    if conn.execute(sa.select(p.id).where(p.model_id == champ.id).limit(1)).first():
        return None
    latest = conn.execute(
        sa.select(m.name, m.version).join(t.predictions, p.model_id == m.id)
        .order_by(p.id.desc()).limit(1)).first()
    if latest is None:
        return None
    return {"predictions_from": f"{latest.name}@{latest.version}",
            "champion": f"{champ.name}@{champ.version}"}


def _unpredicted(conn: sa.Connection, t: Any, name: str,
                 items: int) -> dict[str, Any] | None:
    """``{"model": "X@1", "missing": 3, "items": 243}`` when the champion ``name`` has
    stored predictions but none for some of the collection's current items (an older
    model chosen again, or items brought in after its run): act and exports read only its
    predictions, so those items are left out until it runs again. Items a run of it
    could not predict are not counted (running it again does not help them). None when
    it has predicted every item, or nothing at all (:func:`_stale_predictions`, or no
    run yet)."""
    m, aliases, p = t.models.c, t.model_aliases.c, t.predictions.c
    champ = conn.execute(
        sa.select(m.id, m.name, m.version).join(t.model_aliases, aliases.model_id == m.id)
        .where(aliases.name == name, aliases.alias == "champion").limit(1)).first()
    if champ is None or not conn.execute(
            sa.select(p.id).where(p.model_id == champ.id).limit(1)).first():
        return None
    missing = count_unpredicted(conn, t, champ.id)
    if not missing:
        return None
    return {"model": f"{champ.name}@{champ.version}", "missing": missing, "items": items}


def count_unpredicted(conn: sa.Connection, t: Any, model_id: int) -> int:
    """How many current items the model ``model_id`` has no prediction for, leaving out
    the items its latest run could not predict (a corrupt image: running it again fails
    again; the Run page names them and why). Failures of earlier runs count as waiting:
    the next run tries those items again (a server that was down, a file fixed since).
    One query; the failures are read once (``NOT IN``, or ``EXCEPT`` on SQLite:
    :func:`_ids_unpredicted`; ``run_failures`` has no index by item, so a correlated
    lookup would read it once per item)."""
    return count_unpredicted_by_cause(conn, t, model_id, failed=False)[0]


def count_unpredicted_by_cause(conn: sa.Connection, t: Any, model_id: int, *,
                               failed: bool = True) -> tuple[int, int, int | None]:
    """``(not_run, failed, latest_run_id)``: the current items the model ``model_id`` has
    no prediction for, split as :func:`count_unpredicted` splits them: those waiting for
    a run, and those its latest run could not predict (``glamlab runs --failures
    LATEST_RUN_ID`` names them and why; 0 unless ``failed``)."""
    items, p, f = t.items.c, t.predictions.c, t.run_failures.c
    latest = conn.execute(sa.select(sa.func.max(t.runs.c.id))
                          .where(t.runs.c.model_id == model_id)).scalar()
    predicted = sa.exists().where(p.item_id == items.item_id, p.model_id == model_id)
    where = [items.is_current.is_(True), ~predicted]
    failures = (sa.select(f.item_id).where(f.run_id == latest, f.model_id == model_id)
                if latest is not None else None)
    if conn.dialect.name == "sqlite":
        not_run = _count(conn, t.items, items.is_current.is_(True),
                         items.item_id.in_(_ids_unpredicted(t, model_id, failures)))
    else:
        not_run = _count(conn, t.items, *where,
                         *([items.item_id.not_in(failures)] if failures is not None else []))
    if failures is None:
        return not_run, 0, None
    return (not_run, _count(conn, t.items, *where, items.item_id.in_(failures)) if failed
            else 0, latest)


def _ids_unpredicted(t: Any, model_id: int, failures: sa.Select[Any] | None
                     ) -> sa.CompoundSelect[Any]:
    """The ids of the current items that ``model_id`` has no prediction for (less
    ``failures``), for SQLite: the current items' ids (``ix_items_current``) EXCEPT the
    model's predicted ids (``uq_predictions_model_item``), both read in id order and
    merged (the ORDER BY makes SQLite merge the two sorted indexes). A ``NOT EXISTS`` per
    item looked each item up in the predictions' index: at 100,000 items about three
    times as long, on every Export page. The items are then counted by these ids (one
    look-up per id not predicted, none when every item is), so an id with two current
    rows counts twice, as it did. PostgreSQL keeps the ``NOT EXISTS``: it hashes the
    predictions once (a hash anti join), faster than its EXCEPT."""
    items, p = t.items.c, t.predictions.c
    parts: list[sa.Select[Any]] = [
        sa.select(items.item_id).where(items.is_current.is_(True)),
        sa.select(p.item_id).where(p.model_id == model_id)]
    if failures is not None:
        parts.append(failures)
    return sa.except_(*parts).order_by(sa.literal_column("1"))


def unpredicted_step(unpredicted: dict[str, Any], *, web: bool = False) -> str:
    """The next step while the model in use never predicted some items
    (:func:`_unpredicted`)."""
    n, total = unpredicted["missing"], unpredicted["items"]
    how = "run the model in use on the Run page" if web else "`glamlab run`"
    return (f"The model in use, {unpredicted['model']}, has no prediction for {n:,} of the "
            f"{total:,} {plural(total, 'item')}: the policy decides nothing for "
            f"{'it' if n == 1 else 'them'}, and the exports carry only the labels people "
            f"gave. First {how}.")


def stale_predictions_sentence(stale: dict[str, str], *, web: bool = False) -> str:
    """The plain sentence for :func:`_stale_predictions`' finding (the web names the Run
    stage, the command line ``glamlab run``)."""
    how = "the Run stage" if web else "`glamlab run`"
    return (f"The stored predictions are from {stale['predictions_from']}; the model in use "
            f"is now {stale['champion']}: run it ({how}) so act and exports use it.")


def stale_predictions(ws: Workspace) -> dict[str, str] | None:
    """:func:`_stale_predictions` for the champion ``glamlab run`` uses (the ``in-use``
    name, set with the project's first champion); None when there is none."""
    t = ws.store.t
    aliases = t.model_aliases.c
    with ws.store.read() as conn:
        name = conn.execute(sa.select(aliases.name).where(aliases.alias == "in-use")
                            .limit(1)).scalar()
        if name is None:
            name = conn.execute(sa.select(aliases.name).where(aliases.alias == "champion")
                                .order_by(aliases.updated_at.desc()).limit(1)).scalar()
        return _stale_predictions(conn, t, name) if name else None


#: where the summary sends the reader for the ingest problems (the web app says its page)
SEE_ERRORS = "(see glamlab items --errors)"


def _summary(items: int, errors: int, labelled: int, splits: dict[str, int], models: int,
             evaluations: int, runs: int, predictions: int, queue_open: int,
             settled: int = 0, *, warnings: int = 0,
             labelled_word: str = "labelled") -> str:
    """The workspace in one line. ``errors``: the ingest problems still current (items
    left out, or in with a problem); ``warnings``: the ingest warnings, whose items came
    in all the same (an OCR page stored as text only), said apart, not as problems."""
    def n(count: int, word: str, words: str | None = None) -> str:
        return f"{count:,} {word if count == 1 else (words or word + 's')}"

    parts = [n(items, "item")]
    if errors:
        parts.append(n(errors, "ingest problem") + ("" if warnings else f" {SEE_ERRORS}"))
    if warnings:
        one = warnings == 1
        parts.append(f"{n(warnings, 'ingest warning')}, not "
                     f"{'a problem: the item' if one else 'problems: the items'} came in "
                     f"{SEE_ERRORS}")
    parts.append(f"{labelled:,} {labelled_word}" + (
        f" ({splits.get('train', 0):,} train, {splits.get('test', 0):,} test)" if splits else ""))
    if models or evaluations:
        parts.append(f"{n(models, 'saved model')}, {n(evaluations, 'evaluation')}")
    if runs:
        parts.append(f"{n(runs, 'run')} with {n(predictions, 'prediction')}")
    if queue_open:
        parts.append(f"{queue_open:,} waiting for review")
    if settled:
        parts.append(f"{settled:,} more suggestion{'s' if settled != 1 else ''} settled by a "
                     "gold label (not asked)")
    return ", ".join(parts)


def no_better_step(baselines: list[str], queue_open: int = 0, *, web: bool = False,
                   in_use: str | None = None, better: Sequence[str] = (),
                   chosen: str | None = None) -> str:
    """The next step when the latest comparison found no model better than the
    baselines, or not the model in use (``in_use``) while others (``better``) were: do
    not put the model in use to work; what to do instead. ``chosen``: the model the
    verdict named (chosen on calibration data) when its verdict is not to automate."""
    base = ", ".join(baselines)
    others_better = [spec for spec in better if spec != in_use]
    if in_use and others_better:
        best = others_better[0]
        use = ("an admin makes it the model in use on the Admin page" if web else
               f"`glamlab models use {best.split('@')[0]}`")
        return (f"The model in use, {in_use}, was no better than the baselines ({base}) in "
                f"the last comparison, but {', '.join(others_better)} "
                f"{'was' if len(others_better) == 1 else 'were'}: do not automate with "
                f"{in_use}. Make {best} the model in use ({use}), then run it over the "
                "collection.")
    label = ("label more items (the Label page" if web else
             "label more items (`glamlab serve`")
    if queue_open:
        label += f"; the {queue_open:,} suggestions in the review queue are labels too"
    others = ("try other models (an admin trains and evaluates them)" if web else
              "try other models (`glamlab predictors`, `glamlab train NAME`, then "
              "`glamlab evaluate`)")
    found = f"no model better than the baseline ({base})"
    if chosen:
        found = (f"the model it chose, {chosen}, no better than the baseline ({base})")
        if in_use and in_use != chosen:
            found += (f"; {in_use}, the model in use, scored higher on the test set, but a "
                      "model picked for its test score looks better there than it is")
    return (f"The last comparison found {found}: do not automate with machine learning "
            "yet. Instead, " + label + "), " + others
            + ", or use the baseline or a simple rule.")


def _count_words(ws: Workspace) -> str | None:
    """A count task in words (the card's ``[count]``), or None."""
    from ..config import count_section
    from ..ingest.columns import TableSchema

    task = count_section(ws.card)
    if task is None:
        return None
    tabular = ws.card.section("tabular")
    groups = TableSchema.from_card(tabular).group_columns if tabular.get("time_column") else []
    return task.describe(groups)


def run_champion_step(stale: dict[str, str]) -> str:
    """The next step while the champion has no stored predictions but an earlier model has
    (:func:`stale_predictions_sentence` says why)."""
    return f"Run the model in use, {stale['champion']}, over the collection: `glamlab run`."


def tabular_next_step(items: int, labelled: int, test: int, champions: int,
                      predictions: int, *, stale: dict[str, str] | None = None,
                      unpredicted: dict[str, Any] | None = None, queue_open: int = 0,
                      acted: bool = False, web: bool = False) -> tuple[str, str]:
    """A tabular project's next step, as ``(stage, words)``: its outcomes come in its rows
    (no labelling, a split by time), its baselines are backtested month by month. The one
    sequence ``glamlab status`` and the web app's overview follow (``web``: the words
    name the pages, not the commands; the overview links ``stage``'s page): bring the
    rows in, then the later rows' outcomes, backtest and train, run the model in use,
    see what the policy would do, then keep up as new rows arrive. ``stage`` is one of
    ``items``, ``train``, ``run``, ``queue``, ``act`` and ``monitoring``."""
    if items == 0:
        return "items", ("Bring the table in: a spreadsheet of bookings, visits or loans, one "
                         "row each, with the date of each row and its outcome." if web else
                         "Add the table: glamlab ingest FILE.csv --time-column COL "
                         "--label-column COL --id-column COL.")
    if not test:
        return "items", (f"{labelled:,} {plural(labelled, 'row')} {'has' if labelled == 1 else 'have'} "
                         "an outcome, none after the time split: the test rows are the "
                         "later rows with their outcomes. Bring them in "
                         + ("(the same table, outcomes filled in)." if web else
                            "(the same table, outcomes filled in): `glamlab ingest FILE.csv`."))
    if champions == 0:
        return "train", ("Backtest the baselines and the model on the Baselines and "
                         "evaluation page (month by month, on the rows with an outcome), "
                         "then train the model on the Train models page." if web else
                         "Backtest the baselines and the model (`glamlab backtest`), then "
                         "train: `glamlab train tabular-gbm`.")
    if not predictions:
        return "run", ("Run the model in use over the rows." if web else
                       "Run the model in use over the rows: `glamlab run`.")
    if stale:
        return "run", (f"Run the model in use, {stale['champion']}, over the collection."
                       if web else run_champion_step(stale))
    if unpredicted:
        return "run", unpredicted_step(unpredicted, web=web)
    if queue_open:  # (a table's rows: one outcome each, a single-label project)
        return "queue", (f"{queue_open:,} predictions wait for a person."
                         if web else queue_step(queue_open, "single-label") + ".")
    if not acted:
        return "act", ("See what the policy would do with the predictions." if web else
                       "See what the policy would do with the predictions: `glamlab act "
                       "--dry-run`, then `glamlab act`.")
    return "monitoring", ("As new rows (and later their outcomes) arrive: bring them in on "
                          "the Bring rows in page, check monitoring after each run, and "
                          "train the model again on the Train models page once outcomes are in."
                          if web else
                          "As new rows (and later their outcomes) arrive: `glamlab ingest`, "
                          "`glamlab monitor`, `glamlab capacity`, and `glamlab retrain` once "
                          "outcomes are in.")


def not_applied_words(applied: dict[str, Any] | None) -> str:
    """Why the policy is to be applied again, when it was applied to another model's
    predictions than those of the model act uses now ('' otherwise)."""
    if not applied or not applied.get("last") or not applied.get("model") or (
            applied["last"] == applied["model"]):
        return ""
    return (f"The policy was applied to the predictions of {applied['last']}, not yet to "
            f"those of {applied['model']}, the model in use. ")


def set_aside_step(labelled: int, group_by: str | None = None) -> str:
    """The next step when items are labelled but none is set aside as a test set
    (labels imported without a split, or labelled for training): set some aside rather
    than label more, keeping whole the items that share ``group_by``'s value."""
    command = "glamlab labels split --test-size 0.3" + (f" --group-by {group_by}"
                                                         if group_by else "")
    whole = (f"; --group-by keeps the items that share a {group_by} on one side, so that "
             "no model is tested on the pages of a document it learned from" if group_by
             else "")
    rough = (" With fewer than about 100 labelled items the test figures are rough: label "
             "more as well (`glamlab serve`)." if labelled < 100 else "")
    return (f"{labelled:,} {plural(labelled, 'item')} labelled, none set aside as a test "
            "set: set some aside, so that models are measured on items they never learned "
            f"from: `{command}` (it is frozen once evaluated{whole}).{rough}")


def _next_step(need: str, items: int, labelled: int, splits: dict[str, int], evaluations: int,
               champions: int, runs: int, predictions: int, queue_open: int, machine: int,
               in_use: str | None = None, monitored: int = 0,
               not_beaten: list[str] | None = None,
               stale: dict[str, str] | None = None, acted: int = 0,
               keep_together: Callable[[], str | None] | None = None, *,
               better: Sequence[str] = (), in_use_spec: str | None = None,
               chosen: str | None = None, unpredicted: dict[str, Any] | None = None,
               applied: dict[str, Any] | None = None, in_use_measured: bool = True,
               need_example: str = "stop paying the OCR service for blank pages",
               kind: str = "") -> str:
    if not need:  # the example of the project's task kind (an entities project's texts)
        return ("State the need in words: edit [project] need in glamlab.toml "
                f"(e.g. '{need_example}').")
    if items == 0:
        return "Add your collection: glamlab ingest FOLDER_OR_MANIFEST_OR_CSV."
    if not labelled and not splits.get("test"):
        return (f"{items:,} {plural(items, 'item')}, none labelled: label 100 items for a "
                "test set with `glamlab serve` or `glamlab labels import`.")
    if not splits.get("test"):
        return set_aside_step(labelled, keep_together() if keep_together else None)
    if evaluations == 0:
        return "Measure the baselines first: `glamlab baseline`, then `glamlab evaluate`."
    if champions == 0:
        return ("Baselines measured. Train a model and compare: `glamlab predictors` lists "
                "those for this task; `glamlab train NAME`, then `glamlab evaluate` (its "
                "verdict chooses the model that run, act and export use).")
    if not_beaten:
        return no_better_step(not_beaten, queue_open, in_use=in_use_spec, better=better,
                              chosen=chosen)
    if (runs == 0 or predictions == 0) and in_use_spec and not in_use_measured:
        # the first version trained is put in use at once: measured by nobody yet
        return (f"{in_use_spec} is the model in use, but not measured yet (it was the first "
                "model trained): `glamlab evaluate` compares it with the baselines on the "
                "test set, before `glamlab run` puts it over the collection.")
    if runs == 0 or predictions == 0:
        model = f"{in_use}@champion" if in_use else "NAME@champion"
        return (f"Run the model over the collection: `glamlab run --model {model}` "
                + ("(what `glamlab run` alone does)." if in_use else
                   "(evaluate first: its verdict chooses the model)."))
    if stale:
        return run_champion_step(stale)
    if unpredicted:
        return unpredicted_step(unpredicted)
    if queue_open == 0 and not (applied["done"] if applied else machine or acted):
        return (not_applied_words(applied) +
                "Turn predictions into actions: `glamlab act --dry-run` shows what the policy "
                "would do; `glamlab act --optimise --target-precision 0.95 --write` sets the "
                "accept thresholds from the labelled data; then `glamlab act`, and "
                "`glamlab export --format csv --out decisions.csv`.")
    if queue_open:
        return (queue_step(queue_open, kind) + "; `glamlab export --format csv --out "
                "decisions.csv` writes what is decided so far.")
    return settled_step(monitored)


#: the task kinds whose review queue is also taken out as a file (``glamlab review
#: list``/``import``: :mod:`glamlab.review.sheet`; an entities project's spans are decided
#: on the web queue, where the text is shown)
QUEUE_AS_FILE_KINDS = ("single-label", "multi-label")


def queue_step(queue_open: int, kind: str) -> str:
    """The next step while predictions wait for a person (``glamlab status``, the demos'
    closing line): the web queue, and, where the task kind allows it, the queue as a
    file to decide in a spreadsheet and bring back (no full stop at the end)."""
    words = f"{queue_open:,} predictions wait for a person: review them with `glamlab serve`"
    if kind in QUEUE_AS_FILE_KINDS:
        words += (", or in a spreadsheet: `glamlab review list -o queue.csv`, fill in its "
                  "decision column, then `glamlab review import queue.csv --by NAME`")
    return words


def settled_step(monitored: int, *, web: bool = False) -> str:
    """The next step once the policy is applied and nothing waits for a person: export
    the decisions for the catalogue, then watch each run; once monitoring has run, keep
    watching (``glamlab status`` and the web app's overview alike: ``web`` names the
    pages, not the commands; the overview links the Export page, then Monitoring)."""
    if not monitored:
        if web:
            return ("Export the decisions: download them for the catalogue on the Export "
                    "page (a spreadsheet, CSV); then keep watching: check monitoring after "
                    "each run.")
        return ("Export the decisions: `glamlab export --format csv --out decisions.csv` "
                "(or --format xlsx); then keep watching: `glamlab monitor` after each run.")
    if web:
        return ("Keep watching: check monitoring after each run; download the decisions "
                "again on the Export page for the catalogue as more are settled.")
    return ("Keep watching: `glamlab monitor` after each run; `glamlab retrain` when "
            "corrections pile up; `glamlab export` for the catalogue.")
