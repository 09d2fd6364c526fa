import json

import numpy as np
import pytest

from resolution_qa import QAEngine
from resolution_qa.store import IndexUnavailable, load, read_manifest

MODEL = {"name": "fake-hashing-encoder", "sha256": "0" * 64, "dim": 256}


def live(settings):
    return settings.index_dir / (settings.index_dir / "CURRENT").read_text().strip()


def test_manifest_records_model_params_sources_and_checksums(engine, settings):
    manifest = read_manifest(settings.index_dir)
    assert manifest["model"] == MODEL
    assert manifest["chunking"] == engine.data.params
    assert set(manifest["sources"]) == {"tidal-resolution.txt", "lighthouse-notes.md", "orchard-article.txt"}
    assert set(manifest["files"]) == {
        "faiss.index",
        "units.faiss",
        "passages.jsonl",
        "documents.jsonl",
        "vectors.npy",
        "sentence_vectors.npy",
        "word_vectors.npy",
        "word_counts.npy",
    }
    assert manifest["faiss_type"] == "IndexFlatIP"


def test_round_trip(engine, settings):
    data = load(settings.index_dir, MODEL, engine.data.params)
    assert [c.to_dict() for c in data.chunks] == [c.to_dict() for c in engine.data.chunks]
    assert np.allclose(data.vectors, engine.data.vectors)


def test_vectors_are_stored_as_float16_and_memory_mapped(engine, settings):
    data = load(settings.index_dir, MODEL, engine.data.params)
    assert data.vectors.dtype == np.float16 and isinstance(data.vectors, np.memmap)
    assert isinstance(data.sentence_vectors, np.memmap) and data.unit_index.ntotal == len(data.sentence_vectors)
    assert np.abs(data.vectors.astype(np.float32) - engine.data.vectors.astype(np.float32)).max() == 0


def test_only_files_changed_since_their_last_check_are_hashed(engine, settings, monkeypatch):
    from resolution_qa import store

    hashed = []
    real = store.file_sha256
    monkeypatch.setattr(store, "file_sha256", lambda path: hashed.append(path.name) or real(path))
    load(settings.index_dir, MODEL, engine.data.params)
    assert hashed == []  # written by this build: recorded as verified
    target = live(settings) / "passages.jsonl"
    target.write_bytes(target.read_bytes())  # same bytes, new mtime: checked once, then trusted again
    load(settings.index_dir, MODEL, engine.data.params)
    load(settings.index_dir, MODEL, engine.data.params)
    assert hashed == ["passages.jsonl"]
    flipped = bytearray(target.read_bytes())
    flipped[10] ^= 1  # same size, one byte changed: its mtime moves, so it is hashed and refused
    target.write_bytes(bytes(flipped))
    with pytest.raises(IndexUnavailable, match="checksum"):
        load(settings.index_dir, MODEL, engine.data.params)


def test_no_pickle_in_index(engine, settings):
    for name in ("vectors.npy", "sentence_vectors.npy"):
        np.load(live(settings) / name, allow_pickle=False)  # raises if it held objects


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda g: (g / "faiss.index").write_bytes((g / "faiss.index").read_bytes()[:100]), "checksum"),
        (lambda g: (g / "units.faiss").write_bytes((g / "units.faiss").read_bytes()[:100]), "checksum"),
        (lambda g: (g / "passages.jsonl").unlink(), "missing"),
        (lambda g: (g / "vectors.npy").write_bytes(b"garbage"), "checksum"),
        (lambda g: (g / "manifest.json").write_text("{not json"), "manifest"),
    ],
)
def test_damage_is_detected_with_a_reason(engine, settings, damage, reason):
    damage(live(settings))
    with pytest.raises(IndexUnavailable, match=reason):
        load(settings.index_dir, MODEL, engine.data.params)


def test_other_model_or_params_is_refused(engine, settings):
    with pytest.raises(IndexUnavailable, match="another model"):
        load(settings.index_dir, {**MODEL, "sha256": "1" * 64}, engine.data.params)
    with pytest.raises(IndexUnavailable, match="chunking"):
        load(settings.index_dir, MODEL, {**engine.data.params, "max_chars": 123})


def test_missing_index_message_says_how_to_build(tmp_path):
    with pytest.raises(IndexUnavailable, match='run "python -m resolution_qa build"'):
        load(tmp_path / "index", MODEL, {})


@pytest.mark.parametrize("file", ["faiss.index", "passages.jsonl", "manifest.json"])
def test_damaged_index_is_rebuilt_on_open(engine, settings, fake_encoder, file, caplog):
    target = live(settings) / file
    target.write_bytes(target.read_bytes()[: len(target.read_bytes()) // 2])
    reopened = QAEngine.open(settings, encoder=fake_encoder)
    assert reopened.report.rebuilt_reason
    assert len(reopened.data.chunks) == len(engine.data.chunks)
    answer = reopened.ask("Which network does the resolution establish?")
    doc = reopened.data.by_source[answer.passages[0].chunk.source]
    assert doc.text[answer.passages[0].chunk.start : answer.passages[0].chunk.end] == answer.passages[0].chunk.text


def test_manifest_is_human_readable(engine, settings):
    text = (live(settings) / "manifest.json").read_text()
    manifest = json.loads(text)
    # indented, one key per line, and it says in words what a reader needs to check an index
    assert text.startswith("{\n  ") and len(text.splitlines()) > 10
    assert manifest["format_version"] >= 1 and manifest["passages"] == len(engine.data.chunks)
    assert {"name", "sha256", "dim"} <= set(manifest["model"])
    assert set(manifest["sources"]) == {d.source for d in engine.data.documents}
    assert all(len(digest) == 64 for digest in manifest["files"].values())
