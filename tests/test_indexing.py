import numpy as np

from resolution_qa import QAEngine
from resolution_qa.store import read_manifest


def test_first_build_embeds_everything(engine, fake_encoder):
    assert sorted(engine.report.added) == ["lighthouse-notes.md", "orchard-article.txt", "tidal-resolution.txt"]
    assert engine.report.embedded == engine.report.passages > 0


def test_reopening_a_current_index_embeds_nothing(engine, settings, fake_encoder):
    before = fake_encoder.texts_encoded
    again = QAEngine.open(settings, encoder=fake_encoder)
    assert fake_encoder.texts_encoded == before
    assert again.report.embedded == 0


def test_adding_a_file_embeds_only_that_file(engine, settings, fake_encoder, corpus):
    (corpus / "new.md").write_text("# Glaciers\n\nThe glacier retreated 40 metres in 2031.\n", encoding="utf-8")
    updated = QAEngine.open(settings, encoder=fake_encoder)
    assert updated.report.added == ["new.md"]
    assert updated.report.unchanged and not updated.report.changed
    new_chunks = [c for c in updated.data.chunks if c.source == "new.md"]
    assert updated.report.embedded == len(new_chunks)
    assert "new.md" in read_manifest(settings.index_dir)["sources"]


def test_changing_and_removing_files(engine, settings, fake_encoder, corpus):
    (corpus / "orchard-article.txt").write_text("Orchard news\n\nThe cooperative closed in 2031.\n", encoding="utf-8")
    (corpus / "lighthouse-notes.md").unlink()
    updated = QAEngine.open(settings, encoder=fake_encoder)
    assert updated.report.changed == ["orchard-article.txt"]
    assert updated.report.removed == ["lighthouse-notes.md"]
    assert {d.source for d in updated.documents} == {"orchard-article.txt", "tidal-resolution.txt"}
    assert updated.report.embedded == len([c for c in updated.data.chunks if c.source == "orchard-article.txt"])
    answer = updated.ask("When did the cooperative close?")
    assert "2031" in answer.passages[0].chunk.text


def test_reused_vectors_match_fresh_ones(engine, settings, fake_encoder, corpus):
    (corpus / "extra.txt").write_text("Extra document about kelp farming.", encoding="utf-8")
    updated = QAEngine.open(settings, encoder=fake_encoder)
    texts = [updated.data.by_source[c.source].text[s:e] for c in updated.data.chunks for s, e in c.sentences]
    fresh = fake_encoder.encode(texts).astype(np.float16)  # stored as float16
    assert np.array_equal(updated.data.sentence_vectors, fresh)
    owner = np.repeat(np.arange(len(updated.data.chunks)), [len(c.sentences) for c in updated.data.chunks])
    sums = np.zeros((len(updated.data.chunks), fresh.shape[1]), np.float32)
    np.add.at(sums, owner, fake_encoder.encode(texts))  # a paragraph's vector: its units' sum, normalized
    expected = sums / np.linalg.norm(sums, axis=1, keepdims=True)
    assert np.abs(updated.data.vectors.astype(np.float32) - expected).max() < 2e-3  # float16


def test_force_rebuild_embeds_everything(engine, settings, fake_encoder):
    rebuilt = QAEngine.open(settings, encoder=fake_encoder, force=True)
    assert rebuilt.report.embedded == rebuilt.report.passages
    # what was indexed already is "re-indexed", not "added"
    assert rebuilt.report.added == [] and sorted(rebuilt.report.reindexed) == sorted(d.source for d in engine.documents)
    assert any(line.startswith("re-indexed: ") for line in rebuilt.report.lines())


def test_bad_file_is_skipped_not_fatal(settings, fake_encoder, corpus):
    (corpus / "broken.pdf").write_bytes(b"%PDF-garbage")
    engine = QAEngine.open(settings, encoder=fake_encoder)
    assert [s.path for s in engine.skipped] == ["broken.pdf"]
    assert len(engine.documents) == 3
    # the skipped file is remembered, so the next start does not rebuild
    again = QAEngine.open(settings, encoder=fake_encoder)
    assert again.report.embedded == 0 and not again.report.added
    assert [s.path for s in again.skipped] == ["broken.pdf"] and "PDF" in again.skipped[0].reason
