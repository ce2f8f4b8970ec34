"""ISO 639 language codes, normalised one way for every language predictor.

glamlab writes languages as ISO 639-1 two-letter codes where one exists (``en``, ``nb``)
and ISO 639-3 otherwise (``grc``, ``fro``); ``und`` (ISO 639-2/-3 "undetermined") means
"could not tell". :func:`normalize` accepts either form, upper or lower case, region
suffixes (``en-GB``, ``pt_BR``), the macrolanguage ``no`` (mapped to ``nb``) and the
names peer libraries use; :func:`to_639_3` goes the other way.
"""

from __future__ import annotations

UND = "und"

# ISO 639-1 -> ISO 639-3 for the languages the offline detectors know.
_ONE_TO_THREE: dict[str, str] = {
    "af": "afr", "am": "amh", "an": "arg", "ar": "ara", "as": "asm", "az": "aze", "be": "bel",
    "bg": "bul", "bn": "ben", "br": "bre", "bs": "bos", "ca": "cat", "cs": "ces", "cy": "cym",
    "da": "dan", "de": "deu", "dz": "dzo", "el": "ell", "en": "eng", "eo": "epo", "es": "spa",
    "et": "est", "eu": "eus", "fa": "fas", "fi": "fin", "fo": "fao", "fr": "fra", "fy": "fry",
    "ga": "gle", "gd": "gla", "gl": "glg", "gu": "guj", "he": "heb", "hi": "hin", "hr": "hrv",
    "ht": "hat", "hu": "hun", "hy": "hye", "id": "ind", "is": "isl", "it": "ita", "ja": "jpn",
    "jv": "jav", "ka": "kat", "kk": "kaz", "km": "khm", "kn": "kan", "ko": "kor", "ku": "kur",
    "ky": "kir", "la": "lat", "lb": "ltz", "lg": "lug", "lo": "lao", "lt": "lit", "lv": "lav",
    "mg": "mlg", "mi": "mri", "mk": "mkd", "ml": "mal", "mn": "mon", "mr": "mar", "ms": "msa",
    "mt": "mlt", "my": "mya", "nb": "nob", "ne": "nep", "nl": "nld", "nn": "nno", "oc": "oci",
    "or": "ori", "pa": "pan", "pl": "pol", "ps": "pus", "pt": "por", "qu": "que", "rm": "roh",
    "ro": "ron", "ru": "rus", "rw": "kin", "se": "sme", "si": "sin", "sk": "slk", "sl": "slv",
    "sn": "sna", "so": "som", "sq": "sqi", "sr": "srp", "st": "sot", "sv": "swe", "sw": "swa",
    "ta": "tam", "te": "tel", "tg": "tgk", "th": "tha", "ti": "tir", "tk": "tuk", "tl": "tgl",
    "tn": "tsn", "tr": "tur", "ts": "tso", "tt": "tat", "ug": "uig", "uk": "ukr", "ur": "urd",
    "uz": "uzb", "vi": "vie", "vo": "vol", "wa": "wln", "xh": "xho", "yi": "yid", "yo": "yor",
    "zh": "zho", "zu": "zul",
}
_THREE_TO_ONE: dict[str, str] = {v: k for k, v in _ONE_TO_THREE.items()}
# bibliographic (639-2/B) codes and other spellings seen in catalogues and libraries
_ALIASES: dict[str, str] = {
    "no": "nb", "nor": "nb", "bokmal": "nb", "bokmål": "nb", "nynorsk": "nn",
    "ger": "de", "fre": "fr", "dut": "nl", "cze": "cs", "gre": "el", "wel": "cy", "baq": "eu",
    "ice": "is", "rum": "ro", "per": "fa", "chi": "zh", "arm": "hy", "geo": "ka", "mac": "mk",
    "alb": "sq", "may": "ms", "bur": "my", "tib": "bo", "slo": "sk", "mao": "mi",
    "est": "et", "lav": "lv", "zho": "zh", "msa": "ms", "fil": "tl", "iw": "he", "in": "id",
    "ji": "yi", "sh": "sr", "zxx": UND, "mul": UND, "mis": UND, "": UND,
}
# English names, for peers that report names (lingua's enum names, e.g. "BOKMAL")
_NAMES: dict[str, str] = {
    "afrikaans": "af", "albanian": "sq", "arabic": "ar", "armenian": "hy", "azerbaijani": "az",
    "basque": "eu", "belarusian": "be", "bengali": "bn", "bosnian": "bs", "bulgarian": "bg",
    "catalan": "ca", "chinese": "zh", "croatian": "hr", "czech": "cs", "danish": "da",
    "dutch": "nl", "english": "en", "esperanto": "eo", "estonian": "et", "finnish": "fi",
    "french": "fr", "ganda": "lg", "georgian": "ka", "german": "de", "greek": "el",
    "gujarati": "gu", "hebrew": "he", "hindi": "hi", "hungarian": "hu", "icelandic": "is",
    "indonesian": "id", "irish": "ga", "italian": "it", "japanese": "ja", "kazakh": "kk",
    "korean": "ko", "latin": "la", "latvian": "lv", "lithuanian": "lt", "macedonian": "mk",
    "malay": "ms", "maori": "mi", "marathi": "mr", "mongolian": "mn", "persian": "fa",
    "polish": "pl", "portuguese": "pt", "punjabi": "pa", "romanian": "ro", "russian": "ru",
    "serbian": "sr", "shona": "sn", "slovak": "sk", "slovene": "sl", "somali": "so",
    "sotho": "st", "spanish": "es", "swahili": "sw", "swedish": "sv", "tagalog": "tl",
    "tamil": "ta", "telugu": "te", "thai": "th", "tsonga": "ts", "tswana": "tn",
    "turkish": "tr", "ukrainian": "uk", "urdu": "ur", "vietnamese": "vi", "welsh": "cy",
    "xhosa": "xh", "yoruba": "yo", "zulu": "zu",
}


def normalize(code: str | None) -> str:
    """The glamlab form of a language code or name: ISO 639-1 where there is one, else the
    lower-cased ISO 639-3 code; ``und`` for missing or undetermined."""
    if code is None:
        return UND
    c = str(code).strip().lower().replace("__label__", "")
    c = c.replace("_", "-").split("-")[0]  # en-GB, pt_BR, zh-Hant
    if c in _ALIASES:
        return _ALIASES[c]
    if c in _ONE_TO_THREE:
        return c
    if c in _THREE_TO_ONE:
        return _THREE_TO_ONE[c]
    if c in _NAMES:
        return _NAMES[c]
    return c or UND


def to_639_3(code: str) -> str:
    """The ISO 639-3 code for a glamlab code (``en`` -> ``eng``, ``und`` stays ``und``)."""
    c = normalize(code)
    return _ONE_TO_THREE.get(c, c)


def same_language(a: str | None, b: str | None) -> bool:
    return normalize(a) == normalize(b) != UND


def is_language(code: str) -> bool:
    """Whether a normalised code names a language (a known ISO 639-1/-3 code, or a
    three-letter ISO 639-3 code), not ``und``."""
    return code in _ONE_TO_THREE or code in _THREE_TO_ONE or (
        len(code) == 3 and code.isalpha() and code.islower() and code != UND)
