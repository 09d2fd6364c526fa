"""records.parse_records: UN catalogue records (JSON lines) as labelled, citable lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from resolution_qa.records import RecordError, parse_records, value_span

ROOT = Path(__file__).resolve().parent.parent
RECORDS_78 = ROOT.parent / "shared" / "corpus" / "unga-resolutions" / "records" / "78.jsonl"

SPONSORS_311 = (
    "Sponsors: ALGERIA, BURUNDI, CAMBODIA, CHINA, CONGO, CUBA, DOMINICA, EGYPT, EQUATORIAL GUINEA, ERITREA, "
    "GABON, INDONESIA, IRAN (ISLAMIC REPUBLIC OF), IRAQ, KAZAKHSTAN, LAO PEOPLE’S DEMOCRATIC REPUBLIC, LIBERIA, "
    "NICARAGUA, NIGERIA, PAKISTAN, QATAR, SIERRA LEONE, SYRIAN ARAB REPUBLIC, UGANDA, UNITED REPUBLIC OF TANZANIA, "
    "VENEZUELA (BOLIVARIAN REPUBLIC OF), ZAMBIA, ZIMBABWE"
)


@pytest.fixture(scope="module")
def lines_78() -> dict[str, str]:
    """The raw JSON line of each record in 78.jsonl, by symbol."""
    if not RECORDS_78.is_file():
        pytest.skip(f"shared corpus not checked out: {RECORDS_78} is missing")
    out = {}
    for line in RECORDS_78.read_text(encoding="utf-8").splitlines():
        if line.strip():
            out[json.loads(line)["symbol"]] = line
    return out


def fields(records) -> dict[str, str]:
    """{field name: the whole line} for the record lines."""
    return {p.name: records.text[p.start : p.end] for p in records.paragraphs if p.kind == "record"}


def test_78_311_record_lines(lines_78):
    assert "\u00a0" in lines_78["A/RES/78/311"]  # "1\u00a0July 2024" in the source
    records = parse_records(lines_78["A/RES/78/311"])
    assert records.symbols == ["A/RES/78/311"]
    lines = fields(records)
    assert (
        lines["title"] == "Title: Enhancing international cooperation on capacity-building of artificial intelligence"
    )
    assert lines["adoption_date"] == "Adoption date: 1 July 2024"
    assert lines["adoption_meeting"] == "Adoption meeting: 97th plenary meeting (meeting record A/78/PV.97)"
    assert lines["adoption_type"] == "Vote: Without a vote"
    assert lines["originating_document"] == "Draft resolution: A/78/L.86"
    assert lines["sponsors"] == SPONSORS_311
    assert lines["additional_sponsors"].startswith("Additional sponsors: AFGHANISTAN, ALBANIA, ANGOLA,")
    assert lines["additional_sponsors"].endswith(", UZBEKISTAN, VIET NAM, YEMEN")
    # the meeting's record and the agenda item's title on the lines they belong to
    assert "pv" not in lines and "agenda_item_name" not in lines
    assert lines["agenda_item"].startswith(
        "Agenda item: Agenda item 13 — Integrated and coordinated implementation of and follow-up"
    )
    assert lines["subjects"] == (
        "Subjects: ARTIFICIAL INTELLIGENCE; CAPACITY BUILDING; INTERNATIONAL COOPERATION; DIGITAL DIVIDE; "
        "TECHNOLOGY TRANSFER; DEVELOPING COUNTRIES; SUSTAINABLE DEVELOPMENT"
    )  # the agenda item number ["13", "A/78/251"] is not a subject
    assert "report_paragraph" not in lines  # "N.A."


def test_every_line_names_its_field_and_resolution(lines_78):
    records = parse_records(lines_78["A/RES/78/311"])
    heading, *rest = records.paragraphs
    assert (heading.kind, records.text[heading.start : heading.end]) == (
        "heading",
        "A/RES/78/311 — UN catalogue record",
    )
    assert [p.name for p in rest][:5] == [
        "title",
        "adoption_date",
        "adoption_meeting",
        "adoption_type",
        "originating_document",
    ]
    assert {p.symbol for p in records.paragraphs} == {"A/RES/78/311"}
    vote = next(p for p in rest if p.name == "adoption_type")
    start, end = value_span(records.text, vote.start, vote.end)
    assert records.text[start:end] == "Without a vote"


def test_no_vote_counts_for_a_resolution_adopted_without_a_vote(lines_78):
    for symbol in ("A/RES/78/311", "A/RES/78/265"):
        assert json.loads(lines_78[symbol])["MS_in_favour_count"] == "0"
        records = parse_records(lines_78[symbol])
        names = set(fields(records))
        assert not names & {"MS_in_favour_count", "MS_against_count", "MS_abstaining_count"}
        assert not names & {"MS_in_favour", "MS_against", "MS_abstaining"}  # empty lists
        assert "voting" not in records.text


def test_78_265_record(lines_78):
    lines = fields(parse_records(lines_78["A/RES/78/265"]))
    assert lines["adoption_date"] == "Adoption date: 21 March 2024"
    assert lines["originating_document"] == "Draft resolution: A/78/L.49"
    assert lines["sponsors"].startswith("Sponsors: ALBANIA, ARGENTINA, AUSTRALIA, BAHAMAS,")
    assert "TÜRKIYE, UNITED ARAB EMIRATES, UNITED KINGDOM, UNITED STATES" in lines["sponsors"]


def test_a_recorded_vote_has_its_counts(lines_78):
    row = json.loads(lines_78["A/RES/78/183 A"])
    assert row["adoption_type"] == "By a recorded vote"
    lines = fields(parse_records(lines_78["A/RES/78/183 A"]))
    assert lines["adoption_type"] == "Vote: By a recorded vote"
    assert lines["MS_in_favour_count"] == "Member States voting in favour: 128"
    assert lines["MS_against_count"] == "Member States voting against: 1"
    assert lines["MS_abstaining_count"] == "Member States abstaining: 46"
    assert lines["MS_against"] == "Voted against: NIGERIA"
    assert lines["MS_in_favour"].startswith("Voted in favour: ALBANIA, ANDORRA, ANGOLA,")


def test_two_records_in_one_text_keep_their_own_symbols(lines_78):
    text = lines_78["A/RES/78/265"] + "\n\n" + lines_78["A/RES/78/311"] + "\n"
    records = parse_records(text)
    assert records.symbols == ["A/RES/78/265", "A/RES/78/311"]
    dates = [(p.symbol, records.text[p.start : p.end]) for p in records.paragraphs if p.name == "adoption_date"]
    assert dates == [("A/RES/78/265", "Adoption date: 21 March 2024"), ("A/RES/78/311", "Adoption date: 1 July 2024")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"title": "Not a record", "session": "78"}',
            'line 1 is not a UN catalogue record (needs "symbol" and "adoption_date")',
        ),
        ('{"symbol": "A/RES/1/1", "adoption_date": "1 May 2020"}\n[1, 2]', "line 2 is not a UN catalogue record"),
        ('{"symbol": "A/RES/1/1", "adoption_date": "1 May 2020"}\n{oops', "line 2 is not valid JSON"),
        ("\n  \n", "has no records"),
    ],
    ids=["no-symbol", "a-list", "bad-json", "empty"],
)
def test_a_line_that_is_not_a_record_raises_record_error(text, message):
    with pytest.raises(RecordError) as error:
        parse_records(text)
    assert str(error.value).startswith(message)


def test_a_joined_field_alone_keeps_its_own_line():
    """Without the field it is joined to, a value keeps its own line ("Meeting record: …")."""
    row = {"symbol": "A/RES/1/2", "adoption_date": "1 July 2024", "pv": "A/1/PV.9", "agenda_item_name": "Peace"}
    lines = fields(parse_records(json.dumps(row)))
    assert lines["pv"] == "Meeting record: A/1/PV.9"
    assert lines["agenda_item_name"] == "Agenda item title: Peace"
    row |= {"agenda_item": "Agenda item 7", "adoption_meeting": "5th plenary meeting"}
    lines = fields(parse_records(json.dumps(row)))
    assert lines["agenda_item"] == "Agenda item: Agenda item 7 — Peace"
    assert lines["adoption_meeting"] == "Adoption meeting: 5th plenary meeting (meeting record A/1/PV.9)"
    assert not {"pv", "agenda_item_name"} & set(lines)


def test_a_meeting_field_that_is_no_meeting_record_symbol_keeps_its_own_line():
    # A/RES/79/258 B's "pv" says how it was adopted, not where its record is
    row = {
        "symbol": "A/RES/79/258 B",
        "adoption_date": "1 May 2025",
        "adoption_meeting": "63rd plenary meeting",
        "pv": "Adopted without vote, 63rd plenary meeting",
    }
    lines = fields(parse_records(json.dumps(row)))
    assert lines["adoption_meeting"] == "Adoption meeting: 63rd plenary meeting"
    assert lines["pv"] == "Meeting record: Adopted without vote, 63rd plenary meeting"
