"""Progress for long jobs: a bar in a terminal, a line every few seconds elsewhere."""

from __future__ import annotations

import functools
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any, ParamSpec, TypeVar

_P = ParamSpec("_P")
_R = TypeVar("_R")

_LOCK = threading.Lock()
_LAST_LINE = [time.monotonic()]  # when a progress line (or a person's message) was last shown
_BEATING: list[Heartbeat] = []  # the heartbeats under way, the innermost last
_WATCHED = threading.local()  # the Watch of this thread's work (a web job), if any


def with_article(word: str) -> str:
    """``word`` with its indefinite article: "a single-label", "an image"."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def plural(count: int, word: str, many: str | None = None) -> str:
    """``word`` for a count of 1, else ``many`` (by default ``word`` with an s): "1 item",
    "2 items", "1 entry", "2 entries"."""
    return word if count == 1 else many or word + "s"


def review_time(hours: float | None) -> str:
    """How long the review takes, as a person says it: "under a minute", "about 12
    minutes", "about 3.5 hours" (not "about 0.0 hours"): act's report and the web pages."""
    minutes = (hours or 0) * 60
    if minutes < 1:
        return "under a minute"
    if minutes < 59.5:
        return f"about {minutes:.0f} minute{'s' if round(minutes) != 1 else ''}"
    return f"about {hours:.1f} hours"


def seconds_words(seconds: float) -> str:
    """A wait as a person says it: "a few seconds", "about 40 seconds", "about 3
    minutes", "about 1.5 hours" (the web's "started ... ago", "took ... last time")."""
    if seconds < 10:
        return "a few seconds"
    if seconds < 59.5:
        return f"about {seconds:.0f} seconds"
    if seconds < 59.5 * 60:
        return review_time(seconds / 3600)
    return f"about {seconds / 3600:.1f} hours"


def label_list(labels: Sequence[str]) -> str:
    """Labels as one list in words: ``a, b, c``; between ``|`` where a label itself holds a
    comma (``people | emotions, concepts and ideas``), as ``glamlab init --labels`` takes
    them, so that no label reads as two; a single label that holds a comma in quotes
    (``'emotions, concepts and ideas'``), which read bare is a list of three."""
    if len(labels) == 1 and "," in str(labels[0]):
        return repr(str(labels[0]))
    return (" | " if any("," in str(x) for x in labels) else ", ").join(map(str, labels))


def rate_words(per_s: float) -> str:
    """A rate for a line of text: whole numbers from 10 a second, two significant digits
    below (a slow run of 3 pages in 6.5 s is 0.46/s, not 0/s)."""
    return f"{per_s:,.0f}" if per_s >= 10 or per_s <= 0 else f"{per_s:.2g}"


def touch() -> None:
    """Say that a line was just shown (a :class:`Heartbeat` then waits before its next)."""
    _LAST_LINE[0] = time.monotonic()


def time_left(seconds: float) -> str:
    """Time still to wait, as a person says it: "a few seconds left", "about 40 seconds
    left", "about 3 minutes left", "about 1.5 hours left"."""
    if seconds < 10:
        return "a few seconds left"
    if seconds < 55:
        return f"about {round(seconds, -1):.0f} seconds left"
    minutes = seconds / 60
    if minutes < 59.5:
        return f"about {minutes:.0f} minute{'s' if round(minutes) != 1 else ''} left"
    return f"about {minutes / 60:.1f} hours left"


class Watch:
    """Progress told to a person who is not at a terminal (a web job's status line): the
    :class:`Progress` counts and :class:`Heartbeat` notes of the work done in this thread
    while :func:`watching` holds, with the step the caller names (:func:`step`), as one
    line of plain words handed to ``say`` at most every ``every`` seconds (a new step at
    once), so a job's status changes as it goes without a write per item.

    The line: ``step: what is being done now, count, time left`` (or, while nothing is
    counted, how long the step has taken so far)."""

    def __init__(self, say: Callable[[str], None], *, every: float = 1.0):
        self.say = say
        self.every = every
        self.step = ""
        self.note = ""  # the innermost heartbeat's words (a model being fitted)
        self.count = ""  # the innermost count's words (1,200 of 3,000 items, time left)
        self.since = ""  # how long the heartbeat's step has taken: "40 seconds so far"
        self._last = -float("inf")
        self._said: str | None = None
        self._lock = threading.Lock()

    def due(self) -> bool:
        return time.monotonic() - self._last >= self.every

    def line(self) -> str:
        # a note the step says already ("training tfidf" in "training tfidf (1 of 2)")
        # is not said twice
        note = "" if self.note and self.note in self.step else self.note
        now = ", ".join(x for x in (note, self.count or self.since) if x)
        return ": ".join(x for x in (self.step, now) if x)

    def tell(self, *, force: bool = False, **parts: str) -> None:
        """Change ``step``, ``note`` or ``count``; say the line when ``force`` or due."""
        for k, v in parts.items():
            setattr(self, k, v)
        if not (force or self.due()):
            return
        with self._lock:
            text = self.line()
            if not text or text == self._said:
                return
            self._last = time.monotonic()
            self._said = text
        self.say(text)


@contextmanager
def watching(say: Callable[[str], None], *, every: float = 1.0) -> Iterator[Watch]:
    """Hand the progress of the work done inside (in this thread) to ``say``, as plain
    words, at most every ``every`` seconds (:class:`Watch`): what a web job's message
    shows. Counting costs no more than without it: the words are made when they are due.

    >>> lines = []
    >>> with watching(lines.append):
    ...     step("model 1 of 2 (majority)")
    >>> lines
    ['model 1 of 2 (majority)']
    """
    w = Watch(say, every=every)
    outer = getattr(_WATCHED, "w", None)
    _WATCHED.w = w
    try:
        yield w
    finally:
        _WATCHED.w = outer


def watched() -> Watch | None:
    """The :class:`Watch` of this thread's work, or None (nobody watches)."""
    return getattr(_WATCHED, "w", None)


def step(text: str) -> None:
    """Name the step under way for a :class:`Watch` (said at once); nothing otherwise."""
    w = watched()
    if w is not None:
        w.tell(step=text, note="", count="", since="", force=True)


def own_steps(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """``fn``'s :func:`step` calls stand for its caller's step while it runs; the
    caller's is said again after it (act proposing thresholds with ``optimise``: its
    "step 3 of 3" is not left showing while act goes on writing)."""

    @functools.wraps(fn)
    def inside(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        w = watched()
        before = w.step if w is not None else ""
        try:
            return fn(*args, **kwargs)
        finally:
            if w is not None and before:
                w.tell(step=before, note="", count="", since="", force=True)

    return inside


class Progress:
    """Count work done. In a terminal, a tqdm bar (count, rate, ETA); in a log, a
    line every ``interval`` seconds; with ``enabled=False``, nothing."""

    def __init__(
        self,
        desc: str,
        *,
        total: int | None = None,
        unit: str = "items",
        unit_one: str | None = None,
        stream: IO[str] | None = None,
        interval: float = 5.0,
        enabled: bool = True,
        said: str | None = None,
    ):
        self.desc = desc
        # what a Watch says of the count, after it: "predicted" for "1,200 of 3,000 items
        # predicted" (None: the count follows the desc)
        self.said = said
        self.total = total
        self.unit = unit
        self.unit_one = unit_one or unit.removesuffix("s")  # the line for a count of 1
        self.stream = stream or sys.stderr
        self.interval = interval
        self.enabled = enabled
        self.n = 0
        self.problems = 0  # work that failed: counted apart, never as items done
        self._start = time.monotonic()
        self._last = self._start
        # when the first work came in, and how much: the rate counts from there, so the
        # time a job takes to start (workers loading a model) does not make its first
        # lines promise an hour for a few minutes' work
        self._first: tuple[float, int] | None = None
        self._bar: Any = None
        self._watch = watched()
        if enabled and _isatty(self.stream):
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=desc, unit=f" {unit}", file=self.stream,
                             dynamic_ncols=True, leave=True)

    def update(self, n: int = 1, *, problems: int = 0) -> None:
        """``n`` more done; ``problems`` more that failed (shown apart: "3 items, 1
        problem", never counted as items)."""
        if self._first is None and (n or problems):
            self._first = (time.monotonic(), self.n + n)
        self.n += n
        self.problems += problems
        w = self._watch
        if w is not None and w.due():
            w.tell(count=self.words())
        if not self.enabled:
            return
        if self._bar is not None:
            if problems:
                self._bar.set_postfix_str(f"{self.problems:,} "
                                          f"{plural(self.problems, 'problem')}", refresh=False)
            self._bar.update(n)
            touch()  # the bar is on screen: a heartbeat does not talk over it
            return
        t = time.monotonic()
        if t - self._last >= self.interval:
            self._last = t
            self._line()

    def _rate(self) -> tuple[float, bool]:
        """Items per second, and whether it is measured on the work itself (since the
        first work came in, start-up left out), so that a time left can be told from it;
        until then, the count over the time since the start."""
        t = time.monotonic()
        if self._first is not None:
            t1, n1 = self._first
            if t > t1 and self.n > n1:
                return (self.n - n1) / (t - t1), True
        return self.n / max(t - self._start, 1e-9), False

    def words(self) -> str:
        """The count in plain words: "predicting with majority: 1,200 of 3,000 items,
        about 1 minute left", or with ``said``: "1,200 of 3,000 items predicted, about 1
        minute left" (what a :class:`Watch` says)."""
        rate, measured = self._rate()
        msg = f"{self.n:,}" if self.said else f"{self.desc}: {self.n:,}"
        msg += f" of {self.total:,} {self.unit}" if self.total else (
            f" {self.unit_one if self.n == 1 else self.unit}")
        if self.said:
            msg += f" {self.said}"
        if not self.total:
            msg += " so far"
        if self.problems:
            msg += f", {self.problems:,} {plural(self.problems, 'problem')}"
        if self.total and rate > 0 and measured and self.n < self.total:
            msg += f", {time_left((self.total - self.n) / rate)}"
        return msg

    def _line(self) -> None:
        rate, measured = self._rate()
        msg = f"{self.desc}: {self.n:,}"
        if self.total:
            msg += f"/{self.total:,}"
        msg += f" {self.unit_one if self.n == 1 and not self.total else self.unit}"
        if self.problems:
            msg += f", {self.problems:,} {plural(self.problems, 'problem')}"
        msg += f", {rate_words(rate)}/s"
        if self.total and rate > 0 and measured:
            msg += f", ETA {(self.total - self.n) / rate:,.0f} s"
        print(msg, file=self.stream, flush=True)
        touch()

    def close(self) -> None:
        if self._watch is not None:  # the count ends: the step's words, without it
            self._watch.count = ""
            self._watch = None
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self.enabled and (self.n or self.problems):
            self._line()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._start


class Heartbeat:
    """For a step that cannot count its work (fitting a model): a line saying what it is
    doing and for how long whenever nothing was shown for ``interval`` seconds (progress
    lines and :func:`touch` count), so a person (or a log) never waits in silence.
    ``note(text)`` changes what the line says. Inside another heartbeat (``evaluate``
    choosing a model by refitting it), only the inner one speaks: it says what is being
    done now.

    >>> with Heartbeat("training language", enabled=True) as beat:
    ...     beat.note("cross-validating the weights")
    """

    def __init__(self, desc: str, *, stream: IO[str] | None = None, interval: float = 5.0,
                 enabled: bool = True):
        self.desc = desc
        self.stream = stream or sys.stderr
        self.interval = interval
        self.enabled = enabled
        self._start = time.monotonic()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._watch: Watch | None = None
        self._outer_note = ""

    def note(self, text: str) -> None:
        self.desc = text
        if self._watch is not None:
            self._watch.tell(note=text, count="", since="", force=True)

    def _beat(self) -> None:
        while not self._done.wait(min(1.0, self.interval)):
            w = self._watch
            if w is not None:  # a long fit: how long so far, in words
                w.tell(since=f"{_for(time.monotonic() - self._start)} so far")
            if not self.enabled:
                continue
            with _LOCK:  # nested heartbeats: one line, the innermost's, not one each
                if _BEATING and _BEATING[-1] is not self:
                    continue
                # silence counted from the last line or the step's start, whichever is
                # later: a step begun after a long quiet spell (a command's imports, an
                # earlier step) does not speak after one second
                if time.monotonic() - max(_LAST_LINE[0], self._start) >= self.interval:
                    print(f"{self.desc}: still working, "
                          f"{time.monotonic() - self._start:,.0f} s", file=self.stream,
                          flush=True)
                    touch()

    def __enter__(self) -> Heartbeat:
        self._watch = watched()
        if self._watch is not None:
            self._outer_note = self._watch.note
            self._watch.tell(note=self.desc, count="", since="", force=True)
        if self.enabled or self._watch is not None:
            if self.enabled:
                with _LOCK:
                    _BEATING.append(self)
            self._thread = threading.Thread(target=self._beat, name="glamlab-heartbeat",
                                            daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
            with _LOCK:
                if self in _BEATING:
                    _BEATING.remove(self)
        if self._watch is not None:
            self._watch.note = self._outer_note
            self._watch.since = ""
            self._watch = None


def _for(seconds: float) -> str:
    """A time taken so far, in words: "40 seconds", "3 minutes"."""
    if seconds < 90:
        return f"{seconds:.0f} second{'s' if round(seconds) != 1 else ''}"
    return f"{seconds / 60:.0f} minutes"


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
