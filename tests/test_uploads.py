"""uploads.add_documents: an upload never replaces, deletes or de-indexes an existing document."""

from __future__ import annotations

import threading
from pathlib import Path

from fake_engine import FakeEngine
from resolution_qa import Settings
from resolution_qa.documents import SUPPORTED_SUFFIXES
from resolution_qa.uploads import (
    ADDED,
    ALREADY_HERE,
    REFUSED,
    RENAMED,
    add_documents,
    format_megabytes,
    safe_filename,
)

ORIGINAL = "Lighthouse keepers' report\n\nThe lamp was lit every night in 1901.\n"


def incoming(tmp_path: Path, name: str, content: str | bytes, folder: str = "incoming") -> Path:
    """An uploaded file as Gradio hands it over: its own folder, its original name."""
    path = tmp_path / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def visible_files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    }


# ------------------------------------------------------------------ names
def test_safe_filename_stays_in_its_folder():
    assert safe_filename("../../etc/passwd.txt") == "passwd.txt"
    assert safe_filename("..\\..\\win.md") == "win.md"
    assert safe_filename(".hidden.txt") == "hidden.txt"
    assert safe_filename("a b/c d.PDF") == "c_d.pdf"
    assert safe_filename("....txt") == "document.txt"
    assert safe_filename("Kelp notes <b>.md") == "Kelp_notes_b.md"


def test_safe_filename_keeps_letters_of_every_script():
    assert safe_filename("報告.txt") == "報告.txt"
    assert safe_filename("議事録.txt") == "議事録.txt"
    assert safe_filename("हिन्दी रिपोर्ट.md") == "हिन्दी_रिपोर्ट.md"  # vowel signs (marks) kept
    assert safe_filename("Résolution 78-311.PDF") == "Résolution_78-311.pdf"
    assert safe_filename("Re\u0301sume\u0301.txt") == "Résumé.txt"  # decomposed accents composed
    assert safe_filename("invoice\u202etxt.exe") == "invoice_txt.exe"  # a right-to-left override is not kept
    long = safe_filename("長" * 300 + ".txt")
    assert long.endswith(".txt") and len(long.encode()) <= 255


def test_sizes_are_shown_in_the_megabytes_of_the_setting():
    assert format_megabytes(Settings().max_file_bytes) == "20 MB"  # not "21 MB" (MiB divided by 10**6)
    assert format_megabytes(20 * 1024 * 1024 + 1) == "20.1 MB"


# ------------------------------------------------------------------ adding
def test_a_new_file_goes_to_the_uploads_folder_and_is_indexed(fake, settings, tmp_path):
    report = add_documents(fake, [incoming(tmp_path, "kelp.md", "# Kelp\n\nKelp absorbs nitrogen.\n")])
    assert [o.to_json() for o in report.files] == [
        {
            "name": "kelp.md",
            "status": ADDED,
            "message": "kelp.md added as uploads/kelp.md.",
            "source": "uploads/kelp.md",
        }
    ]
    assert (settings.data_dir / "uploads" / "kelp.md").read_text() == "# Kelp\n\nKelp absorbs nitrogen.\n"
    assert "uploads/kelp.md" in {d.source for d in fake.documents}
    assert report.documents == 4 and report.to_json()["documents"] == 4


def test_a_taken_name_gets_a_new_one_and_the_original_is_untouched(fake, settings, tmp_path):
    before = visible_files(settings.data_dir)
    first = add_documents(fake, [incoming(tmp_path, "report.txt", ORIGINAL, "one")]).files[0]
    second = add_documents(fake, [incoming(tmp_path, "report.txt", "A different report\n", "two")]).files[0]
    same_as_seed = add_documents(fake, [incoming(tmp_path, "tidal-resolution.txt", "Another tidal text\n")]).files[0]
    assert (first.status, first.source) == (ADDED, "uploads/report.txt")
    assert (second.status, second.source) == (RENAMED, "uploads/report-2.txt")
    assert second.message == "report.txt: the name report.txt is taken, so it was added as uploads/report-2.txt."
    assert (same_as_seed.status, same_as_seed.source) == (RENAMED, "uploads/tidal-resolution-2.txt")
    after = visible_files(settings.data_dir)
    assert {k: after[k] for k in before} == before  # nothing that was there changed
    assert after["uploads/report.txt"] == ORIGINAL.encode()
    assert after["uploads/report-2.txt"] == b"A different report\n"
    assert {"tidal-resolution.txt", "uploads/report.txt", "uploads/report-2.txt"} <= {d.source for d in fake.documents}


def test_names_differing_only_in_case_stay_distinct(fake, settings, tmp_path):
    upper = add_documents(fake, [incoming(tmp_path, "Report.TXT", "Upper case report\n", "a")]).files[0]
    lower = add_documents(fake, [incoming(tmp_path, "report.txt", "Lower case report\n", "b")]).files[0]
    assert (upper.status, upper.source) == (ADDED, "uploads/Report.txt")
    assert (lower.status, lower.source) == (RENAMED, "uploads/report-2.txt")


def test_names_without_latin_letters_do_not_collapse_into_one(fake, settings, tmp_path):
    report = add_documents(
        fake, [incoming(tmp_path, "報告.txt", "年次報告\n"), incoming(tmp_path, "議事録.txt", "会議の議事録\n")]
    )
    assert [(o.status, o.source) for o in report.files] == [(ADDED, "uploads/報告.txt"), (ADDED, "uploads/議事録.txt")]
    assert visible_files(settings.data_dir / "uploads") == {
        "報告.txt": "年次報告\n".encode(),
        "議事録.txt": "会議の議事録\n".encode(),
    }


def test_an_identical_file_is_already_here_and_not_written(fake, settings, tmp_path):
    copy = incoming(tmp_path, "copy of the resolution.txt", (settings.data_dir / "tidal-resolution.txt").read_bytes())
    outcome = add_documents(fake, [copy]).files[0]
    assert outcome.status == ALREADY_HERE and outcome.source == "tidal-resolution.txt"
    assert outcome.message == "copy of the resolution.txt is already here as tidal-resolution.txt — nothing added."
    assert visible_files(settings.data_dir / "uploads") == {}
    assert fake.refreshes == 0  # nothing to index
    again = add_documents(
        fake, [incoming(tmp_path, "x.md", "Same bytes\n", "a"), incoming(tmp_path, "y.md", "Same bytes\n", "b")]
    )
    assert [(o.status, o.source) for o in again.files] == [(ADDED, "uploads/x.md"), (ALREADY_HERE, "uploads/x.md")]


def test_a_file_the_indexer_skips_leaves_nothing_behind_and_says_why(fake, settings, tmp_path):
    add_documents(fake, [incoming(tmp_path, "report.txt", ORIGINAL, "one")])
    bad = incoming(tmp_path, "report.txt", b"caf\xe9 au lait\n", "two")  # Latin-1, not UTF-8, and a taken name
    outcome = add_documents(fake, [bad]).files[0]
    assert outcome.status == REFUSED and outcome.source is None
    assert outcome.message == "report.txt: is not valid UTF-8 (byte 3) — re-save it as UTF-8"
    assert visible_files(settings.data_dir / "uploads") == {"report.txt": ORIGINAL.encode()}  # the old code deleted it
    assert "uploads/report.txt" in {d.source for d in fake.documents}
    assert fake.refresh().skipped == []  # indexed again after removing it: the index does not remember it


def test_refusals_before_writing_name_the_problem_and_the_fix(settings, tmp_path):
    small = FakeEngine(Settings(data_dir=settings.data_dir, index_dir=settings.index_dir, max_file_bytes=1024 * 1024))
    big = incoming(tmp_path, "big.txt", b"a" * (1024 * 1024 + 1))
    exe = incoming(tmp_path, "payload.exe", b"MZ")
    missing = tmp_path / "gone.txt"
    report = add_documents(small, [big, exe, missing])
    assert [o.status for o in report.files] == [REFUSED] * 3
    assert (
        report.files[0].message
        == "big.txt: 1.1 MB is over the 1 MB limit — split it, or raise RESOLUTION_QA_MAX_FILE_MB"
    )
    assert report.files[1].message.startswith("payload.exe: unsupported type — upload .")
    assert all(suffix in report.files[1].message for suffix in SUPPORTED_SUFFIXES)
    assert report.files[2].message == "gone.txt: cannot be read (No such file or directory) — upload it again"
    assert visible_files(settings.data_dir / "uploads") == {} and small.refreshes == 0


def test_a_failed_build_leaves_nothing_behind(settings, tmp_path):
    broken = FakeEngine(settings)
    broken.refresh_error = OSError("No space left on device")
    outcome = add_documents(broken, [incoming(tmp_path, "kelp.md", "Kelp\n")]).files[0]
    assert outcome.status == REFUSED
    assert outcome.message == "kelp.md: could not be indexed (No space left on device) — try again later"
    assert visible_files(settings.data_dir / "uploads") == {}


def test_concurrent_uploads_of_one_name_all_survive(fake, settings, tmp_path):
    uploads = [incoming(tmp_path, "report.txt", f"Report number {i}\n", f"user{i}") for i in range(8)]
    barrier = threading.Barrier(len(uploads))
    outcomes = {}

    def upload(path):
        barrier.wait()
        outcomes[path] = add_documents(fake, [path]).files[0]

    threads = [threading.Thread(target=upload, args=(path,)) for path in uploads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    saved = visible_files(settings.data_dir / "uploads")
    assert sorted(saved.values()) == sorted(path.read_bytes() for path in uploads)  # every upload kept, none replaced
    assert sorted(saved) == sorted(["report.txt"] + [f"report-{n}.txt" for n in range(2, 9)])
    assert sorted(o.source for o in outcomes.values()) == sorted(f"uploads/{name}" for name in saved)
    assert {saved[o.source.removeprefix("uploads/")] for o in outcomes.values()} == set(saved.values())


# ------------------------------------------------------------------ with the real engine
def test_with_the_engine_an_upload_is_indexed_and_the_rest_stays_indexed(engine, settings, tmp_path):
    before = {d.source for d in engine.documents}
    report = add_documents(
        engine,
        [
            incoming(tmp_path, "kelp.md", "# Kelp notes\n\nKelp farms in the Faroe Islands absorb nitrogen.\n"),
            incoming(tmp_path, "broken.txt", b"\xff\xfe broken"),
        ],
    )
    assert [o.status for o in report.files] == [ADDED, REFUSED]
    assert "UTF-8" in report.files[1].message
    assert {d.source for d in engine.documents} == before | {"uploads/kelp.md"}
    assert not (settings.data_dir / "uploads" / "broken.txt").exists()
    assert "uploads/broken.txt" not in {s.path for s in engine.refresh().skipped}


def test_an_unwritable_data_folder_refuses_the_upload_with_a_message(fake, tmp_path, monkeypatch):
    import errno
    import tempfile as tempfile_module

    incoming = tmp_path / "in" / "kelp.txt"
    incoming.parent.mkdir()
    incoming.write_text("Kelp farms absorb nitrogen.\n", encoding="utf-8")

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile_module, "mkstemp", read_only)  # tests run as root: chmod would not stop writes
    report = add_documents(fake, [str(incoming)])
    outcome = report.files[0]
    assert outcome.status == "refused" and "not writable (Read-only file system)" in outcome.message
    assert len(fake.documents) == 3  # nothing lost, nothing half-added
