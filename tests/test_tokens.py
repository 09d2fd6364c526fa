from resolution_qa.tokens import STOP_WORDS, stem, tokenize, words


def test_words_split_apostrophes_and_hyphens():
    assert words("People’s capacity-building, A/RES/78/311") == [
        "people",
        "s",
        "capacity",
        "building",
        "a",
        "res",
        "78",
        "311",
    ]


def test_tokenize_drops_stop_words_and_stems():
    assert tokenize("Which countries sponsored the Resolution?") == ["countri", "sponsor", "resolut"]


def test_tokenize_keeps_acronyms_numbers_and_duplicates():
    assert tokenize("PAM and PAM in 2024") == ["pam", "pam", "2024"]


def test_empty_and_punctuation_only():
    assert tokenize("") == []
    assert tokenize("?!… —") == []


def test_non_latin_text_does_not_crash():
    assert tokenize("ما هو القرار؟ 🤖") == []


def test_question_words_are_stop_words():
    assert {"what", "which", "who", "when"} <= STOP_WORDS
    assert stem("adopted") == stem("adopt")
