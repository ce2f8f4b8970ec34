"""`glamlab --help` must start fast: guarded by counting imports, not by timing."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["sqlalchemy", "numpy", "scipy", "sklearn", "PIL", "pyarrow", "httpx", "jinja2",
         "torch", "onnxruntime", "fastapi", "tqdm"]


def test_help_imports_nothing_heavy():
    code = (
        "import sys, json\n"
        "from glamlab.cli import cli\n"
        "try:\n"
        "    cli.main(['--help'], prog_name='glamlab', standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded == [], f"glamlab --help imported heavy modules: {loaded}"


def test_every_command_has_help():
    from click.testing import CliRunner

    from glamlab.cli import COMMANDS, cli

    runner = CliRunner()
    for name in COMMANDS:
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert len(result.output) > 80, name


def test_every_command_in_readme():
    from pathlib import Path

    from glamlab.cli import COMMANDS

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    missing = [name for name in COMMANDS if f"glamlab {name}" not in readme]
    assert not missing, f"commands missing from README: {missing}"


def test_user_error_is_one_line_without_traceback(tmp_path):
    out = subprocess.run([sys.executable, "-m", "glamlab", "-w", str(tmp_path / "nope"), "status"],
                         capture_output=True, text=True)
    assert out.returncode == 2  # a usage or input error
    assert "Traceback" not in out.stderr
    assert out.stderr.startswith("error: ")
    assert "fix: " in out.stderr


def test_no_help_text_shows_a_doubled_percent_sign():
    """Click prints help as written (no %-formatting, unlike argparse): '80%%' would show
    as '80%%' in `glamlab labels split --help`."""
    import click
    from click.testing import CliRunner

    from glamlab.cli import cli

    runner = CliRunner()

    def walk(command: click.Command, path: list[str]):
        yield path
        if isinstance(command, click.Group):  # the top group loads its commands lazily
            ctx = click.Context(command)
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if sub is not None:
                    yield from walk(sub, [*path, name])

    doubled = []
    for path in walk(cli, []):
        result = runner.invoke(cli, [*path, "--help"], terminal_width=200)
        if "%%" in result.output:
            doubled.append(" ".join(path))
    assert not doubled, f"'%%' in the help of: {doubled}"
