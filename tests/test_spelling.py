"""Misspelt question words are read as the words meant (spelling.py), and only those."""

from __future__ import annotations

import pytest

from resolution_qa.spelling import Speller

DOCUMENT_WORDS = {"research", "algorithms", "sponsored", "countries", "capacity", "building", "multistakeholder"}


@pytest.fixture
def speller() -> Speller:
    return Speller(lambda word: word in DOCUMENT_WORDS, lambda: DOCUMENT_WORDS)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("reserch", "research"),  # a letter left out
        ("algorithims", "algorithms"),  # one put in
        ("capcity", "capacity"),
        ("buidling", "building"),  # two swapped: one edit
        ("goverment", "government"),  # English's word, though the documents don't use it
        ("resolutoin", "resolution"),
        ("racisim", "racism"),
        ("multistakholder", "multistakeholder"),  # the documents' word, though English rarely writes it
    ],
)
def test_a_misspelt_word_is_read_as_the_word_meant(speller, typed, meant):
    assert speller.meant(typed) == meant


@pytest.mark.parametrize(
    "word",
    [
        "watermarking",  # rare in English, but no common word is near it
        "breaching",  # an inflection of an English word ("breach")
        "tabled",
        "characterise",  # a British spelling
        "headings",  # a plural of a word near it
        "prioritised",  # British, of a word English writes often enough
        "chairwoman",  # two edits from "chairman", but English writes it: one edit only
        "elections",  # common in English
        "deepfakes",
        "research",  # the documents' own word
    ],
)
def test_real_words_are_taken_as_typed(speller, word):
    assert speller.meant(word) is None


def test_names_acronyms_and_short_words_are_left_alone(speller):
    """A capital inside a question marks a name: "chagos" would be read as "chaos", but not
    "Chagos"; a word in an address is left as typed; a capital starting the question is kept."""
    assert speller.meant("chagos") == "chaos"
    assert speller.corrected("Did the Chagos islands get reserch help at unesco.org/reserch?") == (
        "Did the Chagos islands get research help at unesco.org/reserch?"
    )
    assert speller.corrected("the goverment's plan") == "the government's plan"
    assert speller.corrected("Reserch money for poor countires?") == "Research money for poor countries?"
    assert speller.corrections("Which contry sponsered it?") == {"contry": "country", "sponsered": "sponsored"}


def test_the_documents_words_are_read_only_when_a_word_needs_them():
    read = []
    speller = Speller(lambda word: True, lambda: read.append(1) or [])
    assert speller.corrected("what does the resolution say about capacity?") == (
        "what does the resolution say about capacity?"
    )
    assert not read


def test_a_question_with_typos_is_searched_as_if_spelt_right(engine):
    """Searched as the words meant (its BM25 words are the right ones), shown as typed, with a
    note of what was read."""
    typed = "which observatries should share tidal mesurement data?"
    state = engine.index.state
    query = engine._prepare(state, typed, ())
    assert query.text == "which observatories should share tidal measurement data?"
    assert {"observatori", "measur"} <= set(state[1].tokens(query.search_question))
    answer = engine.ask(typed)
    assert answer.question == typed
    assert answer.notices == ("Read “observatries” as “observatories”, “mesurement” as “measurement”.",)
    assert not engine.ask("which observatories should share tidal measurement data?").notices
