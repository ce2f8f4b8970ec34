"""Under the leaderboard (the Evaluate page, the Reports page) a sentence says what F1 and
the 95% interval are: the pages gave "F1 (macro average) 0.934, 95% interval
0.832–0.986" and never said what either means, to a curator who has met neither."""

from __future__ import annotations

from html import unescape
from pathlib import Path
from typing import Any

from glamlab.web.words import BOARD_F1_EXPLAINED, BOARD_INTERVAL_EXPLAINED

from .conftest import stage_page_worked_out
from .test_next_step_baselines import baselines_only


def test_the_leaderboard_says_what_f1_and_the_interval_mean(make_ws: Any,
                                                            tmp_path: Path) -> None:
    ws = baselines_only(make_ws, tmp_path)
    page = stage_page_worked_out(ws, "evaluate")
    board = page.split("<caption>Leaderboard on the test set</caption>", 1)[1]
    said = unescape(board.split('id="board-explained">', 1)[1].split("</p>", 1)[0])
    assert BOARD_F1_EXPLAINED in said and BOARD_INTERVAL_EXPLAINED in said, said
    assert "F1 is a score from 0 to 1" in said and "the fewer test items, the wider" in said
