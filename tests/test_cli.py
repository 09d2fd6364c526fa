import json

import pytest

from conftest import FakeEncoder
from resolution_qa import engine as engine_module
from resolution_qa.cli import main


@pytest.fixture(autouse=True)
def fake_model(monkeypatch):
    monkeypatch.setattr(engine_module, "MiniLMEncoder", FakeEncoder)


@pytest.fixture
def folders(settings):
    return ["--data", str(settings.data_dir), "--index", str(settings.index_dir)]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_build_reports_what_changed(capsys, folders, settings):
    code, out, _ = run(capsys, "build", *folders)
    assert code == 0 and "added: tidal-resolution.txt" in out and "passages" in out
    (settings.data_dir / "extra.md").write_text("# Kelp\n\nKelp grows fast.", encoding="utf-8")
    code, out, _ = run(capsys, "build", *folders)
    assert "added: extra.md" in out and "tidal-resolution.txt" not in out.split("documents")[0]


def test_ask_json_contract(capsys, folders, settings):
    code, out, _ = run(capsys, "ask", "Who should share tidal measurement data?", "--json", *folders)
    assert code == 0
    data = json.loads(out)
    top = data["passages"][0]
    text = (settings.data_dir / top["source"]).read_text(encoding="utf-8")
    assert text[top["char_start"] : top["char_end"]] == top["text"]
    assert top["location"] == "OP 2" and data["answer"]["text"] in top["text"]


def test_ask_human_output(capsys, folders):
    code, out, _ = run(capsys, "ask", "Who chairs the cooperative?", *folders)
    assert code == 0 and "Marta Ilves" in out and "Sources:" in out and "[1]" in out


def test_ask_with_history_and_source(capsys, folders):
    code, out, _ = run(
        capsys,
        "ask",
        "What did it encourage?",
        "--history",
        "What does the tidal energy resolution ask of Member States?",
        "--json",
        "--k",
        "2",
        *folders,
    )
    data = json.loads(out)
    assert code == 0 and len(data["passages"]) == 2 and data["passages"][0]["location"] == "OP 2"
    code, out, _ = run(capsys, "ask", "archive", "--source", "lighthouse-notes.md", "--json", *folders)
    assert {p["source"] for p in json.loads(out)["passages"]} == {"lighthouse-notes.md"}


def test_batch_keeps_order_and_ids(capsys, folders, tmp_path):
    batch = tmp_path / "b.jsonl"
    rows = [
        {"id": "a", "question": "Who chairs the cooperative?", "history": []},
        {"id": 7, "question": "When is the archive open?"},
        {"question": "What did it encourage?", "history": ["What does the resolution ask of Member States?"]},
    ]
    batch.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    code, out, _ = run(capsys, "ask", "--batch", str(batch), "--json", *folders)
    answers = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [a["id"] for a in answers] == ["a", 7, None]
    assert [a["question"] for a in answers] == [r["question"] for r in rows]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ask"], "QUESTION or --batch"),
        (["ask", "q", "--k", "0"], "--k must be between 1 and 20"),
        (["ask", "q", "--source", "missing.txt"], "unknown source"),
        (["ask", "--batch", "nope.jsonl", "--json"], "cannot read"),
        (["ask", "--batch", "x.jsonl"], "add --json"),
        (["frobnicate"], "invalid choice"),
        (["ask", "q", "--k", "many"], "invalid int"),
    ],
)
def test_bad_usage_exits_2_with_one_line(capsys, folders, argv, message):
    code, out, err = run(capsys, *argv, *folders)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_bad_batch_line(capsys, folders, tmp_path):
    batch = tmp_path / "b.jsonl"
    batch.write_text('{"question": "ok"}\nnot json\n', encoding="utf-8")
    code, _, err = run(capsys, "ask", "--batch", str(batch), "--json", *folders)
    assert code == 2 and "b.jsonl:2 is not valid JSON" in err


def test_eval_reports_every_metric(capsys, folders, tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        json.dumps({"question": "Who chairs the cooperative?", "expect": "answer", "gold": ["Marta Ilves"]})
        + "\n"
        + json.dumps({"question": "How tall is Everest?", "expect": "abstain", "gold": []})
        + "\n",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "eval", str(gold), "--json", *folders)
    report = json.loads(out)
    assert code == 0
    for key in (
        "hit@1",
        "hit@3",
        "mrr",
        "answer@1",
        "answered_rate",
        "abstain_rate",
        "median_answer_chars",
        "citation_integrity",
    ):
        assert key in report
    assert report["hit@1"] == 1.0 and report["citation_integrity"] == 1.0


def test_bench_outside_a_checkout_says_so(monkeypatch, capsys, tmp_path):
    from resolution_qa import bench
    from resolution_qa.cli import main

    monkeypatch.setattr(bench, "REPOSITORY", tmp_path)  # an installed package: no app.py, no eval/
    assert main(["bench", "--quick"]) == 2
    err = capsys.readouterr().err
    assert "runs from a checkout" in err and "clone the repository" in err


def test_batch_input_has_limits(tmp_path, capsys):
    from resolution_qa.cli import MAX_BATCH_LINE_BYTES, _read_jsonl
    from resolution_qa.cli import UsageError as Usage

    endless = tmp_path / "endless.jsonl"
    endless.write_bytes(b"\0" * (MAX_BATCH_LINE_BYTES * 3))  # like /dev/zero: no newline, ever
    with pytest.raises(Usage, match="longer than 64 KB"):
        _read_jsonl(endless)
    nested = tmp_path / "nested.jsonl"
    nested.write_text("[" * 20_000 + "]" * 20_000 + "\n", encoding="utf-8")
    with pytest.raises(Usage, match="not valid JSON"):
        _read_jsonl(nested)
    fine = tmp_path / "fine.jsonl"
    fine.write_text('{"question": "Who?"}\n\n{"question": "When?", "history": ["Who?"]}\n', encoding="utf-8")
    assert [r["question"] for r in _read_jsonl(fine)] == ["Who?", "When?"]


def test_build_shows_file_names_with_escape_sequences_harmlessly(tmp_path, capsys):
    from resolution_qa.cli import main

    data = tmp_path / "data"
    data.mkdir()
    (data / "a\x1b]0;pwned\x07.txt").write_bytes(b"\xff\xfe not text \x00")  # skipped, and named
    assert main(["build", "--data", str(data), "--index", str(tmp_path / "index")]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "␛]0;pwned␇" in out


def test_history_before_the_question_does_not_swallow_it(capsys, folders):
    code, out, err = run(
        capsys,
        "ask",
        "--history",
        "What does the tidal energy resolution ask of Member States?",
        "What did it encourage?",
        "--json",
        *folders,
    )
    assert code == 0 and json.loads(out)["question"] == "What did it encourage?"
    assert 'asking "What did it encourage?"' in err
    code, _, err = run(capsys, "ask", "--history", "Who sponsored it?", *folders)
    assert code == 2 and "the question comes first" in err


def test_a_first_build_does_not_tell_you_to_run_build(capsys, folders, caplog):
    import logging

    caplog.set_level(logging.WARNING)
    code, out, err = run(capsys, "build", *folders)
    said = out + err + " ".join(r.getMessage() for r in caplog.records)
    assert code == 0 and "added: " in out
    assert "rebuilding" not in said and 'run "python -m resolution_qa build"' not in said


def test_bench_collection_builds_and_queries_a_folder_of_resolutions(capsys, tmp_path):
    from conftest import ROOT
    from resolution_qa.bench import bench_collection
    from resolution_qa.cli import main

    # a fake model, served in this process: what is checked is the benchmark's plumbing and keys
    report = bench_collection(ROOT / "data", tmp_path / "work", limit=2, encoder=FakeEncoder(), fresh_process=False)
    collection = report["collection"]
    assert collection["resolutions"] == 2 and collection["passages"] > 40
    assert collection["texts_embedded"] >= collection["passages"] and collection["build_ratio"] > 0
    assert collection["query_p50_ms"] > 0 and collection["index_mb"] > 0 and collection["rss_serve_mb"] > 0
    assert collection["recall@10_vs_float32"]["passages"] >= 0.99  # exact search (the fake model ties often)
    assert collection["subjects"] == {"terms": 0}  # no subject is used by 5 of 2 resolutions
    assert main(["bench", "--collection", str(tmp_path / "missing")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_subject_retrieval_scores_resolutions_by_their_unbis_subjects(tmp_path):
    import shutil

    from conftest import ROOT
    from resolution_qa import QAEngine, Settings
    from resolution_qa.bench import subject_retrieval, unbis_subjects

    data = tmp_path / "data"
    data.mkdir()
    for path in (ROOT / "data").glob("*.xml"):
        shutil.copyfile(path, data / path.name)
    engine = QAEngine.open(Settings(data_dir=data, index_dir=tmp_path / "index"))
    subjects = unbis_subjects(ROOT / "data")  # the shipped catalogue records
    assert "ARTIFICIAL INTELLIGENCE" in subjects["A/RES/78/311"]
    report = subject_retrieval(engine, subjects, fewest=1)
    assert report["terms"] >= 1
    assert report["recall@100"]["dense"] == 1.0  # two resolutions: every one is within the first 100
    assert all(0.0 <= v <= 1.0 for scores in (report["ndcg@10"], report["recall@100"]) for v in scores.values())
    assert subject_retrieval(engine, subjects)["terms"] == 0  # no subject has 5 of 2 resolutions
