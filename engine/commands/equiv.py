"""``derive equiv``: is a student's LaTeX equal to a reference?

    derive equiv REFERENCE STUDENT [--problem ID] [--format text|json]
    derive equiv --pairs FILE.jsonl [--jobs N]

With ``--pairs`` each non-blank input line is a JSON object
``{"reference": latex, "student": latex, "problem": id | null}`` and each
output line ``{"verdict": ..., "reason": str, "ms": number}``, in input order,
on stdout; a malformed line (not UTF-8, not JSON, not such an object) gives
an "undecided" line saying why. Text that UTF-8 cannot encode (a lone
surrogate: the JSON escape ``\\ud800``, or an argument that was not UTF-8)
is written escaped: ``\\ud800`` in JSON, a backslash escape in text. Only the
standard library is imported at module level (``derive --help`` stays fast).
"""
from __future__ import annotations

import argparse
import json
import os
import sys


def configure_equiv(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("reference", nargs="?", metavar="REFERENCE", help="LaTeX of the exact answer")
    parser.add_argument("student", nargs="?", metavar="STUDENT", help="LaTeX of the student's answer, as written")
    parser.add_argument("--problem", metavar="ID", help="apply this problem's definitions (e.g. softmax, delta_rule)")
    parser.add_argument("--pairs", metavar="FILE",
                        help="a JSON-lines file of pairs ('-' for stdin); one verdict per line")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output of a single comparison")
    parser.add_argument("--jobs", type=int, default=None, metavar="N",
                        help="worker processes for --pairs (default: the number of CPUs, at most 4)")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="S",
                        help="wall-time limit of one comparison, seconds (default 10)")
    parser.add_argument("--memory", type=int, default=1024, metavar="MB",
                        help="address space a worker may add to what it starts with, MB (default 1024)")
    parser.epilog = (
        "Verdicts: equal, different, undecided (with the reason). The reference is exact; the student's\n"
        "numbers are compared at the precision written (42.11 matches 42.1113...).\n\n"
        "examples:\n"
        "  derive equiv '\\frac{1}{4}' '0.25'\n"
        "  derive equiv '123642856' '1.236 \\times 10^{8}' --format json\n"
        "  derive equiv \"p_{y'}\" \"\\frac{e^{z_{y'}}}{\\sum_j e^{z_j}}\" --problem softmax\n"
        "  derive equiv --pairs pairs.jsonl --jobs 2 > verdicts.jsonl"
    )


def run_equiv(args) -> int:
    from engine.errors import UsageError

    if args.timeout <= 0 or args.memory < 64:
        raise UsageError("--timeout must be positive and --memory at least 64 (MB)")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs {args.jobs}: give at least 1 worker")
    if args.pairs is not None:
        if args.reference is not None or args.student is not None:
            raise UsageError("give either REFERENCE STUDENT or --pairs FILE, not both")
        return _run_pairs(args)
    if args.reference is None or args.student is None:
        raise UsageError("give REFERENCE and STUDENT (LaTeX strings), or --pairs FILE")
    from engine.check import equiv

    verdict = equiv.equivalent(args.reference, args.student, problem=args.problem,
                               timeout=args.timeout, memory_mb=args.memory)
    if args.format == "json":
        _write_line(json_line(verdict.as_json()))
    else:
        _write_line(_encodable(f"{verdict.verdict}: {verdict.reason} ({verdict.ms:.0f} ms)"))
    return 0


def _stdout_encoding() -> str:
    return getattr(sys.stdout, "encoding", None) or "utf-8"


def json_line(obj: dict) -> str:
    """``obj`` as one line of JSON: non-ASCII text as it is, unless stdout
    cannot encode it (a lone surrogate): then every such character escaped."""
    line = json.dumps(obj, ensure_ascii=False)
    try:
        line.encode(_stdout_encoding())
    except UnicodeEncodeError:
        return json.dumps(obj)
    return line


def _encodable(text: str) -> str:
    """``text`` with what stdout cannot encode written as backslash escapes."""
    encoding = _stdout_encoding()
    return text.encode(encoding, "backslashreplace").decode(encoding)


def _write_line(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _read_lines(path: str) -> list[bytes | str]:
    """The lines of ``path`` ('-': stdin), as bytes (decoded line by line)."""
    from engine.errors import UsageError

    if path == "-":
        stream = getattr(sys.stdin, "buffer", None)
        data = stream.read() if stream is not None else sys.stdin.read()
    else:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None
    if isinstance(data, bytes) and data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # a byte-order mark
    return data.splitlines()


def _pair(raw: bytes | str, number: int, known: set[str]) -> tuple[str, str, str | None] | str:
    """The pair on one input line, or the reason it is malformed."""
    try:
        line = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        return f"line {number}: not UTF-8 text (byte {exc.start + 1} is 0x{raw[exc.start]:02x})"
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"line {number}: not JSON ({exc.msg} at column {exc.colno})"
    if not isinstance(item, dict):
        return f"line {number}: expected a JSON object with reference, student, problem"
    reference, student, problem = item.get("reference"), item.get("student"), item.get("problem")
    if not isinstance(reference, str) or not isinstance(student, str):
        return f"line {number}: 'reference' and 'student' must be strings"
    if problem is not None and (not isinstance(problem, str) or problem not in known):
        return f"line {number}: unknown problem {problem!r}; known problems: {', '.join(sorted(known))}"
    return reference, student, problem


def _run_pairs(args) -> int:
    lines = [(n, line) for n, line in enumerate(_read_lines(args.pairs), start=1) if line.strip()]
    from engine.check import equiv

    items = [_pair(line, n, set(equiv.PROBLEMS)) for n, line in lines]
    good = [item for item in items if not isinstance(item, str)]
    jobs = args.jobs or max(1, min(4, os.cpu_count() or 1))
    with equiv.pool(min(jobs, max(1, len(good))), timeout=args.timeout, memory_mb=args.memory) as workers:
        verdicts = equiv.equivalent_many(good, workers)
        for item in items:
            if isinstance(item, str):
                out = equiv.Verdict("undecided", item, 0.0)
            else:
                out = next(verdicts)
            _write_line(json_line(out.as_json()))
    return 0
