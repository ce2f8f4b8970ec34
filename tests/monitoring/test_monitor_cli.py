from __future__ import annotations

import json
from html.parser import HTMLParser

from click.testing import CliRunner

from glamlab.cli import cli
from tests.monitoring.test_monitor import _setup


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_cli_exit_3_json_and_html(make_ws, tmp_path):
    ws = make_ws()
    _setup(ws, windows=[(200, 0.3, 0.85), (200, 0.75, 0.62)])
    args = ["-w", str(ws.root)]
    if not ws.store.is_sqlite:
        args += ["--db", ws.store.url]
    out = tmp_path / "reports" / "monitor.html"  # a folder that does not exist yet: made
    res = CliRunner().invoke(cli, [*args, "monitor", "--model", "m@1", "--json", "--html",
                                   str(out)])
    assert res.exit_code == 3, res.output
    data = json.loads(res.stdout)
    assert data["alert"] is True
    assert {a["signal"] for a in data["alerts"]} >= {"label_mix"}
    page = out.read_text()
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page
    parser = _Collect()
    parser.feed(page)
    svgs = [a for t, a in parser.tags if t == "svg"]
    thresholds = [a for t, a in parser.tags if t == "path" and a.get("class") == "threshold"]
    assert len(svgs) >= 2 and len(thresholds) >= 2


def test_cli_quiet_exits_zero(make_ws):
    ws = make_ws()
    _setup(ws, windows=[(200, 0.3, 0.85)])
    args = ["-w", str(ws.root)] + ([] if ws.store.is_sqlite else ["--db", ws.store.url])
    res = CliRunner().invoke(cli, [*args, "monitor", "--model", "m@1"])
    assert res.exit_code == 0, res.output
    assert "No drift" in res.output


def test_cli_html_that_cannot_be_written_is_one_error(make_ws, tmp_path, capsys):
    """--html under a file (not a folder): one error naming the path and the fix, not an
    OSError traceback."""
    import pytest

    from glamlab.cli import main

    ws = make_ws()
    _setup(ws, windows=[(200, 0.3, 0.85)])
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    args = ["-w", str(ws.root)] + ([] if ws.store.is_sqlite else ["--db", ws.store.url])
    with pytest.raises(SystemExit) as ex:
        main([*args, "monitor", "--model", "m@1", "--html", str(blocker / "monitor.html")])
    assert ex.value.code == 2
    # a loaded machine may let the heartbeat speak first ("monitor: still working, 6 s")
    err = "\n".join(line for line in capsys.readouterr().err.splitlines()
                    if ": still working, " not in line)
    assert err.startswith(f"error: cannot write {blocker / 'monitor.html'}") and "fix:" in err
