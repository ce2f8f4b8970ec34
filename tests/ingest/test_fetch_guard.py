"""Image addresses on the server's own or internal network are refused at fetch time
(server-side request forgery), unless the card allows them (``[fetch]``)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ingest.conftest import write_jpeg


def _table(ws, tmp_path: Path, base: str):
    """A table of three images: one local file, two on a server at 127.0.0.1 (by its
    address and by the name localhost)."""
    write_jpeg(tmp_path / "local.jpg", (40, 30), "white")
    port = base.rsplit(":", 1)[1]
    src = tmp_path / "pages.csv"
    src.write_text("id,image,label\n"
                   "here,local.jpg,a\n"
                   f"loop,{base}/secret.jpg,b\n"
                   f"named,http://localhost:{port}/secret.jpg,b\n", encoding="utf-8")
    report = ws.ingest([src], image_column="image")
    assert (report.added, report.failed) == (3, 0)


def _predict(ws):
    """The threshold baseline over the three items, as a run predicts a batch."""
    from glamlab.inference.worker import predict_batch
    from glamlab.predictors.baselines import ThresholdPredictor
    from glamlab.tasks.kinds import task_kind

    here = ws.item("here")
    predictor = ThresholdPredictor(statistic="dark_ratio")
    predictor.fit([here, here], ["a", "b"], classes=["a", "b"])
    return predict_batch(predictor, [ws.item(i) for i in ("loop", "here", "named")],
                         task_kind(ws.card))


def test_an_image_on_the_servers_own_network_is_refused_by_default(make_ws, tmp_path,
                                                                   http_server):
    from glamlab.errors import ItemError

    write_jpeg(http_server.root / "secret.jpg")
    ws = make_ws()
    _table(ws, tmp_path, http_server.url)
    with pytest.raises(ItemError) as err:
        ws.item("loop").open_image()
    text = str(err.value)
    assert err.value.item == "loop" and f"{http_server.url}/secret.jpg" in text
    assert "127.0.0.1" in text and "internal network" in text
    assert "[fetch] allow_hosts" in (err.value.hint or "")
    rows, failures = _predict(ws)  # the rest of the batch carries on
    assert [r[0] for r in rows] == ["here"]
    assert {f[0] for f in failures} == {"loop", "named"}
    named = dict(failures)["named"]
    assert "localhost" in named and "internal network" in named
    assert http_server.requests == []  # nothing was asked of the server
    assert not list((ws.cache_dir / "iiif").rglob("*.img"))


@pytest.mark.parametrize("fetch", [{"allow_private": True},
                                   {"allow_hosts": ["127.0.0.1", "localhost"]},
                                   {"allow_hosts": ["127.0.0.0/8", "::1/128"]}])
def test_the_card_may_allow_an_internal_image_server(make_ws, tmp_path, http_server, fetch):
    write_jpeg(http_server.root / "secret.jpg", (20, 10))
    ws = make_ws()
    _table(ws, tmp_path, http_server.url)
    ws.update_card({"fetch": fetch})
    assert ws.item("loop").open_image().size == (20, 10)
    rows, failures = _predict(ws)
    assert failures == [] and sorted(r[0] for r in rows) == ["here", "loop", "named"]
    assert http_server.requests.count("/secret.jpg") == 2


class _Redirect(http.server.BaseHTTPRequestHandler):
    target = ""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.send_response(302)
        self.send_header("Location", self.target)
        self.end_headers()


@pytest.fixture
def redirector() -> Iterator[tuple[http.server.ThreadingHTTPServer, type[_Redirect]]]:
    handler = type("Redirect", (_Redirect,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield server, handler
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_a_redirect_to_an_address_not_allowed_is_refused(make_ws, tmp_path, http_server,
                                                         redirector):
    """The redirecting host (localhost) is allowed, the address it sends to (127.0.0.1)
    is not: each hop is checked."""
    from glamlab.errors import ItemError

    server, handler = redirector
    write_jpeg(http_server.root / "secret.jpg")
    handler.target = f"{http_server.url}/secret.jpg"
    ws = make_ws()
    _table(ws, tmp_path, f"http://127.0.0.1:{server.server_address[1]}")
    ws.update_card({"fetch": {"allow_hosts": ["localhost"]}})
    with pytest.raises(ItemError) as err:
        ws.item("named").open_image()
    assert f"{http_server.url}/secret.jpg was refused" in str(err.value)
    assert http_server.requests == []
    ws.update_card({"fetch": {"allow_hosts": ["127.0.0.1", "localhost"]}})
    assert ws.item("named").open_image().size == (40, 30)
    assert http_server.requests == ["/secret.jpg"]


@pytest.mark.parametrize("url", ["http://127.0.0.1/x.jpg", "http://[::1]/x.jpg",
                                 "http://169.254.169.254/latest/meta-data/",
                                 "http://10.1.2.3/x.jpg", "http://192.168.0.1/x.jpg",
                                 "http://0.0.0.0/x.jpg", "http://224.0.0.1/x.jpg",
                                 "http://[::ffff:127.0.0.1]/x.jpg", "http://100.64.0.1/x.jpg"])
def test_internal_addresses_are_refused_before_any_request(url):
    from glamlab.config import FetchPolicy
    from glamlab.ingest.iiif import RefusedAddress, check_address

    with pytest.raises(RefusedAddress):
        check_address(url, FetchPolicy())
    check_address(url, FetchPolicy(allow_private=True))


def test_public_addresses_pass_the_check():
    from glamlab.config import FetchPolicy
    from glamlab.ingest.iiif import check_address

    check_address("http://93.184.216.34/x.jpg", FetchPolicy())  # an address: no lookup
    check_address("https://[2606:2800:220:1::1]/x.jpg", FetchPolicy())


def test_a_fetch_section_of_the_wrong_kind_is_refused_with_the_fix(make_ws):
    from glamlab.errors import ConfigError

    ws = make_ws()
    with pytest.raises(ConfigError, match="allow_private"):
        ws.update_card({"fetch": {"allow_private": "yes"}})
    with pytest.raises(ConfigError, match="allow_hosts"):
        ws.update_card({"fetch": {"allow_hosts": [1]}})
    assert "fetch" not in ws.card.raw


def test_the_policy_reaches_a_run_s_workers(make_ws):
    from glamlab.inference.worker import to_items

    ws = make_ws()
    ws.update_card({"fetch": {"allow_hosts": ["iiif.intranet.example"]}})
    row = ("x", "image", "table", "s", "http://iiif.intranet.example/x.jpg", None, "h", None,
           None, None, "{}", 1)
    (item,) = to_items([row], ws.cache_dir_text, ws.fetch_policy)
    assert item.fetch_policy is not None
    assert item.fetch_policy.allow_hosts == ("iiif.intranet.example",)


@pytest.mark.parametrize("allowed", [False, True])
def test_a_run_in_worker_processes_follows_the_card(make_ws, tmp_path, http_server, allowed):
    """The card's [fetch] reaches the run's worker processes: refused items fail alone,
    naming the address; allowed ones are predicted."""
    from glamlab.inference import run, run_failures
    from glamlab.predictors.baselines import ThresholdPredictor
    from glamlab.registry import save_model

    write_jpeg(http_server.root / "secret.jpg")
    ws = make_ws()
    _table(ws, tmp_path, http_server.url)
    if allowed:
        ws.update_card({"fetch": {"allow_private": True}})
    here = ws.item("here")
    predictor = ThresholdPredictor(statistic="dark_ratio")
    predictor.fit([here, here], ["a", "b"], classes=["a", "b"])
    save_model(ws, predictor, name="ink")
    report = run(ws, "ink", workers=2, batch_size=1)
    failures = {f["item_id"]: f["reason"] for f in run_failures(ws, report.run_id)}
    if allowed:
        assert (report.done, report.failed) == (3, 0)
        assert http_server.requests.count("/secret.jpg") == 2
    else:
        assert (report.done, report.failed) == (1, 2) and set(failures) == {"loop", "named"}
        assert f"{http_server.url}/secret.jpg was refused" in failures["loop"]
        assert http_server.requests == []


def test_through_a_proxy_the_public_address_is_fetched(monkeypatch, tmp_path, redirector):
    """An outbound proxy on the institution's network (HTTP_PROXY) answers for a public
    address: the address that answered is the proxy's, and is not held against it."""
    from glamlab.config import FetchPolicy
    from glamlab.ingest.iiif import fetch

    server, handler = redirector
    seen: list[str] = []

    def proxy_get(self: http.server.BaseHTTPRequestHandler) -> None:
        seen.append(self.path)
        body = b"an image"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    monkeypatch.setattr(handler, "do_GET", proxy_get)
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY",
                 "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{server.server_address[1]}")
    url = "http://93.184.216.34/x.jpg"
    assert fetch(url, timeout=10, max_bytes=100, policy=FetchPolicy()) == b"an image"
    assert seen == [url]
