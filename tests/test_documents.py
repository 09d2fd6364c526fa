import os

import pytest

from conftest import RESOLUTION_TEXT
from pdf_fixture import make_pdf, split_resolution
from resolution_qa.chunking import chunk_document
from resolution_qa.documents import UnreadableDocument, load_document, load_folder


def test_txt_and_md_keep_the_file_text_unchanged(tmp_path):
    raw = "# Title\r\n\r\nLine with “quotes” and émojis 🤖.\n"
    path = tmp_path / "notes.md"
    path.write_bytes(raw.encode("utf-8"))
    doc = load_document(path, "notes.md")
    assert doc.text == raw and doc.kind == "md" and doc.title == "Title"


def test_html_visible_text_only(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>Tidal page</title><style>p{color:red}</style>"
        "<script>alert('x')</script></head><body><nav>Menu</nav><h1>Tidal energy</h1>"
        "<p>First   paragraph\n about tides.</p><p>Second <b>bold</b> one.</p>"
        "<noscript>enable js</noscript></body></html>",
        encoding="utf-8",
    )
    doc = load_document(path, "page.html")
    assert "alert" not in doc.text and "color:red" not in doc.text and "enable js" not in doc.text
    assert "First paragraph about tides." in doc.text
    assert "Second bold one." in doc.text
    assert doc.title == "Tidal page"
    for chunk in chunk_document(doc):
        assert doc.text[chunk.start : chunk.end] == chunk.text


def test_pdf_text_pages_and_structure(tmp_path):
    path = make_pdf(tmp_path / "res.pdf", split_resolution(RESOLUTION_TEXT))
    doc = load_document(path, "res.pdf")
    assert doc.kind == "pdf" and doc.page_starts[0] == 0 and len(doc.page_starts) == 2
    assert doc.symbol == "A/RES/99/123"
    chunks = chunk_document(doc)
    op3 = [c for c in chunks if c.paragraph_kind == "operative" and c.paragraph_number == 3]
    op2 = [c for c in chunks if c.paragraph_kind == "operative" and c.paragraph_number == 2]
    assert op3 and op3[0].page == 2 and op3[0].location == "p. 2, OP 3"
    assert op2 and op2[0].page == 1
    for chunk in chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("binary.txt", b"abc\x00def", "NUL bytes"),
        ("latin1.txt", "café".encode("latin-1"), "not valid UTF-8"),
        ("empty.md", b"   \n", "no text"),
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "not a readable PDF"),
        ("sheet.xlsx", b"PK\x03\x04", "unsupported type"),
    ],
)
def test_bad_files_are_skipped_and_named(tmp_path, name, content, reason):
    data = tmp_path / "data"
    data.mkdir()
    (data / name).write_bytes(content)
    (data / "good.txt").write_text("A good document.", encoding="utf-8")
    docs, skipped = load_folder(data)
    assert [d.source for d in docs] == ["good.txt"]
    assert len(skipped) == 1 and skipped[0].path == name and reason in skipped[0].reason


def test_encrypted_pdf_is_skipped(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    make_pdf(data / "locked.pdf", ["Secret text."], user_password="pw")
    docs, skipped = load_folder(data)
    assert docs == [] and "encrypted" in skipped[0].reason


def test_too_large_file_is_skipped(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "big.txt").write_text("word " * 3000, encoding="utf-8")
    docs, skipped = load_folder(data, max_bytes=10_000)
    assert docs == [] and "over the" in skipped[0].reason


def test_symlink_outside_data_is_not_followed(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("outside secret", encoding="utf-8")
    os.symlink(secret, data / "link.txt")
    docs, skipped = load_folder(data)
    assert docs == [] and "outside the data folder" in skipped[0].reason


def test_duplicates_are_indexed_once(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.txt").write_text("Same text.", encoding="utf-8")
    (data / "b.txt").write_text("Same text.", encoding="utf-8")
    docs, skipped = load_folder(data)
    assert [d.source for d in docs] == ["a.txt"]
    assert "same content as a.txt" in skipped[0].reason


def test_missing_or_empty_folder(tmp_path):
    assert load_folder(tmp_path / "nope") == ([], [])
    (tmp_path / "empty").mkdir()
    assert load_folder(tmp_path / "empty") == ([], [])


def test_load_document_raises_clear_error(tmp_path):
    path = tmp_path / "x.txt"
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(UnreadableDocument, match="x.txt"):
        load_document(path, "x.txt")


def test_html_navigation_is_not_text(tmp_path):
    path = tmp_path / "nav.html"
    path.write_text("<nav><a href='/'>menu</a></nav><p>Tides rise twice a day.</p>", encoding="utf-8")
    doc = load_document(path, "nav.html")
    assert "menu" not in doc.text and doc.text == "Tides rise twice a day."


def _python_lines_run(function, *args) -> int:
    """How many Python lines ``function(*args)`` executes: a deterministic measure of work."""
    import sys

    count = 0

    def tracer(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
        return tracer

    sys.settrace(tracer)
    try:
        function(*args)
    finally:
        sys.settrace(None)
    return count


def test_html_loading_grows_linearly_with_the_file():
    # the old loader inserted two strings per block element into the tree, each insertion
    # scanning the parent's children (quadratic: 20,000 <p> took 109 s)
    from resolution_qa.documents import load_html

    def page(n):
        return "".join(f"<p>Paragraph {i} about tides.</p>" for i in range(n)).encode()

    small, large = (_python_lines_run(load_html, page(n), "p.html") for n in (300, 3000))
    assert large < 15 * small  # ten times the paragraphs: about ten times the work, not a hundred


def test_text_that_expands_past_the_limit_is_refused_with_the_limit(tmp_path, monkeypatch):
    from resolution_qa import documents

    monkeypatch.setattr(documents, "MAX_TEXT_CHARS", 1_000)
    path = tmp_path / "bomb.txt"
    path.write_text("Tides rise. " * 200, encoding="utf-8")  # 2,400 characters
    with pytest.raises(documents.UnreadableDocument, match=r"over the 1,000 limit"):
        load_document(path, "bomb.txt")


def test_page_lookup_is_by_bisection():
    from resolution_qa.schema import Document

    doc = Document("a.pdf", "A", "x" * 50, "", "pdf", page_starts=(0, 10, 20, 30))
    assert [doc.page_at(o) for o in (0, 9, 10, 29, 30, 49)] == [1, 1, 2, 3, 4, 4]


def test_a_later_copy_is_the_duplicate_not_the_original(tmp_path):
    import os

    data = tmp_path / "data"
    data.mkdir()
    original = data / "zz-resolution.txt"
    original.write_text("Tides rise twice a day.\n", encoding="utf-8")
    copy = data / "aa-copy.txt"
    copy.write_text("Tides rise twice a day.\n", encoding="utf-8")
    os.utime(original, (1_000_000, 1_000_000))  # the original is older
    docs, skipped = load_folder(data)
    assert [d.source for d in docs] == ["zz-resolution.txt"]
    assert [(s.path, s.reason) for s in skipped] == [
        ("aa-copy.txt", "same content as zz-resolution.txt — indexed once")
    ]
    # the one already indexed stays, whatever the dates say
    os.utime(original, None)
    docs, _ = load_folder(data, known={"zz-resolution.txt": docs[0]})
    assert [d.source for d in docs] == ["zz-resolution.txt"]


def test_unchanged_files_are_not_parsed_again(tmp_path, monkeypatch):
    from resolution_qa import documents

    data = tmp_path / "data"
    data.mkdir()
    (data / "a.txt").write_text("Tides rise twice a day.\n", encoding="utf-8")
    (data / "b.txt").write_text("Ebb and flow.\n", encoding="utf-8")
    first, _ = load_folder(data)
    parsed = []
    real = documents.load_document
    monkeypatch.setattr(documents, "load_document", lambda path, rel, **kw: parsed.append(rel) or real(path, rel, **kw))
    (data / "b.txt").write_text("Ebb and flow, changed.\n", encoding="utf-8")
    again, _ = load_folder(data, known={d.source: d for d in first})
    assert parsed == ["b.txt"] and again[0] is first[0] and "changed" in again[1].text


def test_a_pdf_bomb_stops_being_read_at_the_limit(tmp_path, monkeypatch):
    from pypdf import PdfReader, PdfWriter

    from resolution_qa import documents

    monkeypatch.setattr(documents, "MAX_TEXT_CHARS", 3_000)
    page = make_pdf(tmp_path / "one.pdf", ["Tidal energy research cooperation. " * 40])
    writer = PdfWriter()
    for _ in range(200):  # one content stream, 200 pages: 0.3 MB of text from a small file
        writer.add_page(PdfReader(str(page)).pages[0])
    bomb = tmp_path / "bomb.pdf"
    with bomb.open("wb") as handle:
        writer.write(handle)
    with pytest.raises(
        documents.UnreadableDocument, match=r"more than .* characters of text by page [0-9]+, over the 3,000 limit"
    ):
        load_document(bomb, "bomb.pdf")
