"""Language identification of (OCR) text, one module per responsibility:

- :mod:`.peers`: ``lang-fasttext``, ``lang-lingua``, ``lang-lingua-low``, ``lang-langid``,
  thin predictors over one offline package each (and the abstention rule they share);
- :mod:`.combined`: ``language``, glamlab's own calibrated combination of peers and
  word frequencies;
- :mod:`.lexicon`: word-frequency evidence from ``wordfreq``;
- :mod:`.codes`: ISO 639 codes and language names.

Predictors are found by name through :mod:`glamlab.predictors.catalogue`.
"""
