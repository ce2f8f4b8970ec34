"""Retraining when the truth arrives, for outcomes that come with time.

When the outcomes of a past window are known, two challengers are trained on the rows
before that window (the newest labelled one): one on the recent period only (after a
change, the old rows teach the old world) and one on all rows. Both are compared with
the champion **on the newest labelled window**, which none of them was trained on (a row
of it the champion learned from, its date corrected after training say, is left out and
counted); the better challenger goes through the same promotion gate as every retraining
(:func:`glamlab.registry.gate.decide`), with a paired week-block bootstrap p-value.

Library function on typed tables and predictors; saving the winner as a model version
and moving the aliases is :func:`glamlab.registry.retrain.promote`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import EvaluationError
from ..ingest.columns import TableSchema
from ..said import in_words
from ..tasks.calendar import last_day
from .gate import GateConfig, GateDecision, decide, measure_words

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    import pandas as pd

    from ..predictors.tabular import TabularPredictor
    from ..workspace import Workspace


#: the two new versions a tabular retrain compares with the current model, in words
TRAINED_ON = {"recent": "the recent period", "all": "all rows"}
NEW_VERSIONS = ("a new version trained on the recent period {recent:.3f}, one trained on all "
                "rows {all:.3f}")


@dataclass
class TabularRetrainReport:
    window: tuple[str, str]
    window_rows: int
    metric: str
    scores: dict[str, float]  # champion, recent, all
    train_rows: dict[str, int]
    chosen: str
    decision: GateDecision
    p_value: float
    models: dict[str, Any] = field(default_factory=dict, repr=False)
    #: challenger -> the index (in ``frame``) of the rows it was trained on
    train_index: dict[str, Any] = field(default_factory=dict, repr=False)
    #: labelled rows of the window left out because the champion learned from them
    window_learned: int = 0
    #: 95% interval of each model's score on the window (champion, recent, all), and of
    #: the chosen new version minus the current model (``difference``; for an error,
    #: the current model minus the new version: above 0 is better either way), from the
    #: same week-block resamples the p-value comes from (None where none could be had)
    intervals: dict[str, tuple[float, float] | None] = field(default_factory=dict)
    #: why the window is too small to tell the new version from the current model, in
    #: words (:func:`too_few_to_tell`); None when its 95% range can tell them apart
    unsure: str | None = None

    @property
    def promoted(self) -> bool:
        return self.decision.promote

    @property
    def last_day(self) -> str:
        """The window's last day (``window`` is half-open: its end is the day after)."""
        return last_day(self.window[1])

    def to_dict(self) -> dict[str, Any]:
        # window: [first day, the day after the last] (half-open, as stored on a retrained
        # model's card); window_last_day: the last day, as a person reads the period
        return {"window": list(self.window), "window_last_day": self.last_day,
                "window_rows": self.window_rows,
                # the scores as the gate judged them: rounded here, a text that rounds them
                # again could say 0.799 where the gate's reasons say 0.800
                "metric": self.metric, "scores": dict(self.scores),
                "train_rows": self.train_rows, "chosen": self.chosen,
                "p_value": round(self.p_value, 4), "gate": self.decision.to_dict(),
                "promoted": self.promoted, "window_learned": self.window_learned,
                "intervals": {k: None if v is None else [round(v[0], 4), round(v[1], 4)]
                              for k, v in self.intervals.items()},
                "too_few_to_tell": self.unsure}

    def left_out(self) -> str | None:
        return left_out_of_window(self.window_learned)

    def summary(self) -> str:
        s = self.scores
        head = (f"On the newest labelled window ({self.window[0]} to {self.last_day}, "
                f"{self.window_rows:,} rows), {measure_words(self.metric)}: current model "
                f"{s['champion']:.3f}, "
                f"{NEW_VERSIONS.format(recent=s['recent'], all=s['all'])}.")
        verdict = (f"Promote the new version trained on {TRAINED_ON[self.chosen]}."
                   if self.promoted else
                   f"Keep the current model (the better new version: trained on "
                   f"{TRAINED_ON[self.chosen]}).")
        note = self.left_out()
        return "\n".join([head, *([note] if note else []),
                          *[f"  - {r}" for r in self.decision.reasons],
                          *([self.unsure] if self.unsure else []), verdict])


def too_few_to_tell(difference: tuple[float, float] | list[float] | None, gate: GateConfig,
                    rows: int) -> str | None:
    """Why a comparison's rows are too few to tell the new version from the current model,
    in words; None when they are enough. The rule: the 95% range of the difference (new
    version minus current model, gains above 0) reaches both a loss and a gain larger than
    the gate's margin (the larger of its allowed drop and its required gain, 0.01 by
    default): the rows cannot say whether switching would help or harm by more than the
    gate cares about, so its advice is no more than a guess. No range at all (too few
    weeks to resample) is too few as well."""
    margin = max(gate.max_drop, gate.min_gain)
    if difference is None:
        return (f"Too few rows to tell: the {rows:,} rows of this period span too few weeks "
                "to give a 95% range for the difference, so the gate's advice is not "
                "certain. Wait for more outcomes, then retrain again.")
    low, high = float(difference[0]), float(difference[1])
    if not (low < -margin and high > margin):
        return None
    return (f"Too few rows to tell: on these {rows:,} rows the 95% range of the difference "
            f"runs from {low:+.3f} to {high:+.3f}, so the new version may be worse than the "
            f"current model by more than {margin:.3f} or better by more than {margin:.3f}; "
            "the gate's advice is not certain. Wait for more outcomes, then retrain again.")


def left_out_of_window(n: int) -> str | None:
    """What to say about the window's rows the current model learned from (left out)."""
    if not n:
        return None
    one = n == 1
    return (f"{n:,} labelled row{'' if one else 's'} of this window {'is' if one else 'are'} "
            f"left out: the current model learned from {'it' if one else 'them'} (a date "
            "corrected "
            "after it was trained, or a window starting before its training period ended), "
            f"and scored on {'it' if one else 'them'} it would be judged in-sample.")


def retrain_on_outcomes(frame: pd.DataFrame, schema: TableSchema, champion: TabularPredictor,
                        make: Callable[[], TabularPredictor], *, window_start: Any,
                        window_end: Any = None, recent_days: int = 90, metric: str = "auc",
                        gate: GateConfig | None = None, n_boot: int = 200, seed: int = 0,
                        count_slot: str | None = None,
                        champion_learned: Any = None) -> TabularRetrainReport:
    """``frame``: typed rows with outcomes up to ``window_end``; the newest labelled
    window runs from ``window_start`` (the challengers train on the rows before it).
    ``metric``: ``auc`` (ROC AUC, the default: after a shift the outcome's rate moves and
    F1 at a fixed threshold can collapse to 0 for every model) or ``f1``; for a count
    task (``count_slot``: its slot), ``mae`` or ``rmse`` of the counts per slot and group
    column (lower is better). ``champion_learned``: a boolean per row of ``frame``, true
    for a row the champion learned from; such rows are left out of the window (every
    model is judged on rows none of them saw), and counted in ``window_learned``."""
    import pandas as pd

    from ..evaluation.backtest import block_weights, weeks_of

    t = frame[schema.time_column]
    start = pd.Timestamp(window_start)
    labelled = frame[frame[schema.label_column].notna()]
    lt = labelled[schema.time_column]
    # the window ends after its last row with an outcome: rows still to come (bookings
    # ingested ahead, their outcomes unknown) are in no window, and a window said to run
    # to their date would claim months no model was judged on
    last = lt.max() if len(lt) else t.max()
    end = pd.Timestamp(window_end) if window_end is not None else last + pd.Timedelta(days=1)
    window = labelled[(lt >= start) & (lt < end)]
    before = labelled[lt < start]
    recent = before[before[schema.time_column] >= start - pd.Timedelta(days=recent_days)]
    if window.empty:
        raise EvaluationError(f"no labelled rows from {start.date()} to {last_day(end)}",
                              hint="import the outcomes of that window first")
    learned = 0
    if champion_learned is not None:
        seen = pd.Series(champion_learned, index=frame.index).reindex(window.index)
        seen = seen.fillna(False).astype(bool)
        learned = int(seen.sum())
        window = window[~seen]
        if window.empty:
            raise EvaluationError(
                f"the current model learned from every labelled row from {start.date()} to "
                f"{last_day(end)}, so scored there it would be judged in-sample",
                hint=in_words("retrain on a later window (window_start='YYYY-MM-DD' after the "
                              "current model's training period), once its outcomes are in",
                              "retrain on a later window (--window-start DATE after the "
                              "current model's training period), once its outcomes are in",
                              "choose a later first day of the period to compare on, after "
                              "the current model's training period, once its outcomes are in"))
    if recent[schema.label_column].nunique() < 2:
        raise EvaluationError(f"the {recent_days} days before {start.date()} have too few "
                              "labelled rows to train on", hint="lengthen recent_days")
    models = {"champion": champion, "recent": make().fit_table(recent),
              "all": make().fit_table(before)}
    y = window[schema.label_column].to_numpy(dtype=float)
    preds = {k: m.predict_table(window) for k, m in models.items()}
    weeks = weeks_of(window[schema.time_column])
    slots = None
    if count_slot is not None:
        from ..tasks.count import slot_keys

        slots = slot_keys(window, schema, count_slot)
        import pandas as pd

        if int(pd.Series(weeks).groupby(slots).nunique().max()) > 1:
            weeks = slots  # slots longer than a week: the bootstrap resamples whole slots
    W = block_weights(weeks, n_boot, seed)
    score = _scorer(metric, y, weeks, slots)
    lower = metric in ("mae", "rmse")
    sign = -1.0 if lower else 1.0  # gains are improvements either way
    scores = {k: float(score(p, np.ones(int(weeks.max()) + 1))) for k, p in preds.items()}
    chosen = "recent" if sign * scores["recent"] >= sign * scores["all"] else "all"
    boot = {k: np.array([score(p, w) for w in W]) for k, p in preds.items()}
    diff = sign * (boot[chosen] - boot["champion"])
    diff = diff[np.isfinite(diff)]
    intervals = {k: _interval(v) for k, v in boot.items()}
    intervals["difference"] = _interval(diff)
    p_value = float((np.sum(diff <= 0) + 1) / (len(diff) + 1))
    gate = gate or GateConfig()
    decision = decide(metric, scores["champion"], scores[chosen], config=gate,
                      paired_p=p_value, lower_is_better=lower)
    if decision.promote and abs(scores[chosen] - scores["champion"]) < 1e-12:
        # the same score to the last digit (e.g. retraining on the same rows): a new
        # version would be the champion again under another number
        decision = GateDecision(False, [f"{measure_words(metric)} {scores['champion']:.3f} → "
                                        f"{scores[chosen]:.3f}: the new version does exactly as "
                                        "the current model on this window, so the current "
                                        "model is kept"],
                                decision.champion, decision.challenger)
    return TabularRetrainReport((str(start.date()), str(end.date())), len(window), metric, scores,
                                {"recent": len(recent), "all": len(before)}, chosen, decision,
                                p_value, models,
                                {"recent": recent.index, "all": before.index}, learned,
                                intervals, too_few_to_tell(intervals["difference"], gate,
                                                           len(window)))


def _interval(values: np.ndarray) -> tuple[float, float] | None:
    """The 2.5th and 97.5th percentiles of the finite ``values`` (None: none)."""
    values = values[np.isfinite(values)]
    if not len(values):
        return None
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def retrain_project(ws: Workspace, *, window_start: str | None = None,
                    window_days: int = 28, recent_days: int = 90, metric: str | None = None,
                    model: str | None = None, promote_winner: bool = True,
                    frame: pd.DataFrame | None = None, keep_in: str | Path | None = None,
                    actor: str = "glamlab") -> dict[str, Any]:
    """``glamlab retrain`` for a tabular project: the newest labelled window (from
    ``window_start``, default the last ``window_days`` of rows with an outcome) judges the
    champion against challengers on the recent period and on all rows before it; a
    winner that passes the card's ``[gate]`` is saved and promoted. ``metric``: the
    count task's (``[count] metric``, per slot) for a count task, else ``auc``.

    A model version is saved only when it is put in use, here as by the web app: a
    comparison nobody acts on leaves the registry (its versions and aliases) as it was.
    ``keep_in`` (a folder, with ``promote_winner`` False; the web app's retraining page):
    the better new version is kept there whatever the gate says, not saved as a model
    version and not in use, for a person to compare and switch to
    (:func:`save_kept_version` saves it then); ``kept`` describes it."""
    import pandas as pd

    from ..registry.models import save_model
    from ..registry.tabular import champion_predictor, make_predictor
    from ..tasks.count import count_task
    from ..tasks.tabular import project_frame, schema_of
    from .retrain import _make_champion

    task = count_task(ws)
    metric = metric or (task.metric if task else "auc")
    schema = schema_of(ws)
    frame = project_frame(ws, schema=schema) if frame is None else frame
    labelled = frame[frame[schema.label_column].notna()] if schema.label_column else frame
    if labelled.empty:
        raise EvaluationError("no row has its outcome yet",
                              hint="ingest the rows again with their outcomes filled in")
    mv, champion = champion_predictor(ws, model)
    last = labelled[schema.time_column].max()
    start = (pd.Timestamp(window_start) if window_start else
             (last - pd.Timedelta(days=window_days - 1)).normalize())
    params = {k: v for k, v in mv.params.items() if k != "schema"}
    report = retrain_on_outcomes(
        frame, schema, champion, lambda: make_predictor(ws, mv.predictor, params),
        window_start=start, recent_days=recent_days, metric=metric,
        gate=GateConfig.from_card(ws.card.section("gate")),
        count_slot=task.slot if task and metric in ("mae", "rmse") else None,
        champion_learned=_learned_rows(ws, mv, frame, schema))
    out = {**report.to_dict(), "champion": mv.spec, "saved": None, "kept": None}
    if not ((report.promoted and promote_winner) or keep_in is not None):
        return out
    # the rows it learned from, test rows of the project's time split among them by
    # design: act may use it on rows still to come (role "retrain" is not refused
    # there), evaluate leaves it out of the test split's figures, and the split
    # cannot move training rows of it into the test split unnoticed
    key = schema.id_column or "id"  # the column frame_from_items gives the row ids
    rows = frame.loc[report.train_index[report.chosen]]
    learned: dict[str, list[str]] | None = (
        {"retrain": [str(i) for i in rows[key]]} if key in rows.columns else None)
    card = {"train_rows": report.train_rows[report.chosen],
            "split": "time", "train_until": report.window[0],
            "trained_on": report.chosen,
            "retrained_on_window": list(report.window),
            # the evidence that promoted it, for whoever asks later
            # why it is in use (evaluate cannot score it fairly)
            "promoted_over": {"model": mv.spec,
                              "metric": report.metric,
                              "champion": report.scores["champion"],
                              "chosen": report.scores[report.chosen]}}
    if report.promoted and promote_winner:
        saved = save_model(ws, report.models[report.chosen], name=mv.name,
                           items=dict(learned) if learned else None, card=card)
        out["saved"] = saved.spec
        _make_champion(ws, saved.spec, actor=actor,
                       reason=f"retrained on outcomes ({report.chosen} period)")
    else:  # kept for a person to compare and choose: no version yet, not in use
        assert keep_in is not None
        out["kept"] = keep_version(ws, report.models[report.chosen], Path(keep_in),
                                   name=mv.name, items=learned, card=card)
    return out


#: the file beside a kept new version's files that holds the rows it learned from
KEPT_ITEMS = "learned-rows.json"


def keep_version(ws: Workspace, predictor: TabularPredictor, folder: Path, *, name: str,
                 items: dict[str, list[str]] | None, card: dict[str, Any]) -> dict[str, Any]:
    """Write a fitted new version of ``name`` to ``folder`` (its files, and the rows it
    learned from), not as a model version: what :func:`save_kept_version` needs to save
    it later, with each file's sha256 (checked then: the files are pickles)."""
    import json
    import shutil

    from ..registry.models import _sha256

    if folder.exists():
        shutil.rmtree(folder)
    files = predictor.save(folder / "model")
    (folder / KEPT_ITEMS).write_text(json.dumps(items), encoding="utf-8")
    files = [*files, folder / KEPT_ITEMS]
    root = ws.root.resolve()
    return {"name": name, "folder": folder.resolve().relative_to(root).as_posix(),
            "files": {f.relative_to(folder).as_posix(): _sha256(f) for f in files},
            "card": card}


#: the folder of the workspace under which retrain jobs keep their new versions
KEPT_ROOT = "retrained"


def kept_path(ws: Workspace, kept: dict[str, Any]) -> Path:
    """The folder a ``kept`` description (a job's stored result) names, resolved: only
    a folder under the workspace's ``retrained/`` is one :func:`keep_version` wrote. Any
    other (``..``, an absolute path, the workspace itself: a job's result read from the
    database, which a restored backup or an edit may have changed) is refused with a
    :class:`~glamlab.errors.PredictorError`, so switching never reads models from, nor
    removes, a folder elsewhere."""
    from ..errors import PredictorError

    base = (ws.root / KEPT_ROOT).resolve()
    name = str(kept.get("folder") or "")
    folder = (ws.root / name).resolve()
    if not name or folder == base or not folder.is_relative_to(base):
        raise PredictorError(f"the new version's folder {name!r} is not one a retrain keeps "
                             f"(those are under {KEPT_ROOT}/ in the workspace), so nothing "
                             "was saved or removed", hint="retrain again")
    return folder


#: the card key of a version saved from a kept folder: the folder and its files' sha256,
#: so that a switch which stopped after saving it (the server killed) is not saved twice
KEPT_FROM = "kept_from"
#: the suffix of a kept folder a switch has claimed (renamed) while it saves it
CLAIMED = ".saving"


class FolderBusy(Exception):
    """Another switch (or clean-up) holds the kept folder right now."""


def lock_folder(folder: Path) -> int | None:
    """Lock ``folder`` for this process (an exclusive ``flock`` on the directory, which
    follows it when renamed): the open descriptor to close when done, None where the
    folder is missing, :class:`FolderBusy` where another holds it. The lock goes with the
    process that holds it, so a folder a crashed switch left claimed is free again."""
    import fcntl
    import os

    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise FolderBusy(str(folder)) from None
    return fd


def kept_marker(kept: dict[str, Any]) -> dict[str, str]:
    """What a version saved from ``kept`` carries on its card (:data:`KEPT_FROM`)."""
    import hashlib
    import json

    files = json.dumps(dict(kept.get("files") or {}), sort_keys=True)
    return {"folder": str(kept.get("folder") or ""),
            "sha256": hashlib.sha256(files.encode()).hexdigest()}


def saved_from(ws: Workspace, kept: dict[str, Any]) -> Any:
    """The model version a switch already saved from ``kept`` (its card's
    :data:`KEPT_FROM`), or None: a switch stopped after saving it left its folder
    claimed, and saving it again would make two versions of one retrain."""
    from ..registry.models import list_models

    marker = kept_marker(kept)
    return next((m for m in list_models(ws) if m.name == str(kept.get("name"))
                 and m.card.get(KEPT_FROM) == marker), None)


def save_kept_version(ws: Workspace, kept: dict[str, Any]) -> Any:
    """Save a version :func:`keep_version` kept as the next version of its name (its
    files checked against their sha256 first), and remove the kept folder. Returns the
    new :class:`~glamlab.registry.models.ModelVersion` (not in use: promote it).

    The folder is first locked and claimed by renaming it (atomic, also between
    processes): of two admins switching at once, one saves the version and the other is
    refused, rather than both saving it (two new versions of one retrain, both
    promoted). Where saving fails, the folder is put back, so switching can be tried
    again. A folder a switch left claimed when its process died (no one holds its lock)
    is taken over: saved now, or, where the stopped switch had saved it already (its
    card's :data:`KEPT_FROM`), that version is returned, not saved twice."""
    import json
    import os
    import shutil

    from ..errors import PredictorError
    from ..predictors.base import Predictor
    from ..registry.models import _sha256, save_model

    kept_at = kept_path(ws, kept)
    folder = kept_at.with_name(kept_at.name + CLAIMED)
    busy = PredictorError(f"the new version kept in {kept_at} is being saved by another "
                          "switch to it right now, so it was not saved twice",
                          hint="reload the retraining page; if no switch shows there within "
                               "a few minutes, retrain again")
    missing = PredictorError(f"the new version kept in {kept_at} is missing",
                             hint="retrain again")
    taken_over = False
    try:
        fd = lock_folder(kept_at)
        if fd is not None:
            try:
                kept_at.rename(folder)
            except OSError:
                os.close(fd)
                raise (busy if folder.exists() else missing) from None
        else:  # claimed by a switch that stopped in the middle (a crash), or gone
            fd = lock_folder(folder)
            if fd is None:
                # a switch saved it, removed the folder, and stopped before the job said
                # so (the server killed, the database busy): that version, not "missing"
                done = saved_from(ws, kept)
                if done is not None:
                    log.warning("the new version %s was saved as %s by a switch that "
                                "stopped before it was recorded", kept_at, done.spec)
                    return done
                raise missing
            log.warning("taking over the new version %s a switch left claimed", folder)
            taken_over = True
    except FolderBusy:
        raise busy from None
    try:
        try:
            done = saved_from(ws, kept) if taken_over else None
            if done is not None:
                saved = done  # saved before the switch stopped: not saved twice
            else:
                for rel, digest in dict(kept["files"]).items():
                    f = (folder / str(rel)).resolve()
                    if not f.is_relative_to(folder) or not f.is_file() \
                            or _sha256(f) != digest:
                        raise PredictorError(
                            f"the new version kept in {kept_at} is missing or has changed "
                            f"since it was trained ({rel})", hint="retrain again")
                predictor = Predictor.load(folder / "model")
                items = json.loads((folder / KEPT_ITEMS).read_text(encoding="utf-8"))
                saved = save_model(ws, predictor, name=str(kept["name"]), items=items,
                                   card={**dict(kept["card"]), KEPT_FROM: kept_marker(kept)})
        except BaseException:
            folder.rename(kept_at)  # as it was: switching can be tried again
            raise
        shutil.rmtree(folder, ignore_errors=True)
    finally:
        os.close(fd)
    return saved


def _learned_rows(ws: Workspace, mv: Any, frame: pd.DataFrame, schema: TableSchema
                  ) -> pd.Series:
    """True for each row of ``frame`` the champion ``mv`` learned from: its recorded rows
    (every role: a row trained on keeps the train split when its date is corrected to
    after the cutoff, and so may fall in the newest window), or, for a model saved
    before its rows were recorded, the rows dated before its card's ``train_until``."""
    import pandas as pd

    from ..registry.overlap import has_item_record, model_item_ids

    key = schema.id_column or "id"
    if has_item_record(ws, mv.id):
        if key not in frame.columns:
            return pd.Series(False, index=frame.index)
        return frame[key].astype(str).isin(set(model_item_ids(ws, mv.id)))
    until = mv.card.get("train_until")
    if not until:
        return pd.Series(False, index=frame.index)
    return frame[schema.time_column] < pd.Timestamp(str(until))


def _scorer(metric: str, y: np.ndarray, weeks: np.ndarray,
            slots: np.ndarray | None = None) -> Callable[..., float]:
    """score(p, week_weights): the metric on the rows weighted by their week's count
    (counts per slot, ``slots`` a slot number per row, for mae and rmse)."""
    from sklearn.metrics import roc_auc_score

    if metric in ("mae", "rmse"):
        if slots is None:
            raise EvaluationError(f"{metric} compares counts per slot, and this project is "
                                  "not a count task", hint="add [count] to the card, or "
                                                           "use metric='auc'")
        from ..tasks.count import count_error

        k = int(slots.max()) + 1
        slot_week = np.zeros(k, dtype=int)
        slot_week[slots] = weeks  # a slot lies within one block (a week, or the slot itself)

        def count_score(p: np.ndarray, week_weights: np.ndarray) -> float:
            return count_error(y, p, slots, metric, weights=week_weights[slot_week])

        return count_score
    if metric not in ("auc", "f1"):
        raise EvaluationError(f"retraining compares on auc, f1, mae or rmse, not {metric!r}",
                              hint="use metric='auc' or metric='f1'")

    def score(p: np.ndarray, week_weights: np.ndarray) -> float:
        w = week_weights[weeks]
        if metric == "f1":
            pred = p >= 0.5
            tp, fp, fn = (w * pred * y).sum(), (w * pred * (1 - y)).sum(), (w * ~pred * y).sum()
            return float(2 * tp / max(2 * tp + fp + fn, 1e-12))
        keep = w > 0
        if len(np.unique(y[keep])) < 2:
            return float("nan")
        return float(roc_auc_score(y[keep], p[keep], sample_weight=w[keep]))

    return score


__all__ = ["retrain_project", "TabularRetrainReport", "keep_version", "last_day",
           "left_out_of_window", "retrain_on_outcomes", "save_kept_version", "saved_from",
           "too_few_to_tell"]
