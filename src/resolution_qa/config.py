"""Paths and limits, with their defaults in one place.

Every setting can come from the command line or from an environment variable
(``RESOLUTION_QA_DATA``, ``RESOLUTION_QA_INDEX``, ``RESOLUTION_QA_MAX_FILE_MB``,
``RESOLUTION_QA_LOCK_TIMEOUT``, ...).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .chunking import DEFAULT_MAX_CHARS
from .documents import BYTES_PER_MB, DEFAULT_MAX_FILE_MB

MAX_K = 20  # passages one answer may list: CLI, web slider and API alike
DEFAULT_DATA_DIR = Path("data")
DEFAULT_INDEX_DIR = Path("index")
DEFAULT_LOCK_TIMEOUT = 30  # seconds to wait for another build's lock: a person is waiting for an answer


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else default


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a whole number") from None


@dataclass(frozen=True)
class Settings:
    """Where the documents and the index live, and the limits that protect them."""

    data_dir: Path = field(default_factory=lambda: _env_path("RESOLUTION_QA_DATA", DEFAULT_DATA_DIR))
    index_dir: Path = field(default_factory=lambda: _env_path("RESOLUTION_QA_INDEX", DEFAULT_INDEX_DIR))
    max_chars: int = DEFAULT_MAX_CHARS
    max_file_bytes: int = field(
        default_factory=lambda: _env_int("RESOLUTION_QA_MAX_FILE_MB", DEFAULT_MAX_FILE_MB) * BYTES_PER_MB
    )
    # seconds to wait for another build; then the last good index answers (saying why), or a clear error
    lock_timeout: float = field(default_factory=lambda: _env_int("RESOLUTION_QA_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT))

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        object.__setattr__(self, "index_dir", Path(self.index_dir))
