"""The index as one object: open, lock, build, refresh and swap (data, retriever) atomically.

``Index.open(settings, build_encoder)`` loads the index under ``settings.index_dir``, (re)building
it from ``settings.data_dir`` when it is missing, stale or damaged. The encoder given here
embeds documents; whichever encoder answers questions (``QAEngine``) only has to produce
vectors of the same model, which the manifest's model hash checks.

When the index cannot be written (a full disk, a read-only folder, another build holding the lock
longer than ``settings.lock_timeout``) ``open`` answers from the last good index and ``notice``
says why it is not updated; with no good index to fall back on it raises ``IndexUpdateError``.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from . import store
from .config import Settings
from .documents import Skipped
from .embedding import Encoder
from .indexing import BuildReport, build, chunk_params, source_hashes
from .retrieval import Retriever
from .schema import Document

log = logging.getLogger(__name__)

LOCK_FILE = ".lock"
HOLDER_FILE = ".building.json"  # pid and start time of the build holding the lock, for those who wait
NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)


class IndexUpdateError(ValueError):
    """The index could not be built or updated: a full disk, a read-only folder or another build
    holding the lock. The message names the fault and the fix (a ValueError: the CLI prints it)."""


def model_info(encoder: Encoder) -> dict:
    return {"name": encoder.name, "sha256": encoder.sha256, "dim": encoder.dim}


class Index:
    """The live index of a data folder; ``state`` is one (data, retriever) value, replaced
    whole, so a question asked during a refresh sees the old index or the new one."""

    def __init__(self, settings: Settings, encoder: Encoder, data: store.IndexData, report: BuildReport):
        self.settings = settings
        self.encoder = encoder
        self.report = report
        self.notice: str | None = report.notice  # why the index could not be updated; None when it is current
        self.pending = False  # opened before the data folder's latest changes were indexed: refresh() soon
        self._state = (data, Retriever(data))
        self._refresh_lock = threading.Lock()

    @classmethod
    def open(cls, settings: Settings, encoder: Encoder, force: bool = False, stale_ok: bool = False) -> Index:
        """Load or build the index (see module docstring). With ``stale_ok``, a good index that
        lacks the data folder's latest changes opens as it is, with ``pending`` set and a notice:
        the caller then calls ``refresh()`` (the web app does, in the background, so that a
        restart answers at once instead of after re-embedding a new document).

        Raises:
            IndexUpdateError: it had to be built, could not be, and no good index can answer instead.
        """
        if stale_ok and not force:
            data, _ = cls._try_load(settings, model_info(encoder), chunk_params(settings.max_chars))
            if data is not None:  # loaded once and hashed once, whether or not files changed
                index = cls(settings, encoder, data, cls._current_report(data))
                changed = _changed_files(data, settings)
                if changed:
                    index.notice = (
                        f"Indexing {changed} new or changed file(s) of {settings.data_dir}: until that is "
                        "done, answers come from the documents indexed before."
                    )
                    index.pending = True
                else:
                    _sweep(settings.index_dir)  # as _load_or_build does for a current index
                return index
        data, report = cls._load_or_build(settings, encoder, force, fallback=True)
        return cls(settings, encoder, data, report)

    def refresh_pending(self) -> None:
        """``refresh()`` for an index opened ``pending``; a failure stays in ``notice`` and the log."""
        try:
            report = self.refresh()
        except IndexUpdateError as exc:
            log.warning("%s", exc)
            return
        finally:
            self.pending = False
        log.info("index updated: %s", "; ".join(report.lines()) or "nothing changed")

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
        """Re-read the data folder and re-embed only what changed (after an upload).

        Raises:
            IndexUpdateError: the index could not be written; the index in memory keeps answering
                and ``notice`` says why.
        """
        with self._refresh_lock:
            try:
                data, report = self._load_or_build(self.settings, self.encoder, force=False, fallback=False)
            except IndexUpdateError as exc:
                self.notice = _stale_notice(exc, self.settings.index_dir)
                raise
            self._state = (data, Retriever(data))
            self.report = report
            self.notice = None
            return report

    @classmethod
    def _load_or_build(
        cls, settings: Settings, encoder: Encoder, force: bool, fallback: bool
    ) -> tuple[store.IndexData, BuildReport]:
        """The current index, built if needed; with ``fallback``, the last good one when building fails."""
        model = model_info(encoder)
        params = chunk_params(settings.max_chars)
        data, reason = cls._try_load(settings, model, params)
        if data is not None and not force and cls._is_current(data, settings):
            _sweep(settings.index_dir)
            return data, cls._current_report(data)
        try:
            return cls._build(settings, encoder, force, model, params)
        except IndexUpdateError as exc:
            if not fallback:
                raise
            if data is None:  # another process may have built one while we waited
                data, _ = cls._try_load(settings, model, params)
            if data is None:
                raise
            report = cls._current_report(data)
            report.notice = _stale_notice(exc, settings.index_dir)
            log.warning("%s", report.notice)
            return data, report

    @classmethod
    def _build(
        cls, settings: Settings, encoder: Encoder, force: bool, model: dict, params: dict
    ) -> tuple[store.IndexData, BuildReport]:
        with _build_lock(settings.index_dir, settings.lock_timeout):
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
                previous=data,
                max_file_bytes=settings.max_file_bytes,
                reuse=not force,
            )
            if (settings.index_dir / "CURRENT").exists():  # a rebuild, not a first build
                report.rebuilt_reason = reason
            try:
                store.save(settings.index_dir, new, model)
            except OSError as exc:
                raise IndexUpdateError(_cannot_write(exc, settings.index_dir)) from exc
            from .onnx_encoder import ensure_export

            ensure_export(settings.index_dir, encoder)  # the torch-free query path (once per model)
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
        return _changed_files(data, settings) == 0


def _changed_files(data: store.IndexData, settings: Settings) -> int:
    """How many files of the data folder are new, changed or gone since ``data`` was built."""
    indexed, now = {**data.sources(), **data.skipped_hashes}, source_hashes(settings.data_dir)
    return sum(indexed.get(name) != digest for name, digest in now.items()) + len(indexed.keys() - now.keys())


@contextmanager
def _build_lock(index_dir: Path, timeout: float) -> Iterator[None]:
    """Hold the index's build lock, with a note of who holds it since when for those who wait.

    Raises:
        IndexUpdateError: the folder cannot hold the lock (read-only, full), or another build kept
            it longer than ``timeout`` seconds.
    """
    from filelock import FileLock, Timeout

    lock = FileLock(str(index_dir / LOCK_FILE), timeout=timeout)
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except Timeout:
        raise IndexUpdateError(_busy(index_dir, timeout)) from None
    except OSError as exc:
        raise IndexUpdateError(_cannot_write(exc, index_dir)) from exc
    holder = index_dir / HOLDER_FILE
    try:
        try:
            holder.write_text(json.dumps({"pid": os.getpid(), "started": time.time()}), encoding="utf-8")
        except OSError as exc:  # only a courtesy to waiters; the build meets the same fault and says so
            log.debug("cannot note the build in %s: %s", holder, exc)
        yield
    finally:
        with suppress(OSError):
            holder.unlink(missing_ok=True)
        lock.release()


def _sweep(index_dir: Path) -> None:
    """Remove what killed or failed builds left behind, unless a build is running now."""
    live = store.live_name(index_dir)
    if live is None or not store.leftovers(index_dir, keep=live):
        return
    try:
        with _build_lock(index_dir, timeout=0):
            live = store.live_name(index_dir)  # again, under the lock
            if live is not None:
                store.cleanup(index_dir, keep=live)
    except IndexUpdateError as exc:  # a build is running or the folder is read-only: next time
        log.debug("leftovers in %s stay for now: %s", index_dir, exc)


def _cannot_write(exc: OSError, index_dir: Path) -> str:
    """Why the index could not be written, and the fix."""
    if exc.errno in NO_SPACE:
        return f"{os.strerror(exc.errno)} for the index in {index_dir}/ — free some space and try again"
    if exc.errno in READ_ONLY:
        return (
            f"the index folder {index_dir}/ is read-only ({exc.strerror}) — make it writable, or point --index "
            "(RESOLUTION_QA_INDEX) at a writable folder, and try again"
        )
    return f"cannot write the index in {index_dir}/ ({exc.strerror or exc}) — fix that and try again"


def _busy(index_dir: Path, waited: float) -> str:
    """Which build holds the lock and for how long, from the note it left."""
    try:
        note = json.loads((index_dir / HOLDER_FILE).read_text(encoding="utf-8"))
        who, since = f" (pid {int(note['pid'])})", _duration(time.time() - float(note["started"]))
    except (OSError, ValueError, KeyError, TypeError):
        who, since = "", "an unknown time"
    return (
        f"another build{who} has been running for {since} and holds {index_dir / LOCK_FILE} — wait for it to "
        f"finish and try again, or set RESOLUTION_QA_LOCK_TIMEOUT to wait longer than {waited:g} s"
    )


def _stale_notice(exc: IndexUpdateError, index_dir: Path) -> str:
    """What the front ends show while the last good index answers."""
    built = (store.read_manifest(index_dir) or {}).get("created")
    when = f" (built {built})" if built else ""
    return f"Answers come from the last good index{when}: it could not be updated — {exc}"


def _duration(seconds: float) -> str:
    """Seconds in words.

    >>> _duration(4.2), _duration(125), _duration(7260)
    ('4 s', '2 min 5 s', '2 h 1 min')
    """
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"
