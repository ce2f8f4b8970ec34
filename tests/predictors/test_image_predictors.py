"""Image predictors: learning, bad input, missing optional dependencies, wrong labels.

Blank pages here are SYNTHETIC (tests/features/synthetic.py); pages with content are
real scans. These are unit tests, not benchmark figures."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from glamlab.errors import ItemError, MissingDependency, PredictorError
from glamlab.items import Item
from glamlab.predictors.catalogue import create
from tests.features.synthetic import blank_set, demo_item, demo_rows, synthetic_blank


def test_page_stats_head_learns_blank_versus_content(tmp_path: Path) -> None:
    items, labels = blank_set(tmp_path, 12)
    p = create("page-stats-logreg").fit(items, labels)
    held_out = [Item("nb", "image", uri=str(synthetic_blank(tmp_path / "nb.jpg", seed=99)),
                     content_hash="nb")]
    held_out += [demo_item(r) for r in demo_rows()[-3:]]
    assert p.predict(held_out) == ["blank", "content", "content", "content"]
    proba = p.predict_proba(held_out)
    assert proba[0, p.classes_.index("blank")] > 0.5


def test_gbm_head_handles_a_single_class_honestly(tmp_path: Path) -> None:
    items, labels = blank_set(tmp_path, 6)
    p = create("page-stats-gbm").fit(items[:3], labels[:3], classes=["blank", "content"])
    proba = p.predict_proba(items)
    np.testing.assert_allclose(proba[:, 0], 1.0)  # only "blank" was seen


def test_unreadable_page_is_an_item_error_naming_it(tmp_path: Path) -> None:
    items, labels = blank_set(tmp_path, 6)
    p = create("page-stats-logreg").fit(items, labels)
    bad = tmp_path / "truncated.jpg"
    bad.write_bytes(Path(items[0].uri or "").read_bytes()[:300])
    missing = Item("gone", "image", uri=str(tmp_path / "nope.jpg"))
    for item in (Item("truncated", "image", uri=str(bad)), missing):
        with pytest.raises(ItemError) as err:
            p.predict_proba([items[1], item])
        assert err.value.item == item.item_id
        assert item.item_id in str(err.value)


def test_missing_optional_dependency_names_the_extra(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    items, labels = blank_set(tmp_path, 2)
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)  # import fails
    p = create("rapidocr-blank").fit(items, labels)
    with pytest.raises(MissingDependency) as err:
        p.predict_proba(items[:1])
    assert "glamlab[images]" in (err.value.hint or "")


def test_missing_torch_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import glamlab.features.embed as embed

    monkeypatch.setattr(embed, "_MODELS", {})
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(MissingDependency) as err:
        embed.load_backbone()
    assert "images" in (err.value.hint or "")


def test_zero_shot_refuses_labels_without_its_positive_label() -> None:
    items = [demo_item(r) for r in demo_rows()[:2]]
    with pytest.raises(PredictorError) as err:
        create("rapidocr-blank").fit(items, ["graphic", "no_graphic"])
    assert "positive_label" in (err.value.hint or "")
    p = create("rapid-layout", positive_label="graphic").fit(items, ["graphic", "no_graphic"])
    assert p.classes_ == ["graphic", "no_graphic"]


def test_feature_heads_refuse_text_items() -> None:
    p = create("page-stats-logreg")
    with pytest.raises(PredictorError):
        p.fit([Item("t", "text", text="hello")], ["a"])


def test_model_loaders_are_quieted_on_their_own_loggers_only(caplog) -> None:
    """RapidOCR's and rapid-layout's INFO chatter is dropped on their own loggers; nothing
    process-wide is switched off (a logging.disable would silence the web app's threads)."""
    import logging

    from glamlab.predictors.image.zero_shot import CHATTY_LOGGERS, quiet_model_loaders

    quiet_model_loaders()
    quiet_model_loaders()  # idempotent
    assert logging.root.manager.disable == logging.NOTSET
    loggers = [logging.getLogger(name) for name in CHATTY_LOGGERS]
    saved = [(lg.level, lg.propagate) for lg in loggers]
    try:
        with caplog.at_level(logging.INFO):
            for lg in loggers:  # rapid-layout's own loggers do not propagate: listen on each
                lg.setLevel(logging.INFO)
                lg.propagate = False
                lg.addHandler(caplog.handler)
                lg.info("loading the model")
                lg.warning("a real problem")
            logging.getLogger("glamlab.web").info("a reviewer signed in")
    finally:
        for lg, (level, propagate) in zip(loggers, saved, strict=True):
            lg.removeHandler(caplog.handler)
            lg.setLevel(level)
            lg.propagate = propagate
    messages = [(r.name, r.getMessage()) for r in caplog.records]
    assert ("glamlab.web", "a reviewer signed in") in messages
    assert not any(m == "loading the model" for _, m in messages)
    assert sum(1 for _, m in messages if m == "a real problem") == len(CHATTY_LOGGERS)
