"""Cached item features (image statistics, thumbnails, embeddings) shared by
predictors and monitors.

>>> from glamlab.features import PageStats, get_features
>>> X = get_features(ws, items, PageStats())        # cached in the workspace
>>> X = get_features(None, items, PageStats())      # in-process cache only
"""

from .base import Extractor
from .cache import (
    MEMORY,
    FeatureResult,
    MemoryCache,
    active_store,
    compute_features,
    feature_store,
    get_features,
    get_thumbnail,
    invalidate,
)
from .embed import EffNetEmbedding
from .local import LocalWindowStats
from .page_stats import FEATURE_NAMES, PageStats, page_statistics

__all__ = [
    "FEATURE_NAMES",
    "MEMORY",
    "EffNetEmbedding",
    "Extractor",
    "FeatureResult",
    "LocalWindowStats",
    "MemoryCache",
    "PageStats",
    "active_store",
    "compute_features",
    "feature_store",
    "get_features",
    "get_thumbnail",
    "invalidate",
    "page_statistics",
]
