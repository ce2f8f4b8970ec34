"""Run the ``glamlab`` command line in the test's process on a workspace: its exit status
and what it printed (the workspace's database passed on where it is PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest


def run_cli(capsys: Any, ws: Any, *args: str) -> tuple[int, str, str]:
    """``glamlab -w WS [--db URL] ARGS...``: (exit status, stdout, stderr)."""
    from glamlab.cli import main

    db = [] if ws.store.is_sqlite else ["--db", ws.store.url]
    with pytest.raises(SystemExit) as exc:
        main(["-w", str(ws.root), *db, *args])
        raise SystemExit(0)
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err
