"""Reports of ``derive check``: terminal text, Markdown, LaTeX and PDF.

Every report shows the student's lines with a mark (right, wrong, could not
read), and beside them the expected value and the diagnosis. The student's
text is never typeset as LaTeX: it is escaped (``escape_latex`` in a
typewriter font, a code span in Markdown), so ``\\input{/etc/hostname}`` or
``\\write18{...}`` in a submission are printed, not run; PDFs are built with
``latexmk -no-shell-escape`` (:mod:`engine.render.pdf`). Expected values are our own
LaTeX (sympy's printer), shown as math. What the checker read, the LaTeX
report typesets from the report's ``"math"`` (our printer's LaTeX of the
parsed element, made in the worker: :func:`engine.check.parsed.math_latex`)
and ``"_line_math"`` (:func:`engine.check.outcome.line_math`), after one more
check against the whitelist of :func:`engine.render.escape.safe_math`; where
nothing was read, the escaped source stays.

The Markdown and LaTeX reports go through the templates
``templates/report.md.j2`` and ``templates/report.tex.j2`` (which extends
``base.tex.j2``) with the environment and filters of :mod:`engine.render.views`.
"""
from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any

#: Marks per verdict: (plain text, LaTeX, colour code of the terminal).
MARKS: dict[str, tuple[str, str, str]] = {
    "correct": ("✓", r"\DeriveRight", "32"),
    "consistent": ("✓", r"\DeriveRight", "32"),
    "incorrect": ("✗", r"\DeriveWrong", "31"),
    "inconsistent": ("✗", r"\DeriveWrong", "31"),
    "unparsed": ("?", r"\DeriveUnread", "33"),
    "unchecked": ("·", r"\DeriveUnchecked", "2"),
    "missing": ("–", r"\DeriveMissing", "33"),
    "": (" ", "", "0"),
}
#: Which verdict marks a line when several meet there (worst first).
LINE_PRIORITY = ("incorrect", "inconsistent", "unparsed", "missing", "unchecked", "correct", "consistent")
#: Longest student line shown (characters); longer lines are cut with "...".
MAX_LINE = 240


@dataclass
class NoteView:
    """Something said beside a line: an answer (id, verdict, the expected
    value as our LaTeX, the diagnosis) or a step (verdict, detail)."""

    kind: str
    verdict: str
    mark: str
    mark_tex: str
    text: str
    answer_id: str = ""
    expected: str = ""
    expected_is_math: bool = True
    claimed: str = ""
    math: str = ""  # the step as read, our LaTeX ("" when not read: the claimed text is shown)


@dataclass
class LineView:
    number: int
    text: str
    verdict: str
    mark: str
    mark_tex: str
    notes: list[NoteView] = field(default_factory=list)
    math: str = ""  # the line as read, our LaTeX ("" when not all read: the text is shown)


@dataclass
class AnswerRow:
    id: str
    verdict: str
    mark: str
    mark_tex: str
    claimed: str
    expected: str
    expected_is_math: bool
    line: str
    diagnosis: str
    points: str = ""
    math: str = ""  # the claimed element as read, our LaTeX ("" when not read)


@dataclass
class ReportView:
    """Everything a report template shows."""

    title: str
    sheet: str
    submission: str
    score: str
    answer_counts: list[tuple[str, int]]
    step_counts: list[tuple[str, int]]
    answers: list[AnswerRow]
    lines: list[LineView]
    warnings: list[str]
    seconds: str
    packages: tuple[str, ...] = ("amsmath", "amssymb", "xcolor", "graphicx", "listings")


def _clip(text: str, limit: int = MAX_LINE) -> str:
    text = text.replace("\t", "    ")
    return text if len(text) <= limit else text[:limit - 3] + "..."


#: Longest LaTeX of a student's line typeset in a report (characters).
MAX_MATH = 8000


def _read_math(tex: Any) -> str:
    """``tex`` (a report's ``"math"``: our printer's LaTeX of what was read)
    as it may be typeset: only when it passes the whitelist of
    :func:`engine.render.escape.safe_math` and holds no dangerous control
    sequence (:func:`engine.math.texnames.dangerous`), else "" (the escaped
    source is shown). A second guard: the LaTeX is ours already."""
    from engine.math.texnames import dangerous
    from engine.render.escape import safe_math

    if not isinstance(tex, str) or not tex or len(tex) > MAX_MATH or dangerous(tex):
        return ""
    return safe_math(tex) or ""


def _points(answer: dict) -> str:
    """``"0.5/1 pt"`` of a graded answer (engine.check.grading), or ""."""
    if answer.get("points") is None or answer.get("max_points") is None:
        return ""
    return f"{answer['points']:g}/{answer['max_points']:g} pt"


def view(report: dict, lines: list[str] | None = None) -> ReportView:
    """The view of a JSON report (and the submission's lines)."""
    lines = lines if lines is not None else report.get("lines", [])
    summary = report["summary"]
    notes: dict[int, list[NoteView]] = {}
    for step in report["steps"]:
        if step["verdict"] == "consistent":
            text = ""
        else:
            text = step["detail"]
        m = MARKS[step["verdict"]]
        notes.setdefault(step["line"], []).append(NoteView("step", step["verdict"], m[0], m[1], text,
                                                           claimed=_clip(step["source"], 160),
                                                           math=_read_math(step.get("math"))))
    rows = []
    text_answers = set(report.get("_text_answers", ()))
    for a in report["answers"]:
        m = MARKS[a["verdict"]]
        expected_math = a["id"] not in text_answers
        rows.append(AnswerRow(a["id"], a["verdict"], m[0], m[1], _clip(a["claimed"] or "", 160), a["expected"] or "",
                              expected_math, str(a["line"]) if a["line"] else "", a["diagnosis"] or "",
                              _points(a), _read_math(a.get("math"))))
        if a["line"]:
            notes.setdefault(a["line"], []).append(NoteView(
                "answer", a["verdict"], m[0], m[1], a["diagnosis"] or "", a["id"], a["expected"] or "",
                expected_math, a["claimed"] or ""))
    line_views = []
    read = report.get("_line_math") or {}
    for number, text in enumerate(lines, start=1):
        here = notes.get(number, [])
        if not text.strip() and not here:
            continue
        verdicts = {n.verdict for n in here}
        verdict = next((v for v in LINE_PRIORITY if v in verdicts), "")
        m = MARKS[verdict]
        line_views.append(LineView(number, _clip(text), verdict, m[0], m[1], here,
                                   _read_math(read.get(number, read.get(str(number))))))
    return ReportView(
        title=f"Check of {summary['submission']}", sheet=report["sheet"], submission=summary["submission"],
        score=summary.get("score_text") or str(summary["score"]), answer_counts=list(summary["answers"].items()),
        step_counts=list(summary["steps"].items()), answers=rows, lines=line_views,
        warnings=list(summary.get("warnings", [])), seconds=f"{summary.get('seconds', 0):.1f}",
    )


# --------------------------------------------------------------------------- terminal


def use_colour(stream=None) -> bool:
    """Colour when writing to a terminal, unless NO_COLOR is set (FORCE_COLOR forces it)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    stream = stream or sys.stdout
    return hasattr(stream, "isatty") and stream.isatty()


#: Characters that reorder or hide what a reader sees: C1 controls, the
#: bidirectional controls (U+202E turns text around), line and paragraph
#: separators, zero-width characters and the byte-order mark (issue 14).
INVISIBLE = re.compile("[\x80-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]")


def visible(text: str) -> str:
    """``text`` with every :data:`INVISIBLE` character shown as ``<U+202E>``."""
    return INVISIBLE.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


def _plain(text: str) -> str:
    """Student text for a terminal: C0 control characters (escape sequences)
    removed, bidi and C1 controls shown as visible escapes."""
    return visible(re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", text))


def render_text(report: dict, lines: list[str] | None = None, colour: bool = False) -> str:
    """The report for a terminal: the answers, then the lines with marks."""
    v = view(report, lines)

    def paint(code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if colour and code != "0" else text

    out = [paint("1", f"{_plain(v.title)} (sheet {v.sheet})"),
           f"score {v.score}   answers: " + ", ".join(f"{k} {n}" for k, n in v.answer_counts)
           + "   steps: " + ", ".join(f"{k} {n}" for k, n in v.step_counts)]
    out += [paint("33", f"warning: {_plain(w)}") for w in v.warnings] + [""]
    width = max((len(a.id) for a in v.answers), default=10)
    out.append(paint("1", "Answers"))
    for a in v.answers:
        code = MARKS[a.verdict][2]
        head = f"  {paint(code, a.mark)} {a.id.ljust(width)}  {paint(code, a.verdict.ljust(9))} {a.points:>10}"
        where = f" line {a.line}" if a.line else ""
        claimed = f"  wrote {_plain(_clip(a.claimed, 60))}" if a.claimed else ""
        out.append(f"{head}{where}{claimed}")
        if a.verdict not in ("correct",):
            out.append(f"      expected {_plain(_clip(a.expected, 100))}")
        if a.diagnosis:
            out.append(f"      {paint('36', _plain(a.diagnosis))}")
    out += ["", paint("1", "Lines")]
    for line in v.lines:
        code = MARKS[line.verdict][2]
        out.append(f"  {paint(code, line.mark)} {line.number:>4}  {_plain(line.text)}")
        for n in line.notes:
            if n.kind == "step" and n.verdict in ("inconsistent", "unparsed", "unchecked"):
                out.append(f"         {paint(MARKS[n.verdict][2], n.mark)} {_plain(_clip(n.claimed, 70))}: "
                           f"{_plain(n.text)}")
            elif n.kind == "answer" and n.verdict != "correct":
                out.append(f"         {paint(MARKS[n.verdict][2], n.mark)} {n.answer_id}: expected "
                           f"{_plain(_clip(n.expected, 80))}" + (f"; {_plain(n.text)}" if n.text else ""))
    out.append(f"checked in {v.seconds} s")
    return visible("\n".join(out)) + "\n"


# --------------------------------------------------------------------------- templates


def _md_student(text: str) -> str:
    """Student text in Markdown: a code span (never math, never HTML)."""
    from engine.render.views import FILTERS

    return FILTERS["code_span"](_plain(" ".join(text.split())) or " ")


def _md_student_cell(text: str) -> str:
    """A code span inside a table cell: ``|`` escaped for the table."""
    return _md_student(text).replace("|", "\\|")


def _md_text_cell(text: str) -> str:
    from engine.render.escape import escape_md

    return escape_md(" ".join(_plain(text).split()), False)


#: A piece of a diagnosis that quotes LaTeX (the student's or ours): a command, a sub- or superscript, braces.
_LATEXISH = re.compile(r"\\[A-Za-z]|[\^_{}]")


def _md_diagnosis(text: str) -> str:
    """A diagnosis in Markdown: its pieces (split at ": " and "; ") that quote LaTeX
    in code spans, the prose escaped (inline): readable raw and rendered."""
    from engine.render.escape import escape_md

    out = []
    for piece in re.split(r"(: |; )", " ".join(_plain(text).split())):
        if piece in (": ", "; "):
            out.append(piece)
        elif _LATEXISH.search(piece):
            out.append(_md_student(piece))
        else:
            out.append(escape_md(piece, False))
    return "".join(out)


def _md_diagnosis_cell(text: str) -> str:
    return _md_diagnosis(text).replace("|", "\\|")


#: Filters of the report templates, added to the environment of engine.render.views.
REPORT_FILTERS = {"md_student": _md_student, "md_student_cell": _md_student_cell, "md_text_cell": _md_text_cell,
                  "md_diagnosis": _md_diagnosis, "md_diagnosis_cell": _md_diagnosis_cell}


def _environment():
    from markupsafe import Markup

    from engine.render.views import environment

    env = environment()
    for name, fn in REPORT_FILTERS.items():
        if name not in env.filters:
            env.filters[name] = (lambda f: lambda value: Markup(f(str(value))))(fn)
    return env


def _render(template: str, **context: Any) -> str:
    text = _environment().get_template(template).render(**context)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"


def render_markdown(report: dict, lines: list[str] | None = None) -> str:
    """The report as Markdown (``templates/report.md.j2``)."""
    return visible(_render("report.md.j2", report=view(report, lines)))


def render_latex(report: dict, lines: list[str] | None = None, math: bool = True) -> str:
    """The report as a standalone LaTeX document (``templates/report.tex.j2``);
    ``math=False``: every student line as its escaped source, nothing typeset."""
    v = view(report, lines)
    if not math:
        for line in v.lines:
            line.math = ""
            for n in line.notes:
                n.math = ""
        for a in v.answers:
            a.math = ""
    return _render("report.tex.j2", report=v, doc=v)


def render_pdf(report: dict, output: str, lines: list[str] | None = None):
    """Compile the LaTeX report to ``output`` (latexmk -no-shell-escape).
    Should the typeset student lines not compile, the report is built again
    with every student line as its escaped source. Raises BuildFailed
    (engine.errors) when that fails too."""
    from engine.errors import BuildFailed
    from engine.render.pdf import build_pdf

    try:
        return build_pdf(render_latex(report, lines), output, name="check")
    except BuildFailed:
        return build_pdf(render_latex(report, lines, math=False), output, name="check")
