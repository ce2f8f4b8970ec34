"""The code examples of the README and docs/ run, so they cannot rot.

A fenced block right after a ``<!-- runnable -->`` line is run: ``python`` blocks with
``exec`` (the blocks of one file share their names, in order), ``console`` blocks line by
line (``$ glamlab ...`` through the command line in this process, ``$ cd DIR``; other
lines are output and are skipped; a ``cd`` lasts until the block ends). Each file runs in a fresh folder holding ``texts.csv``
(the bundled language sample), ``bookings-sample.csv.gz`` (the bundled bookings, which
docs/tabular.md copies from the clone) and ``my-project``, an empty workspace for it.

Every predictor a README or docs example trains (``glamlab train NAME``, ``train(ws,
"NAME")``, ``glamlab predictors``' names) must be in the catalogue, runnable or not.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MARK = "<!-- runnable -->"
FENCE = re.compile(r"^```(\w*)\s*$")


def runnable_blocks(path: Path) -> list[tuple[int, str, str]]:
    """(line, language, code) of every block marked runnable in ``path``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out = []
    i = 0
    while i < len(lines):
        if lines[i].strip() == MARK:
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            m = FENCE.match(lines[j].strip()) if j < len(lines) else None
            assert m, f"{path.name}:{i + 1}: {MARK} must come right before a ``` block"
            k = j + 1
            while not lines[k].strip().startswith("```"):
                k += 1
            out.append((j + 1, m.group(1), "\n".join(lines[j + 1 : k])))
            i = k
        i += 1
    return out


def _sandbox(folder: Path) -> None:
    from glamlab import Workspace
    from glamlab.demo.projects import project

    shutil.copy(ROOT / "src" / "glamlab" / "demo_data" / "language" / "texts.csv",
                folder / "texts.csv")
    # docs/tabular.md copies it from the clone, as its reader does
    shutil.copy(ROOT / "src" / "glamlab" / "demo_data" / "bookings" / "bookings-sample.csv.gz",
                folder / "bookings-sample.csv.gz")
    init = project("language").init
    Workspace.init(folder / "my-project", **init).close()


def _console(code: str, where: str, cwd: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from glamlab.cli import cli

    runner = CliRunner()
    for line in code.splitlines():
        if not line.startswith("$ "):
            continue
        args = shlex.split(line[2:], comments=True)
        if args[0] == "cd":
            cwd[0] = (cwd[0] / args[1]).resolve()
            monkeypatch.chdir(cwd[0])
            continue
        assert args[0] == "glamlab", f"{where}: only glamlab commands run here: {line}"
        res = runner.invoke(cli, args[1:])
        assert res.exit_code == 0, (f"{where}: `{line[2:]}` failed ({res.exit_code}):\n"
                                    f"{res.output}\n{res.exception!r}")


DOCS_WITH_EXAMPLES = [p for p in DOCS if runnable_blocks(p)]


def test_the_readme_has_runnable_examples():
    assert ROOT / "README.md" in DOCS_WITH_EXAMPLES
    languages = {lang for _, lang, _ in runnable_blocks(ROOT / "README.md")}
    assert languages == {"python", "console"}


@pytest.mark.parametrize("doc", DOCS_WITH_EXAMPLES, ids=lambda p: p.name)
def test_examples_run(doc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("openpyxl")
    _sandbox(tmp_path)
    monkeypatch.chdir(tmp_path)
    cwd = [tmp_path]
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for line, lang, code in runnable_blocks(doc):
        where = f"{doc.name}:{line}"
        cwd[0] = tmp_path  # each block starts in the folder (a `cd` lasts for its block)
        monkeypatch.chdir(tmp_path)
        if lang == "python":
            exec(compile(code, where, "exec"), namespace)  # noqa: S102 - our own docs
        elif lang == "console":
            _console(code, where, cwd, monkeypatch)
        else:
            pytest.fail(f"{where}: cannot run a {lang!r} block; mark python or console only")
    ws = namespace.get("ws")
    if ws is not None:
        ws.close()  # type: ignore[attr-defined]


TRAINED = [re.compile(r"glamlab train ([a-z0-9][\w:-]*)"),
           re.compile(r"""train\(ws, ["']([\w:-]+)["']"""),
           re.compile(r"model_candidates\(ws, \[[\"']([\w:-]+)")]


def test_every_predictor_named_in_the_docs_exists():
    from glamlab.predictors.catalogue import available

    names = set(available())
    sources = [*DOCS, *(ROOT / "src" / "glamlab" / "cli").glob("*.py"),
               *(ROOT / "src" / "glamlab").rglob("__init__.py")]
    wrong = []
    for path in sources:
        text = path.read_text(encoding="utf-8")
        for pattern in TRAINED:
            for m in pattern.finditer(text):
                name = m.group(1).split("@")[0]
                if name.startswith("service:"):
                    continue  # a [services.NAME] block of the card, not the catalogue
                if name not in names and name.upper() != name and name not in ("NAME",):
                    wrong.append(f"{path.relative_to(ROOT)}: {m.group(0)}")
    assert not wrong, "predictors that do not exist:\n" + "\n".join(wrong)
