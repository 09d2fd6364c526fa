"""akn.parse_akn: the UN's Akoma Ntoso XML rendered as plain text with PP/OP structure.

The first tests read two real resolutions from the shared corpus (skipped when it is not
checked out beside the repository); the rest run on small XML strings written here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from resolution_qa.akn import AknError, parse_akn

ROOT = Path(__file__).resolve().parent.parent
ENGLISH_78 = ROOT.parent / "shared" / "corpus" / "unga-resolutions" / "78session" / "English"
RES_311 = ENGLISH_78 / "A_RES_78_311-2412313E.xml"
RES_265 = ENGLISH_78 / "A_RES_78_265-2405969E.xml"
NS = 'xmlns="http://docs.oasis-open.org/legaldocml/ns/akn/3.0"'


def _real(path: Path):
    if not path.is_file():
        pytest.skip(f"shared corpus not checked out: {path} is missing")
    return parse_akn(path.read_bytes())


@pytest.fixture(scope="module")
def res311():
    return _real(RES_311)


@pytest.fixture(scope="module")
def res265():
    return _real(RES_265)


def texts(resolution, kind: str) -> list[str]:
    return [resolution.text[p.start : p.end] for p in resolution.paragraphs if p.kind == kind]


def numbers(resolution, kind: str) -> list[int]:
    return [p.number for p in resolution.paragraphs if p.kind == kind]


def only(resolution, kind: str, number: int):
    found = [p for p in resolution.paragraphs if p.kind == kind and p.number == number]
    assert len(found) == 1, f"{len(found)} {kind} paragraphs numbered {number}"
    return found[0]


# ---------------------------------------------------------------- the two real resolutions
def test_metadata_of_78_311(res311):
    assert res311.symbol == "A/RES/78/311"
    assert res311.title == "Enhancing international cooperation on capacity-building of artificial intelligence"
    assert res311.date == "2024-07-01"
    assert res311.subjects == [
        "ARTIFICIAL INTELLIGENCE",
        "CAPACITY BUILDING",
        "INTERNATIONAL COOPERATION",
        "DIGITAL DIVIDE",
        "TECHNOLOGY TRANSFER",
        "DEVELOPING COUNTRIES",
        "SUSTAINABLE DEVELOPMENT",
    ]


def test_metadata_of_78_265(res265):
    assert res265.symbol == "A/RES/78/265"
    assert res265.title == (
        "Seizing the opportunities of safe, secure and trustworthy artificial intelligence systems "
        "for sustainable development"
    )
    assert res265.date == "2024-03-21"


def test_78_311_has_pp_1_to_15_and_op_1_to_15(res311):
    assert numbers(res311, "preambular") == list(range(1, 16))
    assert numbers(res311, "operative") == list(range(1, 16))
    assert texts(res311, "preambular")[0] == (
        "Reaffirming international law, in particular the Charter of the United Nations, "
        "and recalling the Universal Declaration of Human Rights,"
    )
    assert texts(res311, "preambular")[14].startswith(
        "Recognizing that the United Nations system has an important role"
    )
    assert texts(res311, "operative")[0].startswith("1. Resolves to bridge the artificial intelligence")
    assert texts(res311, "operative")[14].startswith(
        "15. Requests the Secretary-General to report to the General Assembly"
    )


def test_78_265_has_9_pps_and_13_ops(res265):
    # counted in the XML: 9 <container> in <preamble>, 13 <paragraph> in <mainBody>
    assert numbers(res265, "preambular") == list(range(1, 10))
    assert numbers(res265, "operative") == list(range(1, 14))
    assert texts(res265, "preambular")[8].startswith("Recognizing also that the governance of artificial intelligence")
    assert texts(res265, "operative")[12].startswith("13. Acknowledges that the United Nations system")


@pytest.mark.parametrize(
    ("name", "date"), [("res311", "1 July 2024"), ("res265", "21 March 2024")], ids=["78/311", "78/265"]
)
def test_header_block_and_enacting_formula_are_never_pp_or_op(request, name, date):
    resolution = request.getfixturevalue(name)
    kinds = {resolution.text[p.start : p.end]: p.kind for p in resolution.paragraphs}
    assert kinds["The General Assembly,"] == "boilerplate"
    assert kinds["Distr.: General"] == "boilerplate"
    assert kinds["United Nations"] == "boilerplate"
    assert kinds[resolution.symbol] == "boilerplate"
    # header lines that state a fact answer questions about it, as "header"
    assert kinds[f"Resolution adopted by the General Assembly on {date}"] == "header"
    assert kinds["Agenda item 13"] == "header"
    closing = [text for text, kind in kinds.items() if "plenary meeting" in text]
    assert closing and all(kinds[text] == "header" for text in closing)
    assert kinds[f"{resolution.symbol.removeprefix('A/RES/')}. {resolution.title}"] == "heading"
    for kind in ("preambular", "operative"):
        for text in texts(resolution, kind):
            assert "Distr.: General" not in text
            assert "Agenda item 13" not in text
            assert not text.startswith("The General Assembly")


def test_footnotes_are_notes_outside_the_paragraphs_78_311(res311):
    assert texts(res311, "note") == ["1. Resolution 217 A (III)."]
    assert numbers(res311, "note") == [1]
    pp1 = only(res311, "preambular", 1)
    assert res311.text[pp1.start : pp1.end].endswith("the Universal Declaration of Human Rights,")
    for p in res311.paragraphs:
        if p.kind != "note":
            assert "217 A (III)" not in res311.text[p.start : p.end]


def test_footnotes_are_notes_outside_the_paragraphs_78_265(res265):
    notes = texts(res265, "note")
    assert len(notes) == 10
    assert notes[1] == "2. See A/C.2/59/3, annex."
    assert notes[9] == "10. Resolution 70/1."
    body = [res265.text[p.start : p.end] for p in res265.paragraphs if p.kind not in ("note", "heading")]
    for note in ("See A/C.2/59/3, annex.", "See A/60/687.", "A/HRC/17/31, annex.", "A/74/821.", "217 A (III)"):
        assert not [text for text in body if note in text], note


def test_78_265_op_4_and_op_6_have_lettered_subparagraph_spans(res265):
    for number, last in ((4, "g"), (6, "q")):
        op = only(res265, "operative", number)
        labels = [label for _, _, label in op.subs]
        assert labels == [f"({chr(c)})" for c in range(ord("a"), ord(last) + 1)]
        for start, end, label in op.subs:
            assert op.start <= start < end <= op.end
            assert res265.text[start:end].startswith(f"{label} ")
    op4 = only(res265, "operative", 4)
    a_start, a_end, _ = op4.subs[0]
    assert res265.text[a_start:a_end].startswith("(a) Expanding participation of all countries")
    assert res265.text[op4.start : a_start].endswith("including by:\n")


@pytest.mark.parametrize("name", ["res311", "res265"])
def test_every_span_is_nonempty_stripped_and_plain(request, name):
    resolution = request.getfixturevalue(name)
    for p in resolution.paragraphs:
        text = resolution.text[p.start : p.end]
        assert text and text == text.strip(), p
    assert "\u00a0" not in resolution.text
    assert "\u2011" not in resolution.text


def test_no_break_characters_in_the_xml_become_plain(res311):
    raw = RES_311.read_text(encoding="utf-8")
    assert "follow\u2011up" in raw and "\u00a0" in raw  # the file really has them
    assert "implementation of and follow-up to the outcomes" in res311.text
    assert "pre-design, design, development" in texts(res311, "preambular")[5]


# ---------------------------------------------------------------- synthetic XML
def statement(number: str, body: str, preamble: str = "", extra: str = "", date: str = "2030-04-01") -> str:
    meta = f'<meta><identification source="#x"><FRBRWork><FRBRdate date="{date}" name="adoption"/></FRBRWork></identification></meta>'
    return f"""<statement name="resolution">{meta}
<preface><p><docNumber>{number}</docNumber>
<docTitle>Tidal energy</docTitle></p></preface>
<preamble><formula name="enactingFormula"><p><i>The General Assembly</i>,</p></formula>
<container name="Recalling"><p><i>Recalling</i> its earlier resolutions,</p></container>{preamble}</preamble>
<mainBody>{body}</mainBody>{extra}</statement>"""


def para(number, text: str, attributes: str = "") -> str:
    num = f"<num>{number}.</num>" if number is not None else ""
    return f"<paragraph{attributes}>{num}<content><p>{text}</p></content></paragraph>"


def akn(inner: str) -> bytes:
    return f"<akomaNtoso {NS}>{inner}</akomaNtoso>".encode()


def structure(resolution) -> list[tuple]:
    return [
        (p.kind, p.number, p.part, resolution.text[p.start : p.end])
        for p in resolution.paragraphs
        if p.kind in ("preambular", "operative", "annex")
    ]


def test_document_collection_parts_restart_numbering_and_carry_their_part():
    meta = '<meta><identification source="#x"><FRBRWork><FRBRdate date="2030-04-02" name="adoption"/></FRBRWork></identification></meta>'
    xml = akn(
        f"""<documentCollection name="publication">{meta}
<coverPage><p><docNumber refersTo="#symbol">A/RES/99/5 A-B</docNumber></p></coverPage>
<preface><p><docNumber>99/5.</docNumber> <docTitle>Tides</docTitle></p></preface></documentCollection>
<components><component>{statement("A", para(1, "Decides one;") + para(2, "Decides two;"))}</component>
<component>{statement("B", para(1, "Requests three."))}</component></components>"""
    )
    parsed = parse_akn(xml)
    assert (parsed.symbol, parsed.title, parsed.date) == ("A/RES/99/5 A-B", "Tides", "2030-04-02")
    assert structure(parsed) == [
        ("preambular", 1, "A", "Recalling its earlier resolutions,"),
        ("operative", 1, "A", "1. Decides one;"),
        ("operative", 2, "A", "2. Decides two;"),
        ("preambular", 1, "B", "Recalling its earlier resolutions,"),
        ("operative", 1, "B", "1. Requests three."),
    ]


def test_collection_without_its_own_meta_takes_the_date_from_its_parts():
    xml = akn(
        f"""<documentCollection name="publication"><meta/>
<preface><p><docNumber>99/7.</docNumber> <docTitle>Waves</docTitle></p></preface></documentCollection>
<components><component>{statement("A", para(1, "Decides."), date="2031-12-30")}</component></components>"""
    )
    assert parse_akn(xml).date == "2031-12-30"


def test_intro_points_and_wrap_up_make_one_paragraph_with_item_spans():
    body = """<paragraph><num>1.</num><list>
<intro><p><i>Calls upon</i> States:</p></intro>
<point><num>(a)</num><content><p>To share tidal data;</p></content></point>
<point><num>(b)</num><content><p>To train engineers;</p></content></point>
<wrapUp><p>and to report back;</p></wrapUp></list></paragraph>"""
    parsed = parse_akn(akn(statement("99/6.", body)))
    [op] = [p for p in parsed.paragraphs if p.kind == "operative"]
    assert parsed.text[op.start : op.end] == (
        "1. Calls upon States:\n(a) To share tidal data;\n(b) To train engineers;\nand to report back;"
    )
    assert [(parsed.text[a:b], label) for a, b, label in op.subs] == [
        ("(a) To share tidal data;", "(a)"),
        ("(b) To train engineers;", "(b)"),
    ]
    assert (op.number, op.sub) == (1, None)


def test_annex_paragraphs_are_kind_annex():
    annex = (
        """<attachments><attachment><doc name="annex"><preface><p>Annex</p></preface>
<mainBody>"""
        + para(1, "The network meets once a year.")
        + "</mainBody></doc></attachment></attachments>"
    )
    parsed = parse_akn(akn(statement("99/8.", para(1, "Adopts the annex."), extra=annex)))
    assert structure(parsed) == [
        ("preambular", 1, None, "Recalling its earlier resolutions,"),
        ("operative", 1, None, "1. Adopts the annex."),
        ("annex", 1, "Annex", "1. The network meets once a year."),
    ]
    assert [parsed.text[p.start : p.end] for p in parsed.paragraphs if p.kind == "heading"][-1] == "Annex"


def test_footnote_goes_to_the_notes_and_keeps_the_sentence_whole():
    body = para(1, 'Welcomes the report<authorialNote marker="1"><p>A/99/1.</p></authorialNote> of the panel;')
    parsed = parse_akn(akn(statement("99/9.", body)))
    assert structure(parsed)[1] == ("operative", 1, None, "1. Welcomes the report of the panel;")
    notes = [(p.number, parsed.text[p.start : p.end]) for p in parsed.paragraphs if p.kind == "note"]
    assert notes == [(1, "1. A/99/1.")]


def test_section_headings_marked_up_as_paragraphs_are_headings_not_ops():
    body = (
        para(1, "Decides one;")
        + '<paragraph class="H23"><content><p><subheading>II</subheading></p></content></paragraph>'
        + '<paragraph><content><p><span class="bold">Fishing overcapacity</span></p></content></paragraph>'
        + '<paragraph class="H23"><num>III.</num><content><p><span class="bold">Follow-up</span></p></content></paragraph>'
        + "<paragraph><content><p><decoration>* * *</decoration></p></content></paragraph>"
        + para(2, "Decides two;")
    )
    parsed = parse_akn(akn(statement("99/10.", body)))
    assert [row[1:] for row in structure(parsed) if row[0] == "operative"] == [
        (1, None, "1. Decides one;"),
        (2, None, "2. Decides two;"),
    ]
    headings = [parsed.text[p.start : p.end] for p in parsed.paragraphs if p.kind == "heading"]
    assert headings[-4:] == ["II", "Fishing overcapacity", "III. Follow-up", "* * *"]


def test_bold_sentence_without_a_number_stays_operative():
    body = (
        para(1, "Decides one;")
        + '<paragraph><content><p><span class="bold">Action 1. We will act.</span></p></content></paragraph>'
    )
    parsed = parse_akn(akn(statement("99/11.", body)))
    assert [row[1] for row in structure(parsed) if row[0] == "operative"] == [1, 1]


def test_unnumbered_text_after_a_numbered_paragraph_continues_it():
    body = (
        para(3, "Condemns the attacks")
        + para(None, "and demands accountability;")
        + para(4, "Decides to remain seized.")
    )
    parsed = parse_akn(akn(statement("99/12.", body)))
    assert [(row[1], row[3]) for row in structure(parsed) if row[0] == "operative"] == [
        (3, "3. Condemns the attacks"),
        (3, "and demands accountability;"),
        (4, "4. Decides to remain seized."),
    ]


def test_a_lone_unnumbered_operative_paragraph_is_op_1_with_its_lettered_paragraphs():
    body = para(None, "Urges all States:") + para(None, "(a) To cooperate;") + para(None, "(b) To report.")
    parsed = parse_akn(akn(statement("99/13.", body)))
    ops = [p for p in parsed.paragraphs if p.kind == "operative"]
    assert [(p.number, p.sub) for p in ops] == [(1, None), (1, "(a)"), (1, "(b)")]


def test_preamble_list_keeps_its_introduction_and_items():
    preamble = """<container name="Recalling"><blockList>
<listIntroduction><i>Recalling</i> its request<authorialNote marker="1"><p>A/99/2.</p></authorialNote> on the questions:</listIntroduction>
<item><num>(a)</num><p>What are the consequences?</p></item>
<item><num>(b)</num><p>How do they affect States?</p></item></blockList></container>"""
    parsed = parse_akn(akn(statement("99/14.", para(1, "Decides."), preamble=preamble)))
    pp2 = [p for p in parsed.paragraphs if p.kind == "preambular"][1]
    assert parsed.text[pp2.start : pp2.end] == (
        "Recalling its request on the questions:\n(a) What are the consequences?\n(b) How do they affect States?"
    )
    assert [label for _, _, label in pp2.subs] == ["(a)", "(b)"]
    assert [parsed.text[p.start : p.end] for p in parsed.paragraphs if p.kind == "note"] == ["1. A/99/2."]


def test_preamble_items_after_a_paragraph_finish_it_and_dividers_are_not_pps():
    preamble = """<container name="Convinced"><p><i>Convinced</i> that it contributes to:</p></container>
<blockList><item><num>(a)</num><p>Peace,</p></item><item><num>(b)</num><p>Security,</p></item></blockList>
<p><decoration>* * *</decoration></p>
<container name=""><p><span class="bold">Social aspects</span></p></container>
<container name="Noting"><p><i>Noting</i> the report,</p></container>"""
    parsed = parse_akn(akn(statement("99/15.", para(1, "Decides."), preamble=preamble)))
    assert [(row[1], row[3]) for row in structure(parsed) if row[0] == "preambular"] == [
        (1, "Recalling its earlier resolutions,"),
        (2, "Convinced that it contributes to:\n(a) Peace,\n(b) Security,"),
        (3, "Noting the report,"),
    ]
    pp2 = [p for p in parsed.paragraphs if p.kind == "preambular"][1]
    assert [(parsed.text[a:b], label) for a, b, label in pp2.subs] == [("(a) Peace,", "(a)"), ("(b) Security,", "(b)")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<akomaNtoso><statement>", "is not well-formed XML"),
        (b"", "is not well-formed XML"),
        (b"<html><body><p>Hello</p></body></html>", "is XML but not Akoma Ntoso (root element <html>)"),
        (f"<akomaNtoso {NS}><portion/></akomaNtoso>".encode(), "has no statement or documentCollection"),
        (f'<akomaNtoso {NS}><statement name="resolution"/></akomaNtoso>'.encode(), "has no preambular or operative"),
    ],
    ids=["unclosed", "empty", "html", "no-statement", "no-paragraphs"],
)
def test_unreadable_input_raises_akn_error_saying_why(data, message):
    with pytest.raises(AknError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        parse_akn(data)


def test_external_entities_and_dtds_are_never_loaded(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-4711", encoding="utf-8")
    xml = f"""<?xml version="1.0"?>
<!DOCTYPE akomaNtoso SYSTEM "http://192.0.2.1/akomantoso.dtd" [
  <!ENTITY secret SYSTEM "{secret.as_uri()}">
  <!ENTITY remote SYSTEM "http://192.0.2.1/remote.txt">
]>
<akomaNtoso {NS}><statement name="resolution"><preamble>
<container name="Recalling"><p>Recalling &secret; and &remote; here,</p></container></preamble></statement></akomaNtoso>"""
    parsed = parse_akn(xml.encode())  # conftest fails the test if anything tried the network
    assert "TOP-SECRET" not in parsed.text
    assert [parsed.text[p.start : p.end] for p in parsed.paragraphs] == ["Recalling and here,"]
