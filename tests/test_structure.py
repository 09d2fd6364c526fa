from conftest import RESOLUTION_TEXT
from resolution_qa.structure import detect_symbol, detect_title, paragraphs


def kinds(text):
    return [(p.kind, p.number, text[p.start : p.end].split()[0]) for p in paragraphs(text)]


def test_resolution_paragraph_roles_and_numbers():
    found = [(k, n) for k, n, _ in kinds(RESOLUTION_TEXT) if k in ("preambular", "operative")]
    assert found == [
        ("preambular", 1),
        ("preambular", 2),
        ("preambular", 3),
        ("operative", 1),
        ("operative", 2),
        ("operative", 3),
        ("operative", 4),
        ("operative", 5),
    ]


def test_sub_items_stay_in_their_operative_paragraph():
    text = RESOLUTION_TEXT
    op4 = next(p for p in paragraphs(text) if p.kind == "operative" and p.number == 4)
    assert text[op4.start : op4.end].endswith("(b) exchanges of engineers;")


def test_pdf_style_text_without_blank_lines():
    text = (
        "The General Assembly,\nRecalling its resolution 1,\nRecognizing the need for\ncapacity,\n"
        "1. Decides to act;\n2. Requests the report\nof the Secretary-General;\n"
    )
    assert [(p.kind, p.number) for p in paragraphs(text)] == [
        ("boilerplate", 1),  # the enacting formula is never quoted
        ("preambular", 1),
        ("preambular", 2),
        ("operative", 1),
        ("operative", 2),
    ]


def test_spans_are_trimmed_and_exact():
    text = "  First paragraph.  \n\n\n  Second one.\n"
    spans = [text[p.start : p.end] for p in paragraphs(text)]
    assert spans == ["First paragraph.", "Second one."]


def test_article_is_not_a_resolution():
    text = "Noting the news, we write.\n\nRecalling history is fun.\n\n1. A list item\n"
    assert {p.kind for p in paragraphs(text)} == {"body"}


def test_empty_text_has_no_paragraphs():
    assert paragraphs("") == []
    assert paragraphs("\n\n  \n") == []


def test_symbol_and_title():
    assert detect_symbol(RESOLUTION_TEXT) == "A/RES/99/123"
    assert detect_title(RESOLUTION_TEXT, "x") == "Strengthening cooperation on tidal energy research"
    assert detect_symbol("no symbol here") is None
    assert detect_title("", fallback="file-stem") == "file-stem"


def test_header_block_title_and_formula_are_not_answering_paragraphs():
    found = {
        text.split("\n")[0]: kind
        for kind, _, text in [(p.kind, p.number, RESOLUTION_TEXT[p.start : p.end]) for p in paragraphs(RESOLUTION_TEXT)]
    }
    assert found["United Nations\tA/RES/99/123"] == "boilerplate"
    assert found["Resolution adopted by the General Assembly on 1 April 2030"] == "boilerplate"
    assert found["99/123. Strengthening cooperation on tidal energy research"] == "heading"
    assert found["The General Assembly,"] == "boilerplate"


def test_markdown_headings_are_headings():
    text = "# Notes on the archive\n\nThe archive opens on Tuesdays."
    assert [p.kind for p in paragraphs(text)] == ["heading", "body"]


def test_an_articles_headline_and_field_lines_are_header_fields():
    text = "Tides rise over the harbour\n\nISSUED ON: 09/07/2024\n\nThe harbour flooded twice.\n\nNote: not a field."
    found = [(p.kind, p.name, text[p.start : p.end]) for p in paragraphs(text)]
    assert found == [
        ("header", "headline", "Tides rise over the harbour"),
        ("header", "issued on", "ISSUED ON: 09/07/2024"),
        ("body", None, "The harbour flooded twice."),
        ("body", None, "Note: not a field."),  # below the text: a body line like any other
    ]
