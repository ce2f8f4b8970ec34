"""HIPE's PROD and TIME in a PER, LOC, ORG project: `glamlab labels import` listed an
'unknown label' line for every such span, imported nothing, and said "fix these lines":
there was no way to leave those types out or to map them. --drop-unknown-types and
--type-map TYPE=LABEL do, and the refusal names the exact command."""

from __future__ import annotations

import pytest

from tests.cli import run_main
from tests.tasks.test_span_store import _hipe

_run = run_main


@pytest.fixture
def gold(tmp_path):
    path = tmp_path / "gold.tsv"
    path.write_text(_hipe([
        ("d1", [("Le", "O"), ("Figaro", "B-HumanProd"), ("de", "O"), ("Paris", "B-LOC")]),
        ("d2", [("Victor", "B-PER"), ("Hugo", "I-PER"), ("lit", "O")])]), encoding="utf-8")
    return path


def test_types_the_project_lacks_are_refused_with_the_command_that_leaves_them_out(
        make_ws, gold, capsys):
    ws = make_ws("e", task="entities", modality="text", labels=["PER", "LOC", "ORG"])
    code, _out, err = _run(capsys, ws, "labels", "import", str(gold), "--segment",
                           "document")
    assert code != 0 and "unknown label 'PROD'" in err
    assert f"`glamlab labels import {gold} --drop-unknown-types`" in err, err
    assert "--type-map PROD=PER" in err and "nothing else is wrong" in err, err
    assert ws.count_items() == 0

    code, out, _err = _run(capsys, ws, "labels", "import", str(gold), "--segment",
                           "document", "--drop-unknown-types")
    assert code == 0, _err
    assert "2 items with gold spans" in out and "1 span of types left out as asked " \
           "(PROD 1)" in out, out


def test_a_type_mapped_to_a_label_is_imported_as_it(make_ws, gold, capsys):
    from glamlab.tasks.spans import gold_spans

    ws = make_ws("e", task="entities", modality="text", labels=["PER", "LOC", "ORG"])
    code, _out, err = _run(capsys, ws, "labels", "import", str(gold), "--segment",
                           "document", "--type-map", "PROD=ORG")
    assert code == 0, err
    spans = gold_spans(ws)
    assert sorted(s.label for v in spans.values() for s in v) == ["LOC", "ORG", "PER"]
    code, _out, err = _run(capsys, ws, "labels", "import", str(gold), "--type-map",
                           "PROD=WORK")
    assert code == 2 and "'WORK' is no label of this project" in err, err


def test_a_type_map_written_in_the_file_s_lower_case_maps_too(make_ws, gold, capsys):
    """HIPE files write ``prod``; the refusal says ``PROD``. ``--type-map prod=ORG`` was
    taken, then matched nothing: the spans stayed unknown and the import was refused."""
    from glamlab.tasks.spans import gold_spans

    ws = make_ws("e", task="entities", modality="text", labels=["PER", "LOC", "ORG"])
    code, _out, err = _run(capsys, ws, "labels", "import", str(gold), "--segment",
                           "document", "--type-map", "prod=ORG")
    assert code == 0, err
    spans = gold_spans(ws)
    assert sorted(s.label for v in spans.values() for s in v) == ["LOC", "ORG", "PER"]
