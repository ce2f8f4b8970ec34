"""The PostgreSQL pass (make test-pg) runs only the tests that reach the server through
one of conftest.PG_FIXTURES (tests/conftest.py: pytest_collection_modifyitems); the
others are the SQLite pass's tests over again. A test or fixture that reached the server
another way (reading GLAMLAB_TEST_PG itself, making a database with tests.pg) would be
left out of the PostgreSQL pass without a word: this test finds it."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import PG_FIXTURES

TESTS = Path(__file__).resolve().parent
REACHES = ("GLAMLAB_TEST_PG", "fresh_database", "CuttableProxy")
#: fixtures that read GLAMLAB_TEST_PG without reaching the server: each tests' user
#: also takes make_ws, which builds the workspace on PostgreSQL
NOT_REACHING = {"_templates"}


def _names(node: ast.AST) -> set[str]:
    found = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    found |= {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}
    found |= {n.value for n in ast.walk(node)
              if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    return found


def _strays(root: Path = TESTS) -> list[str]:
    strays = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "pg.py" or path == Path(__file__):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in tree.body:
            if not isinstance(fn, ast.FunctionDef):
                continue
            body = ast.Module(body=fn.body, type_ignores=[])
            names = _names(body) | set().union(*(_names(d) for d in fn.decorator_list))
            if not any(r in names for r in REACHES):
                continue
            is_fixture = any("fixture" in _names(d) for d in fn.decorator_list)
            takes = {a.arg for a in fn.args.args}
            if fn.name in PG_FIXTURES or takes & PG_FIXTURES or (
                    is_fixture and fn.name in NOT_REACHING):
                continue
            if fn.name.startswith("test_") or is_fixture:
                strays.append(f"{path.relative_to(root)}::{fn.name}")
    return strays


def test_every_test_that_reaches_postgresql_takes_a_pg_fixture() -> None:
    assert _strays() == [], (
        "these reach the PostgreSQL server without one of PG_FIXTURES, so the PostgreSQL "
        "pass would leave them out: take one (make_ws, db_url, pg_db...), or add the "
        "fixture to PG_FIXTURES in tests/conftest.py")


def test_the_check_finds_a_test_that_reaches_the_server_itself(tmp_path: Path) -> None:
    (tmp_path / "test_probe.py").write_text(
        "import os\nfrom tests.pg import fresh_database\n\n"
        "def test_reads():\n    os.environ.get('GLAMLAB_TEST_PG')\n\n"
        "def test_makes(tmp_path):\n    fresh_database('x', 'y')\n\n"
        "def test_fine(make_ws):\n    os.environ.get('GLAMLAB_TEST_PG')\n\n"
        "def test_other():\n    pass\n", encoding="utf-8")
    assert _strays(tmp_path) == ["test_probe.py::test_reads", "test_probe.py::test_makes"]
