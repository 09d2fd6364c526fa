"""The loaders over the whole shared corpus: 1,932 UN resolutions in AKN4UN XML and their records.

The paragraph counts are checked against the markup, counted here independently with XPath.
By default a deterministic sample of SAMPLE_SIZE files (every Nth, sorted) keeps CI bounded;
RESOLUTION_QA_FULL_CORPUS=1 checks every file (15-25 seconds).
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pytest
from lxml import etree

from resolution_qa.documents import UnreadableDocument, load_document
from resolution_qa.records import RecordError, parse_records

pytestmark = pytest.mark.corpus

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "unga-resolutions"
SAMPLE_SIZE = 150
FULL = os.environ.get("RESOLUTION_QA_FULL_CORPUS") == "1"

NS = {"a": "http://docs.oasis-open.org/legaldocml/ns/akn/3.0", "re": "http://exslt.org/regular-expressions"}
_MAIN = "[not(ancestor::a:attachments)]"  # annexes are numbered apart ("annex" paragraphs)
# A paragraph's own number: "7." or a lettered "(a)" written as its own paragraph.
_OWN_NUMBER = r"a:num[re:test(normalize-space(.), '^([0-9]{1,4}\.?|\(([a-z]{1,3}|[0-9]{1,3})\))$')]"
# Markup that makes an unnumbered block a heading: a heading style (class "H23"), no words
# ("* * *"), every p only a subheading, or every p only a bold span not ending like a sentence.
_HEADING = (
    "re:test(@class, '^H[0-9]+$')"
    r" or not(re:test(string(.), '\w'))"
    " or (.//a:p and not(.//a:p[not(count(*) = 1 and (a:subheading or a:heading or a:crossHeading)"
    " and not(text()[normalize-space()]))]))"
    " or (.//a:p and not(.//a:p[not(count(*) = 1 and *[contains(concat(' ', @class, ' '), ' bold ')]"
    " and not(text()[normalize-space()]))]) and not(re:test(normalize-space(string(.)), '[.;,:]$')))"
)
PREAMBULAR_XPATH = f"//a:preamble{_MAIN}/a:container[not({_HEADING})]"
# A pure heading paragraph has only num/subheading/heading/crossHeading children; a table's own
# note (class "FootnoteText") is shown with the table.
OPERATIVE_XPATH = (
    f"//a:mainBody{_MAIN}//a:paragraph"
    "[*[not(self::a:num or self::a:subheading or self::a:heading or self::a:crossHeading)]]"
    f"[{_OWN_NUMBER} or not(({_HEADING}) or starts-with(@class, 'FootnoteText'))]"
)


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    files = sorted(CORPUS.rglob("*.xml"))
    if FULL:
        return files
    step = max(1, len(files) // SAMPLE_SIZE)
    return files[::step][:SAMPLE_SIZE]


FILES = corpus_files()
needs_corpus = pytest.mark.skipif(not FILES, reason=f"shared corpus not checked out at {CORPUS}")


def rel(path: Path) -> str:
    return path.relative_to(CORPUS).as_posix()


@cache
def loaded(path: Path):
    """The Document, or the reason it could not be loaded."""
    try:
        return load_document(path, rel(path))
    except UnreadableDocument as exc:
        return f"UnreadableDocument: {exc}"
    except Exception as exc:  # noqa: BLE001 — any crash is reported with the file that caused it
        return f"{type(exc).__name__}: {exc}"


def xml_counts(path: Path) -> tuple[int, int]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    tree = etree.parse(str(path), parser)
    return len(tree.xpath(PREAMBULAR_XPATH, namespaces=NS)), len(tree.xpath(OPERATIVE_XPATH, namespaces=NS))


@needs_corpus
def test_the_sample_is_deterministic_and_bounded():
    assert corpus_files() == FILES
    assert len(FILES) == (len(list(CORPUS.rglob("*.xml"))) if FULL else SAMPLE_SIZE)
    assert any(" " in path.name for path in sorted(CORPUS.rglob("*.xml")))  # names with spaces exist


@needs_corpus
def test_every_file_loads():
    failures = [f"{rel(path)}: {loaded(path)}" for path in FILES if isinstance(loaded(path), str)]
    assert not failures, f"{len(failures)} of {len(FILES)} files failed to load:\n" + "\n".join(failures)


@needs_corpus
def test_pp_and_op_counts_match_the_markup():
    mismatches = []
    for path in FILES:
        doc = loaded(path)
        if isinstance(doc, str):
            continue  # reported by test_every_file_loads
        kinds = [p.kind for p in doc.paragraphs]
        got = (kinds.count("preambular"), kinds.count("operative"))
        expected = xml_counts(path)
        if got != expected:
            mismatches.append(f"{rel(path)}: PP/OP in the XML {expected}, loaded {got}")
    assert not mismatches, f"{len(mismatches)} of {len(FILES)} files:\n" + "\n".join(mismatches)


@needs_corpus
def test_every_paragraph_is_a_nonempty_plain_span():
    problems = []
    for path in FILES:
        doc = loaded(path)
        if isinstance(doc, str):
            continue
        if "\u00a0" in doc.text or "\u2011" in doc.text:
            problems.append(f"{rel(path)}: a no-break space or hyphen is left in the text")
        for p in doc.paragraphs:
            text = doc.text[p.start : p.end]
            if not text or text != text.strip():
                problems.append(f"{rel(path)}: {p.kind} {p.number} spans {text!r}")
            for start, end, label in p.subs:
                if not (p.start <= start < end <= p.end and doc.text[start:end].startswith(f"{label} ")):
                    problems.append(f"{rel(path)}: {p.kind} {p.number} {label} spans {doc.text[start:end][:40]!r}")
    assert not problems, "\n".join(problems[:50])


RECORD_FILES = sorted((CORPUS / "records").glob("*.jsonl")) if CORPUS.is_dir() else []


@pytest.mark.skipif(not RECORD_FILES, reason=f"no catalogue records under {CORPUS / 'records'}")
@pytest.mark.parametrize("path", RECORD_FILES, ids=lambda p: p.name)
def test_every_records_file_parses(path):
    text = path.read_text(encoding="utf-8")
    try:
        records = parse_records(text)
    except RecordError as exc:
        pytest.fail(f"{path.name}: {exc}")
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(records.symbols) == len(lines)
    assert all(symbol.startswith("A/RES/") for symbol in records.symbols)
    for p in records.paragraphs:
        assert p.symbol in records.symbols
        assert records.text[p.start : p.end] == records.text[p.start : p.end].strip() != ""


@pytest.mark.model
def test_bench_collection_on_real_resolutions_serves_them_from_a_fresh_process(tmp_path):
    """The real path of ``bench --collection``: the packaged model builds, the ONNX export is
    made, and a fresh process serves the index and scores it (a bounded sample for CI)."""
    import json
    import subprocess
    import sys

    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not checked out at {CORPUS}")
    done = subprocess.run(
        [sys.executable, "-m", "resolution_qa", "bench", "--collection", str(CORPUS), "--limit", "3", "--json"],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    collection = json.loads(done.stdout)["collection"]
    assert collection["resolutions"] == 3 and collection["passages"] > 0
    assert collection["index_mb"] > 80  # the ~90 MB ONNX export is there: the server answered without torch
    assert collection["query_p50_ms"] > 0 and 0 < collection["rss_serve_mb"] < collection["rss_build_mb"]
    assert collection["recall@10_vs_float32"]["passages"] >= 0.9  # exact search at this size
    assert 0.5 < collection["build_ratio"] < 2.0
