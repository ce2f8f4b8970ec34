"""`glamlab train` without a predictor lists the recommended ones: a listing that was
asked for, so exit status 0 (it exited 2, the usage-error status, after a valid list)."""

from __future__ import annotations

import json

import pytest

from glamlab.cli import main


def _train(capsys, ws, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(["-w", str(ws.root), "train", *args])
        raise SystemExit(0)
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


def test_train_without_a_predictor_lists_them_and_exits_0(make_ws, capsys):
    ws = make_ws("t", modality="text", labels=["fr", "de"])
    code, out, err = _train(capsys, ws)
    assert (code, err) == (0, "")
    assert out.startswith("Which predictor? Recommended for this")
    first = out.splitlines()[1].split()
    assert first[:2] == ["glamlab", "train"]
    code, out, err = _train(capsys, ws, "--json")
    data = json.loads(out)
    assert (code, err) == (0, "")
    assert first[2] == data["recommended"][0]["name"]
    from glamlab.registry import describe_models

    assert describe_models(ws) == []  # nothing was trained
