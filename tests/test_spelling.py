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
        "elections",  # common in English
        "deepfakes",
        "research",  # the documents' own word
    ],
)
def test_real_words_are_taken_as_typed(speller, word):
    assert speller.meant(word) is None


def test_names_acronyms_and_short_words_are_left_alone(speller):
    """A capital inside a question marks a name ("Guterres") or an acronym ("IFIs"); short words
    are too often acronyms or short forms ("paras"); a capital starting the question is kept."""
    assert speller.corrected("Did Guterres or the IFIs fund paras on reserch?") == (
        "Did Guterres or the IFIs fund paras on research?"
    )
    assert speller.corrected("Reserch money for poor countires?") == "Research money for poor countries?"
    assert speller.corrections("Which contry sponsered it?") == {"contry": "country", "sponsered": "sponsored"}


def test_the_documents_words_are_read_only_when_a_word_needs_them():
    read = []
    speller = Speller(lambda word: True, lambda: read.append(1) or [])
    assert speller.corrected("what does the resolution say about capacity?") == (
        "what does the resolution say about capacity?"
    )
    assert not read


def test_a_question_with_typos_is_answered_as_if_spelt_right(engine):
    """Searched and scored as the words meant, shown as typed, with a note of what was read."""
    answer = engine.ask("which obsrvatories shuld share tidal mesurement data?")
    right = engine.ask("which observatories should share tidal measurement data?")
    assert answer.question == "which obsrvatories shuld share tidal mesurement data?"
    assert answer.quote is not None and right.quote is not None
    assert (answer.quote.start, answer.quote.end) == (right.quote.start, right.quote.end)
    assert any("“mesurement” as “measurement”" in note for note in answer.notices)
    assert not right.notices
