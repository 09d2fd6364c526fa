"""Acronyms: the ones a document defines ("Centre for Global Studies (CGS)"), a few common
in UN texts, and the two uses of them — spelling them out so that "AI" and "artificial
intelligence" are the same words to BM25, and naming the long form next to a question's
acronym for the dense search.
"""

from __future__ import annotations

import re

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


class Acronyms:
    """The acronyms of a set of documents (their own definitions win over the common ones)."""

    def __init__(self, table: dict[str, str]):
        self.table = dict(table)
        names = sorted(self.table, key=len, reverse=True)
        self._pattern = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b") if names else None

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

    def expanded(self, question: str) -> str:
        """``question`` with the long forms of its acronyms named after it (see expand_acronyms)."""
        return expand_acronyms(question, self.table)
