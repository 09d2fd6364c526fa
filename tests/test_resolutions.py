"""The shipped documents as a user meets them: the UN's XML of A/RES/78/311 and A/RES/78/265,
their catalogue records and the article, answered with the real model."""

from __future__ import annotations

import json
import shutil
from collections import Counter

import pytest

from conftest import ROOT, ask_json
from resolution_qa import QAEngine, Settings, answers, engine
from resolution_qa.evaluate import baseline_passages
from resolution_qa.query import prepare

pytestmark = pytest.mark.model

SHIPPED = ROOT / "data"


@pytest.fixture(scope="module")
def shipped(tmp_path_factory) -> QAEngine:
    data = tmp_path_factory.mktemp("shipped-data")
    for path in SHIPPED.iterdir():
        if path.is_file():
            shutil.copyfile(path, data / path.name)
    return QAEngine.open(Settings(data_dir=data, index_dir=tmp_path_factory.mktemp("shipped-index")))


def verbatim(engine, answer) -> None:
    doc = engine.data.by_source[answer.quote.source]
    assert doc.text[answer.quote.start : answer.quote.end] == answer.quote.text


def test_operative_paragraph_lookup_cites_the_resolution(shipped):
    answer = shipped.ask("What does OP 15 request?")
    top = answer.to_json()["passages"][0]
    assert (top["title"], top["paragraph_kind"], top["paragraph_number"]) == ("A/RES/78/311", "operative", 15)
    assert answer.quote.text.startswith("15. Requests the Secretary-General to report")
    verbatim(shipped, answer)


def test_op_alone_gives_each_resolution_labelled_and_a_symbol_picks_one(shipped):
    both = shipped.ask("What does OP 7 say?")
    assert {(p.chunk.label, p.chunk.location) for p in both.passages} == {
        ("A/RES/78/311", "OP 7"),
        ("A/RES/78/265", "OP 7"),
    }
    one = shipped.ask("What does OP 7 of 78/265 say?")
    assert [(p.chunk.label, p.chunk.location) for p in one.passages] == [("A/RES/78/265", "OP 7")]
    march = shipped.ask("OP 7 of the March resolution")
    assert march.passages[0].chunk.label == "A/RES/78/265"


def test_subparagraph_and_last_paragraph_references(shipped):
    sub = shipped.ask("What does OP 4 (b) of 78/265 say?")
    assert sub.quote.text.startswith("(b) Enhancing digital infrastructure connectivity")
    assert "OP 4 (b)" in sub.message
    last = shipped.ask("What is the last operative paragraph of resolution 78/311?")
    assert last.passages[0].chunk.location == "OP 15"
    missing = shipped.ask("What does OP 40 of 78/311 say?")
    assert not missing.answered and "There is no OP 40" in missing.message and "OP 1–15" in missing.message


def test_a_paragraph_pointed_at_is_quoted_whole_or_by_its_clause(shipped):
    # a bare lookup quotes the paragraph whole (OP 5 of 78/311: 702 characters) ...
    whole = shipped.ask("What does OP 5 of 78/311 say?")
    paragraph = whole.passages[0].chunk
    assert (whole.quote.start, whole.quote.end) == (paragraph.start, paragraph.end)
    # ... and one longer than that (OP 4 of 78/265: 3,238) by its opening clause, never cut
    # mid-clause: the pieces of the clause the first one begins are quoted with it
    opening = shipped.ask("What does OP 4 of 78/265 say?")
    assert opening.quote.text.startswith("4. ")
    assert opening.quote.end < opening.passages[0].chunk.end
    assert opening.quote.text[-1] in ";:."
    # a question about the paragraph quotes its best unit with the pieces of the same clause
    # that answer with it, as any answer does: the list OP 5 introduces with "including"
    listed = shipped.ask("What kinds of capacity-building cooperation are listed in OP 5 of 78/311?")
    assert "including policy exchanges, knowledge sharing activities" in listed.quote.text
    for answer in (whole, opening, listed):
        verbatim(shipped, answer)


def test_a_question_that_asks_for_several_things_is_answered_by_the_list(shipped):
    # the items of PP 7's list of harms, cut at semicolons, are quoted together ...
    harms = shipped.ask("What harms does PP 7 of 78/265 list?")
    assert "reinforce structural inequalities and biases; lead to discrimination;" in harms.quote.text
    verbatim(shipped, harms)
    # ... where one item alone answers a question that asks for one thing
    one = shipped.ask("Does PP 7 of 78/265 mention discrimination?")
    assert "lead to discrimination" in one.quote.text
    assert "reinforce structural inequalities" not in one.quote.text
    # the ranking weighs how much of a list a clause is when several things are asked for
    # ("list_asked"): the piece that lists the kinds of cooperation, not the one that names it
    kinds = shipped.ask("Which kinds of capacity-building cooperation does 78/311 encourage?")
    assert "policy exchanges, knowledge sharing activities" in kinds.quote.text
    verbatim(shipped, kinds)


def test_adoption_date_from_the_record_with_the_article_as_a_differing_source(shipped):
    answer = shipped.ask("When was it adopted?")
    assert answer.quote.text == "1 July 2024"
    assert answer.quote.source == "un-catalogue-records.jsonl"
    assert answer.passages[0].chunk.location == "UN record, adoption date"
    assert any("Sources differ" in n and "25 June 2024" in n for n in answer.notices)
    assert any("25 June 2024" in p.chunk.text for p in answer.passages)
    verbatim(shipped, answer)
    # a resolution's own recitals date the texts they recall, not its adoption: no disagreement
    for question, date in (
        ("When was 78/311 adopted?", "1 July 2024"),
        ("On what date was 78/265 adopted?", "21 March 2024"),
    ):
        answer = shipped.ask(question)
        assert answer.quote.text == date and not any("Sources differ" in n for n in answer.notices)


def test_co_sponsor_by_name_capital_and_record_field(shipped):
    answer = shipped.ask("Did the United States co-sponsor it?")
    assert answer.answered and answer.quote.text == "UNITED STATES"
    field = answer.to_json()["passages"][0]
    assert field["paragraph_kind"] == "record" and field["location"] == "UN record, additional sponsors"
    moscow = shipped.ask("Did Moscow co-sponsor the capacity-building resolution?")
    assert moscow.quote.text == "RUSSIAN FEDERATION"
    verbatim(shipped, moscow)
    # what a country said is not a list item, though the question before asked who sponsored it
    said = shipped.ask(
        "and what did the British delegation say about it?", history=["Who sponsored the June resolution?"]
    )
    assert said.quote is None or said.quote.text != "UNITED KINGDOM"


def test_the_secretary_general_request_is_op_15_not_the_enacting_formula(shipped):
    answer = shipped.ask("What does the Assembly ask of the Secretary-General in the capacity-building resolution?")
    assert answer.passages[0].chunk.location == "OP 15"
    for question in ("What does the General Assembly do?", "Which session adopted it?", "What is agenda item 13?"):
        for passage in shipped.ask(question, k=10).passages:
            assert passage.chunk.text not in ("The General Assembly,", "Distr.: General", "United Nations")
    # a one-line fact (header line or record field) answers the question that asks for it: the
    # item's number or its title, both first among the passages
    agenda = shipped.ask("Under which agenda item was 78/311 adopted?", k=3)
    assert agenda.answered and agenda.passages[0].chunk.paragraph_kind in ("header", "record")
    assert "agenda item" in agenda.passages[0].chunk.location.lower() + agenda.passages[0].chunk.text.lower()
    assert any("Agenda item 13" in p.chunk.text for p in agenda.passages)


def test_clause_of_a_long_paragraph_is_the_answer(shipped):
    answer = shipped.ask("Does it ask states to counter algorithmic bias?")
    assert answer.passages[0].chunk.location == "OP 7"
    assert "algorithmic bias" in answer.quote.text and len(answer.quote.text) < 150
    verbatim(shipped, answer)


def test_a_paraphrase_is_matched_word_by_word(shipped):
    # "research labs run jointly by several countries" is OP 5's "voluntary joint international
    # research laboratories": the word signals (alignment.py) find it first and pick its clause.
    # Whether to answer is the refusal model's call: the logistic model answered it; the boosted
    # trees of the fifteenth session put it just under the line (p 0.39), so the reply lists OP 5
    # first among the closest passages without quoting it
    assert shipped.data.has_words
    question = "Does it propose research labs run jointly by several countries?"
    analysis = shipped.analyze(question)
    answer = analysis.answer
    assert answer.passages[0].chunk.label == "A/RES/78/311" and answer.passages[0].chunk.location == "OP 5"
    assert "joint international research laboratories" in analysis.candidate.text
    # of OP 5's clauses, the one with the laboratories covers the question's words best
    op5 = next(r for r in analysis.ranked if r.chunk.location == "OP 5")
    text = shipped.data.by_source[op5.chunk.source].text
    best = max(op5.units, key=lambda u: u.features["soft_unit"])
    assert "joint international research laboratories" in text[slice(*best.span)]


def test_an_acronym_the_documents_only_spell_out_is_found_by_its_initials(shipped):
    # neither resolution defines "IP" or "LLMs"; 78/311 writes "intellectual property rights"
    # (PP 7) and "large language models" (OP 7): the initials find them, the model picks
    # "intellectual property" among the phrases "I… P…" ("international processes", "Indigenous Peoples")
    for question, words, location in (
        ("Does 78/311 say anything about IP?", "intellectual property rights", "PP 7"),
        ("Does 78/311 mention LLMs?", "large language models", "OP 7"),
    ):
        answer = shipped.ask(question)
        assert answer.passages[0].chunk.location == location and words in answer.quote.text, question
        verbatim(shipped, answer)
    data, retriever = shipped.index.state
    spelled = shipped.spell_acronyms(prepare("What about GDP and WSIS?", (), data.documents), retriever)
    # "Geneva Declaration of Principles" spells GDP, but the model finds it unrelated (cosine 0.03)
    assert spelled.search_question == "What about GDP and WSIS? (WSIS: World Summit on the Information Society)"
    # each acronym's long form (or none) is chosen once per index: asked again, nothing is encoded
    assert retriever.long_forms["GDP"] is None and retriever.long_forms["IP"] == "intellectual property"
    encode, shipped.encode = shipped.encode, None
    try:
        again = shipped.spell_acronyms(prepare("Anything on IP or WSIS, or GDP?", (), data.documents), retriever)
    finally:
        shipped.encode = encode
    assert "(IP: intellectual property; WSIS: World Summit on the Information Society)" in again.search_question


def test_a_follow_up_knows_the_paragraph_that_answered_the_question_before_it(shipped):
    history = ["What does 78/311 say about seminars and workshops?"]
    before = shipped.analyze(history[0])
    assert before.ranked[0].chunk.location == "OP 5"
    after = shipped.analyze("What are they for?", history=history)
    flagged = {r.chunk.location for r in after.ranked if any(u.features["previous_answer"] for u in r.units)}
    assert flagged == {"OP 5"}  # OP 5 answered the question before; no other paragraph is marked
    assert after.ranked[0].chunk.location == "OP 5" and "sharing experiences" in after.answer.quote.text
    verbatim(shipped, after.answer)
    # ... and the refusal model knows the answer follows on from the one before
    assert after.features["follows_on"] == 1.0 and before.features["follows_on"] == 0.0
    # a question that is not a follow-up, or the first of a chat, marks nothing
    for question, earlier in (("What does 78/311 say about data?", history), ("What are they for?", [])):
        assert not any(
            u.features["previous_answer"] for r in shipped.analyze(question, earlier).ranked for u in r.units
        )
    # fitted by calibrate, the signal helps: without it, OP 5's best clause scores lower
    ranking = shipped.calibration.for_index(shipped.data.has_words).ranking
    group = [u.features for r in after.ranked for u in r.units]
    marked = group.index(after.ranked[0].best.features)
    unmarked = ranking.scores([f | {"previous_answer": 0.0} for f in group])[marked]
    assert ranking.scores(group)[marked] > unmarked
    # blank turns in the history are skipped: the question before is still the seminars one
    padded = shipped.analyze("What are they for?", history=[*history, "", "  "])
    assert any(u.features["previous_answer"] for u in padded.ranked[0].units)


def test_the_next_paragraph_is_the_one_after_the_answer_before(shipped):
    history = ["What does OP 12 of 78/311 say?"]
    after = shipped.ask("And the next paragraph?", history=history)
    assert (after.passages[0].chunk.label, after.passages[0].chunk.location) == ("A/RES/78/311", "OP 13")
    assert after.quote.text.startswith("13. Calls upon the United Nations system")
    verbatim(shipped, after)
    again = shipped.ask("And the one after it?", history=[*history, "And the next paragraph?"])
    assert again.passages[0].chunk.location == "OP 14"
    before = shipped.ask("And the previous paragraph?", history=history)
    assert before.passages[0].chunk.location == "OP 11"
    first = shipped.ask("And the previous paragraph?", history=["What does PP 1 of 78/311 say?"])
    assert not first.answered and first.message == "A/RES/78/311 has no paragraph before PP 1."
    # from the paragraph the user was shown: "OP 1" alone quotes the newest resolution's
    shown = shipped.ask("What does OP 1 say?")
    step = shipped.ask("What does the next paragraph say?", history=["What does OP 1 say?"])
    assert (step.passages[0].chunk.label, step.passages[0].chunk.location) == (shown.passages[0].chunk.label, "OP 2")
    chain = ["What does OP 1 say?", "And the next paragraph?", "and the next one?"]
    assert shipped.ask("And the next one?", history=chain).passages[0].chunk.location == "OP 4"
    # nothing to step from: the question before was not answered, or there was none
    for history in (["What is the weather in Paris?"], ["", " "]):
        alone = shipped.ask("And the next paragraph?", history=history)
        assert not alone.answered and alone.message.startswith("Ask about a paragraph first"), history


def test_a_bare_follow_up_asks_for_the_item_at_its_place_in_the_enumeration_before(shipped):
    history = ["How many reasons does the article give for why the June resolution matters?"]
    assert "three main reasons" in shipped.ask(history[0]).quote.text
    # "first" is the place asked for, not a topic word: not "… the first UNGA Resolution …"
    first = shipped.ask("What's the first one?", history=history)
    assert first.answered and first.quote.text.startswith("Firstly, it underscores the challenges")
    verbatim(shipped, first)
    # through a chain of such follow-ups, back to the question they started from
    chain = [*history, "What's the first one?", "and the second?"]
    last = shipped.ask("And the last one?", history=chain)
    assert last.quote.text == "Lastly, it marks a significant step further due to its global reach."
    # a place the enumeration doesn't have, or a question that says more than the place: asked as usual
    fifth = shipped.ask("and the fifth one?", history=history)
    assert fifth.quote is None or not fifth.quote.text.startswith(("Firstly", "Secondly", "Lastly"))
    more = shipped.analyze("Was the June text the first resolution on AI?", history=history)
    assert more.features and not more.answer.quote.text.startswith("Firstly")  # searched, not the item


def test_a_follow_up_without_a_verb_keeps_the_scope_of_the_question_before(shipped):
    meeting = shipped.ask("At which plenary meeting?", history=["On what date was 78/265 adopted?"])
    assert meeting.passages[0].chunk.label == "A/RES/78/265" and "63rd plenary meeting" in meeting.quote.text
    verbatim(shipped, meeting)


def test_the_paragraph_before_is_a_candidate_even_when_the_words_miss_it(shipped):
    history = ["Does the text say all countries should have the same chances"]
    first = shipped.analyze(history[0]).ranked[0].chunk
    question = "Does it say anything about protecting patents and other IP in it?"
    alone = [(r.chunk.label, r.chunk.location) for r in shipped.analyze(question).ranked]
    assert (first.label, first.location) not in alone  # its words alone do not find that paragraph ...
    after = shipped.analyze(question, history=history)
    recalled = [r for r in after.ranked if r.chunk == first]
    assert recalled and all(u.features["previous_answer"] for u in recalled[0].units)  # ... the chat does


def test_a_paragraph_citing_an_earlier_resolution_competes_though_no_word_finds_it(shipped, monkeypatch):
    # "build on" / "earlier" are nowhere in "Reaffirming its resolutions 78/265 of 21 March 2024 …",
    # which sits beyond the fused best the words and the model find
    question = "Which earlier AI resolution does 78/311 build on?"
    cited = ("A/RES/78/311", "PP 3")
    ranked = shipped.analyze(question).ranked
    cites = [r for r in ranked if (r.chunk.label, r.chunk.location) == cited]
    assert cites and any(u.kind_ok for u in cites[0].units)
    monkeypatch.setattr(engine, "CITING_CANDIDATES", 0)
    assert cited not in [(r.chunk.label, r.chunk.location) for r in shipped.analyze(question).ranked]


@pytest.fixture(scope="module")
def one_resolution(tmp_path_factory) -> QAEngine:
    """The article beside A/RES/78/311 and the records: questions about the July resolution."""
    data = tmp_path_factory.mktemp("one-resolution")
    for path in SHIPPED.iterdir():
        if path.suffix in (".txt", ".jsonl") or path.name.startswith("A_RES_78_311"):
            shutil.copyfile(path, data / path.name)
    return QAEngine.open(Settings(data_dir=data, index_dir=tmp_path_factory.mktemp("one-resolution-index")))


def test_the_resolution_itself_answers_before_an_article_about_it(one_resolution):
    # the article's "This Resolution was anticipated by another one, adopted on 21 March 2024"
    # ranks first on the words; the resolution's own "Reaffirming its resolutions 78/265 …" is the
    # primary source and close enough
    question = "Does it build on the March 2024 AI resolution?"
    answer = one_resolution.ask(question)
    top = answer.passages[0].chunk
    assert (top.label, top.location) == ("A/RES/78/311", "PP 3") and "78/265" in answer.quote.text
    verbatim(one_resolution, answer)
    # (the ranking alone now puts PP 3 first; that the UN's text wins within OFFICIAL_RATIO of
    # an article ahead of it, on closeness, is tested in test_answering.py)


def test_a_paragraph_pointed_at_that_holds_nothing_of_the_kind_asked_is_not_quoted_as_the_answer(shipped):
    # OP 15 requests a report: what the report concluded is not in it (nor who objected to OP 6)
    for question, place in (
        ("What did the Secretary-General's report under OP 15 of 78/311 conclude?", "OP 15"),
        ("Which countries objected to OP 6 of 78/265?", "OP 6"),
    ):
        answer = shipped.ask(question)
        assert not answer.answered and answer.quote is None
        assert place in answer.message and answer.passages[0].chunk.location == place
    # what the paragraph does hold is answered from it, and the weaker kind checks never refuse
    # on their own (a category answers "Which organizations …?" as well as a name)
    answer = shipped.ask("When is the report in OP 15 of 78/311 due?")
    assert answer.answered and "eightieth session" in answer.quote.text
    verbatim(shipped, answer)
    for question, place in (
        ("Which organizations does OP 10 of 78/311 call upon?", "OP 10"),
        ("Where should the report in OP 15 of 78/311 be presented?", "OP 15"),
    ):
        answer = shipped.ask(question)
        assert answer.answered and answer.passages[0].chunk.location == place


def test_a_one_line_fact_is_quoted_where_it_is_stated_in_full(one_resolution, monkeypatch):
    # the resolution's header line "Agenda item 13" matches the words best; the UN record's line
    # says the same and what the item is
    question = "which agenda item did it fall under"
    answer = one_resolution.ask(question)
    assert answer.quote.text.startswith("Agenda item 13 — Integrated and coordinated implementation")
    assert answer.passages[0].chunk.paragraph_kind == "record"
    verbatim(one_resolution, answer)
    monkeypatch.setattr(answers, "_fuller_fact", lambda data, ranked: ranked)
    assert one_resolution.ask(question).quote.text == "Agenda item 13"


def test_only_a_line_joining_what_explains_a_fact_is_the_fuller_fact(tmp_path):
    # the record's title and subjects start alike: the subjects are another fact, not the title
    # said in full
    row = {
        "symbol": "A/RES/1/2",
        "adoption_date": "1 May 2025",
        "title": "Nuclear-weapon-free zones",
        "subjects": [["Nuclear-weapon-free zones; treaties", "UNBIS"]],
        "agenda_item": "Agenda item 9",
        "agenda_item_name": "Disarmament",
    }
    data = tmp_path / "data"
    data.mkdir()
    (data / "records.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    engine = QAEngine.open(Settings(data_dir=data, index_dir=tmp_path / "index"))
    analysis = engine.analyze("What is the title of A/RES/1/2?")
    names = [r.chunk.name for r in analysis.ranked]
    assert names[0] == "title" and "subjects" in names
    assert answers._fuller_fact(engine.data, list(analysis.ranked))[0].chunk.name == "title"


def test_what_the_earlier_resolution_did_is_quoted_with_the_sentence_that_introduces_it(shipped, monkeypatch):
    # the article introduces the March resolution in one sentence and says what it did in the
    # next ("The Resolution promoted …"), which ranks well below the one naming it
    question = "According to the article, what was the March resolution about?"
    answer = shipped.ask(question)
    assert answer.answered and answer.quote.text.startswith("This Resolution was anticipated by another one")
    assert "The Resolution promoted safe, secure, and trustworthy AI systems" in answer.quote.text
    verbatim(shipped, answer)
    monkeypatch.setattr(answers, "CONTINUATION_RATIO", 0.8)
    assert "promoted" not in shipped.ask(question).quote.text


def test_a_question_asking_for_a_country_is_not_answered_by_an_organization(one_resolution):
    # OP 14's "… follow-up processes in the United Nations system" is a place, not a country
    analysis = one_resolution.analyze("Which country will host the first AI capacity-building centre?")
    assert analysis.features["kind_missing"] == 1.0 and not analysis.answer.answered
    # the refusal model is told what kind of thing is asked for: an actor (a place, here)
    asked = {name: value for name, value in analysis.features.items() if name.startswith("asks_")}
    assert asked == {"asks_value": 0.0, "asks_actor": 1.0, "asks_citation": 0.0, "asks_said": 0.0}


def test_a_month_that_names_a_loaded_resolution_is_no_date_to_check(shipped):
    # "the March resolution" is A/RES/78/265 here: its record answers, whatever months it names
    analysis = shipped.analyze("Which countries sponsored the March resolution?")
    assert analysis.features["date_conflict"] == 0.0 and analysis.answer.answered
    assert analysis.answer.passages[0].chunk.symbol == "A/RES/78/265"


def test_a_question_about_a_part_is_answered_from_that_part_without_its_words(one_resolution):
    answer = one_resolution.ask("what must be respected according to the operative part?")
    assert answer.answered and answer.passages[0].chunk.location == "OP 3"
    assert "must be respected" in answer.quote.text
    verbatim(one_resolution, answer)


def test_a_follow_up_naming_only_a_part_asks_the_question_before_of_that_part(shipped):
    history = ["what does the preamble of 78/311 say about open-source software?"]
    answer = shipped.ask("and in the operative part?", history=history)
    assert answer.answered and answer.passages[0].chunk.location.startswith("OP ")
    assert "open-source" in answer.quote.text
    verbatim(shipped, answer)


def test_a_question_about_the_end_or_the_start_of_a_document_is_answered_from_there(shipped):
    end = shipped.ask("Which organisations are named at the end of the article?")
    assert end.answered and end.passages[0].chunk.source.endswith(".txt")
    assert end.passages[0].chunk.text.startswith("The Parliamentary Assembly of the Mediterranean (PAM)")
    assert "PAM" in end.quote.text
    verbatim(shipped, end)
    last = shipped.ask("What does the last paragraph of the March resolution say?")
    assert (last.passages[0].chunk.label, last.passages[0].chunk.location) == ("A/RES/78/265", "OP 13")
    top = shipped.ask("Which human rights text is recalled at the very top of resolution 78/311?")
    assert (top.passages[0].chunk.label, top.passages[0].chunk.location) == ("A/RES/78/311", "PP 1")
    # "the end of the session" is a time, not a place in the text
    assert shipped.analyze("What happens at the end of the session?").features  # searched, not pointed


def test_a_clause_that_introduces_a_list_is_quoted_with_the_list(shipped):
    answer = shipped.ask("What kinds of capacity-building cooperation should wealthier countries step up under 78/311?")
    assert answer.passages[0].chunk.location == "OP 5"
    assert answer.quote.text.startswith("5. Encourages Member States, in particular developed countries")
    assert "including policy exchanges, knowledge sharing activities" in answer.quote.text
    assert len(answer.quote.text) <= 600
    verbatim(shipped, answer)


def test_a_resolution_named_by_its_sponsor(shipped):
    for question in (
        "What does the Chinese-led resolution say about open models?",
        "Does China's resolution mention open models?",
    ):
        answer = shipped.ask(question)
        assert {p.chunk.label for p in answer.passages} == {"A/RES/78/311"}, question
    us = shipped.ask("What does the US-sponsored text say about human rights?")
    assert {p.chunk.label for p in us.passages} == {"A/RES/78/265"}
    # a symbol the question gives names the resolution; "the French text" is a language version
    data, _ = shipped.index.state
    assert prepare("Has the US-backed resolution 78/311 anything on data?", (), data.documents).symbols == {
        "A/RES/78/311"
    }
    assert prepare("Is there a French text of it?", (), data.documents).symbols == frozenset()


def test_a_named_document_scopes_the_answer(shipped):
    answer = shipped.ask("What does the March resolution say about data?")
    assert all(p.chunk.label == "A/RES/78/265" for p in answer.passages)
    article = shipped.ask("According to the article, who sponsored the resolution?")
    assert all(p.chunk.source.endswith(".txt") for p in article.passages)
    follow = shipped.ask(
        "And what does it say about human rights?", history=["What does the March resolution say about data?"]
    )
    assert all(p.chunk.label == "A/RES/78/265" for p in follow.passages)


def test_baseline_returns_whole_paragraphs(shipped):
    passages = baseline_passages(shipped, "What does it request of the Secretary-General?", k=3)
    assert len(passages) == 3 and passages[0].chunk.paragraph_kind in ("operative", "preambular", "body", "record")


def test_cli_json_names_the_record_field(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SHIPPED, data, ignore=shutil.ignore_patterns("uploads", "README*"))
    answer = ask_json("Was there a vote?", data, tmp_path / "index")
    assert answer["answer"]["text"] == "Without a vote"
    assert answer["passages"][0]["record_field"] == "adoption_type"


def test_the_resolution_unnamed_is_the_newest_one_for_when_it_was_adopted(shipped):
    # both resolutions' header lines and records state an adoption date; the question names
    # neither, so it is about the most recent one (78/311), not 78/265's 21 March 2024
    answer = shipped.ask("When was the resolution adopted?")
    assert "1 July 2024" in answer.quote.text and answer.passages[0].chunk.symbol == "A/RES/78/311"
    assert any("Sources differ" in n and "25 June 2024" in n for n in answer.notices)
    verbatim(shipped, answer)


def test_the_onnx_query_path_gives_the_same_answers_as_sentence_transformers(shipped):
    import json

    from conftest import ROOT
    from resolution_qa.onnx_encoder import OnnxEncoder, query_encoder

    # the build exported the model beside the index; a cold `ask` answers with it, without torch
    onnx = query_encoder(shipped.settings.index_dir)
    assert isinstance(onnx, OnnxEncoder)
    fast = QAEngine(shipped.index, onnx)
    rows = []
    # the article's and our own resolution questions, and the shared ones where they are checked out
    shared = ROOT.parent / "shared" / "eval" / "dev_resolutions_qa.jsonl"
    for path in (ROOT / "eval" / "dev_qa.jsonl", ROOT / "eval" / "own_tune.jsonl", shared):
        if path.is_file():
            rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) > 60
    trees = shipped.calibration.for_index(shipped.data.has_words).trees
    on_a_step = []
    for row in rows:
        history = row.get("history") or ()
        reference, candidate = shipped.analyze(row["question"], history), fast.analyze(row["question"], history)
        assert [(p.chunk.source, p.chunk.start) for p in candidate.answer.passages] == [
            (p.chunk.source, p.chunk.start) for p in reference.answer.passages
        ], row["question"]
        # the two encoders' vectors differ in the seventh decimal; a signal of a question the
        # trees were fitted on can sit right on one of their thresholds (the bins' edges are the
        # data's quantiles), and the decision then goes either way
        if trees is not None and _across_a_step(trees, reference.features, candidate.features):
            on_a_step.append(row["question"])
            continue
        assert candidate.answer.answered == reference.answer.answered, row["question"]
        quoted = [a.answer.quote and a.answer.quote.text for a in (candidate, reference)]
        assert quoted[0] == quoted[1]
    assert len(on_a_step) <= len(rows) // 10, on_a_step  # 8 of 112 with the twentieth session's refit


def _across_a_step(trees, one: dict[str, float], other: dict[str, float]) -> bool:
    """Does a threshold the trees split a signal at lie between (or on) its two values?"""
    return any(
        node[0] >= 0
        and one.get(trees.names[node[0]]) != other.get(trees.names[node[0]])
        and min(one[trees.names[node[0]]], other[trees.names[node[0]]]) - 1e-9
        <= node[1]
        <= max(one[trees.names[node[0]]], other[trees.names[node[0]]]) + 1e-9
        for nodes in trees.trees
        for node in nodes
    )


def test_a_cold_ask_never_imports_torch(shipped):
    import subprocess
    import sys

    probe = (
        "import sys, json; from resolution_qa.cli import main; "
        f"code = main(['ask', 'What does OP 15 request?', '--json', '--data', {str(shipped.settings.data_dir)!r}, "
        f"'--index', {str(shipped.settings.index_dir)!r}]); "
        "print(json.dumps({'code': code, 'heavy': [m for m in ('torch', 'transformers', 'sentence_transformers') "
        "if m in sys.modules]}), file=sys.stderr)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    report = json.loads(result.stderr.strip().splitlines()[-1])
    assert report == {"code": 0, "heavy": []}
    assert json.loads(result.stdout)["passages"][0]["location"] == "OP 15"


def test_cite_at_1_reads_the_gold_paragraph_kind_spelt_out_or_abbreviated(shipped):
    from resolution_qa.evaluate import evaluate

    row = {"question": "What does OP 15 of 78/311 request?", "expect": "answer", "gold": ["report"]}
    for kind, number, cited in (("operative", 15, 1.0), ("OP", 15, 1.0), ("op", "15", 1.0), ("PP", 15, 0.0)):
        report = evaluate(shipped, [{**row, "kind": kind, "number": number}], k=3)
        assert report["cite@1"] == cited, (kind, number)
    assert evaluate(shipped, [{**row, "kind": "record", "number": None}], k=3)["cite@1"] is None


def test_a_name_is_unknown_to_the_document_the_question_names(shipped):
    # the UN record of a resolution lists India among its sponsors; the article never names it
    scoped = shipped.analyze("What does the article say India's position was?")
    assert scoped.features["unknown_names"] == 1.0 and not scoped.answer.answered
    assert shipped.analyze("What was India's position on the resolution?").features["unknown_names"] == 0.0


def test_scope_words_are_the_named_documents_words(shipped):
    retriever = shipped.index.state[1]
    article = frozenset({"unga-ai-capacity-building-resolution.txt"})
    words = retriever.scope_words(article, frozenset())
    assert "ambassador" in words and "india" not in words  # the article's words only
    assert "india" in retriever.scope_words(frozenset(), frozenset())  # no scope: the collection's
    assert retriever.scope_words(article, frozenset()) is words  # read once, then kept
    assert not retriever.scope_words(article, frozenset({"A/RES/78/265"}))  # no passage is both


def test_a_citing_question_naming_two_resolutions_looks_in_the_later_for_the_earlier(shipped):
    """A resolution cites only earlier ones: "Does 78/311 reaffirm the March resolution?" looks in
    78/311 for how it cites 78/265; asked the other way round, both stay in scope."""
    state = shipped.index.state
    query = shipped._prepare(state, "does 78/311 reaffirm the march resolution?", ())
    assert query.symbols == {"A/RES/78/311"} and "resolution 78/265 of 21 March 2024" in query.topic
    answer = shipped.ask("does 78/311 reaffirm the march resolution?")
    assert answer.passages[0].chunk.location == "PP 3" and "78/265" in answer.quote.text
    # the question before names the subject ("it")
    follow = shipped._prepare(state, "Does it recall 78/265?", ["What does 78/311 say about capacity-building?"])
    assert follow.symbols == {"A/RES/78/311"} and "resolution 78/265 of" in follow.topic
    reversed_ = shipped._prepare(state, "Does 78/265 cite 78/311?", ())
    assert reversed_.symbols == {"A/RES/78/265", "A/RES/78/311"} and "resolution 78/" not in reversed_.topic


def test_the_shipped_ranking_rises_with_what_a_unit_holds(shipped):
    """Whatever its form (boosted trees are step functions over the signals and where each unit
    stands among the question's candidates, not a sum): over the candidates of real questions, a unit holding more
    of the question's words, aligned closer word by word, or the kind of value asked for scores
    higher far more often than lower; one missing the kind asked for, or a one-line fact the
    question does not address, lower. (Each changed where it can happen: only a one-line fact is
    ever unaddressed.)"""
    ranking = shipped.calibration.for_index(shipped.data.has_words).ranking
    changes = {  # each where it can happen: a kind held where none is missing, a fact line unaddressed
        "lexical": lambda f: f["lexical"] + 0.2,
        "soft_unit": lambda f: f["soft_unit"] + 0.1,
        "kind_ok": lambda f: 1.0 if not f["kind_missing"] else f["kind_ok"],
        "kind_missing": lambda f: 1.0 if not f["kind_ok"] else f["kind_missing"],
        "unaddressed_fact": lambda f: f["fact_line"],
    }
    moved = Counter()
    for question in (
        "What does 78/311 ask of the private sector?",
        "Who sponsored the capacity-building resolution?",
        "When did the General Assembly adopt the March resolution?",
        "What does the article say about developing countries?",
        "How many votes did resolution 78/311 get?",
    ):
        group = [u.features for r in shipped.analyze(question).ranked for u in r.units]
        before = ranking.scores(group)
        for i, features in enumerate(group):
            for signal, change in changes.items():
                if features[signal] != change(features):
                    after = ranking.scores([*group[:i], features | {signal: change(features)}, *group[i + 1 :]])[i]
                    moved[signal, (after > before[i]) - (after < before[i])] += 1
    for signal in ("lexical", "soft_unit", "kind_ok"):
        assert moved[signal, 1] > 4 * moved[signal, -1], (signal, moved)
    for signal in ("kind_missing", "unaddressed_fact"):
        assert moved[signal, -1] > 4 * moved[signal, 1], (signal, moved)


def test_a_resolution_no_document_is_or_cites_is_refused_by_name(shipped):
    for question in ("What is resolution 78/400 about?", "what does 78/400 say on data?"):
        answer = shipped.ask(question)
        assert not answer.answered and answer.message.startswith("A/RES/78/400 is not among the documents")
    # ... and a follow-up that names no document of its own asks about the same one
    follow = shipped.ask("Who sponsored it?", history=["What is resolution 78/400 about?"])
    assert not follow.answered and follow.message.startswith("A/RES/78/400 is not among")
    assert shipped.ask("What about 78/265?", history=["What is resolution 78/400 about?"]).answered
    # cited by a document (a report's symbol, an earlier resolution), or no resolution at all
    for question in (
        "What does the Secretary-General report A/74/821 set out?",
        "Which earlier resolution does 78/311 reaffirm, 78/265?",
        "Does it call for 50/50 gender parity in AI?",
    ):
        assert "is not among the documents" not in shipped.ask(question).message


@pytest.mark.parametrize(
    "question",
    ["What is it called?", "What is the resolution called?", "what is the name of the resolution", "What is it about?"],
)
def test_a_title_asked_without_the_word_is_the_record_title_of_the_resolution_whose_text_is_loaded(
    one_resolution, question
):
    # "called" is no word to search for ("Calls upon …"), "the resolution" no resolution PP 2 cites
    # by its title ("its resolution 70/1 …, entitled “Transforming our world …”"), and the
    # records of 78/265, whose text is not loaded, do not answer for the one that is
    answer = one_resolution.ask(question)
    top = answer.passages[0].chunk
    assert answer.answered and (top.symbol, top.paragraph_kind) == ("A/RES/78/311", "record")
    assert answer.quote.text == "Enhancing international cooperation on capacity-building of artificial intelligence"
    verbatim(one_resolution, answer)


@pytest.mark.parametrize(
    ("question", "history", "symbol"),
    [
        ("march resolution human rights", (), "A/RES/78/265"),
        ("july resolution digital divide", (), "A/RES/78/311"),
        ("and july", ("what march resolution say on data",), "A/RES/78/311"),
        ("same in march one", ("july resolution human rights",), "A/RES/78/265"),
    ],
)
def test_a_resolution_named_tersely_scopes_the_answer(shipped, question, history, symbol):
    answer = shipped.ask(question, history=list(history))
    assert answer.passages and all(p.chunk.symbol == symbol for p in answer.passages)


def test_who_adopted_it_is_not_answered_by_a_record_field_that_names_no_one(one_resolution):
    # "Adoption date: 1 July 2024" and "Adoption meeting: … A/78/PV.97" share "adopted" with the
    # question, but a label and a document symbol name no one: the date is no answer to "who"
    answer = one_resolution.ask("Who adopted it?")
    assert not answer.answered or "General Assembly" in answer.quote.text


def test_a_record_of_a_resolution_described_by_the_question_is_kept_though_its_text_is_not_loaded(one_resolution):
    # 78/265's text is not loaded, its catalogue record is: a question that describes it by its
    # title's words asks about it, not about the resolution whose text is there
    answer = one_resolution.ask("What is the title of the resolution on safe, secure and trustworthy AI?")
    assert answer.passages[0].chunk.symbol == "A/RES/78/265" and answer.quote.text.startswith(
        "Seizing the opportunities"
    )


def test_a_field_asked_of_it_is_the_loaded_resolutions_and_a_records_only_one_is_kept_when_named(one_resolution):
    answer = one_resolution.ask("For the lesson plan: at which plenary meeting was it adopted?")
    assert answer.passages[0].chunk.symbol == "A/RES/78/311" and "97th plenary meeting" in answer.quote.text
    # 78/265 by its number: only its record is loaded, and it is no longer scoped — still not 78/311's title
    answer = one_resolution.ask("What is the title of 78/265?")
    assert "Enhancing international cooperation" not in answer.quote.text and "Seizing" in answer.quote.text


def test_a_whole_date_asked_is_held_by_the_answer_not_only_its_day_month_and_year_apart(one_resolution):
    # PP 2 has a "25", a "July" and a "2023" (70/1 of 25 September 2015, 69/313 of 27 July 2015,
    # 78/1 of 29 September 2023); PP 3 has "77/320 of 25 July 2023"
    answer = one_resolution.ask("Which resolution of 25 July 2023 does the July text reaffirm?")
    assert answer.answered and "77/320 of 25 July 2023" in answer.quote.text
    verbatim(one_resolution, answer)


def test_a_loaded_resolutions_day_of_adoption_names_it_and_is_no_date_its_paragraphs_must_hold(one_resolution):
    # only the header says "1 July 2024"; what the resolution asks of Member States is in its OPs
    answer = one_resolution.ask("What does the resolution of 1 July 2024 encourage Member States to do?")
    assert answer.answered and answer.passages[0].chunk.paragraph_kind == "operative"


def test_the_title_asked_is_the_resolutions_own_not_its_agenda_items(shipped):
    answer = shipped.ask("Exact official title of 78/265 per the UN catalogue?")
    assert answer.passages[0].chunk.paragraph_kind == "record"
    assert answer.passages[0].chunk.text.startswith("Title: Seizing the opportunities")
    agenda = shipped.ask("Title of the agenda item 78/311 was adopted under?")
    assert agenda.answered and agenda.quote.text.startswith("Agenda item 13")


def test_a_session_asked_is_answered_by_a_session_not_by_a_report_that_names_none(shipped):
    # the March resolution asks for no report; its preamble "takes note of the report of the
    # Secretary-General entitled …", which names no session
    answer = shipped.ask("At which session does the March resolution want the Secretary-General to report?")
    assert not answer.answered
    july = shipped.ask("At which session does the July resolution want the Secretary-General to report?")
    assert july.answered and "eightieth session" in july.quote.text
