import pytest

from conftest import RESOLUTION_TEXT, SEED
from resolution_qa.chunking import chunk_document, sentence_spans, split_long
from resolution_qa.schema import Document


def doc(text, source="a.txt"):
    return Document(source=source, title="T", text=text, sha256="x", kind="txt")


@pytest.mark.parametrize(
    "text", [RESOLUTION_TEXT, SEED.read_text(encoding="utf-8"), "One line", "Emoji 🤖 here. Ünïcödé too!"]
)
def test_offsets_round_trip(text):
    document = doc(text)
    chunks = chunk_document(document)
    assert chunks
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        for start, end in chunk.sentences:
            assert chunk.start <= start < end <= chunk.end


def test_chunks_respect_limit_and_paragraphs():
    document = doc(SEED.read_text(encoding="utf-8"))
    chunks = chunk_document(document, max_chars=500)
    assert all(len(c.text) <= 500 for c in chunks)
    # a chunk never contains a blank line (paragraph boundary)
    assert all("\n\n" not in c.text for c in chunks)


def test_operative_paragraphs_are_never_merged():
    chunks = chunk_document(doc(RESOLUTION_TEXT), max_chars=2000)
    ops = [c for c in chunks if c.paragraph_kind == "operative"]
    assert [c.paragraph_number for c in ops] == [1, 2, 3, 4, 5]
    assert ops[3].location == "OP 4"


def test_long_sentence_is_cut_at_clause_breaks():
    text = "; ".join(f"clause number {i} about tidal energy" for i in range(40)) + "."
    chunks = chunk_document(doc(text), max_chars=200)
    assert len(chunks) > 1
    assert all(len(c.text) <= 200 for c in chunks)
    assert "".join(c.text for c in chunks).replace(" ", "") == text.replace(" ", "")


def test_sentence_spans_example():
    assert sentence_spans("One. Two words here.") == [(0, 4), (5, 20)]
    assert split_long("aaa, bbb; ccc", (0, 13), 9) == [(0, 4), (5, 13)]


def test_empty_document_gives_no_chunks():
    assert chunk_document(doc("")) == []
    assert chunk_document(doc("\n \n")) == []


def test_bad_limit_is_refused():
    with pytest.raises(ValueError, match="max_chars"):
        chunk_document(doc("x"), max_chars=10)


def test_pdf_chunks_carry_pages():
    text = "Page one text.\nPage two text."
    document = Document("r.pdf", "R", text, "x", "pdf", page_starts=(0, 15))
    chunks = chunk_document(document)
    assert [c.page for c in chunks] == [1]  # one paragraph spanning the page break starts on page 1
    assert chunks[0].location == "p. 1, ¶ 1"
