"""A student's line read for checking (runs in a bounded worker).

:func:`task_parse` reads one element of a chain into a :class:`Parsed`: the
expression in the problem's canonical keys (:mod:`engine.check.resolve`),
the numbers as written (:class:`engine.math.written.WrittenNumber`), a
function call of the problem (``\\sigma(0)``), an O-term of an expansion.
It never raises for bad text: the reason is in the Parsed.

:func:`math_latex` prints an element as read with our own printer
(:class:`engine.math.latex.CoursePrinter`, names through the whitelist of
:mod:`engine.math.texnames`), in the worker, so that a report can typeset
the student's line without ever putting the student's LaTeX into a document.
"""
from __future__ import annotations

import dataclasses
import re
from fractions import Fraction
from typing import Any

import sympy as sp
from sympy.polys.polyerrors import BasePolynomialError

from engine.check import compare as cm
from engine.read import chains as align
from engine.check.compare import ProblemMath
from engine.check.reference import math_of, protect_words, words_of
from engine.math.written import WrittenNumber
from engine.errors import DeriveError, TooLarge
from engine.math.latex import CoursePrinter
from engine.math.limits import check_size
from engine.math.texnames import ACCENTS, FONTS

class Parsed:
    """One chain element read: ok, or the reason it could not be read.

    expr: canonical sympy (kept :class:`~engine.check.compare.Sealed` between
    processes); written: the number when the element is one literal;
    literals: Rational atoms of decimal numbers -> half unit; key: the
    canonical key when the element names a quantity; digits: the fewest
    significant digits of its decimal numbers (None: none); size: for
    ``224 \\times 224``, the side (a size written as a square); symbolic /
    closed: whether the expression has free symbols / has none (for the
    orchestrator, which never looks at the expression itself); math: the
    element as read, printed by :func:`math_latex` (our LaTeX, a str the
    orchestrator may show), or None."""

    __slots__ = ("source", "ok", "reason", "_expr", "written", "literals", "key", "name", "digits", "size",
                 "symbolic", "closed", "math")

    def __init__(self, source: str, ok: bool, reason: str = "", expr: Any = None, written: WrittenNumber | None = None,
                 literals: dict | None = None, key: str = "", name: bool = False, digits: int | None = None,
                 size: Any = None, symbolic: bool | None = None, closed: bool | None = None,
                 math: str | None = None):
        self.source, self.ok, self.reason = source, ok, reason
        self._expr = expr if isinstance(expr, cm.Sealed) else cm.Sealed(expr)
        self.written, self.literals, self.key, self.name = written, dict(literals or {}), key, name
        self.digits, self.size = digits, size
        if symbolic is None:
            plain = expr if not isinstance(expr, cm.Sealed) else None
            symbolic = bool(getattr(plain, "free_symbols", None)) if plain is not None else False
            closed = plain is not None and isinstance(plain, sp.Basic) and not plain.free_symbols
        self.symbolic, self.closed = symbolic, bool(closed)
        self.math = math if isinstance(math, str) else None

    @property
    def expr(self) -> Any:
        return self._expr.get()

    def __reduce__(self):
        return (Parsed, (self.source, self.ok, self.reason, self._expr, self.written, self.literals, self.key,
                         self.name, self.digits, self.size, self.symbolic, self.closed, self.math))

    def __repr__(self) -> str:
        return f"Parsed({self.source!r}, ok={self.ok}, key={self.key!r})"


def task_parse(source: str, sheet: str, pid: str | None, notation: dict[str, str], part: str | None = None) -> Parsed:
    """Read one element (see :class:`Parsed`); never raises for bad text."""
    from engine.read import parse

    pm = math_of(sheet, pid)
    call = _read_call(pm, source, notation, part)
    if call is not None:
        return call
    is_name = align.is_name(source)
    words = words_of(pm.pid)
    text = protect_words(source, words) if words else source
    try:
        expr = _parse_with_order_term(text, pm)
    except parse.ParseError as exc:
        if is_name:
            key = align.quantity_key(source)
            key = cm.resolve_key(pm, key, notation, part)
            return Parsed(source, True, expr=pm.canon(key), key=key, name=True)
        return Parsed(source, False, reason=PYTHON_NAMES.sub("", str(exc)))
    except cm.SYMPY_FAILURES as exc:
        return Parsed(source, False, reason=f"could not be read: {cm.failure_reason(exc)}")
    try:  # refuse what cannot be computed quickly, before computing ((10^9)!, 10^{5000})
        check_size(expr, what="this element")
    except TooLarge as exc:
        return Parsed(source, False, reason=str(exc))
    if isinstance(expr, sp.Eq):
        return Parsed(source, False, reason="an equation inside a chain member")
    try:
        return _read(pm, source, expr, is_name, notation, part)
    except cm.SYMPY_FAILURES as exc:
        return Parsed(source, False, reason=f"could not be read: {cm.failure_reason(exc)}")


#: A whole element that is a name applied to variables: ``L(y)``, ``f(x)``,
#: ``E(w_1, w_2)``, ``J(\\theta)``.
_SYMBOL_TEXT = r"(?:[A-Za-z]|\\[A-Za-z]+)(?:_(?:\{[^{}]*\}|[A-Za-z0-9]))?"
_CALL = re.compile(r"\s*(%s)\s*(?:\\left\s*)?\(\s*(%s(?:\s*,\s*%s)*)\s*(?:\\right\s*)?\)\s*"
                   % (_SYMBOL_TEXT, _SYMBOL_TEXT, _SYMBOL_TEXT))


def _read_call(pm: ProblemMath, source: str, notation: dict[str, str], part: str | None) -> Parsed | None:
    """``L(y) = \\frac{1}{2}(y - t)^2``: a name applied to variables is the
    quantity it names (the loss L of the problem, as a function of y), never
    the product ``L y``. A name the problem does not know is a function of
    the student's (``H(q, p)``: the step defines it). None when ``source``
    is not such a call, or names a function the problem applies (sigma)."""
    from engine.read import parse
    from engine.read.text import GREEK

    m = _CALL.fullmatch(source)
    if m is None:
        return None
    texts = [m.group(1)] + [a.strip() for a in m.group(2).split(",")]
    commands = [re.match(r"\\([A-Za-z]+)", t) for t in texts]
    if any(c is not None and c.group(1) not in GREEK for c in commands):
        return None  # \log(x), \exp(z): functions, read by the parser
    name = align.quantity_key(texts[0])
    key = cm.resolve_key(pm, name, notation, part)
    if name in pm.functions or name in pm.definitions_in(part) or key in pm.local:
        return None  # sigma(z) where the problem defines sigma: applied by the checker
    if key.startswith("@"):
        if isinstance(cm.answer_value(pm, key), sp.MatrixBase):
            return None  # p(y) of the vector p is one of its entries, not the vector
        return Parsed(source, True, expr=pm.canon(key), key=key, name=True)
    if pm.known(key) or key in notation:
        return None  # a given or a symbol of the problem: x(x + 1) is a product
    try:
        args = [parse.parse_latex(t) for t in texts[1:]]
    except parse.ParseError:
        return None
    if not all(isinstance(a, sp.Symbol) for a in args):
        return None
    args = [cm.canonicalize(pm, a, notation, part) for a in args]
    return Parsed(source, True, expr=sp.Function(name)(*args))


#: A Python exception named inside a reader's message (``sign cannot take
#: these arguments (TypeError: ...)``): dropped, the rest says what to fix.
PYTHON_NAMES = re.compile(r"\s*\((?:[A-Z][A-Za-z]*(?:Error|Exception))(?::(?:[^()]|\([^()]*\))*)?\)")

#: Values a student's expression cannot take, and what the reader is told.
_UNDEFINED_VALUES = ((sp.nan, "it divides 0 by 0, which has no value"),
                     (sp.zoo, "it divides by zero"))


def _read(pm: ProblemMath, source: str, expr: Any, is_name: bool, notation: dict[str, str],
          part: str | None) -> Parsed:
    """The :class:`Parsed` of a parsed element (see :func:`task_parse`)."""
    from engine.read import parse

    for value, reason in _UNDEFINED_VALUES:
        if isinstance(expr, sp.Basic) and expr.has(value):
            return Parsed(source, False, reason=reason)
    expr = _order_terms(expr, source)
    if isinstance(expr, sp.Basic) and len(sp.srepr(expr)) > cm.MAX_EXPR_SIZE:
        return Parsed(source, False, reason="the expression is too large")
    math = math_latex(expr, source)
    if pm.written and isinstance(expr, sp.Basic):
        expr = expr.xreplace(pm.written)  # dL/dy_i written for the question's g_i
    canon = cm.canonicalize(pm, expr, notation, part)
    key = ""
    if isinstance(canon, sp.Symbol):
        key = canon.name
    elif is_name:
        alias_key = cm.resolve_key(pm, align.quantity_key(source), notation, part)
        if alias_key.startswith("@"):
            key = alias_key
            canon = pm.canon(alias_key)
    written = None
    literal = parse.number_literal(source)
    if literal is not None:
        # a written 0 (no decimals) carries no precision: it is exactly zero
        written = dataclasses.replace(literal, exact=literal.value == 0 and literal.exponent >= 0)
    literals, digits = {}, None
    for w in parse.written_precision(source):
        if w.exponent < 0:
            digits = w.significant if digits is None else min(digits, w.significant)
            literals[sp.Rational(w.value.numerator, w.value.denominator)] = Fraction(w.half_unit)
    size = None
    m = re.fullmatch(r"\s*(\d+)\s*(?:\\times|x|×|\*|\\cdot)\s*(\d+)\s*", source)
    if m and m.group(1) == m.group(2):
        size = sp.Integer(int(m.group(1)))
    return Parsed(source, True, expr=canon, written=written, literals=literals, key=key,
                  name=is_name or isinstance(canon, sp.Symbol), digits=digits, size=size, math=math)


# --------------------------------------------------------------------------- the element as read, typeset

#: Longest LaTeX of an element a report typesets (characters); a longer one is shown as its source.
MAX_MATH = 3000
#: A decimal number as written (``0.699``, ``1272.6``): typeset with its digits, never as a fraction.
_DECIMAL = re.compile(r"(?<![\d.])(\d+)\.(\d+)(?![\d.])")
#: A name the parser made of an accented or font-styled symbol (``bar{v}_6``, ``hat{m}_t``,
#: ``text{net}_1``): typeset with the command (``\bar{v}_{6}``).
_STYLED_NAME = re.compile(r"^(%s)\{" % "|".join(sorted(ACCENTS | FONTS, key=len, reverse=True)))
#: A power of ten as written (``10^{-8}``, ``10^8``): typeset as the power, never as its digits.
_POWER_OF_TEN = re.compile(r"(?<![\d.])10\s*\^\s*\{?\s*(-?\d{1,3})\s*\}?")
#: A bracket closed by ``\right`` and followed by a number: a product, written with ``\cdot``.
_BRACKET_NUMBER = re.compile(r"(\\right[)\]|])\s*(?=\d)")
#: A command inside a text-mode group of a name (``\\text{\\Pi}``).
_TEXT_COMMAND = re.compile(r"\\(?:text|textrm|mbox)\s*\{[^{}]*\\")
#: What printing may raise on an odd expression: the element is then shown as its source (typesetting
#: never changes how an element is read).
_PRINT_FAILURES = (ArithmeticError, LookupError, AttributeError, TypeError, ValueError, RecursionError,
                   NotImplementedError, BasePolynomialError, DeriveError)


class _ReadPrinter(CoursePrinter):
    """The course printer for an element as the parser read it: the
    parser's names of accented symbols get their command back; every name
    still passes :func:`engine.math.texnames.safe_name` (CoursePrinter)."""

    def __init__(self, d: str = r"\partial"):
        super().__init__()
        self.d = d  # how the element writes a derivative: \partial, or d (\frac{df}{dx})

    def _deal_with_super_sub(self, string: str, style="plain") -> str:
        return super()._deal_with_super_sub(_STYLED_NAME.sub(r"\\\1{", string), style=style)

    def _as_ordered_terms(self, expr, order=None):
        # a sum the parser left as written keeps its order (N_{-1} + N_3; (8 \times 1) + (6 \times 2)), the
        # O-term last; one in sympy's own order is printed in the course's (y - t, not -t + y)
        if isinstance(expr, sp.Add) and expr.args != sp.Add(*expr.args).args:
            terms = list(expr.args)
            return [t for t in terms if not isinstance(t, sp.Order)] + [t for t in terms if isinstance(t, sp.Order)]
        return super()._as_ordered_terms(expr, order=order)

    def _print(self, expr, **kwargs):
        # the parser's Partial prints itself (its _latex) without brackets: ours puts them in
        if type(expr).__name__ == "Partial" and type(expr).__module__ == "engine.read.parse":
            return self._print_Partial(expr)
        return super()._print(expr, **kwargs)

    def _print_Partial(self, expr):
        # \frac{\partial f}{\partial x}; a sum, product or fraction in parentheses (\partial (x^2 / \log x - c))
        top, *wrt = expr.args

        def part(e):
            tex = self._print(e)
            return tex if e.is_Symbol or e.is_Number or isinstance(e, sp.Indexed) else rf"\left({tex}\right)"

        d = self.d
        order = f"^{{{len(wrt)}}}" if len(wrt) > 1 else ""
        bottom = " ".join(rf"{d} {part(v)}" for v in wrt)
        return rf"\frac{{{d}{order} {part(top)}}}{{{bottom}}}"

    def _print_Pow(self, expr):
        # 10^{-8} as written, not \frac{1}{100000000}
        base, exp = expr.args
        if base.is_Integer and base > 0 and exp.is_Integer and exp < 0:
            return rf"{self._print(base)}^{{{self._print(exp)}}}"
        return super()._print_Pow(expr)


_READ_PRINTERS = {d: _ReadPrinter(d) for d in (r"\partial", "d")}


def _closed_number(e: sp.Basic) -> bool:
    return e.is_Number or (isinstance(e, (sp.Add, sp.Mul, sp.Pow)) and all(_closed_number(a) for a in e.args))


def _tidy(e: sp.Basic, depth: int = 0) -> sp.Basic:
    """``e`` (unevaluated as the parser left it) rebuilt bottom-up with
    sympy's evaluation of products and powers (``\\bar{v}_3 (-1) v_1
    \\frac{1}{v_2^2}`` becomes ``-\\frac{\\bar{v}_3 v_1}{v_2^2}``), except sums,
    a number times a sum, and arithmetic of numbers alone, kept as written
    (``N_{-1} + N_3``, ``2 (a + b)``, ``(3 \\cdot 3 \\cdot 3 + 1) \\cdot 64``,
    ``1 \\cdot 38.8``). A node that cannot be rebuilt is kept as it is."""
    if not e.args or depth > 200 or _closed_number(e):
        return e
    args = tuple(_tidy(a, depth + 1) for a in e.args)
    try:
        if isinstance(e, sp.Add) or (isinstance(e, sp.Mul) and any(a.is_Number for a in args)
                                     and any(isinstance(a, sp.Add) for a in args)):
            return e.func(*args, evaluate=False)  # sums as written: no 2(a + b) -> 2a + 2b, no x + x -> 2x
        return e.func(*args)
    except _PRINT_FAILURES:
        return e


def math_latex(expr: Any, source: str) -> str | None:
    """Our LaTeX of ``expr``, the sympy expression the parser made of the
    element ``source`` (before canonical keys): decimals as written
    (``0.699``, not ``699/1000``), names through the whitelist of
    :mod:`engine.math.texnames`. None when it cannot be typeset faithfully
    or safely: not a sympy expression, an index the parser invented (a sum's
    dummy), longer than :data:`MAX_MATH` characters, or a printer failure.
    Runs in the bounded worker (the expression comes from student text)."""
    if isinstance(expr, sp.MatrixBase) and not isinstance(expr, sp.Basic):
        expr = sp.ImmutableMatrix(expr)
    if not isinstance(expr, sp.Basic) or isinstance(expr, sp.Eq):
        return None
    try:
        if any(isinstance(s, sp.Dummy) or s.name.startswith("_") for s in expr.atoms(sp.Symbol)):
            return None
        expr = _tidy(expr)
        decimals = {}
        for m in _POWER_OF_TEN.finditer(source):
            decimals[sp.Rational(10) ** int(m.group(1))] = sp.Pow(10, int(m.group(1)), evaluate=False)
        for m in _DECIMAL.finditer(source):
            digits = m.group(1) + m.group(2)
            value = sp.Rational(int(digits), 10 ** len(m.group(2)))
            decimals[value] = sp.Float(value, max(len(digits.lstrip("0")), 1))
            decimals[-value] = -decimals[value]  # -3663.5 is one number to the parser
        if decimals:
            with sp.evaluate(False):
                expr = expr.xreplace(decimals)
        printer = _READ_PRINTERS[r"\partial" if r"\partial" in source else "d"]
        tex = printer.doprint(expr)
    except _PRINT_FAILURES:
        return None
    tex = _BRACKET_NUMBER.sub(r"\1 \\cdot ", tex)
    if _TEXT_COMMAND.search(tex):
        return None  # a command in text mode (\text{\Pi}) would not compile
    return tex if 0 < len(tex) <= MAX_MATH else None


#: The head of an order term ``O(`` / ``\mathcal{O}\left(``, with the sign before it.
_ORDER_HEAD = re.compile(r"([+-])\s*(?:\\mathcal\s*\{\s*O\s*\}|(?<![A-Za-z\\])O)\s*(?:\\left\s*)?\(")


def split_order_term(text: str) -> tuple[str, str] | None:
    """``a + b + O(\\epsilon^2)`` -> (``a + b``, ``\\epsilon^2``): an order term
    added at the top level of the expression (not inside a bracket), or None."""
    for m in _ORDER_HEAD.finditer(text):
        before = text[:m.start()]
        if sum(before.count(c) for c in "({[") != sum(before.count(c) for c in ")}]"):
            continue  # inside a bracket: not a term of the whole expression
        depth, end = 0, None
        for k in range(m.end() - 1, len(text)):
            depth += {"(": 1, ")": -1}.get(text[k], 0)
            if depth == 0:
                end = k
                break
        if end is None:
            return None
        inner = re.sub(r"\\right\s*$", "", text[m.end():end]).strip()
        rest = (before + " " + text[end + 1:]).strip()
        if not inner or not rest:
            return None
        return rest, inner
    return None


def _parse_with_order_term(text: str, pm: ProblemMath) -> Any:
    """:func:`engine.read.parse.parse_latex` of ``text``; a series written with an
    order term (``... + O(\\epsilon^2)``) is read as the expansion plus
    sympy's Order in the symbols of the term (at 0)."""
    from engine.read import parse

    def read(t: str) -> Any:
        return parse.parse_latex(t, superscript_index_symbols=pm.index_letters, functions=pm.functions)

    split = split_order_term(text)
    if split is None:
        return read(text)
    rest, inner = split
    expansion, order = read(rest), read(inner)
    if not isinstance(expansion, sp.Expr) or not isinstance(order, sp.Expr) or not order.free_symbols:
        raise parse.ParseError("an order term O(...) of something that is not a power of a variable")
    return expansion + sp.Order(order, *[(v, 0) for v in sorted(order.free_symbols, key=str)])


def _order_terms(expr: Any, source: str) -> Any:
    """``O(\\epsilon^2)`` read by the grammar as the product ``O \\epsilon^2``
    becomes sympy's Order (only when the text writes ``O(``)."""
    if not isinstance(expr, sp.Basic) or not re.search(r"(?:\\mathcal\{O\}|(?<![A-Za-z\\])O)\s*(?:\\left)?\s*\(", source):
        return expr
    big_o = [s for s in expr.free_symbols if isinstance(s, sp.Symbol) and s.name == "O"]
    if not big_o or not isinstance(expr, sp.Add):
        return expr
    o = big_o[0]
    terms = []
    for term in expr.args:
        if term.has(o):
            rest = sp.cancel(term / o)
            if rest.has(o) or not rest.free_symbols:
                return expr
            syms = sorted(rest.free_symbols, key=str)
            terms.append(sp.Order(rest, *[(s, 0) for s in syms]))
        else:
            terms.append(term)
    return sp.Add(*terms)
