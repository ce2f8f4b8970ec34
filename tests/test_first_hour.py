"""The first hour of a new user, scripted: their own spreadsheet (the shared language
dev set as Excel in French writes it: ``;`` between cells, the label column called
``langue``, the text in ``path_or_text``), from ``init`` to ``export``, from the command
line and from Python. Each step checks what a newcomer would otherwise trip over."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from glamlab.cli import cli
from glamlab.errors import EXIT_USAGE, GlamlabError

EVERY = 4  # every 4th row: 345 texts in 24 languages, a few minutes on one core


def _collection(shared_data: Path, folder: Path, *, blank_every: int = 0) -> tuple[Path, Path]:
    """(the collection sheet, a label sheet with some label cells left blank)."""
    with open(shared_data / "language_id" / "dev" / "labels.csv", encoding="utf-8",
              newline="") as fh:
        rows = list(csv.DictReader(fh))[::EVERY]
    sheet, labels = folder / "collection.csv", folder / "labels-half.csv"
    with open(sheet, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["id", "path_or_text", "langue", "source", "kind", "origin", "license"])
        for r in rows:
            w.writerow([r["id"], r["path_or_text"], r["label"], r["source"], r["kind"],
                        r["origin"], r["license"]])
    with open(labels, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["id", "langue"])
        for n, r in enumerate(rows):
            w.writerow([r["id"], "" if blank_every and n % blank_every == 0 else r["label"]])
    return sheet, labels


def _languages(sheet: Path) -> list[str]:
    with open(sheet, encoding="utf-8-sig", newline="") as fh:
        return sorted({r["langue"] for r in csv.DictReader(fh, delimiter=";")})


def test_first_hour_on_the_command_line(shared_data, tmp_path, monkeypatch):
    sheet, half = _collection(shared_data, tmp_path, blank_every=10)
    runner = CliRunner()
    ws_dir = tmp_path / "langues"

    def glamlab(*args: str, code: int = 0) -> str:
        res = runner.invoke(cli, ["-w", str(ws_dir), *args])
        if isinstance(res.exception, GlamlabError):  # what main() prints as error: / fix:
            assert res.exception.exit_code == code, f"glamlab {' '.join(args)}: {res.exception}"
            return f"error: {res.exception.message}\nfix: {res.exception.hint}"
        assert res.exit_code == code, f"glamlab {' '.join(args)}:\n{res.output}"
        return res.output

    res = runner.invoke(cli, ["init", str(ws_dir), "--task", "language", "--modality", "text",
                              "--labels", ",".join(_languages(sheet)),
                              "--need", "Fill the language field of our catalogue."])
    assert res.exit_code == 0, res.output
    # 1. the text column is found (no column is called "text"), the ; is sniffed
    out = glamlab("ingest", str(sheet))
    assert "'path_or_text'" in out and "new items" in out
    with open(sheet, encoding="utf-8-sig", newline="") as fh:
        ids = {r["id"] for r in csv.DictReader(fh, delimiter=";")}
    n_items = len(ids)
    assert f"{n_items} new items" in out
    # 2. a half-filled label sheet: the filled rows come in, the blank ones are listed
    out = glamlab("labels", "import", str(half), "--label-column", "langue")
    assert "rows have no label yet" in out
    labelled = n_items - len(range(0, n_items, 10))
    assert f"{labelled} items labelled" in out
    # ... and a sheet to label the rest, with the text to read
    glamlab("labels", "sample", "--n", "5", "--out", str(tmp_path / "to-label.csv"))
    with open(tmp_path / "to-label.csv", encoding="utf-8-sig", newline="") as fh:
        to_label = list(csv.DictReader(fh))
    assert len(to_label) == 5 and all(r["text"] and not r["label"] for r in to_label)
    glamlab("labels", "import", str(sheet), "--label-column", "langue")
    glamlab("labels", "split", "--test-size", "0.3", "--seed", "0")
    out = glamlab("baseline")
    assert "glamlab predictors" in out  # the verdict says where to look
    # 3. which predictor? real names, recommended for this task
    out = glamlab("predictors")
    assert "[1] language" in out
    out = glamlab("train")  # the list of predictors: exit 0
    assert "glamlab train language" in out
    out = glamlab("train", "emb-logreg", code=EXIT_USAGE)
    assert "glamlab predictors" in out
    glamlab("train", "lang-langid")
    glamlab("train", "lang-lingua-low")
    # 4. the verdict chooses the model that run, act and export use
    out = glamlab("evaluate", "--n-boot", "200")
    assert "now use" in out
    chosen = out.split("now use ", 1)[1].split(" ")[0]
    status = json.loads(glamlab("status", "--json"))
    assert status["model_in_use"] == chosen.split("@")[0] + "@champion"
    assert f"glamlab run --model {chosen.split('@')[0]}@champion" in status["next_step"]
    monkeypatch.chdir(ws_dir)
    out = glamlab("run", "--workers", "0")
    assert chosen in out  # the run names the version it used
    # 5. actions: the dry run and status point to --optimise and export
    out = glamlab("act", "--dry-run")
    assert chosen in out
    status = json.loads(glamlab("status", "--json"))
    assert "act --optimise" in status["next_step"] and "glamlab export" in status["next_step"]
    glamlab("act")
    status = json.loads(glamlab("status", "--json"))
    monitoring = next(s for s in status["stages"] if s["stage"] == "monitoring")
    assert not monitoring["done"]  # monitor never ran
    # 6. the export opens in Excel: BOM, ids as they are, the text to check each value
    out = glamlab("export", "--format", "csv", "--out", str(tmp_path / "decisions.csv"),
                  "--meta", "kind")
    assert chosen in out
    raw = (tmp_path / "decisions.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert len(rows) == n_items
    assert {r["item_id"] for r in rows} == ids  # ids as they are in the sheet
    assert all(r["text"] and r["kind"] for r in rows)
    if pytest.importorskip("openpyxl"):
        glamlab("export", "--format", "xlsx", "--out", str(tmp_path / "decisions.xlsx"))
        assert (tmp_path / "decisions.xlsx").stat().st_size > 1000


def test_first_hour_from_python(shared_data, tmp_path):
    import glamlab
    from glamlab.actions import act, export, plan
    from glamlab.evaluation import evaluate, fit_baselines, model_candidates
    from glamlab.inference import run
    from glamlab.predictors.catalogue import recommended
    from glamlab.registry import champion
    from glamlab.registry.training import train
    from glamlab.tasks import import_labels, split_labels

    sheet, _ = _collection(shared_data, tmp_path)
    ws = glamlab.Workspace.init(tmp_path / "langues", task="language", modality="text",
                                labels=_languages(sheet), need="Fill the language field.")
    report = ws.ingest([sheet])
    assert report.failed == 0 and report.added > 300
    assert all(item.text for item in ws.items(limit=20))
    import_labels(ws, sheet, label_column="langue")
    split_labels(ws, test_size=0.3, seed=0)
    assert recommended(ws.card)[0] == "language"
    baselines, _ = fit_baselines(ws)
    train(ws, "lang-langid")
    result = evaluate(ws, baselines + model_candidates(ws), n_boot=200)
    assert result.chosen == "lang-langid@1"
    assert champion(ws).spec == "lang-langid@1"
    ran = run(ws, workers=0)
    assert ran.model == "lang-langid@1" and ran.done == report.added
    assert plan(ws).model == "lang-langid@1"
    act(ws)
    out = export(ws, "csv", tmp_path / "decisions.csv")
    assert out["model"] == "lang-langid@1" and out["rows"] == report.added
    ws.close()
