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


def test_a_password_in_the_url_is_kept_out_of_the_card(tmp_path, monkeypatch, db_url):
    """`glamlab init --db postgresql://user:PASSWORD@host/db` (or Workspace.init(db=...))
    wrote the password into glamlab.toml, which anyone who can read the folder reads (and
    which is copied, shared, committed). The card now keeps the URL without it, and init
    says where later commands take it from."""
    import pytest
    import sqlalchemy as sa

    from glamlab.workspace import _without_password

    assert _without_password("postgresql://ada:s3cret@db.example.org:5432/glam") == (
        "postgresql://ada@db.example.org:5432/glam", True)
    assert _without_password("postgresql://ada@db.example.org/glam") == (
        "postgresql://ada@db.example.org/glam", False)
    assert _without_password("postgresql://ada@db/glam?password=s3cret&sslmode=require") == (
        "postgresql://ada@db/glam?sslmode=require", True)
    assert _without_password(str(tmp_path / "glamlab.db"))[1] is False
    if db_url is None:
        pytest.skip("the rest needs a PostgreSQL server: make test-postgres")
    monkeypatch.delenv("GLAMLAB_DB", raising=False)
    # the test server trusts local connections, so a password given is not needed
    url = sa.engine.make_url(db_url).set(password="s3cret-pw").render_as_string(
        hide_password=False)
    res = CliRunner().invoke(cli, ["init", str(tmp_path / "letters"), "--db", url, *INIT])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["database"] == "postgresql" and "PGPASSWORD" in out["notes"][0]
    text = (tmp_path / "letters" / "glamlab.toml").read_text(encoding="utf-8")
    assert "s3cret-pw" not in text
    assert _card(tmp_path / "letters")["database"]["url"] == db_url
    res = CliRunner().invoke(cli, ["-w", str(tmp_path / "letters"), "status", "--json"])
    assert res.exit_code == 0, res.output
