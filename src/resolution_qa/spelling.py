"""Misspelt question words, read as the words meant ("reserch" → "research").

A typo costs twice: the documents never use the misspelt word, so BM25 and every word signal
miss it, and the refusal model reads a word the documents don't know as a sign that the
question is about something else ("what does it say about racisim and biased algorithims?"
was refused with the right paragraph first). The noisy-channel rule a spell checker uses is
enough here: a word the documents don't use and general English rarely writes is read as the
word, within one or two edits, that the documents use or English writes far more often.

Candidates are the documents' own words and wordfreq's common English words; the edit
distance is RapidFuzz's Damerau-Levenshtein (a swap of two letters is one edit). The answer
says what it read ("Read “reserch” as “research”."), and quotes stay the documents' words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cached_property

from .tokens import STOP_WORDS, english_zipf, stem

MIN_LENGTH = 6  # shorter words are too often acronyms, names or short forms ("wsis", "ifis", "paras")
TYPED_ZIPF = 3.0  # a word at least this common in English (once per 1,000,000 words) is meant ...
BASE_ZIPF = 2.5  # ... and so is one whose base form is this common ("prioritised": "prioritized")
MARGIN_ZIPF = 2.0  # the word meant is this much more common (100 times) than the one typed ...
ENGLISH_ZIPF = 3.0  # ... and, when the documents don't use it, at least this common in English
LONG_WORD = 8  # a word this long that English never writes may have two edits; others one
CACHE = 10_000  # words looked up, kept until there are this many (then started afresh)

# a word, or one before "’s"; not part of a hyphenated word, an address or a file name
_WORD = re.compile(rf"(?<![\w’'/.-])[^\W\d_]{{{MIN_LENGTH},}}(?=[’']s\b|(?![\w’'-]|[/.@]\w))")
# what an inflected or British form is made of: "breaching" is "breach", "tabled" "table",
# "characterise" "characterize" (wordfreq's list is mostly of American spellings)
_ENDINGS = (
    ("ies", "y"),
    ("es", ""),
    ("s", ""),
    ("ied", "y"),
    ("ed", ""),
    ("ed", "e"),
    ("ing", ""),
    ("ing", "e"),
    ("ise", "ize"),
    ("yse", "yze"),
    ("ence", "ense"),
    ("ised", "ized"),
    ("ising", "izing"),
    ("isation", "ization"),
    ("ly", ""),
)


class Speller:
    """Reads a question's misspelt words as the words meant.

    ``known`` says whether the documents use a (lowercase) word, by its stem; ``document_words``
    gives their words (lowercase), read only when a question first has a word to correct.

    >>> speller = Speller(lambda w: w in {"research", "algorithms"}, lambda: ["research", "algorithms"])
    >>> speller.corrected("Money for reserch on biased algorithims?")
    'Money for research on biased algorithms?'
    >>> speller.corrected("What about watermarking and Guterres?")
    'What about watermarking and Guterres?'
    """

    def __init__(self, known: Callable[[str], bool], document_words: Callable[[], Iterable[str]]):
        self.known = known
        self._document_words = document_words
        self._cache: dict[str, str | None] = {}

    @cached_property
    def _documents(self) -> frozenset[str]:
        return frozenset(w for w in self._document_words() if len(w) >= MIN_LENGTH - 1 and w.isalpha())

    @cached_property
    def _candidates(self) -> dict[str, list[str]]:
        """The words a typo may stand for, by first letter (typos rarely change the first)."""
        english = english_zipf()
        words = {w for w, z in english.items() if z >= ENGLISH_ZIPF and w.isalpha() and len(w) >= MIN_LENGTH - 1}
        by_letter: dict[str, list[str]] = {}
        for word in sorted(words | self._documents):
            by_letter.setdefault(word[0], []).append(word)
        return by_letter

    def meant(self, word: str) -> str | None:
        """The word ``word`` (lowercase) stands for, or None when it is taken as typed."""
        if word in self._cache:
            return self._cache[word]
        found = None
        english = english_zipf()
        typed = english.get(word, 0.0)
        if word not in STOP_WORDS and not self.known(word) and _rare(word, english):
            from rapidfuzz import process
            from rapidfuzz.distance import DamerauLevenshtein

            # two edits only for a long word English never writes: "chairwoman" is no "chairman"
            edits = 2 if len(word) >= LONG_WORD and typed == 0.0 else 1
            near = process.extract(
                word,
                self._candidates.get(word[0], []),
                scorer=DamerauLevenshtein.distance,
                score_cutoff=edits,
                limit=None,
            )
            documents = self._documents
            likely = [
                (distance, candidate not in documents, -english.get(candidate, 0.0), candidate)
                for candidate, distance, _ in near
                if stem(candidate) != stem(word)  # "headings" is no typo of "heading"
                and (english.get(candidate, 0.0) >= typed + MARGIN_ZIPF or (typed == 0.0 and candidate in documents))
            ]
            if likely:
                found = min(likely)[3]
        if len(self._cache) >= CACHE:
            self._cache = {}  # replaced, not cleared: another thread may be reading it
        self._cache[word] = found
        return found

    def corrections(self, text: str) -> dict[str, str]:
        """The words of ``text`` read as others, as typed → meant (lowercase)."""
        found = {}
        for match in _WORD.finditer(text):
            meant = self._meant_at(match)
            if meant:
                found[match.group(0).lower()] = meant
        return found

    def corrected(self, text: str) -> str:
        """``text`` with its misspelt words replaced by the words meant (a capital kept)."""

        def replaced(match: re.Match[str]) -> str:
            typed, meant = match.group(0), self._meant_at(match)
            if meant is None:
                return typed
            return meant.capitalize() if typed[0].isupper() else meant

        return _WORD.sub(replaced, text)

    def _meant_at(self, match: re.Match[str]) -> str | None:
        """What the word ``match`` found stands for, where it may be a typo (``_checked``)."""
        return self.meant(match.group(0).lower()) if _checked(match) else None


def _rare(word: str, english: dict[str, float]) -> bool:
    """Whether general English rarely writes ``word``, nor the word it inflects.

    >>> english = {"breach": 3.5, "table": 4.9}
    >>> _rare("breaching", english), _rare("tabled", english), _rare("reserch", english)
    (False, False, True)
    """
    forms = [word[: -len(end)] + base for end, base in _ENDINGS if word.endswith(end)]
    return english.get(word, 0.0) < TYPED_ZIPF and all(english.get(form, 0.0) < BASE_ZIPF for form in forms)


def _checked(match: re.Match[str]) -> bool:
    """Whether a word may be a typo: not "Guterres" or "IFIs" (a name or an acronym); a capital
    is taken as a typo's only to start the question ("Reserch on AI?")."""
    typed = match.group(0)
    return typed == typed.lower() or (match.start() == 0 and typed[1:] == typed[1:].lower())
