"""What the web app keeps in memory between requests: skipped items, queue counts, and
the background thread that works out slow stage results."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from .. import review
from ..errors import GlamlabError
from ..said import said_on_the_web

if TYPE_CHECKING:
    from ..workspace import Workspace

log = logging.getLogger(__name__)


class SkipSets:
    """Items a user skipped while labelling (in memory, per user, bounded)."""

    def __init__(self) -> None:
        self._sets: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def add(self, user: str, item_id: str) -> None:
        with self._lock:
            s = self._sets.setdefault(user, [])
            s.append(item_id)
            del s[:-500]

    def get(self, user: str) -> list[str]:
        with self._lock:
            return list(self._sets.get(user, []))


class QueueCounts:
    """Open-queue counts for the page header, without a full count on every request.

    Counting a million open rows takes longer than the whole page may. The full count runs
    again when new queue rows appear (:func:`glamlab.review.queue_version`, a cheap
    ``max(id)``) or every ``ttl_s`` seconds; between, decisions made through this app
    adjust it in place, and the other actions of this app that change the queue ("Whole
    text checked" and its undo, labels, the jobs: applying the policy, an ingest) call
    :meth:`invalidate`, so the next page counts again. Decisions made by another process
    show within ``ttl_s`` seconds.
    """

    def __init__(self, ws: Workspace, ttl_s: float = 10.0):
        self.ws = ws
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._at = 0.0
        self._key: Any = None
        self._counts: dict[str, Any] = {}
        self._gen = 0  # bumped by every decision, so a count that raced one is not kept

    def get(self) -> dict[str, Any]:
        key = review.queue_version(self.ws)
        with self._lock:
            if key == self._key and time.monotonic() - self._at < self.ttl_s:
                return {**self._counts, "by_label": dict(self._counts["by_label"])}
            gen = self._gen
        counts = review.queue_counts(self.ws)
        with self._lock:
            if gen == self._gen:
                self._key, self._at, self._counts = key, time.monotonic(), counts
            else:  # a decision landed while counting: this count may predate it
                self._key, self._at, self._counts = None, 0.0, {}
        return {**counts, "by_label": dict(counts["by_label"])}

    def invalidate(self) -> None:
        """Forget the counts: the next :meth:`get` counts again (a count under way when
        this is called is not kept)."""
        with self._lock:
            self._gen += 1
            self._key, self._at, self._counts = None, 0.0, {}

    def decided(self, results: list[dict[str, Any]]) -> None:
        """Adjust the counts for the queue rows just decided (``results`` as
        :func:`glamlab.review.decide_many` gives them, each with the rows it decided with
        it, ``settled``), by :func:`glamlab.review.queue_counts`' rules: each row decided
        is one suggestion decided, and leaves the open count only if it was in it, i.e.
        not settled by a gold label (``settled_by_gold``; the rows decided with a row
        share its text, and with it whether its gold settles them). A row of which that
        is not known (the rows an added entity decided) makes the next :meth:`get` count
        again."""
        with self._lock:
            self._gen += 1
            if not self._counts:
                return
            # queue id -> (settled by a gold label: None where not known, predicted label)
            rows: dict[int, tuple[bool | None, str]] = {}
            for r in results:
                for x in [r, *(r.get("settled") or [])]:
                    if x.get("ok"):
                        rows[int(x["queue_id"])] = (r.get("settled_by_gold"),
                                                    str(x.get("predicted")))
            if any(by_gold is None for by_gold, _ in rows.values()):
                self._key, self._at, self._counts = None, 0.0, {}
                return
            for by_gold, lab in rows.values():
                self._counts["decisions"] += 1
                if by_gold:
                    self._counts["settled_by_gold"] -= 1
                    continue
                self._counts["open"] -= 1
                if lab in self._counts["by_label"]:
                    self._counts["by_label"][lab] -= 1


class Refresher:
    """Works out slow stage results (monitoring, the policy's dry run) in one background
    thread, one name at a time, so a page can show the stored result at once. Asking for a
    name already waiting or running does nothing."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, Any] = {}
        self._running: str | None = None
        self._started = 0.0  # when the one running started (time.monotonic)
        self._thread: threading.Thread | None = None
        #: name -> (message, hint) of its last try, when that failed (:meth:`take_error`)
        self.errors: dict[str, tuple[str, str | None]] = {}

    def __call__(self, name: str, fn: Any) -> None:
        with self._lock:
            if name == self._running or name in self._pending:
                return
            self._pending[name] = fn
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="glamlab-refresh",
                                                daemon=True)
                self._thread.start()

    def take_error(self, name: str) -> tuple[str, str | None] | None:
        """Why the last try at ``name`` failed (message, hint), once: a page shows it
        instead of asking again, and the next look asks again (a fix may have come)."""
        with self._lock:
            if name == self._running or name in self._pending:
                return None
            return self.errors.pop(name, None)

    def progress(self, name: str) -> dict[str, Any] | None:
        """``{"seconds": how long it has been worked on}`` while ``name`` runs, ``{"waiting":
        how many are worked out before it}`` while it waits, None otherwise."""
        with self._lock:
            if name == self._running:
                return {"seconds": time.monotonic() - self._started}
            if name in self._pending:
                return {"waiting": list(self._pending).index(name)
                        + (self._running is not None)}
            return None

    def busy(self) -> bool:
        with self._lock:
            return bool(self._pending) or self._running is not None

    def wait(self, timeout: float = 600.0) -> bool:
        """Wait until nothing is waiting or running (tests, benchmarks); False on timeout."""
        deadline = time.monotonic() + timeout
        while self.busy():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def _work(self) -> None:
        while True:
            with self._lock:
                if not self._pending:
                    self._running = None
                    return
                name, fn = next(iter(self._pending.items()))
                del self._pending[name]
                self._running, self._started = name, time.monotonic()
            try:
                # a refusal's fix in the pages' words: this thread does not inherit the
                # voice of the request that asked (SaidOnTheWeb), as the jobs' thread does not
                with said_on_the_web():
                    fn()
                self.errors.pop(name, None)
            except GlamlabError as exc:  # shown on the page, the app carries on
                log.warning("working out %s failed: %s", name, exc)
                # the hint in the pages' words: one naming a command ("glamlab migrate",
                # "--window week") becomes what to do on the pages or on the server
                from .words import web_hint

                self.errors[name] = (exc.message, web_hint(exc.hint))
            except Exception as exc:  # noqa: BLE001 - the page says so; the log has the rest
                log.exception("working out %s failed", name)
                self.errors[name] = (f"an unexpected error ({type(exc).__name__})",
                                     "reload the page to try again; if it fails again, the "
                                     "server's log says more (ask whoever runs glamlab)")
