import shutil

import numpy as np
import pytest

from resolution_qa.embedding import MODEL_SHA256, MiniLMEncoder, ModelError, default_model_path, verify_weights


@pytest.fixture(scope="module")
def model_copy(tmp_path_factory):
    target = tmp_path_factory.mktemp("model") / "model"
    shutil.copytree(default_model_path(), target)
    return target


def test_packaged_weights_verify():
    verify_weights(default_model_path())


def test_tampered_weights_are_refused_naming_file_and_hash(model_copy, tmp_path):
    tampered = tmp_path / "tampered"
    shutil.copytree(model_copy, tampered)
    with open(tampered / "model.safetensors", "r+b") as handle:
        handle.seek(5000)
        handle.write(b"\x00\x01\x02")
    with pytest.raises(ModelError) as info:
        MiniLMEncoder(tampered).encode(["x"])
    assert str(tampered / "model.safetensors") in str(info.value) and MODEL_SHA256 in str(info.value)


def test_missing_weights_are_refused(model_copy, tmp_path):
    missing = tmp_path / "missing"
    shutil.copytree(model_copy, missing)
    (missing / "model.safetensors").unlink()
    with pytest.raises(ModelError, match="missing"):
        MiniLMEncoder(missing).encode(["x"])


@pytest.mark.model
def test_real_model_encodes_normalized_vectors():
    encoder = MiniLMEncoder()
    vectors = encoder.encode(["Which country sponsored the resolution?", "The PRC sponsored it.", "Sourdough bread"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert encoder.encode([]).shape == (0, 384)
