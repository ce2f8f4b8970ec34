"""A refusal names its fix in the words of whoever asked (:mod:`glamlab.said`).

From Python (a script, a notebook) ``Workspace.init`` refused a new card with the command
line's flags or edits of a ``glamlab.toml`` that did not exist yet: labels=['a', 'a']
-> "edit [project] labels in glamlab.toml", labels=['a'] -> "give them with --labels a,b".
A new card's fix is now the caller's argument; the command line keeps its own words
(``--labels``, ``--metric``), the web form its own, and a card read from its file still
names ``glamlab.toml``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from glamlab.errors import GlamlabError
from glamlab.workspace import Workspace


def _hint(path: Path, **kw: object) -> str:
    args: dict = {"task": "t", "modality": "text", "labels": ["a", "b"]}
    args.update(kw)
    with pytest.raises(GlamlabError) as err:
        Workspace.init(path, **args)
    assert not (path / "glamlab.toml").exists()
    return err.value.hint or ""


@pytest.mark.parametrize(("kw", "words"), [
    ({"labels": ["a", "a"]}, "give each label once in labels=[...]"),
    ({"labels": ["a|b", "c"]}, "rename it in labels=[...]"),
    ({"labels": ["a"]}, "labels=['blank', 'content']"),
    ({"labels": []}, "labels=['blank', 'content']"),
    ({"metric": "bogus"}, "give metric= one of 'accuracy', 'f1_macro'"),
    ({"modality": "video"}, "give modality= one of 'image', 'text', 'tabular'"),
    ({"kind": "bogus"}, "give kind= one of 'entities', 'multi-label', 'single-label'"),
    ({"kind": "single-label", "multi_label": True}, "multi_label=True with kind='multi-label'"),
    ({"positive_label": "z"}, "give positive_label= one of labels=[...]"),
    ({"modality": "tabular"}, "give labels=['0', '1']"),
])
def test_workspace_init_names_the_python_argument(tmp_path: Path, kw: dict, words: str) -> None:
    hint = _hint(tmp_path / "ws", **kw)
    assert words in hint
    assert "--" not in hint.split(";")[0]
    assert "glamlab.toml" not in hint.split(";")[0]


def test_open_and_item_name_python_calls(tmp_path: Path) -> None:
    with pytest.raises(GlamlabError) as err:
        Workspace.open(tmp_path)
    assert "Workspace.init(" in (err.value.hint or "")
    assert "--workspace" not in (err.value.hint or "")
    ws = Workspace.init(tmp_path / "ws", task="t", modality="text", labels=["a", "b"])
    with pytest.raises(GlamlabError) as err:
        ws.item("nope")
    assert "ws.items()" in (err.value.hint or "")
    assert "glamlab items" not in (err.value.hint or "")


def test_a_card_from_its_file_still_names_the_file(tmp_path: Path) -> None:
    from glamlab.config import ProjectCard
    from glamlab.tasks.kinds import task_kind

    card = ProjectCard(name="s", task="s", modality="text", labels=["a", "a"])
    with pytest.raises(GlamlabError) as err:
        card.validate()
    assert "edit [project] labels in glamlab.toml" in (err.value.hint or "")
    card = ProjectCard(name="s", task="s", modality="text", labels=["a", "b"], metric="bogus")
    with pytest.raises(GlamlabError) as err:
        task_kind(card)
    assert "set [project] metric in glamlab.toml" in (err.value.hint or "")


@pytest.mark.parametrize(("args", "words"), [
    (["--labels", "a"], "give them with --labels a,b"),
    (["--labels", "a,b", "--metric", "bogus"], "give --metric one of accuracy, f1_macro"),
    (["--labels", "a,b", "--positive-label", "z"], "give --positive-label one of --labels"),
    (["--labels", "a,b", "--modality", "tabular"], "use --labels 0,1"),
])
def test_the_command_line_keeps_its_words(tmp_path: Path, args: list[str], words: str) -> None:
    from glamlab.cli import cli

    argv = ["init", str(tmp_path / "ws"), "--task", "t", "--modality", "text", *args]
    res = CliRunner().invoke(cli, argv)
    hint = str(getattr(res.exception, "hint", "")) + res.output
    assert res.exit_code != 0
    assert words in hint, hint
    assert "labels=[" not in hint and "metric=" not in hint


def test_the_command_line_names_init_where_no_workspace_is(tmp_path: Path) -> None:
    from glamlab.cli import cli

    res = CliRunner().invoke(cli, ["--workspace", str(tmp_path), "status"])
    assert res.exit_code != 0
    assert "glamlab init" in str(getattr(res.exception, "hint", "")) + res.output


def test_the_web_form_keeps_its_words(tmp_path: Path) -> None:
    from glamlab.said import said_on_the_web

    ws = Workspace.init(tmp_path / "ws", task="t", modality="text", labels=["a", "b"])
    with said_on_the_web(), pytest.raises(GlamlabError) as err:
        ws.define(task="t", modality="text", labels=["a", "b"], positive_label="z")
    assert err.value.hint == "choose one of the labels"
    with said_on_the_web(), pytest.raises(GlamlabError) as err:
        ws.define(task="t", modality="text", labels=["a"])
    assert err.value.hint == "write each label on its own line in the labels"


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    import csv

    from glamlab.tasks import import_labels

    texts = Path(__file__).resolve().parents[1] / "src/glamlab/demo_data/language/texts.csv"
    with open(texts, encoding="utf-8") as f:
        labels = sorted({r["label"] for r in csv.DictReader(f)})
    ws = Workspace.init(tmp_path_factory.mktemp("lang") / "ws", task="language",
                        modality="text", labels=labels)
    ws.ingest([texts])
    import_labels(ws, texts)
    return ws


def test_labels_split_and_train_name_python_arguments(labelled: Workspace) -> None:
    """import_labels, split_labels and train from Python named --label-column,
    --test-size, glamlab items show and `glamlab predictors`."""
    from glamlab.registry.training import train
    from glamlab.tasks import import_labels, split_labels

    texts = Path(__file__).resolve().parents[1] / "src/glamlab/demo_data/language/texts.csv"
    for call, words in [
        (lambda: import_labels(labelled, texts, label_column="lbl"), "label_column=..."),
        (lambda: import_labels(labelled, texts, id_column="ident"), "id_column=..."),
        (lambda: split_labels(labelled, test_size=1.5), "test_size=0.3"),
        (lambda: split_labels(labelled, group_by="nofield"), "ws.item(ITEM_ID).meta"),
        (lambda: train(labelled, "lang-langidd"), "recommended(ws.card)"),
    ]:
        with pytest.raises(GlamlabError) as err:
            call()
        hint = err.value.hint or ""
        assert words in hint, hint
        assert "--" not in hint and "glamlab items" not in hint and "`glamlab" not in hint


def test_labels_split_and_train_keep_the_command_lines_words(labelled: Workspace) -> None:
    from glamlab.cli import cli

    texts = Path(__file__).resolve().parents[1] / "src/glamlab/demo_data/language/texts.csv"
    root = str(labelled.root)
    for argv, words in [
        (["labels", "import", str(texts), "--label-column", "lbl"], "--label-column"),
        (["labels", "split", "--test-size", "1.5"], "--test-size 0.3"),
        (["labels", "split", "--group-by", "nofield"], "glamlab items show ITEM_ID"),
        (["train", "lang-langidd"], "`glamlab predictors` lists"),
    ]:
        res = CliRunner().invoke(cli, ["--workspace", root, *argv])
        hint = str(getattr(res.exception, "hint", "")) + res.output
        assert res.exit_code != 0
        assert words in hint, (argv, hint)
        assert "=..." not in hint and "ws." not in hint


def test_monitor_names_python_calls_and_the_command_line_its_options(
        tmp_path: Path, labelled: Workspace) -> None:
    """Too small a test split for a reference: monitor() from Python said "glamlab labels
    split --force", "glamlab run" and "use --reference first"."""
    import csv

    from glamlab.cli import cli
    from glamlab.evaluation import fit_baselines
    from glamlab.inference import run
    from glamlab.monitoring.monitor import monitor
    from glamlab.tasks import import_labels, split_labels

    texts = Path(__file__).resolve().parents[1] / "src/glamlab/demo_data/language/texts.csv"
    with open(texts, encoding="utf-8") as f:
        labels = sorted({r["label"] for r in csv.DictReader(f)})
    ws = Workspace.init(tmp_path / "ws", task="language", modality="text", labels=labels)
    ws.ingest([texts])
    import_labels(ws, texts)
    split_labels(ws, test_size=0.1)
    fit_baselines(ws)
    run(ws, "majority", workers=0)
    with pytest.raises(GlamlabError) as err:
        monitor(ws, "majority", store_alerts=False)
    hint = err.value.hint or ""
    assert "too few for a reference" in str(err.value)
    assert "reference='first'" in hint and "run(ws)" in hint, hint
    assert "--" not in hint and "glamlab " not in hint, hint
    res = CliRunner().invoke(cli, ["--workspace", str(ws.root), "monitor", "--model", "majority"])
    cli_hint = str(getattr(res.exception, "hint", "")) + res.output
    assert "use --reference first" in cli_hint and "glamlab run" in cli_hint, cli_hint
    assert "run(ws)" not in cli_hint


def test_split_labels_names_import_labels_and_force_true(tmp_path: Path,
                                                        labelled: Workspace) -> None:
    """No labels yet, or a notebook's split_labels cell run again after an evaluation:
    the fix named `glamlab labels import FILE` and --force."""
    from glamlab.cli import cli
    from glamlab.tasks import split_labels

    ws = Workspace.init(tmp_path / "ws", task="t", modality="text", labels=["a", "b"])
    with pytest.raises(GlamlabError) as err:
        split_labels(ws)
    assert "import_labels(ws, 'FILE.csv')" in (err.value.hint or "")
    res = CliRunner().invoke(cli, ["--workspace", str(ws.root), "labels", "split"])
    assert "glamlab labels import FILE.csv" in str(getattr(res.exception, "hint", ""))
    from glamlab.evaluation import evaluate, fit_baselines

    split_labels(labelled, test_size=0.3)
    evaluate(labelled, fit_baselines(labelled)[0])  # reads the test split: frozen
    with pytest.raises(GlamlabError) as err:
        split_labels(labelled, test_size=0.3)
    hint = err.value.hint or ""
    assert "force=True" in hint and "split='train'" in hint and "--" not in hint, hint
    res = CliRunner().invoke(cli, ["--workspace", str(labelled.root), "labels", "split"])
    assert "--force" in str(getattr(res.exception, "hint", ""))


def test_every_command_speaks_the_command_lines_words(tmp_path, monkeypatch) -> None:
    """A command that does not wrap its own calls (here `glamlab status`) still has its
    refusals said in the command line's words: the root group sets the voice for the whole
    command; after it, Python's words are the default again."""
    from click.testing import CliRunner

    from glamlab import Workspace
    from glamlab.cli import cli
    from glamlab.said import said

    ws = Workspace.init(tmp_path / "ws", task="t", modality="text", labels=["a", "b"])
    heard = []
    status = Workspace.status

    def listening(self, *args, **kwargs):
        heard.append(said())
        return status(self, *args, **kwargs)

    monkeypatch.setattr(Workspace, "status", listening)
    res = CliRunner().invoke(cli, ["-w", str(ws.root), "status"])
    assert res.exit_code == 0, res.output
    assert heard == ["cli"]
    assert said() == "python"


def _cli_hint(root: Path, *argv: str) -> str:
    """What the command line says of a refused command: its hint and its output."""
    from glamlab.cli import cli

    res = CliRunner().invoke(cli, ["--workspace", str(root), *argv])
    return str(getattr(res.exception, "hint", "") or "") + res.output


def test_ingest_names_text_column_to_python_and_the_flag_to_the_command_line(
        tmp_path: Path) -> None:
    """A table whose text column was not found: ws.ingest(...) from a notebook was told
    "--text-column NAME", "--id-column NAME" (flags it has no way to give)."""
    ws = Workspace.init(tmp_path / "ws", task="t", modality="text", labels=["a", "b"])
    table = tmp_path / "t.csv"
    table.write_text("id,body\n1,x\n", encoding="utf-8")
    noid = tmp_path / "noid.csv"
    noid.write_text("ark,text\nx1,Map\n", encoding="utf-8")
    report = ws.ingest([table], text_column="txt")
    (problem,) = report.problems
    assert "text_column=" in problem["hint"] and "--" not in problem["hint"], problem
    assert "given as text_column=" in problem["reason"], problem
    report = ws.ingest([noid])
    assert "id_column='NAME'" in report.problems[0]["hint"], report.problems
    assert "--" not in report.problems[0]["hint"]
    said = _cli_hint(ws.root, "ingest", str(table), "--text-column", "txt")
    assert "check the spelling of --text-column" in said, said
    assert "text_column=" not in said
    said = _cli_hint(ws.root, "ingest", str(noid))
    assert "--id-column NAME" in said and "id_column=" not in said, said


def test_tabular_ingest_names_time_column(tmp_path: Path) -> None:
    """ingest_table without a time column said "add --time-column COL" to Python."""
    from glamlab.tasks.tabular import ingest_table

    ws = Workspace.init(tmp_path / "ws", task="t", modality="tabular", labels=["0", "1"])
    rows = tmp_path / "rows.csv"
    rows.write_text("id,day,size,outcome\n1,2020-01-01,3,0\n2,2020-02-01,4,1\n",
                    encoding="utf-8")
    with pytest.raises(GlamlabError) as err:
        ingest_table(ws, rows, label_column="outcome")
    hint = err.value.hint or ""
    assert "time_column='COL'" in hint and "--" not in hint, hint
    said = _cli_hint(ws.root, "ingest", str(rows), "--label-column", "outcome")
    assert "add --time-column COL" in said and "time_column=" not in said, said


def test_run_names_force_true_and_engine_to_python(tmp_path: Path) -> None:
    """run(ws, model, 'changed') said "glamlab run --model M --force --items changed";
    an unknown engine "use --engine local or --engine ray"."""
    from glamlab.inference import run
    from glamlab.predictors.baselines import MajorityPredictor
    from glamlab.registry import save_model

    texts = Path(__file__).resolve().parents[1] / "src/glamlab/demo_data/language/texts.csv"
    ws = Workspace.init(tmp_path / "ws", task="language", modality="text",
                        labels=["de", "en", "fr", "nl"])
    ws.ingest([texts])
    items = list(ws.items(limit=4))
    save_model(ws, MajorityPredictor().fit(items, ["en"] * 4, classes=list(ws.card.labels)),
               name="majority")
    with pytest.raises(GlamlabError) as err:
        run(ws, "majority", "changed", workers=0)
    hint = err.value.hint or ""
    assert "run(ws, 'majority', 'changed', force=True)" in hint, hint
    assert "force=True" in str(err.value) and "--force" not in str(err.value)
    with pytest.raises(GlamlabError) as err:
        run(ws, "majority", engine="bogus", workers=0)
    assert err.value.hint == "pass engine='local' or engine='ray'"
    said = _cli_hint(ws.root, "run", "--model", "majority", "--items", "changed")
    assert "glamlab run --model majority --force --items changed" in said, said
    assert "force=True" not in said


def test_review_import_names_by_to_python(tmp_path: Path) -> None:
    """import_decisions(ws, FILE, by=...) said "--by NAME" and "glamlab users add"."""
    from glamlab.auth import add_user
    from glamlab.review.sheet import import_decisions

    ws = Workspace.init(tmp_path / "ws", task="t", modality="text", labels=["a", "b"])
    sheet = tmp_path / "queue.csv"
    with pytest.raises(GlamlabError) as err:
        import_decisions(ws, sheet, "")
    assert err.value.hint == "say who decided them: by='NAME'"
    add_user(ws, "maria", "a-long-password", "reviewer")
    with pytest.raises(GlamlabError) as err:
        import_decisions(ws, sheet, "Maria")
    assert err.value.hint == "write by='maria', as the user is named"
    with pytest.raises(GlamlabError) as err:
        import_decisions(ws, sheet, "mario")
    hint = err.value.hint or ""
    assert "glamlab.auth.add_user(ws, 'mario', PASSWORD, 'reviewer')" in hint, hint
    assert "glamlab users" not in hint and "--" not in hint
    said = _cli_hint(ws.root, "review", "import", str(sheet), "--by", "Maria")
    assert "write --by maria, as the user is named" in said, said
    said = _cli_hint(ws.root, "review", "import", str(sheet), "--by", "mario")
    assert "glamlab users add mario --role reviewer" in said and "add_user" not in said


def test_the_web_app_speaks_the_pages_words(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A refusal on a page or in a background job is said in the pages' words: the voice
    is the web's for the whole request (its route's thread included) and for each job,
    so a hint converted to Python's words does not reach a curator as ``text_column=``."""
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from glamlab.said import said
    from glamlab.web.middleware import SaidOnTheWeb

    def sync(_request: object) -> PlainTextResponse:  # run in a worker thread
        return PlainTextResponse(said())

    async def coro(_request: object) -> PlainTextResponse:
        return PlainTextResponse(said())

    app = SaidOnTheWeb(Starlette(routes=[Route("/s", sync), Route("/a", coro)]))
    with TestClient(app) as client:
        assert client.get("/s").text == "web" and client.get("/a").text == "web"
    assert said() == "python"

    from glamlab.web import jobs

    ws = Workspace.init(tmp_path / "ws", task="t", modality="text", labels=["a", "b"])
    heard: list[str] = []
    monkeypatch.setattr(jobs, "work", lambda _ws, _job: heard.append(said()) or {})
    jobs.JobWorker(ws)._do({"id": 0, "kind": "noop"})
    assert heard == ["web"] and said() == "python"


def test_a_predictors_parameter_is_named_as_params_to_python() -> None:
    """A positive_label not among the task's labels said "train with --param
    positive_label=..." to train(ws, ..., params={...})."""
    from types import SimpleNamespace

    from glamlab.predictors.base import require_label
    from glamlab.said import said_on_the_command_line

    predictor = SimpleNamespace(name="blank", classes_=["blank", "content"], positive_label="z")
    with pytest.raises(GlamlabError) as err:
        require_label(predictor, "positive_label")  # type: ignore[arg-type]
    assert err.value.hint == "train with params={'positive_label': <one of blank, content>}"
    with said_on_the_command_line(), pytest.raises(GlamlabError) as err:
        require_label(predictor, "positive_label")  # type: ignore[arg-type]
    assert err.value.hint == "train with --param positive_label=<one of blank, content>"


def _refusal(call: object) -> GlamlabError:
    with pytest.raises(GlamlabError) as err:
        call()  # type: ignore[operator]
    return err.value


def _call(name: str, ws: Workspace, tmp_path: Path) -> None:
    """One of the refused calls of the test below, on a text project."""
    from glamlab.actions.capacity import project_capacity
    from glamlab.actions.link import link_predictions
    from glamlab.store.transfer import import_store
    from glamlab.tasks.count import set_count_task
    from glamlab.tasks.splits import test_data
    from glamlab.trends.ngrams import term_frequencies
    from glamlab.trends.trend import choose_model

    {"capacity": lambda: project_capacity(ws, since="soon"),
     "link": lambda: link_predictions(ws),
     "count": lambda: set_count_task(ws),
     "term": lambda: term_frequencies(ws, ["!!"], by="year"),
     "import": lambda: import_store(ws.store, tmp_path / "d.zip"),
     "test split": lambda: test_data(ws),
     "trend": lambda: choose_model(ws, None)}[name]()


@pytest.mark.parametrize(("name", "python", "cli"), [
    ("capacity", "since='soon' is not a date", "--since 'soon' is not a date"),
    ("link", "Workspace.init(..., task='entities')", "--task entities"),
    ("count", "Workspace.init(..., modality='tabular')", "--modality tabular"),
    ("term", "terms=['railway', 'steam engine']", "--term railway --term 'steam engine'"),
    ("import", "pass replace=True", "pass --replace"),
    ("test split", "import_labels(ws, FILE, split='test')", "import labels with --split test"),
    ("trend", "run(ws, 'NAME')", "glamlab run --model NAME"),
])
def test_more_refusals_name_python_arguments_and_the_command_lines_flags(
        tmp_path: Path, name: str, python: str, cli: str) -> None:
    """Capacity's dates, link on a project without entities, a count task on a text
    project, an empty --term, an import into a database in use, an empty test split and a
    trend with no predictions named the command line's flags (--since, --task entities,
    --modality tabular, --term, --replace, --split test, glamlab run) to Python callers."""
    from glamlab.said import said_on_the_command_line
    from glamlab.store.transfer import export_store

    ws = Workspace.init(tmp_path / "ws", task="t", modality="text", labels=["a", "b"])
    export_store(ws.store, tmp_path / "d.zip")
    with pytest.raises(GlamlabError) as err:
        _call(name, ws, tmp_path)
    said = f"{err.value.message} {err.value.hint}"
    assert python in said and "--" not in said and "glamlab " not in said, said
    with said_on_the_command_line(), pytest.raises(GlamlabError) as err:
        _call(name, ws, tmp_path)
    said = f"{err.value.message} {err.value.hint}"
    assert cli in said and python not in said, said


def test_capacity_and_link_keep_the_command_lines_flags(tmp_path: Path) -> None:
    from glamlab.cli import cli

    ws = Workspace.init(tmp_path / "ws", task="t", modality="text", labels=["a", "b"])
    for argv, words, python in [(["capacity", "--since", "soon"],
                                 "--since 'soon' is not a date", "since="),
                                (["link"], "glamlab link links entity spans", "Workspace.init"),
                                (["link"], "--task entities", "task=")]:
        res = CliRunner().invoke(cli, ["--workspace", str(ws.root), *argv])
        said = f"{res.exception} {getattr(res.exception, 'hint', '')} {res.output}"
        assert res.exit_code != 0
        assert words in said and python not in said, (argv, said)


def test_tabular_hints_name_python_arguments(tmp_path: Path) -> None:
    """A tabular project's empty test split, a window the current model learned from and
    ingest's summary of a column that follows the year named `glamlab labels split
    --by-time --cutoff`, --window-start and --never-feature to Python callers."""
    from types import SimpleNamespace

    from glamlab.said import said_on_the_command_line, said_on_the_web
    from glamlab.tasks.splits import test_data
    from glamlab.tasks.tabular import TableIngest

    ws = Workspace.init(tmp_path / "ws", task="t", modality="tabular", labels=["0", "1"])
    hint = _refusal(lambda: test_data(ws)).hint or ""
    assert "set_time_split(ws, 'YYYY-MM-DD')" in hint and "--" not in hint, hint
    with said_on_the_command_line():
        hint = _refusal(lambda: test_data(ws)).hint or ""
    assert "glamlab labels split --by-time --cutoff YYYY-MM-DD" in hint, hint
    with said_on_the_web():
        hint = _refusal(lambda: test_data(ws)).hint or ""
    assert "on the Labelling page" in hint and "glamlab" not in hint, hint
    ingest = TableIngest(report=SimpleNamespace(summary=lambda: "Added 2 rows."),
                         schema=SimpleNamespace(time_column="day"), leakage=None, yearly=["year"],
                         train_until="2020-06-01")  # type: ignore[arg-type]
    said = ingest.summary()
    assert "add 'year' to never_features=[...]" in said, said
    assert "set_time_split(ws, 'YYYY-MM-DD')" in said and "--" not in said, said
    with said_on_the_command_line():
        said = ingest.summary()
    assert "Keep it out: --never-feature year." in said, said
    assert "glamlab labels split --by-time --cutoff DATE" in said, said


def test_an_image_table_without_images_names_image_column(tmp_path: Path) -> None:
    """ws.ingest of an image project's table with no image or text column: the fix named
    --image-column NAME and `glamlab labels import` to a notebook."""
    ws = Workspace.init(tmp_path / "ws", task="t", modality="image", labels=["a", "b"])
    table = tmp_path / "t.csv"
    table.write_text("id,lang\ns1,en\n", encoding="utf-8")
    hint = ws.ingest([table]).problems[0]["hint"]
    assert "image_column='NAME'" in hint and "import_labels(ws, 't.csv')" in hint, hint
    assert "--" not in hint and "glamlab " not in hint, hint
    said = _cli_hint(ws.root, "ingest", str(table))
    assert "--image-column NAME" in said and "glamlab labels import t.csv" in said, said
    assert "image_column=" not in said
