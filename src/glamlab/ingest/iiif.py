"""IIIF Presentation manifests (v2 and v3), from a file or an http(s) URL.

Each canvas becomes one image item: its id is the canvas id, its ``uri`` the IIIF image
service (or the image itself when there is no service), with the canvas label, the
manifest's and the canvas's metadata, and the width and height the canvas declares.
Nothing but the manifest is fetched at ingest; images are fetched when first decoded
(:func:`glamlab.items.images.cached_image`) and kept in the workspace cache
(``.glamlab/cache/iiif``).

Remote requests go through httpx with a timeout and a size cap; tests pass an
``httpx`` transport (``IngestOptions.http_transport``, ``cached_image(transport=)``)
or serve files from a local HTTP server.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .base import IngestOptions, Problem, Record, sha256_json

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


# -- fetching -------------------------------------------------------------------
def fetch(url: str, *, timeout: float, max_bytes: int, transport: Any = None,
          dest: Path | None = None) -> bytes:
    """GET ``url`` with a timeout and a size cap; the body, or written to ``dest``."""
    import httpx

    try:
        with httpx.Client(timeout=timeout, follow_redirects=True, transport=transport,
                          headers={"User-Agent": "glamlab"}) as client:
            with client.stream("GET", url) as resp:
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
    except httpx.HTTPError as exc:
        raise FetchError(f"cannot fetch {url}: {type(exc).__name__}: {exc}") from exc


def _load(source: str, options: IngestOptions) -> bytes:
    if source.startswith(("http://", "https://")):
        return fetch(source, timeout=options.http_timeout, max_bytes=MAX_MANIFEST_BYTES,
                     transport=options.http_transport)
    path = Path(source)
    size = path.stat().st_size
    if size > MAX_MANIFEST_BYTES:
        raise FetchError(f"the file is {size:,} bytes, over the {MAX_MANIFEST_BYTES:,}-byte "
                         "limit for a manifest")
    return path.read_bytes()


# -- reading manifests -------------------------------------------------------------
def _contexts(doc: dict[str, Any]) -> list[str]:
    ctx = doc.get("@context")
    if isinstance(ctx, str):
        return [ctx]
    if isinstance(ctx, list):
        return [c for c in ctx if isinstance(c, str)]
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


def text_of(value: Any) -> str:
    """A IIIF label or value (string, v2 language objects, v3 language map) as text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if "@value" in value:
            return str(value["@value"])
        parts = []
        for v in value.values():
            parts.append(text_of(v))
        return "; ".join(p for p in parts if p)
    if isinstance(value, list):
        return "; ".join(p for p in (text_of(v) for v in value) if p)
    return str(value)


def _metadata(entries: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    if isinstance(entries, list):
        for e in entries:
            if isinstance(e, dict):
                key = text_of(e.get("label"))
                if key:
                    out[key] = text_of(e.get("value"))
    return out


def _id(obj: Any) -> str | None:
    if isinstance(obj, dict):
        v = obj.get("id") or obj.get("@id")
        return str(v) if v else None
    if isinstance(obj, str):
        return obj
    return None


def _service(body: dict[str, Any], default_api: int) -> tuple[str | None, int | None]:
    services = body.get("service")
    if isinstance(services, dict):
        services = [services]
    if not isinstance(services, list):
        return None, None
    for svc in services:
        if not isinstance(svc, dict):
            continue
        sid = _id(svc)
        if not sid:
            continue
        kind = str(svc.get("type") or svc.get("@type") or "")
        ctx = svc.get("@context") or ""
        profile = text_of(svc.get("profile"))
        if kind == "ImageService3" or "image/3" in str(ctx):
            api = 3
        elif kind == "ImageService2" or "image/2" in str(ctx) or "image/2" in profile:
            api = 2
        elif kind in ("ImageService1",) or "image/1" in str(ctx):
            api = 2
        else:
            api = default_api
        return sid.rstrip("/"), api
    return None, None


def _image_body_v3(canvas: dict[str, Any]) -> dict[str, Any] | None:
    for page in canvas.get("items") or []:
        if not isinstance(page, dict):
            continue
        for anno in page.get("items") or []:
            if not isinstance(anno, dict):
                continue
            bodies = anno.get("body")
            if isinstance(bodies, dict) and bodies.get("type") == "Choice":
                bodies = bodies.get("items")
            if isinstance(bodies, dict):
                bodies = [bodies]
            for body in bodies or []:
                if isinstance(body, dict) and body.get("type", "Image") == "Image":
                    return body
    return None


def _image_body_v2(canvas: dict[str, Any]) -> dict[str, Any] | None:
    for image in canvas.get("images") or []:
        if not isinstance(image, dict):
            continue
        res = image.get("resource")
        if isinstance(res, dict) and res.get("@type") == "oa:Choice":
            res = res.get("default")
        if isinstance(res, dict):
            return res
    return None


def _int(v: Any) -> int | None:
    try:
        return int(v) if v is not None else None
    except (TypeError, ValueError):
        return None


def read(source: str, options: IngestOptions) -> Iterator[Record | Problem]:
    try:
        data = _load(source, options)
    except (FetchError, OSError) as exc:
        yield Problem(source, None, f"cannot read the manifest: {exc}",
                      "check the URL or path, and that the server answers")
        return
    try:
        doc = json.loads(data)
    except ValueError as exc:
        yield Problem(source, None, f"not a IIIF manifest: not JSON ({exc})", NOT_IIIF_HINT)
        return
    version = presentation_version(doc) if isinstance(doc, dict) else None
    if version is None or not isinstance(doc, dict):
        yield Problem(source, None, "not a IIIF Presentation manifest: no IIIF Presentation "
                      "2 or 3 @context and no Manifest type", NOT_IIIF_HINT)
        return
    kind = doc.get("type") or doc.get("@type")
    if kind in ("Collection", "sc:Collection"):
        members = doc.get("items") or doc.get("manifests") or []
        yield Problem(source, _id(doc), f"a IIIF collection of {len(members)} manifests, not "
                      "a manifest", "ingest the manifests it lists, one URL each")
        return
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
    for index, canvas in enumerate(canvases, 1):
        yield _canvas_record(source, version, index, canvas, manifest_id, manifest_label,
                             manifest_meta)


def _canvas_record(source: str, version: int, index: int, canvas: dict[str, Any],
                   manifest_id: str, manifest_label: str,
                   manifest_meta: dict[str, str]) -> Record | Problem:
    canvas_id = _id(canvas) or f"{manifest_id}#canvas-{index}"
    body = _image_body_v3(canvas) if version == 3 else _image_body_v2(canvas)
    if body is None:
        return Problem(source, canvas_id, f"canvas {index} has no image",
                       "the canvas is skipped; check the manifest")
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
        "manifest_label": manifest_label,
        "canvas": canvas_id,
        "canvas_index": index,
        "label": text_of(canvas.get("label")),
        "metadata": {**manifest_meta, **_metadata(canvas.get("metadata"))},
        "presentation_api": version,
        "image_service": service,
        "image_api": api if service else None,
        "image": image,
        "format": body.get("format"),
    }
    return Record(item_id=canvas_id, modality="image", source_kind=KIND, source=source,
                  content_hash=sha256_json({"canvas": canvas, "manifest": manifest_id}),
                  uri=uri, width=width, height=height, meta=meta)
