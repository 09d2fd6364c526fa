"""places: countries by the UN's spellings, capitals, demonyms and short forms."""

from __future__ import annotations

import pytest

from resolution_qa.places import countries_in, country_of, normalize


@pytest.mark.parametrize(
    ("un_name", "key"),
    [
        ("IRAN (ISLAMIC REPUBLIC OF)", "iran"),
        ("VENEZUELA (BOLIVARIAN REPUBLIC OF)", "venezuela"),
        ("TÜRKIYE", "turkey"),
        ("VIET NAM", "vietnam"),
        ("REPUBLIC OF KOREA", "south korea"),
        ("DEMOCRATIC PEOPLE'S REPUBLIC OF KOREA", "north korea"),
        ("NETHERLANDS (KINGDOM OF THE)", "netherlands"),
        ("UNITED STATES", "united states"),
        ("RUSSIAN FEDERATION", "russia"),
        ("UNITED KINGDOM", "united kingdom"),
        ("LAO PEOPLE’S DEMOCRATIC REPUBLIC", "laos"),
        ("CÔTE D’IVOIRE", "ivory coast"),
        ("GUINEA-BISSAU", "guinea-bissau"),
        ("MICRONESIA (FEDERATED STATES OF)", "federated states of micronesia"),
    ],
)
def test_country_of_un_spellings(un_name, key):
    assert country_of(un_name) == key


@pytest.mark.parametrize("name", ["Atlantis", "", "GENERAL ASSEMBLY", "SUBMITTED BY THE CHAIR"])
def test_country_of_unknown_names_is_none(name):
    assert country_of(name) is None


@pytest.mark.parametrize(
    ("question", "found"),
    [
        ("Did Tehran sponsor it?", {"iran": "tehran"}),
        ("Did Washington co-sponsor it?", {"united states": "washington"}),
        ("Did the Venezuelans sponsor it?", {"venezuela": "venezuelans"}),
        ("Were the Americans among the sponsors?", {"united states": "americans"}),  # not the Northern Mariana Islands
        ("Did the US sponsor 78/311?", {"united states": "us"}),
        ("Was the USA a sponsor?", {"united states": "usa"}),
        ("What about Guinea?", {"guinea": "guinea"}),  # the name right before "?"
        ("Is it about the Republic of Korea?", {"south korea": "republic of korea"}),
        ("Did Equatorial Guinea sponsor it?", {"equatorial guinea": "equatorial guinea"}),  # longest name wins
        ("Did the Dominicans vote for it?", {"dominican republic": "dominicans"}),
    ],
)
def test_countries_in_by_capital_demonym_and_short_form(question, found):
    assert countries_in(question) == found


def test_countries_in_finds_several():
    assert countries_in("Did Washington or the Iranians co-sponsor it, or Viet Nam?") == {
        "united states": "washington",
        "iran": "iranians",
        "vietnam": "viet nam",
    }


@pytest.mark.parametrize(
    "question",
    [
        "What does OP 7 say?",
        "Does it mention digital public infrastructure?",
        "Who sponsored the resolution?",
        "What does it say about data?",
        "Was it adopted in March?",
        "What is the role of the United Nations system?",
        "Does it mention human rights and the Sustainable Development Goals?",
        "What does it say about small island developing States?",  # not Iceland ("Ísland")
        "",
    ],
)
def test_no_country_in_ordinary_questions(question):
    assert countries_in(question) == {}


def test_normalize_drops_case_accents_and_punctuation_but_keeps_hyphens():
    assert normalize("Côte d’Ivoire?") == "cote d ivoire"
    assert normalize("Korea, Republic of") == "republic of korea"
    assert normalize("Guinea-Bissau!") == "guinea-bissau"


@pytest.mark.parametrize(
    ("un_name", "question"),
    [
        ("STATE OF PALESTINE", "Did the State of Palestine sponsor it?"),
        ("MYANMAR", "Did Burma sponsor it?"),
        ("UNITED STATES", "Did the United States of America sponsor it?"),
    ],
)
def test_a_country_listed_twice_in_the_data_has_one_key(un_name, question):
    # answers.py matches a sponsor list (country_of) against the question (countries_in)
    assert set(countries_in(question)) == {country_of(un_name)}
