"""The external-service predictor against a real local HTTP server that behaves like a
paid tagging API: slow answers, 429, 500, malformed JSON, and a secret in a header."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import sqlalchemy as sa

from glamlab.errors import BudgetExceeded, ConfigError, ItemError, ServiceError
from glamlab.items import Item
from glamlab.predictors.external import ServicePredictor, check_config

SECRET = "sk-test-7f3a9c1e-DO-NOT-LEAK"


class FakeTagger(BaseHTTPRequestHandler):
    """Answers {"result": {"tags": [{"name": word, "confidence": 0.9}, ...]}} for the
    words of the posted text, except for texts starting with a magic word."""

    calls: Counter[str] = Counter()
    auth: list[str] = []

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        text = body["text"]
        FakeTagger.calls[text] += 1
        FakeTagger.auth.append(self.headers.get("Authorization", ""))
        if self.headers.get("Authorization") != f"Bearer {SECRET}":
            return self._send(401, b'{"error": "bad key"}')
        word = text.split()[0] if text.split() else ""
        if word == "slow":
            time.sleep(2.0)  # past the timeout of the test that sends it (1 s)
        if word == "busy" and FakeTagger.calls[text] == 1:
            return self._send(429, b'{"error": "slow down"}', retry_after="0")
        if word == "broken":
            return self._send(500, b'{"error": "internal"}')
        if word == "garbled":
            return self._send(200, b'{"result": {"tags": [')
        if word == "odd":
            return self._send(200, b'{"outcome": "no tags here"}')
        tags = [{"name": w, "confidence": 0.9} for w in text.split()]
        self._send(200, json.dumps({"result": {"tags": tags}}).encode())

    def _send(self, status: int, payload: bytes, retry_after: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        self.end_headers()
        try:
            self.wfile.write(payload)
        except BrokenPipeError:  # the client gave up (the timeout test)
            pass


@pytest.fixture
def server():
    FakeTagger.calls = Counter()
    FakeTagger.auth = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeTagger)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1/tag"
    httpd.shutdown()
    httpd.server_close()


def config(url: str, **kw: object) -> dict[str, object]:
    cfg: dict[str, object] = {
        "url": url, "secret_env": "TAGGER_KEY", "request": {"text": "{text}", "id": "{item_id}"},
        "labels_path": "result.tags", "label_key": "name", "score_key": "confidence",
        "price_per_call": 0.01, "budget": 1.0, "max_retries": 2, "backoff_s": 0.01,
        "timeout_s": 5.0, "mapping": {"fireworks": "leisure", "umbrella": "objects",
                                      "parasol": "objects"},
    }
    cfg.update(kw)
    return cfg


def items(*texts: str) -> list[Item]:
    return [Item(item_id=f"i{n}", modality="text", text=t) for n, t in enumerate(texts)]


@pytest.fixture
def ws(make_ws, monkeypatch):
    monkeypatch.setenv("TAGGER_KEY", SECRET)
    return make_ws("svc", modality="text", labels=["leisure", "objects", "people"],
                   multi_label=True)


def predictor(ws, url: str, **kw: object) -> ServicePredictor:
    ws.card.raw["services"] = {"tagger": config(url, **kw)}
    ws.save_card()
    p = ServicePredictor.from_workspace(ws, "tagger")
    return p.fit([], [], classes=ws.card.labels, multi_label=True)  # type: ignore[return-value]


def test_labels_mapped_and_unmapped_listed(ws, server):
    p = predictor(ws, server)
    proba = p.predict_proba(items("fireworks umbrella", "parasol lamppost"))
    assert proba.tolist() == [[0.9, 0.9, 0.0], [0.0, 0.9, 0.0]]
    assert p.unmapped_labels() == {"lamppost": 1}
    assert p.service_labels() == {"fireworks": 1, "umbrella": 1, "parasol": 1, "lamppost": 1}


def test_cache_means_a_rerun_never_pays_twice(ws, server):
    p = predictor(ws, server)
    p.predict_proba(items("fireworks", "umbrella"))
    assert sum(FakeTagger.calls.values()) == 2
    assert p.spent() == pytest.approx(0.02)
    # a fresh predictor (a new run) reads the cache in the store
    again = predictor(ws, server)
    again.predict_proba(items("fireworks", "umbrella"))
    assert sum(FakeTagger.calls.values()) == 2
    assert again.spent() == pytest.approx(0.02)
    with ws.store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(ws.store.t.service_cache)).scalar_one() == 2


def test_budget_stops_before_it_is_exceeded(ws, server):
    p = predictor(ws, server, price_per_call=0.4, budget=1.0)
    p.predict_proba(items("a", "b"))  # 0.8 spent
    with pytest.raises(BudgetExceeded) as exc:
        p.predict_proba(items("c"))
    assert exc.value.item == "i0" and "budget" in exc.value.message
    assert "c" not in FakeTagger.calls  # the call was never made
    assert p.spent() == pytest.approx(0.8)
    assert p.predict_proba(items("a")).shape == (1, 3)  # cached answers stay free


def test_retries_on_429_then_succeeds(ws, server):
    p = predictor(ws, server)
    proba = p.predict_proba(items("busy fireworks"))
    assert FakeTagger.calls["busy fireworks"] == 2
    assert proba[0, 0] == pytest.approx(0.9)
    assert p.spent() == pytest.approx(0.01)  # only the successful call is paid


@pytest.mark.parametrize(("text", "reason", "tries"), [
    ("broken", "HTTP 500", 3),
    ("garbled", "malformed JSON", 1),
    ("odd", "has no 'result.tags'", 1),
    ("slow", "timed out", 3),
])
def test_failures_are_per_item_errors_with_reasons(ws, server, text, reason, tries):
    # a timeout of 1 s for the slow answer (2 s), and 5 s for the others: the good items'
    # answers, sent with the same timeout, took more than the 0.2 s it was on a loaded
    # machine now and then (a retry: two calls counted, not one)
    p = predictor(ws, server, **({"timeout_s": 1.0} if text == "slow" else {}))
    answers = p.call(items("fireworks", text, "umbrella"))
    assert [a.error is None for a in answers] == [True, False, True]
    assert reason in (answers[1].error or "")
    assert answers[1].labels == []
    assert FakeTagger.calls[text] == tries
    with pytest.raises(ItemError) as exc:
        p.predict_proba(items("fireworks", text))
    assert exc.value.item == "i1" and reason in exc.value.message
    # the good item was cached: retrying it alone costs nothing more
    assert FakeTagger.calls["fireworks"] == 1
    assert p.predict_proba(items("fireworks"))[0, 0] == pytest.approx(0.9)
    assert FakeTagger.calls["fireworks"] == 1


def test_secret_never_stored_or_logged(ws, server, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    p = predictor(ws, server)
    p.predict_proba(items("fireworks"))
    p.call(items("broken"))
    with pytest.raises(BudgetExceeded):
        predictor(ws, server, budget=0.0).predict_proba(items("never sent"))
    assert FakeTagger.auth[0] == f"Bearer {SECRET}"  # it did reach the service
    assert SECRET not in caplog.text
    assert SECRET not in repr(p) and SECRET not in json.dumps(p.card())
    saved = p.save(tmp_path / "model")
    for f in saved:
        assert SECRET.encode() not in f.read_bytes()
    assert SECRET not in (ws.root / "glamlab.toml").read_text()
    from glamlab.store import schema

    with ws.store.read() as conn:
        rows = 0
        for table in schema.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                rows += 1
                assert SECRET not in str(tuple(row)), table.name
    assert rows > 0


def test_missing_secret_is_a_clear_error(ws, server, monkeypatch):
    p = predictor(ws, server)
    monkeypatch.delenv("TAGGER_KEY")
    with pytest.raises(ServiceError, match="TAGGER_KEY is not set"):
        p.predict_proba(items("fireworks"))


def test_rate_limit_spaces_calls(ws, server):
    p = predictor(ws, server, rate_per_s=20)
    p.predict_proba(items("a", "b", "c", "d"))
    assert p._last_call > 0
    # four calls at 20/s take at least three gaps of 50 ms
    t0 = time.monotonic()
    predictor(ws, server, rate_per_s=20).predict_proba(items("e", "f", "g", "h"))
    assert time.monotonic() - t0 >= 0.15


def test_injectable_transport_without_a_server(ws, monkeypatch):
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(200, json={"result": {"tags": ["umbrella"]}})

    p = predictor(ws, "https://api.invalid/tag")
    p.bind(transport=httpx.MockTransport(handler))
    assert p.predict_proba(items("rainy day")).tolist() == [[0.0, 1.0, 0.0]]
    assert seen == [{"text": "rainy day", "id": "i0"}]


def test_config_refuses_secrets_and_bad_mapping(ws, server):
    with pytest.raises(ConfigError, match="must not hold a secret"):
        check_config({"url": server, "api_key": SECRET})
    with pytest.raises(ConfigError, match="unknown keys"):
        check_config({"url": server, "labelz": "x"})
    ws.card.raw["services"] = {"tagger": config(server, mapping={"fireworks": "nope"})}
    p = ServicePredictor.from_workspace(ws, "tagger")
    with pytest.raises(ConfigError, match="not task labels"):
        p.fit([], [], classes=ws.card.labels, multi_label=True)
