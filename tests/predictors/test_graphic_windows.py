"""graphic-windows: a window classifier trained from graphic boxes (or from page labels
alone), the page scoring as its best window. Real demo pages; window statistics (no
network) keep these tests fast. Unit tests, not benchmark figures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from glamlab.errors import ItemError, PredictorError
from glamlab.features.grid import window_boxes
from glamlab.items import Item
from glamlab.predictors.base import Predictor
from glamlab.predictors.catalogue import create
from glamlab.predictors.image.windows import GraphicWindows, item_boxes
from tests.features.synthetic import DEMO, demo_rows


def _item(row: dict[str, str], boxes: bool = True) -> Item:
    from PIL import Image

    path = DEMO / row["path"]
    with Image.open(path) as im:
        w, h = im.size
    meta: dict[str, object] = {}
    if boxes:  # the demo's boxes are in pixels of the 1200 px image
        meta = {"boxes": json.loads(row["graphic_bboxes_xywh_1200px"] or "[]"),
                "boxes_size": [round(w * 1200 / max(w, h)), round(h * 1200 / max(w, h))]}
    return Item(row["id"], "image", uri=str(path), content_hash=f"h-{row['id']}", meta=meta)


def _split() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    rows = demo_rows()
    graphic = [r for r in rows if r["label"] == "graphic"]
    other = [r for r in rows if r["label"] == "no_graphic"]
    return graphic[:14] + other[:14], graphic[-8:] + other[-8:]


def test_boxes_are_read_from_item_meta() -> None:
    assert item_boxes(Item("a", "image")) is None
    assert item_boxes(Item("a", "image", meta={"boxes": "[[1, 2, 3, 4]]"})) == [[1, 2, 3, 4]]
    assert item_boxes(Item("a", "image", meta={"boxes": ""})) == []


@pytest.mark.parametrize("bad", ["[[1, 2, 3", "[[1, 2, 3]]", "[[1, 2, -3, 4]]", "[5]",
                                 '"a woodcut"'])
def test_malformed_boxes_name_the_item_and_the_fix(bad: str) -> None:
    with pytest.raises(ItemError, match="p7: its 'boxes' metadata") as info:
        item_boxes(Item("p7", "image", meta={"boxes": bad}))
    assert info.value.item == "p7" and "JSON" in (info.value.hint or "")


def test_a_page_with_malformed_boxes_trains_from_its_label(
        caplog: pytest.LogCaptureFixture) -> None:
    train, test = _split()
    items = [_item(r) for r in train]
    bad = next(i for i, r in enumerate(train) if r["label"] == "graphic")
    items[bad].meta["boxes"] = "[[not json"
    p = create("graphic-windows", windows="stats", stack="", context=False)
    with caplog.at_level("WARNING"):
        p.fit(items, [r["label"] for r in train])
    assert any(items[bad].item_id in m and "label alone" in m for m in caplog.messages)
    assert p.predict_proba([_item(r, boxes=False) for r in test]).shape == (len(test), 2)


@pytest.mark.parametrize("boxes", [True, False], ids=["boxes", "page-labels-only"])
def test_learns_graphic_pages_from_windows(boxes: bool) -> None:
    train, test = _split()
    p = create("graphic-windows", windows="stats", stack="", context=False)
    p.fit([_item(r, boxes) for r in train], [r["label"] for r in train])
    proba = p.predict_proba([_item(r, boxes=False) for r in test])
    g = proba[:, p.classes_.index("graphic")]
    truth = np.array([r["label"] == "graphic" for r in test])
    # held-out pages: graphic ones score higher on average, and more are right than
    # chance (hand-made window statistics and 28 training pages: a weak model)
    assert g[truth].mean() > g[~truth].mean() + 0.2
    assert ((g >= 0.5) == truth).mean() >= 0.65


def test_top_window_lies_on_the_box() -> None:
    train, _ = _split()
    items = [_item(r) for r in train]
    p = create("graphic-windows", windows="stats", stack="", context=False).fit(items, [r["label"] for r in train])
    assert isinstance(p, GraphicWindows)
    win = window_boxes(24, 8)
    hits = total = 0
    for item, scores in zip(items, p.page_scores(items), strict=True):
        boxes = item_boxes(item)
        if not boxes:
            continue
        bw, bh = item.meta["boxes_size"]  # type: ignore[misc]
        x0, y0, x1, y1 = win[int(scores.argmax())]
        total += 1
        hits += any(x0 * bw < x + w and x1 * bw > x and y0 * bh < y + h and y1 * bh > y
                    for x, y, w, h in boxes)
    # a box touches a few of the 161 windows: chance would hit far less often
    assert total >= 10 and hits / total >= 0.5


@pytest.mark.parametrize("stack", ["", "page-stats-logreg"])
def test_predictions_ignore_the_boxes_and_survive_save_load(stack: str, tmp_path: Path) -> None:
    train, test = _split()
    p = create("graphic-windows", windows="stats", context=False, stack=stack).fit(
        [_item(r) for r in train], [r["label"] for r in train])
    assert (p.page_model_ is not None) == bool(stack)  # type: ignore[attr-defined]
    with_boxes = p.predict_proba([_item(r) for r in test])
    np.testing.assert_allclose(p.predict_proba([_item(r, boxes=False) for r in test]),
                               with_boxes)
    p.save(tmp_path / "m")
    q = Predictor.load(tmp_path / "m")
    np.testing.assert_allclose(q.predict_proba([_item(r, boxes=False) for r in test]),
                               with_boxes)


def test_refuses_labels_without_its_positive_label() -> None:
    train, _ = _split()
    with pytest.raises(PredictorError, match="do not include"):
        create("graphic-windows", windows="stats", stack="", context=False).fit(
            [_item(r) for r in train[:4]], ["a", "b", "a", "b"])
    with pytest.raises(PredictorError, match="windows"):
        rows = train[:2] + train[-2:]
        create("graphic-windows", windows="pixels", stack="").fit([_item(r) for r in rows],
                                                        [r["label"] for r in rows])


def test_dense_windows_by_default_find_pictures_on_held_out_pages(monkeypatch,
                                                                  tmp_path: Path) -> None:
    """The default: one EfficientNet-Lite0 pass per page, windows pooled from its map.
    Trained on 28 real demo pages with their boxes, it must rank the 16 held-out pages
    far better than chance (a check that it learns, not a benchmark figure)."""
    pytest.importorskip("torch")
    from sklearn.metrics import roc_auc_score

    from glamlab.features import onnx_embed

    monkeypatch.setenv(onnx_embed.ENV_CACHE, str(tmp_path))
    train, test = _split()
    p = create("graphic-windows", stack="")
    assert p.windows == "dense" and p._extractor().key.startswith("effnet-lite0-dense")
    p.fit([_item(r) for r in train], [r["label"] for r in train])
    proba = p.predict_proba([_item(r, boxes=False) for r in test])
    y = [r["label"] == "graphic" for r in test]
    assert roc_auc_score(y, proba[:, p.classes_.index("graphic")]) >= 0.8
    with pytest.raises(PredictorError, match="windows"):
        create("graphic-windows", windows="dense+effnet", stack="").fit(
            [_item(r) for r in train], [r["label"] for r in train])


def test_boxes_under_another_column_name_train_with_boxes_field() -> None:
    """A table whose boxes column has another name (the shared data's
    graphic_bboxes_xywh) trained the windows from page labels alone, saying nothing:
    boxes_field reads it, and without it training says which column looks like boxes."""
    train, _ = _split()
    labels = [r["label"] for r in train]

    def renamed() -> list[Item]:
        items = [_item(r) for r in train]
        for it in items:
            it.meta["graphic_bboxes_xywh"] = it.meta.pop("boxes")
        return items

    plain = create("graphic-windows", windows="stats", stack="", context=False)
    plain.fit(renamed(), labels)
    (note,) = plain.fit_notes_
    assert "'graphic_bboxes_xywh'" in note and "--param boxes_field=graphic_bboxes_xywh" in note
    named = create("graphic-windows", windows="stats", stack="", context=False,
                   boxes_field="graphic_bboxes_xywh")
    named.fit(renamed(), labels)
    assert named.fit_notes_ == []
    same = create("graphic-windows", windows="stats", stack="", context=False)
    same.fit([_item(r) for r in train], labels)  # the same boxes under "boxes"
    assert same.fit_notes_ == []
    items = [_item(r, boxes=False) for r in train]
    assert np.allclose(named.predict_proba(items), same.predict_proba(items))
    assert not np.allclose(plain.predict_proba(items), same.predict_proba(items))
