"""Adding documents to the data folder: checked, never overwriting anything, then indexed.

``add_documents(engine, paths)`` is what the web page's upload and its ``/add_documents`` API
call. The rule is that an upload never replaces, deletes or de-indexes a document that is
already there:

- files go to their own folder, ``data/uploads/`` (indexed like the rest of ``data/``);
- a name that is taken (case aside, anywhere in the data folder) gets a new one, ``report-2.txt``;
- a byte-identical file (same sha256) is not written: it is "already here as NAME";
- a refused file (unsupported type, too big, unreadable, skipped by the indexer) leaves nothing
  behind, and the message names the problem and the fix;
- each upload writes its own temporary file and claims a free name under a lock with
  ``os.link``, which never overwrites, so two uploads of the same name at once both survive.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import re
import tempfile
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .documents import SUPPORTED_SUFFIXES, format_megabytes
from .embedding import file_sha256

log = logging.getLogger(__name__)

UPLOADS_FOLDER = "uploads"  # inside the data folder
NAME_LOCK_TIMEOUT = 30.0  # seconds to wait for another process that is saving an upload
MAX_NAME_BYTES = 200  # file systems allow 255 bytes; this leaves room for "-2" and the temp prefix
COPY_BLOCK = 1024 * 1024

ADDED = "added"
RENAMED = "renamed"
ALREADY_HERE = "already here"
REFUSED = "refused"

# Only one upload at a time runs the indexer in this process, so each one's report reflects
# its own files and a later refresh never installs an older view of the folder.
_INDEXING = threading.Lock()


def readable_suffixes() -> str:
    """The supported file types as a phrase, e.g. ".txt, .md, .pdf, .html or .htm"."""
    *rest, last = SUPPORTED_SUFFIXES
    return f"{', '.join(rest)} or {last}" if rest else last


def _keep(char: str) -> bool:
    # letters, marks and digits of any script: "報告", "हिन्दी" and "Résolution" stay readable
    return unicodedata.category(char)[0] in "LMN" or char in "-_."


def _cut_utf8(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8, on a character boundary."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def safe_filename(name: str) -> str:
    """A file name that stays inside its folder: no folders, no dot files, no separators or controls.

    Letters and digits of every script are kept, other characters become "_", the extension is
    lower-cased (ASCII letters and digits only) and the name fits any file system.

    >>> safe_filename("../../etc/passwd.txt"), safe_filename("Résolution 78-311.PDF"), safe_filename("報告.txt")
    ('passwd.txt', 'Résolution_78-311.pdf', '報告.txt')
    """
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    stem, dot, extension = base.rpartition(".")
    if not dot:
        stem, extension = base, ""
    stem = re.sub(r"\x00+", "_", "".join(c if _keep(c) else "\x00" for c in stem)).strip("._") or "document"
    extension = "".join(c for c in extension if c.isascii() and c.isalnum()).lower()
    stem = _cut_utf8(stem, MAX_NAME_BYTES - len(extension) - 1).rstrip("._") or "document"
    return f"{stem}.{extension}" if extension else stem


def numbered_names(name: str) -> Iterator[str]:
    """``name`` itself, then the same name numbered: the candidates when it is taken.

    >>> list(itertools.islice(numbered_names("report.txt"), 3))
    ['report.txt', 'report-2.txt', 'report-3.txt']
    """
    path = PurePosixPath(name)
    yield name
    for number in itertools.count(2):
        yield f"{path.stem}-{number}{path.suffix}"


@dataclass(frozen=True)
class Outcome:
    """What happened to one uploaded file."""

    name: str  # the file name as uploaded
    status: str  # ADDED, RENAMED, ALREADY_HERE or REFUSED
    message: str  # one sentence for people; a refusal names the problem and the fix
    source: str | None = None  # where the document is, relative to the data folder (as citations name it)

    def to_json(self) -> dict[str, str | None]:
        return {"name": self.name, "status": self.status, "message": self.message, "source": self.source}


@dataclass(frozen=True)
class UploadReport:
    """One Outcome per uploaded file, in order, and the collection's size afterwards."""

    files: tuple[Outcome, ...]
    documents: int
    passages: int | None = None  # None when nothing had to be indexed
    embedded: int | None = None

    def summary(self) -> str:
        text = f"{self.documents} document(s) indexed"
        if self.passages is not None:
            text += f", {self.passages} passages ({self.embedded} newly embedded)"
        return text + "."

    def to_json(self) -> dict:
        return {
            "files": [outcome.to_json() for outcome in self.files],
            "documents": self.documents,
            "passages": self.passages,
            "embedded": self.embedded,
        }


def _refused(name: str, problem: str) -> Outcome:
    return Outcome(name, REFUSED, f"{name}: {problem}")


class _TooBig(Exception):
    pass


def _copy(source: Path, fd: int, limit: int) -> tuple[str, int]:
    """Copy ``source`` into the open file ``fd`` (then closed); returns its sha256 and size."""
    digest, size = hashlib.sha256(), 0
    with open(source, "rb") as reader, os.fdopen(fd, "wb") as writer:
        while block := reader.read(COPY_BLOCK):
            size += len(block)
            if size > limit:  # checked while copying too: the file may have grown since stat()
                raise _TooBig
            digest.update(block)
            writer.write(block)
        writer.flush()
        os.fsync(writer.fileno())  # the name we link it to must never show half a file after a crash
    return digest.hexdigest(), size


def _present_files(data_dir: Path) -> list[tuple[Path, str]]:
    """Every visible regular file under ``data_dir`` (any type), with its path relative to it."""
    found = []
    for path in data_dir.rglob("*"):
        relative = path.relative_to(data_dir)
        if any(part.startswith(".") for part in relative.parts) or path.is_symlink() or not path.is_file():
            continue  # hidden files are temp files of uploads in progress, editor files, the lock
        found.append((path, relative.as_posix()))
    return found


def _identical(present: list[tuple[Path, str]], documents, size: int, sha256: str) -> str | None:
    """The source of an indexed or present document with these exact bytes, if any."""
    for document in documents:
        if getattr(document, "sha256", None) == sha256:
            return document.source
    for path, relative in present:
        try:
            if path.stat().st_size != size:
                continue
            if file_sha256(path) == sha256:
                return relative
        except OSError:  # removed or unreadable meanwhile: it holds nothing to compare
            continue
    return None


@contextmanager
def _claiming_names(folder: Path) -> Iterator[None]:
    """Held while checking what is present and claiming a name: by this process's threads and
    by other processes uploading into the same folder."""
    from filelock import FileLock

    with FileLock(str(folder / ".lock"), timeout=NAME_LOCK_TIMEOUT):
        yield


def _link_to_free_name(temp: Path, folder: Path, wanted: str, taken: set[str]) -> str:
    """Give ``temp`` the first free name among ``numbered_names(wanted)``; returns that name."""
    for candidate in numbered_names(wanted):
        if candidate.casefold() in taken:
            continue
        target = folder / candidate
        try:
            os.link(temp, target)  # fails if the name exists: never overwrites, whoever made it
        except FileExistsError:
            continue
        except OSError:  # no hard links on this file system; the name was checked free under the lock
            if os.path.lexists(target):
                continue
            os.replace(temp, target)
        return candidate
    raise AssertionError("numbered_names never ends")


def _place(path: Path, engine) -> Outcome:
    """Check one upload and copy it into the uploads folder under a free name (not indexed yet)."""
    settings = engine.settings
    data_dir = Path(settings.data_dir)
    folder = data_dir / UPLOADS_FOLDER
    name = path.name
    wanted = safe_filename(name)
    if PurePosixPath(wanted).suffix not in SUPPORTED_SUFFIXES:
        return _refused(name, f"unsupported type — upload {readable_suffixes()} files")
    limit = settings.max_file_bytes
    too_big = f"over the {format_megabytes(limit)} limit — split it, or raise RESOLUTION_QA_MAX_FILE_MB"
    try:
        size = path.stat().st_size
    except OSError as exc:
        return _refused(name, f"cannot be read ({exc.strerror}) — upload it again")
    if size > limit:
        return _refused(name, f"{format_megabytes(size)} is {too_big}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".part")
    except OSError as exc:
        return _refused(name, f"cannot be saved: {folder} is not writable ({exc.strerror}) — make it writable")
    temp = Path(temp_name)
    try:
        try:
            sha256, size = _copy(path, fd, limit)
        except _TooBig:
            return _refused(name, f"it grew while uploading and is {too_big}")
        except OSError as exc:
            return _refused(name, f"cannot be read ({exc.strerror}) — upload it again")
        from filelock import Timeout

        try:
            with _claiming_names(folder):
                present = _present_files(data_dir)
                same = _identical(present, engine.documents, size, sha256)
                if same is not None:
                    return Outcome(name, ALREADY_HERE, f"{name} is already here as {same} — nothing added.", same)
                saved = _link_to_free_name(temp, folder, wanted, {p.name.casefold() for p, _ in present})
        except Timeout:
            return _refused(name, f"another upload held {folder} for {NAME_LOCK_TIMEOUT:.0f} s — try again")
        except OSError as exc:
            return _refused(name, f"cannot be saved in {folder} ({exc.strerror}) — make it writable")
    finally:
        temp.unlink(missing_ok=True)
    source = f"{UPLOADS_FOLDER}/{saved}"
    if saved != wanted:
        return Outcome(name, RENAMED, f"{name}: the name {wanted} is taken, so it was added as {source}.", source)
    return Outcome(name, ADDED, f"{name} added as {source}.", source)


def add_documents(engine, paths: Sequence[str | os.PathLike]) -> UploadReport:
    """Copy uploaded files into ``data/uploads/`` and index them, never touching other documents.

    Args:
        engine: a QAEngine, or anything with ``settings`` (``data_dir``, ``max_file_bytes``),
            ``documents`` and ``refresh()``.
        paths: the uploaded files; each file's own name is the name it was uploaded as.

    Returns:
        An UploadReport with one Outcome per path, in the same order.
    """
    outcomes = [_place(Path(path), engine) for path in paths]
    written = [i for i, outcome in enumerate(outcomes) if outcome.status in (ADDED, RENAMED)]
    if not written:
        return UploadReport(tuple(outcomes), len(engine.documents))
    data_dir = Path(engine.settings.data_dir)
    with _INDEXING:
        try:
            report = engine.refresh()
        except Exception as exc:  # whatever failed, the files must not stay behind unindexed
            log.exception("indexing the uploads %s failed", [outcomes[i].source for i in written])
            for i in written:
                (data_dir / outcomes[i].source).unlink(missing_ok=True)
                outcomes[i] = _refused(outcomes[i].name, f"could not be indexed ({exc}) — try again later")
            return UploadReport(tuple(outcomes), len(engine.documents))
        skipped = {item.path: item.reason for item in report.skipped}
        indexed = {document.source for document in engine.documents}
        removed = False
        for i in written:
            outcome = outcomes[i]
            if outcome.source in indexed:
                continue
            (data_dir / outcome.source).unlink(missing_ok=True)
            removed = True
            reason = skipped.get(outcome.source, "was not indexed — check the server log")
            outcomes[i] = _refused(outcome.name, reason)
        if removed:  # index again, so the index does not remember the refused files
            report = engine.refresh()
    return UploadReport(tuple(outcomes), len(engine.documents), report.passages, report.embedded)


REMOVED_FOLDER = ".removed"  # inside the data folder: hidden, so never indexed; files can be put back


@dataclass(frozen=True)
class Removal:
    source: str
    removed: bool
    message: str


def remove_document(engine, source: str) -> Removal:
    """Take one document out of the index: its file moves to ``data/.removed/`` (nothing is
    deleted; move it back to restore it) and the index is refreshed.

    ``engine``: anything with ``settings``, ``documents`` and ``refresh()``.
    """
    data_dir = Path(engine.settings.data_dir)
    if source not in {document.source for document in engine.documents}:
        return Removal(source, False, f"{source} is not an indexed document — choose one from the list")
    path = data_dir / source
    target_dir = data_dir / REMOVED_FOLDER
    with _INDEXING:
        try:
            target_dir.mkdir(exist_ok=True)
            target = target_dir / PurePosixPath(source).name
            counter = 1
            while target.exists():
                counter += 1
                target = target_dir / f"{Path(source).stem}-{counter}{Path(source).suffix}"
            os.replace(path, target)
        except OSError as exc:
            return Removal(
                source,
                False,
                f"{source} could not be moved out of the data folder ({exc.strerror}) — check its permissions",
            )
        try:
            engine.refresh()
        except Exception as exc:  # the file is out of the folder; the next start indexes without it
            log.exception("refreshing after removing %s failed", source)
            return Removal(
                source,
                True,
                f"{source} was moved to {target.relative_to(data_dir)}, but the index could not be updated ({exc})",
            )
    return Removal(
        source, True, f"{source} removed — its file is in {target.relative_to(data_dir).as_posix()} if you want it back"
    )
