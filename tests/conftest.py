"""Shared fixtures: a deterministic fake embedding model, tiny corpora in tmp_path, and a
session-wide guard that fails any test that opens a connection off this machine."""

from __future__ import annotations

import hashlib
import os
import socket
import sys
from pathlib import Path

import numpy as np
import pytest

import resolution_qa  # noqa: F401  (sets the offline environment variables first)
from resolution_qa import QAEngine, Settings
from resolution_qa.tokens import tokenize

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "unga-ai-capacity-building-resolution.txt"


# ---------------------------------------------------------------- offline guard
_LOOPBACK_PREFIXES = ("127.", "::1", "0:0:0:0:0:0:0:1", "localhost", "::ffff:127.")
NETWORK_ATTEMPTS: list[str] = []


def _is_local(address) -> bool:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        return host.startswith(_LOOPBACK_PREFIXES) or host in ("", "0.0.0.0", "::")
    return True  # AF_UNIX paths and the like


def _audit(event: str, args) -> None:
    if event in ("socket.connect", "socket.sendto") and len(args) >= 2:
        sock, address = args[0], args[1]
        family = getattr(sock, "family", None)
        if family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address):
            NETWORK_ATTEMPTS.append(f"{event} {address!r}")
            raise ConnectionRefusedError(f"test guard: connection to non-loopback address {address!r} blocked")
    elif event == "socket.getaddrinfo" and args:
        host = args[0]
        if isinstance(host, bytes):
            host = host.decode(errors="replace")
        if host and not str(host).startswith(_LOOPBACK_PREFIXES) and host not in ("0.0.0.0", "::"):
            NETWORK_ATTEMPTS.append(f"getaddrinfo {host!r}")
            raise OSError(f"test guard: name lookup of {host!r} blocked")


sys.addaudithook(_audit)


@pytest.fixture(autouse=True)
def no_network_attempts():
    """Every test fails if anything tried to reach a non-loopback address during it."""
    before = len(NETWORK_ATTEMPTS)
    yield
    attempts = NETWORK_ATTEMPTS[before:]
    assert not attempts, f"network access off this machine: {attempts}"


# ---------------------------------------------------------------- fake model
class FakeEncoder:
    """Bag of stemmed words hashed into 256 dimensions: deterministic, instant, lexical."""

    name = "fake-hashing-encoder"
    sha256 = "0" * 64
    dim = 256

    def __init__(self):
        self.calls = 0
        self.texts_encoded = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        self.texts_encoded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in tokenize(text) or ["empty"]:
                bucket = int(hashlib.md5(token.encode()).hexdigest()[:8], 16) % self.dim
                out[row, bucket] += 1.0
            out[row] /= np.linalg.norm(out[row])
        return out


@pytest.fixture
def fake_encoder():
    return FakeEncoder()


@pytest.fixture(autouse=True)
def isolated_paths(tmp_path, monkeypatch):
    """Default data/index folders point into tmp_path, so no test writes into the repo."""
    monkeypatch.setenv("RESOLUTION_QA_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("RESOLUTION_QA_INDEX", str(tmp_path / "index"))


RESOLUTION_TEXT = """United Nations\tA/RES/99/123
General Assembly

Resolution adopted by the General Assembly on 1 April 2030

99/123. Strengthening cooperation on tidal energy research

The General Assembly,

Recalling its earlier resolutions on renewable energy and ocean science,

Recognizing that coastal States face particular challenges in building research capacity,

Noting with concern the gap in tidal energy research between regions,

1. Decides to establish an informal network of tidal energy research centres;

2. Encourages Member States to share tidal measurement data openly, including through regional observatories;

3. Requests the Secretary-General to report on the implementation of the present resolution at its one hundred and second session;

4. Invites the regional commissions to organize workshops on turbine maintenance for technicians from coastal States, including:
(a) training on corrosion control;
(b) exchanges of engineers;

5. Decides to include in the provisional agenda of its one hundred and first session an item entitled "Tidal energy research".
"""

NOTES_MD = """# Notes on the lighthouse archive

The lighthouse archive in Port Elspeth holds logbooks from 1850 to 1990.

Keepers recorded the weather three times a day. The archive is open on Tuesdays.
"""

ARTICLE_TXT = """Orchard cooperative wins regional award

The Valley Orchard Cooperative received the regional sustainability award on 3 May 2029.

The cooperative planted 4,000 apple trees and built a solar-powered cold store. Its chair, Marta Ilves, thanked the volunteers.
"""


@pytest.fixture
def corpus(tmp_path) -> Path:
    """A data folder with a resolution-shaped text, Markdown notes and a short article."""
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / "tidal-resolution.txt").write_text(RESOLUTION_TEXT, encoding="utf-8")
    (data / "lighthouse-notes.md").write_text(NOTES_MD, encoding="utf-8")
    (data / "orchard-article.txt").write_text(ARTICLE_TXT, encoding="utf-8")
    return data


@pytest.fixture
def settings(corpus, tmp_path) -> Settings:
    return Settings(data_dir=corpus, index_dir=tmp_path / "index")


@pytest.fixture
def engine(settings, fake_encoder) -> QAEngine:
    return QAEngine.open(settings, encoder=fake_encoder)


@pytest.fixture(scope="session")
def real_engine(tmp_path_factory) -> QAEngine:
    """The shipped document with the real MiniLM model (index built once per session)."""
    data = tmp_path_factory.mktemp("seed-data")
    (data / SEED.name).write_bytes(SEED.read_bytes())
    index = tmp_path_factory.mktemp("seed-index")
    return QAEngine.open(Settings(data_dir=data, index_dir=index))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")
