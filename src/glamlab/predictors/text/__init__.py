"""Text classification and subject indexing (single- and multi-label), one module per
approach:

- :mod:`.heads`: ``text-tfidf``, ``text-minilm``, ``text-e5`` (trained heads);
- :mod:`.ensemble`: ``text-ensemble``, glamlab's subject indexer;
- :mod:`.zero_shot`: ``text-zero-shot``, from label descriptions in ``glamlab.toml``;
- :mod:`.embed`: the offline sentence encoders (MiniLM, e5);
- :mod:`.normalize`: OCR repair and text checks shared with language identification;
- :mod:`.wordnet`: English concepts from a system WordNet 3.0.

Predictors are found by name through :mod:`glamlab.predictors.catalogue`.
"""
