"""`glamlab labels sample` with nothing to sample says why, with the fix: a workspace with
no items yet used to be told "every item is labelled already" (and no fix)."""

from __future__ import annotations

import pytest

from glamlab.cli import main


def _sample(capsys, ws, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(["-w", str(ws.root), "labels", "sample", *args])
        raise SystemExit(0)
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


@pytest.mark.parametrize("strategy", ["random", "stratified"])
def test_an_empty_workspace_is_told_to_ingest_first(make_ws, capsys, strategy):
    ws = make_ws("empty", modality="text", labels=["fr", "de"])
    code, out, err = _sample(capsys, ws, "--strategy", strategy, "--json")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "error: there are no items to sample from yet: the workspace is empty",
        "fix: bring the collection in first: glamlab ingest SOURCE"]


def test_every_item_labelled_says_so_with_the_fix(make_ws, tmp_path, capsys):
    from glamlab.tasks import import_labels
    from tests.tasks.helpers import add_items, write_csv

    ws = make_ws("done", modality="text", labels=["fr", "de"])
    add_items(ws, [{"id": f"t{i}", "text": f"texte {i}"} for i in range(4)])
    import_labels(ws, write_csv(tmp_path / "l.csv", ["id", "label"],
                                [[f"t{i}", "fr"] for i in range(4)]))
    code, out, err = _sample(capsys, ws)
    assert (code, out) == (2, "")
    assert err.splitlines()[0] == "error: every item is labelled already; nothing to sample"
    assert err.splitlines()[1].startswith("fix: ") and "glamlab ingest" in err
