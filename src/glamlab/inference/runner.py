"""``glamlab.inference.run``: one model version over a whole collection.

>>> report = run(ws, "blank@champion", items="collection=maps", workers=4)
>>> print(report.summary())

Plan (what this model version has not predicted yet) -> batches -> an engine (worker
processes, inline, or Ray) -> the single writer, which commits every batch with the
run's progress. Ctrl-C (or SIGTERM) stops within a few items (each worker hands back
the part of its batch predicted, :func:`~.worker.stop_step` items at a time, the
rest is left to predict), leaving the run
``stopped`` and resumable (from Python, :class:`RunInterrupted` is raised then);
``resume=True`` or simply running again finishes it.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import DatabaseUnavailable, ModelNotFound, RunError, reason_for
from ..progress import Progress, plural, rate_words
from ..said import in_words, said
from ..workspace.verdict import not_better_than_baseline
from .plan import Plan, check_query_fields, parse_query
from .worker import Failure, ItemRow, ModelRef, Row, class_path
from .writer import LEASE_TIMEOUT_S, UNFINISHED, RunWriter, holds_lease

if TYPE_CHECKING:
    from ..workspace import Workspace

log = logging.getLogger(__name__)
ENGINES = ("local", "ray")
DEFAULT_BATCH_SIZE = 256
DEFAULT_TIMEOUT_S = 300.0  # per item
HEARTBEAT_S = 10.0
FAILURES_SHOWN = 20


@dataclass
class RunReport:
    #: None when there was nothing to do (:attr:`nothing_to_do`): no run was recorded
    run_id: int | None
    model: str
    model_id: int
    status: str
    engine: str
    workers: int
    planned: int
    done: int
    failed: int
    skipped: int
    seconds: float
    resumed: bool = False
    done_now: int = 0
    failed_now: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    #: of ``done_now``, the items predicted again because their text or image changed
    #: (re-ingested) since this model version predicted them
    changed_now: int = 0
    #: open review questions about their earlier predictions, withdrawn (superseded)
    withdrawn_now: int = 0
    #: a warning when the latest comparison with the baselines found this model no
    #: better than them (the run goes ahead); :attr:`warnings` is the same as a list,
    #: what ``to_dict()`` gives under "warnings" ("warning" there is deprecated)
    warning: str | None = None
    #: ``resume`` was asked for but the model had no unfinished run: this run is a new one
    nothing_to_resume: bool = False
    #: the signal that stopped the run (``signal.SIGINT`` for Ctrl-C, ``SIGTERM``); None
    #: unless its status is ``stopped`` by one
    signum: int | None = None
    #: every item (matching the query) already had a prediction from this model version
    #: and no run of it was unfinished: nothing was predicted and no run was recorded
    #: (``run_id`` is None, ``status`` is ``"nothing_to_do"``)
    nothing_to_do: bool = False
    #: the query the run was asked for (``items``), for the words of :meth:`summary`
    items: str | None = None

    @property
    def items_per_s(self) -> float:
        return (self.done_now + self.failed_now) / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "model": self.model, "model_id": self.model_id,
            "status": self.status, "engine": self.engine, "workers": self.workers,
            "resumed": self.resumed, "planned": self.planned, "done": self.done,
            "failed": self.failed, "skipped_already_predicted": self.skipped,
            "done_this_time": self.done_now, "failed_this_time": self.failed_now,
            "predicted_again_content_changed": self.changed_now,
            "review_questions_withdrawn": self.withdrawn_now,
            "seconds": round(self.seconds, 3), "items_per_s": round(self.items_per_s, 1),
            "failures": [{k: _iso(v) for k, v in f.items()} for f in self.failures],
            "notes": self.notes(cli=True),
            "warnings": self.warnings,
            # deprecated, removed in the next release: read "warnings" (a list, like the
            # other commands' JSON; its entries do not start with "warning: ")
            "warning": self.warning,
            "nothing_to_do": self.nothing_to_do,
        }

    def nothing_to_do_text(self, *, cli: bool = False) -> str:
        """What a run with nothing to do says (see :attr:`nothing_to_do`): every item
        (matching the query) has a prediction, or no item matched at all (none skipped:
        a query that selects nothing is no reason to predict again)."""
        if not self.skipped:
            return (f"Nothing to do: no item matches the query {self.items!r} (check its "
                    "values)." if self.items else
                    "Nothing to do: there are no items to predict yet.")
        matching = f" matching {self.items!r}" if self.items else ""
        again = "use --force to predict again" if cli else \
            "force=True predicts again"
        return (f"Nothing to do: every item{matching} has a prediction from {self.model} "
                f"({again}).")

    def notes(self, *, cli: bool = False) -> list[str]:
        """What the person should know that is no warning: ``resume`` asked for with
        nothing to resume (this run is a new one)."""
        if not self.nothing_to_resume:
            return []
        return [f"Nothing to resume: {self.model} had no unfinished run, so this was a new "
                "run (" + ("glamlab runs" if cli else "list_runs(ws)") + " lists the runs)."]

    @property
    def warnings(self) -> list[str]:
        """The warnings as a list, each without the "warning: " the text summary shows."""
        return [self.warning.removeprefix("warning: ")] if self.warning else []

    def summary(self, *, cli: bool = False) -> str:
        """The report in words. What to do next is said as a Python call (``run(ws,
        ...)``, ``run_failures(ws, ...)``), or with ``cli`` as a command (``glamlab run
        --resume``): the command line's summary."""
        if self.nothing_to_do:
            return self.nothing_to_do_text(cli=cli)
        verb = {"done": "finished", "stopped": "stopped (resumable)",
                "failed": "failed"}.get(self.status, self.status)
        now = self.done_now + self.failed_now
        lines = [f"Run {self.run_id} of {self.model} {verb}: {self.done:,} of {self.planned:,} "
                 f"{plural(self.planned, 'item')} predicted, {self.failed:,} failed"
                 + (f", {self.skipped:,} skipped because this model version had already "
                    "predicted them" if self.skipped else "")
                 + f" ({now:,} {plural(now, 'item')} in {self.seconds:,.1f} s, "
                   f"{rate_words(self.items_per_s)}/s)."]
        lines += self.notes(cli=cli)
        if self.resumed:
            before = self.done + self.failed - self.done_now - self.failed_now
            lines.append(f"Resumed: {before:,} items done before, "
                         f"{self.done_now + self.failed_now:,} now.")
        if self.changed_now:
            lines.append(f"{self.changed_now:,} of them were predicted again because their "
                         "text or image changed (re-ingested) since this model version "
                         "predicted them"
                         + (f"; {self.withdrawn_now:,} open review questions about their "
                            "earlier predictions were withdrawn ("
                            + ("glamlab act" if cli else "act(ws)")
                            + " queues what the new predictions need reviewed; decisions "
                            "already made are kept)" if self.withdrawn_now else "") + ".")
        if self.failures:
            lines.append("Items that could not be predicted (recorded, the run went on):")
            for f in self.failures[:5]:
                lines.append(f"  {f['item_id']}: {f['reason']}")
            if self.failed > 5:
                lines.append(f"  ... and {self.failed - 5:,} more")
            lines.append(f"See them all with: glamlab runs --failures {self.run_id}" if cli
                         else f"See them all with: run_failures(ws, {self.run_id}) (from "
                              "glamlab.inference)")
        if self.warning:
            lines.append(self.warning)
        if self.status == "stopped":
            lines.append("Continue with: glamlab run --resume"
                         + (f" --model {self.model}" if self.model else "") if cli else
                         f"Continue with: run(ws, {self.model!r}, resume=True) (from "
                         "glamlab.inference)")
        return "\n".join(lines)


def _iso(value: Any) -> Any:
    """A stored time (naive UTC) as an ISO 8601 text ending in Z; other values as they are."""
    from ..store import utc_iso

    return utc_iso(value)


BATCHES_PER_WORKER = 4  # a small run gives each worker at least this many batches


def small_run_batch(remaining: int, workers: int, batch_size: int) -> int:
    """The batch size for a run of ``remaining`` items on ``workers`` processes: at most
    ``batch_size``, and small enough that every worker gets :data:`BATCHES_PER_WORKER`
    batches (so a 236-page run uses both workers, and its progress moves every few
    pages rather than once at the end)."""
    share = -(-remaining // (max(1, workers) * BATCHES_PER_WORKER))
    return max(1, min(batch_size, share))


def champion_spec(ws: Workspace, *, web: bool = False, cli: bool = True) -> str:
    """The spec of the model in use (the champion of the name chosen by the evaluate
    verdict or a person, else of the project's first champion: one, however many names
    have a champion): what ``glamlab run`` uses without ``--model``. ``web``: none said in
    the web app's words (its pages, no command); ``cli=False``: in Python's words (the
    calls to make, as :func:`run` from Python says what to do next)."""
    from ..registry import champion, in_use

    try:
        return f"{champion(ws).name}@champion"
    except ModelNotFound as exc:
        # no name chosen and no champion at all: "no model is in use yet" (as the
        # registry says it too); else the registry's words on the name in use
        what = "no model is in use yet" if in_use(ws) is None else exc.message
        if web:
            raise ModelNotFound(f"{what}, so there is no model to run",
                                hint="train a model on the Train models page, then compare "
                                     "the models on the Evaluate page") from exc
        if not cli:
            raise ModelNotFound(
                f"{what}, so run() does not know which model to use",
                hint="name one: run(ws, 'NAME@N') (glamlab.registry.list_models(ws) lists "
                     "the versions), or compare models with evaluate(ws, ...) "
                     "(glamlab.evaluation), whose verdict chooses the model in use, or choose "
                     "it: promote(ws, 'NAME@N') (from glamlab.retraining.retrain)") from exc
        raise ModelNotFound(f"{what}, so glamlab run does not know which model to use",
                            hint="pass --model NAME (or NAME@alias), or compare models with "
                                 "glamlab evaluate and choose the model in use: glamlab "
                                 "models promote NAME@N (glamlab models lists the versions)"
                            ) from exc


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM (what a batch scheduler such as SLURM sends before it kills a
    job) stopped :func:`run` called from Python: the predictions made before it are
    stored and the run is ``stopped``, resumable. A KeyboardInterrupt, so a script or a
    notebook cell stops there instead of carrying on over a partial run; ``report`` is
    the run's :class:`RunReport`, ``signum`` the signal that stopped it."""

    def __init__(self, report: RunReport, signum: int = signal.SIGINT):
        self.report = report
        self.signum = signum
        why = "SIGTERM" if signum == signal.SIGTERM else "Ctrl-C"
        super().__init__(
            f"run {report.run_id} of {report.model} stopped ({why}) after "
            f"{report.done:,} of {report.planned:,} items; their predictions are stored. "
            f"Finish it with run(ws, {report.model!r}, resume=True)")


#: the ``sys.excepthook`` :func:`_exit_as_stopped` calls first; None until it is installed
_previous_hook: Any = None


def _exit_as_stopped(exc_type: type[BaseException], exc: BaseException,
                     tb: Any) -> None:
    """``sys.excepthook`` (chained to the one before it) once a :class:`RunInterrupted`
    may go uncaught: a script it stops ends, after its traceback and the usual clean-up
    (``finally`` blocks, ``atexit``), with the signal's exit status, 128 + the signal:
    143 for SIGTERM, 130 for Ctrl-C, what a shell gives a process the signal ended, so
    a batch scheduler (Slurm, Kubernetes) reads the job as stopped by its SIGTERM. As a
    KeyboardInterrupt subclass it ended with status 1 (Python ends by SIGINT only for
    KeyboardInterrupt itself). The interactive interpreter carries on."""
    import sys

    (_previous_hook or sys.__excepthook__)(exc_type, exc, tb)
    if isinstance(exc, RunInterrupted) and not (sys.flags.interactive
                                                or hasattr(sys, "ps1")):
        raise SystemExit(128 + int(exc.signum))  # Python exits with it, cleaned up


def _end_with_the_signal_s_status() -> None:
    """Install :func:`_exit_as_stopped` as ``sys.excepthook``, once per process (a hook
    set later, which may call it in turn, is left alone); the hook it replaces is called
    first."""
    import sys

    global _previous_hook
    if _previous_hook is None:
        _previous_hook = sys.excepthook
        sys.excepthook = _exit_as_stopped


class _StopFlag:
    """Ctrl-C / SIGTERM: the first asks to stop after the items in flight; a second
    Ctrl-C interrupts at once (the run stays resumable). ``signum``: the signal that
    asked."""

    def __init__(self, enabled: bool):
        self.requested = False
        self.signum: int | None = None
        self._old: dict[int, Any] = {}
        self.enabled = enabled and threading.current_thread() is threading.main_thread()

    def _handler(self, signum: int, frame: Any) -> None:
        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = True
        self.signum = signum

    def __enter__(self) -> _StopFlag:
        if self.enabled:
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


def run(ws: Workspace, model_spec: str | None = None, items: str | None = None, *,
        workers: int | None = None, batch_size: int | None = None, engine: str = "local",
        address: str | None = None, resume: bool = False, force: bool = False,
        timeout: float | None = DEFAULT_TIMEOUT_S, threshold: float | None = None,
        progress: bool = False, lease_timeout: float = LEASE_TIMEOUT_S,
        handle_signals: bool = True, raise_on_interrupt: bool = True,
        cli: bool | None = None) -> RunReport:
    """Predict with one model version over the collection (or the items matching the
    query ``items``) and store one prediction per item.

    ``workers``: worker processes (default: the number of cores; 0 predicts in this
    process, the time limit kept by an alarm when it runs in the main thread).
    ``timeout``: seconds allowed per item before it is recorded as failed. ``resume``: continue the latest unfinished run of this model
    version instead of starting a new one (a new run also skips what is predicted).
    With every item already predicted and no unfinished run (and no ``force``), nothing
    is predicted and no run recorded: the report's ``nothing_to_do`` is True, its
    ``status`` ``"nothing_to_do"`` and its ``run_id`` None.
    ``force``: predict again items this model version has already predicted (without
    it, only those whose text or image changed since: :func:`.plan.content_changed`).
    ``threshold``: for kinds that have one (multi-label), the score from which a label
    counts as predicted in the stored ``labels`` (default: ``[task] threshold``, 0.5).

    Ctrl-C (SIGINT) stops the run within a few items (a second one at once): each worker
    hands back the part of its batch predicted (the model's own batch at a time, at
    least 16 items), that is stored, the
    rest of the batch is left for ``resume``, the run is marked ``stopped`` and
    :class:`RunInterrupted` (a KeyboardInterrupt, with the report) is raised, so the
    script stops there; ``run(ws, model, resume=True)`` finishes the run. SIGTERM (a
    batch scheduler's notice before it kills the job) does the same; a script that does
    not catch it ends with status 143 (130 after Ctrl-C), as the scheduler expects. With
    ``raise_on_interrupt=False`` (the command line) the report is returned instead, its
    status ``stopped``. ``cli``: errors say what to do next as commands (``glamlab
    run``'s words), not as Python calls; None (the default): in the caller's words
    (:mod:`glamlab.said`: the command line's within it, else Python's).
    """
    from ..registry import get_model, load_model
    from ..tasks.kinds import task_kind

    if cli is None:
        cli = said() == "cli"
    who = "cli" if cli else "web" if said() == "web" else "python"  # whose words
    if engine not in ENGINES:
        raise RunError(f"unknown engine {engine!r}", hint=in_words(
            "pass engine='local' or engine='ray'", "use --engine local or --engine ray",
            "ask whoever runs glamlab on the server: the web app runs models with the local "
            "engine", words=who))
    if workers is None:
        workers = os.cpu_count() or 1
    def use(option: str, value: object) -> str:  # the fix, in the caller's words
        return f"use --{option.replace('_', '-')} {value}" if cli else f"pass {option}={value}"

    if workers < 0:
        raise RunError("workers must be 0 or more",
                       hint=use("workers", 1) + " or more" + ("" if cli else " (0: in this "
                                                               "process)"))
    if batch_size is not None and int(batch_size) < 1:
        raise RunError(f"the batch size must be at least 1, not {batch_size}",
                       hint=use("batch_size", DEFAULT_BATCH_SIZE))
    if timeout is not None and not timeout > 0:
        raise RunError(f"the time limit per item must be more than 0 seconds, not {timeout:g}",
                       hint=use("timeout", f"{DEFAULT_TIMEOUT_S:g}"))
    kind = task_kind(ws.card, **({"threshold": threshold} if threshold is not None else {}))
    spec = model_spec or champion_spec(ws, cli=cli)
    from ..predictors.services import service_of

    service = service_of(spec, ws.card.raw)
    if service is not None:  # service:NAME: its model, saved on first use
        from ..evaluation.evaluate import service_model

        spec = service_model(ws, service)
    # the model is loaded once there is something to predict: a nightly `run --resume`
    # with nothing to do answered in seconds, not after loading (and importing) the model
    mv = get_model(ws, spec)
    bs = int(batch_size or DEFAULT_BATCH_SIZE)
    query = parse_query(items)
    if query.changed and not force and not resume:
        raise RunError("'changed' selects every item re-ingested since this model predicted "
                       "it, metadata-only changes included, and only a run with "
                       + in_words("force=True predicts those again (a plain run(ws) already",
                                  "--force predicts those again (a plain glamlab run already",
                                  "every item predicted again predicts those again (a plain "
                                  "run already", words=who)
                       + " predicts again the items whose text or image changed)",
                       hint=in_words(f"run(ws, {spec!r}, 'changed', force=True) predicts "
                                     "them all again",
                                     f"glamlab run --model {spec} --force --items changed "
                                     "predicts them all again",
                                     "ask whoever runs glamlab on the server to predict them "
                                     "all again", words=who))
    for other, _label in query.predicted:
        get_model(ws, other)  # an unknown model in the query fails before the run starts
    check_query_fields(ws, query)  # so does a metadata field no item has (a typo)
    todo = None if force or _unfinished(ws, mv.id) else Plan(ws, query, mv.id)
    if todo is not None and todo.count() == 0:
        # every item already predicted, no run to finish: say so, record no empty run
        # (a nightly ``glamlab run --resume`` ends with status 0, not an error)
        return RunReport(run_id=None, model=mv.spec, model_id=mv.id, status="nothing_to_do",
                         engine=engine, workers=workers, planned=0, done=0, failed=0,
                         skipped=todo.already_predicted(), seconds=0.0,
                         nothing_to_do=True, items=query.text or None,
                         warning=not_better_than_baseline(ws, mv.spec, noun=kind.noun))
    mv, predictor = load_model(ws, spec)
    kind.check_predictor(predictor)
    if getattr(predictor, "needs_store", False):
        # an external service: its cache of answers and its budget are in the store this
        # process holds, so it is called from here (one caller also keeps its rate limit)
        if engine != "local":
            raise RunError(f"{mv.spec} calls an external service, which runs with the local "
                           "engine only", hint=in_words("leave engine='local' for this model",
                                                       "drop --engine ray for this model",
                                                       "run it with the local engine",
                                                       words=who))
        workers = 0
    # the batch size is stored only when the person chose it: --resume then keeps it
    stored_query = {"items": query.text, "force": force, "batch_size": batch_size}
    writer, resumed = RunWriter.acquire(ws.store, model_id=mv.id, spec=mv.spec, engine=engine,
                                        workers=workers, query=stored_query, resume=resume,
                                        lease_timeout=lease_timeout)
    t0 = time.monotonic()
    status = "failed"
    ended: bool | None = None  # set where the run's end is recorded before ``finally``
    counts = {"done": 0, "failed": 0, "changed": 0, "withdrawn": 0}
    t = ws.store.t
    stop = _StopFlag(handle_signals)
    hard: KeyboardInterrupt | None = None  # a second Ctrl-C, raised at once
    skipped = 0
    shown: list[dict[str, Any]] = []
    try:
        with ws.store.read() as conn:
            row = conn.execute(sa.select(t.runs).where(t.runs.c.id == writer.run_id)).one()
        if resumed:  # the run's own plan, not today's arguments
            query = parse_query((row.query or {}).get("items"))
            force = bool((row.query or {}).get("force"))
            if batch_size is None:
                batch_size = (row.query or {}).get("batch_size")
                bs = int(batch_size or bs)
        writer.force = force
        plan = Plan(ws, query, mv.id, force_run_id=writer.run_id if force else None,
                    skip_failed_run_id=writer.run_id if resumed else None)
        remaining = plan.count()
        skipped = 0 if force else plan.already_predicted(exclude_run_id=writer.run_id)
        writer.set_planned(row.done + row.failed + remaining)
        ref = ModelRef(model_id=mv.id, spec=mv.spec, cls=class_path(predictor),
                       folder=str(ws.root / (mv.path or "")), kind=kind,
                       cache_dir=ws.cache_dir_text, fetch_policy=ws.fetch_policy,
                       features_db=ws.store.url if engine == "local" else None)
        if batch_size is None:  # a small run is split across every worker, in batches
            bs = small_run_batch(remaining, workers, bs)  # small enough to show progress
        last_write = [time.monotonic()]
        bar = Progress(f"run {writer.run_id} ({mv.spec})", total=remaining, enabled=progress,
                       said="predicted")
        # the items in flight: the version each was read at, and those whose content
        # changed since this model version predicted them (their prediction is replaced)
        versions: dict[str, int] = {}
        changed: set[str] = set()

        def planned_batches() -> Iterator[list[ItemRow]]:
            for batch in plan.batches(bs, changed=changed):
                for r in batch:
                    versions[r[0]] = r[-1]
                yield batch

        def on_result(rows: list[Row], failures: list[Failure]) -> None:
            replace = [r[0] for r in rows if r[0] in changed]
            counts["withdrawn"] += writer.commit(
                rows, failures, versions=[versions.get(r[0]) for r in rows], replace=replace)
            for item_id in [*(r[0] for r in rows), *(f[0] for f in failures)]:
                versions.pop(item_id, None)
                changed.discard(item_id)
            last_write[0] = time.monotonic()
            counts["done"] += len(rows)
            counts["failed"] += len(failures)
            counts["changed"] += len(replace)
            for item_id, reason in failures:
                if len(shown) < FAILURES_SHOWN:
                    shown.append({"item_id": item_id, "reason": reason})
            bar.update(len(rows) + len(failures))

        def tick() -> None:
            if time.monotonic() - last_write[0] > HEARTBEAT_S:
                writer.heartbeat()
                last_write[0] = time.monotonic()

        with stop, bar:
            if remaining:
                batches = planned_batches()
                if engine == "ray":
                    from .ray_engine import run_ray

                    run_ray(ref, batches, on_result, lambda: stop.requested, tick,
                            address=address, workers=max(1, workers), batch_size=bs, cli=cli)
                elif workers == 0:
                    from ..features import feature_store
                    from .local import InlineStopped, run_inline

                    try:
                        with feature_store(ws):  # features train and evaluate cached
                            run_inline(predictor, ref, batches, on_result,
                                       lambda: stop.requested, tick, timeout=timeout)
                    except InlineStopped as exc:
                        stop.requested = True
                        stop.signum = exc.signum
                else:
                    from .local import LocalPool

                    del predictor  # the workers load their own copy
                    LocalPool(ref, min(workers, max(1, -(-remaining // bs))), timeout).run(
                        batches, on_result, lambda: stop.requested, tick)
            status = "stopped" if stop.requested else "done"
        if status == "done":
            with ws.store.read() as conn:
                totals = conn.execute(sa.select(t.runs.c.done, t.runs.c.failed)
                                      .where(t.runs.c.id == writer.run_id)).one()
            if totals.failed and not totals.done:
                status = "failed"  # every item failed: nothing was predicted
    except KeyboardInterrupt as exc:
        status = "stopped"
        if not raise_on_interrupt:
            raise
        hard = exc  # raised below, once the run is recorded, with the report
    except DatabaseUnavailable as exc:
        # The server stopped or the network failed mid-run: recording the run's end fails
        # the same way, so it is said once, with what is kept and how to carry on. The
        # run stays resumable: 'stopped' if its end can be written, else left 'running'
        # by a process that is gone, which the next run takes over.
        ended = _finish(writer, "stopped", quiet=True)
        if not ended:
            writer.abandon()
        raise DatabaseUnavailable(
            f"{exc.message}. Run {writer.run_id} of {mv.spec} stopped there; the "
            f"{counts['done']:,} predictions it stored before that are kept",
            hint=f"{exc.hint}; then "
                 + (f"glamlab run --model {mv.spec} --resume" if cli else
                    f"run(ws, {mv.spec!r}, resume=True)")
                 + " carries on where it stopped (nothing is predicted twice)"
                 if exc.hint else None,
            item=exc.item) from exc
    finally:
        recorded = ended if ended is not None else _finish(writer, status)
    if not recorded:
        if hard is not None:
            raise hard
        raise RunError(f"run {writer.run_id} could not be recorded as finished (see the log)",
                       hint="glamlab runs shows its state; a run left 'running' is taken over "
                            "by the next glamlab run --resume" if cli else
                            "list_runs(ws) shows its state; a run left 'running' is taken "
                            f"over by the next run(ws, {mv.spec!r}, resume=True)")
    with ws.store.read() as conn:
        final = conn.execute(sa.select(t.runs).where(t.runs.c.id == writer.run_id)).one()
    failures = shown if len(shown) >= FAILURES_SHOWN or not final.failed else \
        run_failures(ws, writer.run_id, limit=FAILURES_SHOWN)
    report = RunReport(run_id=writer.run_id, model=mv.spec, model_id=mv.id, status=final.status,
                       engine=engine, workers=workers, planned=final.planned, done=final.done,
                       failed=final.failed, skipped=skipped, seconds=time.monotonic() - t0,
                       resumed=resumed, done_now=counts["done"], failed_now=counts["failed"],
                       changed_now=counts["changed"], withdrawn_now=counts["withdrawn"],
                       failures=failures, nothing_to_resume=resume and not resumed,
                       warning=not_better_than_baseline(ws, mv.spec, noun=kind.noun),
                       signum=(signal.SIGINT if hard is not None else
                               stop.signum or signal.SIGINT if stop.requested else None))
    if raise_on_interrupt and report.signum is not None:
        _end_with_the_signal_s_status()  # when nothing catches it
        raise RunInterrupted(report, report.signum) from hard
    return report


def _unfinished(ws: Workspace, model_id: int) -> bool:
    t = ws.store.t
    with ws.store.read() as conn:
        return conn.execute(sa.select(t.runs.c.id).where(
            t.runs.c.model_id == model_id, t.runs.c.status.in_(UNFINISHED)).limit(1)
        ).first() is not None
def has_predictions(ws: Workspace, model_id: int | None = None) -> bool:
    """Whether any model (or the model version ``model_id``) has stored a prediction."""
    t = ws.store.t.predictions
    q = sa.select(t.c.id).limit(1)
    if model_id is not None:
        q = q.where(t.c.model_id == model_id)
    with ws.store.read() as conn:
        return conn.execute(q).first() is not None


def list_predictions(ws: Workspace, *, item_id: str | None = None, model_id: int | None = None,
                     after_id: int = 0, limit: int = 100,
                     model: str | None = None) -> list[dict[str, Any]]:
    """Stored predictions in id order (page with ``after_id`` = the last id you got), of
    one item and/or one model version: ``model`` as a spec (``"blank@champion"``,
    ``"blank@2"``, what every command takes), or ``model_id``, the registry's number;
    ModelNotFound for a spec the registry does not know."""
    if model is not None:
        from ..registry import get_model

        found = get_model(ws, model).id
        if model_id is not None and model_id != found:
            raise ModelNotFound(f"{model!r} is model id {found}, not {model_id}",
                                hint="give model or model_id, not both")
        model_id = found
    t = ws.store.t.predictions
    q = sa.select(t).where(t.c.id > after_id).order_by(t.c.id).limit(max(1, min(limit, 1000)))
    if item_id is not None:
        q = q.where(t.c.item_id == item_id)
    if model_id is not None:
        q = q.where(t.c.model_id == model_id)
    with ws.store.read() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


def _finish(writer: RunWriter, status: str, *, quiet: bool = False) -> bool:
    """Record the end of the run as ``status``. If that fails, the failure is logged and
    the run is marked ``failed`` instead (so it never stays "running"), without hiding an
    error already on its way up. Returns whether the run's end is recorded. ``quiet``:
    the database is known to be unreachable (the error on its way up says so): failing
    to reach it again is not logged, nor tried a second time."""
    try:
        writer.finish(status)
        return True
    except Exception as exc:  # noqa: BLE001 - logged; an error on its way up must not be lost
        if quiet and isinstance(exc, DatabaseUnavailable):
            return False
        log.error("run %s: recording it as %s failed: %s", writer.run_id, status,
                  reason_for(exc))
    try:
        writer.finish("failed")
        log.error("run %s is marked failed", writer.run_id)
        return True
    except Exception as exc:  # noqa: BLE001 - logged, and the caller says so
        log.error("run %s: marking it failed failed too: %s; the next glamlab run of this "
                  "model takes it over", writer.run_id, reason_for(exc))
        return False


def run_failures(ws: Workspace, run_id: int, *, limit: int | None = None) -> list[dict[str, Any]]:
    """The items a run could not predict, with the reason."""
    t = ws.store.t
    with ws.store.read() as conn:
        if conn.execute(sa.select(t.runs.c.id).where(t.runs.c.id == run_id)).first() is None:
            raise RunError(f"no run {run_id}", hint="list the runs with glamlab runs")
        q = (sa.select(t.run_failures.c.item_id, t.run_failures.c.reason,
                       t.run_failures.c.created_at)
             .where(t.run_failures.c.run_id == run_id).order_by(t.run_failures.c.id))
        if limit:
            q = q.limit(limit)
        return [{"item_id": r.item_id, "reason": r.reason, "at": r.created_at}
                for r in conn.execute(q)]


def status_words(status: str, failed: int) -> str:
    """A run's status as a person reads it: a run that finished with failed items says
    how many ("done, 2 failed"), not a bare "done"."""
    if status == "done" and failed:
        return f"done, {failed:,} failed"
    return status


def list_runs(ws: Workspace, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Runs, newest first, with status, counts, throughput and model version."""
    from ..store import now

    t = ws.store.t
    q = (sa.select(t.runs, t.models.c.name, t.models.c.version)
         .join(t.models, t.models.c.id == t.runs.c.model_id, isouter=True)
         .order_by(t.runs.c.id.desc()))
    if limit:
        q = q.limit(limit)
    out = []
    with ws.store.read() as conn:
        for r in conn.execute(q):
            end = r.finished_at or r.heartbeat_at or now()
            # working time: a resumed run's pauses (stored when it was resumed) left out
            paused = float((r.query or {}).get("paused_s") or 0.0)
            seconds = max((end - r.started_at).total_seconds() - paused, 0.0)
            # a run whose process is gone (killed, or its database went away) is shown
            # as what the next run makes of it: stopped, resumable
            status = "stopped" if r.status == "running" and not holds_lease(ws.store, r) \
                else r.status
            out.append({
                "run_id": r.id, "model": f"{r.name}@{r.version}" if r.name else None,
                "model_id": r.model_id, "status": status, "engine": r.engine,
                "workers": r.workers, "items": (r.query or {}).get("items", ""),
                "planned": r.planned, "done": r.done, "failed": r.failed,
                "status_words": status_words(status, r.failed),
                "remaining": max(r.planned - r.done - r.failed, 0),
                "items_per_s": round((r.done + r.failed) / seconds, 1) if seconds else None,
                "owner": r.owner, "heartbeat_at": r.heartbeat_at,
                "started_at": r.started_at, "finished_at": r.finished_at,
            })
    return out
