"""query: the paragraph a question points at, the documents it names, and prepare()."""

from __future__ import annotations

from pathlib import Path

import pytest

from resolution_qa.documents import load_document
from resolution_qa.query import (
    ParagraphRef,
    named_by_order,
    named_documents,
    paragraph_reference,
    paragraph_step,
    prepare,
)
from resolution_qa.schema import Document
from resolution_qa.tokens import tokenize

ROOT = Path(__file__).resolve().parent.parent
ENGLISH_78 = ROOT.parent / "shared" / "corpus" / "unga-resolutions" / "78session" / "English"
RESOLUTIONS = ("A_RES_78_311-2412313E.xml", "A_RES_78_265-2405969E.xml")
ARTICLE = """UN members back AI capacity-building

On 1 July 2024 the General Assembly adopted, without a vote, a resolution on international cooperation
on capacity-building in artificial intelligence. Delegates said developing countries need data and skills.
"""


@pytest.mark.parametrize(
    ("question", "reference"),
    [
        ("OP 7", ParagraphRef("operative", 7)),
        ("op7", ParagraphRef("operative", 7)),
        ("What does operative paragraph 12 say?", ParagraphRef("operative", 12)),
        ("paragraph 12", ParagraphRef("operative", 12)),  # a bare paragraph is an operative one
        ("Quote PP 6", ParagraphRef("preambular", 6)),
        ("preambular paragraph 3", ParagraphRef("preambular", 3)),
        ("What does OP 4 (b) say?", ParagraphRef("operative", 4, "(b)")),
        ("OP 4(b)", ParagraphRef("operative", 4, "(b)")),
        ("OP 4 (B)", ParagraphRef("operative", 4, "(b)")),
        ("the last operative paragraph", ParagraphRef("operative", 0)),
        ("the third preambular paragraph", ParagraphRef("preambular", 3)),
        ("What does OP 7 of 78/265 say?", ParagraphRef("operative", 7)),
        # a paragraph called a clause or a para
        ("what's the very first operative clause of the March resolution?", ParagraphRef("operative", 1)),
        ("how many SDGs does the first operative para refer to", ParagraphRef("operative", 1)),
        ("What does operative clause 3 say?", ParagraphRef("operative", 3)),
        ("What does clause 3 say?", ParagraphRef("operative", 3)),
    ],
)
def test_paragraph_reference(question, reference):
    assert paragraph_reference(question) == reference


def test_the_last_paragraph_is_flagged():
    assert paragraph_reference("the final preambular paragraph").last
    assert not paragraph_reference("PP 1").last


@pytest.mark.parametrize(
    "question",
    ["What does it say about data?", "Who sponsored 78/311?", "Was it adopted in 2024?", "Top 5 ideas?", ""],
)
def test_no_paragraph_reference(question):
    assert paragraph_reference(question) is None


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    if not all((ENGLISH_78 / name).is_file() for name in RESOLUTIONS):
        pytest.skip(f"shared corpus not checked out at {ENGLISH_78}")
    docs = [load_document(ENGLISH_78 / name, name) for name in RESOLUTIONS]
    article = tmp_path_factory.mktemp("article") / "ai-article.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    docs.append(load_document(article, "ai-article.txt"))
    return docs


def test_the_documents_are_what_named_documents_expects(documents):
    assert [(d.symbol, d.date, d.official) for d in documents] == [
        ("A/RES/78/311", "2024-07-01", True),
        ("A/RES/78/265", "2024-03-21", True),
        (None, None, False),
    ]


@pytest.mark.parametrize(
    ("question", "sources", "symbols"),
    [
        ("What does 78/265 say about human rights?", set(), {"A/RES/78/265"}),
        ("Who sponsored A/RES/78/311?", set(), {"A/RES/78/311"}),
        ("Compare 78/265 with 78/311", set(), {"A/RES/78/265", "A/RES/78/311"}),
        ("What does 77/999 say?", set(), set()),  # not a loaded resolution
        ("What does the March resolution say about data?", set(), {"A/RES/78/265"}),
        ("What does the July resolution request?", set(), {"A/RES/78/311"}),
        ("What does the resolution of March say?", set(), {"A/RES/78/265"}),
        ("Who sponsored the capacity-building resolution?", set(), {"A/RES/78/311"}),
        ("What does the article say?", {"ai-article.txt"}, set()),
        ("What does it say about capacity-building?", set(), set()),
        ("What does the resolution say?", set(), set()),
        ("Which UNESCO tools does the March text refer to?", set(), {"A/RES/78/265"}),  # "text" names one too
        ("Does the capacity-building text mention data?", set(), {"A/RES/78/311"}),
        ("Did they march? What does the text say?", set(), set()),  # a verb, not the month
        ("what does the march AI resolution say about jobs", set(), {"A/RES/78/265"}),  # typed in lower case
        ("what does the july text say?", set(), {"A/RES/78/311"}),
        ("what does the 21 march resolution expect from companies", set(), {"A/RES/78/265"}),  # with its day
        ("What does the resolution adopted on 1 July 2024 request?", set(), {"A/RES/78/311"}),
        ("does it build on the earlier ai resolution from march", set(), {"A/RES/78/265"}),
        ("Does the text say anything on march 3?", set(), set()),  # "on" a date: only with its day first
        ("What may the resolution do?", set(), set()),  # "may" only capitalized names the month
        ("And the July one?", set(), {"A/RES/78/311"}),  # "one" stands for the resolution
        ("What about the capacity-building one?", set(), {"A/RES/78/311"}),
        ("Which one is longer?", set(), set()),
        ("Is capacity-building one of the aims of the resolution?", set(), set()),  # not "the … one"
        # the resolutions speak of reports of their own: a bare "the report" is not the article
        ("Does the earlier resolution mention jobs?", set(), {"A/RES/78/265"}),  # of the two loaded
        ("in the later resolution what kinds of cooperation are mentioned", set(), {"A/RES/78/311"}),
        ("What did the first UN AI resolution ask for?", set(), {"A/RES/78/265"}),
        ("Does the article say what the earlier resolution asked for?", {"ai-article.txt"}, set()),
        ("What's the first one?", set(), set()),  # the first of a list
        ("Which of the two resolutions reaffirms the other one?", set(), set()),  # other than which?
        ("What will the report cover?", set(), set()),
        ("What does the news report say?", {"ai-article.txt"}, set()),
        # the article by its writer or as a write-up
        ("What principles should AI rest on, per the write-up?", {"ai-article.txt"}, set()),
        ("What was the aim of the earlier resolution as summarised by the journalist?", {"ai-article.txt"}, set()),
        ("What is the full title, as the author puts it?", {"ai-article.txt"}, set()),
        # ... not a journalist asked about
        ("What does 78/311 say about the safety of the journalist?", set(), {"A/RES/78/311"}),
        ("Is the journalist biased?", set(), set()),
        # typed tersely, without "the"
        ("march resolution human rights", set(), {"A/RES/78/265"}),
        ("in july resolution what about op 7", set(), {"A/RES/78/311"}),
        ("article date published", {"ai-article.txt"}, set()),
        ("in article what did china say", {"ai-article.txt"}, set()),
        ("What does article 51 of the Charter say?", set(), set()),  # an article of another text
        ("Article IV of the Charter and the resolution", set(), set()),
        ("what does the july one say about labelling", set(), {"A/RES/78/311"}),  # "the" before: "one" too
        ("did they march for resolution of the conflict", set(), set()),  # the verb, not right before
        ("is march one of the months the text mentions", set(), set()),
        ("what does article one of the charter say", set(), set()),
        ("in article five of the covenant, what is protected", set(), set()),
    ],
)
def test_named_documents(documents, question, sources, symbols):
    assert named_documents(question, documents) == (frozenset(sources), frozenset(symbols))


def test_one_resolution_beside_an_article_is_named_by_its_title(documents):
    only_311 = [d for d in documents if d.symbol != "A/RES/78/265"]
    capacity = "Should AI be explainable according to the capacity-building resolution?"
    assert named_documents(capacity, only_311) == (frozenset(), frozenset({"A/RES/78/311"}))
    assert named_documents("What does the resolution say?", only_311) == (frozenset(), frozenset())
    article = "What does the article say about the capacity-building resolution?"
    assert named_documents(article, only_311) == (frozenset({"ai-article.txt"}), frozenset())


def test_named_documents_with_no_documents():
    assert named_documents("What does 78/265 say?", []) == (frozenset(), frozenset())


def test_prepare_a_bare_paragraph_lookup():
    query = prepare("What does OP 7 say?")
    assert (query.reference, query.bare_reference, query.context) == (ParagraphRef("operative", 7), True, "")
    assert not prepare("What does OP 7 say about data?").bare_reference
    # ... a paragraph called a clause is still only looked up
    clause = prepare("what's the very first operative clause?")
    assert (clause.reference, clause.bare_reference) == (ParagraphRef("operative", 1), True)


def test_prepare_scopes_to_the_documents_named(documents):
    query = prepare("What does OP 7 of 78/265 say?", documents=documents)
    assert (query.symbols, query.sources, query.reference) == (
        frozenset({"A/RES/78/265"}),
        frozenset(),
        ParagraphRef("operative", 7),
    )


def test_prepare_cleans_and_cuts_the_question():
    assert prepare("  What\x00 does\nOP 7 say?\u200b ").text == "What does OP 7 say?"
    long = prepare("word " * 300)
    assert len(long.text) <= 1000
    assert long.notices == (f"Your question was cut to its first {len(long.text)} characters.",)


def test_a_huge_question_is_cut_before_it_is_cleaned(monkeypatch):
    # a 50 MB question cost 20 s of server time in a character loop before it was cut
    from resolution_qa import query

    seen = []
    real = query.clean_question
    monkeypatch.setattr(query, "clean_question", lambda text: seen.append(len(text)) or real(text))
    long = prepare("What is PAM? " * 1_000_000, ["Who? " * 1_000_000])
    assert len(long.text) <= query.MAX_QUESTION_CHARS and long.notices
    assert max(seen) <= 4 * query.MAX_QUESTION_CHARS


def test_a_question_that_names_the_catalogue_record_is_asked_of_the_records():
    from resolution_qa.query import topic_of
    from resolution_qa.schema import Document

    docs = [
        Document("a.xml", "Seizing the opportunities of AI", "", "", "xml", symbol="A/RES/78/265", date="2024-03-21"),
        Document("b.xml", "Capacity-building of AI", "", "", "xml", symbol="A/RES/78/311", date="2024-07-01"),
        Document("un-records.jsonl", "UN catalogue records", "", "", "records"),
        Document("article.txt", "UN adopts", "", "", "txt"),
    ]
    question = (
        "The article dates the capacity-building resolution to 25 June; what date does the UN library record give?"
    )
    sources, symbols = named_documents(question, docs)
    assert (sources, symbols) == ({"un-records.jsonl"}, {"A/RES/78/311"})  # the article is named, but not asked
    assert named_documents("How did the voting record go?", docs) == ({"un-records.jsonl"}, frozenset())
    assert named_documents("Did it record a vote?", docs) == (frozenset(), frozenset())  # a verb
    assert "record" not in topic_of(question, docs, sources, symbols).split()
    # what leads to the records goes with them: "per the UN catalogue" leaves no "UN" or "per" to search
    question = "Exact official title of 78/265 per the UN catalogue?"
    sources, symbols = named_documents(question, docs)
    assert (sources, symbols) == ({"un-records.jsonl"}, {"A/RES/78/265"})
    assert topic_of(question, docs, sources, symbols) == "Exact official title of?"
    # "the library" is the UN Digital Library, whose records they are, where it keeps or says
    # something — not a library a text speaks of
    for question in (
        "What subject headings has the library assigned to it?",
        "According to the library, which subjects?",
    ):
        assert named_documents(question, docs)[0] == {"un-records.jsonl"}
    for question in ("Does it build a library of open AI models?", "Does it mention the library sector?"):
        assert named_documents(question, docs)[0] == frozenset()


def test_a_follow_up_that_only_names_another_document_asks_the_question_before_of_it(documents):
    query = prepare("And the July one?", ["What does the March resolution say about human rights?"], documents)
    assert query.symbols == frozenset({"A/RES/78/311"})
    assert query.search_question == "What does say about human rights?"
    # a follow-up that names nothing keeps its scope
    kept = prepare("And what about data?", ["What does the March resolution say about human rights?"], documents)
    assert kept.symbols == frozenset({"A/RES/78/265"})


def test_a_follow_up_that_names_the_other_document_by_its_place_asks_the_question_before_of_it(documents):
    later = prepare("and the later one?", ["which plenary meeting adopted the march resolution"], documents)
    assert later.symbols == frozenset({"A/RES/78/311"}) and later.search_question == "which plenary meeting adopted"
    other = prepare("And the other one?", ["What does 78/311 say about data?"], documents)
    assert other.symbols == frozenset({"A/RES/78/265"}) and "data" in other.search_question
    # "What about the earlier resolution?" asks the question before, not which resolution is cited
    earlier = prepare("What about the earlier resolution?", ["Who sponsored 78/311?"], documents)
    assert (earlier.kind, earlier.symbols, earlier.search_question) == ("who", {"A/RES/78/265"}, "Who sponsored?")
    # ... and where the question before looked: "at the end" is where, not what
    ending = prepare(
        "And the July one?", ["Which organisations are named at the end of the March resolution?"], documents
    )
    assert ending.position == "last" and ending.search_question == "Which organisations are named?"
    # a comparison keeps the one named before beside the other
    compared = prepare(
        "Does it say more about data than the other one?", ["What does 78/311 say about data?"], documents
    )
    assert compared.symbols == {"A/RES/78/265", "A/RES/78/311"}


def test_a_place_names_a_resolution_only_where_it_picks_out_one(documents):
    # of three resolutions, "the later one" after 78/265 could be either of two: none is named
    may = Document("c.xml", "t", "", "", "xml", symbol="A/RES/78/400", date="2024-09-01")
    three = [*documents, may]
    assert named_by_order("and the later one?", three, frozenset({"A/RES/78/265"})) == set()
    assert named_by_order("and the later one?", three, frozenset({"A/RES/78/311"})) == {"A/RES/78/400"}
    assert named_by_order("and the earlier one?", three, frozenset({"A/RES/78/265"})) == set()
    assert named_by_order("And the later resolution?", three) == set()  # later than which?
    assert named_documents("What is the earlier resolution's title?", documents)[1] == {"A/RES/78/265"}
    both = named_documents("How does the later text refer back to the earlier one?", documents)[1]
    assert both == {"A/RES/78/265", "A/RES/78/311"}


def test_a_follow_up_that_names_another_document_keeps_what_the_question_before_asked(documents):
    query = prepare("what about the march one", ["what does OP 6 of 78/311 call for"], documents)
    assert query.symbols == frozenset({"A/RES/78/265"}) and query.reference == ParagraphRef("operative", 6)
    dated = prepare("And the July one?", ["When was the March resolution adopted?"], documents)
    assert dated.kind == "when" and dated.symbols == frozenset({"A/RES/78/311"})


@pytest.mark.parametrize(
    ("question", "searched"),
    [
        (
            "I run a digital literacy NGO in Ghana. What support does the text encourage rich states to offer?",
            "What support does the text encourage rich states to offer?",
        ),
        (
            "Which subject keywords does the catalogue assign? I'm tagging documents.",
            "Which subject keywords does the catalogue assign?",
        ),
        ("i teach. what does it say about schools?", "i teach. what does it say about schools?"),  # one sentence
        # what is left leans on the aside, or the aside names what is asked about: kept whole
        ("We are told the resolution is non-binding. Is it?", None),
        ("I heard the March resolution was adopted without a vote. Is that true?", None),
        ("I'm interested in the March resolution. What does it say about jobs?", None),
        ("My question is about OP 7. What does it say?", None),
        ("We need to know when it was adopted. Thanks!", None),
        ("I am curious.", None),
    ],
)
def test_what_the_asker_says_of_themselves_is_not_searched_for(question, searched):
    query = prepare(question)
    assert query.text == (searched or question)
    assert query.shown == question  # the answer repeats it as typed


def test_an_aside_is_dropped_from_the_questions_before_too():
    follow = prepare("And who pays?", ["Our committee looks at defence. Does it cover military uses at all?"])
    assert follow.context == "Does it cover military uses at all?"


def test_a_follow_up_that_only_names_a_part_asks_the_question_before_of_it(documents):
    history = ["What does the preamble of 78/311 say about open-source software?"]
    query = prepare("and in the operative part?", history, documents)
    assert query.section == "operative" and query.symbols == frozenset({"A/RES/78/311"})
    assert "open-source software" in query.search_question and "preamble" not in query.search_question
    # ... but one with a topic of its own keeps it
    own = prepare("And what does the operative part say about privacy?", history, documents)
    assert own.section == "operative" and "privacy" in own.search_question


def test_the_part_a_question_names_is_where_to_look_not_what_to_look_for():
    must = prepare("what must be respected according to the operative part?")
    assert must.section == "operative" and must.search_question == "what must be respected ?"
    dangers = prepare("does the preamble acknowledge any dangers?")
    assert dangers.section == "preambular" and dangers.search_question == "does acknowledge any dangers?"
    which = prepare("which paragraph of the preamble talks about open-source software?")
    assert which.search_question == "which paragraph talks about open-source software?"
    assert prepare("What does the preamble recall?").kind == "citation"  # the kind is read from the question


@pytest.mark.parametrize(
    ("question", "step"),
    [
        ("And the next paragraph?", 1),
        ("what does the following one say", 1),
        ("What about the paragraph after that?", 1),
        ("and the previous paragraph?", -1),
        ("the one before it?", -1),
        ("What comes next?", 0),
        ("Is this the first paragraph?", 0),
    ],
)
def test_paragraph_step(question, step):
    assert paragraph_step(question) == step


def test_a_question_about_the_next_paragraph_steps():
    assert prepare("And the next paragraph?", ["What does OP 12 say?"]).step == 1
    assert prepare("And the next paragraph?").step == 1  # nothing to step from: the engine says so
    # "the one after it" steps from the answer before, not from the OP 12 the chat began with
    chained = prepare("And the one after it?", ["What does OP 12 say?", "And the next paragraph?"])
    assert (chained.step, chained.reference) == (1, None)


def test_a_document_named_one_is_not_every_one(documents):
    kept = prepare("Does the March resolution leave no one behind, and is it a one-stop shop?", (), documents)
    assert kept.symbols == frozenset({"A/RES/78/265"})
    assert "leave no one behind" in kept.search_question and "one-stop" in kept.search_question


@pytest.mark.parametrize(
    ("question", "history", "kind", "in_topic"),
    [
        # what a document is about: its title says
        ("What is it about?", [], "title", "title"),
        ("whats the march resolution about", [], "title", "title"),
        ("78/265 what is it about", [], "title", "title"),
        # ... asked for in short, with the asker's own words around it ("actually", "in a nutshell")
        ("So what's this piece actually about, in a nutshell?", [], "title", "title"),
        # ... not a paragraph's content, a follow-up's "it", or after a lead-in
        ("What is OP 4 about?", [], "other", "about"),
        ("What is it about?", ["What does OP 7 say?"], "other", "about"),
        ("According to the article, what was the March resolution about?", [], "other", "about"),
        ("What is the report about?", [], "other", "about"),
        # a title asked as a name: "called" is no word to search for, "the resolution" no cited one
        ("What is the resolution called?", [], "title", "title"),
        ("what is the name of the resolution", [], "title", "title"),
        ("What is the title of the report named in OP 4?", [], "title", "named"),
        # ... but one described by more than "the resolution" keeps its words
        ("what was the full title of the resolution adopted in June?", [], "title", "resolution adopted in June"),
        ("what was the march resolution about", [], "title", "title"),
    ],
)
def test_what_a_title_question_searches_for(documents, question, history, kind, in_topic):
    query = prepare(question, history, documents)
    assert query.kind == kind and in_topic in query.search_question
    if kind == "title" and not query.scoped and "June" not in question:
        assert "resolution" not in query.search_question.lower()


def test_what_a_document_is_about_asked_in_short_searches_for_its_title_alone(documents):
    query = prepare("So what's this piece actually about, in a nutshell?", (), documents)
    assert query.kind == "title" and not {"actually", "nutshell", "So"} & set(query.search_question.split())


def test_a_month_alone_after_a_question_asks_it_of_that_resolution(documents):
    query = prepare("same in march one", ["july resolution human rights"], documents)
    assert query.symbols == {"A/RES/78/265"} and "human rights" in query.search_question
    assert query.symbols == prepare("and march", ["what does the july resolution say on data"], documents).symbols
    # ... not a date asked about, nor another year's month
    assert not prepare("in march?", ["When is the report due under 78/311?"], documents).symbols - {"A/RES/78/311"}
    assert prepare("and march 2025", ["what does the july resolution say on data"], documents).symbols != {
        "A/RES/78/265"
    }


def test_contractions_typed_without_the_apostrophe_are_no_words_to_look_for():
    assert tokenize("whats the title, dont they say") == tokenize("what's the title, don't they say") == ["titl"]


def test_what_an_unloaded_resolution_is_about_is_what_the_article_says_of_it(documents):
    # beside the article alone, "the March resolution" names no document: the article's words on
    # it answer, not a title; "the resolution" is the one the article is about
    article = [d for d in documents if not d.official]
    assert prepare("what was the march resolution about", [], article).kind == "other"
    assert prepare("what is the resolution about", [], article).kind == "title"
