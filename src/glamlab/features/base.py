"""The extractor protocol: a named, versioned function from an item to a float32 vector.

An extractor's ``key`` (``name@version``) is what the feature cache stores; bump
``version`` whenever the numbers it returns change, and every cached value is
recomputed on next use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from ..errors import ItemError

if TYPE_CHECKING:
    import numpy as np

    from ..items import Item


class Extractor:
    """Subclasses set ``name``, ``version`` and ``dim`` and implement :meth:`extract_one`
    (or :meth:`extract_batch` when batching pays, as for neural networks)."""

    name: ClassVar[str] = ""
    version: ClassVar[int] = 1
    #: length of the vector per item
    dim: int = 0
    #: items per call of extract_batch
    batch_size: ClassVar[int] = 32
    #: names of the vector's entries, when they have names (statistics)
    feature_names: ClassVar[tuple[str, ...]] = ()

    @property
    def key(self) -> str:
        return f"{self.name}@{self.version}"

    def extract_one(self, item: Item) -> np.ndarray:
        raise NotImplementedError

    def extract_batch(self, items: list[Item]) -> np.ndarray:
        """One row per item, the pages shared out over threads (decoding, numpy and
        scipy release the GIL; ``GLAMLAB_THREADS`` caps them, and a ``glamlab run``
        worker gets its share of the cores). Raises :class:`ItemError` naming the first
        bad item; the cache then retries item by item so the good ones are kept."""
        import numpy as np

        from .onnx_embed import threads

        n = min(threads(), len(items), 8)
        if n > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(n) as pool:
                rows = list(pool.map(self.extract_one, items))
        else:
            rows = [self.extract_one(item) for item in items]
        return np.vstack(rows).astype(np.float32) if rows else np.zeros((0, self.dim), np.float32)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key})"


def decode(item: Item, max_side: int):
    """Decode an item's image (reduced JPEG decoding), naming the item on failure."""
    if item.modality != "image":
        raise ItemError(f"{item.item_id}: {item.modality} items have no image", item=item.item_id,
                        hint="image features need image items")
    return item.open_image(max_side=max_side)
