"""``python -m resolution_qa bench``: speed and memory, every figure measured in one run.

Targets are ratios to floors measured side by side in the same run (sentence-transformers
encoding the same question, processes that only import sentence_transformers or gradio, raw
``encode`` of the same texts a build embeds), so they mean the same on a fast or a slow
machine. Nothing here is asserted; CI prints it.
"""

from __future__ import annotations

import json
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

from .config import Settings

QUESTION = "Which country sponsored the resolution?"
NOISE = 0.5  # norm of the noise added to real embeddings (which have norm 1) for the scale test
FALLBACK_QUESTIONS = [
    QUESTION,
    "When was the resolution adopted?",
    "Who is Ambassador Fu?",
    "Which social groups does the resolution mention?",
    "What is the capital of France?",
]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile.

    >>> percentile([5, 1, 3, 2, 4], 50), percentile([5, 1, 3, 2, 4], 95)
    (3, 5)
    """
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, int(np.ceil(q / 100 * len(ordered))) - 1))
    return ordered[index]


REPOSITORY = Path(__file__).resolve().parents[2]  # a checkout: src/resolution_qa/bench.py


class NotACheckout(RuntimeError):
    """The benchmark starts the repository's app.py; an installed package has none."""


def _checkout() -> Path:
    if not (REPOSITORY / "app.py").is_file() or not (REPOSITORY / "eval").is_dir():
        raise NotACheckout(
            f"bench runs from a checkout of the repository (it starts app.py and reads eval/); "
            f"this package is installed at {Path(__file__).resolve().parent} without one — "
            "clone the repository and run `python -m resolution_qa bench` there"
        )
    return REPOSITORY


def _questions() -> list[str]:
    dev = REPOSITORY / "eval" / "dev_qa.jsonl"
    if dev.is_file():
        return [json.loads(line)["question"] for line in dev.read_text(encoding="utf-8").splitlines() if line.strip()]
    return FALLBACK_QUESTIONS


def _run_seconds(argv: list[str], cwd: Path, repeat: int) -> float:
    """Median wall time of a fresh process (it must exit 0)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, check=True, capture_output=True, timeout=600)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post_json(url: str, payload: dict, timeout: float = 60) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def ask_url(base: str) -> str:
    """The plain JSON route beside Gradio's queued /ask (see web.build_app)."""
    return f"{base}/gradio_api/run/ask_json"


def _start_app(data: Path, index: Path, cwd: Path) -> tuple[subprocess.Popen, str, float]:
    """Start ``python app.py``; return the process, its URL and seconds until it answered."""
    port = _free_port()
    start = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            str(REPOSITORY / "app.py"),
            "--port",
            str(port),
            "--data",
            str(data),
            "--index",
            str(index),
        ],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = start + 300
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError("app.py exited during the benchmark")
        try:
            _post_json(ask_url(base), {"data": [QUESTION, [], 3, None]}, timeout=5)
            return process, base, time.perf_counter() - start
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("app.py did not answer within 300 s")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


PROSE_MODULES = (
    "argparse",
    "asyncio",
    "collections",
    "datetime",
    "decimal",
    "email.message",
    "functools",
    "http.client",
    "inspect",
    "itertools",
    "json",
    "logging",
    "os",
    "pathlib",
    "random",
    "re",
    "shutil",
    "sqlite3",
    "statistics",
    "string",
    "subprocess",
    "tarfile",
    "textwrap",
    "threading",
    "typing",
    "unittest",
    "urllib.request",
    "zipfile",
    "xml.etree.ElementTree",
    "configparser",
    "csv",
    "difflib",
    "heapq",
    "ast",
    "calendar",
    "cmd",
    "codecs",
    "concurrent.futures",
    "contextlib",
    "copy",
    "dataclasses",
    "enum",
    "fileinput",
    "fractions",
    "ftplib",
    "gettext",
    "glob",
    "gzip",
    "imaplib",
    "ipaddress",
    "locale",
    "mailbox",
    "mimetypes",
    "optparse",
    "pdb",
    "pickle",
    "pkgutil",
    "platform",
    "plistlib",
    "poplib",
    "pprint",
    "pstats",
    "queue",
    "sched",
    "selectors",
    "shlex",
    "smtplib",
    "socketserver",
    "tempfile",
    "timeit",
    "tokenize",
    "traceback",
    "unittest.mock",
    "wave",
    "weakref",
    "zipapp",
    "zoneinfo",
)


def prose_corpus(target_passages: int) -> list[str]:
    """Real English prose: Python's documentation topics (``pydoc_data``) and the docstrings
    of standard-library modules, as paragraphs of more than 80 characters."""
    import importlib
    import inspect
    from pydoc_data.topics import topics

    texts = [topics[k] for k in sorted(topics)]
    for name in PROSE_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:  # a module this Python build lacks
            continue
        texts.append(inspect.getdoc(module) or "")
        for _, member in sorted(vars(module).items()):
            if (inspect.isfunction(member) or inspect.isclass(member)) and getattr(member, "__module__", "") == name:
                texts.append(inspect.getdoc(member) or "")
    paragraphs = []
    for text in texts:
        for block in text.split("\n\n"):
            block = " ".join(block.split())
            if len(block) > 80 and not block.startswith(("*", "|", ">>>", "+")):
                paragraphs.append(block)
    return list(dict.fromkeys(paragraphs))[:target_passages]


def bench_build(encoder, workdir: Path, passages: int, onnx_from: Path | None = None) -> dict:
    """Build an index over prose and compare with raw ``encode`` of the same passage texts.

    ``onnx_from``: an index folder whose ONNX export is copied in first, so that the one-time
    export (about 5 s) is not counted as building."""
    from .engine import QAEngine
    from .onnx_encoder import ONNX_FOLDER

    data = workdir / "prose"
    data.mkdir()
    paragraphs = prose_corpus(passages)
    for first in range(0, len(paragraphs), 20):
        (data / f"doc{first // 20:04d}.txt").write_text("\n\n".join(paragraphs[first : first + 20]), encoding="utf-8")
    if onnx_from is not None and (onnx_from / ONNX_FOLDER).is_dir():
        shutil.copytree(onnx_from / ONNX_FOLDER, workdir / "prose-index" / ONNX_FOLDER)
    start = time.perf_counter()
    engine = QAEngine.open(Settings(data_dir=data, index_dir=workdir / "prose-index"), encoder=encoder)
    build_s = time.perf_counter() - start
    chunks = engine.data.chunks
    # the raw encoder on the same texts the build embeds: each distinct answer unit once (a
    # paragraph's vector is the sum of its units'), so the ratio is the build's own overhead
    by_source = {d.source: d for d in engine.data.documents}
    texts = sorted(dict.fromkeys(by_source[c.source].text[s:e] for c in chunks for s, e in c.sentences), key=len)
    sentences = sum(len(c.sentences) for c in chunks)
    start = time.perf_counter()
    for first in range(0, len(texts), 256):
        encoder.encode(texts[first : first + 256])
    raw_s = time.perf_counter() - start
    return {
        "passages": len(chunks),
        "sentences": sentences,
        "build_s": round(build_s, 2),
        "build_chunks_per_s": round(len(chunks) / build_s, 1),
        "raw_encode_chunks_per_s": round(len(chunks) / raw_s, 1),
        "build_ratio": round((len(chunks) / build_s) / (len(chunks) / raw_s), 3),
        "vectors": engine.data.vectors,
    }


def same_top_passages(reference, other) -> dict:
    """Do two engines over one index (sentence-transformers' and the ONNX export's question
    vectors) put the same passages first, in the same order, for every development question?"""
    questions = []
    for path in (
        REPOSITORY / "eval" / "dev_qa.jsonl",
        REPOSITORY.parent / "shared" / "eval" / "dev_resolutions_qa.jsonl",
    ):
        if path.is_file():
            rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
            questions += [(row["question"], row.get("history") or []) for row in rows]
    same = 0
    for question, history in questions:
        tops = [
            [(p.chunk.source, p.chunk.start) for p in engine.ask(question, history=history, k=3).passages]
            for engine in (reference, other)
        ]
        same += tops[0] == tops[1]
    return {"same_top_passages": same == len(questions), "same_top_passages_questions": f"{same}/{len(questions)}"}


def synthetic_vectors(base: np.ndarray, n: int, rng) -> np.ndarray:
    """Vectors shaped like real ones: a random mix of two real embeddings plus Gaussian noise
    (norm ``NOISE``), renormalized. They stay on the manifold real text occupies without
    being copies of a few points; uniformly random vectors would make every approximate
    index look bad and say nothing."""
    dim = base.shape[1]
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        size = stop - start
        mix = rng.uniform(0, 1, (size, 1)).astype(np.float32)
        block = mix * base[rng.integers(0, len(base), size)] + (1 - mix) * base[rng.integers(0, len(base), size)]
        block += rng.normal(0, NOISE / np.sqrt(dim), (size, dim)).astype(np.float32)
        out[start:stop] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def bench_scale(base_vectors: np.ndarray, sizes: list[int], queries: int = 200) -> list[dict]:
    """FAISS at scale on synthetic vectors shaped like real passage embeddings.

    Recall@10 is measured against exact search over the same vectors, with queries drawn the
    same way. (On uniformly random vectors the same IVF settings give recall@10 ≈ 0.11: the
    measure does tell indexes apart.)
    """
    import faiss

    from .store import make_faiss_index

    rng = np.random.default_rng(0)
    dim = base_vectors.shape[1]
    results = []
    for n in sizes:
        vectors = synthetic_vectors(base_vectors, n, rng)
        q = synthetic_vectors(base_vectors, queries, rng)
        start = time.perf_counter()
        index = make_faiss_index(vectors)
        build_s = time.perf_counter() - start
        times = []
        found = []
        for row in q:
            t0 = time.perf_counter()
            _, ids = index.search(row.reshape(1, -1), 10)
            times.append((time.perf_counter() - t0) * 1000)
            found.append(ids[0])
        exact = faiss.IndexFlatIP(dim)
        exact.add(vectors)
        _, truth = exact.search(q, 10)
        recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth, strict=True)]))
        results.append(
            {
                "passages": n,
                "index": type(index).__name__
                + (f"(nlist={index.nlist}, nprobe={index.nprobe})" if hasattr(index, "nprobe") else ""),
                "build_s": round(build_s, 2),
                "query_p50_ms": round(percentile(times, 50), 3),
                "query_p95_ms": round(percentile(times, 95), 3),
                "memory_mb": round(faiss.serialize_index(index).nbytes / 1e6, 1),
                "recall@10": round(recall, 4),
            }
        )
        del vectors, index, exact
    return results


def run_bench(quick: bool = False, as_json: bool = False, settings: Settings | None = None) -> int:
    from .engine import QAEngine

    _checkout()
    settings = settings or Settings()
    repeat = 30 if quick else 100
    cold_repeat = 1 if quick else 5
    workdir = Path(tempfile.mkdtemp(prefix="rqa-bench-"))
    try:
        data = workdir / "data"
        shutil.copytree(settings.data_dir, data)
        index = workdir / "index"
        engine = QAEngine.open(Settings(data_dir=data, index_dir=index))
        engine.warm_up()
        model = engine.encoder.load()
        result: dict = {"quick": quick, "threads": int(__import__("torch").get_num_threads())}
        from .onnx_encoder import OnnxEncoder, query_encoder

        onnx = query_encoder(index)
        # the web app's engine: the same index, questions embedded by the ONNX export (faster per
        # question here: onnx_speedup below) or by torch when there is no export
        app_engine = QAEngine(engine.index, onnx or engine.encoder)
        app_engine.ask(QUESTION)

        # The full path and sentence-transformers' own encode of the same question are timed
        # interleaved, so that question length, CPU frequency and cache state affect both alike.
        questions = _questions()
        st_encode, query_times = [], []
        for i in range(repeat):
            question = questions[i % len(questions)]
            start = time.perf_counter()
            model.encode([question])  # SentenceTransformer.encode, the reference
            st_encode.append((time.perf_counter() - start) * 1000)
            app_engine.clear_cache()  # measure the full path, not the cache
            start = time.perf_counter()
            app_engine.ask(question)
            query_times.append((time.perf_counter() - start) * 1000)
        result["st_encode_p50_ms"] = round(percentile(st_encode, 50), 2)
        if isinstance(onnx, OnnxEncoder):
            onnx_times, torch_times = [], []
            for i in range(repeat):
                question = [questions[i % len(questions)]]
                start = time.perf_counter()
                onnx.encode(question)
                onnx_times.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                engine.encoder.encode(question)
                torch_times.append((time.perf_counter() - start) * 1000)
            result["onnx_encode_p50_ms"] = round(percentile(onnx_times, 50), 2)
            result["torch_encode_p50_ms"] = round(percentile(torch_times, 50), 2)
            result["onnx_speedup"] = round(result["torch_encode_p50_ms"] / result["onnx_encode_p50_ms"], 2)
        result["query_p50_ms"] = round(percentile(query_times, 50), 2)
        result["query_p95_ms"] = round(percentile(query_times, 95), 2)
        result["query_ratio"] = round(result["query_p50_ms"] / result["st_encode_p50_ms"], 3)
        result.update(same_top_passages(engine, app_engine))

        import gradio  # noqa: F401  (untimed: brings gradio's files into the OS cache, as torch's already are)

        # Each cold figure is measured interleaved with what it is compared to (one import, one
        # start, the next import, …): this VM's page cache is trimmed now and then, and a start
        # timed minutes after its reference could land on a colder or warmer cache than it.
        ask_argv = [sys.executable, "-m", "resolution_qa", "ask", QUESTION, "--json"]
        ask_argv += ["--data", str(data), "--index", str(index)]
        st_times, ask_times, gradio_times = [], [], []
        app_times, http, rss = [], [], float("nan")
        for attempt in range(cold_repeat):
            st_times.append(_run_seconds([sys.executable, "-c", "import sentence_transformers"], workdir, 1))
            ask_times.append(_run_seconds(ask_argv, workdir, 1))
            gradio_times.append(_run_seconds([sys.executable, "-c", "import gradio"], workdir, 1))
            process, base, seconds = _start_app(data, index, workdir)
            app_times.append(seconds)
            try:
                if attempt == 0:
                    for i in range(repeat):
                        payload = {"data": [questions[i % len(questions)], [], 3, None]}
                        start = time.perf_counter()
                        _post_json(ask_url(base), payload)
                        http.append((time.perf_counter() - start) * 1000)
                    rss = _rss_mb(process.pid)
            finally:
                process.terminate()
                process.wait(timeout=30)
        st_import = statistics.median(st_times)
        gradio_import = statistics.median(gradio_times)
        cold_ask = statistics.median(ask_times)
        result["st_import_s"] = round(st_import, 2)
        result["gradio_import_s"] = round(gradio_import, 2)
        result["cold_ask_s"] = round(cold_ask, 2)
        result["cold_ask_ratio"] = round(cold_ask / st_import, 3)
        result["cold_app_s"] = round(statistics.median(app_times), 2)
        result["cold_app_ratio"] = round(result["cold_app_s"] / gradio_import, 3)
        result["http_p50_ms"] = round(percentile(http, 50), 2)
        result["http_p95_ms"] = round(percentile(http, 95), 2)
        result["rss_mb"] = round(rss, 1)

        build = bench_build(engine.encoder, workdir, passages=200 if quick else 3000, onnx_from=index)
        vectors = build.pop("vectors")
        result["build"] = build
        result["build_chunks_per_s"] = build["build_chunks_per_s"]
        result["build_ratio"] = build["build_ratio"]
        result["scale"] = bench_scale(
            vectors, [100_000] if quick else [100_000, 1_000_000], queries=100 if quick else 200
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        print(format_table(result))
    return 0


TARGETS = {
    "query_ratio": ("≤", 1.0),  # the whole ask against sentence-transformers encoding the question alone
    "http_p50_ms": ("≤", 50),
    "cold_ask_s": ("≤", 2.0),
    "cold_ask_ratio": ("≤", 0.25),  # against importing sentence-transformers alone: the ONNX path never does
    "cold_app_ratio": ("≤", 1.2),  # against importing gradio alone
    "onnx_speedup": ("≥", 1.0),  # the exported model answers at least as fast as torch, or the app should not use it
    "build_ratio": ("≥", 0.9),
    "rss_mb": ("≤", 900),
}


def format_table(result: dict) -> str:
    lines = [f"{'figure':<22}{'value':>12}   target"]
    for key in (
        "st_encode_p50_ms",
        "onnx_encode_p50_ms",
        "torch_encode_p50_ms",
        "onnx_speedup",
        "query_p50_ms",
        "query_p95_ms",
        "query_ratio",
        "http_p50_ms",
        "http_p95_ms",
        "same_top_passages",
        "st_import_s",
        "gradio_import_s",
        "cold_ask_s",
        "cold_ask_ratio",
        "cold_app_s",
        "cold_app_ratio",
        "build_chunks_per_s",
        "build_ratio",
        "rss_mb",
    ):
        sign, bound = TARGETS.get(key, ("", ""))
        value = str(result[key]).lower() if isinstance(result[key], bool) else result[key]
        lines.append(f"{key:<22}{value:>12}   {sign} {bound}".rstrip())
    lines.append("")
    lines.append(f"{'scale':<10}{'index':<36}{'build s':>9}{'p50 ms':>9}{'p95 ms':>9}{'MB':>9}{'recall@10':>11}")
    for row in result["scale"]:
        lines.append(
            f"{row['passages']:<10}{row['index']:<36}{row['build_s']:>9}{row['query_p50_ms']:>9}"
            f"{row['query_p95_ms']:>9}{row['memory_mb']:>9}{row['recall@10']:>11}"
        )
    return "\n".join(lines)


COLLECTION_QUESTIONS = (
    "What does the resolution say about climate change?",
    "Which resolutions concern the rights of the child?",
    "What is the Secretary-General requested to report on?",
    "What does the General Assembly decide about peacekeeping financing?",
    "Does any resolution mention artificial intelligence?",
    "What is said about nuclear disarmament?",
    "When was resolution 78/311 adopted?",
    "What does OP 3 say?",
)


class _Interleaved:
    """The build's encoder, timed; after each of its batches sentence-transformers' own
    ``encode`` runs on every ``every``-th text of the same batch (timed apart, not counted as
    building): the raw encoder on the same texts, interleaved with the build."""

    def __init__(self, encoder, every: int = 10):
        self.encoder, self.every = encoder, every
        self.texts = self.raw_texts = 0
        self.encode_s = self.raw_s = 0.0

    def __getattr__(self, name):
        attribute = getattr(self.encoder, name)
        if name == "encode_words":  # a build small enough to keep word vectors (alignment.py)
            return lambda texts: self._timed(attribute, texts)
        return attribute

    def encode(self, texts):
        return self._timed(self.encoder.encode, texts)

    def _timed(self, method, texts):
        start = time.perf_counter()
        result = method(texts)
        self.encode_s += time.perf_counter() - start
        self.texts += len(texts)
        sample = list(texts)[:: self.every]
        if sample:
            raw = self.encoder.load().encode if hasattr(self.encoder, "load") else self.encoder.encode
            start = time.perf_counter()
            raw(sample)
            self.raw_s += time.perf_counter() - start
            self.raw_texts += len(sample)
        return result


def bench_collection(
    folder: Path, workdir: Path, limit: int | None = None, repeat: int = 3, encoder=None, fresh_process: bool = True
) -> dict:
    """Build an index over the resolutions (``.xml``) of ``folder`` — the first ``limit`` in
    name order, or all — then serve it from a fresh process as a user would.

    ``collection``: build time (the raw encoder's interleaved runs subtracted), texts embedded
    per second against sentence-transformers' own ``encode`` of the same texts (``build_ratio``),
    index size on disk (with the ~90 MB ONNX export), peak RSS of the building process and of
    the serving one, time to open, query p50/p95 over ``COLLECTION_QUESTIONS`` (ONNX query path,
    question cache cleared each time), recall@10 of the stored (quantized) FAISS indexes against
    exact float32 search, and ``subjects``: retrieval quality on UNBIS subject labels.
    (``encoder`` and ``fresh_process=False`` are for tests: a fake model, served in this process.)"""
    import resource

    from .embedding import MiniLMEncoder
    from .engine import QAEngine

    files = sorted(Path(folder).rglob("*.xml"))[:limit] if limit else sorted(Path(folder).rglob("*.xml"))
    if not files:
        raise ValueError(f"no .xml resolutions under {folder}")
    data, index = workdir / "collection", workdir / "collection-index"
    data.mkdir(parents=True)
    for path in files:  # copied, not linked: links out of the data folder are refused
        shutil.copyfile(path, data / path.name)
    settings = Settings(data_dir=data, index_dir=index)
    encoder = _Interleaved(encoder or MiniLMEncoder())
    if hasattr(encoder.encoder, "load"):
        encoder.encoder.load()  # loading the model is not building
    start = time.perf_counter()
    built = QAEngine.open(settings, encoder=encoder)
    build_s = time.perf_counter() - start - encoder.raw_s
    rss_build = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    from .onnx_encoder import ensure_export

    start = time.perf_counter()
    ensure_export(index, encoder.encoder)  # what a build does after embedding (the wrapper hid the model)
    export_s = time.perf_counter() - start
    passages = len(built.data.chunks)
    if fresh_process:
        del built
        serve = _serve_collection(data, index, folder, repeat)
    else:
        serve = collection_serving(data, index, folder, repeat, time.perf_counter(), built)
    collection = {
        "resolutions": len(files),
        "passages": passages,
        "texts_embedded": encoder.texts,
        "build_s": round(build_s, 1),
        "onnx_export_s": round(export_s, 1),  # once per index, after the build
        "build_texts_per_s": round(encoder.texts / build_s, 1),
        "raw_texts_per_s": round(encoder.raw_texts / encoder.raw_s, 1) if encoder.raw_s else None,
        "build_ratio": round((encoder.texts / build_s) / (encoder.raw_texts / encoder.raw_s), 3)
        if encoder.raw_s
        else None,
        "index_mb": round(sum(p.stat().st_size for p in index.rglob("*") if p.is_file()) / 1e6, 1),
        "rss_build_mb": round(rss_build, 1),
        **serve,
    }
    return {"collection": collection}


SERVE_SCRIPT = """
import json, resource, sys, time
from pathlib import Path
start = time.perf_counter()
from resolution_qa.bench import collection_serving
print(json.dumps(collection_serving(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]), start)))
"""


def _serve_collection(data: Path, index: Path, folder: Path, repeat: int) -> dict:
    """``collection_serving`` in a fresh process: its memory is the server's, not the builder's."""
    done = subprocess.run(
        [sys.executable, "-c", SERVE_SCRIPT, str(data), str(index), str(folder), str(repeat)],
        capture_output=True,
        text=True,
        check=True,
        timeout=3600,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def collection_serving(data: Path, index: Path, folder: Path, repeat: int, started: float, engine=None) -> dict:
    """Open the built index as ``ask`` does (ONNX questions), time the questions, then score
    retrieval on the subject labels and the stored indexes' recall (after RSS is read)."""
    from .engine import QAEngine

    if engine is None:
        engine = QAEngine.open(Settings(data_dir=data, index_dir=index), onnx=True)
    open_s = time.perf_counter() - started
    engine.ask(COLLECTION_QUESTIONS[0])  # warm: model session and caches
    times = []
    for _ in range(repeat):
        for question in COLLECTION_QUESTIONS:
            engine.clear_cache()
            start = time.perf_counter()
            engine.ask(question)
            times.append((time.perf_counter() - start) * 1000)
    out = {
        "open_s": round(open_s, 2),
        "rss_serve_mb": round(_peak_rss_mb(), 1),
        "query_p50_ms": round(percentile(times, 50), 1),
        "query_p95_ms": round(percentile(times, 95), 1),
    }
    subjects = unbis_subjects(folder)
    out["recall@10_vs_float32"] = stored_index_recall(engine, sorted({t for terms in subjects.values() for t in terms}))
    out["subjects"] = subject_retrieval(engine, subjects)
    return out


def stored_index_recall(engine, terms: list[str], queries: int = 100) -> dict:
    """recall@10 of the FAISS indexes as stored (exact, or IVF with 8-bit codes beyond 50,000
    vectors) against exact search over the float32 vectors, for passages and answer units,
    with the collection's questions and UNBIS subject terms as queries."""
    data = engine.index.data
    texts = list(COLLECTION_QUESTIONS) + terms
    vectors = engine.encode(tuple(texts[:queries]))
    out = {}
    for name, index, stored in (
        ("passages", data.faiss_index, data.vectors),
        ("units", data.unit_index, data.sentence_vectors),
    ):
        exact = np.concatenate(
            [stored[i : i + 65_536].astype(np.float32) @ vectors.T for i in range(0, len(stored), 65_536)]
        )
        k = min(10, len(stored))
        truth = np.argsort(-exact, axis=0)[:k].T
        _, found = index.search(np.ascontiguousarray(vectors, dtype=np.float32), k)
        out[name] = round(float(np.mean([len(set(t) & set(f)) / k for t, f in zip(truth, found, strict=True)])), 4)
    out["index"] = type(data.faiss_index).__name__
    return out


def unbis_subjects(folder: Path) -> dict[str, set[str]]:
    """symbol → its UNBIS Thesaurus subjects, from the catalogue records under ``folder``."""
    out: dict[str, set[str]] = {}
    for path in sorted(Path(folder).rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if not isinstance(row, dict) or not isinstance(row.get("symbol"), str):
                continue
            terms = {t[0] for t in row.get("subjects") or () if isinstance(t, list) and t[1:] == ["UNBIS Thesaurus"]}
            if terms:
                out.setdefault(row["symbol"], set()).update(terms)
    return out


def _ndcg_at_10(ranked: list[str], relevant: set[str]) -> float:
    """Binary-relevance nDCG@10 of ranked resolution symbols.

    >>> round(_ndcg_at_10(["a", "b", "x"], {"a", "b"}), 3), round(_ndcg_at_10(["a", "x", "b"], {"a", "b"}), 3)
    (1.0, 0.92)
    """
    gain = sum(1 / math.log2(rank + 2) for rank, symbol in enumerate(ranked[:10]) if symbol in relevant)
    ideal = sum(1 / math.log2(rank + 2) for rank in range(min(10, len(relevant))))
    return gain / ideal if ideal else 0.0


def subject_retrieval(engine, subjects: dict[str, set[str]], fewest: int = 5, most: int = 200) -> dict:
    """Retrieval quality on real labels: each UNBIS subject used by ``fewest``–``most`` of the
    indexed resolutions is asked as a question; a resolution counts as retrieved when any of its
    passages is. nDCG@10 and recall@100 of the resolutions, for the product's fusion (BM25 and
    dense over paragraphs, dense over the best unit) and for BM25 alone and dense alone."""
    from .retrieval import rrf, top_rows

    data, retriever = engine.index.state
    by_subject: dict[str, set[str]] = {}
    for symbol in {c.symbol for c in data.chunks if c.symbol}:
        for term in subjects.get(symbol, ()):
            by_subject.setdefault(term, set()).add(symbol)
    terms = sorted(t for t, found in by_subject.items() if fewest <= len(found) <= most)
    if not terms:
        return {"terms": 0}
    limit = min(len(data.chunks), 5000)
    totals = {name: [0.0, 0.0] for name in ("hybrid", "bm25", "dense")}
    for term in terms:
        vector = np.ascontiguousarray(engine.encode((term,))[-1], dtype=np.float32)
        dense = retriever._faiss_ranking(vector, limit, None)  # the stored index, as questions use it
        scores = retriever.bm25_scores(retriever.tokens(term))
        bm25 = [i for i in top_rows(scores, limit) if scores[i] > 0]
        fused = rrf([dense, retriever.unit_ranking(vector, limit), bm25])
        hybrid = sorted(fused, key=lambda i: (-fused[i], i))
        for name, rows in (("hybrid", hybrid), ("bm25", bm25), ("dense", dense)):
            ranked = list(dict.fromkeys(data.chunks[i].symbol for i in rows if data.chunks[i].symbol))
            relevant = by_subject[term]
            totals[name][0] += _ndcg_at_10(ranked, relevant)
            totals[name][1] += len(set(ranked[:100]) & relevant) / len(relevant)
    n = len(terms)
    return {
        "terms": n,
        "ndcg@10": {name: round(ndcg / n, 3) for name, (ndcg, _) in totals.items()},
        "recall@100": {name: round(recall / n, 3) for name, (_, recall) in totals.items()},
    }


def _peak_rss_mb() -> float:
    """This process's peak resident memory so far (VmHWM; Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_collection_bench(folder: Path, limit: int | None, as_json: bool = False) -> int:
    """``bench --collection DIR [--limit N]``: the real collection as the scale benchmark."""
    workdir = Path(tempfile.mkdtemp(prefix="rqa-collection-"))
    try:
        result = bench_collection(folder, workdir, limit)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        print("\n".join(f"{key:<40}{value!s:>14}" for key, value in _flat(result)))
    return 0


def _flat(tree: dict, prefix: str = "") -> list[tuple[str, object]]:
    """("collection.subjects.ndcg@10.hybrid", 0.56) pairs of a nested result, for the plain listing."""
    out = []
    for key, value in tree.items():
        if isinstance(value, dict):
            out += _flat(value, f"{prefix}{key}.")
        else:
            out.append((f"{prefix}{key}", value))
    return out
