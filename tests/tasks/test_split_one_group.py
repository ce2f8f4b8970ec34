"""A folder of images gives every page the folder as its document: a split that keeps
documents whole then has one group, and the error says so, where the value came from and
the fix (not "label more items", which would not help)."""

from __future__ import annotations

import csv

import pytest
from PIL import Image

from glamlab.errors import LabelError
from glamlab.tasks import import_labels, split_labels


def test_one_document_for_every_page_is_said_with_its_origin_and_fix(make_ws, tmp_path):
    ws = make_ws("pages", task="blank-pages", labels=["blank", "content"])
    folder = tmp_path / "images"
    folder.mkdir()
    rows = []
    for i in range(8):
        Image.new("L", (40, 60), 255 if i % 2 else 30).save(folder / f"page-{i}.png")
        rows.append({"id": f"page-{i}", "path": f"images/page-{i}.png",
                     "label": "blank" if i % 2 else "content", "document": f"book-{i // 2}"})
    table = tmp_path / "labels.csv"
    with open(table, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    ws.ingest([str(folder)])
    import_labels(ws, str(table))
    with pytest.raises(LabelError) as e:
        split_labels(ws, test_size=0.3, group_by="document")
    message, hint = str(e.value), e.value.hint or ""
    assert "every labelled item (8) has the same document, 'images'" in message
    assert "folder" in message and "label more items" not in hint
    assert "document column" in hint and "allow_source_change=True" in hint
    # the fix it names works: the table that names each page's document
    assert ws.ingest([str(table)], image_column="path", allow_source_change=True).updated == 8
    report = split_labels(ws, test_size=0.3, group_by="document")
    assert report.groups == 4
