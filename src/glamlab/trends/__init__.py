"""Research at scale: corrected counts of labels over time and groups, the n-gram
baseline beside them, and concept search.

>>> from glamlab.trends import trends
>>> result = trends(ws, by="date_text:decade", label="people")
>>> result.to_html("people.html"); result.to_csv("people.csv")

- :func:`trends`: shares per group, raw and corrected (``cc pcc cpcc acc pacc emq``; by
  default the one cross-validation picks, ``cpcc`` without enough labelled groups), with 95%
  intervals; aggregation in the database (:mod:`.aggregate`).
- :func:`labelled_rates`: the classifier's error rates on labelled items (the one place
  that chooses them).
- :func:`term_frequencies`: the n-gram baseline, per 1,000 words.
- :mod:`.concepts`: find passages like a phrase or examples, label, train, trend.
"""

from .buckets import GroupBy, year_of
from .ngrams import term_frequencies
from .quantify import DEFAULT_METHOD, METHODS, ErrorRates, Estimate, GroupStats, estimate
from .rates import labelled_rates
from .trend import TrendResult, TrendRow, trends

__all__ = ["DEFAULT_METHOD", "METHODS", "ErrorRates", "Estimate", "GroupBy", "GroupStats",
           "TrendResult", "TrendRow", "estimate", "labelled_rates", "term_frequencies",
           "trends", "year_of"]
