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

from engine.commands.options import bounded


def configure_equiv(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("reference", nargs="?", metavar="REFERENCE", help="LaTeX of the exact answer")
    parser.add_argument("student", nargs="?", metavar="STUDENT", help="LaTeX of the student's answer, as written")
    parser.add_argument("--problem", metavar="ID", help="apply this problem's definitions (e.g. softmax, delta_rule)")
    parser.add_argument("--pairs", metavar="FILE",
                        help="a JSON-lines file of pairs ('-' for stdin); one verdict per line")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output of a single comparison")
    parser.add_argument("--jobs", type=bounded(int, 1, 64), default=None, metavar="N",
                        help="worker processes for --pairs, 1 to 64 (default: the number of CPUs, at most 4)")
    parser.add_argument("--timeout", type=bounded(float, 0.1, 300.0), default=10.0, metavar="S",
                        help="CPU-time limit of one comparison, seconds, 0.1 to 300 (default 10)")
    parser.add_argument("--memory", type=bounded(int, 64, 65536), default=1024, metavar="MB",
                        help="address space a worker may add to what it starts with, MB, 64 to 65536 (default 1024)")
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


#: Bounds of ``--pairs``: one line, all of the input (bytes); pairs sent to the workers at a time.
MAX_LINE = 1 << 20
MAX_TOTAL = 64 << 20
BATCH = 256


def _run_pairs(args) -> int:
    """Stream ``--pairs`` line by line (engine.read.inputs.iter_lines): bounded
    lines and total, verdicts written batch by batch, in input order."""
    from engine.check import equiv
    from engine.read.inputs import iter_lines

    known = set(equiv.PROBLEMS)
    jobs = args.jobs or max(1, min(4, os.cpu_count() or 1))
    lines = iter_lines(args.pairs, MAX_LINE, MAX_TOTAL)
    with equiv.pool(jobs, timeout=args.timeout, memory_mb=args.memory) as workers:
        batch: list = []
        for number, raw in enumerate(lines, start=1):
            if isinstance(raw, Exception):
                batch.append(f"line {number}: {raw}")
            elif raw.strip():
                batch.append(_pair(raw, number, known))
            if len(batch) >= BATCH:
                _flush(batch, workers, equiv)
                batch = []
        _flush(batch, workers, equiv)
    return 0


def _flush(items: list, workers, equiv) -> None:
    good = [item for item in items if not isinstance(item, str)]
    verdicts = equiv.equivalent_many(good, workers) if good else iter(())
    for item in items:
        out = equiv.Verdict("undecided", item, 0.0) if isinstance(item, str) else next(verdicts)
        _write_line(json_line(out.as_json()))
