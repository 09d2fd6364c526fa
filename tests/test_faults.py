"""Faults that must not stop answering (issue 13): a full disk, a read-only index folder and a
lock held by another build. With a last good index the engine answers from it and says why it
could not update it; without one it raises IndexUpdateError, which the CLI prints as one line."""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import time
from pathlib import Path

import pytest

from fakes import FakeEncoder
from resolution_qa import QAEngine, Settings, cli, store
from resolution_qa import engine as engine_module
from resolution_qa.index import IndexUpdateError
from test_reliability import start_helper, wait_for

REAL_WRITE = store._write
QUESTION = "Which network does the resolution establish?"
NEW_DOCUMENT = "# Glaciers\n\nThe glacier retreated 40 metres in 2031.\n"


def fill_disk(monkeypatch, after: int = 2) -> None:
    """Writes of index files fail with ENOSPC once ``after`` of them were written."""
    written = []
    original = store._write

    def full(path, data):
        if len(written) >= after:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written.append(path)
        return original(path, data)

    monkeypatch.setattr(store, "_write", full)


def make_read_only(monkeypatch, *folders: Path) -> None:
    """chmod 0o555; as root, whom chmod does not stop, writes below ``folders`` fail with EROFS
    as on a read-only mount (creating or opening a file for writing, making a folder)."""
    for folder in folders:
        folder.chmod(0o555)
    if os.geteuid() != 0:
        return
    roots = [str(folder.resolve()) for folder in folders]

    def inside(path) -> bool:
        path = os.path.abspath(os.fsdecode(path))
        return any(path == root or path.startswith(root + os.sep) for root in roots)

    def refuse(path):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fsdecode(path))

    real_open, real_mkdir = os.open, os.mkdir

    def guarded_open(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and inside(path):
            refuse(path)
        return real_open(path, flags, *args, **kwargs)

    def guarded_mkdir(path, *args, **kwargs):
        if inside(path):
            refuse(path)
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", guarded_open)
    monkeypatch.setattr(os, "mkdir", guarded_mkdir)


@pytest.fixture
def writable_again(settings):
    """Give tmp_path back its write permissions after a test made folders read-only."""
    yield
    for folder in (settings.index_dir, settings.data_dir):
        if folder.exists():
            folder.chmod(0o755)


def leftovers(index_dir: Path) -> list[str]:
    live = (index_dir / "CURRENT").read_text().strip() if (index_dir / "CURRENT").exists() else None
    return sorted(
        p.name for p in index_dir.iterdir() if p.name.startswith((".tmp-", ".CURRENT.", "gen-")) and p.name != live
    )


def answer_json(engine) -> dict:
    return engine.ask(QUESTION).to_json()


# ------------------------------------------------------------------ restart with new files
def test_a_restart_answers_at_once_and_indexes_new_files_after(engine, settings, corpus, fake_encoder):
    """The web app's start: a good index opens as it is while new files wait (a kill -9 during an
    upload left a file unindexed, and the port stayed closed until it was embedded: 31–75 s)."""
    before = answer_json(engine)
    (corpus / "new.md").write_text(NEW_DOCUMENT, encoding="utf-8")
    reopened = QAEngine.open(settings, encoder=fake_encoder, stale_ok=True)
    assert reopened.index.pending and "Indexing 1 new or changed file(s)" in reopened.index.notice
    assert "new.md" not in reopened.data.by_source and answer_json(reopened) == before
    reopened.index.refresh_pending()
    assert not reopened.index.pending and reopened.index.notice is None
    assert "new.md" in reopened.data.by_source
    current = QAEngine.open(settings, encoder=fake_encoder, stale_ok=True)  # nothing new: nothing pending
    assert not current.index.pending and current.index.notice is None


def test_a_pending_update_that_fails_says_why_and_keeps_answering(engine, settings, corpus, fake_encoder, monkeypatch):
    before = answer_json(engine)
    (corpus / "new.md").write_text(NEW_DOCUMENT, encoding="utf-8")
    reopened = QAEngine.open(settings, encoder=fake_encoder, stale_ok=True)
    fill_disk(monkeypatch)
    reopened.index.refresh_pending()  # in the app, a background thread: it must not raise
    assert not reopened.index.pending and "No space left" in reopened.index.notice
    assert answer_json(reopened) == before


# ------------------------------------------------------------------ disk full
def test_disk_full_keeps_answering_from_the_last_good_index(engine, settings, corpus, fake_encoder, monkeypatch):
    before = answer_json(engine)
    live = (settings.index_dir / "CURRENT").read_text()
    (corpus / "new.md").write_text(NEW_DOCUMENT, encoding="utf-8")
    fill_disk(monkeypatch)
    reopened = QAEngine.open(settings, encoder=fake_encoder)
    assert "No space left" in reopened.index.notice and "free some space" in reopened.index.notice
    assert reopened.report.lines()[0] == reopened.index.notice  # `build` prints it first
    assert answer_json(reopened) == before
    assert "new.md" not in reopened.data.by_source
    assert (settings.index_dir / "CURRENT").read_text() == live
    assert leftovers(settings.index_dir) == []  # the half-written generation is gone


def test_refresh_on_a_full_disk_raises_and_keeps_the_index_live(engine, settings, corpus, monkeypatch):
    before = answer_json(engine)
    (corpus / "new.md").write_text(NEW_DOCUMENT, encoding="utf-8")
    fill_disk(monkeypatch, after=4)
    with pytest.raises(IndexUpdateError, match="No space left"):
        engine.refresh()
    assert "No space left" in engine.index.notice
    assert answer_json(engine) == before
    assert leftovers(settings.index_dir) == []
    monkeypatch.setattr(store, "_write", REAL_WRITE)
    report = engine.refresh()  # space freed: the next refresh indexes the new file and clears the notice
    assert report.added == ["new.md"] and engine.index.notice is None


@pytest.mark.parametrize("fail_at", [0, 3, 5, 6])  # first file, midway, the manifest, the CURRENT pointer
def test_failed_save_removes_what_it_wrote(engine, settings, monkeypatch, fail_at):
    live = (settings.index_dir / "CURRENT").read_text()
    fill_disk(monkeypatch, after=fail_at)
    with pytest.raises(OSError, match="No space left"):
        store.save(settings.index_dir, engine.data, store.read_manifest(settings.index_dir)["model"])
    assert leftovers(settings.index_dir) == []
    assert (settings.index_dir / "CURRENT").read_text() == live


def test_failed_pointer_switch_removes_the_new_generation(engine, settings, monkeypatch):
    live = (settings.index_dir / "CURRENT").read_text()

    def no_replace(src, dst):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(store.os, "replace", no_replace)
    with pytest.raises(OSError):
        store.save(settings.index_dir, engine.data, store.read_manifest(settings.index_dir)["model"])
    assert leftovers(settings.index_dir) == []
    assert (settings.index_dir / "CURRENT").read_text() == live


def test_leftovers_of_killed_builds_are_removed_on_the_next_open(engine, settings, fake_encoder):
    index_dir = settings.index_dir
    (index_dir / ".tmp-gen-1-99999").mkdir()
    (index_dir / ".tmp-gen-1-99999" / "faiss.index").write_bytes(b"half")
    (index_dir / "gen-2-99999").mkdir()
    (index_dir / ".CURRENT.99999").write_text("gen-2-99999")
    (index_dir / "README.md").write_text("not ours to remove")
    reopened = QAEngine.open(settings, encoder=fake_encoder)  # current: no build, only the sweep
    assert reopened.report.embedded == 0
    assert leftovers(index_dir) == []
    assert (index_dir / "README.md").exists()
    assert answer_json(reopened) == answer_json(engine)


# ------------------------------------------------------------------ read-only folders
def test_read_only_folders_answer_from_the_last_good_index(
    engine, settings, corpus, fake_encoder, monkeypatch, writable_again
):
    before = answer_json(engine)
    (corpus / "new.md").write_text(NEW_DOCUMENT, encoding="utf-8")  # the index is behind the folder
    (settings.index_dir / ".lock").unlink(missing_ok=True)  # e.g. an index copied onto read-only media
    make_read_only(monkeypatch, settings.index_dir, settings.data_dir)
    reopened = QAEngine.open(settings, encoder=fake_encoder)
    assert "read-only" in reopened.index.notice and str(settings.index_dir) in reopened.index.notice
    assert answer_json(reopened) == before


# ------------------------------------------------------------------ lock held by another build
def test_lock_held_by_a_long_build_answers_from_the_last_good_index(engine, settings, corpus, fake_encoder, tmp_path):
    before = answer_json(engine)
    (corpus / "new.md").write_text(NEW_DOCUMENT, encoding="utf-8")
    marker = tmp_path / "marker"
    other = start_helper(settings, "slow-embed", marker)  # holds the lock while it embeds for a minute
    try:
        wait_for(marker, other)
        time.sleep(1.1)  # the other build has run a second at least
        started = time.monotonic()
        reopened = QAEngine.open(
            Settings(data_dir=settings.data_dir, index_dir=settings.index_dir, lock_timeout=0.5), encoder=fake_encoder
        )
        assert time.monotonic() - started < 10
    finally:
        os.kill(other.pid, signal.SIGKILL)
        other.wait()
    notice = reopened.index.notice
    running = re.search(rf"another build \(pid {other.pid}\) has been running for (\d+) s", notice)
    assert running and int(running[1]) >= 1, notice  # counted from the holder's start, not from our wait
    assert "RESOLUTION_QA_LOCK_TIMEOUT" in notice
    assert answer_json(reopened) == before


def test_lock_timeout_is_a_setting_with_an_environment_variable(monkeypatch):
    assert Settings().lock_timeout == 30
    monkeypatch.setenv("RESOLUTION_QA_LOCK_TIMEOUT", "5")
    assert Settings().lock_timeout == 5
    monkeypatch.setenv("RESOLUTION_QA_LOCK_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="RESOLUTION_QA_LOCK_TIMEOUT"):
        Settings()


# ------------------------------------------------------------------ no previous index
@pytest.mark.parametrize("fault", ["disk full", "read-only", "lock held"])
def test_without_a_previous_index_one_clear_error(settings, fake_encoder, monkeypatch, writable_again, fault):
    from filelock import FileLock

    settings.index_dir.mkdir()
    lock = FileLock(str(settings.index_dir / ".lock"))
    if fault == "disk full":
        fill_disk(monkeypatch)
    elif fault == "read-only":
        make_read_only(monkeypatch, settings.index_dir)
    else:
        lock.acquire()
    try:
        with pytest.raises(IndexUpdateError) as raised:
            QAEngine.open(
                Settings(data_dir=settings.data_dir, index_dir=settings.index_dir, lock_timeout=0.2),
                encoder=fake_encoder,
            )
    finally:
        if lock.is_locked:
            lock.release()
    expected = {"disk full": "No space left", "read-only": "read-only", "lock held": r"another build .*running for"}
    assert re.search(expected[fault], str(raised.value)), raised.value
    assert isinstance(raised.value, ValueError)  # what cli.main prints as "error: ..."
    assert leftovers(settings.index_dir) == []


# ------------------------------------------------------------------ the command line
def test_cli_says_why_instead_of_a_traceback(settings, corpus, monkeypatch, capsys):
    monkeypatch.setattr(engine_module, "MiniLMEncoder", FakeEncoder)
    folders = ["--data", str(settings.data_dir), "--index", str(settings.index_dir)]
    fill_disk(monkeypatch)
    assert cli.main(["build", *folders]) == 1  # nothing to answer from: one line, no traceback
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "No space left" in err and "Traceback" not in err
    monkeypatch.setattr(store, "_write", REAL_WRITE)
    assert cli.main(["build", *folders]) == 0
    assert cli.main(["ask", QUESTION, "--json", *folders]) == 0
    before = json.loads(capsys.readouterr().out.splitlines()[-1])
    (corpus / "new.md").write_text(NEW_DOCUMENT, encoding="utf-8")
    fill_disk(monkeypatch)
    assert cli.main(["build", *folders]) == 1  # the build failed (the last good index still answers)
    assert "No space left" in capsys.readouterr().out
    assert cli.main(["ask", QUESTION, "--json", *folders]) == 0
    assert json.loads(capsys.readouterr().out) == before
