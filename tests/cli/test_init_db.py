"""`glamlab init` and the database URL, as docs/deploy.md describes them:
`glamlab init --db URL` writes the URL into glamlab.toml ([database] url), and
GLAMLAB_DB (where a team keeps the password, out of the card) is used but never written
there. `init --db` used to be refused (no such option), and a GLAMLAB_DB set while
running `glamlab init` was copied, password and all, into the card."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from click.testing import CliRunner

from glamlab.cli import cli

INIT = ["--task", "letters", "--modality", "text", "--labels", "fr,de", "--json"]


def _card(folder: Path) -> dict:
    return tomllib.loads((folder / "glamlab.toml").read_text(encoding="utf-8"))


def test_init_db_writes_the_url_into_the_card(tmp_path, monkeypatch):
    monkeypatch.delenv("GLAMLAB_DB", raising=False)
    url = f"sqlite:///{tmp_path / 'shared' / 'letters.db'}"
    (tmp_path / "shared").mkdir()
    runner = CliRunner()
    res = runner.invoke(cli, ["init", str(tmp_path / "letters"), "--db", url, *INIT])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["database"] == "sqlite"
    assert _card(tmp_path / "letters")["database"]["url"] == url
    assert (tmp_path / "shared" / "letters.db").exists()
    assert not (tmp_path / "letters" / "glamlab.db").exists()

    # later commands find the database from the card alone
    res = runner.invoke(cli, ["-w", str(tmp_path / "letters"), "db", "status", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["database"] == url


def test_glamlab_db_from_the_environment_stays_out_of_the_card(tmp_path, monkeypatch):
    secret = tmp_path / "secret-place.db"
    monkeypatch.setenv("GLAMLAB_DB", f"sqlite:///{secret}")
    runner = CliRunner()
    res = runner.invoke(cli, ["init", str(tmp_path / "letters"), *INIT])
    assert res.exit_code == 0, res.output
    assert "database" not in _card(tmp_path / "letters")
    assert "secret-place" not in (tmp_path / "letters" / "glamlab.toml").read_text()
    assert secret.exists()  # the workspace was made where GLAMLAB_DB points

    # with GLAMLAB_DB still set, as in the service's environment file, it is the same one
    res = runner.invoke(cli, ["-w", str(tmp_path / "letters"), "db", "status", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["database"] == f"sqlite:///{secret}"
