"""Predictors: base protocol, catalogue of names, baselines, pretrained, external and trained."""

from .base import Predictor
from .catalogue import available, create, get

__all__ = ["Predictor", "available", "create", "get"]
