"""Several documents at once: a resolution as .txt and as a 2-page PDF, plus others."""

import logging

import pytest

from conftest import RESOLUTION_TEXT
from pdf_fixture import make_pdf, split_resolution
from resolution_qa import QAEngine, Settings


@pytest.fixture
def two_formats(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "tidal.txt").write_text(RESOLUTION_TEXT, encoding="utf-8")
    make_pdf(data / "tidal.pdf", split_resolution(RESOLUTION_TEXT))
    return Settings(data_dir=data, index_dir=tmp_path / "index")


def operative(answer, source):
    return next(p.chunk for p in answer.passages if p.chunk.source == source)


def check_both(engine):
    question = "Who is requested to report on the implementation of the present resolution?"
    txt = operative(engine.ask(question, source="tidal.txt"), "tidal.txt")
    pdf = operative(engine.ask(question, source="tidal.pdf"), "tidal.pdf")
    assert (txt.paragraph_kind, txt.paragraph_number, txt.page, txt.location) == ("operative", 3, None, "OP 3")
    assert (pdf.paragraph_kind, pdf.paragraph_number, pdf.page, pdf.location) == ("operative", 3, 2, "p. 2, OP 3")
    both = engine.ask(question, k=4)
    assert {p.chunk.source for p in both.passages[:2]} == {"tidal.txt", "tidal.pdf"}
    assert all(p.chunk.label == "A/RES/99/123" for p in both.passages[:2])


def test_operative_paragraph_in_txt_and_pdf(two_formats, fake_encoder):
    check_both(QAEngine.open(two_formats, encoder=fake_encoder))


@pytest.mark.model
def test_operative_paragraph_in_txt_and_pdf_real_model(two_formats):
    check_both(QAEngine.open(two_formats))


def test_third_file_is_embedded_alone_and_corrupt_pdf_named(two_formats, fake_encoder, caplog):
    QAEngine.open(two_formats, encoder=fake_encoder)
    (two_formats.data_dir / "kelp.md").write_text("# Kelp\n\nKelp farms absorb nitrogen.\n", encoding="utf-8")
    (two_formats.data_dir / "scan.pdf").write_bytes(b"%PDF-1.7\n%%EOF garbage")
    before = fake_encoder.texts_encoded
    with caplog.at_level(logging.WARNING, logger="resolution_qa"):
        engine = QAEngine.open(two_formats, encoder=fake_encoder)
    kelp = [c for c in engine.data.chunks if c.source == "kelp.md"]
    assert engine.report.added == ["kelp.md"]
    assert engine.report.embedded == len(kelp)
    distinct = {two_formats.data_dir.joinpath("kelp.md").read_text()[s:e] for c in kelp for s, e in c.sentences}
    assert fake_encoder.texts_encoded - before == len(distinct)
    assert any(
        "scan.pdf" in record.getMessage() and "not a readable PDF" in record.getMessage() for record in caplog.records
    )
    assert [s.path for s in engine.skipped] == ["scan.pdf"]
    check_both(engine)
