"""Thumbnails and display images, made with PIL from known items only and cached.

Nothing here takes a path from a request: the item id is looked up in the store, the
item's own ``uri`` is decoded, and the cache file name is a hash of the item id,
content hash and size. An unknown id is a 404, whatever it contains (``..``, ``/``).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from ..items import file_name_only
from ..items.images import promises
from ..review import NotFound

if TYPE_CHECKING:
    from ..items import Item
    from ..workspace import Workspace

THUMB_SIDE = 256
DISPLAY_SIDE = 1600


def item_path(item_id: str) -> str:
    """An item id as the end of its page's, thumbnail's or image's address (``/items/``,
    ``/thumb/``, ``/image/`` + this): every character but letters, digits and ``-._~``
    escaped, so an id holding ``/`` or ``..`` stays one part of the address and names
    that very item. An id of dots alone (``.``, ``..``), which a browser takes for "this
    folder" or "the one above" however it is escaped, goes in the query (``?id=..``),
    where the three routes also read it."""
    if not item_id.strip("."):
        return "?id=" + quote(item_id, safe="")
    return quote(item_id, safe="")


def has_images(ws: Workspace) -> bool:
    """Whether any of the project's items has an image (a photo, a scan, a page image
    beside its OCR): the queue's image grid and the IIIF annotations download are for
    those. A project of plain texts has none: that answer, which reads every item, is
    remembered until the items change (:meth:`Workspace.any_current`)."""
    if ws.card.modality == "image":
        return True
    return ws.any_current("image", ws.store.t.items.c.modality == "image")


def known_item(ws: Workspace, item_id: str) -> Item:
    for item in ws.items(ids=[item_id]):
        return item
    raise NotFound(f"no item with id {item_id!r}", hint="open items from the queue or the API")


def reader_words(item: Item, text: str) -> str:
    """``text`` (an error about ``item``'s image) as a reviewer or viewer reads it: the
    image's path on the server as its file's name (:func:`file_name_only`); a web image,
    decoded from its copy in the workspace's cache, named by its web address, not by that
    copy's path on the server."""
    if not text:
        return text
    where = item.uri or ""
    if where and file_name_only(where) != where:
        return text.replace(where, str(file_name_only(where)))
    if where.startswith(("http://", "https://")):
        from ..items.images import cache_path

        return text.replace(str(cache_path(item)), where)
    return text


def image_file(ws: Workspace, item_id: str, side: int, *, admin: bool = True) -> Path:
    """A cached JPEG of the item, long side about ``side`` (made on first request).
    ``admin`` False: an image that cannot be read is named by its file's name in the
    error, not by its path on the server (:func:`file_name_only`)."""
    item = known_item(ws, item_id)
    if not admin:
        from ..errors import ItemError

        try:
            return image_file(ws, item_id, side)
        except ItemError as exc:
            message = reader_words(item, exc.message)
            hint = reader_words(item, exc.hint) if exc.hint else exc.hint
            if (message, hint) != (exc.message, exc.hint):
                raise ItemError(message, hint=hint, item=exc.item) from exc
            raise
    if item.modality != "image":
        raise NotFound(f"{item_id} is a {item.modality} item and has no image")
    key = hashlib.sha256(f"{item.item_id}\0{item.content_hash}\0{side}".encode()).hexdigest()
    folder = ws.cache_dir / "thumbs" / key[:2]
    path = folder / f"{key}.jpg"
    if path.exists():
        return path
    im = item.open_image(max_side=side)  # raises ItemError naming the item
    im.thumbnail((side, side))
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".part")
    with os.fdopen(fd, "wb") as fh:
        im.save(fh, "JPEG", quality=82)
    os.replace(tmp, path)  # atomic: two requests at once never see half a file
    return path


def iiif_service(item: Item) -> str | None:
    """The IIIF Image API service of an item, if it came from a IIIF manifest. None for
    a canvas painted with a part of its image or with it turned (``image_region``,
    ``image_rotation``, or its CSS stylesheet's ``image_turn``): the page shows the
    item's own image, cut and turned as the canvas is, not the whole image of the
    service, unturned."""
    if item.meta.get("image_region") or item.meta.get("image_rotation") or \
            item.meta.get("image_turn"):
        return None
    for key in ("image_service", "iiif_service", "service"):
        value = item.meta.get(key)
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return value.rstrip("/")
    return None


def iiif_display_url(item: Item, side: int = DISPLAY_SIDE) -> str | None:
    """Where the item page shows the image of an item from a IIIF image service
    (:func:`iiif_service`; None for the others): at most ``side`` pixels a side, in a size
    the service's compliance level promises (:func:`glamlab.items.images.promises`):
    ``!w,h`` (level 2); the longer side's width ``w,`` or height ``,h``, no bigger than
    the image (level 1, whose image size is known); else the whole image (level 0:
    ``full``, Image API 3 ``max``)."""
    service = iiif_service(item)
    if service is None:
        return None
    meta = item.meta or {}
    api = meta.get("image_api")
    size = f"!{side},{side}"
    if not promises(meta, "sizeByConfinedWh"):
        width, height = (meta.get("image_size") or [item.width, item.height])[:2]
        if width and height and promises(meta, "sizeByW") and promises(meta, "sizeByH"):
            size = f"{min(side, int(width))}," if width >= height else \
                f",{min(side, int(height))}"
        else:
            size = "max" if api == 3 else "full"
    return f"{service}/full/{size}/0/{'native.jpg' if api == 1 else 'default.jpg'}"
