"""Linking entities to authority files, and the entity index.

>>> from glamlab.linking import import_authority, load_authority, Linker, Mention
>>> import_authority(ws, "names.csv")                 # id, label, alt_labels, type, dates
>>> linker = Linker().fit(load_authority(ws), training_mentions)
>>> linker.link([Mention("M. Poincaré", "PER", document="d1", date="1913-03-02")])
[LinkResult(authority_id='Q123', score=0.93, ...)]
"""

from .authority import (
    AuthorityImportReport,
    AuthorityRecord,
    authority_from_mentions,
    import_authority,
    load_authority,
    read_authority,
    search_authority,
)
from .evaluate import (
    evaluate_linking,
    hipe_mentions,
    link_scores,
    linking_benchmark,
    linking_cross_validation,
)
from .linker import Linker, LinkResult, Mention

__all__ = [
    "AuthorityImportReport",
    "AuthorityRecord",
    "LinkResult",
    "Linker",
    "Mention",
    "authority_from_mentions",
    "evaluate_linking",
    "hipe_mentions",
    "import_authority",
    "link_scores",
    "linking_benchmark",
    "linking_cross_validation",
    "load_authority",
    "read_authority",
    "search_authority",
]
