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
Templates receive *views* (plain dataclasses of :mod:`engine.render.layout`,
built here): a derivation's rows are already split to fit the line
(:func:`engine.render.layout.split_terms`), each proof that is not symbolic
carries a note saying how the step was verified.
"""
from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import jinja2
import sympy as sp
from markupsafe import Markup

from engine.render import escape
from engine.math import numbers
from engine.errors import NotSupported, UnescapedText, UnsafeLatex
from engine.math.texnames import dangerous
from engine.render.escape import escape_latex, escape_md  # noqa: F401 - re-exported filters
from engine.math.latex import to_latex
from engine.render.layout import (  # noqa: F401 - re-exported: the view objects and the widths are views' API
    FRAGMENT_PACKAGES, INDENT_UNITS, LINE_UNITS, LISTINGS_LANGUAGES, NOTE_MARKS, PROOF_NOTES, TABLE_UNITS, WHY_UNITS,
    WIDE_LHS_UNITS, WRAP_UNITS, AnswerGroupView, AnswerView, Cell, Chunk, CodeView, DerivationView, DocumentView,
    Note, PartView, ProblemView, Row, SheetView, TableView, TextView, derivation_view, expr_width, split_terms,
    tex_width,
)
from engine.model.problem import Answer, Code, Derivation, Solution, Table, Tex, Text

#: Where the templates live (the repository's ``templates/``).
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


#: Title of a document with several problems.
DOCUMENT_TITLE = "Worked solutions"


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
        if numbers.terminates(value) and len(str(value.q)) <= 15:
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
    """LaTeX we produced (sympy's printer, a module's Tex): kept as it is,
    unless a control sequence that reads, writes or redefines got into it
    (engine.math.texnames.DANGEROUS): then UnsafeLatex, never a document."""
    found = dangerous(tex)
    if found:
        raise UnsafeLatex(f"refusing to print {found[0]!r} into LaTeX: {tex[:80]!r}")
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
