"""Acronyms: the ones a document defines ("Centre for Global Studies (CGS)"), a few common
in UN texts, the ones a document only spells out ("intellectual property" for a question's
"IP", found by their initials), and the two uses of them — spelling them out so that "AI" and
"artificial intelligence" are the same words to BM25, and naming the long form next to a
question's acronym for the dense search.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .tokens import STOP_WORDS

ACRONYM = r"[A-Z][A-Z0-9&]{1,9}s?"  # "PAM", "SDGs", "R&D": one pattern for every use
_ACRONYM = re.compile(rf"\b{ACRONYM}\b")

ACRONYM_DEFINITION = re.compile(
    r"\b((?:[A-Z][\w’'-]*[ ,]+(?:(?:of|for|the|and|on|in|de|du|des)[ ]+)*){1,9})\(([A-Z][A-Z0-9&]{1,9})\)"
)


def find_acronyms(text: str) -> dict[str, str]:
    """Acronyms the text defines, as "Long Name (ACR)".

    >>> find_acronyms("The Centre for Global Studies (CGS) and the PRC")
    {'CGS': 'Centre for Global Studies'}
    """
    found: dict[str, str] = {}
    for match in ACRONYM_DEFINITION.finditer(text):
        name, acronym = match.group(1).strip(" ,"), match.group(2)
        letters = [w[0].upper() for w in name.split() if w[0].isupper()]
        # keep the shortest tail of capitalized words whose initials spell the acronym
        for start in range(len(letters)):
            if "".join(letters[start:]) == acronym.replace("&", ""):
                words_ = [w for w in name.split()]
                caps = [i for i, w in enumerate(words_) if w[0].isupper()]
                found.setdefault(acronym, " ".join(words_[caps[start] :]))
                break
    return found


# Abbreviations common in UN texts; a document's own definitions take precedence.
COMMON_ABBREVIATIONS = {
    "UN": "United Nations",
    "US": "United States",
    "USA": "United States",
    "UK": "United Kingdom",
    "EU": "European Union",
    "UNGA": "General Assembly",
    "UNSC": "Security Council",
    "SG": "Secretary-General",
    "AI": "artificial intelligence",
    "SDGs": "Sustainable Development Goals",
    "PRC": "China",
}


# Words an acronym skips ("World Summit on the Information Society" is WSIS) and never spells.
FUNCTION_WORDS = ("of", "for", "the", "and", "on", "in", "to", "at", "by", "with", "or", "a", "an", "de", "du", "des")
_FUNCTION = "|".join(FUNCTION_WORDS)
# The citation labels questions use ("OP 7", "PP 3", "A/RES/78/311"): never spelled out.
CITATION_LABELS = frozenset({"OP", "PP", "RES"})
MAX_QUESTION_ACRONYMS = 3  # each new one is looked for in every document: a few per question


def question_acronyms(text: str) -> list[str]:
    """The acronyms a question uses, in order, none twice; none when it is written in capitals.

    >>> question_acronyms("Does OP 7 mention LLMs or IP?"), question_acronyms("DOES IT SAY")
    (['LLMs', 'IP'], [])
    """
    words = re.findall(r"[^\W\d_]{4,}", text)
    if words and sum(w.isupper() for w in words) > len(words) / 2:  # shouting: its words are no acronyms
        return []
    found = [a for a in dict.fromkeys(_ACRONYM.findall(text)) if a not in CITATION_LABELS]
    return found[:MAX_QUESTION_ACRONYMS]


def initials_phrases(acronym: str, texts) -> dict[str, int]:
    """The phrases of ``texts`` whose words' initials spell ``acronym``, with how often each
    occurs: the long forms a document uses without defining the acronym. Function words may
    sit between the spelled words only in a name ("World Summit on the Information Society"),
    and a comma only in a name with a series ("Educational, Scientific and Cultural"), so that
    lists ("Liberia, Luxembourg, Maldives") and runs of prose ("human rights in the context")
    are not taken for long forms.

    >>> initials_phrases("LLMs", ["for the large language models, a large language model"])
    {'large language models': 1, 'large language model': 1}
    >>> initials_phrases("WSIS", ["the World Summit on the Information Society (2005)"])
    {'World Summit on the Information Society': 1}
    """
    plural = acronym.endswith("s") and acronym[:-1].isupper()
    letters = acronym[:-1] if plural else acronym
    if not (2 <= len(letters) <= 8 and letters.isalpha()):
        return {}
    word = r"(?!(?:{f})\b)[{u}{l}][\w’'-]*"
    between = rf",?\s+(?:(?:{_FUNCTION})\s+)*"
    pattern = re.compile(
        r"(?<![\w’'-])" + between.join(word.format(f=_FUNCTION, u=c.upper(), l=c.lower()) for c in letters) + r"\b"
    )
    found: dict[str, int] = {}
    spelling: dict[str, str] = {}
    for text in texts:
        for match in pattern.finditer(text):
            phrase = re.sub(r"[’']s$", "", match.group(0))
            spelled = [w for w in re.split(r",?\s+", phrase) if w.lower() not in FUNCTION_WORDS]
            name = all(w[0].isupper() for w in spelled)
            if len(spelled) != len(letters):
                continue
            if ("," in phrase and not (name and " and " in phrase)) or (
                not name and len(phrase.split()) > len(spelled)
            ):
                continue
            key = phrase.lower()
            spelling.setdefault(key, phrase)
            found[spelling[key]] = found.get(spelling[key], 0) + 1
    return found


def expand_acronyms(question: str, acronyms: dict[str, str]) -> str:
    """Append the long forms of the acronyms a question uses (and the acronyms of long forms
    it spells out), for searching.

    >>> expand_acronyms("What is CGS?", {"CGS": "Centre for Global Studies"})
    'What is CGS? (CGS: Centre for Global Studies)'
    >>> expand_acronyms("What did the United States do?", {"US": "United States"})
    'What did the United States do? (US: United States)'
    """
    extra = [f"{a}: {acronyms[a]}" for a in dict.fromkeys(_ACRONYM.findall(question)) if a in acronyms]
    lowered = question.lower()
    for acronym, name in acronyms.items():
        if name.lower() in lowered and acronym not in question and f"{acronym}: {name}" not in extra:
            extra.append(f"{acronym}: {name}")
    return f"{question} ({'; '.join(extra)})" if extra else question


_LOWERCASE_WORD = re.compile(r"(?<![\w&])[a-z][a-z0-9&]{1,9}(?![\w&])")
# Lowercase words that are never a question's acronym: the stop words ("who" is no WHO), and
# "us", which the stop list lacks and which a question uses as a pronoun far more often than
# for the US (places.countries_in reads it as the US only as "US", "U.S." or "the us").
_NEVER_ACRONYMS = STOP_WORDS | {"us"}


class Acronyms:
    """The acronyms of a set of documents (their own definitions win over the common ones)."""

    def __init__(self, table: dict[str, str]):
        self.table = dict(table)
        names = sorted(self.table, key=len, reverse=True)
        self._pattern = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b") if names else None
        self.lowercase = {a.lower(): a for a in self.table}  # "sdgs" -> "SDGs"

    @classmethod
    def of(cls, texts) -> Acronyms:
        defined: dict[str, str] = {}
        for text in texts:
            for acronym, name in find_acronyms(text).items():
                defined.setdefault(acronym, name)
        return cls({**COMMON_ABBREVIATIONS, **defined})

    def __getitem__(self, acronym: str) -> str:
        return self.table[acronym]

    def spelled_out(self, text: str) -> str:
        """``text`` with each acronym (matched with its case: "AI", not "ai") replaced by its long form.

        >>> Acronyms({"AI": "artificial intelligence"}).spelled_out("AI and aid")
        'artificial intelligence and aid'
        """
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: self.table[m.group(1)], text)

    def capitalized(self, question: str, used: Callable[[str], bool] = lambda word: False) -> str:
        """``question`` with the acronyms it writes in lowercase ("ai", "sdgs") written as the
        documents write them, so that a casual question's acronyms are spelled out as well. A
        word is left alone when it is a stop word ("who" is no WHO), the pronoun "us", or a word
        ``used`` says the documents write in lowercase (``Retriever.known_word``).

        >>> Acronyms({"AI": "artificial intelligence", "US": "United States"}).capitalized("ai for us")
        'AI for us'
        """

        def written(match: re.Match[str]) -> str:
            word = match.group(0)
            if word not in self.lowercase or word in _NEVER_ACRONYMS or used(word):
                return word
            return self.lowercase[word]

        return _LOWERCASE_WORD.sub(written, question)

    def expanded(self, question: str) -> str:
        """``question`` with the long forms of its acronyms named after it (see expand_acronyms)."""
        return expand_acronyms(question, self.table)
