from resolution_qa.render import (
    chat_markdown,
    context_html,
    export_markdown,
    map_html,
    marked_html,
    md_text,
    passages_html,
)
from resolution_qa.schema import MAY_ANSWER, Answer, Chunk, Document, Passage, Quote

TEXT = 'Intro. <img src=x onerror="alert(1)"> is text. [link](http://evil.example) ![i](http://evil.example/i.png)'
DOC = Document("evil.txt", "Evil <b>doc</b>", TEXT, "x", "txt")
CHUNK = Chunk("evil.txt", "Evil <b>doc</b>", 0, len(TEXT), TEXT, "body", 1, None, ((0, 6), (7, len(TEXT))))
ANSWER = Answer(
    "q?", True, "Found.", Quote(TEXT[7:], "evil.txt", 7, len(TEXT)), (Passage(CHUNK, 0.5, ((7, len(TEXT)),)),)
)


def test_html_from_documents_is_escaped():
    for html in (passages_html(ANSWER), context_html(DOC, ANSWER.passages[0]), map_html([(CHUNK, 0.3)], ANSWER)):
        assert "<img" not in html and "<b>doc" not in html
        assert "&lt;img" in html or "Evil &lt;b&gt;" in html


def test_markdown_from_documents_is_literal():
    md = chat_markdown(ANSWER)
    assert "](http" not in md and "![" not in md and "<img" not in md
    assert md_text("[a](b)") == "\\[a\\]\\(b\\)"


def test_marks_use_absolute_spans():
    assert marked_html("a <b> c", 10, [(12, 15)]) == "a <mark>&lt;b&gt;</mark> c"
    assert marked_html("abc", 0, []) == "abc"
    assert marked_html("abcdef", 0, [(4, 6), (0, 2)]) == "<mark>ab</mark>cd<mark>ef</mark>"


def test_abstention_is_marked():
    abstained = Answer("q?", False, "The documents don't say.", None, (Passage(CHUNK, 0.1),))
    assert "does not answer" in passages_html(abstained)
    assert "do not answer" in chat_markdown(abstained)


def test_a_passage_that_may_answer_is_offered_for_checking_not_marked_as_no_answer():
    message = f"{MAY_ANSWER}: Evil doc, OP 1, which the question points at, holds no date. It is listed below."
    may = Answer("q?", False, message, None, (Passage(CHUNK, 1.0), Passage(CHUNK, 0.4)))
    assert "check whether they answer" in chat_markdown(may) and "do not answer" not in chat_markdown(may)
    html = passages_html(may)
    assert html.count("check whether it answers") == 1 and html.count("does not answer") == 1
    assert "check whether they answer" in export_markdown([may])


def test_context_marks_the_passage():
    html = context_html(DOC, ANSWER.passages[0])
    assert 'id="rqa-target"' in html and "<mark>" in html


def test_export_keeps_quotes_verbatim_with_citations():
    import html

    md = export_markdown([ANSWER])
    assert "## Q: q?" in md and "evil.txt" in md and "¶ 1" in md
    # what a Markdown viewer shows is the quote as written; what it would run or load is not there
    assert TEXT[7:].replace("![", "!\\[") in html.unescape(md)
    assert "<img" not in md and "![i]" not in md


def test_text_that_lies_is_shown_for_what_it_is():
    from resolution_qa.render import terminal_text

    lying = Chunk("a.txt", "a.txt", 0, 30, "pay 0987-6543 \u202efdp.exe\x1b]0;pwned\x07", "body", 1, None, ((0, 30),))
    answer = Answer("q?", True, "Found.", Quote(lying.text, "a.txt", 0, 30), (Passage(lying, 0.5, ((0, 30),)),))
    for shown in (terminal_text(answer), passages_html(answer), chat_markdown(answer), export_markdown([answer])):
        assert "\u202e" not in shown and "\x1b" not in shown and "\x07" not in shown
        assert "202E" in shown and "␛" in shown
    assert answer.quote.text == lying.text  # only the display changes


def test_a_bare_url_in_a_document_is_not_a_link_in_the_chat():
    url = Chunk("a.txt", "a.txt", 0, 33, "see http://2130706433:9/login now", "body", 1, None, ((0, 33),))
    answer = Answer("q?", True, "Found.", Quote(url.text, "a.txt", 0, 33), (Passage(url, 0.5, ((0, 33),)),))
    assert "://" not in chat_markdown(answer) and "http&#58;//2130706433&#58;9/login" in chat_markdown(answer)


def test_empty_states():
    assert "Ask a question" in passages_html(None)
    assert "appears after a question" in map_html([], None)


def test_map_shows_cited_documents_and_caps_bars():
    from resolution_qa.render import MAP_BARS

    def chunk(source, i):
        return Chunk(source, source, i * 10, i * 10 + 5, "x" * 5, "body", i + 1, None, ((i * 10, i * 10 + 5),))

    long_doc = [(chunk("long.txt", i), i / 1000) for i in range(1000)]
    other = [(chunk("other.txt", i), 0.5) for i in range(3)]
    cited = chunk("long.txt", 3)
    answer = Answer("q", True, "m", None, (Passage(cited, 0.9),))
    html = map_html(long_doc + other, answer)
    assert "other.txt" not in html  # not cited: no strip
    assert MAP_BARS // 2 < html.count("<rect") <= MAP_BARS
    assert "cited [1]" in html  # the cited passage survives the thinning


def test_a_quote_with_its_own_quotation_marks_is_not_wrapped_again():
    text = "the Resolution resolves “to bridge the divides”."
    chunk = Chunk("a.txt", "a.txt", 0, len(text), text, "body", 1, None, ((0, len(text)),))
    answer = Answer("q?", True, "Found.", Quote(text, "a.txt", 0, len(text)), (Passage(chunk, 0.5, ((0, len(text)),)),))
    assert "“the Resolution" not in chat_markdown(answer) and "”.”" not in chat_markdown(answer)
    plain = "It was adopted."
    chunk = Chunk("a.txt", "a.txt", 0, len(plain), plain, "body", 1, None, ((0, len(plain)),))
    answer = Answer(
        "q?", True, "Found.", Quote(plain, "a.txt", 0, len(plain)), (Passage(chunk, 0.5, ((0, len(plain)),)),)
    )
    assert "“It was adopted\\.”" in chat_markdown(answer)
