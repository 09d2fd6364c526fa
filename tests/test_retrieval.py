import numpy as np

from resolution_qa.retrieval import Retriever, rrf
from resolution_qa.tokens import tokenize


def test_rrf_worked_example():
    assert rrf([[7, 3], [3, 9]], k=0) == {7: 0.5, 3: 0.75, 9: 0.25}


def test_rrf_prefers_agreement():
    fused = rrf([[1, 2, 3], [2, 1, 3]])
    assert fused[1] == fused[2] > fused[3]
    assert rrf([]) == {}
    assert max(rrf([[5], [5]]).values()) == 1.0


def test_bm25_finds_exact_names(engine):
    retriever = engine.retriever
    scores = retriever.bm25_scores(tokenize("Marta Ilves"))
    best = engine.data.chunks[int(np.argmax(scores))]
    assert "Marta Ilves" in best.text


def test_unknown_words_score_zero(engine):
    assert not engine.retriever.bm25_scores(tokenize("zzzz qqqq")).any()
    assert not engine.retriever.bm25_scores([]).any()


def test_hybrid_search_ranks_the_right_passage_first(engine, fake_encoder):
    question = "Who should share tidal measurement data?"
    hits = engine.retriever.search(fake_encoder.encode([question])[0], tokenize(question))
    top = engine.data.chunks[hits[0].index]
    assert top.location == "OP 2"
    assert hits == sorted(hits, key=lambda h: -h.score)


def test_source_filter(engine, fake_encoder):
    question = "lighthouse logbooks"
    vector = fake_encoder.encode([question])[0]
    hits = engine.retriever.search(vector, tokenize(question), source="orchard-article.txt")
    assert hits and {engine.data.chunks[h.index].source for h in hits} == {"orchard-article.txt"}
    assert engine.retriever.search(vector, tokenize(question), source="missing.txt") == []


def test_empty_corpus(tmp_path, fake_encoder):
    from resolution_qa.store import IndexData

    data = IndexData([], [], np.zeros((0, 256), np.float32), np.zeros((0, 256), np.float32), {})
    retriever = Retriever(data)
    assert retriever.search(fake_encoder.encode(["x"])[0], ["x"]) == []


def test_acronyms_are_collected(engine, corpus):
    (corpus / "x.txt").write_text("The Tidal Research Network (TRN) met.", encoding="utf-8")
    from resolution_qa import QAEngine

    updated = QAEngine.open(engine.settings, encoder=engine.encoder)
    assert updated.retriever.acronyms["TRN"] == "Tidal Research Network"


def test_a_lowercase_acronym_is_a_word_only_where_the_documents_write_it_as_one(engine, corpus):
    """ "crews" is a word where a document writes it in lowercase, not where it only writes
    "CREWS"; a piece of a web address ("un.org") is no word."""
    from resolution_qa import QAEngine

    (corpus / "x.txt").write_text(
        "The Climate Risk and Early Warning Systems (CREWS) initiative; see https://www.un.org/crews.", encoding="utf-8"
    )
    updated = QAEngine.open(engine.settings, encoder=engine.encoder)
    assert not updated.retriever.known_word("un") and not updated.retriever.known_word("crews")
    assert updated.retriever.acronyms.capitalized("what are crews?", used=updated.retriever.known_word) == (
        "what are CREWS?"
    )
    (corpus / "y.txt").write_text("Ships and their crews were rescued.", encoding="utf-8")
    again = QAEngine.open(engine.settings, encoder=engine.encoder)
    assert again.retriever.known_word("crews")
    assert again.retriever.acronyms.capitalized("what are crews?", used=again.retriever.known_word) == "what are crews?"


def test_a_sentence_inherits_the_words_of_the_chain_of_sentences_it_refers_back_to(engine, corpus):
    """ "It also banned trawling." after "The charter protected …" after "The Harbour Board adopted
    the Kelp Charter …": a question about the Kelp Charter finds the words of all three; the
    chain stops at a sentence that starts afresh."""
    from resolution_qa import QAEngine
    from resolution_qa.answers import _referred_tokens

    (corpus / "kelp.txt").write_text(
        "Kelp news\n\n"
        + "\n\n".join(
            f"The Harbour Board adopted the Kelp Charter for the northern coast in 2031. {middle} "
            "It also banned bottom trawling in every bay of the northern coast from that year on."
            for middle in (
                "The charter protected the reefs and the seagrass meadows of the whole coastline.",
                "Fishers from the southern villages met in May to discuss the season ahead.",
            )
        )
        + "\n",
        encoding="utf-8",
    )
    updated = QAEngine.open(engine.settings, encoder=engine.encoder)
    data, retriever = updated.index.state
    text = data.by_source["kelp.txt"].text
    chained, broken = [
        (row, chunk)
        for row, chunk in enumerate(data.chunks)
        if chunk.source == "kelp.txt" and len(chunk.sentences) == 3
    ]
    for (row, chunk), reaches_kelp in ((chained, True), (broken, False)):
        first = int(data.sentence_offsets[row])
        referred = _referred_tokens(retriever, chunk, text, first, 2)
        assert ("kelp" in referred) is reaches_kelp
        assert retriever.unit_tokens(first + 1) <= referred
