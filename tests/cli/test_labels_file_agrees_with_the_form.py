"""Labels given in a file (`glamlab init --labels-file`) and on the web app's project
form are read one way (review finding):

- a file of a single line `a,b,c` was one label, where the form (and `--labels`) read
  three: now a single line is read as the form reads it, several lines one label each;
- a file giving too few labels for a single-label project was told to "give them with
  --labels a,b": now the fix names the file; the form says it in its own words;
- "Created ... with labels emotions, concepts and ideas" read as three labels: the
  message counts them and quotes a lone label that holds a comma.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .test_init_labels_with_commas import TATE, _init


def test_a_single_line_file_reads_as_the_form_reads_it(tmp_path: Path) -> None:
    from glamlab.config import parse_label_list

    f = tmp_path / "labels.txt"
    f.write_text("people, nature,places\n", encoding="utf-8")
    code, out, labels = _init(tmp_path / "ws", "--labels-file", str(f))
    assert code == 0, out
    # what the web form makes of the same text (glamlab.web.routes.setup)
    assert labels == parse_label_list(f.read_text(encoding="utf-8"), hint="") == [
        "people", "nature", "places"]
    assert "with 3 labels: people, nature, places" in out, out
    # several lines: one label a line, commas kept, in both
    f.write_text(f"people\n{TATE}\n", encoding="utf-8")
    code, out, labels = _init(tmp_path / "ws2", "--labels-file", str(f))
    assert code == 0, out
    assert labels == parse_label_list(f.read_text(encoding="utf-8"), hint="") == [
        "people", TATE]


def test_one_label_in_a_file_names_the_file_not_labels(tmp_path: Path) -> None:
    import contextlib
    import io

    from glamlab.cli import main

    f = tmp_path / "labels.txt"
    f.write_text("blank\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(["init", str(tmp_path / "ws"), "--task", "t", "--modality", "image",
                  "--labels-file", str(f)])
        except SystemExit as exc:
            code = int(exc.code or 0)
    said = " ".join((out.getvalue() + err.getvalue()).split())
    assert code == 2, said
    assert "at least two labels" in said and "--labels a,b" not in said, said
    assert f"write at least two labels in {f}, one a line" in said, said
    assert not (tmp_path / "ws" / "glamlab.toml").exists()


def test_a_lone_label_holding_a_comma_is_quoted_when_said(tmp_path: Path) -> None:
    code, out, labels = _init(tmp_path / "ws", "--labels", f'"{TATE}"')
    assert code == 0, out
    assert labels == [TATE]
    assert f"with 1 label: '{TATE}'" in out, out


def test_the_form_says_too_few_labels_in_its_own_words(make_ws: Any) -> None:
    from tests.web.conftest import app_with_users, csrf_of

    ws = make_ws("new", task="new-project", modality="image", labels=["yes", "no"])
    gen = app_with_users(ws)
    _ws, _app, client = next(gen)
    try:
        ada = client("ada")
        r = ada.post("/stages/project", data={
            "csrf": csrf_of(ada), "name": "Blank pages", "need": "", "modality": "image",
            "kind": "single-label", "labels": "blank", "price_per_item": "0"},
            follow_redirects=False)
    finally:
        next(gen, None)  # closes the clients, stops the background jobs
    assert r.status_code == 422
    assert "at least two labels" in r.text
    assert "--labels" not in r.text and "write each label on its own line" in r.text
