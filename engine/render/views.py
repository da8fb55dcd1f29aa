"""Worked solutions through Jinja2 templates: a LaTeX document, a LaTeX
fragment per problem, Markdown.

One environment (:func:`environment`) with nbconvert's LaTeX-safe delimiters
(``((* *))`` blocks, ``((( )))`` variables, ``((= =))`` comments) and
StrictUndefined loads ``templates/``: ``base.tex.j2`` (the preamble) is
extended by ``solutions.tex.j2``; ``fragment.tex.j2`` has no preamble; both
include ``problem.tex.j2`` and ``part.tex.j2``, which imports the block macros
of ``step.tex.j2``; the ``*.md.j2`` files mirror them.

Text that is not ours goes through an explicit filter of
:mod:`engine.render.escape` (``escape_latex``, ``prose``, ``escape_md``,
``prose_md``, ...); LaTeX we produced ourselves (sympy's printer, a
derivation module's :class:`~engine.model.problem.Tex`) through ``ours``. Every
filter returns a :class:`markupsafe.Markup`, and the environment's finalize
step refuses any plain string: a variable printed without a filter is an
error, never raw text in a document.

Rendering never solves: it takes :class:`~engine.model.problem.Solution` objects.
Templates receive *views* (plain dataclasses built here): a derivation's
rows are already split to fit the line (:func:`split_terms`), each proof
that is not symbolic carries a note saying how the step was verified.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import jinja2
import sympy as sp
from markupsafe import Markup
from sympy.printing.pretty.pretty import PrettyPrinter
from sympy.printing.pretty.stringpict import prettyForm

from engine.render import escape
from engine.math import numbers
from engine.errors import NotSupported
from engine.render.escape import escape_latex, escape_md  # noqa: F401 - re-exported filters
from engine.math.latex import _PRINTER, to_latex
from engine.model.problem import Answer, Code, Derivation, Solution, Table, Tex, Text

#: Where the templates live (the repository's ``templates/``).
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

#: LaTeX packages a fragment needs in the host document's preamble (listed
#: in its header comment and in the README). All are in Debian's
#: texlive-latex-base / -latex-recommended.
FRAGMENT_PACKAGES = ("amsmath", "amssymb", "array", "booktabs", "graphicx", "listings")

#: Title of a document with several problems.
DOCUMENT_TITLE = "Worked solutions"

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
    for term in _PRINTER._as_ordered_terms(expr, order=None):
        sign = "+"
        if term.could_extract_minus_sign():
            sign, term = "-", -term
        tex = to_latex(term)
        if _PRINTER._needs_add_brackets(term):
            tex = rf"\left({tex}\right)"
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


# --------------------------------------------------------------------------- other blocks


def cell_latex(value: Any) -> str:
    """LaTeX of a number or expression in a table, by the display policy:
    integers exact, terminating decimals as decimals, small fractions as
    fractions, other closed values to 6 significant digits."""
    if isinstance(value, (int, float, Fraction)) and not isinstance(value, bool):
        value = numbers.as_basic(value)
    if isinstance(value, sp.MatrixBase) or not numbers.is_numeric(value):
        return to_latex(value)
    if value.is_Integer:
        return str(int(value))
    if value.is_Rational:
        q = value.q
        for prime in (2, 5):
            while q % prime == 0:
                q //= prime
        if q == 1 and len(str(value.q)) <= 15:
            return numbers.latex_number(value, 15)
        if numbers.is_exact_simple(value):
            return to_latex(value)
    return numbers.latex_number(value)


def _cell(value: Any) -> Cell:
    if isinstance(value, Tex):
        return Cell("math", value.source)
    if isinstance(value, str):
        return Cell("text", value)
    if isinstance(value, (sp.Basic, sp.MatrixBase, int, float, Fraction)):
        return Cell("math", cell_latex(value))
    raise NotSupported(f"table cell of type {type(value).__name__}: use str, Tex or a sympy value")


def _is_number_cell(value: Any) -> bool:
    if isinstance(value, (int, float, Fraction)) and not isinstance(value, bool):
        return True
    return isinstance(value, sp.Basic) and numbers.is_numeric(value)


def _cell_units(cell: Cell) -> float:
    if cell.kind == "math":
        return tex_width(cell.value)
    return sum(len(p) if k == "text" else tex_width(p) for k, p in escape.split_prose(cell.value))


def column_spec(align: Sequence[str], columns: Sequence[Sequence[Cell]]) -> str:
    """LaTeX column specification: natural ``l``/``r`` columns when the
    table fits :data:`TABLE_UNITS`, else its long text columns (wider than
    :data:`WRAP_UNITS`) become ``p`` columns sharing the room that is left."""
    widths = [max((_cell_units(c) for c in col), default=0) for col in columns]
    gaps = 2.5 * len(widths)
    if sum(widths) + gaps <= TABLE_UNITS:
        return "".join(align)
    wrap = [j for j, col in enumerate(columns)
            if widths[j] > WRAP_UNITS and any(c.kind == "text" and _cell_units(c) > WRAP_UNITS for c in col)]
    room = TABLE_UNITS - gaps - sum(w for j, w in enumerate(widths) if j not in wrap)
    if not wrap or room < 12 * len(wrap):
        return "".join(align)  # the template scales the table down to the line
    total = sum(widths[j] for j in wrap)
    spec = []
    for j, a in enumerate(align):
        if j in wrap:
            share = min(widths[j], room * widths[j] / total) / TABLE_UNITS
            spec.append(rf">{{\raggedright\arraybackslash}}p{{{share:.2f}\linewidth}}")
        else:
            spec.append(a)
    return "".join(spec)


def table_view(t: Table) -> TableView:
    """Columns whose cells are all closed numbers are right-aligned; long
    text columns wrap (:func:`column_spec`)."""
    width = max([len(t.headers)] + [len(r) for r in t.rows])
    rows = [[_cell(c) for c in r] + [Cell("text", "")] * (width - len(r)) for r in t.rows]
    headers = [_cell(h) for h in t.headers] + [Cell("text", "")] * (width - len(t.headers))
    align = []
    for j in range(width):
        column = [r[j] for r in t.rows if j < len(r)]
        align.append("r" if column and all(_is_number_cell(c) for c in column) else "l")
    columns = [[headers[j]] + [r[j] for r in rows] for j in range(width)]
    return TableView(headers, rows, align, t.caption, column_spec(align, columns))


def answer_view(a: Answer) -> AnswerView:
    """``label = value`` (the value by the display policy), or the text."""
    from engine.render.boxed import boxed_latex

    math = boxed_latex(a)
    if math and a.label:
        math = f"{a.label} {math}" if math.startswith(r"\approx") else f"{a.label} = {math}"
    return AnswerView(a.id, math, a.text)


#: Block type -> view builder (a new block type needs an entry and a macro in step.*.j2).
BLOCK_VIEWS: dict[type, Callable[[Any], Any]] = {
    Text: lambda b: TextView(b.source),
    Derivation: derivation_view,
    Table: table_view,
    Code: lambda b: CodeView(b.source, b.language, b.caption),
    Answer: answer_view,
}


def block_view(block: Any) -> Any:
    try:
        build = BLOCK_VIEWS[type(block)]
    except KeyError:
        raise NotSupported(f"no template for block type {type(block).__name__}") from None
    return build(block)


def group_answers(views: Iterable[Any]) -> list[Any]:
    """Runs of answers that have a value and no text become one
    :class:`AnswerGroupView` (the traces of autodiff give eight in a row)."""
    out: list[Any] = []
    for view in views:
        if isinstance(view, AnswerView) and view.math and not view.text:
            if out and isinstance(out[-1], AnswerGroupView):
                out[-1].items.append(view)
            else:
                out.append(AnswerGroupView([view]))
        else:
            out.append(view)
    return out


def problem_view(sol: Solution, number: str) -> ProblemView:
    parts = [PartView(p.label, p.title, group_answers(block_view(b) for b in p.blocks)) for p in sol.parts]
    problem = sol.problem
    return ProblemView(problem.id, number, problem.title, problem.sheet, sol.statement_text, parts)


def problem_numbers(problems: Iterable[Any]) -> dict[str, str]:
    """``{id: "A1"}``: the sheet letter and the position within the sheet, in
    the order given (pass the whole catalog to number a selection)."""
    counts: dict[str, int] = {}
    out = {}
    for problem in problems:
        counts[problem.sheet] = counts.get(problem.sheet, 0) + 1
        out[problem.id] = f"{problem.sheet}{counts[problem.sheet]}"
    return out


def catalog_numbers(solutions: Sequence[Solution]) -> dict[str, str]:
    """Numbers by the built-in catalog's order for the solutions of
    built-in problems (a module of ``derivations/``); empty otherwise, so a
    problem defined elsewhere never imports the catalog."""
    if not any(s.problem.solve_fn.__module__.startswith("derivations.") for s in solutions):
        return {}
    from engine.model import catalog

    return problem_numbers(catalog.available())


def document_view(solutions: Sequence[Solution], labels: Mapping[str, str] | None = None) -> DocumentView:
    """Solutions grouped by sheet (sheets in alphabetical order, problems in
    the order given). labels: ``{id: "A1"}``; by default the catalog's
    numbering for built-in problems, else the position in the list."""
    if labels is None:
        labels = catalog_numbers(solutions)
    labels = {**problem_numbers(s.problem for s in solutions), **labels}
    sheets: dict[str, list[ProblemView]] = {}
    for sol in solutions:
        sheets.setdefault(sol.problem.sheet, []).append(problem_view(sol, labels[sol.problem.id]))
    ordered = [SheetView(name, sheets[name]) for name in sorted(sheets)]
    return DocumentView(DOCUMENT_TITLE, ordered, len(solutions) > 1)


# --------------------------------------------------------------------------- environment


def _safe(fn: Callable[..., str]) -> Callable[..., Markup]:
    def filter_(value: Any, *args: Any) -> Markup:
        if isinstance(value, jinja2.Undefined):
            str(value)  # StrictUndefined: raises UndefinedError naming the variable
        if not isinstance(value, str):
            raise TypeError(f"filter {fn.__name__} expects text, got {type(value).__name__}")
        return Markup(fn(value, *args))

    filter_.__name__ = fn.__name__
    return filter_


def _ours(tex: str) -> str:
    """LaTeX we produced (sympy's printer, a module's Tex): kept as it is."""
    return tex


def _listing(source: str) -> str:
    """Code for a listings environment: tabs as 4 spaces, non-ASCII
    characters as ``?`` (listings cannot set UTF-8 under pdflatex), and a
    line that would end the environment early is broken with a space."""
    text = source.replace("\t", "    ")
    text = "".join(ch if (32 <= ord(ch) < 127 or ch == "\n") else "?" for ch in text)
    return re.sub(r"\\end(\s*)\{DeriveCode\}", r"\\end \1{DeriveCode}", text)


def _fence(source: str, language: str = "") -> str:
    """A fenced Markdown code block longer than any backtick run inside."""
    longest = max((len(m) for m in re.findall(r"`+", source)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{source}\n{fence}"


def _code_span(text: str) -> str:
    """Inline Markdown code (an answer id), fenced longer than any backtick run."""
    text = " ".join(text.split())
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _blockquote(markdown: str) -> str:
    """Markdown (already escaped) continued as a blockquote on every line."""
    return markdown.strip("\n").replace("\n", "\n> ")


def _pdf_text(text: str) -> str:
    """Prose for a PDF bookmark: math shown as its source, all escaped."""
    return escape_latex(" ".join(" ".join(p for _, p in escape.split_prose(text)).split()))


def _md_cell(value: str, kind: str) -> str:
    """A Markdown table cell: ``|`` cannot appear even inside math."""
    if kind == "math":
        tex = value.replace(r"\|", r"\Vert ").replace("|", r"\vert ")
        return "$" + escape.md_math(" ".join(tex.split())) + "$"
    out = []
    for kind_, piece in escape.split_prose(" ".join(value.split())):
        math = escape.safe_math(piece) if kind_ != "text" else None
        if math is None:
            out.append(escape_md(piece if kind_ == "text" else f"${piece}$", not out))
        else:
            out.append("$" + escape.md_math(math.replace(r"\|", r"\Vert ").replace("|", r"\vert ")) + "$")
    return "".join(out)


#: Filters: name -> function from text to text (wrapped to return Markup).
FILTERS: dict[str, Callable[..., str]] = {
    # LaTeX
    "escape_latex": escape_latex,
    "prose": escape.prose_latex,
    "prose_inline": lambda s: escape.prose_latex(s, inline=True),
    "pdf_text": _pdf_text,
    "ours": _ours,
    "listing": _listing,
    # Markdown
    "escape_md": escape_md,
    "prose_md": escape.prose_md,
    "prose_md_inline": lambda s: escape.prose_md(s, inline=True),
    "math_md": lambda s: escape.md_math(s),
    "math_text": escape.math_text_latex,
    "why_md": lambda s: escape.math_text_latex(f"({s})"),
    "fence": _fence,
    "code_span": _code_span,
    "blockquote": _blockquote,
    "md_cell": _md_cell,
}


class UnescapedText(jinja2.TemplateError):
    """A template printed a string without an escaping filter."""


def _finalize(value: Any) -> Any:
    if isinstance(value, Markup) or isinstance(value, int) and not isinstance(value, bool):
        return value
    raise UnescapedText(
        f"template printed {type(value).__name__} {str(value)[:40]!r} without a filter "
        "(escape_latex, prose, ours, escape_md, prose_md, math_md, ...)"
    )


@lru_cache(maxsize=None)
def environment() -> jinja2.Environment:
    """The one Jinja2 environment of every output: nbconvert's LaTeX-safe
    delimiters, StrictUndefined, the filters of :data:`FILTERS`, and a
    finalize step that rejects any printed value that did not go through
    one of them (raises :class:`UnescapedText`)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        block_start_string="((*",
        block_end_string="*))",
        variable_start_string="(((",
        variable_end_string=")))",
        comment_start_string="((=",
        comment_end_string="=))",
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update({name: _safe(fn) for name, fn in FILTERS.items()})
    return env


def _render(template: str, **context: Any) -> str:
    text = environment().get_template(template).render(**context)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"


# --------------------------------------------------------------------------- entry points


def render_latex(solutions: Sequence[Solution], labels: Mapping[str, str] | None = None) -> str:
    """A standalone LaTeX document (``solutions.tex.j2``): with several
    problems a title, a table of contents and one section per sheet."""
    return _render("solutions.tex.j2", doc=document_view(solutions, labels))


def render_fragment(solution: Solution, label: str | None = None, numbered: bool = False) -> str:
    """A LaTeX fragment of one problem for ``\\input`` into course notes: no
    preamble; its header comment lists :data:`FRAGMENT_PACKAGES`. numbered: the
    problem is a numbered ``\\subsection`` (in the document's contents), not ``\\subsection*``."""
    doc = document_view([solution], {solution.problem.id: label} if label else None)
    return _render("fragment.tex.j2", doc=doc, problem=doc.problems[0], numbered=numbered)


def render_markdown(solutions: Sequence[Solution], labels: Mapping[str, str] | None = None) -> str:
    """Markdown with ``$``/``$$`` math for Jupyter and MyST: tables as
    Markdown tables, code fenced."""
    return _render("solutions.md.j2", doc=document_view(solutions, labels))
