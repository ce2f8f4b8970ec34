"""A hint that sends a curator to "whoever runs glamlab on the server" said what to ask
for in words only (bring a file in, import a calibration set, set aside a fresh test
set): that person had to work out the command. Each now names it."""

from __future__ import annotations

import io
from typing import Any

import pytest

from glamlab.actions.optimise import WEB_CALIBRATION
from glamlab.errors import GlamlabError
from glamlab.files import save_upload
from glamlab.tasks import uploads
from glamlab.tasks.splits import budget_warning


def test_the_test_budget_warning_names_the_command() -> None:
    said = budget_warning(5, 3, web=True)
    assert said and "ask whoever runs glamlab on the server" in said
    assert "glamlab labels sample --split test" in said


def test_the_calibration_hint_names_the_command() -> None:
    assert "glamlab labels import FILE --split calibration" in WEB_CALIBRATION


def test_a_file_over_the_upload_limit_names_the_command(tmp_path: Any) -> None:
    with pytest.raises(GlamlabError) as caught:
        save_upload(io.BytesIO(b"x" * 20), tmp_path / "up", "big.csv", max_bytes=10)
    assert "ask whoever runs glamlab on the server" in (caught.value.hint or "")
    assert "glamlab ingest big.csv" in (caught.value.hint or ""), caught.value.hint


def test_a_parquet_file_outside_a_tabular_project_names_the_command(make_ws: Any) -> None:
    ws = make_ws("texts", modality="text", labels=["a", "b"])
    with pytest.raises(GlamlabError) as caught:
        uploads.save(ws, io.BytesIO(b"PAR1"), "rows.parquet")
    assert "glamlab ingest rows.parquet" in (caught.value.hint or ""), caught.value.hint
