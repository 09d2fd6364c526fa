"""Countries by any of their names: official and short forms, capitals standing for their
governments ("Did Washington co-sponsor it?") and demonyms ("the Americans").

The names come from the ``countryinfo`` package (names, alternative spellings, capitals and
demonyms of 250 countries, shipped as data files): a maintained resource rather than a list
written for our questions. UN documents write some names their own way ("Iran (Islamic
Republic of)", "Türkiye", "Netherlands (Kingdom of the)"); matching ignores parentheses,
case, accents and the word order of "Korea, Republic of".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

_ALIAS_MIN = 4  # two- and three-letter codes ("IN", "IT", "NO", "CAN") clash with words
# Native spellings that are English words: Iceland's "Ísland" would find a country in
# "small island developing States", the Isle of Man's "Mann" in a surname.
_NOT_ALIASES = frozenset({"island", "mann"})


def normalize(name: str) -> str:
    """Lowercase, no accents, no parentheses or punctuation, "X, Republic of" reordered.

    >>> normalize("Iran (Islamic Republic of)"), normalize("Korea, Republic of"), normalize("Türkiye")
    ('iran islamic republic of', 'republic of korea', 'turkiye')
    """
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("’", "'")
    if "," in text and "(" not in text:
        head, _, tail = text.partition(",")
        text = f"{tail} {head}"
    text = re.sub(r"[^\w\s-]", " ", text)  # parentheses, apostrophes, and "?" after "Guinea?"
    return " ".join(text.split())


def _variants(name: str) -> set[str]:
    out = {normalize(name)}
    bare = re.sub(r"\s*\([^)]*\)", "", name)  # "Iran (Islamic Republic of)" -> "Iran"
    out.add(normalize(bare))
    if bare.lower().startswith("the "):
        out.add(normalize(bare[4:]))
    return {v for v in out if v}


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, str]:
    """Every known name (normalized) → the country's canonical key."""
    from countryinfo import CountryInfo

    table: dict[str, str] = {}
    countries = CountryInfo("france").all()
    names: list[tuple[str, str]] = []
    extra: list[tuple[str, str]] = []
    # Capitals and demonyms are shared ("American": the United States and the Northern Mariana
    # Islands; "Congolese"): countries' own names win, then the most populous country.
    by_population = sorted(countries.items(), key=lambda item: -(item[1].get("population") or 0))
    for key, info in countries.items():
        names += [(key, str(n)) for n in [info.get("name") or key, *(info.get("altSpellings") or [])]]
    for key, info in by_population:
        capitals = info.get("capital") or []
        demonyms = info.get("demonym") or []
        for capital in [capitals] if isinstance(capitals, str) else capitals:
            extra += [(key, capital), (key, re.sub(r"\s+D\.?C\.?$", "", capital))]
        for demonym in [demonyms] if isinstance(demonyms, str) else demonyms:
            extra += [(key, demonym), (key, demonym + "s")]
    # Some countries are in the data twice ("Myanmar" and "Burma", "Palestine" and "Palestine,
    # State of"): entries that share a name are one country, under the first key.
    same: dict[str, str] = {}
    first: dict[str, str] = {}
    for key, name in names:
        for variant in _variants(name):
            owner = first.setdefault(variant, key)
            if owner != key and len(variant.replace(" ", "")) >= _ALIAS_MIN:
                same.setdefault(key, same.get(owner, owner))
    for key, name in names + extra:
        for variant in _variants(name):
            if variant in _NOT_ALIASES:
                continue
            if len(variant.replace(" ", "")) >= _ALIAS_MIN or variant in ("usa", "uk", "us"):
                table.setdefault(variant, same.get(key, key))
    for un_name, key in (
        ("Türkiye", "turkey"),
        ("Viet Nam", "vietnam"),
        ("Republic of Korea", "south korea"),
        ("Micronesia", "federated states of micronesia"),
    ):
        table.setdefault(normalize(un_name), key)
    return table


def country_of(name: str) -> str | None:
    """The canonical key of a country name as the UN writes it, or None.

    >>> country_of("IRAN (ISLAMIC REPUBLIC OF)"), country_of("UNITED STATES"), country_of("Atlantis")
    ('iran', 'united states', None)
    """
    table = gazetteer()
    for variant in _variants(name):
        if variant in table:
            return table[variant]
    return None


@lru_cache(maxsize=1)
def _names_by_country() -> dict[str, tuple[str, ...]]:
    """Each country's key → all its known names (normalized)."""
    out: dict[str, list[str]] = {}
    for name, key in gazetteer().items():
        out.setdefault(key, []).append(name)
    return {key: tuple(names) for key, names in out.items()}


def names_of(name: str) -> tuple[str, ...]:
    """Every name (normalized) of the country ``name`` names, or () when it names none: a
    question's "Russia" is the records' "RUSSIAN FEDERATION", its "Moscow" the same country.

    >>> "russian federation" in names_of("Moscow"), names_of("Atlantis")
    (True, ())
    """
    key = country_of(name)
    return () if key is None else _names_by_country().get(key, ())


_US_DOTTED = re.compile(r"\bU\.S\.(?:A\.)?")


def countries_in(text: str) -> dict[str, str]:
    """Countries a question names, by any name: {canonical key: the words used}.

    >>> sorted(countries_in("Did Washington or the Iranians co-sponsor it?"))
    ['iran', 'united states']
    >>> countries_in("Tell us what the US said"), countries_in("did the us back it"), countries_in("tell us more")
    ({'united states': 'us'}, {'united states': 'us'}, {})
    >>> countries_in("What did the U.S. say?")
    {'united states': 'us'}
    """
    table = gazetteer()
    text = _US_DOTTED.sub("US", text)  # "U.S." would read "u s"
    # "us" is the United States written "US" or "the us"; else it is the pronoun ("tell us")
    pronoun_only = not re.search(r"\bUS\b|\b(?i:the)\s+us\b", text)
    words = normalize(text).split()
    found: dict[str, str] = {}
    n = len(words)
    i = 0
    while i < n:
        for size in range(min(6, n - i), 0, -1):
            phrase = " ".join(words[i : i + size])
            key = table.get(phrase)
            if key and not (pronoun_only and phrase == "us"):
                found.setdefault(key, phrase)
                i += size - 1
                break
        i += 1
    return found


def with_country_names(text: str, used: Callable[[str], bool] | None = None) -> str:
    """``text`` plus the country names that its capitals and demonyms stand for, for searching:
    documents write "the United States", people ask about "Washington" and "the Americans".
    With ``used`` (does the collection use this name?), a country the documents never name by its
    usual name is added by the longest name they use, and named so too when the question names
    it as they never do: the records write "RUSSIAN FEDERATION", people ask about "Russia".

    >>> with_country_names("Did Washington back the Chinese text?")
    'Did Washington back the Chinese text? (Washington: United States; Chinese: China)'
    >>> with_country_names("Did China sponsor it?")
    'Did China sponsor it?'
    >>> with_country_names("Did Russia sponsor it?", used=lambda name: name in {"russian federation", "china"})
    'Did Russia sponsor it? (Russia: Russian Federation)'
    """
    extra = []
    for key, phrase in countries_in(text).items():
        spelled = None
        if used and not used(key):
            names = _names_by_country().get(key, ())
            spelled = max((n for n in names if n != phrase and used(n)), key=len, default=None)
        if phrase != key or spelled:
            extra.append(f"{_said(text, phrase) or phrase}: {(spelled or key).title()}")
    return f"{text} ({'; '.join(extra)})" if extra else text


def _said(text: str, phrase: str) -> str | None:
    """The words of ``text`` that normalize to ``phrase`` (as the user wrote them)."""
    size = len(phrase.split())
    tokens = re.findall(r"[^\s]+", text)
    for i in range(len(tokens) - size + 1):
        candidate = " ".join(tokens[i : i + size])
        if normalize(candidate) == phrase:
            return candidate.strip('?!.,;:()"“”')
    return None
