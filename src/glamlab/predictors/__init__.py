"""Predictors: base protocol, registry, baselines, pretrained, external and trained."""

from .base import Predictor
from .registry import available, create, get

__all__ = ["Predictor", "available", "create", "get"]
