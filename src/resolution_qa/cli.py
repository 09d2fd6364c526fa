"""Command line: a thin shell over QAEngine. Reads arguments, calls the library, prints.

python -m resolution_qa build [--data DIR] [--index DIR]
python -m resolution_qa ask QUESTION [--history Q ...] [--k N] [--json] [--source NAME]
python -m resolution_qa ask --batch FILE.jsonl --json [--k N]
python -m resolution_qa eval FILE.jsonl [--json] [--k N]
python -m resolution_qa calibrate FILE.jsonl [FILE.jsonl ...]
python -m resolution_qa bench [--quick] [--json]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from .config import MAX_K, Settings
from .render import shown, terminal_text

EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input from the command line: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not the whole usage block
        raise UsageError(f"{message} (see --help)")


def _settings(args) -> Settings:
    kwargs = {}
    if getattr(args, "data", None):
        kwargs["data_dir"] = Path(args.data)
    if getattr(args, "index", None):
        kwargs["index_dir"] = Path(args.index)
    return Settings(**kwargs)


def _open_engine(args):
    """The engine for questions: the index's ONNX export answers when it is there, so a cold
    `ask` never imports torch (the build, if one is needed, still uses sentence-transformers)."""
    from .engine import QAEngine

    return QAEngine.open(_settings(args), onnx=True)


def cmd_build(args) -> int:
    from .engine import QAEngine
    from .onnx_encoder import ensure_export

    engine = QAEngine.open(_settings(args), force=args.force)
    ensure_export(engine.settings.index_dir, engine.index.encoder)  # an index built before exports existed
    for line in engine.report.lines():
        print(shown(line))  # file names may hold escape sequences
    return 1 if engine.index.notice else 0  # the last good index still answers, but this build failed


MAX_BATCH_LINE_BYTES = 64 * 1024  # one question with its history; a longer line is refused
MAX_BATCH_LINES = 100_000
QUICK_COLLECTION = 40  # bench --collection --quick: resolutions built (about a minute on 2 cores)


def _read_jsonl(path: Path) -> list[dict]:
    """Rows of a JSON-lines file, read line by line with limits (``/dev/zero`` or a file of
    one endless line is refused, not read into memory)."""
    rows = []
    try:
        with path.open("rb") as handle:
            for number in range(1, MAX_BATCH_LINES + 2):
                raw = handle.readline(MAX_BATCH_LINE_BYTES + 1)
                if not raw:
                    break
                if number > MAX_BATCH_LINES:
                    raise UsageError(f"{path} has more than {MAX_BATCH_LINES:,} lines — split it")
                if len(raw) > MAX_BATCH_LINE_BYTES:
                    raise UsageError(
                        f"{path}:{number} is longer than {MAX_BATCH_LINE_BYTES // 1024} KB — "
                        "one question (and its history) per line"
                    )
                row = _parse_row(path, number, raw)
                if row is not None:
                    rows.append(row)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    return rows


def _parse_row(path: Path, number: int, raw: bytes) -> dict | None:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path}:{number} is not UTF-8 text") from None
    if not line.strip():
        return None
    try:
        row = json.loads(line)
    except (ValueError, RecursionError):  # RecursionError: thousands of nested brackets
        raise UsageError(f"{path}:{number} is not valid JSON (or nests too deeply)") from None
    if not isinstance(row, dict) or not isinstance(row.get("question"), str):
        raise UsageError(f'{path}:{number} needs a "question" string')
    history = row.get("history") or []
    if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
        raise UsageError(f'{path}:{number}: "history" must be a list of strings')
    return row


def cmd_ask(args) -> int:
    from .engine import UnknownSource

    if args.batch and args.question:
        raise UsageError("give either a QUESTION or --batch FILE, not both")
    if not args.batch and args.question is None and args.history and len(args.history) > 1:
        # `ask --history "Q1" "Q2"`: --history took every word; the last one is the question
        *args.history, args.question = args.history
        print(
            f'note: asking "{shown(args.question)}" after the earlier question(s) given with --history', file=sys.stderr
        )
    if not args.batch and args.question is None:
        raise UsageError(
            "ask needs a QUESTION or --batch FILE — the question comes first: "
            'python -m resolution_qa ask "And who else?" --history "Who sponsored it?"'
        )
    if args.batch and not args.json:
        raise UsageError("--batch writes JSON lines; add --json")
    if not 1 <= args.k <= MAX_K:
        raise UsageError(f"--k must be between 1 and {MAX_K}")
    rows = _read_jsonl(Path(args.batch)) if args.batch else None
    engine = _open_engine(args)
    try:
        if rows is None:
            answer = engine.ask(args.question, history=args.history or (), k=args.k, source=args.source)
            print(json.dumps(answer.to_json(), ensure_ascii=False) if args.json else terminal_text(answer))
            return 0
        for row in rows:
            answer = engine.ask(
                row["question"], history=row.get("history") or (), k=args.k, source=args.source, id=row.get("id")
            )
            print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
    except UnknownSource as exc:
        raise UsageError(str(exc)) from None
    return 0


def _plan(args) -> list[tuple[str, list[dict], Settings]]:
    """(name, rows, settings) for each question set: from --plan, or FILE with --set/--only."""
    if not args.plan:
        if not args.file:
            raise UsageError("eval needs FILE.jsonl or --plan eval/sets.json")
        rows = _read_jsonl(Path(args.file))
        if args.set:
            rows = [r for r in rows if r.get("set") == args.set]
            if not rows:
                raise UsageError(f'no question in {args.file} has "set": "{args.set}"')
        return [(Path(args.file).name, rows, _eval_settings(args, args.only))]
    try:
        plan = json.loads(Path(args.plan).read_text(encoding="utf-8"))["sets"]
    except (OSError, ValueError, KeyError) as exc:
        raise UsageError(f"cannot read the plan {args.plan}: {exc}") from None
    base = Path(args.plan).resolve().parent.parent  # plans live in eval/ of the repository
    out = []
    for entry in plan:
        if entry.get("holdout") and not getattr(args, "holdout", False):
            continue
        if entry.get("calibration_only") and args.command == "eval":
            continue
        rows = _read_jsonl(base / entry["file"])
        if entry.get("set"):
            rows = [r for r in rows if r.get("set") == entry["set"]]
        out.append((entry["name"], rows, _eval_settings(args, entry.get("only"))))
    return out


def _eval_settings(args, only: list[str] | None) -> Settings:
    """With ``--only``, a private copy of the chosen documents and its own cached index, so that
    a question set is scored on the documents it is about and the main index is untouched."""
    import fnmatch
    import hashlib
    import shutil
    import tempfile

    settings = _settings(args)
    if not only:
        return settings
    from .documents import list_sources

    files, _ = list_sources(settings.data_dir)
    chosen = [(path, rel) for path, rel in files if any(fnmatch.fnmatch(rel, pattern) for pattern in only)]
    if not chosen:
        raise UsageError(f"--only {' '.join(only)} matches no document in {settings.data_dir}")
    key = hashlib.sha256(
        "\n".join(f"{rel}:{path.stat().st_size}:{path.stat().st_mtime_ns}" for path, rel in chosen).encode()
    )
    root = Path(tempfile.gettempdir()) / f"rqa-eval-{key.hexdigest()[:16]}"
    data = root / "data"
    if not data.is_dir():
        staging = Path(tempfile.mkdtemp(prefix="rqa-eval-"))
        for path, rel in chosen:
            (staging / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, staging / rel)
        root.mkdir(exist_ok=True)
        staging.rename(data) if not data.exists() else shutil.rmtree(staging)
    return Settings(data_dir=data, index_dir=root / "index")


def cmd_eval(args) -> int:
    from .engine import QAEngine
    from .evaluate import evaluate, format_report

    reports = {}
    for name, rows, settings in _plan(args):
        engine = QAEngine.open(settings)
        reports[name] = evaluate(engine, rows, k=args.k, baseline=args.baseline)
    if args.json:
        print(json.dumps(reports if args.plan else next(iter(reports.values())), ensure_ascii=False, indent=2))
    else:
        print("\n\n".join(f"## {name}\n{format_report(report)}" for name, report in reports.items()))
    return 0


def cmd_calibrate(args) -> int:
    from .answering import Calibration
    from .engine import QAEngine
    from .evaluate import calibrate

    unfitted = Calibration.unfitted()  # the features do not depend on it; the file on disk may not fit
    if args.plan:
        sets = [(name, rows, QAEngine.open(settings, calibration=unfitted)) for name, rows, settings in _plan(args)]
    elif args.file:
        engine = QAEngine.open(_settings(args), calibration=unfitted)
        sets = [(Path(f).name, _read_jsonl(Path(f)), engine) for f in args.file]
    else:
        raise UsageError("calibrate needs FILE.jsonl ... or --plan eval/sets.json")
    result = calibrate(sets, args.output, trees=args.trees)
    print(json.dumps(result, indent=2))
    return 0


def cmd_bench(args) -> int:
    from .bench import NotACheckout, run_bench, run_collection_bench

    if args.collection:
        if not Path(args.collection).is_dir():
            raise UsageError(f"--collection {args.collection} is not a folder — give the folder of the resolutions")
        limit = args.limit or (QUICK_COLLECTION if args.quick else None)
        try:
            return run_collection_bench(Path(args.collection), limit, as_json=args.json)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    try:
        return run_bench(quick=args.quick, as_json=args.json, settings=_settings(args))
    except NotACheckout as exc:
        raise UsageError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m resolution_qa", description="Offline Q&A with verbatim quotes over UN resolutions."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def folders(p):
        p.add_argument("--data", help="documents folder (default: data, or $RESOLUTION_QA_DATA)")
        p.add_argument("--index", help="index folder (default: index, or $RESOLUTION_QA_INDEX)")

    p = sub.add_parser("build", help="build or update the index from the documents folder")
    folders(p)
    p.add_argument("--force", action="store_true", help="re-embed every passage")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("ask", help="answer a question (or a JSON-lines batch)")
    p.add_argument("question", nargs="?", help="the question")
    p.add_argument("--history", nargs="+", metavar="EARLIER_QUESTION", help="earlier questions, oldest first")
    p.add_argument("--k", type=int, default=3, help=f"passages to return (1-{MAX_K}, default 3)")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.add_argument("--batch", metavar="FILE.jsonl", help='one {"id", "question", "history"} per line')
    p.add_argument("--source", metavar="NAME", help="search only this document (path under the data folder)")
    folders(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("eval", help="score a gold file (format of eval/dev_qa.jsonl), or every set of a --plan")
    p.add_argument("file", nargs="?")
    p.add_argument("--plan", help="eval/sets.json: score each question set on the documents it is about")
    p.add_argument("--holdout", action="store_true", help="with --plan: also the held-out sets (score them last)")
    p.add_argument("--k", type=int, default=3)
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--baseline", action="store_true", help="also score plain hybrid search over whole paragraphs, same run"
    )
    p.add_argument(
        "--only",
        nargs="+",
        metavar="GLOB",
        help="score on these documents of the data folder only (e.g. '*.txt'); indexed apart, cached",
    )
    p.add_argument("--set", help='only the questions whose "set" field is this (e.g. article)')
    folders(p)
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("calibrate", help="fit the abstention model on labelled questions (5-fold out-of-fold figures)")
    p.add_argument("file", nargs="*")
    p.add_argument("--plan", help="eval/sets.json: each question set on its own documents (holdout sets never)")
    p.add_argument("--output", help="where to write (default: the package's calibration.json)")
    p.add_argument(
        "--trees",
        action="store_true",
        help="also try boosted trees for the answer ranking (better out of fold, not on unseen questions)",
    )
    folders(p)
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser("bench", help="measure speed and memory (ratios measured in one run)")
    p.add_argument("--quick", action="store_true", help="under a minute; skips the 1M-passage case")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--collection",
        metavar="DIR",
        help="instead: build and query the resolutions (.xml) under DIR, e.g. ../shared/corpus/unga-resolutions",
    )
    p.add_argument(
        "--limit", type=int, help=f"with --collection: only the first N resolutions (--quick: {QUICK_COLLECTION})"
    )
    folders(p)
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    from .documents import UnreadableDocument
    from .embedding import ModelError

    try:
        args = build_parser().parse_args(argv)
        logging.basicConfig(
            level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s: %(message)s"
        )
        return args.func(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (ModelError, UnreadableDocument, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. piped into `head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
