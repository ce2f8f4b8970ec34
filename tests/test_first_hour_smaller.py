"""The smaller traps of the first hour (issue 24, point 9)."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from glamlab.cli import cli
from glamlab.items import Item


def test_items_errors_prints_the_whole_fix(make_ws, tmp_path):
    ws = make_ws(modality="text", labels=["en", "de"])
    src = tmp_path / "t.csv"
    src.write_text("id,lang\ns1,en\n", encoding="utf-8")
    ws.ingest([str(src)])
    res = CliRunner().invoke(cli, ["-w", str(ws.root), "items", "--errors"])
    assert res.exit_code == 0, res.output
    hint = ws.ingest_errors()[0]["hint"]
    assert len(hint) > 40 and f"fix: {hint}" in res.output


def test_wordnet_concepts_only_for_english_texts():
    from glamlab.predictors.text import wordnet
    from glamlab.predictors.text.heads import _mostly_english

    wn = wordnet.resolve(None)
    # CI installs it (.ci/run), so there a missing WordNet fails rather than skips
    if wn is None and not os.environ.get("CI"):
        pytest.skip("needs Debian's wordnet-base: make wordnet")
    assert wn is not None, "WordNet (Debian's wordnet-base) is not installed"
    english = [Item(f"e{i}", "text", text=t) for i, t in enumerate(
        ["Portrait of a young woman with a hat", "Landscape with cows near a river",
         "View of the harbour at sunset"])]
    other = [Item(f"o{i}", "text", text=t) for i, t in enumerate(
        ["Die Mitglieder des Vereins treffen sich am Montag",
         "Le conseil municipal se réunira la semaine prochaine",
         "Hyvää huomenta, miten voit tänään"])]
    assert _mostly_english(english, wn)
    assert not _mostly_english(other, wn)
    assert not _mostly_english([], wn)


def test_the_status_line_counts_one_as_one() -> None:
    """The demo printed "1 runs with 127 predictions"."""
    from glamlab.workspace.status import _summary

    line = _summary(1, 1, 1, {}, 1, 1, 1, 1, 0, settled=1)
    assert line.startswith("1 item, 1 ingest problem (see glamlab items --errors), 1 labelled")
    assert "1 saved model, 1 evaluation, 1 run with 1 prediction" in line
    assert "1 more suggestion settled" in line
    assert "127 predictions" in _summary(127, 0, 0, {}, 4, 4, 2, 127, 9)
    assert "2 runs with" in _summary(127, 0, 0, {}, 4, 4, 2, 127, 9)
