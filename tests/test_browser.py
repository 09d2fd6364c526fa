"""The web chat in a real browser: Debian's Chromium driven by Playwright.

The app runs as `python app.py` in a subprocess (real model, a copy of the shipped document),
exactly as a user starts it. Every request the page makes must go to that local server.
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import SEED, free_port, guarded_app_command, in_ci

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
]
pytestmark = [pytest.mark.browser, pytest.mark.model]

if not CHROMIUM.exists():
    if in_ci():
        raise RuntimeError("CI needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"app did not start in {timeout}s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser-app")
    data = root / "data"
    data.mkdir()
    (data / SEED.name).write_bytes(SEED.read_bytes())
    port = free_port()
    log = root / "app.log"
    guard_log = root / "netguard.log"  # the app runs under the network guard too
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "RQA_NETGUARD_LOG": str(guard_log)}
    with open(log, "w") as handle:
        process = subprocess.Popen(
            guarded_app_command("--port", str(port), "--data", str(data), "--index", str(root / "index")),
            stdout=handle,
            stderr=subprocess.STDOUT,
            cwd=root,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/", process, log)
        yield {"url": url, "data": data, "root": root, "log": log}
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert not guard_log.exists(), f"the app tried to reach the network: {guard_log.read_text()}"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(server["url"] + "/")
    page.wait_for_selector("#rqa-question textarea", timeout=60_000)
    yield page
    outside = [u for u in requests if not u.startswith((server["url"], "data:", "blob:", "about:"))]
    context.close()
    assert not outside, f"the page requested outside resources: {outside}"
    assert not dialogs, f"a script ran from document text: {dialogs}"


def ask(page, question: str) -> None:
    before = page.locator("#rqa-chat .message").count()
    page.fill("#rqa-question textarea", question)
    page.click("#rqa-ask")
    page.wait_for_function(
        "n => document.querySelectorAll('#rqa-chat .message').length >= n + 2", arg=before, timeout=60_000
    )
    page.wait_for_timeout(300)


def last_reply(page) -> str:
    return page.locator("#rqa-chat .message").last.inner_text()


def test_answer_citation_and_source_in_context(page):
    ask(page, "What is PAM?")
    reply = last_reply(page)
    assert "Parliamentary Assembly of the Mediterranean (PAM)" in reply and "[1]" in reply and "¶ 6" in reply
    first = page.locator("#rqa-passages .rqa-passage").first
    assert "¶ 6" in first.locator(".rqa-cite").inner_text()
    assert "Parliamentary Assembly of the Mediterranean (PAM)" in first.locator("mark").first.inner_text()
    # the document map shows one bar per passage
    assert page.locator("#rqa-map svg rect").count() >= 5
    page.locator("#rqa-source-pick label").first.click()
    target = page.locator("#rqa-context-view #rqa-target")
    target.wait_for(timeout=30_000)
    assert "Parliamentary Assembly of the Mediterranean (PAM)" in target.locator("mark").inner_text()
    page.wait_for_timeout(500)
    box, view = target.bounding_box(), page.locator("#rqa-context").bounding_box()
    assert box["y"] < view["y"] + view["height"] and box["y"] + box["height"] > view["y"]  # scrolled into view
    page.screenshot(path=str(Path(os.environ.get("RQA_SCREENSHOT", "/tmp/rqa-screenshot.png"))), full_page=True)


def test_follow_up_abstention_and_clear(page):
    ask(page, "Who sponsored the June resolution?")
    ask(page, "And which country endorsed it despite that?")
    assert "the United States endorsed the Resolution" in last_reply(page)
    ask(page, "What is the capital of France?")
    assert "The documents don't say" in last_reply(page)
    assert page.locator("#rqa-passages .rqa-abstain").is_visible()
    assert page.locator("#rqa-passages .rqa-not-answer").count() >= 1
    assert page.locator("#rqa-passages mark").count() == 0
    page.click("#rqa-clear")
    page.wait_for_function("() => document.querySelectorAll('#rqa-chat .message').length === 0", timeout=30_000)


def test_export_markdown(page):
    ask(page, "Who is Ambassador Fu?")
    with page.expect_download(timeout=30_000) as download_info:
        page.click("#rqa-export")
    text = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert "## Q: Who is Ambassador Fu?" in text and "director-general of the Department of Arms Control" in text
    assert "unga-ai-capacity-building-resolution.txt" in text


def upload(page, path: Path, expect: str) -> str:
    """Upload ``path`` and wait for a status that mentions ``expect`` (a new status, not the last one)."""
    page.set_input_files("#rqa-upload input[type=file]", str(path))
    page.wait_for_function(
        """s => { const t = document.querySelector('#rqa-upload-status')?.innerText || '';
                  return t.includes(s) && t.includes('indexed'); }""",
        arg=expect,
        timeout=120_000,
    )
    return page.locator("#rqa-upload-status").inner_text()


def indexed_count(status: str) -> int:
    """N from an upload status's last line, "N document(s) indexed, …"."""
    return int(status.strip().splitlines()[-1].split(" document")[0])


def wait_for_header_count(page, count: int) -> None:
    page.wait_for_function(
        "n => document.querySelector('#rqa-header')?.innerText.includes(`Ask about ${n} document`)",
        arg=count,
        timeout=30_000,
    )


def open_add_documents(page) -> None:
    if not page.locator("#rqa-upload input[type=file]").count() or not page.locator("#rqa-upload").is_visible():
        page.locator("#rqa-documents").get_by_text("Documents", exact=True).first.click()
    page.locator("#rqa-upload").wait_for(state="visible", timeout=10_000)


def test_upload_then_ask_and_hostile_text_stays_text(page, server, tmp_path):
    open_add_documents(page)
    hostile = tmp_path / "Kelp notes <b>.md"
    hostile.write_text(
        "# Kelp farming notes\n\nKelp farms in the Faroe Islands absorb nitrogen from fjord water. "
        "<script>alert('xss')</script> <img src=x onerror=\"alert('img')\"> "
        "![tracker](http://198.51.100.7/pixel.png) [click](http://198.51.100.7/)\n",
        encoding="utf-8",
    )
    status = upload(page, hostile, "uploads/Kelp_notes_b.md")
    assert "✓" in status and "added as uploads/Kelp_notes_b.md" in status
    assert (server["data"] / "uploads" / "Kelp_notes_b.md").exists()
    ask(page, "Where do kelp farms absorb nitrogen?")
    reply = last_reply(page)
    assert "Faroe Islands" in reply
    passages = page.locator("#rqa-passages").inner_text()
    assert "<script>alert('xss')</script>" in passages and "onerror" in passages
    assert page.locator("#rqa-passages img, #rqa-chat img[src*='198.51']").count() == 0


def test_upload_with_a_taken_name_keeps_both_and_the_page_shows_the_new_document(page, server, tmp_path):
    seed = server["data"] / SEED.name
    original = seed.read_bytes()
    open_add_documents(page)
    same_name = tmp_path / SEED.name
    same_name.write_text("# Lagoon survey\n\nThe lagoon survey counted 412 flamingos in March.\n", encoding="utf-8")
    renamed = f"uploads/{Path(SEED.name).stem}-2.txt"
    status = upload(page, same_name, renamed)
    assert f"is taken, so it was added as {renamed}" in status
    assert seed.read_bytes() == original and (server["data"] / renamed).exists()
    wait_for_header_count(page, indexed_count(status))
    page.click("text=Settings")
    page.click("#rqa-source input")
    assert page.locator(f"ul[role=listbox] li:has-text('{renamed}')").count() == 1
    page.keyboard.press("Escape")
    identical = tmp_path / "again" / "copy.txt"
    identical.parent.mkdir()
    identical.write_bytes(original)
    status = upload(page, identical, "already here")
    assert f"already here as {SEED.name}" in status
    # a page opened afterwards (or reloaded) is filled when it loads, not from the build-time snapshot
    page.reload()
    wait_for_header_count(page, indexed_count(status))


def test_upload_refuses_wrong_type(page, server, tmp_path):
    open_add_documents(page)
    bad = tmp_path / "payload.exe"
    bad.write_bytes(b"MZ")
    page.set_input_files("#rqa-upload input[type=file]", str(bad))
    page.wait_for_timeout(2000)
    status = page.locator("#rqa-upload-status").inner_text()
    assert not any("payload" in path.name for path in server["data"].rglob("*"))
    # refused in the browser by the file-type filter (which must not admit .exe), or by the
    # server with a message that names the problem
    accept = page.locator("#rqa-upload input[type=file]").get_attribute("accept") or ""
    if status == "":
        assert accept and ".exe" not in accept and ".txt" in accept
    else:
        assert "unsupported type" in status


def test_clicking_an_example_asks_it(page):
    page.locator("text=Who is Ambassador Fu?").first.click()
    page.wait_for_function("() => document.querySelectorAll('#rqa-chat .message').length >= 2", timeout=60_000)
    page.wait_for_timeout(300)
    assert "director-general of the Department of Arms Control" in last_reply(page)


def test_at_400_pixels_the_input_stacks_and_the_answer_is_in_view(browser, server):
    context = browser.new_context(viewport={"width": 400, "height": 900})
    narrow = context.new_page()
    try:
        narrow.goto(server["url"] + "/")
        narrow.wait_for_selector("#rqa-question textarea", timeout=60_000)
        box, button = narrow.locator("#rqa-question").bounding_box(), narrow.locator("#rqa-ask").bounding_box()
        assert box["y"] + box["height"] <= button["y"] + 1  # below, not beside
        assert box["width"] > 300 and button["x"] + button["width"] <= 400
        # after an answer, its quote and citation are on screen without scrolling (the chat's
        # own autoscroll used to show only the end of the source list)
        ask(narrow, "Who is Ambassador Fu?")
        narrow.wait_for_timeout(800)
        chat = narrow.locator("#rqa-chat").bounding_box()
        reply = narrow.locator("#rqa-chat .message.bot").last
        for part in (reply.locator("blockquote").first, reply.get_by_text("characters", exact=False).first):
            seen = part.bounding_box()
            assert seen is not None and seen["y"] >= 0 and seen["y"] + seen["height"] <= 900
            assert chat["y"] <= seen["y"] and seen["y"] + seen["height"] <= chat["y"] + chat["height"]
    finally:
        context.close()


def test_remove_a_document_in_the_page(page, server, tmp_path):
    open_add_documents(page)
    note = tmp_path / "removable-note.md"
    note.write_text("# Removable\n\nThe removable note mentions seagrass meadows.\n", encoding="utf-8")
    status = upload(page, note, "removable-note.md")
    count = indexed_count(status)
    wait_for_header_count(page, count)
    page.locator("#rqa-documents-table").get_by_text("uploads/removable-note.md", exact=False).first.wait_for(
        timeout=30_000
    )
    page.click("#rqa-remove-pick input")
    page.fill("#rqa-remove-pick input", "removable")
    page.get_by_role("option", name="removable-note.md", exact=False).first.click()
    page.click("#rqa-remove")
    page.wait_for_function(
        "() => (document.querySelector('#rqa-remove-status')?.innerText || '').includes('removed')", timeout=60_000
    )
    wait_for_header_count(page, count - 1)
    assert "uploads/removable-note.md" not in page.locator("#rqa-documents-table").inner_text()
    assert (server["data"] / ".removed" / "removable-note.md").is_file()  # kept, not deleted
    ask(page, "Which note mentions seagrass meadows?")
    assert "removable-note.md" not in page.locator("#rqa-chat .message").last.inner_text()


def test_a_pdf_source_shows_its_page_with_the_quote_marked(page, server, tmp_path):
    from conftest import RESOLUTION_TEXT
    from pdf_fixture import make_pdf, split_resolution

    open_add_documents(page)
    pdf = make_pdf(tmp_path / "tidal-network.pdf", split_resolution(RESOLUTION_TEXT))
    upload(page, pdf, "tidal-network.pdf")
    ask(page, "What workshops on turbine maintenance are the regional commissions invited to organize?")
    page.locator("#rqa-source-pick label").first.click()
    figure = page.locator("#rqa-context-view figure.rqa-pdf-page").first
    figure.wait_for(timeout=30_000)
    caption = figure.locator("figcaption").inner_text()
    assert caption.startswith("Page ") and "could not be placed" not in caption
    image = figure.locator("img")
    assert image.evaluate("img => img.complete && img.naturalWidth > 500")
    page.wait_for_timeout(800)  # after the page's own scroll to the passage
    figure.evaluate("f => f.scrollIntoView({block: 'start'})")
    if os.environ.get("RQA_SCREENSHOT_DIR"):  # the README's second screenshot: RQA_SCREENSHOT_DIR=docs
        page.screenshot(path=str(Path(os.environ["RQA_SCREENSHOT_DIR"]) / "screenshot-pdf.png"))
