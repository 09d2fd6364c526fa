import pytest

from resolution_qa import QAEngine, Settings, UnknownSource
from resolution_qa.query import MAX_QUESTION_CHARS, clean_question


def check_integrity(engine, answer):
    for passage in answer.passages:
        doc = engine.data.by_source[passage.chunk.source]
        assert doc.text[passage.chunk.start : passage.chunk.end] == passage.chunk.text
        for start, end in passage.highlights:
            assert passage.chunk.start <= start < end <= passage.chunk.end
    if answer.quote is not None:
        doc = engine.data.by_source[answer.quote.source]
        assert doc.text[answer.quote.start : answer.quote.end] == answer.quote.text
        assert any(
            p.chunk.source == answer.quote.source
            and p.chunk.start <= answer.quote.start
            and answer.quote.end <= p.chunk.end
            for p in answer.passages
        )


def test_answer_quotes_the_operative_paragraph(engine):
    answer = engine.ask("Which network does the assembly decide to establish?")
    top = answer.passages[0].chunk
    assert (top.paragraph_kind, top.paragraph_number) == ("operative", 1)
    assert answer.quote.text.startswith("1. Decides to establish")
    assert answer.passages[0].highlights == ((answer.quote.start, answer.quote.end),)
    check_integrity(engine, answer)


def test_k_controls_the_number_of_passages(engine):
    assert len(engine.ask("tidal energy", k=1).passages) == 1
    assert len(engine.ask("tidal energy", k=5).passages) == 5
    assert len(engine.ask("tidal energy", k=500).passages) <= 20


def test_source_filter_and_unknown_source(engine):
    answer = engine.ask("When is the archive open?", source="lighthouse-notes.md")
    assert {p.chunk.source for p in answer.passages} == {"lighthouse-notes.md"}
    with pytest.raises(UnknownSource, match="choose one of"):
        engine.ask("anything", source="nope.txt")


@pytest.mark.parametrize("question", ["", "   ", "\x00\x01", "\u200b"])
def test_empty_questions_get_a_clear_reply(engine, question):
    answer = engine.ask(question)
    assert not answer.answered and answer.passages == ()
    assert "type a question" in answer.message


def test_long_question_is_cut_with_a_notice(engine):
    answer = engine.ask("tidal energy " * 10_000)
    assert len(answer.question) <= MAX_QUESTION_CHARS
    assert answer.notices and "cut" in answer.notices[0]
    check_integrity(engine, answer)


@pytest.mark.parametrize(
    "question",
    [
        "What about 🤖🌊 tidal energy?",
        "ما هو القرار بشأن الطاقة؟",
        "<script>alert(1)</script> tidal?",
        "**bold** [link](http://example.com) ![img](http://example.com/x.png)",
        "Ünïcödé\tquestion\nwith\rcontrols",
    ],
)
def test_odd_questions_get_sensible_answers(engine, question):
    answer = engine.ask(question)
    check_integrity(engine, answer)
    assert answer.message


def test_follow_up_uses_history(engine):
    alone = engine.ask("What did it encourage?")
    followed = engine.ask(
        "What did it encourage?", history=["What does the tidal energy resolution ask of Member States?"]
    )
    assert followed.passages[0].chunk.location == "OP 2"
    assert alone.question == followed.question


def test_no_documents(tmp_path, fake_encoder):
    engine = QAEngine.open(Settings(data_dir=tmp_path / "empty", index_dir=tmp_path / "ix"), encoder=fake_encoder)
    answer = engine.ask("Anything?")
    assert not answer.answered and "No documents" in answer.message


def test_json_shape(engine):
    data = engine.ask("Who chairs the cooperative?", id="q1").to_json()
    assert set(data) == {"id", "question", "answered", "message", "answer", "passages", "notices"}
    assert data["id"] == "q1"
    assert set(data["answer"]) == {"text", "source", "char_start", "char_end"}
    passage = data["passages"][0]
    assert {"rank", "source", "title", "location", "text", "char_start", "char_end", "score", "highlights"} <= set(
        passage
    )
    assert passage["rank"] == 1 and 0 <= passage["score"] <= 1
    assert [p["score"] for p in data["passages"]] == sorted((p["score"] for p in data["passages"]), reverse=True)


def test_clean_question():
    assert clean_question("  a\x00b\u200bc \n d ") == "abc d"


def test_relevance_map_covers_every_passage(engine):
    rows = engine.relevance("tidal measurement data")
    assert len(rows) == len(engine.data.chunks)
    best = max(rows, key=lambda r: r[1])[0]
    assert best.location == "OP 2"
    assert engine.relevance("") == []


def test_the_best_paragraph_by_words_competes_wherever_fusion_put_it():
    """A long paragraph that holds the rare word asked for ("centres") can sit low in both dense
    rankings: the best three by BM25 compete anyway — the very best (rank 0) too."""
    from resolution_qa.engine import CANDIDATE_PASSAGES, _candidates
    from resolution_qa.query import prepare
    from resolution_qa.retrieval import Hit

    fused = [Hit(i, 1.0 - i / 100, 0.5, lexical_rank=i + 3) for i in range(CANDIDATE_PASSAGES)]
    low = [Hit(50, 0.2, 0.1, lexical_rank=0), Hit(51, 0.1, 0.1, lexical_rank=2), Hit(52, 0.1, 0.1, lexical_rank=None)]
    chosen = {hit.index for hit in _candidates(None, prepare("What about the centres?"), fused + low)}
    assert chosen == {*range(CANDIDATE_PASSAGES), 50, 51}


def test_lowercase_acronyms_are_read_as_the_documents_write_them(engine):
    """ "and the sdgs?" after "how does the un use ai?" is searched as "SDGs", "UN" and "AI" are
    (spelled out for BM25); the pronoun "us" stays; the answer shows the question as typed."""
    state = engine.index.state
    query = engine._prepare(state, "and the sdgs? tell us", ["how does the un use ai?"])
    assert query.text == "and the SDGs? tell us" and query.shown == "and the sdgs? tell us"
    assert query.context == "how does the UN use AI?"
    tokens = state[1].tokens(query.search_context)
    assert {"artifici", "intellig", "unit", "nation", "sustain"} <= set(tokens)
    assert engine.ask("what about tidal ai?").question == "what about tidal ai?"


def test_every_candidate_unit_is_scored_among_all_the_others(engine):
    """The ranking sees a question's candidate units all at once (trees weigh where each stands
    among them), not one passage at a time."""
    from dataclasses import dataclass

    from resolution_qa.answering import Calibration, Ranking

    groups = []

    @dataclass(frozen=True)
    class Recording(Ranking):
        def scores(self, group):
            groups.append(len(group))
            return super().scores(group)

    engine.calibration = Calibration.unfitted(Recording())
    analysis = engine.analyze("Which workshops do the regional commissions organize?")
    units = sum(len(r.units) for r in analysis.ranked)
    assert len(analysis.ranked) > 1 and groups == [units]
