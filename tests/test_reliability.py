"""Faults, crashes, hostile input, load and access: each protection has a test that fails without it."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import netguard
from conftest import ROOT, SEED, free_port, guarded_app_command
from fakes import FakeEncoder
from resolution_qa import QAEngine, Settings, store
from resolution_qa.web import build_app, launch

HELPER = Path(__file__).parent / "build_helper.py"


def start_helper(settings, mode, marker):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    return subprocess.Popen(
        [sys.executable, str(HELPER), str(settings.data_dir), str(settings.index_dir), mode, str(marker)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(path: Path, process, timeout=60):
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(f"helper exited: {process.stderr.read()}")
        if time.monotonic() > deadline:
            raise AssertionError("helper never reached the slow part")
        time.sleep(0.05)


# ------------------------------------------------------------------ offline guard
def test_network_guard_blocks_and_records():
    before = len(netguard.ATTEMPTS)
    with pytest.raises(OSError, match="network guard"):
        socket.getaddrinfo("example.org", 443)
    assert netguard.ATTEMPTS[before:] == ["getaddrinfo 'example.org'"]
    del netguard.ATTEMPTS[before:]  # expected here; any other attempt fails the test it happens in


# ------------------------------------------------------------------ index faults
def test_index_from_another_model_is_rebuilt_with_a_warning(engine, settings, caplog):
    class OtherModel(FakeEncoder):
        sha256 = "f" * 64

    with caplog.at_level(logging.WARNING, logger="resolution_qa"):
        reopened = QAEngine.open(settings, encoder=OtherModel())
    assert "another model" in reopened.report.rebuilt_reason
    assert any("rebuilding the index" in r.getMessage() for r in caplog.records)
    assert store.read_manifest(settings.index_dir)["model"]["sha256"] == "f" * 64


def test_garbled_faiss_file_is_rebuilt_never_trusted(engine, settings):
    generation = settings.index_dir / (settings.index_dir / "CURRENT").read_text()
    blob = bytearray((generation / "faiss.index").read_bytes())
    blob[len(blob) // 2] ^= 0xFF  # one flipped byte: same size, wrong content
    (generation / "faiss.index").write_bytes(bytes(blob))
    reopened = QAEngine.open(settings, encoder=engine.encoder)
    assert "checksum" in reopened.report.rebuilt_reason
    assert reopened.report.embedded == reopened.report.passages  # nothing reused from a damaged index


# ------------------------------------------------------------------ crash safety
@pytest.mark.parametrize("mode", ["slow-embed", "slow-write"])
def test_kill_9_midway_leaves_previous_index_usable(engine, settings, corpus, tmp_path, mode):
    previous = store.read_manifest(settings.index_dir)
    (corpus / "new.md").write_text("# New\n\nA new document about glaciers.\n", encoding="utf-8")
    marker = tmp_path / "marker"
    process = start_helper(settings, mode, marker)
    wait_for(marker, process)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert store.read_manifest(settings.index_dir) == previous
    data = store.load(settings.index_dir, previous["model"], previous["chunking"])
    assert {d.source for d in data.documents} == set(previous["sources"])
    # the lock died with the process, and the next build finishes and cleans up
    rebuilt = QAEngine.open(settings, encoder=FakeEncoder())
    assert "new.md" in rebuilt.report.added
    leftovers = [p.name for p in settings.index_dir.iterdir() if p.name.startswith((".tmp-", "gen-"))]
    assert len(leftovers) == 1 and leftovers[0].startswith("gen-")


def test_two_builds_at_once_take_turns(engine, settings, tmp_path):
    marker = tmp_path / "starts"
    first = start_helper(settings, "slow-lock", marker)
    second = start_helper(settings, "slow-lock", marker)
    for process in (first, second):
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert int(out.strip()) == len(engine.data.chunks)
    events = [line.split() for line in marker.read_text().splitlines()]
    # each build's embedding ran start-to-end before the other's began: never interleaved
    assert [kind for kind, _ in events] == ["start", "end", "start", "end"]
    data = store.load(settings.index_dir, store.read_manifest(settings.index_dir)["model"], engine.data.params)
    assert len(data.chunks) == len(engine.data.chunks)


# ------------------------------------------------------------------ bad documents
def test_fifty_megabyte_file_is_skipped_and_named(settings, corpus, fake_encoder):
    with open(corpus / "huge.txt", "wb") as handle:
        handle.write(b"tidal " * (50 * 1024 * 1024 // 6))
    engine = QAEngine.open(settings, encoder=fake_encoder)
    assert [s.path for s in engine.skipped] == ["huge.txt"]
    assert "MB limit" in engine.skipped[0].reason
    assert len(engine.documents) == 3


def test_empty_data_folder_app_starts_and_says_how_to_add(tmp_path, fake_encoder):
    settings = Settings(data_dir=tmp_path / "nothing", index_dir=tmp_path / "ix")
    engine = QAEngine.open(settings, encoder=fake_encoder)
    with serving(engine, settings) as base:
        page = urllib.request.urlopen(f"{base}/", timeout=10).read().decode()
        assert "No documents yet" in page
        answer = post_ask(base, "Anything?")
        assert answer["answered"] is False and "add resolutions (.xml), .txt, .md, .pdf or .html" in answer["message"]


def test_malformed_api_arguments_get_a_message(engine, settings):
    with serving(engine, settings) as base:
        for data, expected in (
            (["Who?", [], None, None], "k must be a whole number"),
            (["Who?", [], 3, ["a.txt"]], "source must be one document's name"),
            ([None, [], 3, None], "question must be a string"),
            (["x" * 30_000, [], 3, None], "the limit is 20,000"),
            (["Who?", "not a list", 3, None], "history must be a list"),
            (["Who?", [], 3, None, "extra"], '{"data": [question, history, k, source]}'),
        ):
            failure = refused(base, json.dumps({"data": data}).encode())
            body = json.loads(failure.read())
            assert failure.code == 422 and expected in body["error"]  # was HTTP 500 {"error": null}
        assert post_ask(base, "Who chairs the cooperative?")["passages"]  # a good request still passes


def test_an_oversized_request_is_refused_before_it_is_read(engine, settings):
    with serving(engine, settings) as base:
        failure = refused(base, json.dumps({"data": ["x" * 3_000_000, [], 3, None]}).encode())  # a 3 MB "question"
        assert failure.code == 413 and "one question" in json.loads(failure.read())["error"]
        assert post_ask(base, "Who chairs the cooperative?")["passages"]  # others still served


@contextlib.contextmanager
def serving(engine, settings):
    """The page of ``engine`` served in this process on a free loopback port; yields its base URL."""
    app = build_app(engine, settings)
    port = free_port()
    launch(app, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        app.close()


def refused(base: str, body: bytes) -> urllib.error.HTTPError:
    """POST ``body`` to the JSON route, which must refuse it; the HTTP error it answered with."""
    request = urllib.request.Request(
        f"{base}/gradio_api/run/ask_json", data=body, headers={"Content-Type": "application/json"}
    )
    with pytest.raises(urllib.error.HTTPError) as failure:
        urllib.request.urlopen(request, timeout=60)
    return failure.value


def post_ask(base: str, question: str, history=(), k=3) -> dict:
    request = urllib.request.Request(
        f"{base}/gradio_api/run/ask_json",
        data=json.dumps({"data": [question, list(history), k, None]}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())["data"][0]


# ------------------------------------------------------------------ access
def test_files_outside_data_are_never_served(engine, settings, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    with serving(engine, settings) as base:
        for path in (secret, settings.data_dir / "tidal-resolution.txt", Path("/etc/passwd"), ROOT / "app.py"):
            for route in (f"/gradio_api/file={path}", f"/file={path}", f"/gradio_api/file={path.as_posix()}"):
                try:
                    with urllib.request.urlopen(f"{base}{route}", timeout=10) as response:
                        body = response.read().decode(errors="replace")
                    assert "TOP-SECRET" not in body and "root:" not in body and "Decides to" not in body, route
                except urllib.error.HTTPError as exc:
                    assert exc.code in (403, 404, 405), route


def test_public_bind_prints_what_it_exposes(tmp_path):
    """--insecure-public is explicit and the app says the whole network can reach it (stopped at once)."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.txt").write_text("Kelp grows fast.", encoding="utf-8")
    port = free_port()
    process = subprocess.Popen(
        guarded_app_command(
            "--host",
            "0.0.0.0",
            "--insecure-public",
            "--port",
            str(port),
            "--data",
            str(data),
            "--index",
            str(tmp_path / "ix"),
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = ""
        deadline = time.monotonic() + 120
        while "Serving" not in line and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
        assert "THE WHOLE NETWORK, WITHOUT A PASSWORD" in line
    finally:
        process.terminate()
        process.wait(timeout=30)


# ------------------------------------------------------------------ load
@pytest.mark.model
def test_load_200_questions_from_20_clients(tmp_path):
    from gradio_client import Client

    data = tmp_path / "data"
    data.mkdir()
    (data / SEED.name).write_bytes(SEED.read_bytes())
    port = free_port()
    guard_log = tmp_path / "netguard.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "RQA_NETGUARD_LOG": str(guard_log)}
    process = subprocess.Popen(
        guarded_app_command("--port", str(port), "--data", str(data), "--index", str(tmp_path / "ix")),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                post_ask(base, "warm up")
                break
            except OSError:
                assert time.monotonic() < deadline and process.poll() is None, "app did not start"
                time.sleep(0.2)
        questions = [
            ("Which country sponsored the resolution?", []),
            ("When was the resolution adopted?", []),
            ("And which country endorsed it despite that?", ["Who sponsored the June resolution?"]),
            ("What is the capital of France?", []),
            ("Who is Ambassador Fu?", []),
        ]
        expected = {q: post_ask(base, q, h) for q, h in questions}
        latencies: list[float] = []
        failures: list[str] = []
        lock = threading.Lock()

        def client(worker: int) -> None:
            gradio = Client(base + "/", verbose=False)
            for i in range(10):
                question, history = questions[(worker + i) % len(questions)]
                start = time.perf_counter()
                try:
                    got = gradio.predict(question, history, 3, None, api_name="/ask")
                except Exception as exc:  # recorded, then asserted below: nothing may be dropped
                    got = {"error": repr(exc)}
                elapsed = (time.perf_counter() - start) * 1000
                with lock:
                    latencies.append(elapsed)
                    if got != expected[question]:
                        failures.append(f"{question}: {str(got)[:200]}")

        threads = [threading.Thread(target=client, args=(w,)) for w in range(20)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
        wall = time.perf_counter() - started
        assert len(latencies) == 200 and not failures, failures[:3]
        latencies.sort()
        report = {
            "questions": 200,
            "clients": 20,
            "wall_s": round(wall, 2),
            "p50_ms": round(statistics.median(latencies), 1),
            "p95_ms": round(latencies[int(0.95 * len(latencies)) - 1], 1),
            "throughput_qps": round(200 / wall, 1),
        }
        (tmp_path / "load.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
        print("\nload test:", report)
        assert not guard_log.exists(), guard_log.read_text()
    finally:
        process.terminate()
        process.wait(timeout=30)
