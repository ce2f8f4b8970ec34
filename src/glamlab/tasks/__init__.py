"""Tasks, gold labels, train/test splits, sampling for labelling, and agreement.

>>> from glamlab.tasks import import_labels, split_labels, training_data
>>> import_labels(ws, "labels.csv")
>>> split_labels(ws, test_size=0.3, seed=0, group_by="document")
>>> data = training_data(ws)          # the train split only; never the test split
"""

from .agreement import agreement, cohen_kappa, krippendorff_alpha_nominal
from .labels import ImportReport, annotator_labels, gold_labels, import_labels, label_counts
from .sampling import Sample, sample_items
from .splits import (
    LabelledSet,
    SplitReport,
    freeze_info,
    is_frozen,
    split_labels,
    split_of,
    stratified_group_split,
    test_data,
    training_data,
)

__all__ = [
    "ImportReport",
    "LabelledSet",
    "Sample",
    "SplitReport",
    "agreement",
    "annotator_labels",
    "cohen_kappa",
    "freeze_info",
    "gold_labels",
    "import_labels",
    "is_frozen",
    "krippendorff_alpha_nominal",
    "label_counts",
    "sample_items",
    "split_labels",
    "split_of",
    "stratified_group_split",
    "test_data",
    "training_data",
]
