"""Word vectors in the index and the word signals they give (alignment.py), with a fake
model whose word vectors align a word with itself only."""

import json
import math

import numpy as np
import pytest

from fakes import FakeEncoder, FakeWordEncoder
from resolution_qa import QAEngine, indexing
from resolution_qa.alignment import aligned_words
from resolution_qa.answering import (
    ABSTAIN_FEATURES,
    ABSTAIN_WORD_FEATURES,
    UNIT_FEATURES,
    WORD_FEATURES,
    Calibration,
    CalibrationError,
    Ranking,
    default_calibration,
    specificity,
)
from resolution_qa.index import model_info
from resolution_qa.store import load


def unit_texts(data):
    return [data.by_source[c.source].text[s:e] for c in data.chunks for s, e in c.sentences]


def test_the_index_keeps_each_units_content_word_vectors(settings):
    engine = QAEngine.open(settings, encoder=FakeWordEncoder())
    data = engine.data
    assert data.has_words
    texts = unit_texts(data)
    assert [int(n) for n in data.word_counts] == [len(aligned_words(t)) for t in texts]
    # saved and read back as written
    again = load(settings.index_dir, model_info(FakeWordEncoder()), data.params)
    assert again.has_words
    assert np.array_equal(again.word_counts, data.word_counts)
    assert np.array_equal(np.asarray(again.word_vectors), np.asarray(data.word_vectors))


def test_an_encoder_without_word_vectors_builds_an_index_without_them(engine):
    assert not engine.data.has_words and len(engine.data.word_vectors) == 0
    analysis = engine.analyze("What does the network of tidal energy research centres do?")
    assert not set(WORD_FEATURES) & set(analysis.ranked[0].best.features)


def test_a_large_index_keeps_no_word_vectors(settings, monkeypatch):
    monkeypatch.setattr(indexing, "WORD_VECTOR_PASSAGES", 3)
    engine = QAEngine.open(settings, encoder=FakeWordEncoder())
    assert len(engine.data.chunks) > 3 and not engine.data.has_words


def test_documents_indexed_without_word_vectors_are_embedded_again(settings, corpus):
    QAEngine.open(settings, encoder=FakeEncoder())
    (corpus / "new.md").write_text("# Kelp\n\nKelp farms grew by a third in 2031.\n", encoding="utf-8")
    updated = QAEngine.open(settings, encoder=FakeWordEncoder())
    assert updated.data.has_words
    assert updated.report.embedded == updated.report.passages  # the kept documents too
    assert [int(n) for n in updated.data.word_counts] == [len(aligned_words(t)) for t in unit_texts(updated.data)]


def test_kept_documents_keep_their_word_vectors(settings, corpus):
    encoder = FakeWordEncoder()
    first = QAEngine.open(settings, encoder=encoder)
    before = {t: np.asarray(first.data.unit_words(i)) for i, t in enumerate(unit_texts(first.data))}
    (corpus / "new.md").write_text("# Kelp\n\nKelp farms grew by a third in 2031.\n", encoding="utf-8")
    updated = QAEngine.open(settings, encoder=encoder)
    assert updated.report.unchanged and updated.report.embedded < updated.report.passages
    texts = unit_texts(updated.data)
    kept = [i for i, t in enumerate(texts) if t in before]
    assert kept and all(np.array_equal(np.asarray(updated.data.unit_words(i)), before[texts[i]]) for i in kept)
    new = [i for i, t in enumerate(texts) if t not in before]
    assert [len(updated.data.unit_words(i)) for i in new] == [len(aligned_words(texts[i])) for i in new]


def test_a_unit_holding_every_word_of_the_question_covers_it(settings):
    engine = QAEngine.open(settings, encoder=FakeWordEncoder())
    analysis = engine.analyze("Which workshops on turbine maintenance do regional commissions organize?")
    best = analysis.ranked[0]
    assert best.chunk.paragraph_number == 4
    unit = next(u for u in best.units if "turbine maintenance" in best.chunk.text[u.span[0] - best.chunk.start :])
    assert unit.features["soft_unit"] == pytest.approx(1.0, abs=1e-3)
    assert unit.features["soft_passage"] == pytest.approx(1.0, abs=1e-3)
    # an item of the paragraph that holds none of the words covers none of them
    item = next(u for u in best.units if "corrosion" in engine.data.by_source[best.chunk.source].text[slice(*u.span)])
    assert item.features["soft_unit"] == pytest.approx(0.0, abs=1e-3)
    assert set(ABSTAIN_WORD_FEATURES) <= set(analysis.features)
    # every word of that question is the documents' own; one that is not gives itself away
    assert analysis.features["unknown_max"] == 0.0
    unknown = engine.analyze("Which workshops on sourdough do regional commissions organize?")
    assert unknown.features["unknown_max"] == pytest.approx(specificity("sourdough") / 7)


def words_calibration() -> Calibration:
    plain = Calibration(dict.fromkeys(ABSTAIN_FEATURES, 0.1), 0.0, ranking=Ranking(dict.fromkeys(UNIT_FEATURES, 1.0)))
    return Calibration(
        dict.fromkeys((*ABSTAIN_FEATURES, *ABSTAIN_WORD_FEATURES), 0.2),
        0.0,
        ranking=Ranking(dict.fromkeys((*UNIT_FEATURES, *WORD_FEATURES), 1.0)),
        plain=plain,
    )


def test_a_calibration_with_word_signals_carries_models_for_indexes_without_them():
    calibration = words_calibration()
    again = Calibration.from_json(json.loads(json.dumps(calibration.to_json())), "test")
    assert again == calibration
    assert again.for_index(True) is again and again.for_index(False) == calibration.plain
    raw = calibration.to_json()
    del raw["without_words"]
    with pytest.raises(CalibrationError, match="no models for indexes without them"):
        Calibration.from_json(raw, "test")


def test_each_index_is_answered_with_the_models_for_it(settings):
    calibration = words_calibration()
    with_words = QAEngine.open(settings, encoder=FakeWordEncoder(), calibration=calibration)
    without = QAEngine.open(settings, encoder=FakeEncoder(), calibration=calibration, force=True)
    question = "Which workshops on turbine maintenance do regional commissions organize?"
    assert with_words.analyze(question).probability == pytest.approx(
        calibration.probability(with_words.analyze(question).features)
    )
    features = without.analyze(question).features
    assert not set(ABSTAIN_WORD_FEATURES) & set(features)
    assert without.analyze(question).probability == pytest.approx(calibration.plain.probability(features))


def test_the_shipped_calibration_weighs_the_word_signals():
    shipped = default_calibration()
    assert shipped.uses_words and shipped.plain is not None and not shipped.plain.uses_words


def test_an_index_with_word_vectors_asked_through_an_encoder_without_them(settings):
    calibration = words_calibration()
    QAEngine.open(settings, encoder=FakeWordEncoder())
    plain = QAEngine.open(settings, encoder=FakeEncoder(), calibration=calibration)  # the same index, reused
    assert plain.data.has_words and plain.report.embedded == 0
    analysis = plain.analyze("Which workshops on turbine maintenance do regional commissions organize?")
    assert analysis.answer.passages and not set(ABSTAIN_WORD_FEATURES) & set(analysis.features)
    assert analysis.probability == pytest.approx(calibration.plain.probability(analysis.features))


LABELLED = [
    {"question": "Which workshops do the regional commissions organize?", "gold": ["workshops on turbine maintenance"]},
    {"question": "What does the Assembly decide to establish?", "gold": ["informal network of tidal energy"]},
    {"question": "When is the lighthouse archive open?", "gold": ["open on Tuesdays"]},
    {"question": "Where is the lighthouse archive?", "gold": ["Port Elspeth"]},
    {"question": "How many apple trees did the cooperative plant?", "gold": ["4,000 apple trees"]},
    {"question": "Who chairs the cooperative?", "gold": ["Marta Ilves"]},
    {"question": "What should Member States share openly?", "gold": ["tidal measurement data"]},
    {"question": "What award did the cooperative receive?", "gold": ["regional sustainability award"]},
    {"question": "What is the capital of Peru?", "expect": "abstain"},
    {"question": "Who won the football world cup?", "expect": "abstain"},
    {"question": "How much did the new stadium cost?", "expect": "abstain"},
    {"question": "Which bank financed the railway bridge?", "expect": "abstain"},
]


def test_calibrate_fits_word_models_on_indexes_that_keep_them_and_plain_ones_on_all(settings, corpus, tmp_path):
    from resolution_qa.config import Settings
    from resolution_qa.evaluate import calibrate

    with_words = QAEngine.open(settings, encoder=FakeWordEncoder())
    without = QAEngine.open(Settings(data_dir=corpus, index_dir=tmp_path / "plain-index"), encoder=FakeEncoder())
    output = tmp_path / "calibration.json"
    result = calibrate(
        [("words", LABELLED, with_words), ("plain", LABELLED, without)], str(output), folds=3, trees=True
    )
    loaded = Calibration.from_json(json.loads(output.read_text()), "calibration.json")
    assert loaded.uses_words and not loaded.plain.uses_words
    assert set(loaded.signals) == {*ABSTAIN_FEATURES, *ABSTAIN_WORD_FEATURES}
    assert result["indexes_with_word_vectors"] == 1
    # the word models saw one round of questions ("words"): folds interleave them; the form of
    # the model is the one chosen out of fold
    assert result["folds_by"] == "interleaved"
    assert result["without_words_figures"]["folds_by"] == "round"  # "words" and "plain": a round a fold
    chosen = result["out_of_fold_by_form_and_weight"][f"{result['abstain_form']} {result['abstain_weight']}"]
    assert chosen == result["out_of_fold"]
    tried = result["out_of_fold_by_form_and_weight"].values()
    # within one standard error of the most accurate, the best on both rates (choose_abstention)
    best = max(v["accuracy"] for v in tried)
    near = [v for v in tried if v["accuracy"] >= best - math.sqrt(best * (1 - best) / result["questions"])]
    assert chosen in near and chosen["balanced_accuracy"] == max(v["balanced_accuracy"] for v in near)
    rates = (chosen["answers_when_it_should"] + chosen["abstains_when_it_should"]) / 2
    assert chosen["balanced_accuracy"] == pytest.approx(rates, abs=1e-4)
    # the word models saw only the index that keeps word vectors; the plain ones both
    assert result["without_words_figures"]["ranking_questions"] == 2 * result["ranking_questions"]
    # the ranking: listwise weights at each strength and trees tried, the best out of fold kept
    # and written in its form
    ranked = result["ranking_out_of_fold_by_l2"]
    assert "trees" in ranked and len(ranked) == 6
    assert result["ranking_out_of_fold"]["unit@1"] == max(v["unit@1"] for v in ranked.values())
    assert (loaded.ranking.trees is not None) == (result["ranking_form"] == "trees")
    # no index with word vectors: only the plain models
    only = calibrate([("plain", LABELLED, without)], str(output), folds=3)
    loaded = Calibration.from_json(json.loads(output.read_text()), "calibration.json")
    assert not loaded.uses_words and loaded.plain is None and "without_words" not in only
    # without --trees, only the listwise weights are tried
    assert "trees" not in only["ranking_out_of_fold_by_l2"] and loaded.ranking.trees is None


def test_calibrate_learns_refusals_from_rankings_that_never_saw_the_question(settings, corpus, tmp_path, monkeypatch):
    """Cross-fitting: each answerable question's candidates come from a ranking fitted without
    it — its fold's when folds interleave one round's questions, its round's fold's when they
    hold out rounds — never from the ranking fitted on all."""
    from resolution_qa import evaluate
    from resolution_qa.config import Settings

    trained_on, used = {}, []
    fit = evaluate.fit_ranking

    def recording_fit(groups, l2, names):
        ranking = fit(groups, l2, names)
        trained_on[id(ranking)] = {id(g) for g in groups}
        return ranking

    rows = evaluate._abstention_rows

    def recording_rows(asked, rankings):
        used.append([(row, round_, ranking) for (row, _, round_), ranking in zip(asked, rankings, strict=True)])
        return rows(asked, rankings)

    monkeypatch.setattr(evaluate, "fit_ranking", recording_fit)
    monkeypatch.setattr(evaluate, "_abstention_rows", recording_rows)
    with_words = QAEngine.open(settings, encoder=FakeWordEncoder())
    without = QAEngine.open(Settings(data_dir=corpus, index_dir=tmp_path / "plain-index"), encoder=FakeEncoder())
    evaluate.calibrate(
        [("words", LABELLED, with_words), ("plain", LABELLED, without)], str(tmp_path / "c.json"), folds=3
    )
    kept, kept_plain = with_words.calibration.ranking, with_words.calibration.plain.ranking  # fitted on all
    interleaved, by_round = used  # the word models (one round), then the plain ones (two rounds)
    answerable = [k for row, _, k in interleaved if row.get("expect", "answer") == "answer"]
    assert len({id(k) for k in answerable}) == 3  # one per fold, each fitted on fewer questions
    assert all(k is not kept and trained_on[id(k)] < trained_on[id(kept)] for k in answerable)
    for round_ in ("words", "plain"):
        rankings = {id(k) for _, r, k in by_round if r == round_}
        assert len(rankings) == 1  # the whole round by one ranking: fitted on the other round only
        assert 2 * len(trained_on[next(iter(rankings))]) == len(trained_on[id(kept_plain)])
