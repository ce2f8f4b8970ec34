"""Whether a trend is corrected is one setting, ``settings["corrected"]`` (set where the
method is chosen or given): the command line, the chart and the words read it, rather
than each working it out again from the method's name."""

from __future__ import annotations

import pytest

from glamlab.cli import main
from glamlab.trends.chart import trend_page
from glamlab.trends.trend import TrendResult, TrendRow
from glamlab.trends.words import label_summary, method_words


def _result(method: str, corrected: bool) -> TrendResult:
    rows = [TrendRow(str(year), "maps", 40, 0.3, 0.2, 0.4, 0.3, 0.2, 0.4, method, "ok")
            for year in (1900, 1910)]
    return TrendResult(by="decade", model="m@1", method=method, labels=["maps"], rows=rows,
                       rates={}, settings={"corrected": corrected,
                                           "choice": {"reason": "given"}})


@pytest.mark.parametrize("method", ["acc", "mystery"])
def test_a_method_that_corrects_nothing_is_said_so_whatever_its_name(method):
    """A method named like a correction (or not named in any list), whose result says it
    corrects nothing: every place says "not corrected"."""
    plain = _result(method, corrected=False)
    assert "not corrected here" in trend_page(plain)
    assert method_words(plain).startswith("Share:")
    fixed = _result(method, corrected=True)
    assert "not corrected here" not in trend_page(fixed)
    assert method_words(fixed).startswith("Corrected share:")
    assert label_summary(plain, "maps") != label_summary(fixed, "maps")


def test_the_command_line_reads_the_setting(monkeypatch, make_ws, capsys):
    import glamlab.trends as trends_module

    ws = make_ws(modality="text")
    for corrected, said in ((False, "not corrected (acc)"),
                            (True, "corrected with the model's error rates (acc)")):
        monkeypatch.setattr(trends_module, "trends",
                            lambda *_a, _c=corrected, **_k: _result("acc", _c))
        with pytest.raises(SystemExit) as exc:
            main(["--workspace", str(ws.root), "trends", "--by", "decade"])
            raise SystemExit(0)
        out = capsys.readouterr()
        assert (exc.value.code or 0) == 0, out.err
        head = out.out.splitlines()[0]
        assert head.startswith(f"Trends by decade, model m@1, {said}"), head
