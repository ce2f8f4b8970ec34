"""``glamlab monitor``: compare recent windows of predictions with a reference.

Thresholds come from the reference period's own variability (as NannyML does): the
reference is cut into chunks the size of a window, each chunk is compared with the rest
of the reference, and the alert threshold is the mean + 3 standard deviations of those
chunk statistics (never below their 99th percentile). A window smaller than
``min_window`` items says "not enough data" instead of guessing.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa

from ..errors import GlamlabError
from ..progress import plural
from ..said import in_words
from ..store import now, utc_iso
from .signals import IMAGE_PRESET, TEXT_PRESET, Signal

if TYPE_CHECKING:
    from ..workspace import Workspace

ALERT_EXIT_CODE = 3
ADDED_SPAN_RATE = "added_span_rate"
#: the rate signals every monitor reports, (name, description)
RATES = (("override_rate", "Share of reviewed predictions that a person rejected or corrected"),
         ("failure_rate", "Share of items that failed in the run"))
#: an entities project's recall signal
ADDED_SPAN = (ADDED_SPAN_RATE, "Entities reviewers added because the model missed them, per "
              "reviewed text (a recall signal: the override rate only sees the spans the "
              "model found)")
EMBEDDING_KEY = "effnet-lite0-whole@1"  # glamlab.features.EffNetEmbedding().key


@dataclass
class MonitorConfig:
    reference: str = "test"  # test | first
    window: str = "run"  # run | day | week
    min_window: int = 30
    chunks: int = 30
    sigma: float = 3.0
    max_failure_rate: float = 0.02
    seed: int = 0

    @classmethod
    def from_card(cls, section: dict[str, Any], **override: Any) -> MonitorConfig:
        cfg = cls(**{k: v for k, v in section.items() if k in cls.__dataclass_fields__})
        for k, v in override.items():
            if v is not None:
                setattr(cfg, k, v)
        if cfg.reference not in ("test", "first"):
            raise GlamlabError(f"unknown reference {cfg.reference!r}",
                               hint="use reference = 'test' or 'first' in [monitor]")
        if cfg.window not in ("run", "day", "week"):
            raise GlamlabError(f"unknown window {cfg.window!r}", hint="use run, day or week")
        return cfg


@dataclass
class SignalResult:
    signal: str
    status: str  # ok | alert | not enough data | no data
    value: float | None = None
    threshold: float | None = None
    n: int = 0
    context: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"signal": self.signal, "status": self.status, "value": _num(self.value),
                "threshold": _num(self.threshold), "n": self.n,
                "context": {k: _num(v) for k, v in self.context.items()}}


@dataclass
class Window:
    key: str
    start: datetime | None
    end: datetime | None
    rows: list[dict[str, Any]]
    results: list[SignalResult] = field(default_factory=list)
    #: the same window's predictions left out of it: on training items (the model learnt
    #: from them) and on test items (the reference): a run over 4,566 texts shows as a
    #: window of the rest
    left_out: dict[str, int] = field(default_factory=dict)

    @property
    def alerts(self) -> list[SignalResult]:
        return [r for r in self.results if r.status == "alert"]


@dataclass
class MonitorReport:
    model: str
    reference: str
    reference_size: int
    windows: list[Window]
    signals: list[Signal]
    config: MonitorConfig
    rates: tuple[tuple[str, str], ...] = ()  # (name, description) of the rate signals

    @property
    def alerts(self) -> list[tuple[Window, SignalResult]]:
        return [(w, r) for w in self.windows for r in w.alerts]

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "reference": self.reference,
            "reference_size": self.reference_size,
            "min_window": self.config.min_window,
            "alert": bool(self.alerts),
            "alerts": [{"window": w.key, **r.to_dict()} for w, r in self.alerts],
            "signals": [{"name": s.name, "description": s.description} for s in self.signals]
            + [{"name": name, "description": words} for name, words in self.rates or RATES],
            # the first and last prediction's times as ``--json`` gives times: ...Z (UTC)
            "windows": [{"window": w.key, "start": utc_iso(w.start), "end": utc_iso(w.end),
                         "n": len(w.rows), "left_out": dict(w.left_out),
                         "results": [r.to_dict() for r in w.results]} for w in self.windows],
        }

    def table(self) -> list[dict[str, Any]]:
        """One flat row per (window, signal), in window order: ``window``, ``signal``,
        ``status`` (ok, alert, not enough data, no data), ``value`` (the drift statistic
        or rate), ``threshold`` (its alert level) and ``n`` (the window's values of that
        signal); ``pandas.DataFrame(report.table())`` reads it. The nested form, with each
        result's context, is :meth:`to_dict`'s ``windows``."""
        return [{"window": w.key, "signal": r.signal, "status": r.status,
                 "value": _num(r.value), "threshold": _num(r.threshold), "n": r.n}
                for w in self.windows for r in w.results]

    def summary(self) -> str:
        n = len(self.windows)
        lines = [f"Monitoring {self.model}: reference = {self.reference} "
                 f"({self.reference_size:,} items), {n} production window{'s' if n != 1 else ''}"
                 " (items outside the training and test splits)."]
        for w in self.windows:
            # the values are drift statistics, not brightness or ink: say so
            bad = ", ".join(_added_alert(r) if r.signal == ADDED_SPAN_RATE else
                            f"{r.signal} changed (drift statistic {r.value:.3f}, alert above "
                            f"{r.threshold:.3f})" for r in w.alerts)
            if bad:
                lines.append(f"  ALERT  {w.key} ({len(w.rows):,} items): {bad}")
            elif not any(r.status == "ok" for r in w.results):
                # no signal judged (too few values, or none: "no data"), so not "ok"
                lines.append(f"  -      {w.key} ({len(w.rows):,} items): not enough data "
                             f"(fewer than {self.config.min_window})")
            else:
                lines.append(f"  ok     {w.key} ({len(w.rows):,} items)")
            added = next((r for r in w.results if r.signal == ADDED_SPAN_RATE and r.n), None)
            if added is not None:
                lines.append("         " + added_span_words(added, self.config.min_window))
        if not self.windows:
            lines.append("No production predictions yet (items outside the training and test "
                         "splits): nothing to compare. Run the model over new material first.")
        elif self.alerts:
            lines.append("Something changed: look at the alerting windows before trusting their "
                         "predictions; consider more labels from the new material and "
                         "`glamlab retrain`.")
        else:
            lines.append("No drift beyond what the reference itself varies by.")
        return "\n".join(lines)


def _added_alert(r: SignalResult) -> str:
    return (f"reviewers added more missed entities than expected ({r.value:.2f} per "
            f"reviewed text, alert above {r.threshold:.2f})")


def added_span_words(r: SignalResult, min_window: int) -> str:
    """The added-span rate of one window in words: how many entities reviewers added (the
    model missed them) in how many reviewed texts, and what the test split led to expect."""
    k, n = int(r.context.get("added_spans", 0)), int(r.context.get("reviewed_texts", r.n))
    expected = r.context.get("expected")
    text = (f"reviewers added {k:,} entit{'y' if k == 1 else 'ies'} the model missed in "
            f"{n:,} reviewed text{'' if n == 1 else 's'} ({k / n:.2f} per text" if n else
            "no text reviewed yet (")
    if expected is not None and n:
        text += f"; about {expected:.2f} expected from the model's recall on the test split"
    text += ")"
    if r.status == "not enough data":
        text += f": too few reviewed texts to judge (fewer than {min_window})"
    elif r.status == "alert":
        text += ": more than expected, the model misses entities in this material"
    return text


def _num(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    try:
        f = float(v)
    except (TypeError, ValueError):
        return v
    return None if math.isnan(f) else round(f, 6)


# -- data ------------------------------------------------------------------------------
def _rows_for_model(ws: Workspace, model_id: int) -> list[dict[str, Any]]:
    t = ws.store.t
    q = (sa.select(t.predictions.c.item_id, t.predictions.c.label, t.predictions.c.labels,
                   t.predictions.c.score, t.predictions.c.run_id, t.predictions.c.created_at,
                   t.items.c.width, t.items.c.height, t.items.c.text, t.items.c.meta,
                   t.items.c.content_hash)
         .join(t.items, sa.and_(t.items.c.item_id == t.predictions.c.item_id,
                                t.items.c.is_current.is_(True)))
         .where(t.predictions.c.model_id == model_id)
         .order_by(t.predictions.c.created_at, t.predictions.c.id))
    rows = []
    with ws.store.read() as conn:
        for r in conn.execute(q):
            d = dict(r._mapping)
            w, h = d.pop("width"), d.pop("height")
            d["megapixels"] = (w * h / 1e6) if w and h else None
            text = d.pop("text")
            d["text_length"] = len(text) if text else None
            rows.append(d)
    return rows


def _attach_image_features(ws: Workspace, rows: list[dict[str, Any]],
                           note: Callable[[str], None] | None = None) -> None:
    """Brightness, ink ratio and the page-statistics vector per item, from the shared
    feature cache (computed once, reused by training, runs and here)."""
    from ..features import FEATURE_NAMES, PageStats, compute_features

    ids = list(dict.fromkeys(r["item_id"] for r in rows))
    items = list(ws.items(ids=ids))
    by_id: dict[str, np.ndarray] = {}
    # in slices, so that a first monitor (the pages' statistics not cached yet: about 30
    # pages a second) says how far it is
    step = 256
    for start in range(0, len(items), step):
        if note is not None:
            note(f"monitor: page statistics, {start:,} of {len(items):,} "
                 f"{plural(len(items), 'page')} (cached ones are read, the others computed)")
        result = compute_features(ws, items[start:start + step], PageStats())
        by_id.update((i, result.values[k]) for k, i in enumerate(result.item_ids))
    grey = FEATURE_NAMES.index("grey_mean")
    ink = FEATURE_NAMES.index("ink_frac")
    for r in rows:
        vec = by_id.get(r["item_id"])
        if vec is not None:
            r["brightness"] = float(vec[grey])
            r["ink_ratio"] = float(vec[ink])
            r["features"] = vec
    # embeddings are expensive: used when a model already cached them, never computed here
    from ..features.cache import _load

    raw = _load(ws.store, EMBEDDING_KEY, items)
    for r in rows:
        blob = raw.get(r["item_id"])
        if blob is not None:
            r["embedding"] = np.frombuffer(blob, dtype="<f4")


def _split_ids(ws: Workspace, trained_before: datetime | None = None
               ) -> tuple[set[str], set[str]]:
    """Ids of the test split and of the training split. With ``trained_before`` (the
    model's creation), only items split before it count as training: an item a reviewer
    labelled later was never seen by this model, so it stays in its production window
    (reviewing must not shrink the window until an alert disappears)."""
    t = ws.store.t
    test: set[str] = set()
    train: set[str] = set()
    with ws.store.read() as conn:
        for item_id, split, created in conn.execute(
                sa.select(t.splits.c.item_id, t.splits.c.split, t.splits.c.created_at)):
            if split == "test":
                test.add(item_id)
            elif trained_before is None or created is None or created <= trained_before:
                train.add(item_id)
    return test, train


def _windows(rows: list[dict[str, Any]], how: str) -> list[Window]:
    groups: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if how == "run":
            key: Any = f"run {r['run_id']}"
        else:
            ts: datetime = r["created_at"]
            start = datetime(ts.year, ts.month, ts.day)
            if how == "week":
                start -= timedelta(days=start.weekday())
            key = start
        groups[key].append(r)
    out = []
    for key, rs in groups.items():
        times = [r["created_at"] for r in rs]
        label = key if isinstance(key, str) else key.strftime("%Y-%m-%d")
        out.append(Window(label, min(times), max(times), rs))
    out.sort(key=lambda w: w.start or datetime.min)
    return out


# -- calibration -------------------------------------------------------------------------
def _calibrate(signal: Signal, ref_rows: list[dict[str, Any]], n_window: int,
               cfg: MonitorConfig, rng: np.random.Generator,
               note: Callable[[str], None] | None = None) -> float | None:
    """Threshold from the reference's own variability at this window size (``note``:
    told which chunk is being compared)."""
    n_ref = len(ref_rows)
    m = min(n_window, n_ref // 2)
    if m < cfg.min_window:
        return None
    values = []
    for k in range(cfg.chunks):
        if note is not None:
            note(f"reference chunk {k + 1} of {cfg.chunks}")
        idx = rng.permutation(n_ref)
        chunk = [ref_rows[i] for i in idx[:m]]
        rest = [ref_rows[i] for i in idx[m:]]
        a, b = _values(signal, rest), _values(signal, chunk)
        if signal.size(a) < cfg.min_window or signal.size(b) < cfg.min_window:
            return None
        v = signal.compare(a, b)["value"]
        if np.isfinite(v):
            values.append(v)
    if len(values) < max(5, cfg.chunks // 2):
        return None
    arr = np.array(values)
    return float(max(arr.mean() + cfg.sigma * arr.std(ddof=1), np.quantile(arr, 0.99)))


def _values(signal: Signal, rows: list[dict[str, Any]]) -> Any:
    v = signal.values(rows)
    return Counter(v) if signal.kind == "categorical" else v


# -- rates -------------------------------------------------------------------------------
def _override_rates(ws: Workspace, item_ids: list[str]) -> tuple[int, int]:
    t = ws.store.t
    overridden = total = 0
    with ws.store.read() as conn:
        for i in range(0, len(item_ids), 900):
            chunk = item_ids[i : i + 900]
            for action, n in conn.execute(
                sa.select(t.decisions.c.action, sa.func.count()).where(
                    t.decisions.c.item_id.in_(chunk),
                    # decisions on the model's predictions (a span a reviewer added
                    # has no queue row: it overrides nothing the model said)
                    t.decisions.c.queue_id.is_not(None),
                    # not a decision withdrawn (undone: glamlab.review.undo)
                    t.decisions.c.action.in_(("accept", "reject", "correct")))
                    .group_by(t.decisions.c.action)):
                total += int(n)
                if action in ("reject", "correct"):
                    overridden += int(n)
    return overridden, total


def _added_spans(ws: Workspace, item_ids: list[str]) -> tuple[int, int]:
    """(entities reviewers added, texts reviewed) among ``item_ids``: a text is reviewed
    when a person decided anything on it (a predicted span, an added one); an added span
    is a decision of action ``added`` (no queue row: an entity the model missed)."""
    from ..tasks.people import ADDED

    t = ws.store.t.decisions
    added = 0
    reviewed: set[str] = set()
    with ws.store.read() as conn:
        for i in range(0, len(item_ids), 900):
            chunk = item_ids[i : i + 900]
            for item_id, action, n in conn.execute(
                    sa.select(t.c.item_id, t.c.action, sa.func.count())
                    .where(t.c.item_id.in_(chunk)).group_by(t.c.item_id, t.c.action)):
                reviewed.add(item_id)
                if action == ADDED:
                    added += int(n)
    return added, len(reviewed)


def _expected_added(ws: Workspace, model_id: int, test_ids: set[str]) -> float | None:
    """Entities a reviewer should find missing per text, from the test split: the share
    of gold entities the model's latest evaluation missed (1 - fuzzy recall: a span with
    wrong bounds is corrected, not added) times the gold entities per test text. None
    without an evaluation that measured recall, or test texts with gold spans."""
    from ..tasks.spans import gold_spans

    t = ws.store.t.evaluations
    with ws.store.read() as conn:
        results = conn.execute(sa.select(t.c.results).where(t.c.model_id == model_id)
                               .order_by(t.c.id.desc()).limit(1)).scalar()
    metrics = (results or {}).get("metrics") or {}
    recall = next((m.get("value") for m in (metrics.get("fuzzy_micro_recall"),
                                            metrics.get("strict_micro_recall"))
                   if isinstance(m, dict) and isinstance(m.get("value"), int | float)), None)
    gold = gold_spans(ws, sorted(test_ids)) if test_ids else {}
    if recall is None or not gold:
        return None
    per_text = sum(len(spans) for spans in gold.values()) / len(gold)
    return float(max(0.0, 1.0 - recall) * per_text)


def _added_result(k: int, n: int, expected: float | None, cfg: MonitorConfig) -> SignalResult:
    """Added spans per reviewed text; an alert when far above ``expected`` (a Poisson
    count per text: mean + sigma standard errors)."""
    context: dict[str, float] = {"added_spans": k, "reviewed_texts": n}
    if expected is not None:
        context["expected"] = expected
    if n < cfg.min_window:
        return SignalResult(ADDED_SPAN_RATE, "not enough data" if n else "no data",
                            k / n if n else None, None, n, context)
    if expected is None:
        return SignalResult(ADDED_SPAN_RATE, "ok", k / n, None, n, context)
    lam = max(expected, 1.0 / n)
    threshold = expected + cfg.sigma * math.sqrt(lam / n)
    return SignalResult(ADDED_SPAN_RATE, "alert" if k / n > threshold else "ok", k / n,
                        threshold, n, context)


def _failures(ws: Workspace, model_id: int) -> dict[int, tuple[int, int]]:
    t = ws.store.t
    with ws.store.read() as conn:
        return {r.id: (int(r.failed or 0), int((r.done or 0) + (r.failed or 0)))
                for r in conn.execute(sa.select(t.runs.c.id, t.runs.c.done, t.runs.c.failed)
                                      .where(t.runs.c.model_id == model_id))}


def _rate_result(name: str, k: int, n: int, expected: float, cfg: MonitorConfig,
                 floor: float = 0.0) -> SignalResult:
    if n < cfg.min_window:
        return SignalResult(name, "not enough data" if n else "no data", k / n if n else None,
                            None, n)
    p = min(max(expected, 1e-6), 1 - 1e-6)
    threshold = max(floor, p + cfg.sigma * math.sqrt(p * (1 - p) / n))
    value = k / n
    return SignalResult(name, "alert" if value > threshold else "ok", value, threshold, n,
                        {"expected": expected})


# -- the monitor ------------------------------------------------------------------------------
def _larger_test_set(ws: Workspace, need: int) -> str:
    """The web app's fix for a frozen test split too small for a reference: the pages
    cannot replace a frozen test split, so the one command to ask for, with a test share
    that gives ``need`` test items (after labelling more where the labels are too few)."""
    from ..tasks.kinds import task_kind
    from ..tasks.labels import gold_labels
    from ..tasks.splits import split_of

    gold = gold_labels(ws, kind=task_kind(ws.card))  # what the split divides
    labelled = len(gold) - sum(1 for s in split_of(ws, list(gold)).values()
                               if s == "calibration")
    share, first = 0.3, ""
    if labelled * share < need:
        if labelled and need / labelled <= 0.5:
            share = math.ceil(need / labelled * 100) / 100
        else:
            more = math.ceil(need / share) - labelled
            first = (f"label at least {more:,} more {plural(more, 'item')} on the Labelling "
                     "page, then ")
    return (f"{first}ask whoever runs glamlab on the server to run \"glamlab labels split "
            f"--force --test-size {share:g}\" in the project's folder (it replaces the frozen "
            f"test set with a larger test set, of {need} items or more, and is logged; evaluate "
            "the models again on it), and run the model over it on the Run page")


def _small_test_split(ws: Workspace, spec: str, n: int, need: int, *,
                      web: bool) -> GlamlabError:
    """The error when every test item has a prediction but there are too few of them for
    a reference: the fix is more labelled test items (a frozen test split takes none: a
    larger one is set aside anew), or the first window of predictions as reference."""
    from ..tasks.splits import is_frozen

    more = f"label at least {need - n:,} more {plural(need - n, 'item')}"
    frozen = is_frozen(ws)
    said = "web" if web else None  # else the caller's: Python's, or the command line's
    if frozen:  # an evaluation read it: it takes no new items
        grow = in_words(
            f"label more items, set a larger test split aside, of {need} items or more "
            "(split_labels(ws, force=True): logged; then evaluate the models again on it), "
            "and run the model over it (run(ws))",
            f"label more items, set a larger test split aside, of {need} items or more "
            "(glamlab labels split --force: logged; then evaluate the models again on "
            "it), and run the model over it (glamlab run)",
            _larger_test_set(ws, need) if web else "", words=said)
    else:
        grow = in_words(
            f"{more} into the test split (import_labels(ws, FILE, split='test')) and run "
            "the model over them (run(ws))",
            f"{more} into the test split (glamlab labels import FILE --split test) and "
            "run the model over them (glamlab run)",
            f"{more} into the test set on the Labelling page and run the model over "
            "them on the Run page", words=said)
    other = in_words("use reference='first'", "use --reference first",
                     "ask whoever runs glamlab on the server to compare with the first "
                     "window of predictions instead ([monitor] reference = \"first\" in "
                     "the project's glamlab.toml)", words=said)
    return GlamlabError(
        f"the test split holds only {n:,} {plural(n, 'item')}, all of them predicted by "
        f"{spec}" + (" (the test split is frozen: an evaluation measured models on it)"
                     if frozen else "") + f": too few for a reference (monitoring needs predictions on {need} test "
        "items)", hint=f"{grow}; or {other}")


def _next_window(window: str, *, web: bool = False) -> str:
    """How the next window of predictions comes, to compare with the first: "monitor
    again after the next run" was not it when that run predicted the same items again
    (run --force replaces their predictions) or fell on the same day."""
    new = ("bring in the next batch of the collection and run the model over it on the Run "
           "page" if web else "ingest the next batch of the collection and run the model "
           "over it (glamlab ingest, then glamlab run)")
    if window == "run":
        return (f"{new}, then monitor again: a window is the new items one run predicts "
                "(predicting the same items again replaces their predictions and adds none)")
    return (f"{new} on a later {window}, then monitor again: windows are cut by {window}"
            + ("" if web else " (--window run cuts them by run)"))


def monitor(ws: Workspace, model: str | None = None, *, reference: str | None = None,
            window: str | None = None, min_window: int | None = None,
            since: datetime | None = None, store_alerts: bool = True,
            web: bool = False, note: Callable[[str], None] | None = None) -> MonitorReport:
    """Compare windows of ``model``'s production predictions (default: the project's model
    in use) with a reference, signal by signal; what ``glamlab monitor`` prints.

    Production items are those outside the training and test splits. ``reference`` is
    ``"test"`` (the model's predictions on the frozen test split) or ``"first"`` (the
    earliest production window); ``window`` cuts production into ``"run"``, ``"day"`` or
    ``"week"`` windows; a window with fewer than ``min_window`` values of a signal says
    "not enough data"; ``since`` keeps the windows that end on or after it. Unset, these
    come from the card's ``[monitor]`` section (:class:`MonitorConfig`). Each signal's alert
    threshold is calibrated on chunks of the reference (docs/monitoring.md); the rates
    (overrides, failures, and on an entities project the spans reviewers added) are
    binomial bounds. ``store_alerts`` records the alerts in the workspace. ``note`` (e.g.
    a :class:`~glamlab.progress.Heartbeat`'s) is told what is being done: the features
    read, then window i of n and the signal, with the reference chunk being calibrated.

    Returns a :class:`MonitorReport`: ``alerts``, ``summary()`` in words, ``table()`` (one
    flat row per window and signal) and ``to_dict()``. Raises :class:`GlamlabError` when the
    model has no predictions, or too few on the test split for a reference (``web``: its
    fix in the web app's words, naming its pages, not commands)."""
    from ..registry.models import get_model

    cfg = MonitorConfig.from_card(ws.card.section("monitor"), reference=reference, window=window,
                                  min_window=min_window)
    mv = get_model(ws, model or _default_model(ws, web=web))
    rows = _rows_for_model(ws, mv.id)
    if not rows:
        raise GlamlabError(f"model {mv.spec} has no predictions to monitor",
                           hint="run it over the collection first on the Run page" if web
                           else f"run it first: glamlab run --model {mv.spec}")
    signals = IMAGE_PRESET if ws.card.modality == "image" else TEXT_PRESET
    entities = ws.card.kind == "entities"
    if ws.card.modality == "image":
        _attach_image_features(ws, rows, note)

    test_ids, train_ids = _split_ids(ws, trained_before=_as_datetime(mv.created_at))
    # the model has seen its training items: their predictions are not production
    rows_prod = [r for r in rows if r["item_id"] not in train_ids and r["item_id"] not in test_ids]
    if cfg.reference == "test":
        ref_rows = [r for r in rows if r["item_id"] in test_ids]
        prod = rows_prod
        if len(ref_rows) < 2 * cfg.min_window and test_ids <= {r["item_id"] for r in ref_rows}:
            # every test item has a prediction: the test split itself is too small
            raise _small_test_split(ws, mv.spec, len(test_ids), 2 * cfg.min_window, web=web)
        if len(ref_rows) < 2 * cfg.min_window:
            raise GlamlabError(
                f"only {len(ref_rows)} predictions of {mv.spec} on test-split items, too few for "
                f"a reference (need {2 * cfg.min_window})",
                hint=in_words(
                    "run the model over the test split too (run(ws)), or use "
                    "reference='first'",
                    "run the model over the test split too, or use --reference first",
                    "run the model over the test items too (the Run page runs it over every "
                    "item without a prediction), or ask whoever runs glamlab on the server "
                    "to compare with the first window of predictions instead ([monitor] "
                    "reference = \"first\" in the project's glamlab.toml)",
                    words="web" if web else None))
        windows = _windows(prod, cfg.window)
        ref_name = "test split"
    else:
        windows = _windows(rows_prod, cfg.window)
        if len(windows) < 2:
            raise GlamlabError("only one window of predictions: nothing to compare yet",
                               hint=_next_window(cfg.window, web=web))
        ref_rows = windows[0].rows
        windows = windows[1:]
        ref_name = "the earliest production window"
    if since is not None:
        windows = [w for w in windows if w.end and w.end >= since]
    # what each window leaves out, so that "run 1: 3,460 items" can be read against the
    # run's own count: its predictions on labelled (training or test) items
    every = {w.key: w.rows for w in _windows(rows, cfg.window)}
    for w in windows:
        ids = [r["item_id"] for r in every.get(w.key, [])]
        w.left_out = {"training": sum(i in train_ids for i in ids),
                      "test": sum(i in test_ids and i not in train_ids for i in ids)}

    rng = np.random.default_rng(cfg.seed)
    ref_values = {s.name: _values(s, ref_rows) for s in signals}
    thresholds: dict[tuple[str, int], float | None] = {}
    expected_override = _expected_override(ws, mv.metrics)
    failures = _failures(ws, mv.id)
    expected_added = _expected_added(ws, mv.id, test_ids) if entities else None
    ref_fail = [failures.get(int(r["run_id"])) for r in ref_rows[:1]]
    base_fail = (ref_fail[0][0] / ref_fail[0][1]) if ref_fail and ref_fail[0] and ref_fail[0][1] else 0.0

    for i, w in enumerate(windows, 1):
        for s in signals:
            doing = (f"monitor: window {i} of {len(windows)} ({w.key}, {len(w.rows):,} "
                     f"{plural(len(w.rows), 'item')}), {s.name}")
            if note is not None:
                note(doing)
            cur = _values(s, w.rows)
            n = s.size(cur)
            if n == 0 or s.size(ref_values[s.name]) == 0:
                w.results.append(SignalResult(s.name, "no data", n=n))
                continue
            if n < cfg.min_window:
                w.results.append(SignalResult(s.name, "not enough data", n=n))
                continue
            bucket = (s.name, _bucket(n))
            if bucket not in thresholds:
                thresholds[bucket] = _calibrate(s, ref_rows, n, cfg, rng,
                                                _then(note, doing))
            threshold = thresholds[bucket]
            comp = s.compare(ref_values[s.name], cur)
            value = comp.pop("value")
            if threshold is None or not np.isfinite(value):
                w.results.append(SignalResult(s.name, "not enough data", value, None, n, comp))
                continue
            status = "alert" if value > threshold else "ok"
            w.results.append(SignalResult(s.name, status, value, threshold, n, comp))
        k, n = _override_rates(ws, sorted({r["item_id"] for r in w.rows}))
        w.results.append(_rate_result("override_rate", k, n, expected_override, cfg))
        if entities:
            k, n = _added_spans(ws, sorted({r["item_id"] for r in w.rows}))
            w.results.append(_added_result(k, n, expected_added, cfg))
        run_ids = {int(r["run_id"]) for r in w.rows}
        fk = sum(failures.get(i, (0, 0))[0] for i in run_ids)
        fn = sum(failures.get(i, (0, 0))[1] for i in run_ids)
        w.results.append(_rate_result("failure_rate", fk, fn, base_fail, cfg,
                                      floor=cfg.max_failure_rate))

    report = MonitorReport(mv.spec, ref_name, len(ref_rows), windows, list(signals), cfg,
                           rates=(*RATES, ADDED_SPAN) if entities else RATES)
    if store_alerts:
        _store_alerts(ws, report)
    return report


def _then(note: Callable[[str], None] | None, doing: str) -> Callable[[str], None] | None:
    """``note`` told ``doing, step`` for each step (None stays None)."""
    if note is None:
        return None
    tell = note
    return lambda step: tell(f"{doing}, {step}")


def _as_datetime(v: Any) -> datetime | None:
    if isinstance(v, datetime):
        return v
    try:
        return datetime.fromisoformat(str(v)) if v else None
    except ValueError:
        return None


def _bucket(n: int) -> int:
    """Windows of similar size share a calibration (powers of two)."""
    return 1 << max(0, int(math.log2(max(n, 1))))


def _expected_override(ws: Workspace, metrics: dict[str, Any]) -> float:
    """Reviewers should overrule about as often as the model errs on the test split."""
    test = metrics.get("test")
    if isinstance(test, dict) and isinstance(test.get("value"), int | float):
        return float(max(0.0, 1.0 - test["value"]))
    for key in ("accuracy", "f1_samples", "f1_macro"):
        v = metrics.get(key)
        if isinstance(v, dict):
            v = v.get("value")
        if isinstance(v, int | float):
            return float(max(0.0, 1.0 - v))
    return 0.1


def _default_model(ws: Workspace, *, web: bool = False) -> str:
    """The project's champion (the model in use), else the model of the latest
    prediction (``web``: the fix when there is none in the web app's words)."""
    from ..errors import ModelNotFound
    from ..registry import champion

    try:
        return f"{champion(ws).name}@champion"
    except ModelNotFound:
        pass
    t = ws.store.t
    with ws.store.read() as conn:
        row = conn.execute(sa.select(t.models.c.name, t.models.c.version)
                           .join(t.predictions, t.predictions.c.model_id == t.models.c.id)
                           .order_by(t.predictions.c.id.desc()).limit(1)).first()
    if row:
        return f"{row[0]}@{row[1]}"
    raise GlamlabError("no model has predictions yet",
                       hint="run a model over the collection first on the Run page" if web
                       else "glamlab run --model NAME first, or pass --model")


def stored_alerts(ws: Workspace, *, limit: int = 20,
                  calendar: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Alerts that ``glamlab monitor`` stored, newest first. A tabular drift alert that
    blames a column monitoring no longer watches (``calendar``: the monitor's positions in
    the calendar, column -> words, found on the project's rows when not given; or a column
    no model may read now) carries ``unwatched``, in words: it is from before, not a
    current cause."""
    t = ws.store.t.alerts
    with ws.store.read() as conn:
        rows = conn.execute(sa.select(t).order_by(t.c.id.desc()).limit(limit)).all()
    watched = _watched_columns(ws)
    blamed = {r.signal.removeprefix("drift: ") for r in rows if r.signal.startswith("drift: ")}
    if calendar is None and watched and blamed & watched:
        # (no monitor report says which columns it leaves out: the same rule on the rows)
        from ..tasks.calendar import calendar_positions
        from ..tasks.tabular import project_frame, schema_of

        try:
            schema = schema_of(ws)
            calendar = calendar_positions(project_frame(ws, schema=schema), schema)
        except GlamlabError:
            calendar = {}
    return [{"at": r.created_at, "signal": r.signal, "window": r.window, "value": r.value,
             "threshold": r.threshold, **_alert_words(r.signal, r.value, r.threshold),
             **_unwatched(r.signal, watched, calendar or {})}
            for r in rows]


def _watched_columns(ws: Workspace) -> set[str] | None:
    """The input columns a tabular project's monitor may judge for drift (its features);
    None for another project, or when the card has no table schema."""
    if ws.card.modality != "tabular":
        return None
    from ..tasks.tabular import schema_of

    try:
        return set(schema_of(ws).features)
    except GlamlabError:
        return None


def _unwatched(signal: str, watched: set[str] | None, calendar: dict[str, str]
               ) -> dict[str, str]:
    """``{"unwatched": words}`` for a drift alert on a column monitoring leaves out now."""
    if not signal.startswith("drift: ") or watched is None:
        return {}
    column = signal.removeprefix("drift: ")
    if column == "prediction":
        return {}
    if column in calendar:
        why = (f"it only says where the date lies in the calendar ({calendar[column]}), "
               "which moves on with the date by itself")
    elif column not in watched:
        why = "no model may read it now (it is among the card's never_features)"
    else:
        return {}
    return {"unwatched": f"No longer watched for drift: {why}. This alert is from before "
                         "that, not a current cause."}


def _alert_words(signal: str, value: float | None, threshold: float | None
                 ) -> dict[str, str]:
    """What a stored alert's value and threshold measure, in words: a tabular drift
    alert (``drift: lead_time``) stores how far the column moved, in multiples of its
    usual variation between windows of the training period ({} for other signals)."""
    if not signal.startswith("drift: ") or value is None:
        return {}
    column = signal.removeprefix("drift: ")
    what = ("the model's predictions" if column == "prediction" else column)
    return {"value_words": f"{what} moved {value:.1f} times its usual spread",
            "threshold_words": ("" if threshold is None else
                                f"an alert above {threshold:.1f} times its usual spread")}


def _store_alerts(ws: Workspace, report: MonitorReport) -> None:
    t = ws.store.t
    with ws.store.write() as conn:
        # that the monitor ran (glamlab status ticks monitoring only then)
        ws.store.audit(conn, "glamlab", "monitor", report.model, alerts=len(report.alerts))
        for w, r in report.alerts:
            key = f"{report.model} {w.key}"
            exists = conn.execute(sa.select(t.alerts.c.id).where(
                t.alerts.c.signal == r.signal, t.alerts.c.window == key)).first()
            if exists:
                continue
            conn.execute(t.alerts.insert().values(
                created_at=now(), signal=r.signal, window=key, value=_num(r.value),
                threshold=_num(r.threshold), details={"model": report.model, "n": r.n,
                                                      **{k: _num(v) for k, v in r.context.items()}}))
