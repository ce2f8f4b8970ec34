"""Decoding item images: reduced decoding for speed, guarded against bombs."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from ..errors import ItemError

if TYPE_CHECKING:
    from PIL import Image

    from ..items import Item

DEFAULT_MAX_PIXELS = 178_956_970


def open_image(item: Item, max_side: int | None = None, *,
               max_pixels: int = DEFAULT_MAX_PIXELS, mode: str = "RGB") -> Image.Image:
    """Decode an item's image in ``mode`` (``RGB``, or ``L`` for grey: a JPEG then
    decodes its luminance only), reduced so the long side is about ``max_side``."""
    from PIL import Image, UnidentifiedImageError

    source = _local_source(item)
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
                if max_side and im.format == "JPEG":
                    scale = max(im.width, im.height) / max_side
                    if scale > 1:
                        im.draft(mode, (max(1, int(im.width / scale)),
                                         max(1, int(im.height / scale))))
                out = im.convert(mode)  # a new image: the file is closed on leaving
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


def _local_source(item: Item) -> str:
    uri = item.uri or ""
    if uri.startswith(("http://", "https://")):
        from ..ingest.iiif import cached_image

        return str(cached_image(item))
    if not uri:
        raise ItemError(f"{item.item_id}: the item has no image", item=item.item_id,
                        hint="only image items can be decoded")
    return uri
