"""pdfpage: a PDF page rendered with the quoted characters marked, checked against PDFium's own boxes."""

import io

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageChops

from conftest import RESOLUTION_TEXT
from pdf_fixture import make_pdf, split_resolution
from resolution_qa.documents import load_document
from resolution_qa.pdfpage import MAX_HEIGHT, MAX_WIDTH, PageImage, PdfPageError, page_image, page_quotes

ONE_LINE = "report on the implementation of the present resolution"
TWO_LINES = "report on the implementation of the present resolution at its one\nhundred and second session;"


@pytest.fixture
def resolution(tmp_path):
    """The two-page resolution PDF (page 2 starts at operative paragraph 3) and its Document."""
    path = make_pdf(tmp_path / "res.pdf", split_resolution(RESOLUTION_TEXT))
    return path, load_document(path, "res.pdf")


def span_of(doc, text, nth=0):
    start = -1
    for _ in range(nth + 1):
        start = doc.text.index(text, start + 1)
    return start, start + len(text)


def char_centres(path, page_number, image):
    """PDFium's characters on the page: {index: (char, centre in image pixels)}; spaces left out."""
    pdf = pdfium.PdfDocument(path)
    try:
        page = pdf[page_number - 1]
        width, height = page.get_size()
        sx, sy = image.width / width, image.height / height
        textpage = page.get_textpage()
        centres = {}
        for i in range(textpage.count_chars()):
            char = textpage.get_text_range(i, 1)
            if not char.strip():
                continue
            left, bottom, right, top = textpage.get_charbox(i)  # tight boxes: independent of the loose ones marked
            centres[i] = (char, ((left + right) / 2 * sx, (height - (bottom + top) / 2) * sy))
        return centres
    finally:
        pdf.close()


def pdfium_indices(path, page_number, text):
    """Character indices of ``text`` on the page, found by PDFium's own search, one line at a time."""
    pdf = pdfium.PdfDocument(path)
    try:
        textpage = pdf[page_number - 1].get_textpage()
        indices = set()
        for line in text.split("\n"):
            hit = textpage.search(line, match_case=True).get_next()
            assert hit is not None, line
            indices.update(range(hit[0], hit[0] + hit[1]))
        return indices
    finally:
        pdf.close()


def inside(point, boxes):
    x, y = point
    return any(left <= x <= right and top <= y <= bottom for left, top, right, bottom in boxes)


@pytest.mark.parametrize(("quote", "lines"), [(ONE_LINE, 1), (TWO_LINES, 2)])
def test_marks_the_quoted_characters_and_nothing_else(resolution, quote, lines):
    path, doc = resolution
    (part,) = page_quotes(doc, span_of(doc, quote))
    assert (part.page, part.text, part.occurrence) == (2, quote, 0)

    image = page_image(path, part.page, part.text, occurrence=part.occurrence)

    assert image.found and image.complete
    assert len(image.boxes) == lines  # one marker per line, not one per character
    for left, top, right, bottom in image.boxes:
        assert 0 <= left < right <= image.width and 0 <= top < bottom <= image.height
    quoted = pdfium_indices(path, 2, quote)
    centres = char_centres(path, 2, image)
    outside = {i: c for i, c in centres.items() if i not in quoted}
    assert all(inside(centres[i][1], image.boxes) for i in quoted if i in centres)
    marked_outside = [char for char, centre in outside.values() if inside(centre, image.boxes)]
    assert marked_outside == []
    # The oracle has teeth: the words beside the quote on its first line are in `outside`.
    _, top, _, bottom = image.boxes[0]
    beside = "".join(char for char, (_, y) in outside.values() if top <= y <= bottom)
    assert beside.startswith("3.Requeststhe") and "Secretary-General" in beside


def test_png_decodes_and_the_marks_are_drawn(resolution):
    path, doc = resolution
    marked = page_image(path, 2, ONE_LINE)
    plain = page_image(path, 2, None)

    assert (plain.found, plain.complete, plain.boxes) == (False, False, ())
    marked_png, plain_png = Image.open(io.BytesIO(marked.png)), Image.open(io.BytesIO(plain.png))
    assert marked_png.format == "PNG" and marked_png.size == (marked.width, marked.height) == plain_png.size
    diff = ImageChops.difference(marked_png.convert("RGB"), plain_png.convert("RGB")).convert("L")
    ((left, top, right, bottom),) = marked.boxes
    assert diff.crop((int(left), int(top), int(right), int(bottom))).getextrema()[0] > 0  # every pixel tinted
    assert diff.getbbox() == (int(left), int(top), int(right), int(bottom))  # and none outside the box


@pytest.mark.parametrize(
    "quote",
    [
        "Encourages Member States to share tidal measurement data openly",
        "Noting with concern the gap in tidal energy research between regions",  # page 2 has "Tidal energy research"
    ],
)
def test_a_quote_from_another_page_is_not_marked(resolution, quote):
    path, doc = resolution
    assert doc.page_at(doc.text.index(quote)) == 1
    image = page_image(path, 2, quote)
    assert (image.found, image.complete, image.boxes) == (False, False, ())
    assert Image.open(io.BytesIO(image.png)).size == (image.width, image.height)


def test_a_span_across_two_pages_is_marked_on_each(resolution):
    path, doc = resolution
    start = doc.text.index("observatories;")
    end = doc.text.index("the Secretary-General") + len("the Secretary-General")
    parts = page_quotes(doc, (start, end))

    assert [p.page for p in parts] == [1, 2]
    assert parts[0].text == "observatories;" and parts[1].text == "3. Requests the Secretary-General"
    for part in parts:
        image = page_image(path, part.page, part.text, occurrence=part.occurrence)
        assert image.found and image.complete and len(image.boxes) == 1


def test_a_repeated_phrase_marks_the_quoted_copy(resolution):
    path, doc = resolution
    phrase = "its one hundred and"  # page 2 has it twice: "its one\nhundred and second", "its one hundred and first"
    assert "its one\nhundred and" in doc.text  # so the phrase's first copy in the text is the second on the page
    (part,) = page_quotes(doc, span_of(doc, phrase))
    assert part.occurrence == 1

    second = page_image(path, 2, part.text, occurrence=part.occurrence)
    first = page_image(path, 2, part.text, occurrence=0)

    assert len(first.boxes) == 2 and len(second.boxes) == 1  # the first copy spans two lines
    assert second.boxes[0][1] > first.boxes[1][3]  # the second copy is lower on the page


def test_a_misread_quote_marks_the_words_that_match(resolution):
    path, doc = resolution
    image = page_image(path, 2, "report on the implementaton of the present resolution at its one")

    assert image.found and not image.complete
    centres = char_centres(path, 2, image)
    marked = "".join(char for char, centre in centres.values() if inside(centre, image.boxes))
    assert marked == "reportonthe" + "ofthepresentresolutionatitsone"  # the misspelt word stays unmarked


def test_a_huge_page_is_scaled_down(tmp_path):
    from fpdf import FPDF

    pdf = FPDF(format=(3000, 3000))  # millimetres: 8,504 points, 17,000 px at the default scale
    pdf.add_page()
    pdf.set_font("Helvetica", size=200)
    pdf.cell(text="Large print")
    pdf.output(str(tmp_path / "poster.pdf"))

    image = page_image(tmp_path / "poster.pdf", 1, "Large print")

    assert image.width <= MAX_WIDTH and image.height <= MAX_HEIGHT and image.width == image.height
    assert image.found and image.complete


@pytest.mark.parametrize(
    ("make", "page", "message"),
    [
        (lambda p: p.write_bytes(b"%PDF-1.4 this is not really a pdf"), 1, "not a PDF"),
        (lambda p: p.write_text("Plain text, not a PDF."), 1, "not a PDF"),
        (lambda p: make_pdf(p, ["Secret text."], user_password="pw"), 1, "encrypted"),
        (lambda p: make_pdf(p, ["One.", "Two."]), 3, "has 2 page(s); there is no page 3"),
        (lambda p: make_pdf(p, ["One."]), 0, "there is no page 0"),
        (lambda p: None, 1, "no file at"),
    ],
)
def test_bad_input_raises_a_clear_error(tmp_path, make, page, message):
    path = tmp_path / "doc.pdf"
    make(path)
    with pytest.raises(PdfPageError, match=message.replace("(", r"\(").replace(")", r"\)")) as caught:
        page_image(path, page, "Secret text.")
    assert isinstance(caught.value, ValueError)


def test_scale_sets_the_size_and_must_be_positive(resolution):
    path, _ = resolution
    image = page_image(path, 1, None, scale=0.5)
    assert isinstance(image, PageImage) and (image.width, image.height) == (298, 421)  # A4: 595.3 × 841.9 points
    with pytest.raises(PdfPageError, match="scale must be a positive number"):
        page_image(path, 1, None, scale=0)
