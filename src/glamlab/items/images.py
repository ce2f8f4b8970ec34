"""Item images: decoding (reduced decoding for speed, guarded against bombs), and the
local copy of a remote (IIIF) image, fetched on first use and cached."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ItemError

if TYPE_CHECKING:
    from PIL import Image

    from . import Item

DEFAULT_MAX_PIXELS = 178_956_970


def open_image(item: Item, max_side: int | None = None, *,
               max_pixels: int = DEFAULT_MAX_PIXELS, mode: str = "RGB") -> Image.Image:
    """Decode an item's image in ``mode`` (``RGB``, or ``L`` for grey: a JPEG then
    decodes its luminance only), reduced so the long side is about ``max_side``."""
    from PIL import Image, UnidentifiedImageError

    source = _local_source(item)
    region, mirror, degrees = local_view(item)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source) as im:
                if im.width * im.height > max_pixels:
                    raise ItemError(
                        f"{item.item_id}: image has {im.width * im.height:,} pixels, over the "
                        f"limit of {max_pixels:,} (decompression bomb guard)",
                        item=item.item_id,
                        hint="raise [ingest] max_image_pixels in glamlab.toml if the image is "
                             "genuine",
                    )
                if item.page:
                    im.seek(item.page)
                full = im.size
                box = _region_box(item, region, full) if region else None
                if max_side and im.format == "JPEG":
                    shown = (box[2] - box[0], box[3] - box[1]) if box else full
                    scale = max(shown) / max_side
                    if scale > 1:
                        im.draft(mode, (max(1, int(im.width / scale)),
                                         max(1, int(im.height / scale))))
                out = im.convert(mode)  # a new image: the file is closed on leaving
            if box:  # the part the canvas shows, in the (maybe reduced) decoded image
                sx, sy = out.width / full[0], out.height / full[1]
                out = out.crop((round(box[0] * sx), round(box[1] * sy),
                                max(round(box[0] * sx) + 1, round(box[2] * sx)),
                                max(round(box[1] * sy) + 1, round(box[3] * sy))))
            if mirror:
                out = out.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
            if degrees:
                out = _turn(out, degrees)
            if max_side and max(out.size) > max_side * 1.5:
                out.thumbnail((max_side, max_side))
            return out
    except ItemError:
        raise
    except (UnidentifiedImageError, OSError, EOFError, ValueError, SyntaxError,
            Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ItemError(
            f"{item.item_id}: cannot decode image {source}: {exc}",
            item=item.item_id,
            hint="re-export or replace the file, then run glamlab ingest again",
        ) from exc


def local_view(item: Item) -> tuple[str | None, bool, float]:
    """What of the view a IIIF canvas gives its image is done here, once the image is
    read: the region and rotation its selector asks for (``image_region``,
    ``image_rotation``) where there is no image service to ask, or the service's
    compliance level does not promise them (:func:`service_view`), and the turn its CSS
    stylesheet gives
    (``image_turn``, recipe 0040's second way). ``(region, mirrored, degrees clockwise)``;
    ``(None, False, 0.0)`` for an image shown as it is."""
    meta = item.meta or {}
    region = meta.get("image_region")
    rotation = meta.get("image_rotation")
    if meta.get("image_service"):  # what the service is asked for is not done again here
        asked_region, asked_rotation = service_view(meta)
        if asked_region != "full":
            region = None
        if asked_rotation != "0":
            rotation = None
    text = str(rotation or "0").strip()
    mirror = text.startswith("!")
    try:
        degrees = float(text.lstrip("!")) + float(meta.get("image_turn") or 0)
    except ValueError:
        degrees = 0.0
    region = str(region) if region and str(region) != "full" else None
    return region, mirror, degrees % 360


def _region_box(item: Item, region: str, size: tuple[int, int]) -> tuple[float, ...] | None:
    """An Image API region (``x,y,w,h`` in the pixels of the image as the manifest gives
    its size, ``image_size``; ``pct:``; ``square``) as a box on the image read, of
    ``size``, cut to it. Raises :class:`ItemError` naming the item when nothing of it is
    on the image."""
    width, height = size
    if region == "square":
        side = min(width, height)
        x, y = (width - side) / 2, (height - side) / 2
        return (x, y, x + side, y + side)
    try:
        numbers = [float(n) for n in region.removeprefix("pct:").split(",")]
    except ValueError:
        return None
    if len(numbers) != 4:
        return None
    x, y, w, h = numbers
    if region.startswith("pct:"):
        sx, sy = width / 100, height / 100
    else:
        declared = (item.meta or {}).get("image_size") or [width, height]
        sx, sy = width / float(declared[0] or width), height / float(declared[1] or height)
    x0, y0 = max(0.0, x * sx), max(0.0, y * sy)
    x1, y1 = min(float(width), (x + w) * sx), min(float(height), (y + h) * sy)
    if x1 <= x0 or y1 <= y0:
        raise ItemError(f"{item.item_id}: the canvas shows the region {region} of its image, "
                        f"which lies outside the image ({width} x {height} pixels)",
                        item=item.item_id,
                        hint="correct the region in the manifest's selector and ingest it "
                             "again")
    return (x0, y0, x1, y1)


def _turn(im: Image.Image, degrees: float) -> Image.Image:
    """``im`` turned clockwise (as the Image API and CSS turn), a right angle exactly."""
    from PIL import Image

    exact = {90.0: Image.Transpose.ROTATE_270, 180.0: Image.Transpose.ROTATE_180,
             270.0: Image.Transpose.ROTATE_90}
    if degrees in exact:
        return im.transpose(exact[degrees])
    white = 255 if im.mode == "L" else (255,) * len(im.getbands())
    return im.rotate(-degrees, expand=True, fillcolor=white)  # type: ignore[arg-type]


def _local_source(item: Item) -> str:
    uri = item.uri or ""
    if uri.startswith(("http://", "https://")):
        return str(cached_image(item))
    if not uri:
        raise ItemError(f"{item.item_id}: the item has no image", item=item.item_id,
                        hint="only image items can be decoded")
    return uri


# -- remote images, lazily --------------------------------------------------------
#: what the compliance levels of the Image API (1.x, 2, 3) promise beyond level 0 (the
#: whole image, full/full or full/max, unturned, default or native quality), by the
#: features' names (the compliance documents of each version)
_LEVEL_1: dict[int, frozenset[str]] = {
    1: frozenset({"regionByPx", "sizeByW", "sizeByH", "sizeByPct", "rotationBy90s"}),
    2: frozenset({"regionByPx", "sizeByW", "sizeByH", "sizeByPct"}),
    3: frozenset({"regionByPx", "regionSquare", "sizeByW", "sizeByH", "sizeByWh"}),
}
_LEVEL_2: dict[int, frozenset[str]] = {
    1: _LEVEL_1[1] | {"regionByPct", "sizeByWh", "sizeByConfinedWh"},
    2: _LEVEL_1[2] | {"regionByPct", "sizeByConfinedWh", "sizeByWh", "rotationBy90s"},
    3: _LEVEL_1[3] | {"regionByPct", "sizeByConfinedWh", "sizeByPct", "rotationBy90s"},
}


def promises(meta: dict[str, Any], feature: str) -> bool:
    """Whether an item's image service promises ``feature`` (``regionByPx``,
    ``sizeByConfinedWh``, ``rotationBy90s``...): by the compliance level its profile
    gives (``image_level``) in its Image API version, or as a feature it names beyond it
    (``image_features``). A service that gives no level is asked as before: for anything."""
    level = meta.get("image_level")
    if not isinstance(level, int):
        return True
    if feature in (meta.get("image_features") or ()):
        return True
    if level <= 0:
        return False
    table = _LEVEL_1 if level == 1 else _LEVEL_2
    return feature in table.get(int(meta.get("image_api") or 2), table[2])


def _region_feature(region: str) -> str | None:
    if region == "full":
        return None
    if region == "square":
        return "regionSquare"
    return "regionByPct" if region.startswith("pct:") else "regionByPx"


def _rotation_features(rotation: str) -> list[str]:
    out = ["mirroring"] if rotation.startswith("!") else []
    try:
        degrees = float(rotation.lstrip("!")) % 360
    except ValueError:
        return out + ["rotationArbitrary"]
    if degrees:
        out.append("rotationBy90s" if degrees % 90 == 0 else "rotationArbitrary")
    return out


def service_view(meta: dict[str, Any]) -> tuple[str, str]:
    """The region and rotation an item's image service is asked for: those the canvas
    shows (``image_region``, ``image_rotation``) where the service promises them
    (:func:`promises`); else the whole image (``full``), or the region unturned (``0``),
    and the rest is done here once the image is read (:func:`local_view`). A level 0
    service is asked only for the whole image, a level 1 service never to turn it."""
    region = str(meta.get("image_region") or "full")
    rotation = str(meta.get("image_rotation") or "0")
    feature = _region_feature(region)
    if feature and not promises(meta, feature):
        return "full", "0"  # cut here, and so turned here after it
    if not all(promises(meta, f) for f in _rotation_features(rotation)):
        return region, "0"
    return region, rotation


def image_urls(item: Item) -> list[str]:
    """Where to get an item's image, best first (IIIF Image API full size: ``default.jpg``,
    for an Image API 1.x service ``native.jpg``; then the image the manifest names). A canvas painted with a part of its image, or with it
    turned (``image_region``, ``image_rotation``: a ``SpecificResource`` with a selector)
    asks the image service for that part, turned, as far as its compliance level promises
    (:func:`service_view`; the rest is done here); the whole image the manifest names is
    then no stand-in for it (it is fetched only where the service is asked for the whole
    image, or there is no image service)."""
    meta = item.meta or {}
    urls: list[str] = []
    service = meta.get("image_service")
    region, rotation = service_view(meta)
    if service:
        if meta.get("image_api") == 3:
            urls.append(f"{service}/{region}/max/{rotation}/default.jpg")
        elif meta.get("image_api") == 1:  # Image API 1.0, 1.1: quality "native"
            urls += [f"{service}/{region}/full/{rotation}/native.jpg",
                     f"{service}/{region}/full/{rotation}/default.jpg"]
        else:
            urls += [f"{service}/{region}/full/{rotation}/default.jpg",
                     f"{service}/{region}/max/{rotation}/default.jpg"]
    image = meta.get("image")
    part = region != "full" or rotation != "0"
    if image and image not in urls and image != service and not (service and part):
        urls.append(str(image))
    if not urls and item.uri:
        urls.append(item.uri)
    return urls


def cache_path(item: Item) -> Path:
    from ..ingest.base import sha256_bytes

    base = Path(item.cache_dir) if item.cache_dir else Path(tempfile.gettempdir()) / "glamlab-cache"
    key = sha256_bytes(f"{item.uri}|{item.content_hash}".encode())
    return base / "iiif" / key[:2] / f"{key}.img"


def cached_image(item: Item, *, timeout: float | None = None, transport: Any = None,
                 max_bytes: int | None = None) -> Path:
    """The local copy of a remote (IIIF) image, fetched on first use and cached.

    An address on the server's own or internal network is refused unless the card allows
    it (``[fetch]``, :attr:`Item.fetch_policy`). Raises :class:`glamlab.errors.ItemError`
    naming the item when no URL answers."""
    from ..config import FetchPolicy
    from ..ingest.iiif import IMAGE_TIMEOUT, MAX_IMAGE_BYTES, FetchError, RefusedAddress, fetch

    path = cache_path(item)
    if path.is_file():
        return path
    errors = []
    refused: list[str] = []
    for url in image_urls(item):
        try:
            fetch(url, timeout=timeout or IMAGE_TIMEOUT, max_bytes=max_bytes or MAX_IMAGE_BYTES,
                  transport=transport, dest=path, policy=item.fetch_policy or FetchPolicy())
            return path
        except RefusedAddress as exc:
            errors.append(str(exc))
            refused.append(exc.host)
        except FetchError as exc:
            errors.append(str(exc))
    if refused:
        hosts = ", ".join(f'"{h}"' for h in dict.fromkeys(refused))
        hint = ("images are fetched only from the public internet; if this is your "
                "institution's own image server, allow it in glamlab.toml with [fetch] "
                f"allow_hosts = [{hosts}] (or allow_private = true), otherwise correct the "
                "address")
    else:
        hint = "check that the image server is reachable; the image is fetched again next time"
    raise ItemError(f"{item.item_id}: cannot fetch the image: {'; '.join(errors) or 'no URL'}",
                    item=item.item_id, hint=hint)
