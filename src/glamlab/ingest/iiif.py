"""IIIF Presentation manifests (v2 and v3), from a file or an http(s) URL.

Each canvas becomes one image item: its id is the canvas id, its ``uri`` the IIIF image
service (or the image itself when there is no service), with the canvas label, the
manifest's and the canvas's metadata (a label given several times keeps all its values, as
a list), the manifest as its ``document``, and the width and height the canvas declares.
Collections are followed down to ``IngestOptions.collection_depth`` levels, saying first
how many members they list; IIIF files found in a folder are read manifests first
(:func:`read_files`).
Nothing but the manifest is fetched at ingest; images are fetched when first decoded
(:func:`glamlab.items.images.cached_image`) and kept in the workspace cache
(``.glamlab/cache/iiif``).

Remote requests go through httpx with a timeout and a size cap; tests pass an
``httpx`` transport (``IngestOptions.http_transport``, ``cached_image(transport=)``)
or serve files from a local HTTP server.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..config import FetchPolicy
from ..files import loads_json
from .base import IngestOptions, Problem, Record, is_lfs_pointer, lfs_problem, sha256_json

log = logging.getLogger(__name__)

KIND = "iiif"
JSON_SUFFIXES = {".json", ".jsonld"}
MAX_MANIFEST_BYTES = 50 * 1024 * 1024
MAX_IMAGE_BYTES = 200 * 1024 * 1024
IMAGE_TIMEOUT = 60.0
PRESENTATION_2 = "http://iiif.io/api/presentation/2/context.json"
PRESENTATION_3 = "http://iiif.io/api/presentation/3/context.json"
NOT_IIIF_HINT = ("give the URL or file of a IIIF Presentation manifest (v2 or v3); it usually "
                 "ends in manifest.json")


class FetchError(Exception):
    pass


def can_read(source: str) -> bool:
    if source.startswith(("http://", "https://")):
        return True
    p = Path(source)
    return p.is_file() and p.suffix.lower() in JSON_SUFFIXES


def looks_like_iiif(path: Path) -> bool:
    """A quick look at a JSON file in a folder: does it name a IIIF Presentation context
    or type? (Other JSON files in a folder are skipped.)"""
    try:
        with open(path, "rb") as fh:
            head = fh.read(65536)
    except OSError:
        return False
    return b"iiif.io/api/presentation" in head or b'"sc:Manifest"' in head or \
        b'"sc:Collection"' in head


# -- fetching -------------------------------------------------------------------
MAX_REDIRECTS = 10
_REDIRECTS = (301, 302, 303, 307, 308)


class RefusedAddress(FetchError):
    """An address on the server's own or internal network, which the card does not allow
    (:class:`glamlab.config.FetchPolicy`)."""

    def __init__(self, message: str, host: str, ip: object = None):
        super().__init__(message)
        self.host = host
        self.ip = ip


IP = ipaddress.IPv4Address | ipaddress.IPv6Address
#: NAT64's well-known prefix (RFC 6052): the last 32 bits are an IPv4 address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(ip: IP) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries and reaches: IPv4-mapped
    (``::ffff:127.0.0.1``), 6to4 (``2002::/16``), NAT64 (``64:ff9b::/96``) and Teredo
    (``2001::/32``: its server and its client); none for the others."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)
    if ip in _NAT64:
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    return []


def _not_public(ip: IP) -> bool:
    """Loopback, private, link-local, multicast, reserved, unspecified, or anything else
    that is not the public internet (an IPv6 address that carries an IPv4 address is
    judged by that address: :func:`_allowed`)."""
    return (ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified or not ip.is_global)


def _named(policy: FetchPolicy, host: str) -> bool:
    """Whether the card allows ``host`` by its name (as written or as IDNA)."""
    if policy.allow_private or host in policy.allow_hosts:
        return True
    try:
        other = host.encode("idna").decode("ascii") if not host.isascii() else \
            host.encode("ascii").decode("idna")
    except UnicodeError:
        return False
    return other.lower() in policy.allow_hosts


def _allowed(policy: FetchPolicy, host: str, ip: IP) -> bool:
    if _named(policy, host):
        return True
    networks = []
    for entry in policy.allow_hosts:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue  # a host name
    if any(ip in net for net in networks):
        return True
    inner = _embedded_ipv4(ip)
    if inner:  # the IPv4 address it reaches, by the same rule
        return all(any(v4 in net for net in networks) or not _not_public(v4)
                   for v4 in inner)
    return not _not_public(ip)


def refused_hint(exc: RefusedAddress) -> str:
    """The fix for a refused address, in words for the person."""
    return ("the server fetches only from the public internet; if this is your "
            "institution's own server, allow it in glamlab.toml with [fetch] "
            f'allow_hosts = ["{exc.host}"] (or allow_private = true), otherwise correct '
            "the address")


def _refused(url: str, host: str, ip: object) -> RefusedAddress:
    return RefusedAddress(f"{url} was refused: its host {host} is at {ip}, an address on "
                          "the server's own or internal network", host, ip)


def _host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().rstrip(".")


def _ip(text: object) -> IP:
    return ipaddress.ip_address(str(text).split("%")[0])


def check_address(url: str, policy: FetchPolicy) -> None:
    """Refuse (:class:`RefusedAddress`) a URL whose host resolves to an address on the
    server's own or internal network, unless ``policy`` allows it; every address the
    host resolves to is checked."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchError(f"{url} is not a usable address: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise FetchError(f"{url} is not an http(s) address")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise FetchError(f"{url} names no host")
    if _named(policy, host):
        return
    try:
        infos = socket.getaddrinfo(host, port or (443 if parts.scheme == "https" else 80),
                                   type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"cannot fetch {url}: the host {host} is not found ({exc})") from exc
    for info in infos:
        ip = _ip(info[4][0])
        if not _allowed(policy, host, ip):
            raise _refused(url, host, ip)


def _check_peer(resp: Any, url: str, policy: FetchPolicy) -> None:
    """The address the answer came from, checked again (a host name that resolved to a
    public address when checked and to an internal one when connected)."""
    stream = resp.extensions.get("network_stream")
    peer = stream.get_extra_info("server_addr") if stream is not None else None
    if not peer:
        return
    host = _host_of(url)
    if _proxied(url, host):
        return  # the answer came from the proxy (HTTP_PROXY and the like), not the host
    try:
        ip = _ip(peer[0])
    except ValueError:
        return
    if not _allowed(policy, host, ip):
        raise _refused(url, host, ip)


def _proxied(url: str, host: str) -> bool:
    """Whether the environment sends ``url`` through a proxy (as httpx does)."""
    from urllib.request import getproxies, proxy_bypass

    proxies = getproxies()
    scheme = urlsplit(url).scheme
    if not (proxies.get(scheme) or proxies.get("all")):
        return False
    try:
        return not proxy_bypass(host)
    except OSError:
        return True


def _checked_transport(policy: FetchPolicy) -> Any:
    """An httpx transport that connects only to an address it has checked: the host is
    resolved once, when connecting, every address it resolves to is checked against
    ``policy``, and the connection is made to a checked address (so a name that resolves
    to a public address for the check and to an internal one for the connection, DNS
    rebinding, cannot reach the internal one). The request keeps its host name: the
    ``Host`` header, and for https the name sent (SNI) and the certificate checked."""
    import httpcore
    import httpx

    class CheckedBackend(httpcore.SyncBackend):
        def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                        local_address: str | None = None,
                        socket_options: Any = None) -> httpcore.NetworkStream:
            name = host.lower().rstrip(".")
            try:
                infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except (socket.gaierror, UnicodeError) as exc:
                raise httpcore.ConnectError(f"the host {host} is not found ({exc})") from exc
            addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
            for address in addresses:
                if not _allowed(policy, name, _ip(address)):
                    raise _refused(f"{host}:{port}", name, _ip(address))
            error: Exception = httpcore.ConnectError(f"the host {host} has no address")
            for address in addresses:  # in the resolver's order, as create_connection
                try:
                    return super().connect_tcp(address, port, timeout, local_address,
                                               socket_options)
                except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                    error = exc
            raise error

    transport = httpx.HTTPTransport()
    # httpx takes no network backend of its own; its pool is httpcore's, which does
    if not isinstance(getattr(transport, "_pool", None), httpcore.ConnectionPool):
        # an httpx that keeps its pool elsewhere: the address that answered is still
        # checked (_check_peer) before anything is read, but the request has been sent
        log.warning("this httpx version cannot connect through checked addresses only; "
                    "answers from internal addresses are still refused")
        return transport
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(), network_backend=CheckedBackend(),
        max_connections=10, max_keepalive_connections=5)
    return transport


def fetch(url: str, *, timeout: float, max_bytes: int, transport: Any = None,
          dest: Path | None = None, policy: FetchPolicy | None = None) -> bytes:
    """GET ``url`` with a timeout and a size cap; the body, or written to ``dest``.

    With a ``policy`` (images, and what the web app fetches), an address on the server's
    own or internal network is refused (:class:`RefusedAddress`) unless the policy allows
    it: before the request, at every redirect (followed one at a time), by the address
    connected to (:func:`_checked_transport`: the one checked) and by the address that
    answered."""
    import httpx

    if policy is None:
        return _fetch_plain(url, timeout=timeout, max_bytes=max_bytes,
                            transport=transport, dest=dest)
    clients: dict[bool, httpx.Client] = {}

    def client_for(here: str) -> httpx.Client:
        # through an outbound proxy (HTTP_PROXY, ...) the proxy connects; otherwise the
        # connection is made by the checked transport, which leaves the environment's
        # proxies out (so a request is never sent without one or the other)
        proxied = transport is None and _proxied(here, _host_of(here))
        if proxied not in clients:
            chosen = transport if transport is not None else (
                None if proxied else _checked_transport(policy))
            clients[proxied] = httpx.Client(timeout=timeout, follow_redirects=False,
                                            transport=chosen,
                                            headers={"User-Agent": "glamlab"})
        return clients[proxied]

    here = url
    try:
        request: httpx.Request | None = None
        for _ in range(MAX_REDIRECTS + 1):
            check_address(here, policy)
            client = client_for(here)
            request = client.build_request("GET", here) if request is None else request
            try:
                resp = client.send(request, stream=True)
            except RefusedAddress as exc:
                raise _refused(here, exc.host, exc.ip) from None
            try:
                _check_peer(resp, here, policy)
                if resp.status_code in _REDIRECTS and resp.next_request is not None:
                    request = resp.next_request
                    here = str(request.url)
                    continue
                return _read(resp, url, max_bytes, dest)
            finally:
                resp.close()
        raise FetchError(f"{url} redirects more than {MAX_REDIRECTS} times")
    except httpx.HTTPError as exc:
        raise FetchError(f"cannot fetch {url}: {type(exc).__name__}: {exc}") from exc
    finally:
        for c in clients.values():
            c.close()


def _fetch_plain(url: str, *, timeout: float, max_bytes: int, transport: Any,
                 dest: Path | None) -> bytes:
    """GET ``url`` unchecked (a manifest given to ``glamlab ingest`` by the person running
    it), redirects followed by httpx."""
    import httpx

    try:
        with httpx.Client(timeout=timeout, follow_redirects=True, transport=transport,
                          headers={"User-Agent": "glamlab"}) as client:
            with client.stream("GET", url) as resp:
                return _read(resp, url, max_bytes, dest)
    except httpx.HTTPError as exc:
        raise FetchError(f"cannot fetch {url}: {type(exc).__name__}: {exc}") from exc


def _read(resp: Any, url: str, max_bytes: int, dest: Path | None) -> bytes:
    if resp.status_code >= 400:
        raise FetchError(f"HTTP {resp.status_code} from {url}")
    declared = resp.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"{url} is {int(declared):,} bytes, over the "
                         f"{max_bytes:,}-byte limit")
    chunks: list[bytes] = []
    size = 0
    fh = None
    tmp = None
    if dest is not None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, suffix=".part")
        fh = os.fdopen(fd, "wb")
    try:
        for chunk in resp.iter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise FetchError(f"{url} is over the {max_bytes:,}-byte limit")
            if fh is not None:
                fh.write(chunk)
            else:
                chunks.append(chunk)
        if fh is not None and tmp is not None and dest is not None:
            fh.close()
            fh = None
            os.replace(tmp, dest)
            tmp = None
    finally:
        if fh is not None:
            fh.close()
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
    return b"".join(chunks)


def _load(source: str, options: IngestOptions) -> bytes:
    if source.startswith(("http://", "https://")):
        return fetch(source, timeout=options.http_timeout, max_bytes=MAX_MANIFEST_BYTES,
                     transport=options.http_transport, policy=options.fetch_policy)
    path = Path(source)
    size = path.stat().st_size
    if size > MAX_MANIFEST_BYTES:
        raise FetchError(f"the file is {size:,} bytes, over the {MAX_MANIFEST_BYTES:,}-byte "
                         "limit for a manifest")
    return path.read_bytes()


# -- reading manifests -------------------------------------------------------------
def _context(c: str) -> str:
    """A context URI as the specification writes it: ``https://iiif.io/api/...``, which
    some publishers write and every viewer reads, is the ``http://`` one."""
    c = c.strip()
    if c.startswith("https://iiif.io/api/"):
        return "http://" + c[len("https://"):]
    return c


def _contexts(doc: dict[str, Any]) -> list[str]:
    ctx = doc.get("@context")
    if isinstance(ctx, str):
        return [_context(ctx)]
    if isinstance(ctx, list):
        return [_context(c) for c in ctx if isinstance(c, str)]
    return []


def presentation_version(doc: dict[str, Any]) -> int | None:
    """2 or 3 for a IIIF Presentation document, None for anything else."""
    ctx = _contexts(doc)
    if PRESENTATION_3 in ctx:
        return 3
    if PRESENTATION_2 in ctx:
        return 2
    if doc.get("@type") in ("sc:Manifest", "sc:Collection"):
        return 2
    if doc.get("type") in ("Manifest", "Collection") and "items" in doc:
        return 3
    return None


#: the language read from a label or value given in several languages: "none" (not in a
#: language), then English, then the first given
PREFERRED_LANGUAGES = ("none", "@none", "en")
_LANGUAGE_TAG = re.compile(r"^(@?none|[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*)$")


def _one_language(langs: list[str]) -> str:
    return next((k for k in PREFERRED_LANGUAGES if k in langs), langs[0])


def text_of(value: Any) -> str:
    """A IIIF label or value (string, v2 language objects, v3 language map) as text.

    Given in several languages (``{"en": ["Subject"], "fr": ["Sujet"]}``; v2's list of
    ``@value``/``@language`` objects), it is the same text translated: one language is
    read (:data:`PREFERRED_LANGUAGES`), so that a metadata label is ``Subject`` in every
    manifest that gives it in English, not ``Subject; Sujet``. Several values in one
    language are joined with ``; ``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if "@value" in value:
            return str(value["@value"])
        langs = [k for k, v in value.items() if text_of(v)]
        if len(langs) > 1 and all(_LANGUAGE_TAG.match(k) for k in langs):
            return text_of(value[_one_language(langs)])
        parts = []
        for v in value.values():
            parts.append(text_of(v))
        return "; ".join(p for p in parts if p)
    if isinstance(value, list):
        tagged = [v for v in value if isinstance(v, dict) and v.get("@language")
                  and "@value" in v]
        langs = list(dict.fromkeys(str(v["@language"]) for v in tagged))
        if len(tagged) == len(value) and len(langs) > 1:
            chosen = _one_language(langs)
            value = [v for v in tagged if v["@language"] == chosen]
        return "; ".join(p for p in (text_of(v) for v in value) if p)
    return str(value)


def _metadata(entries: Any) -> dict[str, Any]:
    """label -> value; a label given several times (Bodleian: "Subject" x 8) keeps every
    value, as a list in the order given."""
    out: dict[str, Any] = {}
    if isinstance(entries, list):
        for e in entries:
            if isinstance(e, dict):
                key = text_of(e.get("label"))
                if not key:
                    continue
                value = text_of(e.get("value"))
                if key not in out:
                    out[key] = value
                elif isinstance(out[key], list):
                    out[key].append(value)
                else:
                    out[key] = [out[key], value]
    return out


def _merge_metadata(manifest: dict[str, Any], canvas: dict[str, Any]) -> dict[str, Any]:
    """The manifest's metadata with the canvas's; a label on both keeps both values."""
    out = dict(manifest)
    for key, value in canvas.items():
        if key in out and out[key] != value:
            old = out[key] if isinstance(out[key], list) else [out[key]]
            new = value if isinstance(value, list) else [value]
            out[key] = old + [v for v in new if v not in old]
        else:
            out[key] = value
    return out


def _id(obj: Any) -> str | None:
    if isinstance(obj, dict):
        v = obj.get("id") or obj.get("@id")
        return str(v) if v else None
    if isinstance(obj, str):
        return obj
    return None


def _service(body: dict[str, Any], default_api: int) -> tuple[str | None, int | None]:
    svc = _service_of(body)
    if svc is None:
        return None, None
    sid = _id(svc) or ""
    kind = str(svc.get("type") or svc.get("@type") or "")
    profile = text_of(_profile_names(svc.get("profile")))
    api = _image_api(kind, str(svc.get("@context") or ""), profile) or default_api
    return sid.rstrip("/"), api


def _service_of(body: dict[str, Any]) -> dict[str, Any] | None:
    """The first image service (with an id) of a painting body."""
    services = body.get("service")
    if isinstance(services, dict):
        services = [services]
    if not isinstance(services, list):
        return None
    for svc in services:
        if not isinstance(svc, dict):
            continue
        if _id(svc):
            return svc
    return None


def _profile_names(profile: Any) -> list[str]:
    """A service's profile as the names (URIs) it gives: a v2 profile is a URI, or a list
    of a URI and descriptions (``{"supports": [...]}``); v3 ``level0`` to ``level2``."""
    values = profile if isinstance(profile, list) else [profile]
    return [str(v) for v in values if isinstance(v, str)]


_LEVEL = re.compile(r"level([012])(?:\.json)?$")


def service_level(body: dict[str, Any]) -> tuple[int | None, list[str]]:
    """The compliance level (0, 1, 2) an image service says it has, from its profile
    (v3 ``level1``; v2 ``http://iiif.io/api/image/2/level1.json``; 1.x
    ``.../compliance.html#level1``), and the features it names beyond it (v2 the
    profile's ``supports``, v3 ``extraFeatures``); ``(None, [])`` when it says none: what
    glamlab asks of it then is what it asked before (:func:`glamlab.items.images.promises`)."""
    svc = _service_of(body)
    if svc is None:
        return None, []
    levels = [int(m.group(1)) for name in _profile_names(svc.get("profile"))
              if (m := _LEVEL.search(name.strip()))]
    profile = svc.get("profile")
    lists = [svc.get("extraFeatures")] + [p.get("supports") for p in (
        profile if isinstance(profile, list) else []) if isinstance(p, dict)]
    features = [str(f) for more in lists if isinstance(more, list) for f in more
                if isinstance(f, str)]
    return (max(levels) if levels else None), list(dict.fromkeys(features))


#: Image API 1.0 and 1.1 name their context and profiles under this address (Gallica,
#: Yale, Princeton's Loris); 2 and 3 under iiif.io/api/image/N
_IMAGE_API_1 = "library.stanford.edu/iiif/image-api"


def _image_api(kind: str, ctx: str, profile: str) -> int | None:
    """The Image API version (1, 2 or 3) an image service speaks, from its type, context
    or profile; None when none of them says. 1 (1.0, 1.1) asks for ``native.jpg``, 2 and
    3 for ``default.jpg`` (:func:`glamlab.items.images.image_urls`)."""
    if kind == "ImageService3" or "image/3" in ctx:
        return 3
    if kind == "ImageService2" or "image/2" in ctx:
        return 2
    if kind == "ImageService1" or "image/1" in ctx or _IMAGE_API_1 in ctx:
        return 1
    if "image/2" in profile:
        return 2
    if "image/1" in profile or _IMAGE_API_1 in profile:
        return 1
    return None


def _image_body_v3(canvas: dict[str, Any]) -> dict[str, Any] | None:
    bodies = _image_bodies_v3(canvas)
    return bodies[0] if bodies else None


def _image_bodies_v3(canvas: dict[str, Any]) -> list[dict[str, Any]]:
    """The images a v3 canvas is painted with (of a ``Choice``, its first), in order."""
    out = []
    for page in canvas.get("items") or []:
        if not isinstance(page, dict):
            continue
        for anno in page.get("items") or []:
            if not isinstance(anno, dict) or not _painting(anno):
                continue
            bodies = anno.get("body")
            if isinstance(bodies, dict) and bodies.get("type") == "Choice":
                bodies = bodies.get("items")
            if isinstance(bodies, (dict, str)):
                bodies = [bodies]
            for body in bodies or []:
                if isinstance(body, str) and body:  # the image's URI alone, as in v2
                    body = {"id": body}
                if isinstance(body, dict) and body.get("type") == "SpecificResource":
                    body = _specific_image(body.get("source"), body.get("selector"),
                                           css_rotation(anno.get("stylesheet"),
                                                        body.get("styleClass")))
                if isinstance(body, dict) and _is_image(body):
                    out.append(_placed(body, anno.get("target")))
                    break
    return out


#: where :func:`_placed` keeps the canvas a painting annotation targets, and the part of it
TARGET = "_glamlab_target"


def _placed(body: dict[str, Any], target: Any) -> dict[str, Any]:
    """``body`` with the canvas its annotation targets (``target``, v2 ``on``) under
    :data:`TARGET`: the canvas's id without a media fragment, and the part of the canvas
    the image is painted on (``canvas#xywh=x,y,w,h``, or a ``SpecificResource`` on the
    canvas with a ``FragmentSelector``), as an Image API region (``pct:`` for
    ``percent:``); none for the whole canvas."""
    if isinstance(target, list):
        target = next((t for t in target if t), None)
    canvas, region = None, None
    if isinstance(target, str):
        canvas, _, fragment = target.partition("#")
        region = _selector({"type": "FragmentSelector", "value": fragment}).get("region")
    elif isinstance(target, dict):
        source = target.get("source") or target.get("full")
        canvas, _, fragment = (_id(source) or _id(target) or "").partition("#")
        region = (_selector(target.get("selector")).get("region")
                  or _selector({"type": "FragmentSelector", "value": fragment}).get("region"))
    if not canvas:
        return body
    return {**body, TARGET: {"canvas": canvas, **({"region": region} if region else {})}}


def _painting(anno: dict[str, Any]) -> bool:
    """Whether a v3 annotation paints the canvas: its motivation is ``painting`` or not
    given (a ``supplementing`` caption file beside a video is not the canvas's content)."""
    motivation = anno.get("motivation")
    if not motivation:
        return True
    values = motivation if isinstance(motivation, list) else [motivation]
    return any(str(m).rpartition(":")[2] == "painting" for m in values)


def _painted_v3(canvas: dict[str, Any]) -> list[dict[str, Any]]:
    """Everything a v3 canvas's painting annotations are painted with (images or not)."""
    out: list[dict[str, Any]] = []
    for page in canvas.get("items") or []:
        for anno in (page.get("items") or []) if isinstance(page, dict) else []:
            bodies = anno.get("body") if isinstance(anno, dict) and _painting(anno) else None
            if isinstance(bodies, dict) and bodies.get("type") == "Choice":
                bodies = bodies.get("items")
            out.extend({"id": b} if isinstance(b, str) else b
                       for b in ([bodies] if isinstance(bodies, (dict, str)) else bodies or [])
                       if isinstance(b, dict) or isinstance(b, str) and b)
    return out


#: file extensions of images, for a painting body that gives neither type nor format
_IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".jpe", ".jp2", ".j2k", ".jpf", ".jpx", ".png", ".gif",
                    ".tif", ".tiff", ".webp", ".bmp"}
#: file extensions of what else a canvas can be painted with (captions, video, sound, text)
_OTHER_EXTENSIONS = {".vtt", ".srt", ".mp4", ".m4v", ".webm", ".ogv", ".mov", ".mpd", ".m3u8",
                     ".mp3", ".m4a", ".ogg", ".oga", ".wav", ".flac", ".txt", ".html", ".htm",
                     ".pdf", ".xml", ".json"}


def _types(body: dict[str, Any]) -> list[str]:
    """A body's types, local names lower-cased (``dctypes:Image`` -> ``image``); JSON-LD
    allows a list (``["dctypes:Image", "foaf:Image"]``)."""
    kinds = body.get("type") or body.get("@type") or []
    return [str(k).rpartition(":")[2].rpartition("/")[2].lower()
            for k in (kinds if isinstance(kinds, list) else [kinds]) if str(k).strip()]


def _is_image(body: dict[str, Any]) -> bool:
    """Whether a painting body (v3) or resource (v2) is an image: by its ``format``
    (``image/*``) when it gives one that says image, or its type (``Image``,
    ``dctypes:Image``, in any case, one of a list); a type or format that says something
    else (a caption file ``text/vtt``, a video, a sound) is not. With neither, an image
    service or the URL's file extension tells; a body that says nothing of what it is (an
    address with no known file extension, as older v2 manifests write it) is taken as
    an image, as the canvas's content: reading it tells."""
    fmt = body.get("format")
    fmt = fmt.strip().lower() if isinstance(fmt, str) else ""
    if fmt.startswith("image/"):
        return True
    kinds = _types(body)
    if kinds:
        return any(k.endswith("image") and k != "movingimage" for k in kinds)
    if fmt:
        return False
    if body.get("service"):
        return True
    suffix = Path(urlsplit(_id(body) or "").path).suffix.lower()
    return suffix in _IMAGE_EXTENSIONS or suffix not in _OTHER_EXTENSIONS


def _what(body: dict[str, Any]) -> str:
    """A painting body that is not an image, in words: its type or format, and its URL."""
    raw = body.get("type") or body.get("@type") or []
    kind = "/".join(str(k).rpartition(":")[2] for k in (raw if isinstance(raw, list) else [raw])
                    if str(k).strip())
    fmt = body.get("format") if isinstance(body.get("format"), str) else None
    told = " ".join(x for x in (kind, f"({fmt})" if kind and fmt else fmt) if x)
    where = _id(body) or "with no URL"
    return f"{told} {where}" if told else where


#: where :func:`_specific_image` keeps the part of the image a canvas is painted with
SELECTOR = "_glamlab_selector"
_REGION_RE = re.compile(r"^(?:pixel:)?(\d+(?:\.\d+)?(?:,\d+(?:\.\d+)?){3})$")
_PERCENT_RE = re.compile(r"^percent:(\d+(?:\.\d+)?(?:,\d+(?:\.\d+)?){3})$")
#: an Image API region and rotation as the API writes them: anything else in a manifest
#: (a path, a query) is not put into the image's address; the whole image is read then
_API_REGION_RE = re.compile(r"^(?:square|(?:pct:)?\d+(?:\.\d+)?(?:,\d+(?:\.\d+)?){3})$")
_API_ROTATION_RE = re.compile(r"^!?\d+(?:\.\d+)?$")


def _selector(selectors: Any) -> dict[str, str]:
    """The Image API ``region`` and ``rotation`` a painting ``SpecificResource``'s
    selector asks for: an ``ImageApiSelector`` (v3; v2 ``iiif:ImageApiSelector``) gives
    them as they are, a media-fragment ``FragmentSelector`` (``xywh=``) the region
    (``percent:`` as the Image API's ``pct:``). Empty for the whole image."""
    out: dict[str, str] = {}
    for sel in selectors if isinstance(selectors, list) else [selectors]:
        if not isinstance(sel, dict):
            continue
        kind = str(sel.get("type") or sel.get("@type") or "").rpartition(":")[2]
        if kind == "ImageApiSelector":
            region = str(sel.get("region") or "").strip()
            if region and region != "full" and _API_REGION_RE.match(region):
                out["region"] = region
            rotation = str(sel.get("rotation") or "").strip()
            if rotation and rotation not in ("0", "0.0") and _API_ROTATION_RE.match(rotation):
                out["rotation"] = rotation
        elif kind == "FragmentSelector":
            value = str(sel.get("value") or "").strip().removeprefix("xywh=")
            if m := _REGION_RE.match(value):
                out["region"] = m.group(1)
            elif m := _PERCENT_RE.match(value):
                out["region"] = f"pct:{m.group(1)}"
    return out


def _specific_image(source: Any, selectors: Any,
                    turn: str | None = None) -> dict[str, Any] | None:
    """The image of a canvas painted with a part of it, or with it turned (a
    ``SpecificResource``: its ``source``, v2 its ``full``, with a selector): the image's
    description, and under :data:`SELECTOR` the region and rotation to ask the image
    service for (:func:`_selector`), and the ``turn`` its CSS stylesheet gives it
    (:func:`css_rotation`), done here once the image is read."""
    if isinstance(source, str) and source:
        source = {"id": source, "type": "Image"}
    if not isinstance(source, dict):
        return None
    image = dict(source)
    wanted = _selector(selectors)
    if turn:
        wanted["turn"] = turn
    if wanted:
        image[SELECTOR] = wanted
    return image


_CSS_RULE = re.compile(r"\.(-?[A-Za-z_][\w-]*)\s*\{([^}]*)\}")
_CSS_TRANSFORM = re.compile(r"(?:^|;)\s*transform\s*:([^;]*)", re.I)
_CSS_ROTATE = re.compile(r"\brotate(?:z)?\(\s*([-+]?\d*\.?\d+)\s*(deg|turn|grad|rad)?\s*\)",
                         re.I)
_CSS_UNITS = {"deg": 1.0, "turn": 360.0, "grad": 0.9, "rad": 57.29577951308232}


def css_rotation(stylesheet: Any, style_class: Any) -> str | None:
    """The turn a Presentation 3 annotation's CSS ``stylesheet`` gives its body's
    ``styleClass`` (cookbook recipe 0040's second way: ``.rotated { transform:
    rotate(90deg) }``), in degrees clockwise from 0 to 360 as the Image API writes a
    rotation (CSS turns clockwise too); None when it gives none. Only a stylesheet written
    in the manifest is read: one given by its URL is not fetched."""
    sheets = stylesheet if isinstance(stylesheet, list) else [stylesheet]
    text = " ".join(str(s.get("value") or "") for s in sheets if isinstance(s, dict))
    classes = (style_class if isinstance(style_class, list) else
               str(style_class or "").split())
    if not text or not classes:
        return None
    degrees = 0.0
    found = False
    for rule in _CSS_RULE.finditer(text):
        if rule.group(1) not in classes:
            continue
        for transform in _CSS_TRANSFORM.finditer(rule.group(2)):
            for turn in _CSS_ROTATE.finditer(transform.group(1)):
                degrees += float(turn.group(1)) * _CSS_UNITS[(turn.group(2) or "deg").lower()]
                found = True
    degrees %= 360
    if not found or round(degrees, 4) in (0, 360):
        return None
    return f"{degrees:.4f}".rstrip("0").rstrip(".")


def _image_body_v2(canvas: dict[str, Any]) -> dict[str, Any] | None:
    bodies = _image_bodies_v2(canvas)
    return bodies[0] if bodies else None


def _image_bodies_v2(canvas: dict[str, Any]) -> list[dict[str, Any]]:
    """The images a v2 canvas is painted with (of an ``oa:Choice``, its default)."""
    out = []
    images = canvas.get("images") or []
    for image in [images] if isinstance(images, dict) else images:  # one, not in a list
        if not isinstance(image, dict):
            continue
        target = image.get("on")
        res = image.get("resource")
        if isinstance(res, dict) and res.get("@type") == "oa:Choice":
            res = res.get("default")
        if isinstance(res, dict) and res.get("@type") == "oa:SpecificResource":
            full = res.get("full")
            res = _specific_image({"@id": full} if isinstance(full, str) else full,
                                  res.get("selector"))
        if isinstance(res, str) and res:  # the image's URI alone, as JSON-LD allows
            res = {"@id": res}
        if isinstance(res, dict) and _is_image(res):
            out.append(_placed(res, target))
    return out


def _painted_v2(canvas: dict[str, Any]) -> list[dict[str, Any]]:
    """Everything a v2 canvas's ``images`` are painted with (images or not)."""
    images = canvas.get("images") or []
    out = []
    for image in [images] if isinstance(images, dict) else images:
        res = image.get("resource") if isinstance(image, dict) else None
        res = {"@id": res} if isinstance(res, str) and res else res
        if isinstance(res, dict):
            out.append(res)
    return out


def local_images(rec: Record) -> list[str]:
    """The files on this computer that a canvas read from a local manifest is painted
    with (its image, and the others of a canvas of several images), resolved; those
    outside the manifest's folder are left out (they are not read)."""
    if rec.source_kind != KIND or rec.source.startswith(("http://", "https://")):
        return []
    base = Path(rec.source).resolve().parent
    out = []
    for ref in [rec.meta.get("image"), *(rec.meta.get("other_images") or [])]:
        if not isinstance(ref, str) or "://" in ref and not ref.startswith("file://"):
            continue
        target = (base / ref.removeprefix("file://")).resolve()
        if target.is_relative_to(base):
            out.append(str(target))
    return out


def claimed_images(paths: list[Path], options: IngestOptions) -> set[str]:
    """The files on this computer that the canvases of the local IIIF files ``paths``
    (manifests, and the manifests embedded in a collection file) are painted with
    (:func:`local_images`), read without fetching anything: a collection's members on
    the web may not point to local files. Nothing of the canvases is kept, so that a
    folder's walk can stream them afterwards (:func:`read_files`) rather than hold every
    canvas of every manifest it finds in memory before its first item."""
    out: set[str] = set()
    for path in paths:
        doc = _document(str(path), options)
        if isinstance(doc, Problem):
            continue  # said when the files are read
        stack = [doc]
        while stack:
            d = stack.pop()
            if not _is_collection(d):
                for rec in _read_manifest(d, str(path), None):
                    if isinstance(rec, Record):
                        out.update(local_images(rec))
                continue
            stack.extend(m for m in _members(d) if "items" in m or "sequences" in m
                         or "manifests" in m or "collections" in m)
    return out


def _canvas_part(target: Any, canvas_id: str, width: int | None,
                 height: int | None) -> str | None:
    """The part of its canvas an image is painted on (its annotation's target, matched to
    the canvas without its media fragment, :func:`_placed`), cut to the canvas; None
    for the whole canvas, a target naming another canvas, or a part with nothing of it
    on the canvas."""
    if not isinstance(target, dict) or not target.get("region"):
        return None
    if target.get("canvas") != canvas_id.partition("#")[0]:
        return None
    region = clip_region(str(target["region"]), width, height)
    if region is None or region in ("pct:0,0,100,100", "full") or (
            width and height and region == f"0,0,{width},{height}"):
        return None
    return region


def _size_words(body: dict[str, Any]) -> str:
    w, h = _int(body.get("width")), _int(body.get("height"))
    return f" ({w} x {h} pixels)" if w and h else ""


def _num(v: float) -> str:
    return f"{v:.4f}".rstrip("0").rstrip(".")


def clip_region(region: str, width: int | None, height: int | None) -> str | None:
    """An Image API region (``x,y,w,h`` in the image's pixels, ``pct:x,y,w,h``, ``full``,
    ``square``) cut to the image: the part inside it (in pixels when the image's size is
    known; ``pct:`` always to 0-100), the region as it is when it lies inside or cannot be
    told; None when nothing of it is inside (wholly outside, or of no width or height)."""
    pct = region.startswith("pct:")
    numbers = region.removeprefix("pct:").split(",")
    if len(numbers) != 4:
        return region  # full, square
    try:
        x, y, w, h = (float(n) for n in numbers)
    except ValueError:
        return region
    if w <= 0 or h <= 0:
        return None
    if pct:
        width = height = 100
    if not width or not height or width <= 0 or height <= 0:
        return region
    x0, y0 = max(0.0, x), max(0.0, y)
    x1, y1 = min(float(width), x + w), min(float(height), y + h)
    if x1 <= x0 or y1 <= y0:
        return None
    if (x0, y0, x1, y1) == (x, y, x + w, y + h):
        return region
    return ("pct:" if pct else "") + ",".join(_num(v) for v in (x0, y0, x1 - x0, y1 - y0))


def _bad_size(canvas: dict[str, Any]) -> str | None:
    """A canvas's width or height given but not a whole number over 0 (``0``, ``-5``,
    ``"wide"``), in words; None when both are usable or not given (then the image's size
    is read)."""
    bad = []
    for key in ("width", "height"):
        if key in canvas and canvas[key] is not None:
            value = _int(canvas[key])
            if value is None or value <= 0:
                bad.append(f"{key} {canvas[key]!r}" if value is None else f"{key} {value}")
    return " and ".join(bad) or None


def _int(v: Any) -> int | None:
    try:
        return int(v) if v is not None else None
    except (TypeError, ValueError):
        return None


def _document(source: str, options: IngestOptions) -> dict[str, Any] | Problem:
    try:
        if not source.startswith(("http://", "https://")) and is_lfs_pointer(source):
            return lfs_problem(source, source)
        data = _load(source, options)
    except RefusedAddress as exc:
        return Problem(source, None, f"cannot read the manifest: {exc}", refused_hint(exc))
    except (FetchError, OSError) as exc:
        return Problem(source, None, f"cannot read the manifest: {exc}",
                       "check the URL or path, and that the server answers")
    try:
        doc = loads_json(data)
    except ValueError as exc:
        return Problem(source, None, f"not a IIIF manifest: not JSON ({exc})", NOT_IIIF_HINT)
    if not isinstance(doc, dict) or presentation_version(doc) is None:
        return Problem(source, None, "not a IIIF Presentation manifest: no IIIF Presentation "
                       "2 or 3 @context and no Manifest type", NOT_IIIF_HINT)
    contexts = _contexts(doc)
    unknown = [c for c in contexts if "iiif.io/api/presentation" in c
               and c not in (PRESENTATION_2, PRESENTATION_3)]
    if unknown and not {PRESENTATION_2, PRESENTATION_3} & set(contexts):
        return Problem(source, _id(doc), f"unknown IIIF Presentation context {unknown[0]!r} "
                       "(glamlab reads Presentation 2 and 3)",
                       f"check the document's @context; it should be {PRESENTATION_3} or "
                       f"{PRESENTATION_2}")
    return doc


def read(source: str, options: IngestOptions) -> Iterator[Record | Problem]:
    doc = _document(source, options)
    if isinstance(doc, Problem):
        yield doc
        return
    yield from _read_doc(doc, source, options, depth=0, seen=set())


def read_files(paths: list[Path], options: IngestOptions) -> Iterator[Record | Problem]:
    """IIIF files found in a folder: the manifests first, then the collections, which
    skip the members already read from the folder (nothing is fetched that is there)."""
    docs = []
    for path in paths:
        doc = _document(str(path), options)
        if isinstance(doc, Problem):
            yield doc
        else:
            docs.append((path, doc))
    seen: set[str] = set()
    for path, doc in sorted(docs, key=lambda d: _is_collection(d[1])):
        if _id(doc) in seen:
            continue
        seen.add(_id(doc) or str(path))
        yield from _read_doc(doc, str(path), options, depth=0, seen=seen)


def _members(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """A Collection's members (v3 ``items``; v2 ``collections``, ``manifests``, ``members``)
    as dicts with an id and a type."""
    out = []
    for key in ("items", "collections", "manifests", "members"):
        for m in doc.get(key) or []:
            if isinstance(m, str):
                m = {"id": m, "type": "Collection" if key == "collections" else "Manifest"}
            if isinstance(m, dict) and _id(m):
                out.append(m)
    return out


def _is_collection(doc: dict[str, Any]) -> bool:
    return (doc.get("type") or doc.get("@type")) in ("Collection", "sc:Collection")


def _read_doc(doc: dict[str, Any], source: str, options: IngestOptions, *, depth: int,
              seen: set[str], partof: dict[str, Any] | None = None,
              origin: str | None = None) -> Iterator[Record | Problem]:
    """``origin``: where ``doc`` itself was read from (a member of a collection fetched
    from its own URL), which decides where its images may come from."""
    if not _is_collection(doc):
        yield from _read_manifest(doc, source, partof, origin or source)
        return
    cid = _id(doc) or source
    seen.add(cid)
    members = _members(doc)
    n_coll = sum(1 for m in members if _is_collection(m))
    options.say(f"{cid}: a IIIF collection of {len(members) - n_coll} manifests and {n_coll} "
                f"collections; reading them (depth {depth + 1} of at most "
                f"{options.collection_depth})")
    if depth >= options.collection_depth:
        yield Problem(source, cid, f"a IIIF collection nested {depth + 1} levels deep, over "
                      f"the limit of {options.collection_depth}: its {len(members)} members "
                      "were not read", "raise the limit with --collection-depth N, or ingest "
                      "this collection's URL by itself")
        return
    here = {"collection": cid, "collection_label": text_of(doc.get("label"))}
    for m in members:
        mid = _id(m) or ""
        if mid in seen:
            continue
        seen.add(mid)
        embedded = ("items" in m and not _is_collection(m)) or "sequences" in m or (
            _is_collection(m) and any(k in m for k in ("items", "manifests", "collections")))
        remote = (origin or source).startswith(("http://", "https://"))
        child: dict[str, Any] | Problem
        if embedded:
            child = m
        elif remote and not mid.startswith(("http://", "https://")):
            # a collection from the web naming a path would make glamlab read a local file
            child = Problem(source, mid, f"the member {mid!r} is not an http(s) URL",
                            "a collection from the web may only list http(s) manifests")
        else:
            child = _document(mid, options)
        if isinstance(child, Problem):
            child.source, child.item_ref = source, child.item_ref or mid
            child.reason = f"{child.reason} (listed in the collection {cid})"
            yield child
            continue
        yield from _read_doc(child, source, options, depth=depth + 1, seen=seen,
                             partof=here, origin=(origin or source) if embedded else mid)


def _read_manifest(doc: dict[str, Any], source: str, partof: dict[str, Any] | None,
                   origin: str | None = None) -> Iterator[Record | Problem]:
    version = presentation_version(doc) or 3
    if version == 3:
        canvases = [c for c in doc.get("items") or [] if isinstance(c, dict)]
    else:
        canvases = []
        for seq in doc.get("sequences") or []:
            if isinstance(seq, dict):
                canvases.extend(c for c in seq.get("canvases") or [] if isinstance(c, dict))
    manifest_id = _id(doc) or source
    manifest_label = text_of(doc.get("label"))
    manifest_meta = _metadata(doc.get("metadata"))
    if not canvases:
        yield Problem(source, manifest_id, "the manifest has no canvases",
                      "check that the manifest lists its pages")
        return
    if not _contexts(doc):
        manifest_meta = {**manifest_meta, "iiif_note": f"the manifest has no @context; read "
                         f"as IIIF Presentation {version}"}
    empty: list[tuple[int, str, str]] = []  # (index, id, label): the canvases with no image
    for index, canvas in enumerate(canvases, 1):
        rec = _canvas_record(source, version, index, canvas, manifest_id, manifest_label,
                             manifest_meta)
        if rec is None:
            empty.append((index, _id(canvas) or f"{manifest_id}#canvas-{index}",
                          text_of(canvas.get("label"))))
            continue
        if isinstance(rec, Record) and partof:
            rec.meta.update(partof)
        if isinstance(rec, Record):
            rec = _resource_policy(origin or source, rec)
        yield rec
    if empty:
        yield _empty_canvases(source, manifest_id, empty, len(canvases))


def _ranges(numbers: list[int], most: int = 12) -> str:
    """Canvas numbers in words: ``3-5, 9, 12-90``; past ``most`` runs, how many more."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    words = [str(a) if a == b else f"{a}-{b}" for a, b in runs[:most]]
    if len(runs) > most:
        words.append(f"and {len(runs) - most:,} more runs")
    return ", ".join(words)


#: the most canvases with no image whose labels are said (a Gallica volume has 84)
MOST_LABELS = 12


def _labels(empty: list[tuple[int, str, str]]) -> str:
    """The labels of a few canvases (``, labelled "f. 1v"``), none for many or unlabelled."""
    labels = [label for _, _, label in empty if label]
    if not labels or len(empty) > MOST_LABELS:
        return ""
    return ", labelled " + ", ".join(f'"{label}"' for label in labels)


def _empty_canvases(source: str, manifest_id: str, empty: list[tuple[int, str, str]],
                    total: int) -> Problem:
    """The canvases of a manifest painted with nothing, said once with their count
    (a Gallica manifest lists the pages it has no scan of as canvases with no image:
    84 of them in one volume), not as one problem each; the other canvases come in."""
    if len(empty) == total:  # nothing of the manifest comes in: not "the others came in"
        labels = _labels(empty)
        return Problem(source, empty[0][1],
                       f"the one canvas of the manifest {manifest_id} has no image "
                       f"({empty[0][1]}{labels})" if total == 1 else
                       f"none of the {total:,} canvases of the manifest {manifest_id} has "
                       "an image" + (f" ({labels.removeprefix(', ')})" if labels else ""),
                       "check that this is the manifest meant and that its canvases are "
                       "painted with images (v3 an Annotation with an Image body, v2 an "
                       "oa:Annotation with a dctypes:Image resource); a publisher may list "
                       "pages it has no scan of yet")
    if len(empty) == 1:
        index, cid, _ = empty[0]
        return Problem(source, cid, f"canvas {index} has no image ({cid}{_labels(empty)})",
                       "the canvas is skipped, the manifest's other canvases came in; "
                       "nothing to do if the publisher lists a page it has no scan of, "
                       "otherwise check the manifest")
    return Problem(source, empty[0][1],
                   f"{len(empty):,} of the {total:,} canvases of the manifest {manifest_id} "
                   f"have no image: canvases {_ranges([i for i, _, _ in empty])}"
                   + (f" ({_labels(empty).removeprefix(', ')})" if _labels(empty) else ""),
                   "those canvases are skipped, the manifest's other canvases came in; "
                   "nothing to do if the publisher lists pages it has no scan of (Gallica "
                   "does), otherwise check the manifest")


def _resource_policy(source: str, rec: Record) -> Record | Problem:
    """Where a canvas's image may come from. A manifest read from the web may only point
    to http(s) resources: a remote manifest naming ``/etc/passwd`` or ``file:///...`` as
    its image would make glamlab read a local file. A manifest read from a local file may
    also point to local images, but only inside the manifest's own folder (relative paths
    are read from there)."""
    remote = source.startswith(("http://", "https://"))
    meta = rec.meta
    refs = [("image", meta.get("image")), ("image service", meta.get("image_service"))]
    base = None if remote else Path(source).resolve().parent
    resolved: dict[str, str] = {}
    for what, ref in refs:
        if not ref:
            continue
        ref = str(ref)
        if ref.startswith(("http://", "https://")):
            continue
        fix = ("a manifest from the web may only point to http(s) images" if remote else
               "put the images in the manifest's folder (or below it), or serve them over "
               "http(s)")
        if remote or "://" in ref and not ref.startswith("file://"):
            return Problem(source, rec.item_id, f"canvas {meta.get('canvas_index')}: its "
                           f"{what} {ref!r} is not an http(s) URL", fix)
        assert base is not None
        local = ref.removeprefix("file://")
        target = (base / local).resolve()
        if not target.is_relative_to(base):
            return Problem(source, rec.item_id, f"canvas {meta.get('canvas_index')}: its "
                           f"{what} {ref!r} is outside the manifest's folder {base}", fix)
        resolved[what] = str(target)
    if resolved:
        if "image" in resolved:
            meta["image"] = resolved["image"]
        if "image service" in resolved:
            meta["image_service"] = None  # a local file is not an image service
            meta["image_api"] = None
            meta["image"] = meta.get("image") or resolved["image service"]
        rec.uri = meta["image"]
    return rec


def _canvas_record(source: str, version: int, index: int, canvas: dict[str, Any],
                   manifest_id: str, manifest_label: str,
                   manifest_meta: dict[str, Any]) -> Record | Problem | None:
    """One canvas as an item, or the problem with it; None for a canvas painted with
    nothing (said once for the manifest: :func:`_empty_canvases`)."""
    canvas_id = _id(canvas) or f"{manifest_id}#canvas-{index}"
    bad = _bad_size(canvas)
    if bad:
        return Problem(source, canvas_id, f"canvas {index} ({canvas_id}) has {bad}: a canvas "
                       "needs a width and a height over 0 (the space its image and its "
                       "regions are placed in)",
                       "the canvas is skipped, the manifest's other canvases came in; give "
                       "the canvas its width and height (those of its image, in pixels) in "
                       "the manifest, or ask its publisher to, and ingest it again")
    bodies = _image_bodies_v3(canvas) if version == 3 else _image_bodies_v2(canvas)
    # an image annotation with an empty body or resource ({}, or a SpecificResource or
    # Choice with no image in it) paints nothing: such canvases are said together
    bodies = [b for b in bodies if _id(b) or _service(b, version)[0]]
    body = bodies[0] if bodies else None
    if body is None:
        painted = [b for b in (_painted_v3(canvas) if version == 3 else _painted_v2(canvas))
                   if _id(b) or b.get("service")]
        if painted:  # a caption file, a video, a sound: glamlab reads images
            return Problem(source, canvas_id, f"canvas {index} ({canvas_id}) is painted "
                           f"with {'; '.join(_what(b) for b in painted)}, not an image",
                           "the canvas is skipped; glamlab reads the canvases painted with "
                           "images (an image body says type Image or an image/* format)")
        return None
    service, api = _service(body, version)
    image = _id(body)
    uri = service or image
    if not uri:
        return Problem(source, canvas_id, f"canvas {index} has neither an image service nor "
                       "an image URL", "the canvas is skipped; check the manifest")
    width = _int(canvas.get("width")) or _int(body.get("width"))
    height = _int(canvas.get("height")) or _int(body.get("height"))
    meta: dict[str, Any] = {
        "manifest": manifest_id,
        "document": manifest_id,
        "manifest_label": manifest_label,
        "canvas": canvas_id,
        "canvas_index": index,
        "label": text_of(canvas.get("label")),
        "metadata": _merge_metadata(manifest_meta, _metadata(canvas.get("metadata"))),
        "presentation_api": version,
        "image_service": service,
        "image_api": api if service else None,
        "image": image,
        "format": body.get("format"),
    }
    level, features = service_level(body) if service else (None, [])
    if level is not None:  # what the service promises to answer (items.images.promises)
        meta["image_level"] = level
    if features:
        meta["image_features"] = features
    placed = _canvas_part(body.get(TARGET), canvas_id, width, height)
    if placed:
        meta["canvas_region"] = placed
        meta["canvas_note"] = (f"the image is painted on the part {placed} of the canvas"
                               + (f" ({width} x {height})" if width and height else "")
                               + ", not on the whole of it")
    part = dict(body.get(SELECTOR) or {})
    turn = part.pop("turn", None)
    if turn:  # the canvas's stylesheet turns the image: done here once it is read
        meta["image_turn"] = turn
    if part.get("region") and _int(body.get("width")) and _int(body.get("height")):
        # the size the image's region is given in, for cutting it here out of an image
        # read at another size (:func:`glamlab.items.images.open_image`)
        meta["image_size"] = [_int(body.get("width")), _int(body.get("height"))]
    clip_note = None
    if part.get("region"):  # the canvas shows this part of the image
        clipped = clip_region(part["region"], _int(body.get("width")), _int(body.get("height")))
        if clipped is None:
            size = _size_words(body)
            return Problem(source, canvas_id, f"canvas {index} ({canvas_id}) shows the region "
                           f"{part['region']} of its image, which lies wholly outside the "
                           f"image{size} or has no width or height",
                           "the canvas is skipped, the manifest's other canvases came in; "
                           "correct the region in the manifest's selector (x,y,w,h in the "
                           "image's pixels, or pct:x,y,w,h) and ingest it again")
        if clipped != part["region"]:
            clip_note = (f"the canvas's region {part['region']} reaches past its image"
                         f"{_size_words(body)}: clipped to {clipped}")
            part["region"] = clipped
        meta["image_region"] = part["region"]
    if part.get("rotation"):
        meta["image_rotation"] = part["rotation"]
    if part and not service:
        meta["canvas_note"] = ("the canvas shows the image " + " and ".join(
            f"{k} {v}" for k, v in part.items()) + "; with no image service to ask for "
            "that, the whole image is read and cut and turned here")
    if clip_note:
        meta["canvas_note"] = "; ".join(n for n in (meta.get("canvas_note"), clip_note) if n)
    if "image_size" not in meta and service and _int(body.get("width")) and \
            _int(body.get("height")) and (_int(body.get("width")), _int(body.get("height"))) \
            != (width, height):
        # the image's own size, where the canvas's is another (recipe 0004): the sizes
        # asked of a service that promises no "!w,h" are within it (web.images)
        meta["image_size"] = [_int(body.get("width")), _int(body.get("height"))]
    others = [i for b in bodies[1:] if (i := _id(b))]
    if others:  # a spread of two scans, a fragment pasted on a page: the first is read
        meta["other_images"] = others
        meta["canvas_note"] = "; ".join(n for n in (
            f"the canvas is painted with {len(bodies)} images; the item is the first, "
            f"{image or uri}", meta.get("canvas_note") if placed else None) if n)
    return Record(item_id=canvas_id, modality="image", source_kind=KIND, source=source,
                  content_hash=sha256_json({"canvas": canvas, "manifest": manifest_id}),
                  uri=uri, width=width, height=height, meta=meta)
