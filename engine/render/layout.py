"""The view objects the templates receive, and how wide things are.

Plain dataclasses (:class:`DerivationView`, :class:`TableView`,
:class:`ProblemView`, :class:`DocumentView`, ...) built by
:mod:`engine.render.views`; a derivation's rows are split to fit the line
here (:func:`split_terms`, :func:`derivation_view`), with widths measured in
characters of sympy's pretty printer (:func:`expr_width`, :func:`tex_width`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

import sympy as sp
from sympy.printing.pretty.pretty import PrettyPrinter
from sympy.printing.pretty.stringpict import prettyForm

from engine.math.latex import ordered_terms, term_latex, to_latex
from engine.model.problem import Derivation

#: LaTeX packages a fragment needs in the host document's preamble (listed
#: in its header comment and in the README). All are in Debian's
#: texlive-latex-base / -latex-recommended.
FRAGMENT_PACKAGES = ("amsmath", "amssymb", "array", "booktabs", "graphicx", "listings")

#: Proof methods that are not a symbolic proof, and how a note describes them.
PROOF_NOTES = {
    "numeric": "verified numerically, not symbolically",
    "instances": "verified for the stated instances only",
}
#: Note markers, in order of use within one derivation.
NOTE_MARKS = (r"\dagger", r"\ddagger", r"\S", r"\P", r"\dagger\dagger", r"\ddagger\ddagger")

#: listings' name of a code block's language (others are shown without highlighting).
LISTINGS_LANGUAGES = {"python": "Python", "bash": "bash", "sh": "sh", "c": "C", "c++": "C++"}

# Line-fitting: widths in units of one character of sympy's pretty printer
# (about 1.1 em of 11 pt math); calibrated on the A4 page of base.tex.j2 with
# the pdflatex log's Overfull \hbox warnings.
#: Width of the text column.
LINE_UNITS = 70
#: Width kept for a step's justification beside its first line.
WHY_UNITS = 16
#: A left-hand side wider than this goes on a line of its own.
WIDE_LHS_UNITS = 22
#: Indent of a continuation line (\qquad and the sign).
INDENT_UNITS = 5
#: Width of the line in characters of a \small table cell.
TABLE_UNITS = 88
#: A text column wider than this may wrap.
WRAP_UNITS = 24


# --------------------------------------------------------------------------- widths


class _WidthPrinter(PrettyPrinter):
    """sympy's 2-D pretty printer with every symbol as wide as its LaTeX glyphs."""

    def _print_Symbol(self, e, bold_name=False):
        return prettyForm("x" * max(1, round(tex_width(to_latex(e)))))


_WIDTH_PRINTER = _WidthPrinter({"use_unicode": True, "wrap_line": False})


def tex_width(tex: str) -> float:
    """Rough width of a line of LaTeX math, in pretty-printer characters:
    a command counts as one glyph, braces and script markers as nothing,
    sub/superscripts as 0.7."""
    s = re.sub(r"\\(?:left|right|[Bb]igg?[lr]?|displaystyle|,|;|!|quad|qquad)(?![A-Za-z])", "", tex)
    s = re.sub(r"\\operatorname\{([^}]*)\}", r"\1", s)
    s = re.sub(r"\\[A-Za-z]+", "x", s)
    scripts = sum(len(re.sub(r"[{}\s]", "", m)) for m in re.findall(r"[_^](\{[^{}]*\}|.)", s))
    plain = len(re.sub(r"[{}\s_^]", "", s))
    return plain - 0.3 * scripts


def expr_width(expr: Any) -> float:
    """Width of a sympy expression set in display math, in the units of
    :data:`LINE_UNITS` (the widest line of its 2-D pretty form)."""
    if isinstance(expr, sp.Eq):
        return expr_width(expr.lhs) + 3 + expr_width(expr.rhs)
    try:
        text = _WIDTH_PRINTER.doprint(expr)
    except (TypeError, ValueError, NotImplementedError, AttributeError):
        return tex_width(to_latex(expr))
    return max((len(line) for line in text.splitlines()), default=0)


# --------------------------------------------------------------------------- views


@dataclass
class Chunk:
    """A piece of a right-hand side on one line: ``sign`` (``+``, ``-`` or
    empty on the first line) and its LaTeX."""

    sign: str
    tex: str


@dataclass
class Row:
    """One step of a derivation: ``lhs rel chunks[0]`` with the justification
    ``why`` (prose) beside it, then the continuation lines ``chunks[1:]``.
    mark: LaTeX of a note marker (``\\dagger``) when the step has a note."""

    lhs: str
    rel: str
    chunks: list[Chunk]
    why: str = ""
    mark: str = ""


@dataclass
class Note:
    mark: str
    text: str


@dataclass
class DerivationView:
    title: str
    rows: list[Row]
    notes: list[Note]
    #: fraction of \linewidth a right-hand side may take before it is scaled down
    rhs_width: str
    kind: str = "derivation"


@dataclass
class Cell:
    """A table cell: kind "math" (LaTeX, ours) or "text" (prose)."""

    kind: str
    value: str


@dataclass
class TableView:
    """align: "l" or "r" per column (Markdown); spec: the LaTeX column
    specification, where long text columns become ragged-right ``p``
    columns of a fraction of the line."""

    headers: list[Cell]
    rows: list[list[Cell]]
    align: list[str]
    caption: str
    spec: str
    kind: str = "table"

    @property
    def tall(self) -> list[bool]:
        """Per body row: does it hold a fraction (set in display style)?"""
        return [any(c.kind == "math" and r"\frac" in c.value for c in row) for row in self.rows]


@dataclass
class CodeView:
    source: str
    language: str
    caption: str
    kind: str = "code"

    @property
    def listings_options(self) -> str:
        lang = LISTINGS_LANGUAGES.get(self.language.lower())
        return f"language={lang}" if lang else ""

    @property
    def fence_language(self) -> str:
        return re.sub(r"[^A-Za-z0-9_+-]", "", self.language)


@dataclass
class AnswerView:
    id: str
    math: str
    text: str | None
    kind: str = "answer"


@dataclass
class AnswerGroupView:
    """Consecutive answers with a value and no text, set side by side."""

    items: list[AnswerView]
    kind: str = "answers"


@dataclass
class TextView:
    source: str
    kind: str = "text"


@dataclass
class PartView:
    label: str
    title: str
    blocks: list[Any]

    @property
    def tag(self) -> str:
        return f"({self.label})"


@dataclass
class ProblemView:
    id: str
    number: str
    title: str
    sheet: str
    statement: str
    parts: list[PartView]


@dataclass
class SheetView:
    name: str
    problems: list[ProblemView]


@dataclass
class DocumentView:
    title: str
    sheets: list[SheetView]
    many: bool
    packages: Sequence[str] = FRAGMENT_PACKAGES

    @property
    def problems(self) -> list[ProblemView]:
        return [p for s in self.sheets for p in s.problems]


# --------------------------------------------------------------------------- derivations


def split_terms(expr: Any, first: float, rest: float) -> list[Chunk]:
    """The LaTeX of ``expr`` on as many lines as it needs: a sum wider than
    ``first`` units is broken between its terms (greedily, the first line at
    most ``first`` wide, the next ones ``rest``); anything else stays on one
    line (and is scaled down by the template if it is still too wide)."""
    if not isinstance(expr, sp.Add) or expr_width(expr) <= first:
        return [Chunk("", to_latex(expr))]
    terms = []
    for term in ordered_terms(expr):
        sign = "+"
        if term.could_extract_minus_sign():
            sign, term = "-", -term
        tex = term_latex(term)
        terms.append((sign, tex, expr_width(term) + 3))
    chunks: list[list[tuple[str, str, float]]] = [[]]
    budget = first
    used = 0.0
    for term in terms:
        if chunks[-1] and used + term[2] > budget:
            chunks.append([])
            budget, used = rest, 0.0
        chunks[-1].append(term)
        used += term[2]
    out = []
    for i, chunk in enumerate(chunks):
        (sign, tex, _), *others = chunk
        text = tex + "".join(f" {s} {t}" for s, t, _ in others)
        if i == 0:
            out.append(Chunk("", ("- " if sign == "-" else "") + text))
        else:
            out.append(Chunk(sign, text))
    return out


def derivation_view(d: Derivation) -> DerivationView:
    """Rows of an ``align*``: the first line ``lhs = e_1`` (or the given
    ``e_1`` when there is no lhs; an equation ``a = b`` aligns at its ``=``),
    then ``= e_k``; series steps show their O-term; steps proven only
    numerically or for instances get a marker and a note."""
    lhs_tex = d.lhs_latex
    lhs_units = expr_width(d.lhs) if d.lhs is not None else 0
    first = d.steps[0] if d.steps else None
    if d.lhs is None and first is not None and isinstance(first.expr, sp.Eq):
        lhs_units = expr_width(first.expr.lhs)
    rows: list[Row] = []
    if d.lhs is not None and d.steps and lhs_units > WIDE_LHS_UNITS:
        # a wide left side (a matrix of partials) gets a line of its own
        rows.append(Row("", "", [Chunk("", lhs_tex)]))
        lhs_tex, lhs_units = "", 0
    notes: list[Note] = []
    marks = iter(NOTE_MARKS)
    for i, step in enumerate(d.steps):
        expr = step.expr
        if step.relation == "series" and isinstance(expr, sp.Basic) and not expr.has(sp.Order):
            expr = sp.Add(expr, sp.O(step.var ** step.order))
        lhs, rel = ("", "=")
        if i == 0 and d.lhs is not None:
            lhs = lhs_tex
        elif i == 0:
            if isinstance(expr, sp.Eq):
                lhs, expr = to_latex(expr.lhs), expr.rhs
            else:
                rel = ""
        room = LINE_UNITS - lhs_units - 3
        why_units = min(WHY_UNITS, 0.75 * tex_width(step.rule)) if step.rule else 0
        chunks = split_terms(expr, room - why_units, room - INDENT_UNITS)
        mark = ""
        if step.proof is not None and step.proof.method in PROOF_NOTES:
            mark = next(marks, r"\ast")
            notes.append(Note(mark, f"{PROOF_NOTES[step.proof.method]}: {step.proof.detail}."))
        rows.append(Row(lhs, rel, chunks, step.rule, mark))
    if not d.steps and d.lhs is not None:
        rows.append(Row("", "", [Chunk("", lhs_tex)]))
    fraction = min(0.97 if lhs_units == 0 else 0.9, max(0.45, (LINE_UNITS - lhs_units - 2) / LINE_UNITS))
    return DerivationView(d.title, rows, notes, f"{fraction:.2f}")
