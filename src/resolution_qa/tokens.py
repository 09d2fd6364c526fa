"""Word tokens for BM25 and the lexical answer signals: lowercase, stop words out, stemmed.

We own this step (rather than a library's default) because its output is compared between
questions, passages and sentences, so it must be the same everywhere and tested.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import Stemmer

# A short English stop list: function words plus the question words that never help match.
STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "s",
        "t",
        "don",
        "say",
        "says",
        "said",
        "tell",
        "give",
        "anything",
        "something",
        "thing",
        "things",
        "mention",
        "mentions",
        "mentioned",
    ]
    # ... and the same words contracted, typed without the apostrophe ("whats the title", "dont
    # they say"): words no document uses, which the refusal signals would count as unknown
    + [
        "whats",
        "thats",
        "whos",
        "hows",
        "wheres",
        "whens",
        "whys",
        "dont",
        "doesnt",
        "didnt",
        "isnt",
        "wasnt",
        "arent",
        "werent",
        "cant",
        "wont",
        "wouldnt",
        "shouldnt",
        "couldnt",
        "hasnt",
        "havent",
        "hadnt",
        "im",
        "ive",
        "theres",
        "heres",
    ]
)

WORD_PATTERN = re.compile(r"[0-9A-Za-z\u00C0-\u024F]+")  # a word, as every word signal sees it
_stemmer = Stemmer.Stemmer("english")


# Ordinal adverbs stem apart from their ordinals ("firstly" → "firstli"); "the first reason"
# and "Firstly, it …" are the same word to a reader.
_ORDINAL_ADVERBS = {
    "firstly": "first",
    "secondly": "second",
    "thirdly": "third",
    "fourthly": "fourth",
    "lastly": "last",
}


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball (Porter 2) stem of a lowercase word.

    >>> stem("sponsored"), stem("firstly") == stem("first")
    ('sponsor', True)
    """
    return _stemmer.stemWord(_ORDINAL_ADVERBS.get(word, word))


def words(text: str) -> list[str]:
    """Lowercased words; apostrophes and hyphens split words.

    >>> words("People’s Republic, capacity-building!")
    ['people', 's', 'republic', 'capacity', 'building']
    """
    return [w.lower() for w in WORD_PATTERN.findall(text)]


def tokenize(text: str) -> list[str]:
    """Stemmed content words, in order, duplicates kept (BM25 counts them).

    >>> tokenize("Which countries sponsored the Resolution?")
    ['countri', 'sponsor', 'resolut']
    """
    return [stem(w) for w in words(text) if w not in STOP_WORDS]


@lru_cache(maxsize=1)
def english_zipf() -> dict[str, float]:
    """wordfreq's large English list as word -> Zipf frequency, read straight from its data file.

    ``zipf_frequency`` gives the same values for a plain lowercase word (a test checks that), but
    ``import wordfreq`` takes 0.3 s (it brings langcodes and pydantic), a third of the web app's
    start after gradio. The file is a gzipped msgpack list: a header, then one list of words per
    centibel of frequency, the most frequent first (wordfreq's "cBpack" format).
    """
    import gzip
    import importlib.util

    import msgpack

    folder = importlib.util.find_spec("wordfreq").submodule_search_locations[0]  # without importing it
    with gzip.open(Path(folder) / "data" / "large_en.msgpack.gz") as packed:
        header, *buckets = msgpack.unpackb(packed.read(), raw=False)
    if header != {"format": "cB", "version": 1}:
        raise ValueError(f"unknown wordfreq data format {header!r}: update resolution_qa.tokens.english_zipf")
    zipf = {}
    for centibels in reversed(range(len(buckets))):  # rarest first: a word listed twice keeps its higher value
        # wordfreq's cB_to_zipf, rounded as zipf_frequency rounds
        zipf.update(dict.fromkeys(buckets[centibels], round((900 - centibels) / 100, 2)))
    return zipf
