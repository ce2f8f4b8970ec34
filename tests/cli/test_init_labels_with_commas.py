"""`glamlab init --labels` and a label that holds a comma (Tate's subject "emotions,
concepts and ideas"). `--labels` split on commas, so such a label could only be given
between '|'. Now also: `--labels` once for each label, a CSV row with the label in double
quotes, or `--labels-file` (one a line); the card keeps the label whole, and labels that
read two ways are refused with one error naming the fix. The plain comma form is kept."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from glamlab.cli import main

TATE = "emotions, concepts and ideas"
INIT = ["--task", "subjects", "--modality", "text", "--multi-label"]


def _init(folder: Path, *args: str) -> tuple[int, str, list[str] | None]:
    """Run `glamlab init` as a person does: its exit code, what it wrote (stdout and
    stderr) and the labels the card holds (None without a card)."""
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(["init", str(folder), *INIT, *args])
        except SystemExit as exc:
            code = int(exc.code or 0)
    card = folder / "glamlab.toml"
    labels = (tomllib.loads(card.read_text(encoding="utf-8"))["project"]["labels"]
              if card.exists() else None)
    return code, out.getvalue() + err.getvalue(), labels


@pytest.mark.parametrize("args", [
    ["--labels", "people", "--labels", TATE, "--labels", "nature"],
    ["--labels", f'people,"{TATE}",nature'],
    ["--labels", f'people, "{TATE}", nature'],
    ["--labels", f"people|{TATE}|nature"],
], ids=["repeated", "csv-quoted", "csv-quoted-spaced", "bar"])
def test_a_label_with_a_comma_is_kept_whole_in_the_card(tmp_path: Path, args: list[str]) -> None:
    code, out, labels = _init(tmp_path / "ws", *args)
    assert code == 0, out
    assert labels == ["people", TATE, "nature"]


def test_labels_file_one_a_line(tmp_path: Path) -> None:
    f = tmp_path / "labels.txt"
    f.write_text(f"\ufeffpeople\n{TATE}\n\nnature\n", encoding="utf-8")
    code, out, labels = _init(tmp_path / "ws", "--labels-file", str(f))
    assert code == 0, out
    assert labels == ["people", TATE, "nature"]


def test_the_comma_form_is_kept(tmp_path: Path) -> None:
    code, out, labels = _init(tmp_path / "ws", "--labels", "people, nature,places")
    assert code == 0, out
    assert labels == ["people", "nature", "places"]


@pytest.mark.parametrize("args, words", [
    (["--labels", f'"{TATE}|people'], "--labels people --labels"),
    (["--labels", f'"{TATE},people'], "--labels-file"),
    (["--labels", f'people,"{TATE}"x'], "--labels-file"),
    (["--labels", "people", "--labels", f'"{TATE}"'], "without quotes"),
    (["--labels", "a,b", "--labels-file", "FILE"], "not both"),
    ([], "give the labels: --labels"),
], ids=["quotes-and-bar", "open-quote", "quote-inside", "repeated-quoted", "both", "none"])
def test_labels_that_read_two_ways_get_one_error_naming_the_fix(
        tmp_path: Path, args: list[str], words: str) -> None:
    (tmp_path / "FILE").write_text("a\nb\n", encoding="utf-8")
    args = [str(tmp_path / "FILE") if a == "FILE" else a for a in args]
    code, out, labels = _init(tmp_path / "ws", *args)
    assert code != 0 and labels is None
    assert words in out, out
    assert "Traceback" not in out


@pytest.mark.parametrize("labels", [["blank", "content"], ["people", TATE, "nature"]])
def test_a_command_the_cli_suggests_gives_the_labels_back_whole(labels: list[str]) -> None:
    """`labels import` of an entities file into a label project suggests `glamlab init
    ... --labels X`: X used to be the labels joined by commas, which splits Tate's."""
    import shlex

    from glamlab.cli.workspace import labels_arg, labels_given

    assert labels_given(tuple(shlex.split(labels_arg(labels))), None) == labels


def test_a_labels_file_not_utf8_or_with_a_bar_is_one_error_naming_the_file(
        tmp_path: Path) -> None:
    """Review finding: a labels file saved by Windows Notepad in its old encoding
    ("café" in cp1252) ended `glamlab init` in a UnicodeDecodeError traceback; a line
    holding '|' was refused with the fix "rename it in [project] labels in glamlab.toml",
    a card init never wrote. Now each is one error naming the file (and the line) and
    the fix in the file; nothing is created."""
    latin = tmp_path / "labels.txt"
    latin.write_bytes("café\nthé\n".encode("cp1252"))
    code, out, labels = _init(tmp_path / "ws", "--labels-file", str(latin))
    assert code == 2 and labels is None, out
    assert "Traceback" not in out and "UnicodeDecodeError" not in out, out
    assert "labels.txt is not UTF-8 text" in out and "save it as UTF-8" in out, out
    bar = tmp_path / "bar.txt"
    bar.write_text("people\nstill life|nature\n", encoding="utf-8")
    code, out, labels = _init(tmp_path / "ws2", "--labels-file", str(bar))
    assert code == 2 and labels is None, out
    assert "line 2" in out and "'|'" in out and "glamlab.toml" not in out, out


@pytest.mark.parametrize("lines, args, fix", [
    ("people\nsea|sky\n", ["--labels-file", "FILE"], "rename it in FILE (--labels-file)"),
    ("people\nnature\npeople\n", ["--labels-file", "FILE"],
     "write each label once in FILE (--labels-file)"),
    ("", ["--labels", "people,nature,people"], "give each label once in --labels"),
    ("", ["--labels", "people", "--labels", "people"], "give each label once in --labels"),
], ids=["bar-in-file", "twice-in-file", "twice-in-labels", "twice-repeated"])
def test_a_label_refused_names_the_fix_where_it_was_given(
        tmp_path: Path, lines: str, args: list[str], fix: str) -> None:
    """A label holding '|' (from --labels-file) or a label given twice was refused with
    "rename it in [project] labels in glamlab.toml": a card not written yet, by a person
    who typed the labels on the command line. The fix names where they were given."""
    f = tmp_path / "labels.txt"
    f.write_text(lines, encoding="utf-8")
    args = [str(f) if a == "FILE" else a for a in args]
    code, out, labels = _init(tmp_path / "ws", *args)
    assert code != 0 and labels is None
    assert fix.replace("FILE", str(f)) in " ".join(out.split()), out
    assert "glamlab.toml" not in out and "Traceback" not in out


def test_a_label_with_a_bar_in_the_card_still_names_the_card(tmp_path: Path) -> None:
    """The card's own check keeps its words: a label edited in glamlab.toml is renamed
    there."""
    from glamlab.config import ProjectCard
    from glamlab.errors import ConfigError

    card = ProjectCard(name="s", task="s", modality="text", labels=["people", "sea|sky"])
    with pytest.raises(ConfigError) as err:
        card.validate()
    assert "'sea|sky' holds '|'" in str(err.value)
    assert "rename it in [project] labels in glamlab.toml" in (err.value.hint or "")
