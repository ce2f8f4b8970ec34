from glamlab.predictors.entities.tokens import Span, bio_to_spans, spans_to_bio, tokenize


def test_tokens_split_words_from_punctuation() -> None:
    text = "M. de l'Isle, à Paris¬ien."
    toks = [text[a:b] for a, b in tokenize(text)]
    assert toks == ["M", ".", "de", "l", "'", "Isle", ",", "à", "Paris", "¬", "ien", "."]


def test_bio_round_trip_and_hipe_reading() -> None:
    text = "Le général Dufour arrive à Genève ce matin"
    toks = tokenize(text)
    spans = [Span(11, 17, "PER", 1.0), Span(27, 33, "LOC", 1.0)]
    tags = spans_to_bio(toks, spans)
    assert tags == ["O", "O", "B-PER", "O", "O", "B-LOC", "O", "O"]
    assert bio_to_spans(toks, tags) == spans
    # an I- after O opens a span; a type change closes one; scores are multiplied
    got = bio_to_spans(toks, ["I-PER", "I-PER", "I-LOC", "O", "O", "O", "O", "O"],
                       [0.5, 0.8, 0.2, 1, 1, 1, 1, 1])
    assert got == [Span(0, 10, "PER", 0.4), Span(11, 17, "LOC", 0.2)]
    assert Span(0, 2, "PER", 1.0).to_dict() == {"start": 0, "end": 2, "label": "PER",
                                                "score": 1.0}


def test_one_span_type_for_gold_and_predictions() -> None:
    from glamlab.tasks.spans import Span as GoldSpan

    assert Span is GoldSpan
    assert Span(0, 2, "PER", 0.5).score == 0.5 and Span(0, 2, "PER").score is None


def test_words_glued_by_a_lost_line_break_are_cut_where_case_shows_it() -> None:
    # real glued words from NewsEye's OCR (../shared/data/ner/dev): an entity starts or
    # ends inside each, so a tagger of whole tokens could never find it
    text = "sprang nachWien, Genossen KrapkaWien. Au Studio 28Le Film de l'Œil deParis"
    toks = [text[a:b] for a, b in tokenize(text)]
    assert toks == ["sprang", "nach", "Wien", ",", "Genossen", "Krapka", "Wien", ".", "Au",
                    "Studio", "28", "Le", "Film", "de", "l", "'", "Œil", "de", "Paris"]
    text = "Cours du HavreLE HAVRE, 14 janvier. ParisM. Dupont, 386Autriche"
    toks = [text[a:b] for a, b in tokenize(text)]
    assert toks == ["Cours", "du", "Havre", "LE", "HAVRE", ",", "14", "janvier", ".",
                    "Paris", "M", ".", "Dupont", ",", "386", "Autriche"]


def test_a_capital_inside_a_word_is_not_always_two_words() -> None:
    # one capital inside a word is an OCR error (HIPE's NZZ: "deS", "ConseU"); Mc/Mac
    # names, all-capital words, numbers with a unit and ordinary words stay whole
    for word in ["deS", "ConseU", "McDonald", "MacArthur", "GENÈVE", "1911A", "2nd",
                 "Genève", "l"]:
        assert [word[a:b] for a, b in tokenize(word)] == [word], word


def test_a_span_inside_a_glued_word_round_trips_through_bio() -> None:
    text = "Verbrechen nachWien gebracht"
    toks = tokenize(text)
    spans = [Span(15, 19, "LOC", 1.0)]  # "Wien"
    tags = spans_to_bio(toks, spans)
    assert tags == ["O", "O", "B-LOC", "O"]
    assert bio_to_spans(toks, tags) == spans


def test_a_long_span_is_less_sure_than_its_words() -> None:
    """Review finding: a span's score was the mean of its tokens' marginals, so a
    sentence-long PER span of words each tagged at 0.95 scored 0.95, over the policy's
    threshold, and went into the metadata unreviewed (on ner/dev, 96 spans of 10 tokens
    or more scored 0.9 or more; 3 were right). Now the product: the chance all its tags
    are right; one word alone keeps its score."""
    text = "le citoyen Jean Louis Marie Dupont , ancien maire de la commune , a dit"
    toks = tokenize(text)
    n = len(toks)
    tags = ["B-PER"] + ["I-PER"] * (n - 1)
    (span,) = bio_to_spans(toks, tags, [0.95] * n)
    assert n >= 10 and span.score is not None and span.score < 0.9 ** 3, span
    (one,) = bio_to_spans(toks[:1], ["B-PER"], [0.95])
    assert one.score == 0.95
