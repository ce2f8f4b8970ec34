"""Model versions: saved predictors with artifacts, sha256, parameters, training
fingerprint, metrics, a model card, and aliases (champion, challenger); and training a
predictor on the train split into a new version (:mod:`.training`)."""

# what identifies a training set (defined with the splits, where every LabelledSet gets one)
from ..tasks.splits import fingerprint
from .models import (
    ModelCache,
    ModelVersion,
    champion,
    describe_models,
    get_model,
    in_use,
    list_models,
    load_model,
    save_model,
    set_alias,
    use_model,
)

__all__ = ["ModelCache", "ModelVersion", "champion", "describe_models", "fingerprint", "get_model", "list_models", "load_model", "save_model",
           "set_alias", "in_use", "use_model"]
