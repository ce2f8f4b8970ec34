"""The fetch guard ([fetch] in the card) beyond images: manifests, collections and OCR
files that the web app (a server) fetches by address, IPv6 addresses that carry an IPv4
address, and a host name that resolves to one address for the check and to another for
the connection (DNS rebinding). Real local servers; the name resolution is replaced
(``socket.getaddrinfo``) only to play the part of a name server."""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import Callable
from typing import Any

import pytest

from tests.ingest.conftest import write_jpeg

PUBLIC = "93.184.216.34"  # an address on the public internet (nothing connects to it)


def _resolve(monkeypatch: pytest.MonkeyPatch, names: dict[str, Callable[[], str]]
             ) -> list[str]:
    """``socket.getaddrinfo`` answers for ``names`` with the address each function gives
    at that moment (a name server under the asker's control); other hosts as usual.
    Returns the names asked for, one entry a lookup."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kw: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name in names:
            asked.append(name)
            ip = names[name]()
            family = socket.AF_INET6 if ":" in ip else socket.AF_INET
            addr = (ip, int(port), 0, 0) if family == socket.AF_INET6 else (ip, int(port))
            return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", addr)]
        return real(host, port, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def _rebinding(monkeypatch: pytest.MonkeyPatch, name: str) -> list[str]:
    """``name`` resolves to a public address the first time, to 127.0.0.1 after."""
    seen: list[str] = []

    def answer() -> str:
        seen.append(name)
        return PUBLIC if len(seen) == 1 else "127.0.0.1"

    return _resolve(monkeypatch, {name: answer})


# -- DNS rebinding ----------------------------------------------------------------
def test_a_name_that_rebinds_to_the_server_itself_is_refused_before_any_request(
        monkeypatch, http_server):
    """The check saw a public address, the connection would have gone to 127.0.0.1:
    the connection is made to an address that was checked, so nothing reaches the
    server (before, the request was sent and only the answer was refused)."""
    from glamlab.config import FetchPolicy
    from glamlab.ingest.iiif import RefusedAddress, fetch

    write_jpeg(http_server.root / "secret.jpg")
    asked = _rebinding(monkeypatch, "images.example")
    port = http_server.url.rsplit(":", 1)[1]
    url = f"http://images.example:{port}/secret.jpg"
    with pytest.raises(RefusedAddress) as err:
        fetch(url, timeout=10, max_bytes=10_000, policy=FetchPolicy())
    assert f"{url} was refused" in str(err.value) and "127.0.0.1" in str(err.value)
    assert http_server.requests == []
    assert len(asked) == 2  # the check's lookup, and the connection's own


def test_an_item_image_on_a_rebinding_name_fails_alone(make_ws, tmp_path, monkeypatch,
                                                       http_server):
    from glamlab.errors import ItemError

    write_jpeg(http_server.root / "secret.jpg")
    port = http_server.url.rsplit(":", 1)[1]
    src = tmp_path / "pages.csv"
    src.write_text(f"id,image\nrebound,http://images.example:{port}/secret.jpg\n",
                   encoding="utf-8")
    ws = make_ws()
    assert ws.ingest([src], image_column="image").added == 1
    _rebinding(monkeypatch, "images.example")
    with pytest.raises(ItemError) as err:
        ws.item("rebound").open_image()
    assert err.value.item == "rebound" and "internal network" in str(err.value)
    assert '[fetch] allow_hosts = ["images.example"]' in (err.value.hint or "")
    assert http_server.requests == []


def test_an_allowed_name_is_fetched_under_its_name(monkeypatch, http_server):
    """A host the card allows by name is connected to at the address it resolves to,
    and asked under its own name (the Host header)."""
    from glamlab.config import FetchPolicy
    from glamlab.ingest.iiif import fetch

    (http_server.root / "x.txt").write_bytes(b"hello")
    seen: list[str] = []
    http_server.handler.do_GET = _recording_host(http_server.handler.do_GET, seen)
    _resolve(monkeypatch, {"iiif.intranet.example": lambda: "127.0.0.1"})
    port = http_server.url.rsplit(":", 1)[1]
    url = f"http://iiif.intranet.example:{port}/x.txt"
    policy = FetchPolicy(allow_hosts=("iiif.intranet.example",))
    assert fetch(url, timeout=10, max_bytes=100, policy=policy) == b"hello"
    assert seen == [f"iiif.intranet.example:{port}"]


def _recording_host(get: Callable[[Any], None], seen: list[str]) -> Callable[[Any], None]:
    def do_get(self: Any) -> None:
        seen.append(self.headers.get("Host"))
        get(self)

    return do_get


# -- IPv6 forms that carry an IPv4 address ------------------------------------------
@pytest.mark.parametrize("address", [
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a00:1::",  # 6to4 of 10.0.0.1
    "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254, the cloud's metadata service
    "2002:c0a8:1::",  # 6to4 of 192.168.0.1
])
def test_6to4_of_an_internal_address_is_refused(address):
    from glamlab.config import FetchPolicy
    from glamlab.ingest.iiif import RefusedAddress, check_address

    with pytest.raises(RefusedAddress):
        check_address(f"http://[{address}]/x.jpg", FetchPolicy())
    check_address(f"http://[{address}]/x.jpg", FetchPolicy(allow_private=True))


@pytest.mark.parametrize("address", [
    "64:ff9b::5db8:d822",  # NAT64 of 93.184.216.34 (an IPv6-only server's way to IPv4)
    "2001:0:5db8:d822::a247:27dd",  # Teredo: server 93.184.216.34, client 93.184.216.34
])
def test_an_ipv6_address_is_judged_by_the_public_ipv4_it_carries(address):
    """Before, every NAT64 and Teredo address was refused, whatever it reached."""
    from glamlab.config import FetchPolicy
    from glamlab.ingest.iiif import check_address

    check_address(f"http://[{address}]/x.jpg", FetchPolicy())


@pytest.mark.parametrize("address", ["::ffff:127.0.0.1", "2002:7f00:1::"])
def test_an_allowed_range_covers_the_ipv4_address_inside(address):
    """``allow_hosts = ["127.0.0.0/8"]`` allows 127.0.0.1 however it is written."""
    from glamlab.config import FetchPolicy
    from glamlab.ingest.iiif import RefusedAddress, check_address

    check_address(f"http://[{address}]/x.jpg", FetchPolicy(allow_hosts=("127.0.0.0/8",)))
    with pytest.raises(RefusedAddress):
        check_address(f"http://[{address}]/x.jpg", FetchPolicy(allow_hosts=("10.0.0.0/8",)))


@pytest.mark.parametrize("address", [
    "::ffff:127.0.0.1", "::ffff:169.254.169.254",  # IPv4-mapped
    "64:ff9b::7f00:1", "64:ff9b::a00:1",  # NAT64 of 127.0.0.1, 10.0.0.1
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
    "64:ff9b:1::5db8:d822",  # NAT64 for local use (RFC 8215): the institution's own
])
def test_other_ipv6_forms_of_internal_addresses_stay_refused(address):
    from glamlab.config import FetchPolicy
    from glamlab.ingest.iiif import RefusedAddress, check_address

    with pytest.raises(RefusedAddress):
        check_address(f"http://[{address}]/x.jpg", FetchPolicy())


def test_a_name_resolving_to_6to4_of_the_server_is_refused(monkeypatch, http_server):
    """The check applies to each address a name resolves to, in every form."""
    from glamlab.config import FetchPolicy
    from glamlab.ingest.iiif import RefusedAddress, fetch

    _resolve(monkeypatch, {"images.example": lambda: "2002:7f00:1::"})
    with pytest.raises(RefusedAddress, match="2002:7f00:1::"):
        fetch("http://images.example/x.jpg", timeout=10, max_bytes=100, policy=FetchPolicy())


# -- manifests, collections and OCR fetched by the server ---------------------------
def _manifest(base: str) -> dict[str, Any]:
    from tests.ingest.test_iiif import manifest_v3

    return manifest_v3(base, n=1)


def test_a_manifest_the_server_fetches_is_checked_the_cli_s_is_not(make_ws, tmp_path,
                                                                  http_server):
    """The web app (check_addresses) refuses a manifest on the server's own network,
    naming the fix, and asks nothing of it; ``glamlab ingest URL`` by the person running
    it reads the same address (a manifest on their own machine)."""
    from click.testing import CliRunner

    from glamlab.cli import cli
    from glamlab.tasks.uploads import bring_in_url

    (http_server.root / "book").mkdir()
    (http_server.root / "book" / "manifest.json").write_text(
        json.dumps(_manifest(http_server.url)))
    url = f"{http_server.url}/book/manifest.json"
    ws = make_ws()
    report = bring_in_url(ws, url)
    assert (report["added"], report["failed"]) == (0, 1)
    problem = report["problems"][0]
    assert f"{url} was refused" in problem["reason"] and "127.0.0.1" in problem["reason"]
    assert '[fetch] allow_hosts = ["127.0.0.1"]' in problem["hint"]
    assert http_server.requests == []

    result = CliRunner().invoke(cli, ["-w", str(ws.root), "ingest", url, "--json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] == 1
    assert http_server.requests == ["/book/manifest.json"]

    ws.update_card({"fetch": {"allow_hosts": ["127.0.0.1"]}})
    assert bring_in_url(ws, url)["unchanged"] == 1  # allowed by the card: fetched
    assert http_server.requests == ["/book/manifest.json"] * 2


def test_a_manifest_on_a_rebinding_name_is_refused(make_ws, monkeypatch, http_server):
    from glamlab.tasks.uploads import bring_in_url

    (http_server.root / "manifest.json").write_text(json.dumps(_manifest(http_server.url)))
    _rebinding(monkeypatch, "iiif.example")
    port = http_server.url.rsplit(":", 1)[1]
    report = bring_in_url(make_ws(), f"http://iiif.example:{port}/manifest.json")
    assert report["added"] == 0 and "internal network" in report["problems"][0]["reason"]
    assert http_server.requests == []


def test_a_manifest_redirecting_to_the_servers_network_is_refused(make_ws, monkeypatch,
                                                                   http_server):
    """Each redirect is checked: an allowed host sending the server to 127.0.0.1."""
    import http.server

    from glamlab.tasks.uploads import bring_in_url

    (http_server.root / "manifest.json").write_text(json.dumps(_manifest(http_server.url)))
    target = f"{http_server.url}/manifest.json"

    def redirect(self: http.server.BaseHTTPRequestHandler) -> None:
        type(self).requests.append(self.path)  # type: ignore[attr-defined]
        if self.path.startswith("/go"):
            self.send_response(302)
            self.send_header("Location", target)
            self.end_headers()
            return
        http.server.SimpleHTTPRequestHandler.do_GET(self)  # type: ignore[arg-type]

    http_server.handler.do_GET = redirect
    _resolve(monkeypatch, {"iiif.example": lambda: "127.0.0.1"})
    port = http_server.url.rsplit(":", 1)[1]
    ws = make_ws()
    ws.update_card({"fetch": {"allow_hosts": ["iiif.example"]}})
    report = bring_in_url(ws, f"http://iiif.example:{port}/go")
    assert report["added"] == 0
    assert f"{target} was refused" in report["problems"][0]["reason"]
    assert http_server.requests == ["/go"]
    ws.update_card({"fetch": {"allow_hosts": ["iiif.example", "127.0.0.1"]}})
    assert bring_in_url(ws, f"http://iiif.example:{port}/go")["added"] == 1
    assert http_server.requests == ["/go", "/go", "/manifest.json"]


def test_a_collection_s_members_are_checked_each(make_ws, monkeypatch, http_server):
    """A collection on an allowed host listing a manifest on the server's own network:
    that member is refused (the collection is read, the member is not asked for)."""
    from glamlab.tasks.uploads import bring_in_url

    _resolve(monkeypatch, {"iiif.example": lambda: "127.0.0.1"})
    port = http_server.url.rsplit(":", 1)[1]
    inside = f"{http_server.url}/inside.json"
    (http_server.root / "inside.json").write_text(json.dumps(_manifest(http_server.url)))
    (http_server.root / "collection.json").write_text(json.dumps({
        "@context": "http://iiif.io/api/presentation/3/context.json",
        "id": f"http://iiif.example:{port}/collection.json", "type": "Collection",
        "label": {"en": ["All"]}, "items": [{"id": inside, "type": "Manifest"}]}))
    ws = make_ws()
    ws.update_card({"fetch": {"allow_hosts": ["iiif.example"]}})
    report = bring_in_url(ws, f"http://iiif.example:{port}/collection.json")
    assert (report["added"], report["failed"]) == (0, 1)
    assert f"{inside} was refused" in report["problems"][0]["reason"]
    assert http_server.requests == ["/collection.json"]


def test_a_mets_file_s_ocr_the_server_fetches_is_checked(make_ws, tmp_path, http_server):
    """OCR files a METS gives by address, fetched by the server: the pages come in
    without text, each naming the refusal and the fix; nothing is asked of the address."""
    from tests.ingest.test_interop import _gdz

    path = _gdz(tmp_path, http_server)
    ws = make_ws()
    report = ws.ingest([path], check_addresses=True)
    assert (report.added, report.failed) == (3, 3)
    assert all("was refused" in p["reason"] and "allow_hosts" in p["hint"]
               for p in report.problems)
    assert not [r for r in http_server.requests if "gdzocr" in r]
    assert all(ws.item(i.item_id).text is None for i in ws.items())


def test_a_collection_from_the_web_names_no_local_file(make_ws, tmp_path, http_server):
    """A collection fetched by address listing a path on the server (a IIIF manifest
    kept there, ``/etc/...``): the member is refused, the file is not read (before, it
    was read and its canvases came in as items)."""
    from glamlab.tasks.uploads import bring_in_url

    local = tmp_path / "private" / "manifest.json"
    local.parent.mkdir()
    local.write_text(json.dumps(_manifest("https://example.org")))
    (http_server.root / "collection.json").write_text(json.dumps({
        "@context": "http://iiif.io/api/presentation/3/context.json",
        "id": f"{http_server.url}/collection.json", "type": "Collection",
        "label": {"en": ["All"]}, "items": [{"id": str(local), "type": "Manifest"}]}))
    ws = make_ws()
    ws.update_card({"fetch": {"allow_hosts": ["127.0.0.1"]}})
    report = bring_in_url(ws, f"{http_server.url}/collection.json")
    assert (report["added"], report["failed"]) == (0, 1)
    assert f"{str(local)!r} is not an http(s) URL" in report["problems"][0]["reason"]
    assert "http(s) manifests" in report["problems"][0]["hint"]


# the certificate is made with the openssl command (Debian's openssl; .ci/run installs it):
# skipped without it only outside CI, so CI cannot pass by leaving it out
@pytest.mark.skipif(shutil.which("openssl") is None and not os.environ.get("CI"),
                    reason="needs the openssl command to make a test certificate: "
                           "apt-get install openssl")
def test_https_keeps_the_host_s_name_for_sni_and_the_certificate(monkeypatch, tmp_path):
    """Connected to the address that was checked, the TLS handshake still names the
    host (SNI) and the certificate is checked against the host's name, not the address:
    a certificate for another name is refused."""
    import http.server
    import ssl
    import subprocess
    import threading

    from glamlab.config import FetchPolicy
    from glamlab.ingest.iiif import FetchError, fetch

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=iiif.example",
                    "-addext", "subjectAltName=DNS:iiif.example"],
                   check=True, capture_output=True)

    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
            pass

    names: list[str] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    def sni(_sock: Any, name: str | None, _ctx: Any) -> None:
        names.append(str(name))

    context.sni_callback = sni
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test's certificate
        _resolve(monkeypatch, {"iiif.example": lambda: "127.0.0.1",
                               "other.example": lambda: "127.0.0.1"})
        port = server.server_address[1]
        policy = FetchPolicy(allow_hosts=("iiif.example", "other.example"))
        assert fetch(f"https://iiif.example:{port}/x", timeout=10, max_bytes=10,
                     policy=policy) == b"ok"
        assert names == ["iiif.example"]
        with pytest.raises(FetchError, match="certificate"):
            fetch(f"https://other.example:{port}/x", timeout=10, max_bytes=10,
                  policy=policy)
        assert names == ["iiif.example", "other.example"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_ocr_cached_by_an_unchecked_ingest_is_checked_before_the_server_uses_it(
        make_ws, tmp_path, monkeypatch, http_server):
    """The OCR cache is keyed by the address alone: OCR that ``glamlab ingest`` (no check)
    fetched from a server on the internal network is not served from the cache to the
    web app's ingest (checked) of another METS naming the same addresses; the address is
    checked first, so the pages are refused as a fetch would be. Allowed by the card,
    the cached file is used (nothing fetched again)."""
    from tests.ingest.test_interop import _gdz

    _resolve(monkeypatch, {"ocr.example": lambda: "127.0.0.1"})  # the internal network
    port = http_server.url.rsplit(":", 1)[1]
    mets = _gdz(tmp_path, http_server).read_text(encoding="utf-8").replace(
        f"{http_server.url}/gdzocr", f"http://ocr.example:{port}/gdzocr")
    assert f"http://ocr.example:{port}/gdzocr" in mets

    def copy(record: str) -> Any:
        folder = tmp_path / record
        folder.mkdir()
        path = folder / f"{record}.xml"
        path.write_text(mets.replace(">PPN595930174</mods:recordIdentifier>",
                                     f">{record}</mods:recordIdentifier>"), encoding="utf-8")
        return path

    ws = make_ws()
    cli = ws.ingest([copy("PPNcli")])  # as the command line ingests: unchecked
    assert (cli.added, cli.failed) == (3, 1)  # page 3's OCR is missing on the server
    assert ws.item("PPNcli#p1").text
    asked = [r for r in http_server.requests if "gdzocr" in r]
    assert len(asked) == 3

    web = ws.ingest([copy("PPNweb")], check_addresses=True)  # as the web app ingests
    assert web.added == 3 and web.failed == 3, web.problems
    assert all("was refused" in p["reason"] and "allow_hosts" in p["hint"]
               for p in web.problems)
    assert all(ws.item(f"PPNweb#p{n}").text is None for n in (1, 2, 3))
    assert [r for r in http_server.requests if "gdzocr" in r] == asked  # nothing asked

    ws.update_card({"fetch": {"allow_hosts": ["ocr.example"]}})
    allowed = ws.ingest([copy("PPNok")], check_addresses=True)
    assert (allowed.added, allowed.failed) == (3, 1), allowed.problems
    assert ws.item("PPNok#p1").text == ws.item("PPNcli#p1").text
    # pages 1 and 2 from the cache; page 3 (not cached: missing) asked for again
    assert len([r for r in http_server.requests if "gdzocr" in r]) == len(asked) + 1
