"""Long work started from the browser, outside the request: a ``jobs`` table in the store
and one worker thread started with the app.

A page adds a job (:func:`submit`) and shows its state from the table, so a reload (or
another person's browser) sees the same progress. The worker takes queued jobs one at a
time. A job left ``running`` by a server that stopped is taken again when the next server
starts: a run resumes where it stopped (``glamlab run --resume``: nothing is predicted
twice), evaluate and monitoring start over.

Job kinds:

- ``evaluate``: fit the baselines on the train split (saved) and compare them with every
  saved model on the test split (``glamlab baseline`` then ``glamlab evaluate``);
- ``run``: predict with the champion (or ``params["model"]``) over the collection
  (``glamlab run``), in a worker process so the per-item time limit holds;
- ``monitor``: work out monitoring now and store it for the reports;
- ``train``: fit each predictor of ``params["predictors"]`` on the train split and save
  it (``glamlab train NAME``); one that fails is reported and the others carry on;
- ``optimise``: choose accept thresholds for ``params["target_precision"]`` (review from
  ``params["review_threshold"]`` when given) on
  calibration data and score them once on the test split (``glamlab act --optimise``);
  the result waits on the policy page until a person saves it (:func:`save_policy`);
- ``ingest``: bring in an uploaded ZIP of images, IIIF manifest or METS file
  (``params["folder"]``/``params["file"]`` in the workspace's uploads), an uploaded table
  with its columns mapped (``params["id_column"]``, ``text_column``, ``label_column``,
  in an image project ``image_column``: the items, then its label column as gold labels; in a tabular project
  ``params["rows"]``: its rows, as ``glamlab ingest`` brings them in), or a IIIF
  manifest or collection by its address (``params["url"]``): ``glamlab ingest``. Each
  upload is its own job (they queue), its report kept beside the upload;
- ``capacity``: a tabular project's extra places per slot for ``params["risk"]``
  (``glamlab capacity``; ``params["calibrate"]``), with the replay in money;
- ``backtest``: a tabular project's rolling-origin backtest, month by month from the
  time split's cutoff (or ``params["since"]``, to ``params["until"]``), baselines first,
  then ``params["model"]`` (a predictor or a saved model's spec; default tabular-gbm),
  with ``params["n_boot"]`` resamples (``glamlab backtest``), with its notes;
- ``retrain``: a tabular project's retraining on the outcomes people brought in or
  corrected (``glamlab retrain``: the current model and two new versions judged on the
  newest labelled window, from ``params["window_start"]``, the recent one learning from
  ``params["recent_days"]``), with 95% intervals. The better new version is kept in the
  job's folder (:func:`kept_folder`), not saved as a model version and not in use, as
  ``glamlab retrain`` saves none it does not put in use: the retraining page shows both
  and a person chooses to switch (:func:`switch_to_retrained` saves it then). The
  folders no one can switch to any more are removed at each retrain and switch
  (:func:`tidy_retrained`).
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import EvaluationError, GlamlabError
from ..progress import step, watching
from ..said import said_on_the_web
from ..store import now
from .words import for_the_web, web_hint

if TYPE_CHECKING:
    from ..workspace import Workspace

log = logging.getLogger(__name__)
KINDS = ("evaluate", "run", "monitor", "train", "optimise", "ingest", "capacity", "act",
         "backtest", "index", "retrain")
#: kinds whose every submission is its own job (the others: one active job of a kind)
QUEUED_KINDS = ("ingest",)
ACTIVE = ("queued", "running")
#: at most one write of a running job's message in this many seconds (its progress: a
#: write per item would slow the job)
PROGRESS_EVERY_S = 1.0


def submit(ws: Workspace, kind: str, user: str, params: dict[str, Any] | None = None) -> int:
    """Queue a job (one of a kind at a time: an active one of the same kind is returned)."""
    if kind not in KINDS:
        raise GlamlabError(f"unknown job {kind!r}", hint=f"use one of {', '.join(KINDS)}")
    t = ws.store.t.jobs
    with ws.store.write() as conn:
        active = None if kind in QUEUED_KINDS else conn.execute(
            sa.select(t.c.id).where(t.c.kind == kind, t.c.status.in_(ACTIVE))).first()
        if active:
            return int(active[0])
        key = conn.execute(t.insert().values(
            kind=kind, params=params or {}, status="queued", created_by=user,
            created_at=now(), message="waiting to start")).inserted_primary_key
        ws.store.audit(conn, user, f"job.{kind}", None, params=params or {})
    assert key is not None
    return int(key[0])


def list_jobs(ws: Workspace, *, kind: str | None = None, limit: int = 10) -> list[dict[str, Any]]:
    t = ws.store.t.jobs
    q = sa.select(t).order_by(t.c.id.desc()).limit(limit)
    if kind:
        q = q.where(t.c.kind == kind)
    with ws.store.read() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


def latest(ws: Workspace, kind: str) -> dict[str, Any] | None:
    rows = list_jobs(ws, kind=kind, limit=1)
    return rows[0] if rows else None


def get(ws: Workspace, job_id: int) -> dict[str, Any] | None:
    """The job ``job_id``, or None (also for a number no row id can be: a form's
    ``job=99999999999999999999`` is no job, not an OverflowError from SQLite)."""
    if not 0 < job_id < 2**63:
        return None
    t = ws.store.t.jobs
    with ws.store.read() as conn:
        row = conn.execute(sa.select(t).where(t.c.id == job_id)).first()
    return dict(row._mapping) if row is not None else None


def save_policy(ws: Workspace, job_id: int, user: str) -> dict[str, Any]:
    """Save the thresholds a finished ``optimise`` job chose in ``[policy]`` (what
    ``glamlab act --optimise --write`` saves)."""
    from ..actions.optimise import write_thresholds

    job = get(ws, job_id)
    if job is None or job["kind"] != "optimise" or job["status"] != "done":
        raise GlamlabError("there are no chosen thresholds to save",
                           hint="choose them first (Work out the thresholds)")
    result = dict(job["result"])
    write_thresholds(ws, result, web=True)
    with ws.store.write() as conn:
        ws.store.audit(conn, user, "policy.save", result["model"], job=job_id,
                       target_precision=result["target_precision"])
    _set(ws, job_id, result=result)  # now marked written
    return result


def _set(ws: Workspace, job_id: int, **values: Any) -> None:
    t = ws.store.t.jobs
    with ws.store.write() as conn:
        conn.execute(t.update().where(t.c.id == job_id).values(**values))


# -- the work of each kind ------------------------------------------------------------
def _evaluate(ws: Workspace, job: dict[str, Any]) -> dict[str, Any]:
    from ..evaluation import candidates_for, evaluate, fit_baselines

    step("fitting the baselines on the training labels")
    fit_baselines(ws)
    cands = candidates_for(ws)
    step(f"comparing {len(cands)} candidates on the test set")
    result = evaluate(ws, cands, web=True)
    return {"verdict": result.verdict, "leaderboard": result.leaderboard}


def _run(ws: Workspace, job: dict[str, Any]) -> dict[str, Any]:
    from ..inference import champion_spec, run

    spec = job["params"].get("model") or champion_spec(ws, web=True)
    step(f"predicting with {spec}")
    # a job taken again after a stop resumes its run; the first try resumes one left
    # unfinished too, and else starts a new run (skipping what is predicted already)
    report = run(ws, spec, workers=1, resume=True, handle_signals=False)
    if report.nothing_to_do:
        return {"model": spec, "status": "done", "done": 0,
                "message": "every item already has a prediction from this model"
                if report.skipped else "there are no items to predict yet"}
    return {"model": report.model, "run_id": report.run_id, "status": report.status,
            "done": report.done, "failed": report.failed}


def _act(ws: Workspace, job: dict[str, Any]) -> dict[str, Any]:
    """The policy applied to the champion's latest predictions (``glamlab act``): the
    accepted values written as metadata, the rest sent to the review queue."""
    import json

    from ..actions.act import act

    step("writing the accepted values and filling the review queue")
    report = act(ws, actor=str(job["created_by"]), web=True)
    res = {"model": report.model, "unit": report.unit, "counts": report.counts,
           "written": report.written, "review_workload": report.review_workload,
           # of the rows written to the queue, those a gold label settles: nobody is asked
           "written_settled_by_gold": report.written_settled_by_gold,
           # open review rows withdrawn: about an earlier prediction the model that now
           # runs decides otherwise, or whose candidate the policy now accepts or rejects
           "superseded": report.superseded, "withdrawn_by_policy": report.withdrawn_by_policy,
           # accepted values a person's gold overrules: not written (the person's wins)
           "not_written_overruled_by_gold": report.not_written_overruled,
           # of those, the ones act wrote earlier (kept, marked overruled)
           "overruled_kept": report.overruled_kept,
           # values act wrote earlier that a person's label given since overrules: marked
           # overruled now; and marks taken off (the person's label was withdrawn)
           "written_overruled_by_gold": report.written_overruled,
           "overruled_restored": report.overruled_restored,
           # what the dry run says about the model and the policy (e.g. no champion: the
           # latest run's model was used), said again under what was written
           "notes": list(report.notes),
           # and its warnings (e.g. the model was no better than the baselines)
           "warnings": list(report.warnings),
           # a filter project's figures: held back, sent on, money saved (as the CLI says)
           "filter": report.filter}
    return dict(json.loads(json.dumps(res, default=_plain)))


def _index(ws: Workspace, job: dict[str, Any]) -> dict[str, Any]:
    """Build the passage index that "Passages nearest to a phrase" searches (what
    :func:`glamlab.trends.concepts.build_index` does from Python)."""
    from ..trends.concepts import build_index

    step("building the passage index")
    info = build_index(ws)
    return {"passages": info.passages, "skipped": info.skipped,
            "seconds": round(info.seconds, 1)}


def _monitor(ws: Workspace, job: dict[str, Any]) -> dict[str, Any]:
    from ..monitoring import stored

    step("working out monitoring: the model's recent predictions against the test split")
    report = stored.compute(ws, web=True)
    return {"alert": bool(report.get("alert")), "error": report.get("error")}


def _train(ws: Workspace, job: dict[str, Any]) -> dict[str, Any]:
    from ..registry.training import train

    names = [str(n) for n in job["params"].get("predictors") or []]
    trained: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for i, name in enumerate(names, 1):
        _set(ws, job["id"], result={"trained": trained, "failed": failed})
        step(f"training {name} ({i} of {len(names)}) on the training labels")
        try:
            res = train(ws, name, reuse=True)
        except GlamlabError as exc:
            failed.append({"predictor": name, "error": exc.message,
                           "hint": web_hint(exc.hint)})
            continue
        except Exception as exc:  # noqa: BLE001 - one predictor fails, the others carry on
            log.exception("training %s failed", name)
            failed.append({"predictor": name, "error": f"{type(exc).__name__}: {exc}",
                           "hint": None})
            continue
        trained.append({"predictor": name, "model": res.model.spec,
                        "train_items": res.train_items, "reused": res.reused})
    if not trained and failed:
        raise GlamlabError("no model could be trained: " + "; ".join(
            f"{f['predictor']}: {f['error']}" for f in failed),
            hint=failed[0]["hint"] or "see the errors above")
    return {"trained": trained, "failed": failed}


def _optimise(ws: Workspace, job: dict[str, Any]) -> dict[str, Any]:
    import json

    from ..actions.optimise import optimise

    target = float(job["params"]["target_precision"])
    step(f"choosing thresholds for precision {target:g} on the calibration data")
    review = job["params"].get("review_threshold")  # None: the policy's, or the project's
    res = optimise(ws, target_precision=target, model=job["params"].get("model"),
                   review_threshold=None if review is None else float(review), web=True)
    return dict(json.loads(json.dumps(res, default=str)))  # dates as text in the table


def _ingest(ws: Workspace, job: dict[str, Any]) -> dict[str, Any]:
    from ..tasks import uploads

    params = job["params"]
    step("bringing the items in")
    if params.get("url"):
        report = uploads.bring_in_url(ws, str(params["url"]))
        name = str(params["url"])
    elif params.get("rows"):  # a tabular project's table: glamlab ingest's checks
        path = uploads.find(ws, str(params.get("folder") or ""), str(params.get("file") or ""))
        options = {k: params.get(k) or None for k in (
            "time_column", "label_column", "id_column", "group_columns", "never_features")
            if k in params}
        report = uploads.bring_in_rows(ws, path, updates=bool(params.get("updates")),
                                       **options)
        name = path.name
    elif params.get("spans"):  # an entities project's gold-span file
        path = uploads.find(ws, str(params.get("folder") or ""), str(params.get("file") or ""))
        report = uploads.bring_in_spans(ws, path, actor=str(job["created_by"]))
        name = path.name
    elif params.get("id_column"):  # a table, its columns mapped by a person
        path = uploads.find(ws, str(params.get("folder") or ""), str(params.get("file") or ""))
        report = uploads.bring_in_table(
            ws, path, id_column=str(params["id_column"]),
            text_column=params.get("text_column") or None,
            label_column=params.get("label_column") or None,
            image_column=params.get("image_column") or None, actor=str(job["created_by"]))
        name = path.name
    else:
        path = uploads.find(ws, str(params.get("folder") or ""), str(params.get("file") or ""))
        report = uploads.bring_in_files(ws, path)
        name = path.name
    if not params.get("url"):
        _as_uploaded(report, path.parent)
    # each left-out row's fix in the pages' words, not the command line's flags
    for key in ("problems", "label_problems"):
        for p in report.get(key) or []:
            if isinstance(p, dict) and p.get("hint"):
                p["hint"] = web_hint(p["hint"])
    report["file"] = name
    return report


def _as_uploaded(report: dict[str, Any], folder: Path) -> None:
    """What the Items page shows of an upload names its files as the person uploaded them
    (``m.json``, ``scans/p1.jpg``), not the server's upload folder: its problems, warnings
    and sources, seen by everyone signed in, gave the workspace's path on the server."""
    places = sorted({str(folder), str(folder.resolve())}, key=len, reverse=True)

    def said(value: Any) -> Any:
        if isinstance(value, str):
            for place in places:
                value = value.replace(place + os.sep, "").replace(place, "the upload's folder")
            return value
        if isinstance(value, list):
            return [said(v) for v in value]
        if isinstance(value, dict):
            return {k: said(v) for k, v in value.items()}
        return value

    report.update(said(report))


def _capacity(ws: Workspace, job: dict[str, Any]) -> dict[str, Any]:
    import json

    from ..actions.capacity import project_capacity

    params = job["params"]
    step("planning the slots and checking them against recent outcomes")
    res = project_capacity(ws, risk=float(params["risk"]),
                           calibrate=bool(params.get("calibrate", True)))
    return dict(json.loads(json.dumps(res, default=_plain)))


def _backtest(ws: Workspace, job: dict[str, Any]) -> dict[str, Any]:
    from ..evaluation.tabular import project_backtest
    from ..registry.tabular import DEFAULT_MODEL

    params = job["params"]
    step("training the baselines and the model on the rows before each month, and "
         "predicting the month")
    try:
        report = project_backtest(ws, model=str(params.get("model") or DEFAULT_MODEL),
                                  since=params.get("since") or None,
                                  until=params.get("until") or None,
                                  n_boot=int(params.get("n_boot") or 200))
    except EvaluationError as exc:
        if not exc.message.startswith("no training rows before"):
            raise
        if params.get("since"):  # the command's fix is --since; on the pages, the field
            raise EvaluationError(
                exc.message + f": the backtest starts with the month of {params['since']}",
                hint="choose a later first month for the backtest on the evaluate page "
                     "(or leave it empty to start with the month the test rows start in)"
                ) from None
        raise EvaluationError(
            exc.message + ": the backtest starts with the month the test rows start in",
            hint="choose a later first date of the test rows on the Labelling page, or a "
                 "later first month for the backtest on the evaluate page") from None
    return dict(_no_nan(report.to_dict()))


def _no_nan(value: Any) -> Any:
    """``value`` as the JSON column keeps it: numpy numbers as numbers (:func:`_plain`),
    every NaN (an AUC of a month with one outcome only) or infinity as None
    (:func:`glamlab.store.jsontext.finite`, what the store writes)."""
    import json

    from ..store.jsontext import finite

    return finite(json.loads(json.dumps(value, default=_plain)))


def _plain(value: Any) -> Any:
    """numpy numbers as numbers, anything else (dates) as text, for the JSON column."""
    return value.item() if hasattr(value, "item") else str(value)


def _retrain(ws: Workspace, job: dict[str, Any]) -> dict[str, Any]:
    from ..retraining.tabular import retrain_project

    params = job["params"]
    _set(ws, job["id"], message="training two new versions on the rows before the newest "
                                "labelled window, and comparing them with the current model "
                                "on that window")
    _tidy_quietly(ws, str(job["created_by"]))  # what earlier retrains left behind
    try:
        res = retrain_project(ws, window_start=params.get("window_start") or None,
                              recent_days=int(params.get("recent_days") or 90),
                              promote_winner=False, keep_in=kept_folder(ws, int(job["id"])),
                              actor=str(job["created_by"]))
    except EvaluationError as exc:  # the fix in the retraining form's words, not flags
        hint = exc.hint or ""
        if "recent_days" in hint:
            hint = ("give more days in \"Days the recent version learns from\", or a later "
                    "first day of the period to compare on")
        elif "window-start" in hint:
            hint = ("choose a later first day of the period to compare on, after the current "
                    "model's training period, once its outcomes are in")
        elif "import the outcomes" in hint:
            hint = ("bring the outcomes of that period in on the Bring rows in page, or "
                    "choose an earlier first day")
        raise EvaluationError(exc.message, hint=hint or None) from None
    out = dict(_no_nan(res))  # first: a result that cannot be written removes nothing
    # this job's new version is the one offered now: the older ones are superseded
    _tidy_quietly(ws, str(job["created_by"]), newest=int(job["id"]))
    return out


def _tidy_quietly(ws: Workspace, user: str, *, newest: int | None = None) -> None:
    """:func:`tidy_retrained`, whose failure (a busy database) leaves the retrain or
    switch as it is: the next one tidies."""
    try:
        tidy_retrained(ws, user, newest=newest)
    except Exception:  # noqa: BLE001 - tidying is not the job's work
        log.exception("the retrained/ folders were not tidied")


def kept_folder(ws: Workspace, job_id: int) -> Path:
    """Where a ``retrain`` job keeps its new version until a person switches to it."""
    from ..retraining.tabular import KEPT_ROOT

    return ws.root / KEPT_ROOT / f"job-{job_id}"


def tidy_retrained(ws: Workspace, user: str, *, newest: int | None = None) -> list[str]:
    """Remove the folders under ``retrained/`` that no one can switch to any more, at
    each retrain (before it trains, and once it has kept its own new version: ``newest``,
    its job) and after each switch. Kept: the new version of the newest finished retrain
    while the model it was compared with is still in use (the one the retraining page
    offers), and the folder of a retrain still queued or running. Removed: a version
    switched to already, one a newer retrain superseded, one compared with a model no
    longer in use, what a failed retrain left, and a folder no retrain job names. A
    folder a switch holds right now is left alone; one a switch left claimed when its
    process died is put back where it is still offered (switchable again), and where
    that switch had saved its version already, the job records that version (nothing
    saved is lost: the folder only held a copy). Only folders named ``job-N`` (and
    ``job-N.saving``) are touched. Each change is logged and audited; returns them in
    words."""
    from ..retraining.tabular import CLAIMED, KEPT_ROOT, FolderBusy, kept_path, lock_folder

    base = ws.root / KEPT_ROOT
    if not base.is_dir():
        return []
    t = ws.store.t.jobs
    with ws.store.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(
            sa.select(t.c.id, t.c.status, t.c.result).where(t.c.kind == "retrain")
            .order_by(t.c.id.desc()))]
    active = {kept_folder(ws, int(r["id"])).resolve() for r in rows if r["status"] in ACTIVE}
    offered: Path | None = None  # the one the retraining page offers
    by_folder: dict[Path, int] = {}
    for r in rows:
        kept = (r["result"] or {}).get("kept") if r["status"] == "done" else None
        try:
            folder = kept_path(ws, kept) if kept else None
        except GlamlabError:
            folder = None
        if folder is not None:
            by_folder.setdefault(folder, int(r["id"]))
    done = [r for r in rows if r["status"] == "done"]
    if done and newest is None:
        result = dict(done[0]["result"] or {})
        try:
            compared_with_model_in_use(ws, result)
            offered = kept_path(ws, result["kept"]) if result.get("kept") else None
        except GlamlabError:
            offered = None

    said: list[str] = []
    for path in sorted(base.iterdir()):
        named = re.fullmatch(r"job-(\d+)(" + re.escape(CLAIMED) + r")?", path.name)
        if named is None:
            continue
        kept_at = path.with_name(f"job-{named[1]}").resolve()
        if kept_at in active:
            continue  # a retrain still writing it
        try:
            fd = lock_folder(path)
        except FolderBusy:
            continue  # a switch saving it right now
        if fd is None:
            continue  # gone meanwhile (switched to)
        try:
            _tidy_one(ws, user, path, kept_at, by_folder.get(kept_at), offered, rows, newest,
                      said)
        except OSError as exc:  # one that cannot be removed: the others all the same
            log.warning("retrained versions: %s was left as it is: %s", path, exc)
        finally:
            os.close(fd)
    return said


def _tidy_one(ws: Workspace, user: str, path: Path, kept_at: Path, job_id: int | None,
              offered: Path | None, rows: list[dict[str, Any]], newest: int | None,
              said: list[str]) -> None:
    """:func:`tidy_retrained` for one folder (``path``, locked): ``job_id`` the finished
    retrain whose new version it keeps, if any."""
    import shutil

    from ..retraining.tabular import KEPT_ROOT, saved_from

    claimed = path.name != kept_at.name
    result = dict((get(ws, job_id) or {}).get("result") or {}) if job_id is not None else {}
    kept = result.get("kept")
    if job_id is not None and kept and claimed:
        done = saved_from(ws, kept)
        if done is not None:  # the switch stopped after saving it
            result = {**result, "saved": done.spec, "kept": None}
            _set(ws, job_id, result=result)
            kept = None
            _say(ws, user, f"{done.spec} was saved from {path.name} by a switch that stopped "
                           "before it finished; its retrain now offers it (switch to it on "
                           "the retraining page)", said, path)
    if kept and kept_at == offered:
        if claimed:  # a switch stopped before saving it: offered again as it was
            path.rename(kept_at)
            _say(ws, user, f"put back {KEPT_ROOT}/{kept_at.name}, which a switch left "
                           "claimed when it stopped: it can be switched to again", said, path)
        return
    owner = next((r for r in rows if str(r["id"]) == kept_at.name.removeprefix("job-")), None)
    owned = dict((owner or {}).get("result") or {})
    if job_id is None or result.get("saved"):
        saved = result.get("saved") or owned.get("saved")
        why = ("no retrain job names it" if owner is None else
               "its retrain failed" if owner["status"] == "failed" else
               f"{saved} was saved from it already" if saved else
               "its retrain keeps no new version there")
    else:
        newer = [int(r["id"]) for r in rows if int(r["id"]) > job_id
                 and (r["status"] == "done" or r["id"] == newest)]
        why = (f"a newer retrain (job {min(newer)}) superseded it" if newer else
               f"it was compared with {result.get('champion')}, which is no longer the "
               "model in use")
    shutil.rmtree(path)
    if kept and job_id is not None:
        _set(ws, job_id, result={**result, "kept": None,
                                 "removed": {"why": why, "at": now().isoformat()}})
    _say(ws, user, f"removed {KEPT_ROOT}/{path.name}: {why}", said, path)


def _say(ws: Workspace, user: str, text: str, said: list[str], path: Path) -> None:
    log.info("retrained versions: %s", text)
    said.append(text)
    with ws.store.write() as conn:
        ws.store.audit(conn, user, "retrained.tidy", path.name, what=text)


def refuse_removed(result: dict[str, Any]) -> None:
    """Refuse to switch to a retrain's new version :func:`tidy_retrained` removed."""
    removed = result.get("removed")
    if removed:
        raise GlamlabError(f"this retrain's new version is no longer kept: {removed['why']}",
                           hint="switch to the newest retrain's new version on the "
                                "retraining page, or retrain again")


def retrained_spec(ws: Workspace, result: dict[str, Any]) -> str | None:
    """The spec of a finished retrain's new version: the one it saved, or, for one only
    kept, the version switching to it would save (the next of its name); None: none."""
    if result.get("saved"):
        return str(result["saved"])
    kept = result.get("kept")
    if not kept:
        return None
    from ..registry.models import list_models

    name = str(kept["name"])
    return f"{name}@{max((m.version for m in list_models(ws) if m.name == name), default=0) + 1}"


def compared_with_model_in_use(ws: Workspace, result: dict[str, Any]) -> None:
    """Refuse to switch to a retrain's new version when the model in use is no longer
    the one it was compared with (another retrain was switched to since, or an admin
    chose another model): its comparison says nothing about the model it would replace,
    and switching would replace a newer model on an older comparison's word."""
    from ..errors import ModelNotFound
    from ..registry.models import champion

    compared = str(result.get("champion") or "")
    try:
        now_in_use = champion(ws).spec
    except ModelNotFound:  # none in use: no newer model to replace
        return
    if now_in_use not in (compared, result.get("saved")):
        raise GlamlabError(
            f"this new version was compared with {compared}, but {now_in_use} is the model "
            "in use now, so it was not switched to: its comparison does not say whether it "
            f"does better than {now_in_use}",
            hint="retrain again (Retrain from outcomes) to compare with the model in use")


def switch_to_retrained(ws: Workspace, job_id: int, user: str) -> str:
    """Save the new version a finished ``retrain`` job kept as the next version of its
    name and make it the model in use (what ``glamlab models promote`` does: the old one
    is kept as ``previous``, for a rollback). Until then the job saved no model version,
    as ``glamlab retrain`` saves none that is not put in use. Returns its spec. (A job
    from before the kept versions, whose result names a version it ``saved``: that one.)"""
    from ..retraining import promote
    from ..retraining.tabular import save_kept_version

    job = get(ws, job_id)
    result = dict(job["result"] or {}) if job else {}
    if job is not None and job["kind"] == "retrain":
        refuse_removed(result)  # a newer retrain superseded it, say
    if job is None or job["kind"] != "retrain" or job["status"] != "done" \
            or not (result.get("saved") or result.get("kept")):
        raise GlamlabError("there is no retrained version to switch to",
                           hint="retrain first (Retrain from outcomes), then switch")
    if result.get("switched"):
        raise GlamlabError(f"{result['saved']} is already the model in use since "
                           f"{result['switched']['by']} switched to it",
                           hint="retrain again when more outcomes are in")
    compared_with_model_in_use(ws, result)
    if result.get("kept"):
        spec = save_kept_version(ws, result["kept"]).spec
        result = {**result, "saved": spec, "kept": None}
        _set(ws, job_id, result=result)  # saved once, whatever happens next
    spec = str(result["saved"])
    promote(ws, spec, actor=user, reason=f"switched to on the retraining page (job {job_id})")
    _set(ws, job_id, result={**result, "switched": {"by": user, "at": now().isoformat()}})
    _tidy_quietly(ws, user)  # the other retrains' versions: compared with the one replaced
    return spec


def work(ws: Workspace, job: dict[str, Any], *,
         every: float | None = PROGRESS_EVERY_S) -> dict[str, Any]:
    """Do ``job``; while it runs its message says how far it is and what it is doing, in
    plain words (:func:`glamlab.progress.watching`: the steps, counts and notes of the
    Python API), written at most every ``every`` seconds (None: only the messages the
    job's kind writes itself; what the overhead is measured against)."""
    if every is None:
        return WORK[job["kind"]](ws, job)

    def say(text: str) -> None:
        try:
            _set(ws, job["id"], message=text[:1000])
        except Exception as exc:  # noqa: BLE001 - a busy database: the next one will do
            log.warning("job %s: its progress could not be written: %s", job["id"], exc)

    with watching(say, every=every):
        return WORK[job["kind"]](ws, job)


WORK: dict[str, Callable[[Workspace, dict[str, Any]], dict[str, Any]]] = {
    "evaluate": _evaluate, "run": _run, "monitor": _monitor, "train": _train,
    "optimise": _optimise, "ingest": _ingest, "capacity": _capacity, "act": _act,
    "backtest": _backtest, "index": _index, "retrain": _retrain}


class JobWorker:
    """The thread that does queued jobs, one at a time (started with the app)."""

    def __init__(self, ws: Workspace, *, poll_s: float = 1.0,
                 after: Callable[[str], None] | None = None):
        self.ws = ws
        self.poll_s = poll_s
        self.after = after  # called with the kind after each job (the app drops caches)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            # jobs a stopped server left running are taken again
            t = self.ws.store.t.jobs
            with self.ws.store.write() as conn:
                conn.execute(t.update().where(t.c.status == "running").values(
                    status="queued", message="taken again after a restart"))
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="glamlab-jobs",
                                            daemon=True)
            self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def idle(self) -> bool:
        t = self.ws.store.t.jobs
        with self.ws.store.read() as conn:
            return conn.execute(sa.select(t.c.id).where(t.c.status.in_(ACTIVE))).first() is None

    def wait(self, timeout: float = 600.0) -> bool:
        """Until no job is queued or running (tests); False on timeout."""
        deadline = time.monotonic() + timeout
        while not self.idle():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True

    def _next(self) -> dict[str, Any] | None:
        t = self.ws.store.t.jobs
        with self.ws.store.write() as conn:
            row = conn.execute(sa.select(t).where(t.c.status == "queued")
                               .order_by(t.c.id).limit(1)).first()
            if row is None:
                return None
            conn.execute(t.update().where(t.c.id == row.id, t.c.status == "queued")
                         .values(status="running", started_at=now(), message="started"))
        return dict(row._mapping)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                job = self._next()
            except Exception as exc:  # noqa: BLE001 - the database may be busy; try again
                log.warning("the job worker could not read the jobs table: %s", exc)
                job = None
            if job is None:
                self._wake.wait(self.poll_s)
                self._wake.clear()
                continue
            self._do(job)

    def _do(self, job: dict[str, Any]) -> None:
        ended: dict[str, Any]
        try:
            with said_on_the_web():  # a refusal's fix in the pages' words, not Python's
                result = work(self.ws, job)
            ended = {"status": "done", "result": result, "message": "finished"}
        except GlamlabError as error:
            exc = for_the_web(error)  # its hint said on the pages, not as a command
            ended = {"status": "failed", "message": "failed",
                     "error": exc.message + (f" ({exc.hint})" if exc.hint else "")}
        except Exception as exc:  # noqa: BLE001 - recorded on the job; the server carries on
            log.exception("job %s (%s) failed", job["id"], job["kind"])
            ended = {"status": "failed", "message": "failed",
                     "error": f"{type(exc).__name__}: {exc}"}
        # before the job shows finished: a page that sees it finished sees what it changed
        # (the app's caches dropped), not what was cached before
        if self.after is not None:
            try:
                self.after(job["kind"])
            except Exception:  # noqa: BLE001 - the job is recorded all the same
                log.exception("after job %s (%s)", job["id"], job["kind"])
        _set(self.ws, job["id"], finished_at=now(), **ended)
