"""OnnxEncoder: the vectors of MiniLMEncoder without importing torch (issue 15).

The refusal tests run on a hand-made export folder (bytes that are no model, and a record
of their hash); the tests marked ``model`` export the real model once per session."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, SEED
from resolution_qa.alignment import aligned_words
from resolution_qa.embedding import (
    MODEL_DIM,
    MODEL_NAME,
    MODEL_SHA256,
    MiniLMEncoder,
    ModelError,
    default_model_path,
    file_sha256,
)
from resolution_qa.onnx_encoder import (
    MAX_SEQ_LENGTH,
    ONNX_FILE,
    RECORD_FILE,
    TOKENIZER_FILE,
    OnnxEncoder,
    OnnxModel,
    export_onnx,
    mean_pool_normalize,
)

QUESTION_FILES = (ROOT / "eval" / "dev_qa.jsonl", ROOT.parent / "shared" / "eval" / "dev_resolutions_qa.jsonl")


def fake_export(folder: Path, **changes) -> Path:
    """An export folder whose model.onnx is a few bytes (refused before ONNX Runtime reads it)."""
    folder.mkdir()
    (folder / ONNX_FILE).write_bytes(b"not an onnx model")
    shutil.copyfile(default_model_path() / "tokenizer.json", folder / TOKENIZER_FILE)
    record = OnnxModel(folder, file_sha256(folder / ONNX_FILE), file_sha256(folder / TOKENIZER_FILE), MODEL_SHA256)
    record = dataclasses.replace(record, **changes)
    (folder / RECORD_FILE).write_text(json.dumps(record.to_dict()), encoding="utf-8")
    return folder


def assert_names_file_and_fix(error: ModelError, path: Path) -> None:
    message = str(error)
    assert str(path) in message
    assert "python -m resolution_qa build --force" in message and "export_onnx(" in message


def test_tampered_onnx_file_is_refused_naming_file_hash_and_fix(tmp_path):
    folder = fake_export(tmp_path / "export")
    expected = OnnxModel.read(folder).sha256
    with open(folder / ONNX_FILE, "r+b") as handle:
        handle.write(b"NOT")
    with pytest.raises(ModelError) as info:
        OnnxEncoder(folder).encode(["x"])
    assert_names_file_and_fix(info.value, folder / ONNX_FILE)
    assert f"expected {expected}" in str(info.value)


@pytest.mark.parametrize("name", [ONNX_FILE, TOKENIZER_FILE])
def test_a_missing_file_is_refused(tmp_path, name):
    folder = fake_export(tmp_path / "export")
    (folder / name).unlink()
    with pytest.raises(ModelError, match="missing") as info:
        OnnxEncoder(folder).load()
    assert_names_file_and_fix(info.value, folder / name)


def test_folder_without_record_is_refused(tmp_path):
    with pytest.raises(ModelError) as info:
        OnnxEncoder(tmp_path).encode(["x"])
    assert_names_file_and_fix(info.value, tmp_path / RECORD_FILE)


def test_record_of_another_version_is_refused(tmp_path):
    folder = fake_export(tmp_path / "export")
    record = json.loads((folder / RECORD_FILE).read_text(encoding="utf-8"))
    (folder / RECORD_FILE).write_text(json.dumps({**record, "version": 99}), encoding="utf-8")
    with pytest.raises(ModelError, match="version 1") as info:
        OnnxEncoder(folder).load()
    assert_names_file_and_fix(info.value, folder / RECORD_FILE)


def test_export_from_other_weights_is_refused(tmp_path):
    folder = fake_export(tmp_path / "export", source_sha256="f" * 64)
    with pytest.raises(ModelError, match="f" * 64) as info:
        OnnxEncoder(folder).load()
    assert_names_file_and_fix(info.value, folder / RECORD_FILE)


def test_hash_from_the_index_manifest_wins_over_the_record(tmp_path):
    folder = fake_export(tmp_path / "export")
    encoder = OnnxEncoder(folder, expected_sha256="a" * 64)
    assert encoder.onnx_sha256 == "a" * 64
    with pytest.raises(ModelError, match=f"expected {'a' * 64}"):
        encoder.load()


def test_same_identity_as_minilm_without_loading():
    encoder = OnnxEncoder(Path("/nonexistent/onnx"))
    assert (encoder.name, encoder.sha256, encoder.dim) == (MODEL_NAME, MODEL_SHA256, MODEL_DIM)
    assert (MiniLMEncoder.name, MiniLMEncoder.sha256, MiniLMEncoder.dim) == (MODEL_NAME, MODEL_SHA256, MODEL_DIM)
    empty = encoder.encode([])  # nothing to embed: no model needed
    assert empty.shape == (0, MODEL_DIM) and empty.dtype == np.float32


def test_mean_pooling_ignores_padding_and_normalizes():
    hidden = np.array([[[1.0, 2.0], [3.0, 4.0], [100.0, -100.0]]], dtype=np.float32)
    padded = mean_pool_normalize(hidden, np.array([[1, 1, 0]]))
    alone = mean_pool_normalize(hidden[:, :2], np.array([[1, 1]]))
    assert np.array_equal(padded, alone)
    assert np.allclose(padded, np.array([[2.0, 3.0]]) / np.hypot(2.0, 3.0))
    assert padded.dtype == np.float32


# ---------------------------------------------------------------- the real model


@pytest.fixture(scope="session")
def exported(tmp_path_factory) -> Path:
    """The packaged model exported once per session; the export folder."""
    return export_onnx(tmp_path_factory.mktemp("onnx") / "onnx").parent


def questions() -> list[str]:
    found = []
    for path in QUESTION_FILES:
        if not path.is_file():
            pytest.skip(f"question file not checked out: {path} is missing")
        lines = path.read_text(encoding="utf-8").splitlines()
        found += [json.loads(line)["question"] for line in lines if line.strip()]
    return found


@pytest.mark.model
def test_export_writes_model_tokenizer_and_record(exported):
    record = OnnxModel.read(exported)
    assert sorted(p.name for p in exported.iterdir()) == sorted(
        [ONNX_FILE, RECORD_FILE, TOKENIZER_FILE]
    )  # no temp files
    assert record.sha256 == file_sha256(exported / ONNX_FILE)
    assert record.source_sha256 == MODEL_SHA256 and record.max_seq_length == MAX_SEQ_LENGTH == 256
    assert (exported / TOKENIZER_FILE).read_bytes() == (default_model_path() / "tokenizer.json").read_bytes()
    assert OnnxEncoder(exported).onnx_sha256 == record.sha256


@pytest.mark.model
def test_vectors_match_sentence_transformers(exported):
    """The dev questions, and the seed document's paragraphs (some longer than 256 word pieces,
    so truncation and padding in a batch are compared too)."""
    onnx, minilm = OnnxEncoder(exported), MiniLMEncoder()
    asked = questions()
    assert len(asked) >= 50
    paragraphs = [p for p in SEED.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    onnx.load()
    assert max(len(onnx._tokenizer.encode(p).ids) for p in paragraphs) == MAX_SEQ_LENGTH  # some were cut
    for texts in (asked, paragraphs, ["", "   ", "Café résumé — 中文 😀"]):
        expected = minilm.encode(texts)
        batched = onnx.encode(texts)
        assert batched.shape == (len(texts), MODEL_DIM) and batched.dtype == np.float32
        assert np.allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)
        assert (batched * expected).sum(axis=1).min() >= 0.9999
    one_by_one = np.concatenate([onnx.encode([q]) for q in asked])
    assert (one_by_one * minilm.encode(asked)).sum(axis=1).min() >= 0.9999


@pytest.mark.model
def test_word_vectors_match_sentence_transformers(exported):
    """The same content words, with vectors that agree, from both encoders' single forward pass
    (truncated paragraphs: the words past the window are left out by both)."""
    onnx, minilm = OnnxEncoder(exported), MiniLMEncoder()
    paragraphs = [p for p in SEED.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    texts = questions()[:40] + paragraphs + ["", "Café résumé — 中文 😀", "AI"]
    vectors, words = onnx.encode_words(texts)
    expected_vectors, expected = minilm.encode_words(texts)
    assert (vectors * onnx.encode(texts)).sum(axis=1).min() >= 0.9999  # encode_words' vectors are encode's
    assert (expected_vectors * minilm.encode(texts)).sum(axis=1).min() >= 0.9999
    for text, (names, rows), (expected_names, expected_rows) in zip(texts, words, expected, strict=True):
        assert names == expected_names and rows.shape == (len(names), MODEL_DIM)
        every = [w for w, _, _ in aligned_words(text)]
        assert names == every[: len(names)]  # in order; only words past the window left out
        if len(onnx._tokenizer.encode(text).ids) < MAX_SEQ_LENGTH:
            assert names == every
        if len(rows):
            assert (rows * expected_rows).sum(axis=1).min() >= 0.999
    longest = max(range(len(paragraphs)), key=lambda i: len(paragraphs[i]))
    assert len(words[40 + longest][0]) < len(aligned_words(paragraphs[longest]))  # past the window: left out


CHECK_IMPORTS = """
import json, sys
from resolution_qa.onnx_encoder import OnnxEncoder
vector = OnnxEncoder(sys.argv[1]).encode(["Which country sponsored the resolution?"])
heavy = [m for m in ("torch", "transformers", "sentence_transformers") if m in sys.modules]
print(json.dumps({"shape": list(vector.shape), "heavy": heavy}))
"""


@pytest.mark.model
def test_encoding_in_a_fresh_process_imports_no_torch(exported):
    result = subprocess.run(
        [sys.executable, "-c", CHECK_IMPORTS, str(exported)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"shape": [1, MODEL_DIM], "heavy": []}


@pytest.mark.model
def test_tampered_real_export_is_refused(exported, tmp_path):
    copy = tmp_path / "onnx"
    shutil.copytree(exported, copy)
    size = (copy / ONNX_FILE).stat().st_size
    with open(copy / ONNX_FILE, "r+b") as handle:
        handle.seek(size // 2)
        handle.write(b"\x00\x01\x02")
    with pytest.raises(ModelError, match="damaged or replaced") as info:
        OnnxEncoder(copy).encode(["x"])
    assert_names_file_and_fix(info.value, copy / ONNX_FILE)


@pytest.mark.model
def test_an_unchanged_export_is_not_hashed_again(exported, tmp_path, monkeypatch):
    from resolution_qa import onnx_encoder

    copy = tmp_path / "onnx"
    shutil.copytree(exported, copy, ignore=shutil.ignore_patterns(".verified.json"))  # as a fresh export
    hashed = []
    real = onnx_encoder.file_sha256
    monkeypatch.setattr(onnx_encoder, "file_sha256", lambda path: hashed.append(path.name) or real(path))
    OnnxEncoder(copy).load()
    OnnxEncoder(copy).load()
    assert hashed == [ONNX_FILE, TOKENIZER_FILE]  # the first start checks both, the second trusts size and mtime
    size = (copy / ONNX_FILE).stat().st_size
    with open(copy / ONNX_FILE, "r+b") as handle:  # same size, new mtime: hashed again and refused
        handle.seek(size // 2)
        handle.write(b"\x00\x01\x02")
    with pytest.raises(ModelError, match="damaged or replaced"):
        OnnxEncoder(copy).load()
    assert hashed == [ONNX_FILE, TOKENIZER_FILE, ONNX_FILE]


@pytest.mark.model
def test_a_damaged_export_falls_back_to_torch_and_the_next_build_exports_again(exported, tmp_path):
    import shutil

    from resolution_qa.embedding import MiniLMEncoder
    from resolution_qa.onnx_encoder import ONNX_FOLDER, ensure_export, query_encoder

    index = tmp_path / "index"
    shutil.copytree(exported, index / ONNX_FOLDER)
    assert query_encoder(index) is not None
    with (index / ONNX_FOLDER / "tokenizer.json").open("a") as handle:
        handle.write("damage")
    assert query_encoder(index) is None  # questions use the build's encoder, not a failing one
    assert ensure_export(index, MiniLMEncoder()) == index / ONNX_FOLDER  # the next build exports again
    assert query_encoder(index) is not None
