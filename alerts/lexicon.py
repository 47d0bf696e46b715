"""Dutch word forms for the matcher: accent/case folding and the inflections of a watchlist term.

A user writes ``vallen`` or ``sanctie`` once; the matcher must also see *viel*, *gevallen*,
*valt*, *sancties*. Forms come from three places, unioned (over-generating is harmless, a form
that no Dutch text contains never matches): spaCy's Dutch lookup table (spacy-lookups-data,
read in reverse: lemma → forms), a small rule-based conjugator for weak verbs and nouns, and a
table of the strong verbs whose past tenses the lookup table misses (*viel*, *ging*, *stak*).
Folding is length-preserving so that offsets in folded text index the original text.
"""

from __future__ import annotations

import functools
import gzip
import importlib.resources
import json
import unicodedata

_INSEPARABLE = ("be", "ge", "er", "her", "ont", "ver")
_VOWELS = "aeiouy"
_KOFSCHIP = set("tkfschpx")

# Strong and irregular verbs: infinitive → (past singular, past plural, past participle).
_STRONG: dict[str, tuple[str, str, str]] = {
    "vallen": ("viel", "vielen", "gevallen"),
    "trekken": ("trok", "trokken", "getrokken"),
    "steken": ("stak", "staken", "gestoken"),
    "gaan": ("ging", "gingen", "gegaan"),
    "staan": ("stond", "stonden", "gestaan"),
    "slaan": ("sloeg", "sloegen", "geslagen"),
    "komen": ("kwam", "kwamen", "gekomen"),
    "brengen": ("bracht", "brachten", "gebracht"),
    "dringen": ("drong", "drongen", "gedrongen"),
    "vriezen": ("vroor", "vroren", "gevroren"),
    "zenden": ("zond", "zonden", "gezonden"),
    "sluiten": ("sloot", "sloten", "gesloten"),
    "houden": ("hield", "hielden", "gehouden"),
    "nemen": ("nam", "namen", "genomen"),
    "geven": ("gaf", "gaven", "gegeven"),
    "breken": ("brak", "braken", "gebroken"),
    "schieten": ("schoot", "schoten", "geschoten"),
    "treffen": ("trof", "troffen", "getroffen"),
    "bieden": ("bood", "boden", "geboden"),
    "heffen": ("hief", "hieven", "geheven"),
    "rijden": ("reed", "reden", "gereden"),
    "schuiven": ("schoof", "schoven", "geschoven"),
    "vechten": ("vocht", "vochten", "gevochten"),
    "winnen": ("won", "wonnen", "gewonnen"),
    "beginnen": ("begon", "begonnen", "begonnen"),
    "blijven": ("bleef", "bleven", "gebleven"),
    "worden": ("werd", "werden", "geworden"),
    "liggen": ("lag", "lagen", "gelegen"),
    "zitten": ("zat", "zaten", "gezeten"),
    "zien": ("zag", "zagen", "gezien"),
    "doen": ("deed", "deden", "gedaan"),
    "schrijden": ("schreed", "schreden", "geschreden"),
    "overschrijden": ("overschreed", "overschreden", "overschreden"),
    "verliezen": ("verloor", "verloren", "verloren"),
    "sterven": ("stierf", "stierven", "gestorven"),
    "dreigen": ("dreigde", "dreigden", "gedreigd"),
    "zeggen": ("zei", "zeiden", "gezegd"),
    "leggen": ("legde", "legden", "gelegd"),
    "kiezen": ("koos", "kozen", "gekozen"),
    "wijzen": ("wees", "wezen", "gewezen"),
    "sturen": ("stuurde", "stuurden", "gestuurd"),
    "schenden": ("schond", "schonden", "geschonden"),
    "binden": ("bond", "bonden", "gebonden"),
}
_SHORT_STEMS = {"gaan": "ga", "staan": "sta", "slaan": "sla", "doen": "doe", "zien": "zie"}
_SHORT_PRESENT = {
    "gaan": "gaat",
    "staan": "staat",
    "slaan": "slaat",
    "doen": "doet",
    "zien": "ziet",
}


def _build_fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0xC0, 0x250):
        base = unicodedata.normalize("NFD", chr(code))[0]
        if base.isascii() and base.isalpha():
            table[code] = base
    for quote in "‘’‚‛′`´":
        table[ord(quote)] = "'"
    return table


_FOLD = _build_fold_table()


def fold(text: str) -> str:
    """Lower-case and strip accents, keeping the length (``Oekraïne`` → ``oekraine``)."""
    folded = text.translate(_FOLD).lower()
    if len(folded) == len(text):
        return folded
    return "".join((ch.lower() or ch)[0] for ch in text.translate(_FOLD))


@functools.lru_cache(maxsize=1)
def _load_reverse_lookup() -> dict[str, list[str]]:
    """spaCy's Dutch lemma lookup table, reversed: folded lemma → its forms (unfolded)."""
    resource = importlib.resources.files("spacy_lookups_data") / "data" / "nl_lemma_lookup.json.gz"
    table: dict[str, str] = json.loads(gzip.decompress(resource.read_bytes()))
    reverse: dict[str, list[str]] = {}
    for form, lemma in table.items():
        reverse.setdefault(lemma if lemma.isascii() else fold(lemma), []).append(form)
    return reverse


def lookup_forms(lemma: str) -> frozenset[str]:
    """The folded forms spaCy's lookup table maps to ``lemma`` (which must be folded)."""
    return frozenset(fold(form) for form in _load_reverse_lookup().get(lemma, ()))


def word_forms(word: str) -> frozenset[str]:
    """Every form a folded base word may take in running text (nouns, adjectives, verbs)."""
    if (word.endswith("en") and len(word) >= 5) or word in _SHORT_STEMS:
        forms = verb_forms(word) | {word + "s"}
    else:
        forms = noun_forms(word)
    forms |= lookup_forms(word)
    return frozenset(forms)


def noun_forms(word: str) -> set[str]:
    """Plural, genitive and adjective endings; consonant doubling after a short vowel."""
    forms = {word, word + "s", word + "'s", word + "en", word + "n", word + "e", word + "er"}
    forms |= {word + "ere", word + "ste", word + "je", word + "jes"}
    last = word[-1:]
    if _ends_short_closed(word):
        forms |= {word + last + "en", word + last + "e"}
    if last == "s":
        forms |= {word[:-1] + "zen", word[:-1] + "ze"}
    if last == "f":
        forms |= {word[:-1] + "ven", word[:-1] + "ve"}
    if word.endswith("ie"):
        forms |= {word + "en", word + "s"}
    return forms


def _ends_short_closed(word: str) -> bool:
    return (
        len(word) >= 3
        and word[-1] not in _VOWELS
        and word[-2] in _VOWELS
        and word[-3] not in _VOWELS
        and word[-1] not in "wjy"
    )


def verb_forms(infinitive: str) -> set[str]:
    """Present, past, participles of a Dutch verb (regular rules plus the strong-verb table)."""
    forms = {infinitive, infinitive + "d", infinitive + "de"}
    prefix, core = _split_prefix(infinitive)
    for stem, voiced in [] if infinitive in _SHORT_STEMS else _stems(infinitive):
        forms |= {stem, stem if stem.endswith("t") else stem + "t"}
        past = "te" if voiced[-1:] in _KOFSCHIP else "de"
        forms |= {stem + past, stem + past + "n"}
        participle = ("" if prefix else "ge") + stem + past[0]
        forms |= {participle, participle + "e"}
    if infinitive in _SHORT_PRESENT:
        forms |= {_SHORT_STEMS[infinitive], _SHORT_PRESENT[infinitive]}
    strong = _STRONG.get(infinitive) or _STRONG.get(core)
    if strong is not None:
        head = "" if infinitive in _STRONG else prefix
        past_sg, past_pl, participle = strong
        if head and participle.startswith("ge"):
            participle = participle[2:]
        forms |= {head + past_sg, head + past_pl, head + participle, head + participle + "e"}
        forms |= {head + past_sg + "en"} if past_sg.endswith("t") else set()
    return forms


def _split_prefix(infinitive: str) -> tuple[str, str]:
    for prefix in sorted(_INSEPARABLE, key=len, reverse=True):
        rest = infinitive[len(prefix) :]
        if infinitive.startswith(prefix) and len(rest) >= 4 and rest[0] not in "aeiou":
            return prefix, rest
    return "", infinitive


def _stems(infinitive: str) -> list[tuple[str, str]]:
    """Candidate stems, each with its undevoiced form (for 't kofschip); ambiguity → several."""
    base = infinitive[:-2] if infinitive.endswith("en") else infinitive[:-1]
    if len(base) >= 2 and base[-1] == base[-2] and base[-1] not in _VOWELS:
        base = base[:-1]
        candidates = [base]
    elif _open_syllable(base):
        doubled = base[:-1] + base[-2] + base[-1]
        unstressed = base[-2] == "e" and sum(c in _VOWELS for c in base[:-2]) > 0
        candidates = [doubled, base] if unstressed else [doubled]
    else:
        candidates = [base]
    return [(_devoice(stem), stem) for stem in candidates]


def _open_syllable(base: str) -> bool:
    return (
        len(base) >= 3
        and base[-1] not in _VOWELS
        and base[-2] in "aeou"
        and base[-3] not in _VOWELS
    )


def _devoice(stem: str) -> str:
    if stem.endswith("z"):
        return stem[:-1] + "s"
    if stem.endswith("v"):
        return stem[:-1] + "f"
    return stem
