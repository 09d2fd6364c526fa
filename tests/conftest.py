"""Shared fixtures: a deterministic fake embedding model, tiny corpora in tmp_path, and a
session-wide guard that fails any test that opens a connection off this machine."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import netguard
import resolution_qa  # noqa: F401  (sets the offline environment variables first)
from fake_engine import FakeEngine
from fakes import FakeEncoder
from resolution_qa import QAEngine, Settings

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "unga-ai-capacity-building-resolution.txt"


# ---------------------------------------------------------------- offline guard
netguard.install()


@pytest.fixture(autouse=True)
def no_network_attempts():
    """Every test fails if anything tried to reach a non-loopback address during it."""
    before = len(netguard.ATTEMPTS)
    yield
    attempts = netguard.ATTEMPTS[before:]
    assert not attempts, f"network access off this machine: {attempts}"


def guarded_app_command(*args: str) -> list[str]:
    """``python app.py ARGS`` run under the network guard (see netguard.py)."""
    return [sys.executable, str(Path(__file__).parent / "netguard.py"), str(ROOT / "app.py"), *args]


# ---------------------------------------------------------------- fake model
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
def fake(settings) -> FakeEngine:
    """The corpus above behind a fake engine (web and upload tests; see fake_engine.py)."""
    return FakeEngine(settings)


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


def ask_json(question: str, data: Path, index: Path, timeout: int = 600) -> dict:
    """``python -m resolution_qa ask QUESTION --json`` in a fresh process; its answer object."""
    result = subprocess.run(
        [sys.executable, "-m", "resolution_qa", "ask", question, "--json", "--data", str(data), "--index", str(index)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=index.parent,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")
