"""The method glamlab picks is cross-validated on the labelled items of the frozen test
split only (:func:`glamlab.trends.rates.labelled_rates`), not on every labelled item:
the words said "on the labelled items", which a curator reads as all of them (the
training items included, whose labels also count as facts in the shares). Every place
that says how the method was chosen now says the test items."""

from __future__ import annotations

import pytest

from glamlab.cli import main
from glamlab.trends.quantify import PREFERRED
from glamlab.trends.trend import TrendResult
from glamlab.trends.words import method_words


@pytest.mark.parametrize("reason", ["lowest cross-validated MAE (...)", f"{PREFERRED}: ...",
                                    "default: too few groups"])
def test_the_words_say_the_method_was_tested_on_the_test_items(reason: str) -> None:
    result = TrendResult(by="date:decade", model="m@1", method="acc", labels=["a"], rows=[],
                         rates={}, settings={"choice": {"reason": reason}})
    words = method_words(result)
    assert "labelled test items (set aside from training)" in words
    assert "on the labelled items," not in words


def test_the_command_line_help_says_the_test_split(capsys: pytest.CaptureFixture[str]
                                                   ) -> None:
    assert main(["trends", "--help"]) in (None, 0)
    helptext = " ".join(capsys.readouterr().out.split())
    assert ("chosen for this query by cross-validation over the groups of the labelled "
            "test split's items") in helptext
    assert "which groups of the test split's labelled items the cross-validation" in helptext
