"""Model versions: saved predictors with artifacts, sha256, parameters, training
fingerprint, metrics, a model card, and aliases (champion, challenger)."""

from .models import (
    ModelVersion,
    fingerprint,
    get_model,
    list_models,
    load_model,
    save_model,
    set_alias,
)

__all__ = ["ModelVersion", "fingerprint", "get_model", "list_models", "load_model", "save_model",
           "set_alias"]
