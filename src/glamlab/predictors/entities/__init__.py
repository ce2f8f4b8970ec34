"""Entity-span predictors (people, places, organisations, products, dates in text).

- :mod:`.base`: the span predictor protocol (``fit(texts, spans)``,
  ``predict_spans(texts)``), :mod:`.tokens`: spans, tokens and BIO tags;
- :mod:`.baselines`: ``gazetteer`` (lookup lists) and ``entity-rules`` (regexes);
- :mod:`.crf`: ``crf-ner`` (sklearn-crfsuite; the HIPE-2020 organisers' baseline
  configuration and glamlab's OCR features);
- :mod:`.spacy_ner`: ``spacy-pretrained`` (zero-shot) and ``spacy-ner`` (fine-tuned or
  trained from scratch);
- :mod:`.by_language`: ``entities-by-language``, one chosen model per language.

Heavy libraries (spaCy, crfsuite) are imported only when a model is fitted or used.
"""
