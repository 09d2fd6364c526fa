"""From what the user typed to a ``Query``: cleaned, tied to the conversation, scoped to the
documents it names, with the paragraph it points at and the kind of answer it wants.

``prepare(question, history, documents)`` is the one place this happens; retrieval, the
answer, the document map and the benchmark all take the Query it returns.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from .answering import (
    FOLLOW_UP_WORDS,
    MONTHS,
    KindName,
    asks_list,
    content_words,
    contextualize,
    long_date,
    question_kind,
)
from .places import countries_in, country_of, with_country_names
from .schema import Document
from .tokens import STOP_WORDS, stem, tokenize, words

MAX_QUESTION_CHARS = 1000

_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
}
_KIND_WORDS = {"op": "operative", "operative": "operative", "pp": "preambular", "preambular": "preambular"}
_REFERENCE = re.compile(
    r"\b(?:(?P<kind>OP|PP|operative|preambular)\s*(?:paragraph|para\.?|clause)?\s*(?P<number>\d{1,3})(?!\d)"
    r"|(?:paragraph|para\.?|clause)\s*(?P<plain>\d{1,3})(?!\d))"
    r"(?:\s*\(?(?P<sub>[a-z]{1,4})\)(?!\w))?",
    re.IGNORECASE,
)
_ORDINAL_REFERENCE = re.compile(
    rf"\b(?P<which>last|final|{'|'.join(_ORDINALS)})\s+(?P<kind>operative|preambular)\s+(?:paragraph|para|clause)\b",
    re.IGNORECASE,
)
# "and the next paragraph?", "what does the one before it say?": a paragraph next to the one
# that answered the question before
_STEP = re.compile(
    r"\b(?:(?P<after>next|following|subsequent)\s+(?:paragraph|para|one)|(?P<before>previous|preceding|prior)\s+(?:paragraph|para))\b"
    r"|\b(?:paragraph|para|one)\s+(?:(?P<after2>after|following)|(?P<before2>before|preceding))\s+(?:it|that|this)\b",
    re.IGNORECASE,
)
_SYMBOL = re.compile(r"\b(?:A/RES/)?(\d{2,3})/(\d{1,4})\b", re.IGNORECASE)
# the UN Digital Library's catalogue records: "the library record", "the catalogue entry", "the
# voting record" — with what leads to them ("per the UN catalogue", "according to the UN library records")
_RECORD = re.compile(
    r"\b(?:(?:per|in|from|according\s+to)\s+)?(?:(?:the|its)\s+)?(?:UN\s+|United\s+Nations\s+)?"
    r"(?:(?:UN|digital|library|catalogue|catalog|bibliographic|voting)\s+(?:record|entry|entries|data)s?"
    r"|(?:digital\s+)?library\s+catalog(?:ue)?|digital\s+library|catalogue|catalog"
    # "the library" as the one that keeps them: after "per", "according to" …, or before what it does
    r"|(?<=\bper\sthe\s)library|(?<=\bto\sthe\s)library|(?<=\bfrom\sthe\s)library|(?<=\bUN\s)library"
    r"|(?<=\bthe\s)library(?=['’]s\s+record|\s+(?:has\s+|have\s+|had\s+)?(?:assign|list|record|give|gave|say|said|"
    r"catalog|index|tag|file|class)))(?:['’]s)?\b",
    re.I,
)
# a bare "the report" is not the article: the resolutions speak of reports of their own ("the
# final report of the High-level Advisory Body"); "the news report" is
_ARTICLE = re.compile(
    r"\b(?:the|this|that)\s+(?:(?:news|press)\s+report(?:ing)?|(?:news\s+|press\s+)?(?:article|story|piece|write-?up))\b"
    # typed tersely, without "the": "article date published", "in article what did china say" (not
    # "article 51", "Article IV of the Charter")
    r"|(?:^\W*|\b(?:in|per|from|according to)\s+)(?:news\s+)?article\b(?![’'-])(?!\s+(?:\d|(?-i:[IVXLC]+)\b|"
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|first|second|third|fourth|fifth)\b))",
    re.I,
)
# ... or by its writer, where the words are attributed to them ("according to the journalist", "as
# the author puts it", "the reporter writes"; not "the safety of journalists", "Who is the author?")
_BY_ITS_WRITER = re.compile(
    r"\b(?:according to|as per|per|going by|as (?:quoted|given|stated|described|reported|reproduced|summari[sz]ed|put|told)"
    r"\s+by)\s+the\s+(?:journalist|reporter|author|writer)\b"
    r"|\bas\s+the\s+(?:journalist|reporter|author|writer)\s+\w+\s+it\b"
    r"|\bthe\s+(?:journalist|reporter|author|writer)\s+(?:says|writes|notes|reports|argues|claims|describes)\b",
    re.I,
)
# Words that say "show me the paragraph" rather than ask something of it.
_LOOKUP_WORDS = frozenset(
    [
        "say",
        "says",
        "said",
        "state",
        "states",
        "stated",
        "read",
        "reads",
        "text",
        "content",
        "contents",
        "contain",
        "contains",
        "provide",
        "provides",
        "paragraph",
        "para",
        "clause",
        "op",
        "pp",
        "operative",
        "preambular",
        "resolution",
        "document",
        "quote",
        "show",
        "wording",
        "exactly",
        "full",
    ]
)


@dataclass(frozen=True)
class ParagraphRef:
    """A paragraph the question points at: "OP 7", "PP 6", "OP 4 (b)", "the last operative paragraph"."""

    kind: Literal["operative", "preambular"]
    number: int  # 0 for "the last"
    sub: str | None = None

    @property
    def last(self) -> bool:
        return self.number == 0


@dataclass(frozen=True)
class Query:
    """The question as asked and everything worked out from it before searching."""

    text: str  # cleaned, without the asker's asides (``without_asides``), with its acronyms written
    # as the documents write them ("ai" → "AI")
    context: str  # the earlier questions a follow-up depends on ("" when self-contained)
    kind: KindName  # the answer kind (see answering.KINDS)
    several: bool = False  # it asks for several things: "Which groups …?" (``answering.asks_list``)
    sources: frozenset[str] = frozenset()  # documents the question names (by path) ...
    symbols: frozenset[str] = frozenset()  # ... or by resolution symbol (its record included)
    reference: ParagraphRef | None = None
    bare_reference: bool = False  # "What does OP 7 say?": the whole paragraph is the answer
    notices: tuple[str, ...] = field(default=())
    section: Literal["operative", "preambular"] | None = (
        None  # "the preamble" → "preambular", "the operative part" → "operative"
    )
    position: Literal["first", "last"] | None = None  # "at the end of the article" → "last"
    topic: str = ""  # what to search for: the question without the words that name its document
    # ("the March resolution"), with the countries its capitals and demonyms stand for
    topic_context: str = ""  # the same for the context
    # the topic without a resolution it describes ("What did the March resolution urge?" →
    # "What did urge?"), for the sentences of a text that carry on about one ("It also called on
    # …" after "… another one, adopted on 21 March 2024, …"): "" when it describes none, or only
    # a resolution the documents hold (the topic leaves that one out already)
    undescribed: str = ""
    step: int = 0  # a follow-up's "next paragraph" (+1) or "previous paragraph" (-1)
    typed: str = ""  # the question as typed (cleaned): what an answer shows

    @property
    def shown(self) -> str:
        """The question as an answer repeats it: as the user typed it."""
        return self.typed or self.text

    @property
    def search_question(self) -> str:
        """What is searched for: the topic, or the question when naming is all it says."""
        return self.topic or self.text

    @property
    def search_context(self) -> str:
        return f"{self.topic_context or self.context} {self.search_question}".strip()

    @property
    def follow_up(self) -> bool:
        return bool(self.context)

    @property
    def search_text(self) -> str:
        return f"{self.context} {self.text}".strip()

    @property
    def scoped(self) -> bool:
        return bool(self.sources or self.symbols)


def clean_question(text: str) -> str:
    """Drop control and format characters, collapse whitespace.

    >>> clean_question("  What\\x00 is\\n\\tPAM?\\u200b ")
    'What is PAM?'
    """
    kept = []
    for ch in str(text):
        category = unicodedata.category(ch)
        if ch in "\n\t\r":
            kept.append(" ")
        elif category in ("Cc", "Cf", "Cs", "Co"):
            continue
        else:
            kept.append(ch)
    return re.sub(r"\s+", " ", "".join(kept)).strip()


# a sentence in which the asker speaks of themselves — "I run a digital literacy NGO in Ghana.",
# "Our committee is looking at defence applications of AI." — and asks nothing ...
_ABOUT_THE_ASKER = re.compile(r"(?i:(?:i|we)(?:['’][a-z]{1,2})?|our|my)\s[^?]*[.!]")
# ... unless it names what is asked about: a document, a paragraph, a date or a number
_NAMES_WHAT = re.compile(
    r"\d|\b(?i:resolutions?|texts?|article|piece|story|paragraphs?|preamble|record|OP|PP)\b"
    rf"|\b(?:{'|'.join(MONTHS)})\b"
)
# a sentence ends where the next one starts with a capital ("U.N. in New York" does not)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"'‘])")
_ASKING_WORDS = 3  # ... and what is left asks this many words of its own ("Is it?" leans on the aside)


def without_asides(question: str) -> str:
    """``question`` without the sentences in which the asker says who they are or why they ask,
    so that their words are neither searched for nor counted as missing from the answer: only
    when what is left is a question of its own (a question mark and three words other than
    function words) and the aside names no document, paragraph, date or number.

    >>> without_asides("I run an NGO in Ghana. What support does the text encourage rich states to offer?")
    'What support does the text encourage rich states to offer?'
    >>> without_asides("What keywords does the catalogue assign? I'm tagging documents for a classifier.")
    'What keywords does the catalogue assign?'
    >>> without_asides("We are told the resolution is non-binding. Is it?")  # what is left leans on it
    'We are told the resolution is non-binding. Is it?'
    >>> without_asides("I'm interested in the March resolution. What does it say about jobs?")
    "I'm interested in the March resolution. What does it say about jobs?"
    >>> without_asides("My students will ask: was this the first time?"), without_asides("I need OP 7.")
    ('My students will ask: was this the first time?', 'I need OP 7.')
    """
    sentences = _SENTENCE_END.split(question)
    kept = [s for s in sentences if not (_ABOUT_THE_ASKER.fullmatch(s) and not _NAMES_WHAT.search(s))]
    if len(kept) == len(sentences):
        return question
    asking = [s for s in kept if s.endswith("?") and len(content_words(s)) >= _ASKING_WORDS]
    return " ".join(kept) if asking else question


def paragraph_reference(question: str) -> ParagraphRef | None:
    """The paragraph a question names, if any ("paragraph 12" means an operative one).

    >>> paragraph_reference("What does OP 4 (b) say?")
    ParagraphRef(kind='operative', number=4, sub='(b)')
    >>> paragraph_reference("Quote PP6"), paragraph_reference("the last operative paragraph").last
    (ParagraphRef(kind='preambular', number=6, sub=None), True)
    >>> paragraph_reference("the very first operative clause?"), paragraph_reference("preambular clause 3")
    (ParagraphRef(kind='operative', number=1, sub=None), ParagraphRef(kind='preambular', number=3, sub=None))
    >>> paragraph_reference("What does it say about data?") is None
    True
    """
    match = _REFERENCE.search(question)
    if match:
        kind = _KIND_WORDS[match.group("kind").lower()] if match.group("kind") else "operative"
        number = int(match.group("number") or match.group("plain"))
        sub = match.group("sub")
        return ParagraphRef(kind, number, f"({sub.lower()})" if sub else None)
    match = _ORDINAL_REFERENCE.search(question)
    if match:
        which = match.group("which").lower()
        return ParagraphRef(match.group("kind").lower(), 0 if which in ("last", "final") else _ORDINALS[which])
    return None


def paragraph_step(question: str) -> int:
    """+1 for a question about the next paragraph, -1 for the previous one, else 0.

    >>> paragraph_step("And the next paragraph?"), paragraph_step("what does the one before it say?")
    (1, -1)
    >>> paragraph_step("What comes next?")
    0
    """
    match = _STEP.search(question)
    if not match:
        return 0
    return 1 if match.group("after") or match.group("after2") else -1


def _is_bare(question: str) -> bool:
    """True when nothing but the paragraph reference is asked ("What does OP 7 say?")."""
    rest = _ORDINAL_REFERENCE.sub(" ", _REFERENCE.sub(" ", question))
    rest = _SYMBOL.sub(" ", rest)
    ignored = STOP_WORDS | _LOOKUP_WORDS | _MONTHS_LOWER
    return not [w for w in words(rest) if w not in ignored and not w.isdigit()]


_MONTHS_LOWER = frozenset(m.lower() for m in MONTHS)


def _scope_words(names: str) -> re.Pattern[str]:
    return re.compile(
        r"\b(?:according to|as per|going by|as (?:quoted|given|stated|described|reported|reproduced|summari[sz]ed|put)"
        r"\s+(?:in|by)|per|in|of|under|by)?\s*"
        rf"\b(?:the|this|that)?\s*(?:{names})\b",
        re.I,
    )


_ARTICLE_NAME = _scope_words(r"(?:news\s+|press\s+)?(?:article|story|piece|write-?up)")
# "as the article gives it", "as the resolution puts it": where the words are, not what is asked
_AS_IT_SAYS = re.compile(
    r"\bas\s+(?:the|this|that)\s+(?:news\s+|press\s+)?(?:article|story|piece|write-?up|journalist|reporter|author|writer|"
    r"resolution|text)\s+(?:gives|reports|puts|quotes|reproduces|states|says|describes|summari[sz]es|words|phrases|"
    r"has|renders|cites)\s+(?:it|them)\b",
    re.I,
)
_RESOLUTION_NAME = _scope_words(r"(?:draft\s+)?(?:resolution|text)")
# a resolution described rather than named by its symbol: "the March resolution", "the earlier
# one", "the first UN AI resolution", "the Chinese-led text" — by words that describe, not
# function words or verbs ("the report requested by the resolution", "the countries that voted
# against the text" describe no resolution)
_DESCRIBING = r"(?:[\w’']+-[\w’'-]+|(?!(?:{})\b)[\w’']+(?<!ed)(?<!ing))".format(
    "|".join(sorted((STOP_WORDS - {"other"}) | {"mean", "means", "meant", "say", "says", "said", "number"}))
)
_DESCRIBED = re.compile(rf"\b(?:the|this)\s+(?:{_DESCRIBING}\s+){{1,4}}?(?:resolution|text|one)\b(?![’'-])", re.I)


def undescribed(topic: str) -> str:
    """The topic without the resolution it describes, when anything is left to search for
    (a resolution the documents hold is named in full already: ``topic_of`` left it out).

    >>> undescribed("What did the March resolution urge the international community to do?")
    'What did urge the international community to do?'
    >>> undescribed("What was the March resolution about?"), undescribed("What does the resolution say?")
    ('', '')
    >>> undescribed("What does the report requested by the resolution cover?")
    ''
    >>> undescribed("What do the countries that voted against the text say?")
    ''
    >>> undescribed("Did the other UN resolution on AI call for regulation?")
    'Did on AI call for regulation?'
    """
    if not _DESCRIBED.search(topic):
        return ""
    rest = re.sub(r"\s+", " ", _DESCRIBED.sub(" ", topic)).strip()
    return rest if any(w not in STOP_WORDS for w in words(rest)) else ""


_ONE_NAME = re.compile(r"\b(?:the|this|that)\s+one(?![\w-])(?!\s+of\b)", re.I)  # "the July one", once named


_SECTION = re.compile(
    r"\b(?:(?P<pre>preamble|preambular (?:part|section|paragraphs))|(?P<op>operative (?:part|section|paragraphs)))\b",
    re.I,
)

# ... with what leads up to it: "according to the operative part", "in its preamble"
_SECTION_PHRASE = re.compile(
    r"(?:\b(?:according to|in|of|from|within|throughout|across)\s+)?(?:(?:the|its|this|that)\s+)?" + _SECTION.pattern,
    re.I,
)


# "at the end of the article", "the closing paragraph", "at the very top of the resolution"
_DOCUMENT_WORDS = (
    r"(?:(?:news\s+|press\s+)?(?:article|piece|story|report)|(?:draft\s+)?(?:resolution|text)|document|preamble|it)"
)
_POSITION = re.compile(
    r"\b(?:at|near|towards?)\s+the\s+(?:very\s+)?(?:(?P<first>start|beginning|top|outset)|(?P<last>end|bottom|close))"
    rf"(?:\s+of\s+(?:the\s+|this\s+|that\s+)?(?:[\w/-]+\s+){{0,3}}?{_DOCUMENT_WORDS}\b|(?!\s+of\b))"
    r"|(?<![\w-])(?<!second )(?<!third )(?:(?P<first2>first|opening)|(?P<last2>last|final|closing|concluding))"
    r"\s+(?:paragraph|sentence)\b",
    re.IGNORECASE,
)


def position_of(question: str) -> Literal["first", "last"] | None:
    """ "first" or "last" for a question about the beginning or the end of a document.

    >>> position_of("Which organisations are named at the end of the article?"), position_of("the opening paragraph")
    ('last', 'first')
    >>> [position_of(q) for q in ("What happens at the end of the session?", "What is due at the end of the year?",
    ...  "the second-to-last paragraph", "Which text is at the top of the agenda?", "What does it say at the end?")]
    [None, None, None, None, 'last']
    """
    match = _POSITION.search(question)
    if not match:
        return None
    return "first" if match.group("first") or match.group("first2") else "last"


def section_of(question: str) -> str | None:
    """The part of a resolution a question points to, without naming one paragraph.

    >>> section_of("Which actors does the preamble mention?"), section_of("What do the operative paragraphs ask?")
    ('preambular', 'operative')
    >>> section_of("What does OP 3 say?") is None
    True
    """
    match = _SECTION.search(question)
    if not match:
        return None
    return "preambular" if match.group("pre") else "operative"


# how a question asks for a title without saying "title": "What is it called?", "the name of the resolution"
# (only where the question ends: not "the report named in OP 4"; "name" is a kind of answer already)
_CALLED = re.compile(r"\b(?:(?:actually|officially)\s+)?(?:called|named)(?=\W*$)", re.I)
_NAME_OF = re.compile(r"\bname(?=\s+of\s+(?:the|this|that)\s+(?:resolution|text|document)\W*$)", re.I)
# "What is it about?", "what's the march resolution about", "78/311 - what is it about?": what its
# title says — asked as the question itself, not after a lead-in ("According to the article, what
# was the March resolution about?") and not of a paragraph ("What is OP 4 about?")
_ABOUT_A_DOCUMENT = re.compile(
    r"\W*(?:(?:resolution\s+)?(?:A/RES/)?\d{2}/\d{1,4}\W+)?(?:and\s+)?(?:so\s+)?what(?:['’]?s|\s+is|\s+was)\s+"
    r"(?:(?:really|actually|exactly)\s+)?"
    r"(?P<document>(?P<plain>it|this(?:\s+(?:resolution|text|document|article|piece|story))?"
    r"|the\s+(?:resolution|text|document|article|piece|story))|(?:A/RES/)?\d{2}/\d{1,4}"
    r"|(?:the|this)\s+(?:[\w/-]+\s+){1,3}?(?:resolution|text|document|article|one|piece|story))"
    r"\s+(?:(?:mainly|mostly|all|really|actually|basically|generally)\s+)?(?P<about>about)"
    # ... asked for in short: "in a nutshell", "in brief", "in one sentence", "briefly", "overall"
    r"(?:\W+(?:in\s+(?:a\s+)?(?:nutshell|short|brief|word|few\s+words|one\s+(?:sentence|line))|briefly|overall))?\W*",
    re.I,
)


def topic_of(question: str, documents: list[Document], sources, symbols) -> str:
    """``question`` without the words that name the document it is scoped to: symbols, the
    month of adoption, distinctive title words and "the resolution"/"the article" themselves.
    Once the scope is applied they no longer tell passages apart, and a passage that repeats
    "resolution 70/1 of 25 September 2015" would otherwise match them best.

    >>> from resolution_qa.schema import Document
    >>> docs = [Document("a.xml", "Seizing the opportunities", "", "", "xml", symbol="A/RES/78/265", date="2024-03-21")]
    >>> topic_of("What does the March resolution say about jobs?", docs, frozenset(), frozenset({"A/RES/78/265"}))
    'What does say about jobs?'
    >>> topic_of("According to the article, who spoke?", docs, frozenset({"x.txt"}), frozenset())
    'who spoke?'
    >>> topic_of("What is the full title as the article gives it?", docs, frozenset({"x.txt"}), frozenset())
    'What is the full title?'
    >>> topic_of("What was the aim as summarised by the journalist?", docs, frozenset({"x.txt"}), frozenset())
    'What was the aim?'
    """
    if _AS_IT_SAYS.search(question):
        question = re.sub(r",?\s+([?,.])", r"\1", _AS_IT_SAYS.sub(" ", question)).strip(" ,")
    if not (sources or symbols):
        return question
    text = _SYMBOL.sub(" ", question)
    if symbols and sponsored_by(question, documents):
        text = _SPONSORED.sub(" the resolution ", text)  # "the Chinese-led text" names; it asks nothing
    if symbols:
        for d in documents:
            if d.symbol in symbols and d.date:
                month = _typed_month(MONTHS[int(d.date[5:7]) - 1])
                text = re.sub(rf"\b{month}(?:\s+\d{{4}})?\b", " ", text)
        distinct_stems = distinct_title_stems(documents)
        if distinct_stems:  # one resolution beside an article: its title's words still name it
            near = _near_resolution(question)
            for symbol in symbols:
                distinct = distinct_stems.get(symbol, frozenset())
                text = " ".join(w for w in text.split(" ") if not (set(map(stem, words(w))) & distinct & near))
    if any(d.kind == "records" and d.source in sources for d in documents):
        text = _ARTICLE.sub(" ", _RECORD.sub(" ", text))  # "what date does the library record give?"
    if symbols:
        text = _ORDER_NAMED.sub(" the resolution ", text)  # "in the later one" goes with "in the resolution"
    text = (_RESOLUTION_NAME if symbols else _ARTICLE_NAME).sub(" ", text if symbols else _BY_ITS_WRITER.sub(" ", text))
    if symbols:
        text = _ONE_NAME.sub(" ", text)
    text = _tidy(text)
    return text if len(tokenize(text)) >= 1 else ""


def _tidy(text: str) -> str:
    """Words cut out of a question leave runs of spaces, and spaces before its marks."""
    return re.sub(r"\s+([?,.])", r"\1", re.sub(r"\s+", " ", text)).strip(" ,")


_NAMING = (
    r"\b(?i:resolution|text)\b"  # what people call a resolution: "the March text", "the capacity-building resolution"
)
# ... and "one" after a name: "the July one", "the capacity-building one" (not "one of", "no one")
_NAMED_ONE = r"\b(?:the|this|that)\s+(?:[\w-]+\s+){1,3}one(?![\w-])(?!\s+of\b)"
_NAMING_NOUN = re.compile(rf"{_NAMING}|{_NAMED_ONE}", re.I)
# "the Chinese-led resolution", "the US-sponsored text", "China's resolution" (not "the French text":
# a language version)
_SPONSOR_CUE = r"(?:led|sponsored|co-sponsored|backed|drafted|proposed|tabled|authored|penned)"
_SPONSORED = re.compile(
    rf"\b(?P<who>[\w.’']+(?:\s[\w.’']+)?)(?:-|\s){_SPONSOR_CUE}\s+(?:draft\s+)?(?:resolution|text|one)\b"
    rf"|\b(?P<owner>[\w.]+(?:\s[\w.]+)?)['’]s\s+(?:draft\s+)?(?:resolution|text)\b"
    rf"|\b(?:resolution|text|one)\s+(?:that\s+|which\s+)?(?:was\s+)?(?:{_SPONSOR_CUE}|put forward)\s+by\s+"
    rf"(?:the\s+)?(?P<by>[\w.’']+(?:\s[\w.’']+)?)",
    re.I,
)


# a day before a month: "the 21 March resolution", "the resolution of 21 March 2024"
_DAY_OF_MONTH = r"\d{1,2}(?:st|nd|rd|th)?\s+"
_DAY = rf"(?:{_DAY_OF_MONTH})?"


def _typed_month(month: str) -> str:
    """A month's name as people type it, any case ("the march resolution") — but "May" only
    capitalized ("What may the resolution …")."""
    return month if month == "May" else f"(?i:{month})"


def named_documents(question: str, documents: list[Document]) -> tuple[frozenset[str], frozenset[str]]:
    """The documents a question names: (source paths, resolution symbols).

    A symbol ("78/265", "A/RES/78/311"), the month of adoption ("the March resolution", "the March text"),
    words found only in one resolution's title next to "resolution" ("the capacity-building
    resolution"), "the article" for a document that is not a UN text, or "the library record"
    for the catalogue records (with a named resolution: its record).
    """
    sources: set[str] = set()
    symbols: set[str] = set()
    resolutions = [d for d in documents if d.symbol]
    known_symbols = {d.symbol for d in resolutions}
    for match in _SYMBOL.finditer(question):
        symbol = f"A/RES/{match.group(1)}/{match.group(2)}"
        if symbol in known_symbols:
            symbols.add(symbol)
    symbols.update(named_by_month(question, resolutions))
    if _NAMING_NOUN.search(question):
        # "the earlier one" beside the one the question names, or of two
        symbols.update(named_by_order(question, resolutions, frozenset(symbols)))
        distinct_stems = distinct_title_stems(documents)
        if distinct_stems:  # one resolution beside an article: its title's words still name it
            near = _near_resolution(question)
            symbols.update(symbol for symbol, distinct in distinct_stems.items() if distinct & near)
        symbols.update(sponsored_by(question, documents))
    if _RECORD.search(question):
        # "What date does the UN library record give?": the catalogue records (of the named
        # resolution, if one is named), even when the question also names the article
        records = {d.source for d in documents if d.kind == "records"}
        if records:
            return frozenset(records), frozenset(s for s in symbols if s)
    if _ARTICLE.search(question) or _BY_ITS_WRITER.search(question):
        # "What does the article say about the March resolution?" asks the article
        sources.update(d.source for d in documents if not d.official)
        if sources:
            symbols.clear()
    return frozenset(sources), frozenset(s for s in symbols if s)


# what a question that only names a document asks on with: "and …", "what about …", "same in …"
_ASKS_ON = r"\W*(?:(?i:and|or|but|so|what about|how about|same(?: thing)? (?:in|for|with))\s+)*"


def month_alone(question: str, month: str) -> str | None:
    """The year typed with ``month`` ("" for none) when the question is only that month after what
    asks on ("and march?", "same in march one", "what about July 2024"); None otherwise.

    >>> month_alone("and march", "March"), month_alone("what about July 2024?", "July"), month_alone("in march?", "March")
    ('', '2024', None)
    """
    typed = _typed_month(month)
    match = re.fullmatch(
        rf"{_ASKS_ON}(?:the\s+)?{_DAY}{typed}(?:\s+(?P<year>\d{{4}}))?(?:\s+(?:one|resolution|text))?\W*", question
    )
    return None if match is None else match.group("year") or ""


def named_by_month(question: str, documents: list[Document]) -> set[str]:
    """The symbols of the resolutions a question names by their month of adoption ("the March
    resolution", "the march AI text", "the one from July", "the 21 march resolution", "the
    resolution adopted on 1 July").

    >>> from resolution_qa.schema import Document
    >>> march = [Document("r.xml", "t", "", "", "xml", symbol="A/RES/78/265", date="2024-03-21")]
    >>> [sorted(named_by_month(q, march)) for q in ("what does the 21 march resolution expect",
    ...  "what does the resolution of 21 March 2024 say", "Does the text say anything on march 3?")]
    [['A/RES/78/265'], ['A/RES/78/265'], []]

    A month alone, after what asks on ("and march?", "same in march one", "what about July"), names
    the resolution of that month too:

    >>> [sorted(named_by_month(q, march)) for q in ("and march", "same in march one", "and march 2025", "in march?")]
    [['A/RES/78/265'], ['A/RES/78/265'], [], []]
    """
    out: set[str] = set()
    for number, month in enumerate(MONTHS, start=1):
        alone = month_alone(question, month)
        if alone is not None:
            out.update(
                d.symbol
                for d in documents
                if d.symbol and d.date and int(d.date[5:7]) == number and alone in ("", d.date[:4])
            )
    if not _NAMING_NOUN.search(question):
        return out
    for number, month in enumerate(MONTHS, start=1):
        typed = _typed_month(month)
        if re.search(
            rf"\b{month}\b[^?.]*{_NAMING}|{_NAMING}[^?.]*\b(?:(?:of|in|from) {_DAY}|on {_DAY_OF_MONTH}){typed}\b"
            rf"|\b(?i:the|this|that)\s+{month}(?:\s+\d{{4}})?\s+one(?![\w-])|\b(?i:the)\s+one\s+(?:of|in|from) {month}\b"
            # typed in lower case: only right before what names a resolution ("the march AI resolution",
            # "the 21 march resolution")
            rf"|\b(?i:the|this|that)\s+{_DAY}{typed}(?:\s+\d{{4}})?\s+(?:[\w-]+\s+)?(?i:resolution|text|draft|one)\b"
            # (typed tersely, without "the", right before it: "march resolution human rights", "what
            # march AI text say"; not "did they march for resolution of the conflict")
            rf"|\b{_DAY}{typed}(?:\s+\d{{4}})?\s+(?:(?:[A-Z][\w-]*|(?i:ai|un|ga|unga))\s+)?(?i:resolution|text|draft)\b",
            question,
        ):
            out.update(d.symbol for d in documents if d.symbol and d.date and int(d.date[5:7]) == number)
    return out


# "the later one", "the earlier resolution", "the first UN AI resolution", "the other text": a
# resolution named by its place beside another ("first" and "second" only before "resolution" or
# "text": "what's the first one?" asks for the first of a list; "that earlier one" points back at
# what the question before mentioned, not at a document). (Of the two shipped resolutions the
# earlier, 78/265, is also the Assembly's first on AI.)
_ORDER_NAMED = re.compile(
    r"\bthe\s+(?:(?:(?P<later>later|newer|more recent|most recent|latest|subsequent)|"
    r"(?P<earlier>earlier|earliest|older|previous|prior)|(?P<other>other))\s+"
    r"(?:(?:UN|GA|UNGA|AI|General Assembly)\s+){0,2}(?:resolution|text|one(?!\s+of\b))"
    r"|(?:(?P<second>second)|(?P<first>first(?:[ -]ever)?))\s+(?:(?:UN|GA|UNGA|AI|General Assembly)\s+){0,2}"
    r"(?:resolution|text))\b(?![’'-](?!s\b))",
    re.I,
)
# ... beside words that keep the one named before in the question: "Does it say more than the other one?"
_STILL_BEFORE = re.compile(r"\b(?:it|its|than|both)\b", re.I)


def named_by_order(question: str, documents: list[Document], before: frozenset[str] = frozenset()) -> set[str]:
    """The resolutions a question names by their place beside another: beside ``before`` (named
    by the question itself or the one before it), the one loaded resolution later or earlier than
    those, or other than them; without ``before``, of exactly two loaded resolutions, the later or
    the earlier. None where that is not one resolution (a whole session loaded).

    >>> from resolution_qa.schema import Document
    >>> docs = [Document(f"{n}.xml", "t", "", "", "xml", symbol=f"A/RES/78/{n}", date=d)
    ...         for n, d in (("265", "2024-03-21"), ("311", "2024-07-01"))]
    >>> named_by_order("and the later one?", docs, frozenset({"A/RES/78/265"}))
    {'A/RES/78/311'}
    >>> named_by_order("does the first UN AI resolution mention jobs", docs), named_by_order("the other one?", docs)
    ({'A/RES/78/265'}, set())
    >>> named_by_order("what's the first one?", docs), named_by_order("what did that earlier one promote?", docs)
    (set(), set())
    >>> sorted(named_by_order("How does the later text refer back to the earlier one?", docs))
    ['A/RES/78/265', 'A/RES/78/311']
    """
    matches = list(_ORDER_NAMED.finditer(question))
    if not matches:
        return set()
    dated = sorted({(d.date, d.symbol) for d in documents if d.symbol and d.date})
    named: set[str] = set()
    for match in matches:
        later = bool(match.group("later") or match.group("second"))
        if not before:
            if len(dated) == 2 and not match.group("other"):
                named.add(dated[-1][1] if later else dated[0][1])
            continue
        dates = [date for date, symbol in dated if symbol in before]
        if not dates:
            continue
        if match.group("other"):
            side = {symbol for _, symbol in dated if symbol not in before}
        elif later:
            side = {symbol for date, symbol in dated if date > max(dates)}
        else:
            side = {symbol for date, symbol in dated if date < min(dates)}
        if len(side) == 1:
            named |= side | (before if match.group("other") and _STILL_BEFORE.search(question) else set())
    return named


def sponsored_by(question: str, documents: list[Document]) -> set[str]:
    """The loaded resolution a question names by who put it forward ("the Chinese-led
    resolution", "the US-sponsored text", "China's resolution"): the one resolution whose
    catalogue record lists that country among its sponsors. None when the question gives a
    symbol (that names it), or when several do (on a whole session, dozens list China).

    >>> from resolution_qa.records import parse_records
    >>> r = parse_records('{"symbol": "A/RES/1/2", "adoption_date": "1 July 2024", "sponsors": ["CHINA", "PERU"]}'
    ...                   '\\n{"symbol": "A/RES/1/3", "adoption_date": "1 May 2024", "sponsors": ["CHAD", "PERU"]}')
    >>> docs = [Document("r.jsonl", "", r.text, "", "records", paragraphs=tuple(r.paragraphs))]
    >>> sponsored_by("What does the Chinese-led resolution say?", docs), sponsored_by("the Chad-led text", docs)
    ({'A/RES/1/2'}, {'A/RES/1/3'})
    >>> sponsored_by("What does Peru's resolution say?", docs), sponsored_by("Did China's text cite 78/265?", docs)
    (set(), set())
    """
    who = " ".join(next(filter(None, m.groups())) for m in _SPONSORED.finditer(question))
    if not who or _SYMBOL.search(question):
        return set()
    countries = set(countries_in(who.replace("-", " ")))
    sponsors = _sponsors([d for d in documents if d.kind == "records"])
    named = {symbol for symbol, by in sponsors.items() if countries & by}
    return named if len(named) == 1 else set()


# the sponsors of each resolution, for the one set of records files last asked about:
# ((source, sha256) of each file, {symbol: country keys}); replaced whole, never cleared
_SPONSORS: tuple[tuple, dict[str, frozenset[str]]] = ((), {})


def _sponsors(records: list[Document]) -> dict[str, frozenset[str]]:
    """Per resolution symbol, the countries (places.country_of keys) its record lists as sponsors."""
    global _SPONSORS
    key = tuple((d.source, d.sha256) for d in records)
    cached = _SPONSORS
    if cached[0] == key:
        return cached[1]
    out: dict[str, set[str]] = {}
    for document in records:
        for paragraph in document.paragraphs:
            if paragraph.name == "sponsors" and paragraph.symbol:
                line = document.text[paragraph.start : paragraph.end].split(":", 1)[-1]
                keys = {country_of(name) for name in line.split(", ")}
                out.setdefault(paragraph.symbol, set()).update(k for k in keys if k)
    found = {symbol: frozenset(keys) for symbol, keys in out.items()}
    _SPONSORS = (key, found)
    return found


def distinct_title_stems(documents: list[Document]) -> dict[str, frozenset[str]]:
    """Per resolution symbol, the stems of its title's words that no other resolution's title
    has ("capacity-building" for 78/311 beside 78/265); counted once per set of titles, so a
    question costs one lookup, not a comparison of every title with every other (1,932
    resolutions: 3.7 million set unions a question).

    >>> from resolution_qa.schema import Document
    >>> docs = [Document("a", "Seizing opportunities of AI", "", "", "xml", symbol="A/RES/1/1"),
    ...         Document("b", "Capacity-building of AI", "", "", "xml", symbol="A/RES/1/2")]
    >>> sorted(distinct_title_stems(docs)["A/RES/1/2"])
    ['build', 'capac']
    """
    titles = tuple(sorted({d.symbol: d.title for d in documents if d.symbol}.items()))
    return _distinct_stems(titles)


@lru_cache(maxsize=8)
def _distinct_stems(titles: tuple[tuple[str, str], ...]) -> dict[str, frozenset[str]]:
    stems = {symbol: {stem(w) for w in words(title) if w not in STOP_WORDS} for symbol, title in titles}
    used = Counter(s for title_stems in stems.values() for s in title_stems)
    return {symbol: frozenset(s for s in title_stems if used[s] == 1) for symbol, title_stems in stems.items()}


_TITLE_LEADS = frozenset(["on", "about", "entitled", "titled", "concerning"])


def _near_resolution(question: str) -> set[str]:
    """Stems of the words right around "resolution": the four before it ("the capacity-building
    resolution") and, after "resolution on/entitled …", the six after it.

    >>> sorted(_near_resolution("What does the resolution on capacity-building say?"))
    ['build', 'capac']
    """
    tokens = words(question)
    out: set[str] = set()
    named_one = re.search(_NAMED_ONE, question, re.I) is not None  # "the capacity-building one"
    for i, token in enumerate(tokens):
        if token.startswith("resolution") or token == "text" or (token == "one" and named_one):
            window = tokens[max(0, i - 4) : i]
            if i + 1 < len(tokens) and tokens[i + 1] in _TITLE_LEADS:
                window += tokens[i + 1 : i + 7]
            out.update(stem(w) for w in window if w not in STOP_WORDS)
    return out


def _cited(
    kind: str, question: str, named: tuple[frozenset[str], frozenset[str]], before: frozenset[str], documents
) -> tuple[Document, Document] | None:
    """(the cited, the citing) of two resolutions a question about citing names ("Does 78/311
    reaffirm the March resolution?", "How does the July text refer back to the March one?"; or
    one, and the one the question before named: "Does it recall 78/265?"): a resolution cites
    only earlier ones, so the later is where to look and the earlier is what to look for. None
    for any other question, and when the question names the earlier one first ("Does 78/265
    cite 78/311?": both stay in scope, and the answer shows which cites which)."""
    sources, symbols = named
    if kind != "citation" or sources:
        return None
    if len(symbols) == 1 and len(before) == 1 and before != symbols:
        symbols, first = symbols | before, next(iter(before))  # the question before names the subject
    elif len(symbols) == 2:
        first = _first_named(question, symbols, documents)
    else:
        return None
    dated = sorted((d for d in documents if d.symbol in symbols and d.date), key=lambda d: d.date)
    if len(dated) != 2 or dated[0].date == dated[1].date or first == dated[0].symbol:
        return None
    return dated[0], dated[1]


def _first_named(question: str, symbols: frozenset[str], documents: list[Document]) -> str | None:
    """Which of ``symbols`` the question names first, by its number or its month of adoption;
    None when that can't be told (a title's words)."""
    where = {}
    for d in documents:
        if d.symbol in symbols and d.date:
            number = re.search(re.escape(d.symbol.removeprefix("A/RES/")), question)
            month = re.search(rf"\b{_typed_month(MONTHS[int(d.date[5:7]) - 1])}\b", question)
            found = [m.start() for m in (number, month) if m]
            if found:
                where[d.symbol] = min(found)
    return min(where, key=where.get) if len(where) == len(symbols) else None


def _citation(document: Document) -> str:
    """How a resolution cites another: "resolution 78/265 of 21 March 2024".

    >>> _citation(Document("a.xml", "", "", "", "xml", symbol="A/RES/78/265", date="2024-03-21"))
    'resolution 78/265 of 21 March 2024'
    """
    return f"resolution {document.symbol.removeprefix('A/RES/')} of {long_date(document.date)}"


def _looked_for(question: str, position: str | None) -> str:
    """``question`` without where it says to look — "at the end of the article" (when it asks
    for a ``position``), "in the preamble" — which is not what to look for."""
    looked_for = _POSITION.sub(" ", question) if position else question
    if section_of(question):
        looked_for = re.sub(r"\s+", " ", _SECTION_PHRASE.sub(" ", looked_for)).strip()
    return looked_for


def prepare(
    question: str,
    history=(),
    documents: list[Document] | None = None,
    spelled: Callable[[str], str] | None = None,
    used: Callable[[str], bool] | None = None,
) -> Query:
    """Clean, contextualize, scope and classify a question (and the questions before it, without
    what the asker says of themselves: ``without_asides``). ``spelled`` rewrites the cleaned
    question and its history as the documents write them (``Acronyms.capitalized``: "ai" →
    "AI"); the answer still shows the question as typed. ``used`` says whether the documents
    use a name: a country is searched for as they name it (``places.with_country_names``).

    >>> q = prepare("And what does OP 7 say?", ["Who sponsored 78/311?"])
    >>> q.context, q.reference, q.bare_reference
    ('Who sponsored 78/311?', ParagraphRef(kind='operative', number=7, sub=None), True)
    """
    notices: list[str] = []
    # cut before cleaning: a 50 MB "question" must not cost a character loop over all of it
    text = clean_question(str(question)[: MAX_QUESTION_CHARS * 4])
    if len(text) > MAX_QUESTION_CHARS:
        text = text[:MAX_QUESTION_CHARS].rsplit(" ", 1)[0]
        notices.append(f"Your question was cut to its first {len(text)} characters.")
    history = tuple(clean_question(str(h)[: MAX_QUESTION_CHARS * 4])[:MAX_QUESTION_CHARS] for h in history if h)
    typed = text
    text, history = without_asides(text), tuple(map(without_asides, history))
    if spelled is not None:
        text, history = spelled(text), tuple(map(spelled, history))
    context = contextualize(text, history)
    reference = paragraph_reference(text)
    stepping = paragraph_step(text)
    step = stepping if reference is None else 0
    if not context and stepping:
        # "What does the next paragraph say?" follows the question before
        context = next((h for h in reversed(history) if h.strip()), "")
    documents = documents or []
    named = named_documents(text, documents)
    named_before = named_documents(context, documents) if context else (frozenset(), frozenset())
    if named_before[1] and not _SYMBOL.search(text) and not named_by_month(text, documents):
        # "And the later one?", "And the other one?": beside the one the question before named
        relative = named_by_order(text, documents, named_before[1])
        named = (named[0], frozenset(relative)) if relative else named
    # a follow-up that names nothing keeps its scope
    sources, symbols = named if any(named) else named_before
    kind = question_kind(text)
    relation = _cited(kind, text, named, named_before[1], documents)
    cited = relation[0] if relation else None
    if relation:
        symbols = frozenset({relation[1].symbol})  # the citing one
    if reference is None and context and not step and FOLLOW_UP_WORDS.intersection(words(text)):
        reference = paragraph_reference(context)  # "Should they be voluntary?" after "… OP 13 …"
        bare = False
    else:
        bare = reference is not None and _is_bare(text)
    if step:
        bare = _is_bare(_STEP.sub(" ", text))
    position = position_of(text) if reference is None else None
    part = section_of(text)  # "the preamble", "the operative part"
    looked_for = _looked_for(text, position)
    about = _ABOUT_A_DOCUMENT.fullmatch(text) if reference is None and (not context or any(named)) else None
    if about and not (about.group("plain") or any(named)):
        about = None  # "what was the march resolution about?" beside an article only: what it says of it
    if kind == "other" and about:
        kind = "title"  # "What is it about?" (not a follow-up's "it", unless it names a document)
        # ... searched for as its title, without the asker's "actually", "in a nutshell" (a symbol
        # before it, "78/265 what is it about", has scoped the question already: ``named`` reads ``text``)
        looked_for = f"What is {about.group('document')} title?"
    elif kind == "title":
        # "What is it called?" asks for a title: "called" is no word to search for ("Calls upon …")
        looked_for = _CALLED.sub("title", looked_for)
    topic = topic_of(looked_for, documents, sources, symbols)
    if kind == "title" and not (sources or symbols):
        # ... and "the resolution" whose title is asked is not one a paragraph cites by its title
        # (when that is all it says: "the title of the resolution adopted in June" describes it)
        untold = _tidy(
            _RESOLUTION_NAME.sub(" ", _NAME_OF.sub("title", topic or looked_for))
        )  # "the name of the resolution"
        if not content_words(untold):
            topic = untold
    if context and any(month_alone(text, month) is not None for month in MONTHS):
        topic = ""  # "and july", "same in march one": the question before, asked of that one
    if context and not topic and any(named):
        # "And the July one?", "What about the March one?": the question before, asked of the
        # document this one names — what it asks for and the paragraph it points at as well
        pointed = paragraph_reference(context) if reference is None and not step else None
        if pointed:
            reference, bare = pointed, _is_bare(context)
        position = position or (position_of(context) if reference is None else None)
        topic = topic_of(_looked_for(context, position), documents, *named_before)
        # ... it asks nothing of its own: "What about the earlier resolution?" asks no citation
        kind, cited, (sources, symbols) = question_kind(context), None, named
    elif context and part and _is_bare(_SECTION.sub(" ", text)):
        # "And in the operative part?": the question before, asked of the part this one names
        topic = topic_of(re.sub(r"\s+", " ", _SECTION.sub(" ", context)), documents, sources, symbols)
    return Query(
        text=text,
        typed=typed,
        context=context,
        section=part or (section_of(context) if context else None),
        position=position,
        topic=with_country_names(f"{topic or text} ({_citation(cited)})" if cited else topic or text, used),
        undescribed=undescribed(with_country_names(topic or text, used)),
        topic_context=(
            with_country_names(topic_of(context, documents, sources, symbols) or context, used) if context else ""
        ),
        kind=kind,
        several=asks_list(text),
        sources=sources,
        symbols=symbols,
        reference=reference,
        bare_reference=bare,
        notices=tuple(notices),
        step=step,
    )
