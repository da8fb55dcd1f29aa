"""Refuse what cannot finish quickly: size estimates made before computing.

An expression read from outside (``derive diff``, ``derive trace``, a
student's line) is walked once, without evaluating it, and refused with a
one-line :class:`~engine.errors.TooLarge` when

- an exact number in it, or the value of a constant part of it, has more
  than :data:`MAX_DIGITS` decimal digits (``10^{5000}``, ``(10^6)!``,
  ``e^{e^{e^{e^{10}}}}``: the digits of a power are ``e log10 b``, of a
  factorial ``log10 Gamma(n + 1)``, of ``exp(a)`` ``a / ln 10``);
- a power tower is higher than :data:`MAX_TOWER` (``x^{x^{x^{x^{x}}}}``);
- a sum or product has more than :data:`MAX_TERMS` terms
  (``\\sum_{i=1}^{10^{9}}``);
- a matrix has more than :data:`MAX_MATRIX` rows or columns (a symbolic
  determinant grows like n!).

With a point (the values of ``--at``), symbols count with their values, so
``x^{x^{x}}`` at ``x = 10`` is refused and at ``x = 2`` is not. The
estimates are upper bounds in floating point (never the exact value), so
the walk itself is fast: one visit per node. Only sympy and the standard
library are used.
"""
from __future__ import annotations

import math
import re
from typing import Mapping

import sympy as sp

from engine.errors import TooLarge
from engine.math.numbers import as_basic

#: Most decimal digits of a number (exact or estimated). CPython refuses to
#: print an int of more than 4300 digits (sys.get_int_max_str_digits).
MAX_DIGITS = 4000
#: Highest power tower with a non-constant exponent (x^{x^{x^{x}}} is 4).
MAX_TOWER = 4
#: Most terms of a sum or product with numeric bounds.
MAX_TERMS = 10_000
#: Most rows or columns of a matrix.
MAX_MATRIX = 12
#: Most nodes of an expression tree.
MAX_NODES = 20_000

_LN10 = math.log(10.0)
#: Digits above which a number's value is not tracked (only "huge").
_HUGE = float("inf")


def check_size(expr, point: Mapping | None = None, what: str = "the expression") -> None:
    """Raise TooLarge (one line, says what to change) when ``expr`` cannot
    be computed quickly; ``point``: {symbol: value} where it is evaluated."""
    values = {}
    for symbol, value in dict(point or {}).items():
        values[symbol] = _digits(as_basic(value) if isinstance(value, (int, float)) else value, {})
    nodes = 0
    for node in sp.preorder_traversal(expr):
        nodes += 1
        if nodes > MAX_NODES:
            raise TooLarge(f"{what} has more than {MAX_NODES} parts; split it or simplify it")
        _check_node(node, values, what)
    digits = _digits(expr, values)
    if digits is not None and digits > MAX_DIGITS:
        raise TooLarge(f"{what} has a value of {_say(digits)} digits; derive works with at most {MAX_DIGITS} "
                       "digits: use smaller numbers")


_MATRIX = re.compile(r"\\begin\s*\{\s*([pbBvV]?matrix|smallmatrix|array)\s*\}(.*?)\\end\s*\{\s*\1\s*\}", re.S)


def check_text(text: str, what: str = "the expression") -> None:
    """Before parsing: refuse a matrix environment with more than
    :data:`MAX_MATRIX` rows or columns (the reader may compute with it,
    e.g. a determinant, before :func:`check_size` sees it)."""
    for match in _MATRIX.finditer(text):
        rows = match.group(2).split("\\\\")
        columns = max(row.count("&") + 1 for row in rows)
        if max(len(rows), columns) > MAX_MATRIX:
            raise TooLarge(f"a {len(rows)}x{columns} matrix in {what}; at most {MAX_MATRIX}x{MAX_MATRIX}: "
                           "use a smaller matrix")


def _say(digits: float) -> str:
    if digits == _HUGE or digits > 1e300:
        return "astronomically many"
    if digits > 1e6:
        return f"about 10^{int(math.log10(digits))}"
    return f"about {int(digits):,}".replace(",", " ")


def _check_node(node, values: dict, what: str) -> None:
    if isinstance(node, (sp.Sum, sp.Product)):
        for limit in node.limits:
            if len(limit) == 3:
                low, high = _digits_value(limit[1], values), _digits_value(limit[2], values)
                if low is not None and high is not None and high - low + 1 > MAX_TERMS:
                    kind = "sum" if isinstance(node, sp.Sum) else "product"
                    raise TooLarge(f"a {kind} in {what} has {_count(high - low + 1)} terms; at most {MAX_TERMS} "
                                   "are expanded: use fewer terms or a closed form")
    elif isinstance(node, sp.MatrixBase):
        if max(node.shape) > MAX_MATRIX:
            raise TooLarge(f"a {node.shape[0]}x{node.shape[1]} matrix in {what}; at most "
                           f"{MAX_MATRIX}x{MAX_MATRIX}: use a smaller matrix")
    elif isinstance(node, sp.Pow):
        height = _tower(node)
        if height > MAX_TOWER:
            raise TooLarge(f"a power tower of height {height} in {what}; at most {MAX_TOWER}: "
                           "write fewer nested exponents")
    if isinstance(node, (sp.Integer, sp.Rational)) and not isinstance(node, sp.Float):
        digits = _int_digits(node.p) + _int_digits(node.q)
        if digits > MAX_DIGITS:
            raise TooLarge(f"a number of {_say(digits)} digits in {what}; at most {MAX_DIGITS}")
    digits = _digits(node, values)
    if digits is not None and digits > MAX_DIGITS:
        raise TooLarge(f"{_short(node)} in {what} has {_say(digits)} digits; derive works with at most "
                       f"{MAX_DIGITS} digits: use smaller numbers")


def _short(node) -> str:
    text = sp.sstr(node) if sp.count_ops(node, visual=False) < 30 else type(node).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def _count(n: float) -> str:
    return f"about 10^{int(math.log10(n))}" if n >= 1e6 else f"{int(n)}"


def _tower(node) -> int:
    height = 1
    while isinstance(node, sp.Pow) and not node.exp.is_number:
        height += 1
        node = node.exp
    return height


def _int_digits(n: int) -> float:
    """|log10 |n||: the digits of ``n`` (0 for 0 and 1)."""
    n = abs(int(n))
    if n == 0:
        return 0.0
    return math.log10(n) if n.bit_length() < 1000 else n.bit_length() * 0.30103


def _digits_value(e, values: dict) -> float | None:
    """The value of a small number or symbol ``e`` (None when unknown or huge)."""
    if e.is_Integer:
        return float(e) if _int_digits(e.p) < 300 else _HUGE
    if e.is_Symbol and e in values:
        return None
    d = _digits(e, values)
    if d is None or d > 300 or e.free_symbols:
        return None if d is None or d <= 300 else _HUGE
    try:
        return float(sp.N(e, 15))
    except (TypeError, ValueError, OverflowError):
        return None


def _digits(e, values: dict) -> float | None:
    """An upper bound of log10 |e| (the digits of its integer part), or
    None when it depends on a symbol without a value. Never evaluates a
    big number: works on logarithms."""
    if not isinstance(e, sp.Basic):
        return None
    if e.is_Integer or (e.is_Rational and not isinstance(e, sp.Float)):
        return max(_int_digits(e.p), _int_digits(e.q))
    if isinstance(e, sp.Float):
        return abs(math.log10(abs(float(e)))) if e != 0 and math.isfinite(float(e)) else 0.0
    if e.is_Symbol:
        return values.get(e)
    if e in (sp.E, sp.pi, sp.EulerGamma, sp.GoldenRatio, sp.Catalan):
        return 1.0
    if e.is_number and (e.is_infinite or e is sp.nan or e is sp.zoo):
        return 0.0
    args = [_digits(a, values) for a in e.args]
    if isinstance(e, sp.Add):
        return None if None in args else max(args) + math.log10(len(args))
    if isinstance(e, sp.Mul):
        return None if None in args else sum(args)
    if isinstance(e, sp.Pow):
        return _power(e.base, e.exp, args[0], values)
    if isinstance(e, sp.exp):
        return _exp_digits(e.args[0], values)
    if isinstance(e, sp.factorial):
        n = _digits_value(e.args[0], values)
        if n is None:
            return None if args[0] is None else (_HUGE if args[0] > 300 else None)
        return _HUGE if n == _HUGE else (math.lgamma(abs(n) + 1) / _LN10 if abs(n) > 1 else 1.0)
    if isinstance(e, (sp.sin, sp.cos, sp.tanh, sp.Heaviside, sp.sign)):
        return 0.0 if None not in args else None
    if isinstance(e, (sp.log, sp.Abs, sp.Max, sp.Min)) or e.func.__name__ in ("sigmoid", "relu"):
        return None if None in args else max(args + [1.0])
    if isinstance(e, (sp.Sum, sp.Product)):
        return None
    return None if None in args or not args else max(args)


def _exp_digits(arg, values: dict) -> float | None:
    d = _digits(arg, values)
    if d is None:
        return None
    if d > 300:
        return _HUGE
    return max(1.0, 10.0 ** d / _LN10)


def _power(base, exponent, base_digits, values: dict) -> float | None:
    if base_digits is None:
        return None
    exp_digits = _digits(exponent, values)
    if exp_digits is None:
        return None
    if base.is_number and base in (sp.Integer(0), sp.Integer(1), sp.Integer(-1)):
        return 1.0
    if exp_digits > 300:
        return _HUGE
    return 10.0 ** exp_digits * base_digits
