"""The web app with a fake engine: callbacks called directly, the API through gradio_client."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import gradio as gr
import pytest

from conftest import free_port
from fake_engine import FakeEngine
from resolution_qa import Settings
from resolution_qa.web import (
    ALL_DOCUMENTS,
    ALL_DOCUMENTS_VALUE,
    ChatPage,
    Conversation,
    Exports,
    LoginGuard,
    build_app,
    header_markdown,
    is_loopback,
    launch,
    main,
    parse_auth,
    read_auth,
)

QUESTION = "Who should share tidal measurement data?"


@pytest.fixture
def page(fake, settings) -> ChatPage:
    with gr.Blocks():
        return ChatPage(fake, settings, Exports())


@pytest.fixture
def served(fake):
    app = build_app(fake)
    port = free_port()
    launch(app, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/", fake
    app.close()


def ask(page: ChatPage, question: str, conversation: Conversation, chat=(), k=3, source=ALL_DOCUMENTS_VALUE) -> dict:
    return page.respond(question, list(chat), conversation, k, source)


# ------------------------------------------------------------------ callbacks
def test_respond_returns_every_view_by_component(page):
    out = ask(page, QUESTION, Conversation())
    assert set(out) == {
        page.question,
        page.chatbot,
        page.state,
        page.passages_view,
        page.map_view,
        page.source_pick,
        page.context_view,
        page.export_button,
    }
    assert out[page.question] == ""
    assert [m["role"] for m in out[page.chatbot]] == ["user", "assistant"]
    assert "share tidal measurement data openly" in out[page.chatbot][1]["content"]
    assert out[page.state].history == [QUESTION]


def test_the_source_picker_uses_ranks_as_values_not_labels(page, fake):
    out = ask(page, QUESTION, Conversation())
    choices = out[page.source_pick]["choices"]
    answer = out[page.state].answers[-1]
    assert [value for _, value in choices] == list(range(1, len(answer.passages) + 1))
    assert choices[0][0].startswith("[1] ")
    second = answer.passages[1].chunk
    html = page.show_source(2, out[page.state])[page.context_view]
    assert 'id="rqa-target"' in html and second.text.split()[0] in html.split('id="rqa-target"')[1]
    assert page.show_source(99, out[page.state]) == {} and page.show_source(None, out[page.state]) == {}


def test_exports_are_made_on_demand_and_forgotten_on_clear(page):
    one = ask(page, QUESTION, Conversation())[page.state]
    token = one.export_token
    one = ask(page, "When are workshops on turbine maintenance organized?", one)[page.state]
    out = ask(page, "Where are the lighthouse logbooks?", one)
    one = out[page.state]
    two = ask(page, "Who chairs the orchard cooperative?", Conversation())[page.state]
    assert one.export_token == token != two.export_token  # one token per conversation, kept across turns
    assert len(page.exports) == 2
    assert f'href="rqa-export/{token}"' in out[page.export_button]
    text = page.exports.markdown(token)
    assert text.count("## Q:") == 3 and "## Q: Where are the lighthouse logbooks?" in text
    cleared = page.clear(one)
    assert cleared[page.state] == Conversation() and page.exports.markdown(token) is None
    assert 'aria-disabled="true"' in cleared[page.export_button]
    page.exports.discard(two)  # what Gradio calls when a tab's state expires
    assert len(page.exports) == 0


def test_the_export_link_serves_the_conversation_as_markdown(fake):
    app = build_app(fake)
    port = free_port()
    launch(app, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    url = f"http://127.0.0.1:{port}/rqa-export/"
    try:
        answer = fake.ask(QUESTION, history=[], k=3)
        conversation = app.rqa_exports.file(Conversation(answers=(answer,)))
        with urllib.request.urlopen(url + conversation.export_token) as response:
            body = response.read().decode("utf-8")
            assert response.headers["Content-Disposition"] == 'attachment; filename="conversation.md"'
        assert "## Q: " + QUESTION in body and "share tidal measurement data openly" in body
        app.rqa_exports.discard(conversation)
        for token in (conversation.export_token, "x" * 32):  # expired, never issued
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(url + token)
            assert refused.value.code == 404 and b"expired" in refused.value.read()
    finally:
        app.close()


def test_the_upload_limit_is_shown_in_the_settings_megabytes(fake, settings):
    assert settings.max_file_bytes == 20 * 1024 * 1024
    with gr.Blocks():
        page = ChatPage(fake, settings, Exports())
    assert "(up to 20 MB each)" in page.uploader.label  # the old page said 21 MB (MiB divided by 10**6)


def test_document_filter_offers_label_value_pairs(page):
    choices = page.source_box.choices
    assert choices[0] == (ALL_DOCUMENTS, ALL_DOCUMENTS_VALUE)
    assert ("Notes on the lighthouse archive — lighthouse-notes.md", "lighthouse-notes.md") in choices
    out = ask(page, "Where is the lighthouse archive?", Conversation(), source="lighthouse-notes.md")
    assert {p.chunk.source for p in out[page.state].answers[-1].passages} == {"lighthouse-notes.md"}
    unknown = ask(page, "tidal", Conversation(), source="missing.txt")
    assert "unknown source" in unknown[page.chatbot][1]["content"]


def test_an_upload_refreshes_the_header_and_the_document_filter(page, tmp_path):
    new = tmp_path / "incoming" / "kelp.md"
    new.parent.mkdir()
    new.write_text("# Kelp notes\n\nKelp farms absorb nitrogen.\n", encoding="utf-8")
    out = page.upload([str(new)])
    assert set(out) == {
        page.upload_status,
        page.uploader,
        page.header,
        page.source_box,
        page.documents_table,
        page.remove_pick,
    }
    assert out[page.upload_status].startswith("✓ kelp\\.md added as uploads/kelp\\.md\\.")
    assert any("uploads/kelp.md" in row[0] for row in out[page.documents_table])
    assert "**4 document(s)**" in out[page.header]
    assert "uploads/kelp.md" in [value for _, value in out[page.source_box]["choices"]]
    assert page.upload([]) == {page.upload_status: "No file chosen."}


def test_removing_a_document_keeps_its_file_and_refreshes_the_lists(page, fake, settings):
    source = "lighthouse-notes.md"
    out = page.remove(source)
    assert out[page.remove_status].startswith("✓ lighthouse\\-notes\\.md removed")
    assert source not in {d.source for d in fake.documents}
    assert not (settings.data_dir / source).exists() and (settings.data_dir / ".removed" / source).is_file()
    assert "**2 document(s)**" in out[page.header]
    assert source not in [value for _, value in out[page.source_box]["choices"]]
    assert source not in [value for _, value in out[page.remove_pick]["choices"]]
    assert not any(source in row[0] for row in out[page.documents_table])
    # an answer can no longer come from it; and it comes back when its file is put back
    assert page.remove(source)[page.remove_status].startswith("✗ lighthouse\\-notes\\.md is not an indexed document")
    (settings.data_dir / ".removed" / source).rename(settings.data_dir / source)
    fake.refresh()
    assert source in {d.source for d in fake.documents}


def test_the_header_names_the_loaded_resolutions():
    from resolution_qa.schema import Document

    docs = [
        Document(
            "a.xml", "Enhancing international cooperation", "", "", "xml", symbol="A/RES/78/311", date="2024-07-01"
        ),
        Document("b.xml", "Seizing the opportunities", "", "", "xml", symbol="A/RES/78/265", date="2024-03-21"),
        Document("c.txt", "An article", "", "", "txt"),
    ]
    header = header_markdown(docs, Path("data"))
    assert "**3 document(s)**" in header
    assert header.index("A/RES/78/311") < header.index("A/RES/78/265")  # newest first
    assert "adopted 1 July 2024" in header and "Seizing the opportunities" in header


def test_a_page_load_shows_documents_added_since_the_app_was_built(page, fake, settings):
    (settings.data_dir / "added-later.txt").write_text("Added later\n\nSomething new.\n", encoding="utf-8")
    fake.refresh()
    views = page.document_views()
    assert "**4 document(s)**" in views[page.header]
    assert "added-later.txt" in [value for _, value in views[page.source_box]["choices"]]


def test_an_empty_data_folder_says_how_to_add_documents(tmp_path):
    empty = FakeEngine(Settings(data_dir=tmp_path / "none", index_dir=tmp_path / "ix"))
    with gr.Blocks():
        page = ChatPage(empty, empty.settings, Exports())
    assert "No documents yet" in page.header.value and ".txt" in page.header.value


# ------------------------------------------------------------------ the API
def test_ask_endpoint_returns_the_cli_json(served):
    from gradio_client import Client

    url, engine = served
    client = Client(url, verbose=False)
    result = client.predict(QUESTION, [], 3, None, api_name="/ask")
    assert result == engine.ask(QUESTION).to_json()
    follow = client.predict(
        "tidal energy", ["What does the resolution ask of Member States?"], 2, None, api_name="/ask"
    )
    assert len(follow["passages"]) == 2
    bad = client.predict("x", [], 3, "missing.txt", api_name="/ask")
    assert bad["answered"] is False and "unknown source" in bad["message"]


def test_add_documents_endpoint_reports_each_file(served, tmp_path):
    from gradio_client import Client, handle_file

    url, engine = served
    data = engine.settings.data_dir
    folders = [tmp_path / name for name in ("a", "b", "c", "d")]
    for folder in folders:
        folder.mkdir()
    (folders[0] / "kelp.md").write_text("# Kelp notes\n\nKelp farms absorb nitrogen.\n", encoding="utf-8")
    (folders[1] / "tidal-resolution.txt").write_text("A different tidal text\n", encoding="utf-8")
    (folders[2] / "copy.txt").write_bytes((data / "orchard-article.txt").read_bytes())
    (folders[3] / "payload.exe").write_bytes(b"MZ")
    files = [handle_file(str(next(folder.iterdir()))) for folder in folders]
    result = Client(url, verbose=False).predict(files, api_name="/add_documents")
    assert json.loads(json.dumps(result)) == result
    assert [(f["name"], f["status"], f["source"]) for f in result["files"]] == [
        ("kelp.md", "added", "uploads/kelp.md"),
        ("tidal-resolution.txt", "renamed", "uploads/tidal-resolution-2.txt"),
        ("copy.txt", "already here", "orchard-article.txt"),
        ("payload.exe", "refused", None),
    ]
    assert "unsupported type" in result["files"][3]["message"]
    assert result["documents"] == 5
    assert (data / "tidal-resolution.txt").read_text(encoding="utf-8").startswith("United Nations")


def test_add_documents_endpoint_takes_no_path_on_the_server(served, tmp_path):
    url, engine = served
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    for item in ({"path": str(secret), "meta": {"_type": "gradio.FileData"}}, {"path": str(secret)}, str(secret)):
        request = urllib.request.Request(
            url + "gradio_api/call/add_documents",
            data=json.dumps({"data": [[item]]}).encode(),
            headers={"Content-Type": "application/json"},
        )
        event = json.loads(urllib.request.urlopen(request, timeout=30).read())["event_id"]
        with urllib.request.urlopen(f"{url}gradio_api/call/add_documents/{event}", timeout=30) as response:
            assert "event: error" in response.read().decode()
    assert not (engine.settings.data_dir / "uploads").exists()


# ------------------------------------------------------------------ serving
def test_auth_parsing_and_loopback():
    assert parse_auth("u:p") == ("u", "p")
    assert parse_auth(None) is None
    with pytest.raises(ValueError):
        parse_auth("nopassword")
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and not is_loopback("0.0.0.0")


def test_a_name_that_starts_with_127_is_not_loopback():
    # the old check read the name: "127.attacker.example" skipped the auth requirement
    assert not is_loopback("127.attacker.invalid")
    assert not is_loopback("127.0.0.1.nip.invalid")


def test_failed_logins_wait_longer_and_longer():
    import asyncio

    waits = []

    async def record(seconds):
        waits.append(seconds)

    guard = LoginGuard("ana", "s3cret", sleep=record)

    async def attempts():
        results = [await guard.check("ana", guess) for guess in ("a", "b", "c", "d", "e")]
        results.append(await guard.check("ana", "s3cret"))  # the right password still gets in, after the wait
        results.append(await guard.check("ana", "s3cret"))
        return results

    results = asyncio.run(attempts())
    assert results == [False] * 5 + [True, True]
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0]  # nothing before the first try or after a success
    # Gradio awaits the check only if it is a coroutine function; a plain call would return a
    # coroutine object, which is truthy: every password would get in
    import inspect

    assert inspect.iscoroutinefunction(guard.check)


def test_password_from_a_file_not_the_command_line(tmp_path):
    secret = tmp_path / "auth"
    secret.write_text("ana:s3cret\n", encoding="utf-8")
    assert read_auth(None, str(secret)) == ("ana", "s3cret")
    with pytest.raises(ValueError, match="cannot read --auth-file"):
        read_auth(None, str(tmp_path / "missing"))


def test_public_bind_requires_auth_or_explicit_flag(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--host", "0.0.0.0"])
    assert exit_info.value.code == 2
    assert "--auth USER:PASSWORD" in capsys.readouterr().err


def test_a_taken_port_is_named_with_the_fix(capsys):
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        assert main(["--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"port {port} on 127.0.0.1 is in use" in err and "--port" in err and "Traceback" not in err
