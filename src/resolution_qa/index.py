"""The index as one object: open, lock, build, refresh and swap (data, retriever) atomically.

``Index.open(settings, build_encoder)`` loads the index under ``settings.index_dir``, (re)building
it from ``settings.data_dir`` when it is missing, stale or damaged. The encoder given here
embeds documents; whichever encoder answers questions (``QAEngine``) only has to produce
vectors of the same model, which the manifest's model hash checks.
"""

from __future__ import annotations

import logging
import threading

from . import store
from .config import Settings
from .documents import Skipped
from .embedding import Encoder
from .indexing import BuildReport, build, chunk_params, source_hashes
from .retrieval import Retriever
from .schema import Document

log = logging.getLogger(__name__)


def model_info(encoder: Encoder) -> dict:
    return {"name": encoder.name, "sha256": encoder.sha256, "dim": encoder.dim}


class Index:
    """The live index of a data folder; ``state`` is one (data, retriever) value, replaced
    whole, so a question asked during a refresh sees the old index or the new one."""

    def __init__(self, settings: Settings, encoder: Encoder, data: store.IndexData, report: BuildReport):
        self.settings = settings
        self.encoder = encoder
        self.report = report
        self._state = (data, Retriever(data))
        self._refresh_lock = threading.Lock()

    @classmethod
    def open(cls, settings: Settings, encoder: Encoder, force: bool = False) -> Index:
        """Load or build the index (see module docstring)."""
        data, report = cls._load_or_build(settings, encoder, force)
        return cls(settings, encoder, data, report)

    @property
    def state(self) -> tuple[store.IndexData, Retriever]:
        return self._state

    @property
    def data(self) -> store.IndexData:
        return self._state[0]

    @property
    def retriever(self) -> Retriever:
        return self._state[1]

    @property
    def documents(self) -> list[Document]:
        return self.data.documents

    def refresh(self) -> BuildReport:
        """Re-read the data folder and re-embed only what changed (after an upload)."""
        with self._refresh_lock:
            data, report = self._load_or_build(self.settings, self.encoder, force=False)
            self._state = (data, Retriever(data))
            self.report = report
            return report

    @classmethod
    def _load_or_build(cls, settings: Settings, encoder: Encoder, force: bool) -> tuple[store.IndexData, BuildReport]:
        from filelock import FileLock

        model = model_info(encoder)
        params = chunk_params(settings.max_chars)
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        data, reason = cls._try_load(settings, model, params)
        if data is not None and not force and cls._is_current(data, settings):
            return data, cls._current_report(data)
        with FileLock(str(settings.index_dir / ".lock"), timeout=settings.lock_timeout):
            # Another process may have built while we waited for the lock.
            data, reason = cls._try_load(settings, model, params)
            if data is not None and not force and cls._is_current(data, settings):
                return data, cls._current_report(data)
            if reason and store.read_manifest(settings.index_dir) is not None:
                log.warning("rebuilding the index from %s: %s", settings.data_dir, reason)
            new, report = build(
                settings.data_dir,
                encoder,
                settings.max_chars,
                previous=None if force else data,
                max_file_bytes=settings.max_file_bytes,
            )
            if (settings.index_dir / "CURRENT").exists():  # a rebuild, not a first build
                report.rebuilt_reason = reason
            store.save(settings.index_dir, new, model)
            return new, report

    @staticmethod
    def _current_report(data: store.IndexData) -> BuildReport:
        return BuildReport(
            passages=len(data.chunks),
            unchanged=[d.source for d in data.documents],
            skipped=[Skipped(path, reason) for path, reason in data.skipped_reasons.items()],
        )

    @staticmethod
    def _try_load(settings: Settings, model: dict, params: dict) -> tuple[store.IndexData | None, str | None]:
        try:
            return store.load(settings.index_dir, model, params), None
        except store.IndexUnavailable as exc:
            return None, str(exc)

    @staticmethod
    def _is_current(data: store.IndexData, settings: Settings) -> bool:
        return {**data.sources(), **data.skipped_hashes} == source_hashes(settings.data_dir)
