"""Image predictors, one module per approach:

- :mod:`.heads`: trained heads over cached page features (``page-stats-logreg``,
  ``page-stats-gbm``, ``effnet-logreg``, ``effnet-tiles-logreg``, ``stats-effnet-gbm``,
  ``local-stats-gbm``);
- :mod:`.windows`: ``graphic-windows``, a classifier of page windows trained with graphic
  boxes where there are some;
- :mod:`.zero_shot`: existing offline models used zero-shot (``rapidocr-blank``,
  ``tesseract-blank``, ``rapid-layout``).

Predictors are found by name through :mod:`glamlab.predictors.catalogue`.
"""
