"""``derive check``: verify the steps and answers of OCR'd handwritten solutions.

Exit 0 when a report was produced (whatever the student got wrong), 2 for
a usage error or an unreadable file. Top-level imports: standard library only.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path

from engine.commands.options import bounded

FORMATS = ("text", "json", "md", "tex", "pdf", "gradescope", "html")
SUFFIX = {"text": ".txt", "json": ".json", "md": ".md", "tex": ".tex", "pdf": ".pdf",
          "gradescope": ".gradescope.json"}


def configure_check(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("submissions", metavar="SUBMISSION", nargs="+",
                        help="OCR'd solutions (Markdown with LaTeX), one regular file per student ('-': stdin)")
    parser.add_argument("--sheet", required=True, type=str.upper, metavar="SHEET",
                        help="the problem sheet the submissions answer: a sheet letter of 'derive list' "
                        "(the catalog's sheets, with --questions folders)")
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="report format (default: text, coloured on a terminal); gradescope: Gradescope's "
                        "autograder results.json; html: one review page for the class (needs -o DIR)")
    parser.add_argument("-o", "--output", metavar="PATH",
                        help="write the report to PATH (one submission), or the reports and "
                        "summary.csv / summary.json into the directory PATH (several; default check-reports)")
    parser.add_argument("--jobs", type=bounded(int, 1, 64), default=1, metavar="N",
                        help="submissions checked at the same time, 1 to 64 (default 1)")
    parser.epilog = ("examples:\n  derive check ../shared/submissions/sheet-a-ocr-example.md --sheet A\n"
                     "  derive check solution.md --sheet A --format json\n"
                     "  derive check solution.md --sheet A --format gradescope -o results.json\n"
                     "  derive check class/*.md --sheet B --format html -o reports/\n"
                     "  derive check solution.md --sheet A --format pdf -o report.pdf\n"
                     "  derive check class/*.md --sheet B --jobs 2 -o reports/")


def run_check(args) -> int:
    from engine.check import run as check
    from engine.errors import UsageError

    from engine.processes import terminate_like_interrupt

    _tolerant_console()
    from engine.model import catalog

    catalog.sheet(args.sheet)  # an unknown sheet: UsageError naming the known ones
    if "-" in args.submissions and len(args.submissions) > 1:
        raise UsageError("- (stdin) is one submission: give it alone")
    if args.output:
        _refuse_overwriting_inputs([args.output], args.submissions)
    data = [check.read_bytes(path) for path in args.submissions[:1]]  # opened once; a FIFO is refused
    for path in args.submissions[1:]:  # every file readable before any work starts
        check.read_bytes(path)
    if args.format == "pdf" and not args.output and len(args.submissions) == 1:
        raise UsageError("--format pdf writes a file: give -o PATH (e.g. -o report.pdf)")
    if args.format == "html":
        from engine.check import review

        review.katex_dist()  # before any work: a missing KaTeX is a usage error
    check.prepare(args.sheet)
    terminate_like_interrupt()
    if len(args.submissions) == 1 and args.format != "html":
        path = args.submissions[0]
        report = check.check_bytes(data[0], args.sheet, "<stdin>" if path == "-" else path)
        _warn(path, report)
        _emit(report, args.format, args.output)
        return 0
    return _many(args, check)


def _refuse_overwriting_inputs(outputs: list, inputs: list[str]) -> None:
    """UsageError when an output path is one of the input files (``-o``
    naming the student's submission would overwrite it)."""
    import os

    from engine.errors import UsageError

    for out in outputs:
        for path in inputs:
            if path == "-":
                continue
            same = os.path.abspath(out) == os.path.abspath(path)
            try:
                same = same or os.path.samefile(out, path)
            except OSError:
                pass
            if same:
                raise UsageError(f"-o {out} is the submission {path}; give another output path")


def public(report: dict) -> dict:
    """The JSON report without the fields only the renderers use."""
    return {k: v for k, v in report.items() if k != "lines" and not k.startswith("_")}


def render(report: dict, fmt: str, colour: bool = False) -> str:
    """The report as text in ``fmt`` (not pdf)."""
    from engine.check import report as checkreport

    if fmt == "json":
        return json.dumps(public(report), indent=2, ensure_ascii=False) + "\n"
    if fmt == "gradescope":
        from engine.check import gradescope

        return json.dumps(gradescope.results(report), indent=2, ensure_ascii=False) + "\n"
    if fmt == "md":
        return checkreport.render_markdown(report)
    if fmt == "tex":
        return checkreport.render_latex(report)
    return checkreport.render_text(report, colour=colour)


def _emit(report: dict, fmt: str, output: str | None) -> None:
    from engine.check import report as checkreport
    from engine.errors import UsageError

    if fmt == "pdf":
        result = checkreport.render_pdf(report, output)
        print(f"wrote {result.path} ({result.pages} pages)", file=sys.stderr)
        return
    if output:
        text = render(report, fmt, colour=False)
        try:
            Path(output).parent.mkdir(parents=True, exist_ok=True)
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {output}: {exc.strerror}") from None
        print(f"wrote {output}", file=sys.stderr)
        return
    if fmt == "json" and not _utf(sys.stdout):
        sys.stdout.write(json.dumps(public(report), indent=2, ensure_ascii=True) + "\n")
        return
    sys.stdout.write(render(report, fmt, colour=checkreport.use_colour(sys.stdout)))


def _warn(path: str, report: dict) -> None:
    """The report's warnings on stderr too, one line each."""
    for warning in report["summary"].get("warnings", []):
        print(f"derive check: {_plain_name(path)}: warning: {warning}", file=sys.stderr)


def _utf(stream) -> bool:
    return (getattr(stream, "encoding", "") or "").lower().replace("-", "").replace("_", "") in ("utf8", "utf8sig")


def _tolerant_console() -> None:
    """A console whose encoding lacks a character of the report (``✓``,
    a student's ``é`` under ``PYTHONIOENCODING=ascii``) shows it escaped
    instead of failing."""
    for stream in (sys.stdout, sys.stderr):
        if not _utf(stream) and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


#: A cell starting with one of these is a formula to a spreadsheet (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value):
    """A CSV cell a spreadsheet shows as text: a string starting with
    ``= + - @``, a tab or a carriage return gets a leading ``'`` (OWASP's
    advice); numbers and other text are unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _progress_bar(done: int, total: int, path: str) -> None:
    """A progress bar of a batch on stderr, redrawn in place; only on a terminal
    (a log file or a pipe gets no bar)."""
    if not sys.stderr.isatty():
        return
    import time

    start = _STARTED.setdefault("t", time.monotonic())
    elapsed = time.monotonic() - start
    width = 30
    filled = int(width * done / max(total, 1))
    bar = "█" * filled + "░" * (width - filled) if _utf(sys.stderr) else "#" * filled + "-" * (width - filled)
    left = elapsed / done * (total - done) if done else 0
    line = f"{bar} {done}/{total}  {elapsed:.0f} s, about {left:.0f} s left  {_plain_name(path)}"
    sys.stderr.write("\r" + line[:100].ljust(100))
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


#: When the batch started (set when the first bar is drawn, before the first submission).
_STARTED: dict[str, float] = {}


def _plain_name(path: str) -> str:
    """A file name for the terminal: control characters (escape sequences) dropped."""
    return "".join(c for c in Path(path).name if c.isprintable())


def _many(args, check) -> int:
    from engine.check import many
    from engine.errors import UsageError

    out_dir = Path(args.output or "check-reports")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the directory {out_dir}: {exc.strerror}") from None
    _progress_bar(0, len(args.submissions), "")
    reports = many.check_many(args.submissions, args.sheet, jobs=args.jobs, progress=_progress_bar)
    used: set[str] = set()
    names: list[str] = []
    for path, report in zip(args.submissions, reports):
        _warn(path, report)
        stem = Path(path).stem
        name = stem
        n = 2
        while name in used:
            name, n = f"{stem}-{n}", n + 1
        used.add(name)
        names.append(name)
        if args.format == "html":
            continue
        target = out_dir / (name + SUFFIX[args.format])
        _refuse_overwriting_inputs([target], args.submissions)
        if args.format == "pdf":
            from engine.check import report as checkreport

            checkreport.render_pdf(report, str(target))
        else:
            target.write_text(render(report, args.format), encoding="utf-8")
    if args.format == "html":
        from engine.check import review

        page = review.write_page(out_dir, list(args.submissions), reports, names)
        print(f"wrote the review page {page}", file=sys.stderr)
    rows = many.summary_rows(reports)
    (out_dir / "summary.json").write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    columns = list(dict.fromkeys(k for row in rows for k in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[spreadsheet_cell(c) for c in columns])
    writer.writeheader()
    writer.writerows([{spreadsheet_cell(k): spreadsheet_cell(v) for k, v in row.items()} for row in rows])
    (out_dir / "summary.csv").write_text(buffer.getvalue(), encoding="utf-8")
    if args.format in ("json", "gradescope"):
        json.dump(rows, sys.stdout, indent=2, ensure_ascii=not _utf(sys.stdout))
        print()
    else:
        width = max(len(r["submission"]) for r in rows)
        print(f"{'submission'.ljust(width)}  score   correct incorrect missing unparsed  first error")
        for r in rows:
            score = f"{r['score']:g}/{r['max_score']:g}"
            print(f"{r['submission'].ljust(width)}  {score:<7} {r['answers_correct']:>7} "
                  f"{r['answers_incorrect']:>9} {r['answers_missing']:>7} {r['answers_unparsed']:>8}  "
                  f"{r['first_error_line'] or '-'}")
    print(f"reports and summary.csv, summary.json in {out_dir}", file=sys.stderr)
    return 0
