"""report_sections reads its result and changes nothing in it: a second call says the
same, and the leaderboard rows a caller holds keep their own names."""

from __future__ import annotations

import copy
from functools import cached_property

from glamlab.evaluation import Candidate, evaluate, fit_baselines
from glamlab.evaluation.evaluate import EvaluationResult, Leaderboard
from glamlab.reports.evaluation import report_sections
from tests.evaluation.test_evaluate import Decent, Peeker, _fitted, lang_ws  # noqa: F401


class HeldRows(EvaluationResult):
    """A result whose leaderboard rows are read once and then held, as a caller keeping
    them (a page, a DataFrame built from them) has them."""

    @cached_property
    def leaderboard(self) -> Leaderboard:  # type: ignore[override]
        return EvaluationResult.leaderboard.fget(self)  # type: ignore[attr-defined]


def _html(sections) -> list[tuple[str, str, str, str]]:
    return [(s.title, s.text, s.html, s.note) for s in sections]


def test_a_second_call_says_the_same_and_the_rows_are_unchanged(lang_ws) -> None:  # noqa: F811
    from glamlab.tasks.splits import test_data

    ws = lang_ws
    test_ids = tuple(test_data(ws, freeze=False).ids)
    cands, _ = fit_baselines(ws, save=False)
    peeker = Candidate("peeker", _fitted(ws, Peeker(test_ids)), "model")
    decent = Candidate("decent", _fitted(ws, Decent()), "model")
    plain = evaluate(ws, [*cands, peeker, decent], n_boot=200, store=False, choose_on="test")
    result = HeldRows(**{f: getattr(plain, f) for f in plain.__dataclass_fields__})
    rows = copy.deepcopy(list(result.leaderboard))
    assert any(r["in_sample"] for r in rows)  # the case that writes "(in-sample…)"

    first = _html(report_sections(result))
    second = _html(report_sections(result))

    assert first == second
    assert list(result.leaderboard) == rows  # the input rows as they were
    board = next(html for title, _, html, _ in first if title == "Leaderboard")
    table = board.split("</table>")[0]
    assert table.count("(in-sample: chosen on the test split)") == 1
