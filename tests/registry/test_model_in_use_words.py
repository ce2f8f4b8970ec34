"""The registry's and ``glamlab models``' words say "model in use" (or a name's chosen
version), never "champion", the older word a curator does not know: the error with no
model in use yet, ``models promote``/``use``/``rollback``, and the refusal of a version
that is not the chosen one. (``NAME@champion`` stays the alias a spec names.)"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from glamlab.cli import cli
from glamlab.errors import ModelNotFound
from glamlab.registry import champion, save_model, set_alias
from tests.inference.conftest import add_text_items
from tests.inference.predictors import HashPredictor


def _save(ws, name):
    items = list(ws.items(limit=2))
    return save_model(ws, HashPredictor().fit(items, ["a", "b"], classes=["a", "b"]), name=name)


def _words(exc: ModelNotFound) -> str:
    return f"{exc.message} {exc.hint or ''}"


def test_no_model_in_use_is_said_without_the_word_champion(make_ws) -> None:
    ws = make_ws(modality="text", labels=["a", "b"])
    add_text_items(ws, 4)
    with pytest.raises(ModelNotFound) as exc:
        champion(ws)
    assert "no model is in use yet" in exc.value.message
    assert "champion" not in _words(exc.value).lower()
    _save(ws, "one")
    with pytest.raises(ModelNotFound) as exc:
        champion(ws, "one")
    assert "no version of 'one' is chosen for use yet" in exc.value.message
    assert "champion" not in _words(exc.value).lower()


def test_glamlab_models_says_model_in_use(make_ws) -> None:
    ws = make_ws(modality="text", labels=["a", "b"])
    add_text_items(ws, 4)
    first = _save(ws, "one")
    set_alias(ws, first.spec, "champion")
    _save(ws, "one")  # one@2, not chosen
    base = ["-w", str(ws.root)] + ([] if ws.store.is_sqlite else ["--db", ws.store.url])

    def said(*args: str) -> str:
        r = CliRunner().invoke(cli, [*base, *args])
        assert r.exit_code == 0, r.output
        return r.output

    refused = CliRunner().invoke(cli, [*base, "models", "use", "one@2"])
    assert isinstance(refused.exception, ModelNotFound), refused.output
    assert "one@2 is not the chosen version of one (one@1 is)" in refused.exception.message
    assert "champion" not in _words(refused.exception).lower()

    promoted = said("models", "promote", "one@2")
    assert "one@2 is now the model in use" in promoted
    used = said("models", "use", "one")
    assert "it is the model in use" in used
    back = said("models", "rollback", "one")
    assert "one@1 is the chosen version of one again" in back
    helped = said("models", "--help") + said("--help")
    for out in (promoted, used, back, helped):
        # NAME@champion stays: the alias a spec names
        assert "champion" not in out.lower().replace("@champion", ""), out
    assert "model in use" in helped
