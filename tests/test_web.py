import pytest

from conftest import free_port
from resolution_qa.web import build_app, is_loopback, launch, main, parse_auth, safe_filename


@pytest.fixture
def served(engine):
    app = build_app(engine)
    port = free_port()
    launch(app, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/", engine
    app.close()


def test_ask_endpoint_returns_the_cli_json(served):
    from gradio_client import Client

    url, engine = served
    client = Client(url, verbose=False)
    result = client.predict("Who should share tidal measurement data?", [], 3, None, api_name="/ask")
    assert result == engine.ask("Who should share tidal measurement data?").to_json()
    follow = client.predict(
        "What did it encourage?", ["What does the resolution ask of Member States?"], 2, None, api_name="/ask"
    )
    assert len(follow["passages"]) == 2
    bad = client.predict("x", [], 3, "missing.txt", api_name="/ask")
    assert bad["answered"] is False and "unknown source" in bad["message"]


def test_safe_filename_stays_in_folder():
    assert safe_filename("../../etc/passwd.txt") == "passwd.txt"
    assert safe_filename("..\\..\\win.md") == "win.md"
    assert safe_filename(".hidden.txt") == "hidden.txt"
    assert safe_filename("a b/c d.PDF") == "c_d.pdf"
    assert safe_filename("....txt") == "document.txt"


def test_auth_parsing_and_loopback():
    assert parse_auth("u:p") == ("u", "p")
    assert parse_auth(None) is None
    with pytest.raises(ValueError):
        parse_auth("nopassword")
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and not is_loopback("0.0.0.0")


def test_public_bind_requires_auth_or_explicit_flag(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--host", "0.0.0.0"])
    assert exit_info.value.code == 2
    assert "--auth USER:PASSWORD" in capsys.readouterr().err
