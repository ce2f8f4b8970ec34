"""`glamlab init --kind` with a kind no one registered: a usage error naming the kinds,
not the card's fix ("set [task] kind in glamlab.toml") for a card that does not exist yet;
and the help lists the kinds in words rather than a Python call."""

from __future__ import annotations

from click.testing import CliRunner

from glamlab.cli import cli


def test_an_unknown_kind_is_a_usage_error_naming_the_kinds(tmp_path):
    res = CliRunner().invoke(cli, ["init", str(tmp_path / "ws"), "--task", "people",
                                    "--modality", "text", "--kind", "entitys",
                                    "--labels", "PER,LOC"])
    assert res.exit_code == 2
    assert "no task kind called 'entitys'" in res.output
    assert "entities, multi-label, single-label" in res.output
    assert "glamlab.toml" not in res.output
    assert not (tmp_path / "ws").exists()


def test_the_help_names_the_kinds_in_words():
    res = CliRunner().invoke(cli, ["init", "--help"])
    assert res.exit_code == 0
    assert "available()" not in res.output
    for kind in ("single-label", "multi-label", "entities"):
        assert kind in res.output
