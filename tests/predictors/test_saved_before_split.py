"""Models saved before predictors/image.py, text.py and language.py became packages still
load: their params.json and the classes pickled in their state name the old modules."""

from __future__ import annotations

import json
import pickle

from glamlab.predictors.base import PARAMS_FILE, STATE_FILE, Predictor
from glamlab.predictors.image.heads import PageStatsLogReg
from glamlab.predictors.language.peers import LangidLanguage


def test_old_module_paths_load(tmp_path) -> None:
    head = PageStatsLogReg(C=0.25)
    # protocol 0 writes module names as plain lines, so the old name can be put back
    state = pickle.dumps({"page_model_": head, "peer_": LangidLanguage()}, protocol=0)
    state = (state.replace(b"glamlab.predictors.image.heads\n", b"glamlab.predictors.image\n")
             .replace(b"glamlab.predictors.language.peers\n", b"glamlab.predictors.language\n"))
    assert b"glamlab.predictors.image\n" in state and b"glamlab.predictors.language\n" in state
    (tmp_path / STATE_FILE).write_bytes(state)
    # a name no catalogue knows, so the class path in params.json is what loads it
    (tmp_path / PARAMS_FILE).write_text(json.dumps({
        "predictor": "an-old-name", "params": {"C": 0.5}, "classes": ["a", "b"],
        "multi_label": False, "class": "glamlab.predictors.image:PageStatsLogReg"}))
    loaded = Predictor.load(tmp_path)
    assert type(loaded) is PageStatsLogReg and loaded.C == 0.5
    assert type(loaded.page_model_) is PageStatsLogReg and loaded.page_model_.C == 0.25
    assert type(loaded.peer_) is LangidLanguage
