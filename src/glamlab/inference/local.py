"""The local engine: worker processes that each load the model once.

The parent process is the single writer. It hands batches to idle workers, stores each
result as soon as it arrives, and watches the workers: a batch that runs past its time
limit, or whose worker dies (a segfault in a decoder, the out-of-memory killer), is
split into single items and retried; an item that still times out or kills its worker
is recorded as a failure and the run goes on with a fresh worker.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from typing import TYPE_CHECKING, Any

from ..errors import RunError
from .worker import (
    Failure,
    ItemRow,
    ModelRef,
    Row,
    predict_batch,
    stop_step,
    to_items,
    worker_main,
)

if TYPE_CHECKING:
    from ..predictors.base import Predictor

OnResult = Callable[[list["Row"], list["Failure"]], None]


@dataclass
class _Task:
    id: int
    items: list[ItemRow]


@dataclass
class _Slot:
    proc: Any
    conn: Any
    task: _Task | None = None
    started: float = 0.0
    ready: bool = False
    waiting: list[Any] = field(default_factory=list)


def _context() -> Any:
    """Workers start from a clean process, never by forking this one: a process that has
    trained a model may hold OpenMP or BLAS thread pools (scikit-learn's gradient boosting,
    torch), and a forked child that touches them hangs for ever. forkserver forks each
    worker from a small single-threaded server instead (spawn where there is none)."""
    if sys.platform.startswith("linux"):
        ctx = mp.get_context("forkserver")
        # import the heavy, fork-safe modules once in the server, not in every worker
        # (importing starts no OpenMP thread pool; only running a model does)
        ctx.set_forkserver_preload(PRELOAD)
        return ctx
    return mp.get_context("spawn")


def _start_server(ctx: Any) -> None:
    """Start the forkserver (when this context uses one) deaf to Ctrl-C and SIGTERM.

    Ctrl-C reaches the whole process group. The forkserver only starts ignoring it once
    it has imported :data:`PRELOAD` (seconds: numpy, scikit-learn), so a Ctrl-C in the
    first seconds of a run killed it with a traceback, and the run, unable to start a
    worker, was marked failed instead of stopped (and not resumable). Ignored while the
    server is started, the two signals stay ignored in it (an ignored signal stays so
    across exec) and in the workers it forks, which ignore them anyway: the parent alone
    decides when to stop. Only the parent's own handlers are set aside, for the moment
    it takes to start the server process (not for its imports)."""
    import signal
    import threading

    if ctx.get_start_method() != "forkserver" or \
            threading.current_thread() is not threading.main_thread():
        return
    from multiprocessing import forkserver

    old = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        forkserver.ensure_running()
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


PRELOAD = ["glamlab.inference.worker", "glamlab.predictors.base", "glamlab.registry",
           "glamlab.workspace", "numpy", "sqlalchemy", "sklearn.base", "PIL.Image"]


@contextmanager
def _main_not_a_file() -> Iterator[None]:
    """A worker imports the calling script from ``__main__.__file__`` (multiprocessing
    does); a script read from stdin (``python - < script.py``, a heredoc, a pipe) has
    ``"<stdin>"`` there, a file no worker can read: each one died with FileNotFoundError
    and the run stopped after its workers' start, with the advice for a notebook. Such a
    script is given to the workers as a notebook is, without a file to import (it has
    nothing a worker could re-run)."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if (main is None or not isinstance(path, str) or not path.startswith("<")
            or getattr(main, "__spec__", None) is not None):
        yield
        return
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


class _Interrupted(BaseException):
    """Raised inside the inline prediction by the watchdog's alarm (a BaseException, so
    the predictor's own ``except Exception`` cannot swallow it)."""

    def __init__(self, why: str, signum: int | None = None):
        super().__init__(why)
        self.why = why
        self.signum = signum


class _Watchdog:
    """Time limits and stop signals for prediction in this process (``workers=0``).

    An alarm (``SIGALRM``) interrupts a batch that runs past its limit: Python code and
    the ``re`` module check for signals, so a regular expression that backtracks for ever
    is stopped too. SIGTERM/SIGINT interrupt the batch at once (it is lost, never half
    written) and the run stops, resumable. Needs the main thread; elsewhere (a web
    worker thread) it watches nothing and :func:`run_inline` has no time limit."""

    def __init__(self, timeout: float | None, should_stop: Callable[[], bool]):
        import threading

        self.timeout = timeout
        self.should_stop = should_stop
        self.enabled = threading.current_thread() is threading.main_thread()
        self._old: dict[int, Any] = {}
        self._armed = False

    def __enter__(self) -> _Watchdog:
        import signal

        if self.enabled:
            self._old[signal.SIGALRM] = signal.signal(signal.SIGALRM, self._on_alarm)
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._old[sig] = signal.signal(sig, self._on_stop)
        return self

    def __exit__(self, *exc: object) -> None:
        import signal

        if self.enabled:
            signal.setitimer(signal.ITIMER_REAL, 0)
            for sig, old in self._old.items():
                signal.signal(sig, old)

    def _on_alarm(self, signum: int, frame: Any) -> None:
        if self._armed:
            raise _Interrupted("timeout")

    def _on_stop(self, signum: int, frame: Any) -> None:
        raise _Interrupted("stop", signum)

    def predict(self, predictor: Predictor, items: list[Any], kind: Any,
                limit: float | None) -> tuple[list[Row], list[Failure]]:
        import signal

        if not self.enabled or not limit:
            return predict_batch(predictor, items, kind)
        self._armed = True
        signal.setitimer(signal.ITIMER_REAL, limit)
        try:
            return predict_batch(predictor, items, kind)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            self._armed = False


class InlineStopped(Exception):
    """A stop signal arrived while predicting in this process; the batch was dropped.
    ``signum``: the signal (SIGINT for Ctrl-C, SIGTERM)."""

    def __init__(self, why: str, signum: int | None = None):
        super().__init__(why)
        self.signum = signum


def run_inline(predictor: Predictor, ref: ModelRef, batches: Iterator[list[ItemRow]],
               on_result: OnResult, should_stop: Callable[[], bool],
               tick: Callable[[], None], timeout: float | None = None) -> None:
    """Predict in this process (``workers=0``), handy in a debugger or a notebook.

    ``timeout`` (seconds per item) is enforced by an alarm in the main thread: a batch
    past ``timeout`` x its size is retried item by item, and an item past ``timeout`` is
    recorded as failed. SIGTERM or Ctrl-C stops at once (:class:`InlineStopped`): the
    parts of the batch in flight predicted before it (:func:`stop_step` items at a
    time) are stored, the part in flight is dropped; the run stays resumable. A stop
    asked by ``should_stop`` alone takes effect at the next part."""
    with _Watchdog(timeout, should_stop) as dog:
        for batch in batches:
            rows: list[Row] = []
            failures: list[Failure] = []
            step = stop_step(predictor)
            for lo in range(0, len(batch), step):
                if lo and should_stop():
                    break  # the rest of the batch stays unpredicted, for --resume
                try:
                    r, f = _predict_part(dog, predictor, ref, batch[lo:lo + step],
                                         timeout, rows, failures)
                except InlineStopped:
                    if rows or failures:  # the parts predicted before the signal are kept
                        on_result(rows, failures)
                    raise
                rows.extend(r)
                failures.extend(f)
            on_result(rows, failures)
            tick()
            if should_stop():
                return


def _predict_part(dog: _Watchdog, predictor: Predictor, ref: ModelRef, part: list[ItemRow],
                  timeout: float | None, rows: list[Row], failures: list[Failure],
                  ) -> tuple[list[Row], list[Failure]]:
    """Predict ``part`` of a batch (:func:`stop_step` items) under the watchdog: past
    ``timeout`` x its size it is retried item by item. A stop signal raises
    :class:`InlineStopped`, after adding to ``rows`` and ``failures`` the items of this
    part predicted one by one before it."""
    items = to_items(part, ref.cache_dir, ref.fetch_policy)
    limit = timeout * len(items) if timeout else None
    try:
        return dog.predict(predictor, items, ref.kind, limit)
    except _Interrupted as exc:
        if exc.why == "stop":
            raise InlineStopped("stopped by a signal", exc.signum) from None
    for item in items:  # find the slow item(s)
        try:
            r, f = dog.predict(predictor, [item], ref.kind, timeout)
        except _Interrupted as inner:
            if inner.why == "stop":
                raise InlineStopped("stopped by a signal", inner.signum) from None
            r, f = [], [(item.item_id, f"the predictor took longer than "
                                       f"{timeout:g} s on this item (timed out)")]
        rows.extend(r)
        failures.extend(f)
    return [], []


class LocalPool:
    def __init__(self, ref: ModelRef, workers: int, timeout: float | None):
        self.ref = ref
        self.workers = max(1, workers)
        self.timeout = timeout
        # each worker's share of the cores for its numerical libraries: N workers with
        # every core each would fight over them (and onnxruntime, OpenMP and BLAS pools
        # slow down badly when oversubscribed)
        self.threads = max(1, (os.cpu_count() or 1) // self.workers)
        self.ctx = _context()
        # set when the run is to stop: each worker then hands back the part of its batch
        # predicted so far (the rest stays unpredicted, for --resume), not the whole batch
        self.stop = self.ctx.Event()
        self.slots: list[_Slot] = []
        self._per_item: float | None = None  # usual seconds per item, once seen

    def _start(self) -> _Slot:
        parent, child = self.ctx.Pipe(duplex=True)
        proc = self.ctx.Process(target=worker_main, args=(self.ref, child, self.threads, self.stop),
                                daemon=True, name="glamlab-run-worker")
        with _main_not_a_file():
            proc.start()
        child.close()
        return _Slot(proc=proc, conn=parent)

    def _stop_slot(self, slot: _Slot, *, kill: bool) -> None:
        if kill:
            slot.proc.kill()
        else:
            try:
                slot.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        slot.proc.join(timeout=None if kill else 10)
        if slot.proc.is_alive():
            slot.proc.kill()
            slot.proc.join()
        slot.conn.close()

    def close(self, *, kill: bool = False) -> None:
        for slot in self.slots:
            self._stop_slot(slot, kill=kill or slot.task is not None)
        self.slots = []

    def run(self, batches: Iterator[list[ItemRow]], on_result: OnResult,
            should_stop: Callable[[], bool], tick: Callable[[], None]) -> None:
        """Predict every batch. The parent never leaves a worker idle while it stores:
        a worker that hands back a result gets its next batch before the result is
        written, and the batch after that is read from the plan while the workers
        predict. So the worker and the writer run side by side, and a kill -9 still
        loses at most one batch per worker (the one it holds) plus results not yet
        committed."""
        self._retry: deque[_Task] = deque()
        self._source = iter(batches)
        self._ahead: list[ItemRow] | None = None  # the next batch, read ahead
        self._exhausted = False
        self._next_id = 0
        self._should_stop = should_stop
        _start_server(self.ctx)
        self.slots = [self._start() for _ in range(self.workers)]
        try:
            while True:
                stopping = should_stop()
                if stopping and not self.stop.is_set():
                    self.stop.set()  # the workers stop at their next look (a few items)
                if not stopping:
                    for i, slot in enumerate(self.slots):
                        if slot.task is None:
                            self._dispatch(i)
                busy = [s for s in self.slots if s.task is not None]
                if not busy:
                    if stopping or self._drained():
                        return
                    continue
                self._read_ahead()
                ready = set(wait([s.conn for s in busy] + [s.proc.sentinel for s in busy],
                                 timeout=0.5))
                for slot in busy:
                    if slot.conn in ready or slot.conn.poll():
                        self._receive(slot, on_result)
                    elif slot.proc.sentinel in ready:
                        self._lost(slot, on_result,
                                   f"the worker process died (exit code {slot.proc.exitcode}) "
                                   "while predicting this item")
                    elif (self.timeout and slot.ready and slot.task is not None
                          and time.monotonic() - slot.started > self._limit(len(slot.task.items))):
                        self._lost(slot, on_result,
                                   f"the predictor took longer than {self.timeout:g} s on this "
                                   "item (timed out)")
                tick()
        finally:
            self.close(kill=True)

    def _read_ahead(self) -> None:
        if self._ahead is None and not self._exhausted:
            self._ahead = next(self._source, None)
            self._exhausted = self._ahead is None

    def _drained(self) -> bool:
        self._read_ahead()
        return self._ahead is None and not self._retry

    def _dispatch(self, i: int) -> None:
        """Hand the next task (retries first) to the idle worker ``self.slots[i]``."""
        if self._retry:
            task = self._retry.popleft()
        else:
            self._read_ahead()
            if self._ahead is None:
                return
            task = _Task(self._next_id, self._ahead)
            self._next_id += 1
            self._ahead = None
        slot = self.slots[i]
        if not slot.proc.is_alive():
            self._check_started(slot)
            self._stop_slot(slot, kill=True)
            slot = self.slots[i] = self._start()
        try:
            slot.conn.send((task.id, task.items))
        except OSError:  # BrokenPipeError, ConnectionResetError: it died just now
            slot.proc.join(timeout=5)
            self._check_started(slot)
            self._retry.appendleft(task)  # never reached the worker: nothing to split
            self._stop_slot(slot, kill=True)
            self.slots[i] = self._start()
            return
        slot.task = task
        slot.started = time.monotonic()

    def _check_started(self, slot: _Slot) -> None:
        """A worker that exits with an error before it has loaded the model will not do
        better the next time: stop the run with the likely cause rather than retrying."""
        if not slot.ready and slot.proc.exitcode not in (None, 0):
            raise RunError(
                f"the worker process could not start (exit code {slot.proc.exitcode}) for "
                f"model {self.ref.spec}; its own error is printed above",
                hint="each worker starts a fresh Python that imports the script which called "
                     "glamlab: in a script, put the call under "
                     "'if __name__ == \"__main__\":'; in a notebook or a debugger, use "
                     "workers=0 (--workers 0), which predicts in this process") from None

    def _limit(self, n: int) -> float:
        """Seconds a batch of ``n`` items may take: ``timeout`` for one item; for a batch,
        ``timeout`` plus, per further item, ten times the usual time per item seen so
        far (capped at ``timeout``), so one hanging item is found in about ``timeout``
        seconds rather than ``timeout`` times the batch size."""
        assert self.timeout is not None
        per_item = self.timeout if self._per_item is None else min(self.timeout,
                                                                     10 * self._per_item)
        return self.timeout + (n - 1) * per_item

    def _receive(self, slot: _Slot, on_result: OnResult) -> None:
        while slot.conn.poll():
            try:
                msg = slot.conn.recv()
            except (EOFError, OSError):
                self._lost(slot, on_result,
                           f"the worker process died (exit code {slot.proc.exitcode}) "
                           "while predicting this item")
                return
            if msg[0] == "ready":
                slot.ready = True
                slot.started = time.monotonic()  # the time limit counts from here
            elif msg[0] == "init_error":
                raise RunError(msg[1], hint="check the model with glamlab evaluate, or retrain it")
            elif msg[0] == "result":
                rows, failures = msg[2], msg[3]
                partial = len(msg) > 4 and msg[4]  # stopped: the rest is not predicted
                if slot.task is not None and len(slot.task.items) > 1 and not failures \
                        and not partial:
                    took = (time.monotonic() - slot.started) / len(slot.task.items)
                    self._per_item = took if self._per_item is None else \
                        0.8 * self._per_item + 0.2 * took
                slot.task = None
                if not self._should_stop():  # keep the worker busy while this is stored
                    self._dispatch(self.slots.index(slot))
                on_result(rows, failures)
                return

    def _lost(self, slot: _Slot, on_result: OnResult, reason: str) -> None:
        """The worker holding ``slot.task`` timed out or died: replace it, split the batch."""
        task = slot.task
        if task is not None and not slot.ready:
            slot.proc.join(timeout=5)  # a closed pipe can come a moment before the exit code
            self._check_started(slot)
        idx = self.slots.index(slot)
        self._stop_slot(slot, kill=True)
        self.slots[idx] = self._start()
        if task is None:
            return
        if len(task.items) > 1:
            self._retry.extendleft(_Task(task.id, [item]) for item in reversed(task.items))
        else:
            on_result([], [(task.items[0][0], reason)])
