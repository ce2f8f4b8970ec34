"""`glamlab status` once items are labelled but none is set aside as a test set (labels
imported without a split): the next step is to set a test set aside, keeping whole the
items that share a document where they do, not to "label 100 items for a test set"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from glamlab.cli import main


def _labelled(make_ws: Any, tmp_path: Path, name: str, documents: int, pages: int,
              with_document: bool = True) -> Any:
    from glamlab.tasks import import_labels
    from tests.tasks.helpers import add_items, write_csv

    ws = make_ws(name, modality="text", labels=["a", "b"])
    rows = [{"id": f"d{d:02d}-p{p}", "text": f"page {p} of document {d}",
             "meta": ({"document": f"doc-{d:02d}"} if with_document else {"page": p})}
            for d in range(documents) for p in range(pages)]
    add_items(ws, rows)
    labels = write_csv(tmp_path / f"{name}.csv", ["id", "label"],
                       [[r["id"], "ab"[i % 2]] for i, r in enumerate(rows)])
    import_labels(ws, labels)
    return ws


def _next(capsys: Any, ws: Any) -> str:
    with pytest.raises(SystemExit) as exc:
        main(["--workspace", str(ws.root), "status"])
        raise SystemExit(0)
    out = capsys.readouterr()
    assert (exc.value.code or 0) == 0, out.err
    return out.out.rsplit("Next: ", 1)[1]


def test_labelled_without_a_test_set_says_set_one_aside(make_ws, tmp_path, capsys):
    ws = _labelled(make_ws, tmp_path, "pages", documents=12, pages=5)
    step = _next(capsys, ws)
    assert "label 100 items" not in step
    assert "60 items labelled, none set aside as a test set" in step
    assert "`glamlab labels split --test-size 0.3 --group-by document`" in step
    assert "fewer than about 100 labelled items" in step  # 60: the figures are rough

    many = _labelled(make_ws, tmp_path, "many", documents=30, pages=4, with_document=False)
    step = _next(capsys, many)
    assert "`glamlab labels split --test-size 0.3`" in step  # no field to keep whole
    assert "--group-by" not in step and "rough" not in step

    # the library's own status, asked for no field: the same words without --group-by
    assert "--group-by" not in ws.status()["next_step"]
    assert "set aside as a test set" in ws.status()["next_step"]


def test_nothing_labelled_still_says_label_items(make_ws, tmp_path, capsys):
    from tests.tasks.helpers import add_items

    ws = make_ws("bare", modality="text")
    add_items(ws, [{"id": "x1", "text": "one"}])
    assert "1 item, none labelled: label 100 items for a test set" in _next(capsys, ws)
