"""From candidate passages to an answer: follow-ups, sentence choice and abstention.

Pure functions over numbers and strings; the engine gathers the inputs.

Signals, for each sentence of the candidate passages:
- ``dense``: cosine between the sentence and the question (with its conversation context);
- ``lexical``: idf-weighted share of the question's words that the sentence contains;
- ``kind``: whether the sentence holds what the question asks for (a date for "when",
  a number for "how many"/"how much");
- ``passage``: the fused (BM25 + dense) rank score of the passage it sits in.

Whether to answer at all is a logistic model over seven signals of the best answer,
fitted by ``python -m resolution_qa calibrate`` on our own labelled questions
(``eval/calibration.jsonl``) and stored in ``calibration.json`` beside this file.
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from .acronyms import ACRONYM
from .boosting import Trees, TreesError
from .records import TITLE_LINE
from .schema import METADATA_KINDS
from .tokens import STOP_WORDS, english_zipf, stem, tokenize, words

FOLLOW_UP_WORDS = frozenset(
    [
        "it",
        "its",
        "it's",
        "he",
        "him",
        "his",
        "she",
        "her",
        "they",
        "them",
        "their",
        "theirs",
        "this",
        "that",
        "these",
        "those",
        "there",
        "former",
        "latter",
        "same",
    ]
)
FOLLOW_UP_OPENERS = ("and ", "what about", "how about", "also", "then ", "so ", "but ")

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")  # fmt: skip
_MONTHS = "|".join((*MONTHS, "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec"))
# a month by name or its short form ("21 Mar. 2024", "Sept"); "May" only capitalized and not
# opening a sentence, or beside a day or year ("What may it …", "by 2030 may" are not months)
_MONTH_FORMS = {
    **{m.lower(): m for m in MONTHS},
    **{a.lower(): m for m in MONTHS for a in (m[:3], "Sept" if m == "September" else m[:3])},
}
_ANY_CASE_MONTH = "|".join(f for f in _MONTH_FORMS if f != "may")
_MONTH_ANY_CASE = re.compile(rf"\b(?i:{_ANY_CASE_MONTH})\b\.?|(?<=\d )May\b|(?<=\w )May\b|\bMay(?= \d)")
_MONTH_CAPITALIZED = re.compile(rf"\b(?:{'|'.join(f.capitalize() for f in _MONTH_FORMS)})\b")


def long_date(iso: str) -> str:
    """ "2024-03-21" → "21 March 2024" (how UN texts write dates).

    >>> long_date("2024-07-01")
    '1 July 2024'
    """
    year, month, day = iso.split("-")
    return f"{int(day)} {MONTHS[int(month) - 1]} {year}"


def months(text: str, any_case: bool = True) -> frozenset[str]:
    """The months ``text`` names, by their full names: in a question in any case ("the march
    resolution"), in a document (``any_case=False``) only capitalized ("this august body" is none).

    >>> sorted(months("adopted on 21 Mar. 2024, not in june; the May resolution; it may pass"))
    ['June', 'March', 'May']
    >>> months("What may it do?"), months("May it pass?"), months("an august body", any_case=False)
    (frozenset(), frozenset(), frozenset())
    """
    pattern = _MONTH_ANY_CASE if any_case else _MONTH_CAPITALIZED
    return frozenset(_MONTH_FORMS[m.group(0).rstrip(".").lower()] for m in pattern.finditer(text))


# a year: not a part of "78/265" or "2,024", nor "the 2030 Agenda" (a name); "09/07/2024"'s is one
_YEAR = re.compile(
    r"(?:(?<=\b\d\d/\d\d/)|(?<=\b\d/\d\d/)|(?<=\b\d\d/\d/)|(?<=\b\d/\d/)|(?<![\d/.,]))"
    r"(?:19|20)\d\d(?!\d|,\d|/\d|\s+(?i:agenda)\b)"
)
_YEAR_RANGE = re.compile(r"\b((?:19|20)\d\d)\s*[-–—]\s*((?:19|20)\d\d)\b")


def years(text: str) -> frozenset[str]:
    """The years ``text`` names, every year of a range ("2021-2023") included.

    >>> sorted(years("adopted on 21 March 2024, issued 09/07/2024, the period 2021–2023"))
    ['2021', '2022', '2023', '2024']
    >>> years("A/RES/78/2024, 2,024 people and the 2030 Agenda")
    frozenset()
    """
    found = set(_YEAR.findall(text))
    for first, last in _YEAR_RANGE.findall(text):
        if 0 < int(last) - int(first) <= 50:
            found.update(str(year) for year in range(int(first), int(last) + 1))
    return frozenset(found)


# a whole date: "25 July 2023", "25 Jul. 2023", "July 25, 2023" (the UN's own text may join its
# day and month with a no-break space)
_ORDINAL_SUFFIX = r"(?:st|nd|rd|th)?"
_WHOLE_DATE = re.compile(
    rf"\b([0-3]?\d){_ORDINAL_SUFFIX}\s+(?:of\s+)?({_MONTHS})\.?,?\s+((?:19|20)\d\d)\b"
    rf"|\b({_MONTHS})\.?\s+([0-3]?\d){_ORDINAL_SUFFIX},?\s+((?:19|20)\d\d)\b",
    re.IGNORECASE,
)


# a date that is another text's: "its resolution 78/265 of 21 March 2024", "another one, adopted on
# 21 March 2024" — the date of what the passage cites, not of the text it is in
_CITED_DATE = re.compile(
    r"(?:\b\d{1,3}/\d{1,4}(?:\s+of|,?\s+(?:adopted|passed|approved)\s+(?:on|in))"
    r"|\b(?i:another|earlier|previous|prior)\s+(?:[\w-]+\s+){0,3}?"
    r"(?:resolutions?|one|text|decision)\s*,?\s+(?:adopted|passed|approved)\s+(?:on|in))"
    rf"\s+(?:\d{{1,2}}\s+)?(?:{_MONTHS})\.?(?:\s+\d{{1,2}})?,?\s+(?:19|20)\d\d\b"
)


def without_cited_dates(text: str) -> str:
    """``text`` without the dates of the texts it cites (``_CITED_DATE``): what is left dates
    the text itself, or what it reports.

    >>> without_cited_dates("Reaffirming its resolution 78/265 of 21\u00a0March 2024, entitled")
    'Reaffirming its resolution , entitled'
    >>> without_cited_dates("anticipated by another one, adopted on 21 March 2024, which was")
    'anticipated by , which was'
    >>> without_cited_dates("Another one, adopted on 21 March 2024, and 78/265, adopted on 21 March 2024;")
    ', and ;'
    >>> without_cited_dates("On 25 June 2024, the Assembly adopted a draft")
    'On 25 June 2024, the Assembly adopted a draft'
    >>> without_cited_dates("The Assembly adopted resolution 78/311 on 1 July 2024")  # its own date
    'The Assembly adopted resolution 78/311 on 1 July 2024'
    """
    return _CITED_DATE.sub("", text)


def days(text: str) -> frozenset[tuple[int, str, str]]:
    """The whole dates ``text`` names, as (day, month, year).

    >>> sorted(days("its resolutions 77/320 of 25 July 2023 and 78/132 of 19\u00a0December 2023"))
    [(19, 'December', '2023'), (25, 'July', '2023')]
    >>> days("adopted on July 1, 2024") == days("on 1 jul. 2024") == days("the 1st of July 2024")
    True
    >>> days("in July 2024"), days("on 41 July 2024")
    (frozenset(), frozenset())
    """
    found = set()
    for m in _WHOLE_DATE.finditer(text):
        if m.group(1):
            day, month, year = m.group(1), m.group(2), m.group(3)
        else:
            day, month, year = m.group(5), m.group(4), m.group(6)
        if 1 <= int(day) <= 31:
            found.add((int(day), _MONTH_FORMS[month.lower()], year))
    return frozenset(found)


def date_conflict(asked: frozenset[str], paragraph: str, asked_years: frozenset[str] = frozenset()) -> bool:
    """Whether a paragraph dates what it says to other months, or other years, than the question
    asks about: "Which countries sponsored the March resolution?" against the article's paragraph
    on the resolution adopted "On 25 June 2024"; "the weather in New York on 21 March 2025"
    against "63rd plenary meeting 21 March 2024". Months conflict only when both the question and
    the paragraph name one, and years only when both name one.

    >>> date_conflict(months("Who sponsored the March resolution?"), "On 25 June 2024, it was adopted.")
    True
    >>> date_conflict(frozenset({"March"}), "another one, adopted on 21 March 2024 and in June")
    False
    >>> date_conflict(frozenset({"March"}), "meeting of 21 March 2024", years("on 21 march 2025")), date_conflict(
    ...     frozenset(), "the review in 2025", frozenset({"2025"}))
    (True, False)
    """
    named, dated = months(paragraph, any_case=False), years(paragraph)
    return bool(asked and named and not (named & asked)) or bool(asked_years and dated and not (dated & asked_years))


# a date, a year, or a session of the Assembly ("at its eightieth session": when it reports)
_NUMERIC_DATE = r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b"  # 09/07/2024
_ISO_DATE = r"\b\d{4}-\d\d-\d\d\b"  # 2024-07-01
_DATE = re.compile(
    rf"\b(?:{_MONTHS})\b|\b(?:19|20)\d\d\b|{_NUMERIC_DATE}"
    r"|\b(?:[a-z]+-)?[a-z]+(?:tieth|th|first|second|third) session\b|\b\d{1,3}(?:st|nd|rd|th) session\b"
)
# ... a day: "25 June 2024", "June 25", "09/07/2024", "2024-07-01"
_DAY = re.compile(rf"\b\d{{1,2}} (?:{_MONTHS})\b|\b(?:{_MONTHS}) \d{{1,2}}\b|{_NUMERIC_DATE}|{_ISO_DATE}")
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    "sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|hundred|thousand|million|"
    "billion|dozen|dozens|hundreds|thousands|millions|billions"
)
_NUMBER = re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", re.IGNORECASE)
_MONEY = re.compile(
    r"[$€£¥]|\b(?:USD|EUR|CHF|dollars?|euros?|francs?|pounds?|yuan|budget of)\b|\d[\d,.]*\s*(?:million|billion|thousand|bn|m)\b",
    re.IGNORECASE,
)

# ... or a catalogue record's line that holds a title ("Title: …", "Agenda item: Agenda item 13 — …")
_TITLE = re.compile(rf"\b(?:entitled|titled)\b|{TITLE_LINE}|“[A-Z][^”]{{10,}}”|\"[A-Z][^\"]{{10,}}\"")

# A/RES/78/311, A/78/L.86, A/78/PV.97, A/RES/ES-10/21, A/C.3/78/L.25, S/RES/2334
_UN_SYMBOL = re.compile(r"\b[A-Z]{1,2}/(?:[A-Z0-9.-]+/)*[A-Z]*\.?\d+\b")
# how a text cites another: by its number ("its resolutions 78/265 of 21 March 2024", "resolution
# A/RES/70/1", "Resolution ES-10/21", "Security Council resolution 2334 (2016)"), an earlier one
# by its date of adoption ("another one, adopted on 21 March 2024" — not "The Resolution adopted
# on 25 June …", itself), or by name after a verb of recalling ("Recalling the Universal
# Declaration of Human Rights", "Taking note of the report … entitled “Road map …”")
_CITES = re.compile(
    r"\b(?i:resolutions?|decisions?)\s+(?:[A-Z]{1,2}/(?:RES/)?)?(?:ES-)?\d{1,3}/\d{1,4}\b"
    r"|\b\d{2}/\d{1,4}\s+of\s+\d{1,2}\s+[A-Z][a-z]+\s+\d{4}|\b(?i:resolution)\s+\d{3,4}\s+\(\d{4}\)"
    r"|\b(?:another|earlier|previous|prior|first)\s+(?:[\w-]+\s+){0,3}?(?:[Rr]esolutions?|one|text)\s*,?\s+adopted\s+"
    r"(?:on|in)\s+(?:\d{1,2}\s+)?[A-Z][a-z]+"
    r"|\b(?:[Rr]ecall(?:s|ing)?|[Rr]eaffirm(?:s|ing)?|[Cc]it(?:es|ed|ing)|[Rr]efer(?:s|ring)?\s+to|[Tt]aking\s+note)\b"
    r"(?!\s+that\b)[^;.]{0,80}?\b(?:[A-Z][\w’'-]*\s+(?:of\s+(?:the\s+)?)?){2,}"
)
# ... and a question asks for one: "Which earlier resolution …?", "What other texts …?", "Does it
# build on / reaffirm / refer back to the March resolution?", "Which outcome document does it
# reaffirm?", "What does the preamble recall?" — not "What did the earlier resolution ask?" (that
# asks what it says), "What does OP 5 refer to in the July resolution?" (the text is where to
# look) or "Which other countries co-sponsored resolution 78/311?"
_CITED_NOUN = r"(?:resolutions?|texts?|decisions?|instruments?|documents?|outcomes?|declarations?)"
_NOT_AUX = r"(?!(?:did|does|do|is|was|were|are|has|have|had|can|could|should|will|would)\b)"
_NOT_PREPOSITION = r"(?!(?:in|of|by|from|for|on|at|with|about|under|to)\b)"
_CITING_VERB = (
    r"(?:build(?:s|ing)?\s+(?:up)?on|built\s+(?:up)?on|reaffirm\w*|recall\w*|cite[sd]?|endorse[sd]?|referenc\w*|"
    r"refer(?:s|red)?\s+(?:back\s+)?to|relate[sd]?\s+to|link(?:s|ed)?\s+(?:back\s+)?to)"
)
# the head of "which earlier … resolution": what follows it is the question's verb, not more words
_HEAD_ENDS = r"(?=\s+(?:does|did|do|is|was|are|were|has|have|had|from|on|of|about|that|which|it|this|the|by|\w+ed)\b|\s*[?,]|\s*$)"
_CITATION = re.compile(
    rf"^\W*(?:and\s+)?(?:which|what)\s+(?:{_NOT_AUX}[\w’'-]+\s+){{0,3}}?"
    rf"(?:earlier|previous|prior|preceding|past|older|existing|other|related)\s+"
    rf"(?:{_NOT_AUX}(?!(?:the|a|an|its|this|that)\b)[\w’'-]+\s+){{0,3}}?{_CITED_NOUN}{_HEAD_ENDS}"
    rf"|\b{_CITING_VERB}\s+(?:{_NOT_PREPOSITION}[\w’'-]+\s+){{0,5}}?(?:{_CITED_NOUN}|one|\d+/\d+)(?![\w-])"
    rf"|^\W*(?:and\s+)?(?:which|what)\s+(?:{_NOT_AUX}[\w’'-]+\s+){{0,4}}?{_CITED_NOUN}\b[^?]*\b{_CITING_VERB}"
    rf"|^\W*(?:and\s+)?what\s+(?:does|did)\s+(?:it|the\s+[\w-]+|\d+/\d+)\s+(?:recall|reaffirm|cite|reference)\W*$",
    re.I,
)
# "Who …", "Which countries …", "What delegation …": the question asks for who did something
_WHO_ASKED = r"\W*(?:and\s+)?(?:who|whom|whose)\b"  # the "who" kind's question
_ACTOR_ASKED = (
    _WHO_ASKED
    + r"|\W*(?:and\s+)?(?:what|which)\s+(?:of\s+the\s+)?(?:[\w-]+\s+)?(?:countries|country|nations?|states?|member states?|"
    r"governments?|delegations?)(?![’'\w-])"
)
# "Where does it voice worry …?", "Where does 78/265 mention …?": a place in the text is asked,
# not a place in the world — unless something is placed ("Where does the article say CGS is based?")
_TEXT_SUBJECT = (
    r"(?:it|this|that|the\s+(?:[\w’'-]+\s+){0,2}?"
    r"(?:resolution|text|article|document|preamble|draft|letter|piece|paragraph|report)(?:[’']s\s+[\w-]+)?"
    r"|(?:(?:the\s+)?resolution\s+)?(?:A/RES/)?\d+/\d+)"
)
_TEXT_VERB = (
    r"(?:say|says|said|mention|voice|express|discuss|address|refer|talk|speak|note|stress|emphasi[sz]e|recogni[sz]e|"
    r"acknowledge|raise|highlight|describe|define|list|state|deal|touch|cover|call|urge|encourage|reaffirm|recall|"
    r"warn|flag|admit|concede|point|bring|explain|cite)\b"
)
_PLACED = (
    r"\b(?:based|located|headquartered|held|hosted|situated|(?:tak(?:e|es|en|ing)|took)\s+place|"
    r"(?:meet|meets|meeting|met)\s+(?:in|at)|adopted|established|founded|signed|set up|originat\w*)\b"
)
# how a text defines a term: "…, which, for the purpose of this resolution, refers to …"
_DEFINES = re.compile(r"\b(?:refers? to|means|is defined as|are defined as|for the purposes? of this)\b", re.I)
_SHARE = re.compile(
    rf"\d\s*(?:%|per ?cent\b|percent\b)|\b(?:{_NUMBER_WORDS})\s+(?:per ?cent|percent)\b|\bhalf\b"
    r"|\b(?:one|two|a)[- ](?:third|thirds|quarter|quarters|fifth|fifths|tenth|tenths)\b|\b(?:majority|minority)\b",
    re.I,
)
# "What budget …", "which country will …", "what's the dollar amount …": the noun right after the
# asking word (one word between at most) names the kind of answer wanted ...
_ASKED_FOR = r"^\W*(?:and\s+)?(?:what|which)(?:['’]s|\s+is|\s+was|\s+are|\s+were)?\s+(?:the\s+)?(?:[\w-]+\s+)?"
# ... unless a second noun follows: "which country offices", "what budget implications"
_COMPOUND = (
    r"(?:offices?|programmes?|programs?|teams?|levels?|codes?|context|ownership|strateg\w*|plans?|reports?|groups?|"
    r"implications?|recovery|arrangements?|lines?|cycles?|process\w*|estimates?|sharing|effectiveness|items?|departments?|ministr\w*)\b"
)
_CAPITALIZED = r"[A-ZÀ-ÖØ-ÞĀ-Ž][^\W\d_]*(?:[’'-][^\W\d_]+)*"
_NAME_PAIR = re.compile(rf"\b({_CAPITALIZED})(?=\s+({_CAPITALIZED})\b)")  # "Fu Cong", overlapping pairs
_PLACE = re.compile(r"\b(?:in|at|from|near|based in|located in|headquartered in)\s+(?:the\s+)?[A-Z][a-z]+")
_NOT_NAMES = frozenset(
    [
        "The",
        "This",
        "That",
        "These",
        "Those",
        "It",
        "Its",
        "In",
        "On",
        "At",
        "As",
        "By",
        "For",
        "From",
        "With",
        "Despite",
        "Although",
        "While",
        "Firstly",
        "Secondly",
        "Thirdly",
        "Lastly",
        "Finally",
        "Moreover",
        "However",
        "Resolution",
        "Resolutions",
        *MONTHS,
        "A",
        "An",
        "And",
        "Of",
    ]
)


# who a resolution asks or names without a capital: "the international community", "developed
# countries", "the private sector", "women and girls"
_ACTOR = re.compile(
    r"\b(?:community|communities|countries|governments|stakeholders|sector|sectors|organi[sz]ations|agencies|"
    r"entities|society|institutions|bodies|partners|parliaments|academia|industry|companies|businesses|"
    r"people|peoples|persons|women|girls|children|youth|elderly|groups|members|users|developers|researchers)(?![\w-])",
    re.I,
)


def _names_actors(text: str, question: str) -> bool:
    """Does ``text`` name someone the question does not already name ("Who should boost
    funding?" — "the international community, as well as …")?

    >>> _names_actors("encourages the international community to help", "Who should help?")
    True
    >>> _names_actors("encourages countries to help", "Which country helps?")
    False
    >>> _names_actors("The resolution states that people-centred AI matters", "Who sponsored it?")
    False
    """
    asked = {stem(w) for w in words(question)}
    return any(stem(m.group(0).lower()) not in asked for m in _ACTOR.finditer(text))


def new_names(text: str, question: str = "") -> list[str]:
    """Capitalized names and acronyms in ``text`` that the question does not already use.

    >>> new_names("Ambassador Fu stated it.", "Who spoke?")
    ['Ambassador', 'Fu']
    >>> new_names("The Resolution adopted on 25 June delves further.", "Who adopted it?")
    []
    >>> new_names("97th plenary meeting (meeting record A/78/PV.97)", "Who adopted it?")  # a symbol names no one
    []
    """
    asked = {w.lower() for w in re.findall(r"[A-Za-z]+", question)}
    return [
        word
        for word in re.findall(r"\b[A-Z][A-Za-z’'-]*\b", _UN_SYMBOL.sub(" ", text))  # "A/78/PV.97" names no one
        if word not in _NOT_NAMES and word.lower() not in asked
    ]


_PARAGRAPH_NUMBER = re.compile(r"^\s*(?:\d{1,3}[.)]|\([a-z]\))\s+")  # "2. ", "(a) ": a paragraph's own number


def _counts(text: str, question: str) -> bool:
    """For "how many X", a number must stand right before X (or its stem) — or before the words
    an acronym X spells out ("How many SDGs …": "all 17 Sustainable Development Goals").

    >>> _counts("all 17 Sustainable Development Goals", "How many SDGs are there?")
    True
    >>> _counts("2. Encourages Member States to share data", "How many member states were present?")
    False
    >>> _counts("17 Sustainable Development Goals", "How many goals?")
    True
    """
    text = _PARAGRAPH_NUMBER.sub("", text, count=1)  # "2. Encourages Member States" counts no states
    noun = counted_noun(question) if question else None
    if noun is None:
        return bool(_NUMBER.search(text))
    tokens = words(text)
    acronym = re.search(r"\b(?i:how many)\s+(?:\w+\s+){0,2}?([A-Z]{2,6})s?\b", question)
    # ... when the acronym is what is counted ("SDGs"), not a word before it ("AI centres")
    letters = acronym.group(1).lower() if acronym and stem(acronym.group(0).split()[-1].lower()) == noun else ""
    for i, token in enumerate(tokens):
        spelled = letters and "".join(t[0] for t in tokens[i : i + len(letters)]) == letters
        if (stem(token) == noun or spelled) and any(
            _NUMBER.fullmatch(t) or t.isdigit() for t in tokens[max(0, i - 3) : i]
        ):
            return True
    return False


# "Which UNGA session adopted it?", "to which session?" (not "What did the session decide?") ...
_SESSION_ASKED = re.compile(
    rf"^(?!\W*(?:who|whom|how\s+many)\b).*\b(?:which|what)\s+(?:{_NOT_AUX}(?!kind|sort|type)[\w-]+\s+){{0,2}}?"
    r"sessions?\b(?!['’]s|\s+(?:resolutions?|documents?|outcomes?|reports?|themes?|decisions?)\b)",
    re.I,
)
# ... is answered by one: "the 78th Session", "at its eightieth session", "Seventy-eighth session"
_ORDINAL = (
    r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)-)?"
    r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|[a-z]+teenth|[a-z]+tieth)"
)
_SESSION = re.compile(
    rf"\b(?:\d{{1,3}}(?:st|nd|rd|th)|{_ORDINAL})\s+(?:(?:UNGA|GA|regular|special|emergency)\s+)?session\b", re.I
)


def _dates(text: str, question: str) -> bool:
    """A date, or for "which month …" a month's name: "in 2025" does not say which month; for
    "which session …" a session.

    >>> _dates("the review in 2025", "When is the review?"), _dates("the review in 2025", "In which month is it?")
    (True, False)
    >>> _dates("at its eightieth session", "On what date does that session open?"), _dates("On 25 June 2024", "What date?")
    (False, True)
    >>> _dates("On 25 June 2024, the 78th Session", "Which session?"), _dates("on 1 July 2024", "which GA session?")
    (True, False)
    >>> _dates("at its eighty-first session", "To which session?"), _dates("a youth session", "To which session?")
    (True, False)
    """
    if _SESSION_ASKED.search(question):  # "Which session adopted it?": a session, not a day
        return bool(_SESSION.search(text))
    if re.search(r"\b(?:which|what) month\b", question, re.I):
        return bool(re.search(rf"\b(?:{_MONTHS})\b|{_NUMERIC_DATE}|{_ISO_DATE}", text))
    if re.search(r"\b(?:which|what) (?:date|day)\b", question, re.I):  # a day, not "its eightieth session"
        return bool(_DAY.search(text))
    return bool(_DATE.search(text))


# "What did the EU delegation say …", "How did Russia react …", "What do PAM and CGS think …"
# (not "What does the article/78/265/OP 7/it say": those name a text, not a speaker)
_NOT_A_SPEAKER = (
    r"(?:resolution|text|draft|article|piece|story|report|paragraph|document|preamble|OP|PP|it|this|that|one|"
    r"charter|compact|declaration|convention|agenda|pact|plan|strategy|programme|law|act|framework)"
)
_STATEMENT = re.compile(
    rf"^\W*(?:and\s+)?(?:what|how)\s+(?:did|do|does|has|have)\s+(?P<who>(?:(?!\b{_NOT_A_SPEAKER}\b)[^?\d])+?)\s+"
    r"(?:say|said|state|respond|react|reply|think|comment|answer)\b",
    re.I,
)
_SPEECH = re.compile(
    r"\b(?:said|says|say|stated|states|declared|noted|thanked|welcomed|considers?|considered|argued|told|remarked|"
    r"commented|expressed|praised|criticized|criticised|responded|replied|reacted|described|called|urged|warned|"
    r"stressed|emphasized|emphasised|underlined|underscored|highlighted|insisted|affirmed|announced|explained|"
    r"(?i:according to))\b"
)
# the Assembly speaks through its resolutions' own verbs ("Stressing …", "Calls upon …")
_THE_ASSEMBLY = frozenset(["general", "assembly", "united", "nations", "un", "unga"])
_MONTH_WORDS = frozenset(m.lower() for m in MONTHS)


def _speaker_says(text: str, question: str) -> bool:
    """For "What did the EU say …?": a statement (said, stated, considers …) whose speaker — named
    before the verb in its sentence, or after it when a quotation ends there ("…,” said X") or
    after "according to" — is the one asked about: by a country's any name ("the American side",
    "Beijing's representative") or by the question's own names ("PAM", "the EU" as "the European
    Union"). True when the question names no speaker ("What did he say?").

    >>> fu = "Ambassador Fu, of the Chinese Foreign Ministry, stated that China thanks the US."
    >>> _speaker_says(fu, "What did Beijing's envoy say?"), _speaker_says(fu, "What did the US ambassador say?")
    (True, False)
    """
    from .places import countries_in

    countries, names = _speakers(question)
    if not (countries or names):
        return True
    for verb in _SPEECH.finditer(text):
        before = _SENTENCE_END.split(text[: verb.start()])[-1]
        after = _SENTENCE_END.split(text[verb.end() :])[0]
        # the speaker before the verb, or after it: "…,” said the ambassador", "according to the EU"
        said_by = before + (
            " " + after[:80] if verb.group(0).lower() == "according to" or re.search(r"[”\"]\s*$", before) else ""
        )
        if countries & set(countries_in(said_by)) or any(_mentions(said_by, name) for name in names):
            return True
    return False


@lru_cache(maxsize=256)
def _speakers(question: str) -> tuple[frozenset[str], frozenset[str]]:
    """Who a "What did X say?" question asks about: the countries it names (by any name) and its
    other names ("PAM", "the African Union"; a country's are matched as countries); both empty
    when it names no speaker. Read once per question, not once per passage checked."""
    from .places import countries_in

    match = _STATEMENT.search(asked_part(question))
    if not match:
        return frozenset(), frozenset()
    who = match.group("who")
    names = {n.lower() for n in re.findall(r"\b[A-Z][\w-]*\b", who) if not countries_in(n)}
    return frozenset(countries_in(who)), frozenset(names - _THE_ASSEMBLY - _MONTH_WORDS)


_SENTENCE_END = re.compile(r"(?<![A-Z])[.;!?]\s")  # not after "U.S." or "Mr. J."

# "What did the advisory body's final report recommend?", "What did the Global Digital Compact
# decide …", "What did the letter stress?": what another text found or decided, not what the
# document asked about does ("What does the resolution decide?" is no such question; nor is "What
# did the US statement say?", whose speaker the statement kind checks)
_A_TEXT = (
    r"(?:report|compact|road ?map|roadmap|plan|declaration|convention|pact|strategy|programme|framework|"
    r"letter|study|review|guidance|summit|conference|agenda)s?"
)
# a word between a text's name and its verb: not one that starts another clause
_GAP_WORD = r"(?!(?:and|or|but|what|which|that|it|they|also)\b)[\w/’'.-]+"
_PART = r"\b(?:paragraph|section|part|passage)s?\b"  # "the Compact paragraph": the document's own
_PREPOSITION = r"(?:to|of|for|in|on|by|from|with|about|given)\b"
_FINDING = re.compile(
    r"^\W*(?:and\s+)?(?:what|which)\s+(?:[\w-]+\s+)?(?:did|do|does|has|have|will|would)\s+"
    # ... the text may be described after its name ("the report requested by 78/311", "the
    # Secretary-General's report to the eightieth session"; not "the Compact paragraph": the
    # document's own paragraph about it)
    rf"(?P<text>(?:(?!{_PART})[^?])*?\b{_A_TEXT})(?!\s+{_PART})(?:\s*,[^,?]{{1,80}},)?(?:\s+{_GAP_WORD}){{0,6}}?\s+"
    # ... ", which the July resolution mentions,"; "end up recommending"
    r"(?:end(?:ed)? up\s+)?"
    r"(?:recommend|conclud|find|propos|decid|say|call(?:ing)? for|stress|stat|suggest|urg|warn|set(?:ting)? out|outlin|commit)"
    r"(?:e|ing)?\b"
    # "What were the main findings of the report?", "What's the outcome of the review?"
    r"|^\W*(?:and\s+)?(?:what|which)(?:['’]s|\s+(?:were|was|are|is|will be))\s+(?:the\s+)?(?:[\w-]+\s+)?"
    r"(?:findings|recommendations|conclusions|outcomes?|results?)\s+of\s+(?:the\s+|its\s+|their\s+)?"
    rf"(?P<noun>(?:(?!{_PREPOSITION})[\w’'+-]+\s+){{0,4}}?{_A_TEXT})\b"
    # "What recommendations did the final report make?", "which conclusions has the review reached?"
    r"|^\W*(?:and\s+)?(?:what|which)\s+(?:[\w-]+\s+)?(?:findings|recommendations|conclusions|proposals|commitments)\s+"
    rf"(?:did|do|does|has|have|will|would)\s+(?P<maker>(?:the\s+|its\s+|that\s+|this\s+)?(?:[\w’'-]+\s+){{0,4}}?{_A_TEXT})"
    r"\s+(?:(?:actually|eventually|finally|end(?:ed)? up)\s+)?(?:mak|reach|put forward|contain|offer|present|includ)",
    re.I,
)
# ... and a passage reports it when that text is the subject of a finite verb of finding: "The
# letter stressed …", "the Compact, in which Member States decided …"; not "Takes note of the report"
_FINDS = re.compile(
    r"\b(?:recommend|conclude|find|propose|decide|state|stress|suggest|urge|warn|note|outline|underline|"
    r"emphasi[sz]e|highlight|promote)(?:s|d|ed|es)\b|\b(?:found|said|says|sets? out|calls? for|called for|commit(?:s|ted))\b"
)
_FINDING_WINDOW = 12  # words before the verb in which the text must be named


def _text_finds(text: str, question: str) -> bool:
    """For "What did the final report recommend?": the text asked about (its last word: "report",
    "compact", "map") named within a few words before a finite verb of finding in one sentence.

    >>> _text_finds("The letter stressed the importance of safety.", "What did the letter stress?")
    True
    >>> _text_finds("Looks forward to the final report of the Advisory Body;", "What did the final report recommend?")
    False
    """
    match = _FINDING.search(asked_part(question))
    if not match:
        return True
    head = stem(words(match.group("text") or match.group("noun") or match.group("maker"))[-1])
    for verb in _FINDS.finditer(text):
        before = words(_SENTENCE_END.split(text[: verb.start()])[-1])[-_FINDING_WINDOW:]
        if head in {stem(w) for w in before}:
            return True
    return False


def _mentions(text: str, name: str) -> bool:
    """``name`` (lowercase) among the words of ``text``, or an acronym spelled by its capitalized
    words ("eu": "the European Union").

    >>> _mentions("The European Union stated", "eu"), _mentions("PAM and CGS consider", "cgs")
    (True, True)
    """
    if name in {w.lower() for w in re.findall(r"[\w-]+", text)}:
        return True
    if not 2 <= len(name) <= 6:
        return False
    initials = "".join(
        w[0] for w in re.findall(rf"{_CAPITALIZED}", text) if w.lower() not in ("of", "the", "for", "and")
    )
    return name in initials.lower()


_HONORIFIC = re.compile(
    rf"\b(?:Ambassador|Mr|Mrs|Ms|Dr|Sir|Dame|Professor|Prof|President|Minister|Judge|Senator)\.?\s+({_CAPITALIZED})"
)
_PERSON_ZIPF = 4.5  # a word of a person's name is rarer than this in general English ("Fu", "Guterres")


def _names_a_person(text: str, question: str) -> bool:
    """For "Who chairs the advisory body?": a person's name the question doesn't use — after a
    title ("Ambassador Fu"), or two capitalized words, each rare in general English ("Fu Cong";
    not "Advisory Body", "Global Digital Compact").

    >>> _names_a_person("chaired by Ambassador Fu", "Who chairs it?"), _names_a_person("Fu Cong said", "Who heads it?")
    (True, True)
    >>> _names_a_person("the High-level Advisory Body on Artificial Intelligence", "Who chairs the body?")
    False
    """
    asked = _asked_words(question)
    if any(m.group(1).lower() not in asked for m in _HONORIFIC.finditer(text)) or _names_a_country(text, question):
        return True
    zipf = english_zipf()
    for match in _NAME_PAIR.finditer(text):
        pair = [w.lower() for w in match.groups()]
        common = [max(zipf.get(part, 0.0) for part in w.split("-")) >= _PERSON_ZIPF for w in pair]  # "High-level"
        if set(pair) - asked and not any(common):
            return True
    return False


# what a body's name ends with ("the Human Rights Council", "the Department of Arms Control"),
# or the word after it ("the Artificial Intelligence for Good platform")
_ORGANIZATION_WORDS = (
    r"Agency|Assembly|Bank|Body|Board|Centre|Center|Commission|Committee|Council|Department|Forum|Fund|Group|"
    r"Institute|Ministry|Office|Organi[sz]ation|Panel|Partnership|Platform|Programme|Secretariat|Union"
)
_ORGANIZATION = re.compile(
    rf"\b(?:{_CAPITALIZED}\s+(?:(?:of|for|on|and|the)\s+)*)*(?:{_ORGANIZATION_WORDS})\b(?:\s+(?:of|on|for)\s+"
    rf"(?:the\s+)?{_CAPITALIZED}(?:\s+{_CAPITALIZED})*)?"
    rf"|\b{_CAPITALIZED}(?:\s+(?:for\s+)?{_CAPITALIZED})+\s+(?:platform|initiative|forum|programme|network|partnership)\b"
    r"|\(([A-Z]{2,6})\)"
)


def _names_an_organization(text: str, question: str) -> bool:
    """For "Which UN agency will host them?": a body named by its name ("the Human Rights
    Council", "the Department of Arms Control", "the AI for Good platform", "(PAM)") that the
    question doesn't name already — not "the specialized agencies of the United Nations system".

    >>> _names_an_organization("endorsed by the Human Rights Council", "Which body endorsed it?")
    True
    >>> _names_an_organization("specialized agencies of the United Nations system", "Which UN agency leads?")
    False
    """
    asked = _asked_words(question)
    for match in _ORGANIZATION.finditer(text):
        named = {w.lower() for w in re.findall(r"[^\W\d_]+", match.group(0))} - {"of", "for", "on", "and", "the"}
        if (
            named - asked
            and len(match.group(0).split()) > 1
            or (match.group(1) and match.group(1).lower() not in asked)
        ):
            return True
    return False


@lru_cache(maxsize=256)
def _asked_words(question: str) -> frozenset[str]:
    """The question's words, lower case, in any alphabet: the names it already uses."""
    return frozenset(w.lower() for w in re.findall(r"[^\W\d_]+", question))


# "Which country …", "In what country …": the answer names a country, not any place
# Countries asked for by name: "Which countries abstained / will host …" (the doers of an act
# are particular states), "which other / specific countries …"; not "Which countries are urged to
# cooperate?" nor "which countries does it single out?" (a category answers: "developing countries")
_COUNTRIES_NAMED = (
    r"^\W*(?:and\s+)?(?:which|what)\s+(?:(?:other|specific|particular|individual)\s+(?:[\w-]+\s+)?"
    r"(?:countries|nations|states|member states|governments)\b"
    r"|(?:(?!(?:is|are|was|were|do|does|did|have|has|had|the)\b)[\w-]+\s+)?"
    r"(?:countries|nations|states|member states|governments)\s+(?:(?:will|would|did|have|has|had)\s+)?"
    r"(?:co-?sponsor|sponsor|abstain|vote|host|sign|ratif|pledg|fund|financ|pay|paid|back|oppos|object|introduc|"
    r"propos|tabl|explain|join|endors)\w*)"
)
_COUNTRY_ASKED = re.compile(
    rf"{_ASKED_FOR}(?:country|nation|member state|government)\b|\bin (?:which|what) country\b|{_COUNTRIES_NAMED}", re.I
)


def _names_a_place(text: str, question: str) -> bool:
    """A place ("based in Geneva") or a country the question doesn't name (``_names_a_country``);
    a country only, when the question asks for one ("in the United Nations system" is no host).

    >>> _names_a_place("sponsored by the People’s Republic of China", "Which country led it?")
    True
    >>> _names_a_place("developed and developing countries", "Which country will host it?")
    False
    >>> _names_a_place("processes in the United Nations system", "Which country will host it?")
    False
    >>> _names_a_place("processes in the United Nations system", "Where will it be discussed?")
    True
    """
    if _COUNTRY_ASKED.search(asked_part(question)):
        return _names_a_country(text, question)
    return bool(_PLACE.search(text)) or _names_a_country(text, question)


def _names_a_country(text: str, question: str) -> bool:
    """A country, by any of its names, that the question doesn't name — unless the question
    names several, as choices ("Which country sponsored it, China or the US?").

    >>> _names_a_country("led by Beijing", "Who led it?"), _names_a_country("led by China", "Did China lead?")
    (True, False)
    >>> _names_a_country("led by China", "Which country led it, China or the US?")
    True
    """
    from .places import countries_in

    found = set(countries_in(text))
    asked = _countries_asked(question)
    return bool(found - asked if len(asked) < 2 else found)


@lru_cache(maxsize=256)
def _countries_asked(question: str) -> frozenset[str]:
    """The countries a question names, by any of their names (once per question)."""
    from .places import countries_in

    return frozenset(countries_in(question))


def _names_in_full(text: str, question: str) -> bool:
    """For "What is Ambassador Fu's full name?": a name of the question's written out in full,
    beside a name word the question doesn't use ("Fu Cong"); without a name in the question,
    any two name words together.

    >>> _names_in_full("Ambassador Fu Cong spoke", "What is Ambassador Fu's full name?")
    True
    >>> _names_in_full("Ambassador Fu, director-general of the Department", "What is Ambassador Fu's full name?")
    False
    >>> _names_in_full("Ambassador Fu, of the Arms Control Department", "what is ambassador fu's first name")
    False
    """
    asked = _asked_words(question)
    asked_names = {w.lower() for w in re.findall(r"(?<!^)\b[A-Z][^\W\d_]*", question.strip())} - {"what", "which"}
    # typed in lower case ("what is ambassador fu's first name"): its words the text capitalizes
    capitalized = {w.lower() for w in re.findall(_CAPITALIZED, text)}
    asked_names |= {w for w in words(question) if w in capitalized and w not in STOP_WORDS}
    for match in _NAME_PAIR.finditer(text):
        pair = [w.lower() for w in match.groups()]
        new = [w for w in pair if w not in asked and w.capitalize() not in _NOT_NAMES]
        if new and (not asked_names or set(pair) & asked_names):
            return True
    return False


def _holds(pattern: re.Pattern[str]) -> Callable[[str, str], bool]:
    """The check "the passage holds a match of ``pattern``", whatever the question."""
    return lambda text, question: bool(pattern.search(text))


@dataclass(frozen=True)
class AnswerKind:
    """What a kind of question asks for, and how to tell that a passage holds it.

    ``check(text, question)`` says whether ``text`` holds the answer's form (a date for
    "when"); ``evidence``: when the check passes, that counts towards answering at all (a
    date found is evidence; "some capitalized name" for a who-question is too weak and only
    counts against when it fails).
    """

    name: str
    pattern: re.Pattern[str]
    check: Callable[[str, str], bool]
    evidence: bool


# a person's role, as a question asks for the person ("which official", "the name of the envoy")
_ROLE = (
    r"(?:official|ambassador|diplomat|minister|delegate|representative|envoy|negotiator|spokes(?:person|man|woman)"
    r"|chair(?:man|person|woman)?|president|director|head|secretary-general)"
)
_AUXILIARY = (
    r"(?:is|are|was|were|do|does|did|has|have|had|will|would|can|could|should|must|the|a|an|kinds?|types?|sorts?)"
)
# ... where the role ends its noun phrase: "which official spoke", not "which official languages",
# "which president's statement", "what envoy programme"
_ROLE_ENDS = (
    r"(?=\s*(?:[?,.;:]|$)|\s+(?:who|that|of|from|in|at|for|with|on|mentioned|named|quoted|"
    r"is|was|are|were|do|does|did|has|had|have|will|would|can|could|spoke|speaks|said|says|made|gave|led|leads|"
    r"runs|ran|heads|chairs|wrote|writes|\w+ed)\b)"
)

# a question that is only a noun phrase ("Date of adoption?"), maybe after a lead-in ("78/311 — host city?",
# or typed tersely: "78/265 adoption date", "march resolution sponsors", "article date published")
_DOCUMENT_LEAD = (
    r"^\W*(?:(?:resolution\s+)?(?:A/RES/)?\d{2}/\d{1,4}|(?:the\s+)?(?:(?!(?:what|which|who|whose|how|why|when|where)\b)[\w-]+\s+)?"
    r"(?:article|resolution|text)(?:['’]s)?)\s+"
)
_BARE = rf"(?:^|[—–:]\s*|{_DOCUMENT_LEAD})\W*(?:and\s+)?(?:the\s+|its\s+)?"
# ... not one that asks otherwise ("Why that date?", "Whose deadline?", "Plans this year?", "Out of date?")
_NOT_A_DATE_WORD = r"(?:why|who|whose|what|which|how|is|was|this|that|last|next|out|of|the|a|an|in|on|by|for)"

# In order: the first kind whose pattern matches the question wins.
KINDS: tuple[AnswerKind, ...] = (
    AnswerKind(
        "define",
        re.compile(rf"^\W*(?:[Aa]nd\s+)?[Ww]hat (?:is|are|does|do) (?:the )?{ACRONYM}\b(?:\s+(?:stand for|mean))?\W*$"),
        lambda text, question: bool(re.search(rf"\({ACRONYM}\)", text)),
        True,
    ),
    AnswerKind(
        "definition",
        re.compile(
            r"^\W*(?:and\s+)?how (?:does|do|did) .+ define\b|\bhow (?:is|are) .+ defined\b|\bwhat is the definition of\b",
            re.I,
        ),
        _holds(_DEFINES),
        True,
    ),
    AnswerKind(
        "symbol",
        re.compile(r"\b(?:symbol|document number|A/RES number)\b", re.I),
        _holds(_UN_SYMBOL),
        True,
    ),
    AnswerKind(
        "name",
        re.compile(
            r"\b(?:first|full|last|family|given) name\b"
            # ... not "the full name of the June resolution": a title is asked
            r"(?!\s+of\s+(?:the|this|that|its)\s+(?:(?!(?:in|of|by|from|at|on|for|to|with)\b)[\w’'/-]+\s+){0,3}?"
            r"(?:resolution|text|document|draft|report|agenda|body|summit|one)\b)",
            re.I,
        ),
        lambda text, question: _names_in_full(text, question),
        True,
    ),
    AnswerKind(
        "title",
        re.compile(
            r"\b(?:title|titled|entitled)\b"
            # "What is it called?", "whats the resolution actually called", "what's the March text named"
            r"|\bwhat(?:['’]?s|\s+is|\s+was)\s+(?:it\s+|the\s+(?:[\w’'/-]+\s+){1,3}?)(?:\w+ly\s+)?(?:called|named)\b"
            # ... not "What's the first country named in the list?": a thing named in a text
            r"(?!\s+(?:in|by|among|as|on|at)\b)"
            r"|\b(?:full|official|exact) name of (?:the|this|that|its)\b"
            # "what is the name of the resolution", "what's its name"
            r"|\bwhat(?:['’]?s|\s+is|\s+was)\s+(?:the\s+name\s+of\s+(?:the|this|that)\s+(?:[\w-]+\s+)?"
            r"(?:resolution|text|document|draft|article)\b(?![’'-])(?=\W*$|\s+(?:adopted|passed|of|on|from|in)\b)"
            r"|its\s+name\b)",
            re.I,
        ),
        _holds(_TITLE),
        True,
    ),
    AnswerKind(
        "amount",
        re.compile(
            r"\bhow much\b|\bwhat (?:is|was) the (?:cost|budget|amount)\b"
            rf"|{_ASKED_FOR}(?:budget|cost|costs|dollar amount|sum|fines?|price)\b(?![’'-])(?!\s+{_COMPOUND})"
            # "How big is PAM's budget?", "78/265 — cost of the summit?", "Cost of the review?"
            rf"|\bhow (?:big|large|high)\s+(?:is|was|are|were)\s+(?:the\s+)?(?:(?!{_PREPOSITION})[\w’'-]+\s+){{0,3}}?"
            rf"(?:budget|costs?|funding|price)\b(?![’'-])(?!\s+{_COMPOUND})"
            r"|(?:^|[—–:]\s*)(?:the\s+)?(?:total\s+)?(?:cost|budget|price)\s+of\b",
            re.I,
        ),
        _holds(_MONEY),
        True,
    ),
    AnswerKind(
        "share",
        re.compile(rf"{_ASKED_FOR}(?:percentage|per ?cent|share|proportion|fraction)\b", re.I),
        _holds(_SHARE),
        True,
    ),
    AnswerKind(
        "count",
        re.compile(rf"\bhow many\b|\bnumber of\b|\bhow often\b|(?:{_BARE}|{_ASKED_FOR})population of\b", re.I),
        _counts,
        True,
    ),
    AnswerKind(
        "when",
        re.compile(
            r"^\W*(?:and\s+)?(?:when|what (?:year|date|day|month)|on what date|in (?:which|what) year|since when)\b"
            r"|\b(?:which|what)\b[^?]*\b(?:date|year)\b|^\W*(?:and\s+)?by when\b|\bin (?:which|what) month\b"
            rf"|{_SESSION_ASKED.pattern}"
            rf"|{_ASKED_FOR}(?:deadline|timeline|time ?frame|month)\b"
            # a bare noun phrase: "Adoption date of 78/311?", "Date of adoption?", "deadline for …?"
            rf"|{_BARE}(?:(?!{_NOT_A_DATE_WORD}\b)[\w-]+\s+){{0,2}}?"
            r"(?:(?:date|deadline)(?:\s+(?:of|for)\b|(?:\s+(?:published|issued|adopted|passed))?\W*$)"
            r"|year(?:\s+of\s+(?:adoption|publication)\b|\W*$))",
            re.I,
        ),
        lambda text, question: _dates(text, question),
        True,
    ),
    AnswerKind(
        # "Which earlier resolution does it build on?", "Does it reaffirm the March resolution?",
        # "How does 78/311 relate to the March one?": a passage that cites a resolution — not
        # "Who endorsed the resolution?", "Which countries endorsed it?": an actor is asked
        "citation",
        re.compile(rf"^(?!{_ACTOR_ASKED})[\s\S]*?(?:{_CITATION.pattern})", re.I),
        _holds(_CITES),
        True,
    ),
    AnswerKind(
        "organization",
        re.compile(
            # "Which UN agency will …", not "What are UN agencies asked to do?" (they are its subject)
            r"^\W*(?:and\s+)?(?:what|which)\s+(?:the\s+)?(?:[\w-]+\s+)?(?:agency|agencies|body|bodies|organi[sz]ations?|"
            r"entity|entities|department|office|"
            rf"committee|company|companies|firms?|institution|platform|forum|initiative|mechanism)\b(?!\s+{_COMPOUND})"
            # ... not "which body of law": a collection of rules, not an organization
            r"(?!\s+of\s+(?:laws?|rules|norms|principles|evidence|knowledge|research|work)\b)",
            re.I,
        ),
        lambda text, question: _names_an_organization(text, question),
        False,
    ),
    AnswerKind("finding", _FINDING, lambda text, question: _text_finds(text, question), False),
    AnswerKind("statement", _STATEMENT, lambda text, question: _speaker_says(text, question), False),
    AnswerKind(
        "person",
        re.compile(
            # "Who chairs / chaired / will chair / presided over …": holding an office (a body
            # leads, runs or directs things as often as a person: those in the present only)
            r"^\W*(?:and\s+)?who\s+(?:(?:will|would|has|had|is|was)\s+)?(?:co-)?"
            r"(?:chair(?:s|ed|ing)?|head(?:s|ed|ing)?|presid(?:e|es|ed|ing))\b"
            r"|^\W*(?:and\s+)?who\s+(?:leads|directs|runs)\b"
            r"|^\W*(?:and\s+)?who\s+(?:is|was)\s+(?:the\s+)?(?:current\s+)?(?:[\w’'-]+\s+){0,3}?"
            r"(?:chair|chairman|chairperson|head|president|director|envoy|leader|spokesperson)\b"
            # "Which PAM official …", "which American diplomat …" (not "which country's diplomat":
            # a country is asked), "What's the name of the Secretary-General's Envoy …"
            rf"|^\W*(?:and\s+)?(?:which|what)\s+(?:(?!{_AUXILIARY}\b)[\w-]+\s+){{0,2}}?{_ROLE}s?\b{_ROLE_ENDS}"
            rf"|\bname of (?:the|its|their|that|this)\s+(?:(?!{_AUXILIARY}\b)[\w’'-]+\s+){{0,2}}?{_ROLE}s?\b{_ROLE_ENDS}",
            re.I,
        ),
        lambda text, question: _names_a_person(text, question),
        False,
    ),
    AnswerKind(
        "who",
        # ... or a bare noun phrase: "Sponsor of the July resolution?", "main authors?"
        re.compile(
            rf"^{_WHO_ASKED}|{_BARE}(?:(?:main|chief|lead|original)\s+)?(?:co-?)?(?:sponsors?|authors?|drafters?)"
            r"(?:\s+(?:of|for)\b|\W*$)",
            re.I,
        ),
        lambda text, question: bool(new_names(text, question)) or _names_actors(text, question),
        False,
    ),
    AnswerKind(
        "where",
        re.compile(
            rf"^\W*(?:and\s+)?(?:where(?!\s+(?:does|do|did)\s+{_TEXT_SUBJECT}\s+{_TEXT_VERB}(?![^?]*{_PLACED})))\b"
            r"|^\W*(?:and\s+)?in (?:which|what) (?:country|city|place)\b"
            rf"|{_COUNTRIES_NAMED}"
            rf"|{_ASKED_FOR}(?:country|city|nation|venue|member state|government)\b(?![’'-])(?!\s+{_COMPOUND})"
            # ... not "which government officials / policies": a government's people or acts
            r"(?!\s+(?:officials?|representatives?|polic(?:y|ies)|actions?|support|measures?)\b)"
            # "Host city of the summit?", "capital of Fiji?", "Venue?"
            rf"|{_BARE}(?:(?:host\s+(?:city|country)|venue|location|headquarters)(?:\s+(?:of|for)\b|\W*$)|(?:capital|seat)\s+of\b)",
            re.I,
        ),
        lambda text, question: _names_a_place(text, question),
        False,
    ),
)
_BY_NAME = {kind.name: kind for kind in KINDS}
# KINDS' names
KindName = Literal[
    "define",
    "definition",
    "symbol",
    "name",
    "title",
    "amount",
    "share",
    "count",
    "when",
    "citation",
    "organization",
    "finding",
    "statement",
    "person",
    "who",
    "where",
    "other",
]


def question_kind(question: str) -> KindName:
    """What the question asks for: the first matching kind of ``KINDS``, else "other".

    >>> question_kind("When was it adopted?"), question_kind("How many states voted?")
    ('when', 'count')
    >>> question_kind("What does PAM stand for?"), question_kind("What is the resolution titled?")
    ('define', 'title')
    >>> question_kind("How much will it cost?"), question_kind("Who spoke?"), question_kind("Where is it based?")
    ('amount', 'who', 'where')
    >>> question_kind("Which resolution does it endorse?"), question_kind("Who endorsed the resolution?")
    ('citation', 'who')
    >>> question_kind("Where does it voice concern?"), question_kind("Where does the article say CGS is based?")
    ('other', 'where')
    >>> question_kind("Where does it say states should take measures?"), question_kind("Where does it take place?")
    ('other', 'where')
    >>> question_kind("Which country's resolution does it build on?")
    'citation'
    """
    asked = asked_part(question)
    for kind in KINDS:
        if kind.pattern.search(asked):
            return kind.name
    return "other"


# "According to the article, …", "Per the July resolution, …", "In 78/265, …", "The article: …",
# "The July resolution looks forward to a report — …": a lead-in that names where to look
_LEAD_IN = re.compile(
    r"^\W*(?:(?:according to|as per|per|in|under|from)\s+[^,?]{1,80},|[^:?—]{1,80}(?::|\s—|\s–|\s-)\s)\s*", re.I
)


def asked_part(question: str) -> str:
    """The question after a lead-in that only says where to look.

    >>> asked_part("According to the March resolution, when is the next summit?")
    'when is the next summit?'
    >>> asked_part("the article: what conference did they organise?"), asked_part("In which year?")
    ('what conference did they organise?', 'In which year?')
    """
    match = _LEAD_IN.match(question)
    if not match or _WH.search(match.group(0)):
        return question  # "In which country, according to …", "Which country sponsored it: China or …"
    rest = question[match.end() :]
    return rest if _ASKS.match(rest) else question


_WH = re.compile(r"\b(?:what|which|who|whom|whose|when|where|why|how)\b", re.I)
_ASKS = re.compile(
    r"\W*(?:and\s+)?(?:what|which|who|whom|whose|when|where|why|how|is|are|was|were|do|does|did|can|could|"
    r"should|will|would|has|have|had)\b",
    re.I,
)


def counted_noun(question: str) -> str | None:
    """The stem of what a "how many" question counts.

    >>> counted_noun("How many countries co-sponsored it?"), counted_noun("How many AI capacity-building centres?")
    ('countri', 'centr')
    """
    match = re.search(r"\bhow many\s+(?:\w+\s+){0,2}?(\w+)", question, re.I)
    if not match:
        return None
    after = [w for w in words(question[match.start() + 8 :]) if w not in STOP_WORDS]
    # skip adjectives such as "main" by taking the first plural-looking word, else the first
    plural = [w for w in after[:4] if w.endswith("s")]  # "how many AI capacity-building centres"
    return stem((plural or after or [""])[0]) or None


def satisfies(kind: KindName, text: str, question: str = "") -> bool | None:
    """Does ``text`` hold what a question of ``kind`` asks for? None when nothing is required.

    >>> satisfies("when", "adopted on 25 June 2024"), satisfies("count", "several states")
    (True, False)
    >>> satisfies("when", "to report at its eightieth session"), satisfies("when", "to report in due course")
    (True, False)
    >>> satisfies("count", "for three main reasons", "How many reasons are given?")
    True
    >>> satisfies("count", "adopted on 25 June 2024", "How many countries voted?")
    False
    >>> satisfies("define", "the Centre for Global Studies (CGS)"), satisfies("title", "entitled “Seizing the day”")
    (True, True)
    >>> satisfies("title", "Title: Seizing the opportunities of safe, secure and trustworthy AI systems")
    True
    >>> satisfies("title", "Agenda item: Agenda item 13 — Integrated and coordinated implementation of and follow-up")
    True
    >>> satisfies("title", "Agenda item: Agenda item 65 (a)"), satisfies("title", "Agenda item title: Peace")
    (False, True)
    >>> satisfies("title", "The Committee could not agree on a title: it deferred the matter")
    False
    >>> satisfies("amount", "a budget of $2 million"), satisfies("who", "Ambassador Fu spoke", "Who spoke?")
    (True, True)
    >>> satisfies("where", "based in Geneva"), satisfies("other", "anything") is None
    (True, True)
    >>> satisfies("citation", "Reaffirming its resolutions 78/265 of 21 March 2024")
    True
    """
    kind_ = _BY_NAME.get(kind)
    return None if kind_ is None else kind_.check(text, question)


def is_evidence(kind: KindName) -> bool:
    """Whether a passing check for ``kind`` counts towards answering."""
    kind_ = _BY_NAME.get(kind)
    return bool(kind_ and kind_.evidence)


def missing_refutes(kind: KindName, question: str) -> bool:
    """Whether a paragraph failing the check for ``kind`` cannot answer the question: the checks
    that count as evidence (a date, a number, a title …), a finding, particular countries — not
    the weaker ones ("Which organizations …" is answered by "international financial
    institutions" as well as by a name).

    >>> missing_refutes("finding", "What did the report conclude?"), missing_refutes("organization", "Which bodies?")
    (True, False)
    >>> missing_refutes("where", "Which countries objected?"), missing_refutes("where", "Where is it presented?")
    (True, False)
    """
    return (
        is_evidence(kind)
        or kind == "finding"
        or (kind == "where" and bool(_COUNTRY_ASKED.search(asked_part(question))))
    )


def is_follow_up(question: str) -> bool:
    """A question that leans on an earlier one: a pronoun, an "And …" opener, or no topic.

    >>> is_follow_up("And who endorsed it?"), is_follow_up("Who sponsored the resolution?")
    (True, False)
    >>> is_follow_up("At which plenary meeting?"), is_follow_up("At which meeting was 78/265 adopted?")
    (True, False)
    """
    lowered = question.strip().lower()
    if lowered.startswith(FOLLOW_UP_OPENERS):
        return True
    if FOLLOW_UP_WORDS.intersection(words(lowered)):
        return True
    if _ELLIPTICAL.match(lowered) and not _FINITE.search(lowered):
        return True  # "At which plenary meeting?": no verb, the rest is the question before
    return len(tokenize(question)) < 2


# a question that is only a prepositional phrase ("At which meeting?", "Under what agenda item?")
_ELLIPTICAL = re.compile(
    r"^\W*(?:at|in|on|by|for|from|under|with|during|since|until|through|via)\s+(?:which|what|whose|whom)\b"
)
_FINITE = re.compile(
    r"\b(?:is|was|are|were|be|been|do|does|did|has|have|had|will|would|can|could|should|shall|may|might|must)\b"
    r"|\b\w+(?:ed|es)\b"
)


def contextualize(question: str, history: tuple[str, ...] | list[str] = ()) -> str:
    """The earlier questions a follow-up depends on ("" for a self-contained question).

    Walks back through ``history`` (oldest first) until a self-contained question.

    >>> contextualize("And who endorsed it?", ["Who sponsored the June resolution?"])
    'Who sponsored the June resolution?'
    >>> contextualize("Who is Ambassador Fu?", ["What is PAM?"])
    ''
    """
    question = question.strip()
    context: list[str] = []
    if history and is_follow_up(question):
        for earlier in reversed([h.strip() for h in history if h and h.strip()]):
            context.insert(0, earlier)
            if not is_follow_up(earlier):
                break
    return " ".join(context)


_BACKGROUND_CLAUSE = re.compile(r"^(?:Despite|Although|Though|While|Whereas|Even though|Notwithstanding)\b[^,;]*[,;]")


_LEANS_BACK = re.compile(
    r"^\W*(?:(?:Firstly|Secondly|Thirdly|Lastly|Finally|Moreover|Furthermore|However|Also|In addition|"
    r"In this regard|To this end),?\s+)?(?i:the|this|these|that|those|it|its|they|their|he|she|his|her|such)\b"
    r"|^\W*[a-z]"
)


def leans_back(text: str) -> bool:
    """Whether a sentence or clause continues the one before it: it opens with a reference
    ("The Resolution promoted …", "Firstly, it …") or in lowercase ("to share their data;").

    >>> leans_back("Firstly, it underscores the challenges."), leans_back("to share data;")
    (True, True)
    >>> leans_back("Ambassador Fu stated it.")
    False
    """
    return bool(_LEANS_BACK.match(text))


_PRONOUN_OPENER = re.compile(
    r"^\W*(?:(?:Also|Moreover|Furthermore|In addition|In this regard|To this end),?\s+)?"
    r"(?i:it|its|this|these|that|those|they|their|such|he|she|his|her)\b(?!\s+[A-Z])"
    # ... or a phrase that points back itself: "In this regard, the Resolution resolves …"
    r"|^\W*(?:In|To|For|With|Against)\s+(?:this|that|these|those)\s+"
    r"(?:regard|respect|end|context|connection|sense|light|reason|purpose|background)\b"
)
_NOUN_OPENER = re.compile(r"^\W*(?:The|This|These|That|Those|Such)\s+([^\W\d_][\w-]*)")
_ACRONYM_OPENER = re.compile(rf"^\W*(?:The\s+)?({ACRONYM})\b")


def refers_to(sentence: str, before: str) -> bool:
    """Whether ``sentence`` carries on about what the sentence ``before`` is about: it opens
    with a pronoun ("It also called on …"), with "The/This X" where ``before`` names X ("The
    Resolution promoted …" after "… another one, a Resolution …") or with an abbreviation
    ``before`` defines ("PAM and CGS are working …" after "The Parliamentary Assembly of the
    Mediterranean (PAM) …") — not "The United States …", a new subject, and not an item of an
    enumeration ("Secondly, it …"), which is its own point.

    >>> before = "This Resolution was anticipated by another one."
    >>> refers_to("The Resolution promoted safe AI.", before), refers_to("It also called for rules.", before)
    (True, True)
    >>> refers_to("The United States endorsed it.", before), refers_to("Secondly, it reiterates it.", before)
    (False, False)
    >>> refers_to("PAM works with the UN.", "The Parliamentary Assembly of the Mediterranean (PAM) met.")
    True
    >>> refers_to("In this regard, the Resolution resolves “to bridge …”.", "Firstly, it underscores the challenges.")
    True
    """
    if _ITEM_MARKER.match(sentence):
        return False
    if _PRONOUN_OPENER.match(sentence):
        return True
    abbreviation = _ACRONYM_OPENER.match(sentence)
    if abbreviation and f"({abbreviation.group(1)})" in before:
        return True
    noun = _NOUN_OPENER.match(sentence)
    return noun is not None and stem(noun.group(1).lower()) in {stem(w) for w in words(before)}


def foreground(text: str) -> tuple[str, str]:
    """Split off a leading concessive clause ("Despite X, Y"): it is background, not the point.

    >>> foreground("Despite being sponsored by A, B endorsed it.")
    ('Despite being sponsored by A,', ' B endorsed it.')
    """
    match = _BACKGROUND_CLAUSE.match(text)
    if not match:
        return "", text
    return text[: match.end()], text[match.end() :]


def lexical_overlap(query_tokens: list[str], text_tokens: set[str], idf) -> float:
    """Idf-weighted share of the query's words found in ``text_tokens`` (0..1).

    A word the question repeats (or that an acronym's expansion repeats) counts as often.

    >>> lexical_overlap(["pam", "view"], {"pam", "cgs"}, idf=lambda t: 1.0)
    0.5
    >>> round(lexical_overlap(["pam", "pam", "view"], {"pam"}, idf=lambda t: 1.0), 3)
    0.667
    """
    counts: dict[str, int] = {}
    for token in query_tokens:
        counts[token] = counts.get(token, 0) + 1
    total = sum(idf(t) * n for t, n in counts.items())
    if total == 0:
        return 0.0
    return sum(idf(t) * n for t, n in counts.items() if t in text_tokens) / total


# The signals of one answer unit (a sentence or clause of a candidate paragraph) that rank it.
UNIT_FEATURES = (
    "dense",
    "dense_context",
    "lexical",
    "kind_ok",
    "kind_missing",
    "passage",
    "unaddressed_fact",
    "previous_answer",
    "operative",
    "preambular",
    "fact_line",
    "operative_asked",
    "preambular_asked",
    "list_asked",
)
# ... and, where the index keeps word vectors (alignment.py), how well the unit's paragraph and
# the unit itself cover the question's words, word by word in context
WORD_FEATURES = ("soft_passage", "soft_unit")


# A resolution speaks in two voices, and its markup says which paragraph speaks in which: the
# operative paragraphs ask (their verbs, from the UN's list: calls upon, encourages, requests,
# urges, invites, decides, recommends …), the preambular ones recognize, recall and explain
# (recognizing, noting, concerned, mindful, reaffirming …). A question asks in one of them: "What
# is asked of financial institutions?", "What should States do?" against "What concerns does it
# note?", "Why …?". Over the tuning sets' answerable questions about a paragraph (2026-11-28),
# the first kind of question was answered by an operative paragraph 312 times in 369, the second
# by a preambular one 156 times in 162 (all of them: 658 to 431) — but "What qualities should AI
# systems have?", "should … be" asks for a quality, not an act: 13 preambular answers to 11.
_ASKS_ACTION = re.compile(
    r"\b(?:ask(?:s|ed|ing)?|call(?:s|ed|ing)?\s+(?:up)?on|call(?:s|ed|ing)? for|urg(?:e|es|ed|ing)|"
    r"encourag(?:e|es|ed|ing)|request(?:s|ed|ing)?|invit(?:e|es|ed|ing)|expect(?:s|ed)?|want(?:s|ed)?|"
    r"(?:should|must)(?!\s+(?:[\w-]+\s+){0,3}?(?:have|be)\b)|decid(?:e|es|ed)|resolv(?:e|es|ed)|commit(?:s|ted)?|need(?:s|ed)? to|supposed to|"
    r"recommend(?:s|ed)?)\b"
    r"|(?<!have )(?<!has )\bto do\b",  # "What are States asked to do?", not "What has it to do with …?"
    re.I,
)
_ASKS_VIEW = re.compile(
    r"\b(?:recogni[sz](?:e|es|ed|ing)|notes?|noted|noting|concerns?|concerned|worr(?:y|ies|ied)|"
    r"acknowledg(?:e|es|ed|ing)|reaffirm(?:s|ed|ing)?|recall(?:s|ed|ing)?|mindful|aware|believ(?:e|es|ed)|"
    r"views?)\b",
    re.I,
)
_WHY = re.compile(r"\bwhy\b", re.I)
# ... but not of a question about what a speaker said or who someone is: an article's passages
# have no such voice, and "What did China call for?" is asked of one
_VOICELESS_KINDS = frozenset({"statement", "person", "who"})


def asked_voice(question: str, kind: str = "other") -> Literal["operative", "preambular"] | None:
    """The voice a question of ``kind`` asks in: "operative" for what a resolution asks someone
    to do, "preambular" for what it recognizes or why ("why" wins: "Why should States act?");
    None when neither, or for a question about a speaker or a person.

    >>> asked_voice("What is asked of international financial institutions?"), asked_voice("Why should States care?")
    ('operative', 'preambular')
    >>> asked_voice("What does it say concerning the committee?") is None
    True
    """
    if kind in _VOICELESS_KINDS:
        return None
    if _WHY.search(question):
        return "preambular"
    action, view = bool(_ASKS_ACTION.search(question)), bool(_ASKS_VIEW.search(question))
    return None if action == view else "operative" if action else "preambular"


# A question can ask for several things at once — "Which groups does OP 8 single out?", "What
# kinds of cooperation are listed?", "List the harms", "What qualities should AI have?" — and a
# resolution answers it with a clause that lists them ("including policy exchanges, knowledge
# sharing activities and the transfer of technology …, technical assistance, lifelong learning,
# …"), often the piece after the one that holds the question's words ("… to increase
# capacity-building cooperation,"). Whether the question asks for several (a plural asked for,
# a kind of things, "list") and how much of a list a unit is are one signal the ranking weighs.
_NOT_PLURAL = (
    r"(?!(?:does|was|has|says|means|happens|its|his|yes|stands|refers|requires|asks|calls|remains|lies|"
    r"goes|makes|gives|takes|comes|seems|covers|counts|matters|news)\b)"
)
_PLURAL = rf"{_NOT_PLURAL}[a-z][a-z-]+s(?<![sui]s)"  # not "process", "focus", "basis"
_ASKS_LIST = re.compile(
    r"^\W*(?:please\s+)?(?:list|enumerate|name)\b|\bname (?:the|some|all|any)\b"
    r"|\b(?:lists?|listed|listing|enumerat\w*)\b(?!\s+(?:under|as)\b)"
    r"|\b(?:what|which)\s+(?:[\w-]+\s+)?(?:kinds|types|forms|sorts|categories|examples)\s+of\b"
    # a plural asked for, then what asks about it: "which groups are …", "what harms from AI does …"
    rf"|\b(?:what|which)\s+(?:(?!(?:about|paragraph|part|section)\b){_NOT_PLURAL}[\w-]+\s+)?{_PLURAL}"
    r"(?=\s+(?:do|does|did|are|were|is|was|should|can|could|will|would|must|might|may|have|has|had|"
    r"from|of|in|for)\b|\s*[?,.]|\s*$)"
    # "What are the harms?", "What were its main goals?"
    rf"|\bwhat\s+(?:are|were)\s+(?:the\s+|its\s+|their\s+)?(?:[\w-]+\s+)?{_PLURAL}\b",
    re.I,
)
# an item of a list: a short phrase between commas or semicolons
_ITEM_BREAK = re.compile(r"[,;:]\s+")
_ITEM_WORDS = 4
_FEWEST_ITEMS = 3  # fewer short items than this: no list
_WHOLLY_A_LIST = 8  # this many short items or more: wholly a list


def asks_list(question: str) -> bool:
    """Does a question ask for several things (``_ASKS_LIST``)?

    >>> asks_list("Which groups are listed in OP 8?"), asks_list("what harms does it name")
    (True, True)
    >>> asks_list("What does OP 8 say?"), asks_list("Which country sponsored it?")
    (False, False)
    """
    return bool(_ASKS_LIST.search(question))


def enumeration(text: str) -> float:
    """How much of a list a unit is: its short items (at most ``_ITEM_WORDS`` words between
    commas, semicolons or colons), up to ``_WHOLLY_A_LIST``, as a share of that many; 0 for
    fewer than ``_FEWEST_ITEMS``.

    >>> enumeration("including policy exchanges, technical assistance, lifelong learning, personnel training")
    0.5
    >>> enumeration("Requests the Secretary-General, in consultation with Member States, to report to the Assembly")
    0.0
    """
    items = [piece for piece in _ITEM_BREAK.split(text) if piece.strip()]
    short = sum(1 for piece in items if len(piece.split()) <= _ITEM_WORDS)
    return min(short, _WHOLLY_A_LIST) / _WHOLLY_A_LIST if short >= _FEWEST_ITEMS else 0.0


def unit_features(
    dense: float,
    dense_context: float,
    lexical: float,
    kind_ok: bool | None,
    passage: float,
    unaddressed: bool,
    previous: bool = False,
    paragraph_kind: str | None = None,
    voice: str | None = None,
    listing: float = 0.0,
) -> dict[str, float]:
    """The named signals of a unit: its closeness to the question (and to the question with its
    context), the question's words it holds (idf-weighted), whether it holds the kind of value
    asked for (True/False/None: not a typed question), its paragraph's fused retrieval score,
    whether it is a one-line fact (record field, header line) the question does not ask for,
    for a follow-up, whether its paragraph answered the question it follows, and what its
    paragraph is, from the document's markup: an operative paragraph (what a resolution does), a
    preambular one (why), or a one-line fact; and whether that is the voice the question asks
    in (``voice``, ``asked_voice``); for a question that asks for several things, how much of a
    list the unit is (``listing``: ``enumeration``, 0 when the question asks for one).

    >>> unit_features(0.6, 0.5, 0.5, None, 1.0, False)["kind_ok"]
    0.0
    >>> unit_features(0.6, 0.5, 0.5, None, 1.0, False, False, "operative", "operative")["operative_asked"]
    1.0
    """
    return {
        "dense": max(dense, 0.0),
        "dense_context": max(dense_context, 0.0),
        "lexical": lexical,
        "kind_ok": 1.0 if kind_ok is True else 0.0,
        "kind_missing": 1.0 if kind_ok is False else 0.0,
        "passage": passage,
        "unaddressed_fact": 1.0 if unaddressed else 0.0,
        "previous_answer": 1.0 if previous else 0.0,
        "operative": 1.0 if paragraph_kind == "operative" else 0.0,
        "preambular": 1.0 if paragraph_kind == "preambular" else 0.0,
        "fact_line": 1.0 if paragraph_kind in METADATA_KINDS else 0.0,
        "operative_asked": 1.0 if paragraph_kind == voice == "operative" else 0.0,
        "preambular_asked": 1.0 if paragraph_kind == voice == "preambular" else 0.0,
        "list_asked": listing,
    }


_ORDINAL_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7}
_LAST_WORDS = frozenset({"last", "final", "lastly", "finally"})
# an item of an enumeration opens with its place and a comma: "Firstly,", "Second,", "Lastly,"
_ITEM_MARKER = re.compile(r"^\W*(first|second|third|fourth|fifth|sixth|seventh|last|final)(?:ly)?\s*,", re.IGNORECASE)


def asked_place(question: str) -> int | str | None:
    """The place in an enumeration a question asks for: 2 for "and the second reason?", "last"
    for "the final one", else None.

    >>> asked_place("What is the second reason?"), asked_place("and the last one?"), asked_place("Why?")
    (2, 'last', None)
    >>> asked_place("ok and what's reason number two"), asked_place("the 3rd point?"), asked_place("point #2")
    (2, 3, 2)
    """
    numbered = _NUMBERED_PLACE.search(question)
    if numbered:
        place = numbered.group(1) or numbered.group(2)
        return int(place) if place.isdigit() else _NUMBER_WORDS[place.lower()]
    for word in words(question):
        if word in _ORDINAL_WORDS:
            return _ORDINAL_WORDS[word]
        if word in _LAST_WORDS:
            return "last"
    return None


_FILLERS = frozenset({"ok", "okay", "so", "then", "now", "right"})
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
# "reason number two", "point #2", "no. 3", "the 2nd point": a place given as a number
_NUMBERED_PLACE = re.compile(
    r"(?:\bnumber|\bno\.|#)\s*([1-7]|one|two|three|four|five|six|seven)\b|\b([1-7])(?:st|nd|rd|th)\b", re.I
)


def item_asked(question: str) -> int | str | None:
    """The place a bare follow-up asks for, one that says nothing but the place: "and the second
    one?", "What's the first of those?", "and the last reason?" (its only content word besides
    the ordinal may name the items). None for "Was it the first text on AI?" (more than that).

    >>> item_asked("ok and what's the first one?"), item_asked("And the last one?")
    (1, 'last')
    >>> item_asked("was the june text the first resolution?") is None
    True
    """
    place = asked_place(question)
    if place is None:
        return None
    rest = [
        w
        for w in content_words(_NUMBERED_PLACE.sub(" ", question))
        if w not in _ORDINAL_WORDS and w not in _LAST_WORDS | _FILLERS
    ]
    return place if len(rest) <= 1 else None


def item_places(units: list[str]) -> list[set[int | str]]:
    """For each unit of a paragraph, its places in the paragraph's enumeration: {1} for
    "Firstly, …", {3, "last"} for the "Lastly, …" after "Firstly" and "Secondly", {} otherwise.

    >>> places = item_places(["Three reasons.", "Firstly, a.", "Also b.", "Secondly, c.", "Lastly, d."])
    >>> places[:4], places[4] == {3, "last"}
    ([set(), {1}, set(), {2}], True)
    """
    places: list[set[int | str]] = []
    count = 0
    for text in units:
        match = _ITEM_MARKER.match(text)
        if match is None:
            places.append(set())
            continue
        count += 1
        word = match.group(1).lower()
        places.append({count, "last"} if word in ("last", "final") else {_ORDINAL_WORDS[word]})
    return places


# The hand-set score of the first versions (weights summing to 1, a one-line fact the question
# does not ask for halved): what ``calibrate`` compares the fitted ranking against.
HAND_WEIGHTS = {"dense": 0.28, "context": 0.12, "lexical": 0.2, "kind": 0.12, "passage": 0.28}


def hand_score(f: dict[str, float]) -> float:
    """The hand-set unit score.

    >>> round(hand_score(unit_features(0.6, 0.5, 0.5, None, 1.0, False)), 3)
    0.668
    """
    w = HAND_WEIGHTS
    kind = 0.5 + 0.5 * f["kind_ok"] - 0.5 * f["kind_missing"]
    score = (
        w["dense"] * f["dense"]
        + w["context"] * f["dense_context"]
        + w["lexical"] * f["lexical"]
        + w["kind"] * kind
        + w["passage"] * f["passage"]
    )
    return score * (0.5 if f["unaddressed_fact"] else 1.0)


# How a unit stands among the question's other candidate units, for the ranking's trees: for
# each of these signals, its gap to the best candidate's and how many candidates exceed it. A
# dense score of 0.45 is the best match for one question and a weak one for the next; a model
# that scores each unit alone cannot tell them apart, trees over these can (out of fold, 3,868
# questions: unit@1 0.834 for the listwise weights, 0.810 for trees without these, 0.878 with).
RELATIVE_SIGNALS = ("dense", "dense_context", "lexical", "passage", "soft_passage", "soft_unit")


def relative_names(names) -> tuple[str, ...]:
    """The signals the ranking's trees read: ``names`` and, for those of RELATIVE_SIGNALS, their
    gap to the best candidate and the number of candidates ahead.

    >>> relative_names(("dense", "kind_ok"))
    ('dense', 'kind_ok', 'dense_gap', 'dense_behind')
    """
    names = tuple(names)
    return (
        *names,
        *(f"{n}_gap" for n in RELATIVE_SIGNALS if n in names),
        *(f"{n}_behind" for n in RELATIVE_SIGNALS if n in names),
    )


def with_relative(group: list[dict[str, float]]) -> list[dict[str, float]]:
    """Each candidate's signals with where it stands among ``group`` (``relative_names``).

    >>> [(f["dense_gap"], f["dense_behind"]) for f in with_relative([{"dense": 0.5}, {"dense": 0.3}, {"dense": 0.5}])]
    [(0.0, 0.0), (-0.2, 2.0), (0.0, 0.0)]
    """
    present = [n for n in RELATIVE_SIGNALS if group and n in group[0]]
    negated = {n: sorted(-f[n] for f in group) for n in present}  # best first
    out = []
    for f in group:
        extra = {}
        for n in present:
            extra[f"{n}_gap"] = round(f[n] + negated[n][0], 12)
            extra[f"{n}_behind"] = float(bisect_left(negated[n], -f[n]))  # those strictly ahead
        out.append({**f, **extra})
    return out


@dataclass(frozen=True)
class Ranking:
    """How answer units are ranked: p(the unit holds the answer), fitted by ``calibrate`` on the
    tuning questions' candidate units (one row per unit, labelled by whether it holds a gold
    answer) — either sigmoid(bias + weights · features) (``fit_listwise``) or boosted ``trees``
    over the signals and where each unit stands among the question's candidates
    (``with_relative``); ``weights`` None and no trees is the hand-set score (``hand_score``)."""

    weights: dict[str, float] | None = None
    bias: float = 0.0
    trees: Trees | None = None  # with weights too: the trees rank, the weights give ``closeness``

    @property
    def names(self) -> tuple[str, ...]:
        """The unit signals it weighs (without the relative ones)."""
        if self.trees is not None:
            return tuple(n for n in (*UNIT_FEATURES, *WORD_FEATURES) if n in self.trees.names)
        return tuple(self.weights or ())

    @property
    def uses_words(self) -> bool:
        return any(name in WORD_FEATURES for name in self.names)

    def scores(self, group: list[dict[str, float]]) -> list[float]:
        """The score of each of a question's candidate units (``group``: all of them).

        >>> Ranking({"dense": 2.0}, -1.0).scores([{"dense": 0.5}, {"dense": 1.0}])
        [0.5, 0.7310585786300049]
        """
        if self.trees is not None:
            return [self.trees.probability(f) for f in with_relative(group)]
        return self.closeness(group)

    def closeness(self, group: list[dict[str, float]]) -> list[float]:
        """How close each unit comes on its own signals, on the scale of the listwise weights
        (the hand-set score without them): what the rules that compare scores as ratios — a
        piece close to the best one, the sentence after it, the UN's own text near the top —
        were tuned on. The trees push the runners-up far below the best (they weigh how many
        are ahead), which would turn those rules off.

        >>> Ranking({"dense": 2.0}, -1.0).closeness([{"dense": 0.5}])
        [0.5]
        """
        if not self.weights:
            return [hand_score(f) for f in group]
        return [logistic(self.weights, self.bias, f) for f in group]

    def to_json(self) -> dict | None:
        if self.trees is not None:
            # "signals": what the trees' nodes index, in order, checked on load
            weights = {"weights": {n: self.weights[n] for n in self.names}, "bias": self.bias} if self.weights else {}
            return {
                "form": "trees",
                "features": list(self.names),
                "signals": list(self.trees.names),
                **weights,
                **self.trees.to_json(),
            }
        if self.weights is None:
            return None
        features = [name for name in (*UNIT_FEATURES, *WORD_FEATURES) if name in self.weights]
        return {"features": features, "weights": {name: self.weights[name] for name in features}, "bias": self.bias}

    @classmethod
    def from_json(cls, raw: dict | None, name: str, fix: str) -> Ranking:
        if raw is None:
            return cls()
        known = (list(UNIT_FEATURES), [*UNIT_FEATURES, *WORD_FEATURES])
        features = raw.get("features", [])
        form = raw.get("form", "logistic")
        weights = raw.get("weights") or {}
        if (
            form not in ("logistic", "trees")
            or set(features) not in (set(known[0]), set(known[1]))
            or ((form == "logistic" or weights) and set(weights) != set(features))
        ):
            raise CalibrationError(
                f"{name} ranks answers on features {features} ({form}), this version uses {known[0]} "
                f"(and {list(WORD_FEATURES)} with word vectors), as weights or trees — {fix}"
            )
        if form == "trees":
            signals = relative_names(n for n in (*UNIT_FEATURES, *WORD_FEATURES) if n in features)
            if raw.get("signals") != list(signals):
                raise CalibrationError(
                    f"{name}: its ranking trees read the signals {raw.get('signals')}, this version gives {list(signals)} — {fix}"
                )
            try:
                trees = Trees.from_json(raw, list(signals), f"{name} (ranking)")
                return cls({k: float(v) for k, v in weights.items()} or None, float(raw.get("bias", 0.0)), trees)
            except TreesError as exc:
                raise CalibrationError(f"{exc} — {fix}") from None
        return cls({k: float(v) for k, v in weights.items()}, float(raw.get("bias", 0.0)))


def logistic(weights: dict[str, float], bias: float, features: dict[str, float]) -> float:
    """sigmoid(bias + weights · features), over the weights' names.

    >>> logistic({"a": 2.0}, -1.0, {"a": 0.5, "b": 9.0})
    0.5
    """
    z = bias + sum(weight * features[name] for name, weight in weights.items())
    return 1.0 / (1.0 + math.exp(-max(min(z, 60.0), -60.0)))


def fit_logistic(
    rows: list[dict[str, float]],
    labels: list[int],
    names: tuple[str, ...],
    negative_weight: float = 1.0,
    l2: float = 0.01,
    steps: int = 5000,
) -> tuple[dict[str, float], float]:
    """Logistic regression by gradient descent on the mean loss: (weights by name, bias)."""
    import numpy as np

    x = np.array([[r[name] for name in names] for r in rows], dtype=np.float64)
    w, b = _logistic_fit(x, np.array(labels, dtype=np.float64), negative_weight, l2, steps)
    return dict(zip(names, map(float, w), strict=True)), b


def _logistic_fit(x, y, negative_weight: float, l2: float, steps: int, start=None) -> tuple:
    """``fit_logistic`` on arrays (rows × signals, labels): (weights array, bias); ``start``: the
    weights to begin from (default zeros)."""
    import numpy as np

    weight = np.where(y == 1, 1.0, negative_weight)
    w = np.zeros(x.shape[1]) if start is None else np.array(start, dtype=np.float64)
    b = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
        grad = weight * (p - y)
        w -= 0.5 * (x.T @ grad / len(y) + l2 * w)
        b -= 0.5 * grad.mean()
    return w, float(b)


def fit_listwise(
    groups: list[list[dict[str, float]]],
    labels: list[list[int]],
    names: tuple[str, ...],
    l2: float = 0.01,
    steps: int = 1500,
) -> tuple[dict[str, float], float]:
    """A ranking fitted to put a right unit first: the softmax over each question's candidate
    units (listwise, ListNet-style) pulled towards its right ones, on standardized signals; then
    scaled to a probability (Platt: one logistic fit of the ranking score to every unit's label),
    so that the score stays p(the unit holds the answer) for the rules that compare scores.
    Questions without a right unit only count in the scaling. Returns (weights by name, bias).

    >>> weights, bias = fit_listwise([[{"a": 1.0}, {"a": 0.0}], [{"a": 0.2}, {"a": 0.9}]], [[1, 0], [0, 1]], ("a",))
    >>> weights["a"] > 0
    True
    """
    import numpy as np

    if len(groups) != len(labels) or any(len(g) != len(y) for g, y in zip(groups, labels, strict=True)):
        raise ValueError("fit_listwise needs one label per candidate unit of every question")
    rows = [
        (np.array([[f[n] for n in names] for f in group], np.float64), np.array(y, np.float64))
        for group, y in zip(groups, labels, strict=True)
        if group
    ]
    if not rows:
        raise ValueError("fit_listwise needs at least one question with candidate units")
    everything = np.vstack([x for x, _ in rows])
    mean, scale = everything.mean(axis=0), everything.std(axis=0) + 1e-9
    ranked = [(x, y) for x, y in rows if y.any()]
    width = max((len(y) for _, y in ranked), default=0)  # no right unit anywhere: weights stay 0
    x = np.zeros((len(ranked), width, len(names)))
    mask = np.zeros((len(ranked), width), bool)
    target = np.zeros((len(ranked), width))
    for i, (xi, yi) in enumerate(ranked):
        x[i, : len(yi)] = (xi - mean) / scale
        mask[i, : len(yi)] = True
        target[i, : len(yi)] = yi / yi.sum()
    w = np.zeros(len(names))
    for _ in range(steps if ranked else 0):
        z = np.where(mask, x @ w, -np.inf)
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        w -= 0.5 * (np.einsum("qu,quk->k", p - target, x) / len(ranked) + l2 * w)
    raw = w / scale  # the same ranking on the signals as they come (a constant shift ranks alike)
    score = everything @ raw
    y = np.concatenate([y for _, y in rows])
    centre, spread = score.mean(), score.std() + 1e-9
    (a,), b = _logistic_fit(((score - centre) / spread)[:, None], y, 1.0, 0.0, 2000, start=[1.0])
    weights = raw * a / spread
    return dict(zip(names, map(float, weights), strict=True)), float(b - a * centre / spread)


def specificity(word: str) -> float:
    """How much a word says about a topic: 7 minus its Zipf frequency in general English.

    Common words ("put", "full", "date") score low, topical ones ("sourdough", "GDPR") high;
    it weights the words of a question the corpus does or doesn't know.

    >>> specificity("the") < specificity("nuclear") < specificity("sourdough")
    True
    """
    if word.isalpha() and word.islower():
        zipf = english_zipf().get(word, 0.0)
    else:  # wordfreq's own tokenizer for anything else (digits, apostrophes, capitals …)
        from wordfreq import zipf_frequency

        zipf = zipf_frequency(word, "en")
    return max(0.5, 7.0 - zipf)


# Nouns that name the kind of answer wanted ("What date …", "Which country …"), not its topic:
# the passage that answers holds a date or a country, not the word.
ANSWER_TYPE_WORDS = frozenset(
    ["date", "dates", "day", "days", "month", "months", "year", "years", "time", "number", "numbers", "amount"]
    + ["name", "names", "title", "titles", "country", "countries", "city", "place"]
    # ... the form of a quotation: a passage that quotes need not say "quote"
    + ["quote", "quotes", "quoted", "quoting", "quotation", "quotations", "verbatim"]
)
# Of those, the ones that are often the topic instead ("gaps inside countries"): an answer type
# only right after an asking word ("Which country …", "how many countries", "what two cities").
_TOPICAL_TYPES = frozenset(["country", "countries", "city", "place"])
_ASKING = frozenset(["what", "which", "whose", "many", "much"])
_HOW_WORDS = frozenset(["many", "much", "often", "long", "far"])
_TYPE_MODIFIERS = frozenset(["full", "official", "exact", "precise", "complete", "specific", "actual", "formal"])


def answer_type_stems(question: str) -> frozenset[str]:
    """Stems of the nouns that name the kind of answer wanted, where they do: a passage that
    answers "Which country sponsored it?" names a country, it need not say "country".

    >>> sorted(answer_type_stems("Which country sponsored it, and on what date?"))
    ['countri', 'date']
    >>> sorted(answer_type_stems("Does it deal with gaps inside countries?"))
    []
    """
    tokens = words(question)
    return frozenset(stem(w) for w in tokens if w in ANSWER_TYPE_WORDS) - {stem(w) for w in content_words(question)}


def content_words(question: str) -> list[str]:
    """The words that say what a question is about: not stop words, and not the noun that names
    the kind of answer wanted.

    >>> content_words("Which country backed the gaps inside countries?")
    ['backed', 'gaps', 'inside', 'countries']
    >>> content_words("On what date was it adopted?")
    ['adopted']
    >>> content_words("What is the full title of it?"), content_words("How many SDGs does it list?")
    ([], ['sdgs', 'list'])
    """
    tokens = words(question)
    out = []
    for i, word in enumerate(tokens):
        if word in STOP_WORDS or (word in _HOW_WORDS and i > 0 and tokens[i - 1] == "how"):
            continue  # ... "how many", "how much": the asking words
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        if word in _TYPE_MODIFIERS and following in ANSWER_TYPE_WORDS and following not in _TOPICAL_TYPES:
            continue  # "the full title", "the exact date": part of the kind of answer wanted
        if word in ANSWER_TYPE_WORDS and (
            word not in _TOPICAL_TYPES or _ASKING.intersection(tokens[max(0, i - 2) : i])
        ):
            continue
        out.append(word)
    return list(dict.fromkeys(out))


def unknown_share(question: str, known_stems) -> float:
    """Specificity-weighted share of the question's content words the corpus never uses.

    >>> round(unknown_share("capital of France", {"capit"}), 2)
    0.51
    >>> unknown_share("What date is on it?", set())
    0.0
    """
    weights = {w: specificity(w) for w in content_words(question)}
    total = sum(weights.values())
    if not total:
        return 0.0
    return sum(v for w, v in weights.items() if stem(w) not in known_stems) / total


def unknown_max(question: str, known_stems) -> float:
    """How topical the most topical content word of a question the corpus never uses is
    (``specificity`` / 7; 0 when the corpus knows every word): one such word ("weather",
    "population", "Bletchley") says more than its share of the question does.

    >>> round(unknown_max("What's the population of Malta?", {"malta"}), 2)
    0.28
    >>> unknown_max("What does it say about capacity?", {"capac"})
    0.0
    """
    unknown = [specificity(w) for w in content_words(question) if stem(w) not in known_stems]
    return max(unknown, default=0.0) / 7.0


_NAME = re.compile(r"(?<!^)(?<![.?!]\s)\b(?:[A-Z][a-z]+(?:[A-Z][a-z]+)*|[A-Z]{2,}s?)\b")


def unknown_names(question: str, known_stems) -> float:
    """Share of the names in a question (capitalized words, acronyms) the corpus never uses.

    A name the documents never mention ("France", "FIFA", "NATO") is strong evidence that
    they cannot answer; 0 when the question names nothing.

    >>> unknown_names("Who won the FIFA World Cup?", {"world", "cup"})
    0.3333333333333333
    >>> unknown_names("Who sponsored the July resolution?", set())
    0.0
    """
    # a capital or demonym stands for its country, whose name the search adds (places.with_country_names);
    # a month is a date, not a name ("the July resolution": whether it fits is date_conflict's question)
    names = [
        n.lower()
        for n in _NAME.findall(question.strip())
        if not _stands_for_a_country(n) and n.lower() not in _MONTH_FORMS
    ]
    if not names:
        return 0.0
    return sum(1 for n in names if stem(n) not in known_stems) / len(names)


def _stands_for_a_country(name: str) -> bool:
    from .places import country_of, normalize

    country = country_of(name)
    return country is not None and country != normalize(name)


ABSTAIN_FEATURES = (
    "dense",
    "passage_dense",
    "coverage",
    "rare_coverage",
    "unknown",
    "unknown_names",
    "unknown_max",
    "kind_missing",
    "kind_match",
    "dense_gap",
    # a follow-up answered from the paragraph that answered the question before ("And what
    # can those gaps lead to?"): it says less in its own words than a question asked afresh
    "follows_on",
    "date_conflict",
    "asks_value",
    "asks_actor",
    "asks_citation",
    "asks_said",
)
# What a question asks for, by its kind (``question_kind``), in four groups: a value (a date, a
# count, an amount, a symbol, a name, a title, a definition), an actor (who, a person, an
# organization, a place), a text it cites, or what someone said or found; none for the rest. The
# boosted trees learn how much the other signals say for each (out of fold, 3,684 questions:
# accuracy 0.9245 → 0.9294, abstains when it should 0.799 → 0.833; every kind apart: no better).
ACTOR_KINDS = ("who", "person", "organization", "where")  # the kinds that ask for someone (or a place)
_ASKED_GROUP = {
    **dict.fromkeys(
        ("when", "count", "amount", "share", "symbol", "name", "title", "define", "definition"), "asks_value"
    ),
    **dict.fromkeys(ACTOR_KINDS, "asks_actor"),
    "citation": "asks_citation",
    **dict.fromkeys(("statement", "finding"), "asks_said"),
}
# ... and, where the index keeps word vectors, the best unit's word coverage (alignment.py): of
# its paragraph and of itself, on average and for the question's two rarest words
ABSTAIN_WORD_FEATURES = ("soft_passage", "soft_passage_rare", "soft_unit", "soft_unit_rare")


def interactions(names: tuple[str, ...] | list[str]) -> list[str]:
    """The names of the pairwise products of signals (each with itself too) that an abstention
    model with interactions weighs beside the signals themselves: "kind_missing*dense" lets a
    missing answer kind count for more when the passage is otherwise a weak match, which one
    weight per signal cannot say.

    >>> interactions(("a", "b"))
    ['a*a', 'a*b', 'b*b']
    """
    return [f"{a}*{b}" for a, b in _pairs(names)]


def _pairs(names) -> list[tuple[str, str]]:
    """Each signal with itself and with every one after it, in ``names``' order."""
    return [(a, b) for i, a in enumerate(names) for b in names[i:]]


def with_interactions(features: dict[str, float], names: tuple[str, ...] | list[str]) -> dict[str, float]:
    """``features`` and the products of ``names`` among them (``interactions``).

    >>> with_interactions({"a": 2.0, "b": 3.0}, ("a", "b"))
    {'a': 2.0, 'b': 3.0, 'a*a': 4.0, 'a*b': 6.0, 'b*b': 9.0}
    """
    return features | {f"{a}*{b}": features[a] * features[b] for a, b in _pairs(names)}


GAP_UNIT = 0.2  # dense_gap in units of this much cosine: on the 0..2 scale of the other signals


def dense_gap(scores) -> float:
    """How far the closest candidate passage stands above the next nine (their mean), by the
    question's vector: a query-performance signal. A question the documents answer tends to have
    one passage clearly closest; an unanswerable near-topic question has many about equally close.

    >>> round(dense_gap([0.7, 0.4, 0.4]), 2), dense_gap([0.5])
    (1.5, 0.0)
    """
    top = sorted(scores, reverse=True)[:10]
    if len(top) < 2:
        return 0.0
    return (top[0] - sum(top[1:]) / (len(top) - 1)) / GAP_UNIT


def rare_coverage(question: str, chunk_stems, document_frequency: dict[str, int], passages: int) -> float:
    """Share of the question's content words the passage holds, each weighted by its rarity in
    these documents (BM25's idf): a passage that holds the common words of a question but not
    its rare one ("judicial", "donors") is a weak answer, however well the rest matches.

    >>> df = {"court": 1, "intellig": 90, "artifici": 90}
    >>> round(rare_coverage("artificial intelligence in courts", {"artifici", "intellig"}, df, 100), 2)
    0.05
    """
    weights = {
        w: math.log((passages + 1) / (document_frequency.get(stem(w), 0) + 0.5)) for w in content_words(question)
    }
    total = sum(weights.values())
    if total <= 0:
        return 1.0
    return sum(v for w, v in weights.items() if stem(w) in chunk_stems) / total


_TOKEN = re.compile(r"[0-9A-Za-z\u00C0-\u024F’'/-]+|[^\w\s]")
# "whether or not", "193 or more", "either … or": an "or" that offers no choice of things
_NOT_A_CHOICE = frozenset(["whether", "not", "more", "less", "fewer", "so", "else", "either", "otherwise"])
_ALTERNATIVE_WORDS = 2  # at most, when not a name ...
_NAME_WORDS = 4  # ... and when one
_LEADS_AN_ALTERNATIVE = STOP_WORDS - _NOT_A_CHOICE  # skipped after "or": "or by a recorded vote"
_ENDS_AN_ALTERNATIVE = STOP_WORDS | _NOT_A_CHOICE


def _named(token: str) -> bool:
    return any(c.isupper() for c in token)


def _alternative(tokens: list[re.Match[str]], at: int, step: int) -> list[int]:
    """The alternative beside the "or" at ``tokens[at]`` (``step`` -1 before it, +1 after it), as
    its tokens' indexes: a name's capitalized words ("the Security Council"), else the word next
    to it — after "or", up to two words, stop words that lead them skipped ("or by a recorded
    vote"). Empty when a mark, a number or a word that makes "or" no choice is next to it."""
    i = at + step
    while step > 0 and i < len(tokens) and tokens[i].group(0).lower() in _LEADS_AN_ALTERNATIVE:
        i += step
    found: list[int] = []
    while 0 <= i < len(tokens) and len(found) < _NAME_WORDS:
        token = tokens[i].group(0)
        if not token[0].isalpha() or token.lower() in _ENDS_AN_ALTERNATIVE or _NUMBER.fullmatch(token):
            break
        if found and (
            _named(token) != _named(tokens[found[0]].group(0))
            or (not _named(token) and len(found) >= _ALTERNATIVE_WORDS)
        ):
            break
        if found and not _named(token) and step < 0:
            break  # before "or", one word: "military or civilian", not "address military or …"
        found.append(i)
        i += step
    if i < len(tokens) and i >= 0 and tokens[i].group(0).lower() in _NOT_A_CHOICE:
        return []
    return sorted(found)


def without_unchosen(question: str, held: set[str]) -> str:
    """A question that offers a choice ("adopted by consensus or by a recorded vote?", "the
    Security Council or the General Assembly?") without the alternatives a passage doesn't hold,
    when it holds another: the alternative not chosen is not a word the answer lacks. ``held``:
    the passage's word stems; an alternative is held when all its words are.

    >>> without_unchosen("Which organ adopted it, the Security Council or the General Assembly?", {"general", "assembl"})
    'Which organ adopted it, the or the General Assembly?'
    >>> without_unchosen("Did Mexico or Argentina speak?", {"speak"})
    'Did Mexico or Argentina speak?'
    """
    tokens = list(_TOKEN.finditer(question))
    dropped: set[int] = set()
    for at, token in enumerate(tokens):
        if token.group(0).lower() != "or":
            continue
        sides = [_alternative(tokens, at, -1), _alternative(tokens, at, 1)]
        if not all(sides):
            continue
        holds = [all(stem(w) in held for i in side for w in words(tokens[i].group(0))) for side in sides]
        if any(holds) and not all(holds):
            dropped.update(sides[holds.index(False)])
    if not dropped:
        return question
    kept = [
        question[t.start() : tokens[i + 1].start() if i + 1 < len(tokens) else t.end()]
        for i, t in enumerate(tokens)
        if i not in dropped
    ]
    return "".join(kept).strip()


def abstention_features(query, best, retriever, candidates) -> dict[str, float]:
    """The signals of the best answer that decide whether to answer at all (names above).

    ``query`` is a query.Query, ``best`` an answers.RankedPassage, ``retriever`` the Retriever,
    ``candidates`` the retrieval.Hit list the answer was chosen from.
    """
    unit = best.best
    chunk_stems = set(retriever.tokens(best.chunk.words_text))
    # ... a question that offers a choice, without the alternative the passage doesn't hold
    question = without_unchosen(retriever.spelled_out(query.search_question), chunk_stems)
    context = (
        question
        if query.search_context == query.search_question
        else without_unchosen(retriever.spelled_out(query.search_context), chunk_stems)
    )
    words = {name: unit.features[name] for name in ABSTAIN_WORD_FEATURES if unit.features and name in unit.features}
    # the words of the documents the question names, or of all
    known = retriever.scope_words(query.sources, query.symbols)
    return {
        **words,
        "dense": max(unit.dense, unit.dense_context),
        "passage_dense": best.hit.dense,
        "coverage": 1.0 - unknown_share(context, chunk_stems),
        "rare_coverage": rare_coverage(
            question, chunk_stems, retriever.document_frequency, max(1, len(retriever.data.chunks))
        ),
        "unknown": unknown_share(question, known),
        "unknown_max": unknown_max(question, known),
        "unknown_names": unknown_names(question, known),
        "kind_missing": 1.0 if unit.kind_ok is False else 0.0,
        "kind_match": 1.0 if unit.kind_ok is True and is_evidence(query.kind) else 0.0,
        "dense_gap": dense_gap([hit.dense for hit in candidates]),
        "follows_on": unit.features.get("previous_answer", 0.0) if unit.features else 0.0,
        "date_conflict": 1.0
        if date_conflict(_asked_months(query, retriever), best.chunk.text, _asked_years(query, retriever))
        else 0.0,
        **{
            name: 1.0 if _ASKED_GROUP.get(query.kind) == name else 0.0
            for name in ABSTAIN_FEATURES
            if name.startswith("asks_")
        },
    }


def _asked_months(query, retriever) -> frozenset[str]:
    """The months a question (or, for a follow-up, the questions before it) asks about, less
    those of the documents it names by their month ("What is the March text?" asks about 78/265,
    not about March)."""
    from .query import named_by_month

    asked = months(query.search_question) or months(query.topic_context or query.context)
    documents = retriever.data.documents
    # ... a month that names a resolution names it even where the article is asked ("According
    # to the article, who sponsored the July resolution?": the article dates it 25 June)
    named = query.symbols | named_by_month(query.text, documents) | named_by_month(query.context, documents)
    adopted = {MONTHS[int(d.date[5:7]) - 1] for d in documents if d.symbol in named and d.date}
    return asked - adopted


def _asked_years(query, retriever) -> frozenset[str]:
    """The years a question (or, for a follow-up, the questions before it) asks about, less the
    years any of the documents was adopted in: "the March 2024 resolution" names a document, and
    its paragraph that takes note of a 2021 text is no answer about another year. (So a year
    is only a reason to refuse when no document is of that year: "What happened in 2024?" is
    none here, and over the whole Assembly, 2020–2026, almost no year is one.)"""
    asked = years(query.search_question) or years(query.topic_context or query.context)
    return asked - {document.date[:4] for document in retriever.data.documents if document.date}


def _in_signal_order(names) -> list[str]:
    """The abstention signals among ``names``, in the order of ABSTAIN_FEATURES then
    ABSTAIN_WORD_FEATURES: the products of a model are named in that order ("dense*coverage"),
    however the signals were listed when it was fitted or written."""
    return [name for name in (*ABSTAIN_FEATURES, *ABSTAIN_WORD_FEATURES) if name in names]


class CalibrationError(ValueError):
    """The abstention model on disk does not fit this code or this embedding model."""


@dataclass(frozen=True)
class Calibration:
    """A fitted abstention model: a logistic one, p(answerable) = sigmoid(bias + sum(weights *
    features)), where the features are the signals and, with ``interacting``, their pairwise
    products; or boosted ``trees`` over the signals (boosting.py)."""

    weights: dict[str, float]
    bias: float
    threshold: float = 0.5
    ranking: Ranking = Ranking()  # how answer units are ranked (fitted by the same command)
    # the models for an index without word vectors (alignment.WORD_VECTOR_PASSAGES), when these
    # weigh the word signals
    plain: Calibration | None = None
    interacting: tuple[str, ...] = ()  # the signals whose pairwise products are weighed too
    trees: Trees | None = None  # instead of the weights

    @property
    def signals(self) -> list[str]:
        """The signals the model reads (without the products)."""
        return _in_signal_order(self.trees.names if self.trees else self.weights)

    @property
    def uses_words(self) -> bool:
        return self.ranking.uses_words or any(name in self.signals for name in ABSTAIN_WORD_FEATURES)

    def for_index(self, has_words: bool) -> Calibration:
        """The models for an index with (or without) word vectors."""
        return self if has_words or self.plain is None else self.plain

    @classmethod
    def unfitted(cls, ranking: Ranking | None = None) -> Calibration:
        """Every weight 0 (p = 0.5 for every question) and ``ranking`` (default: the hand-set
        one): what ``calibrate`` asks with, so that it can refit a calibration that no longer
        matches the features."""
        return cls(weights=dict.fromkeys(ABSTAIN_FEATURES, 0.0), bias=0.0, ranking=ranking or Ranking())

    def probability(self, features: dict[str, float]) -> float:
        if self.trees:
            return self.trees.probability(features)
        if self.interacting:
            features = with_interactions(features, self.interacting)
        return logistic(self.weights, self.bias, features)

    def to_json(self) -> dict:
        features = self.signals
        if self.trees:
            # the trees name signals by their place in "features": the order they were fitted in
            out = {"features": list(self.trees.names), "form": "trees", **self.trees.to_json()}
        else:
            out = {
                "features": features,
                "interactions": bool(self.interacting),
                "weights": {name: self.weights[name] for name in (*features, *interactions(self.interacting))},
                "bias": self.bias,
            }
        out |= {"threshold": self.threshold, "ranking": self.ranking.to_json()}
        if self.plain is not None:
            out["without_words"] = self.plain.to_json()
        return out

    @classmethod
    def from_json(cls, raw: dict, name: str, model_sha256: str | None = None) -> Calibration:
        """Load a calibration, checked like an index: same features, same model, or a clear error."""
        fix = 'run "python -m resolution_qa calibrate --plan eval/sets.json" to refit it'
        known = (list(ABSTAIN_FEATURES), [*ABSTAIN_FEATURES, *ABSTAIN_WORD_FEATURES])
        features = list(raw.get("features", []))
        if set(features) not in (set(known[0]), set(known[1])):
            raise CalibrationError(
                f"{name} was fitted on features {raw.get('features')}, this version uses {known[0]} "
                f"(and {list(ABSTAIN_WORD_FEATURES)} with word vectors) — {fix}"
            )
        if model_sha256 and raw.get("model_sha256") not in (None, model_sha256):
            raise CalibrationError(
                f"{name} was fitted with another embedding model ({raw.get('model_sha256')}) — {fix}"
            )
        plain = raw.get("without_words")
        common = {
            "threshold": float(raw.get("threshold", 0.5)),
            "ranking": Ranking.from_json(raw.get("ranking"), name, fix),
            "plain": None if plain is None else cls.from_json(plain, f"{name} (without_words)", model_sha256),
        }
        if raw.get("form", "logistic") not in ("logistic", "trees"):
            raise CalibrationError(f'{name}: \'form\' must be "logistic" or "trees", not {raw["form"]!r} — {fix}')
        if raw.get("form") == "trees":
            try:
                trees = Trees.from_json(raw, features, name)
            except TreesError as exc:
                raise CalibrationError(f"{exc} — {fix}") from None
            return cls._checked(cls(weights={}, bias=0.0, trees=trees, **common), name, fix)
        weights = raw.get("weights", {})
        if raw.get("interactions", False) not in (True, False):
            raise CalibrationError(f"{name}: 'interactions' must be true or false, not {raw['interactions']!r} — {fix}")
        interacting = tuple(_in_signal_order(features)) if raw.get("interactions") else ()
        names = [*features, *interactions(interacting)]
        if set(weights) != set(names) or not isinstance(raw.get("bias"), int | float):
            raise CalibrationError(f"{name} lacks weights or bias — {fix}")
        calibration = cls(
            weights={k: float(weights[k]) for k in names}, interacting=interacting, bias=float(raw["bias"]), **common
        )
        return cls._checked(calibration, name, fix)

    @staticmethod
    def _checked(calibration: Calibration, name: str, fix: str) -> Calibration:
        if calibration.uses_words and (calibration.plain is None or calibration.plain.uses_words):
            raise CalibrationError(f"{name} weighs word signals but has no models for indexes without them — {fix}")
        return calibration


CALIBRATION_FILE = "calibration.json"


@lru_cache(maxsize=4)
def default_calibration(model_sha256: str | None = None) -> Calibration:
    """The calibration shipped with the package (written by the ``calibrate`` command)."""
    raw = json.loads(resources.files(__package__).joinpath(CALIBRATION_FILE).read_text(encoding="utf-8"))
    return Calibration.from_json(raw, CALIBRATION_FILE, model_sha256)


def fit_calibration(
    rows: list[dict[str, float]],
    labels: list[int],
    abstain_weight: float = 1.0,
    l2: float = 0.01,
    steps: int = 5000,
    ranking: Ranking | None = None,
    names: tuple[str, ...] = ABSTAIN_FEATURES,
    interacting: bool = False,
) -> Calibration:
    """Fit the logistic model by gradient descent (features are already on 0..1 scales), on the
    signals ``names`` and, if ``interacting``, their pairwise products.

    An unanswerable question counts ``abstain_weight`` times; ``calibrate`` picks the weight
    (and the form and ``l2``) by cross-validated accuracy (weighting the two classes equally
    refused one answerable question in six out of fold; weighting each question once let one
    unanswerable question in three through). The threshold stays 0.5: a searched one would
    follow a small set's noise.
    """
    if not rows or len(set(labels)) < 2:
        raise ValueError("calibration needs both answerable and unanswerable questions")
    pairs = tuple(_in_signal_order(names)) if interacting else ()
    if pairs:
        rows = [with_interactions(row, pairs) for row in rows]
    weights, bias = fit_logistic(rows, labels, (*names, *interactions(pairs)), abstain_weight, l2, steps)
    return Calibration(weights=weights, bias=bias, threshold=0.5, ranking=ranking or Ranking(), interacting=pairs)


def write_calibration(calibration: Calibration, path: Path, meta: dict) -> None:
    text = json.dumps({**calibration.to_json(), **meta}, indent=2)
    # a list of numbers on one line (a tree's node): thousands of them would be a line each
    # (a JSON string holds no newline, so only the file's own lists match)
    text = re.sub(r"\[\n\s*([-+\d.eE,\s]+?)\n\s*\]", lambda m: f"[{' '.join(m.group(1).split())}]", text)
    Path(path).write_text(text + "\n", encoding="utf-8")
