"""The one display policy for numbers, in every output.

* Integers are exact, always (``138357544``).
* Other values are evaluated with mpmath at :data:`WORK_DIGITS` digits and
  shown to :data:`DISPLAY_DIGITS` significant digits (problems.md: "numeric
  answers are reported to at least 6 significant digits") in the rendered
  solutions and the terminal.
* JSON carries integers as integers and everything else as a float that is
  correctly rounded from the exact value (17 significant digits, so at least
  15 are right), nested lists for vectors and matrices.
"""
from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction
from typing import Any

import mpmath
import sympy as sp

from engine.math.written import WrittenNumber

#: Significant digits shown in solutions, tables and the terminal.
DISPLAY_DIGITS = 6
#: Digits of the mpmath evaluation behind every number we print.
WORK_DIGITS = 40


def as_basic(value: Any) -> sp.Basic:
    """A sympy object for one of our own values (int, float, Fraction, sympy).

    Never used on user text: strings are rejected with TypeError."""
    if isinstance(value, sp.Basic):
        return value
    if isinstance(value, bool) or isinstance(value, str):
        raise TypeError(f"not a number: {value!r}")
    if isinstance(value, int):
        return sp.Integer(value)
    if isinstance(value, float):
        return sp.Float(value, 17)
    if hasattr(value, "numerator") and hasattr(value, "denominator"):
        return sp.Rational(value.numerator, value.denominator)
    raise TypeError(f"not a number: {value!r}")


def is_numeric(expr: Any) -> bool:
    """True when ``expr`` is a sympy expression or matrix with no free symbols."""
    if isinstance(expr, (int, float)):
        return True
    if isinstance(expr, sp.MatrixBase):
        return all(is_numeric(e) for e in expr)
    if isinstance(expr, sp.Basic):
        return not expr.free_symbols and not expr.has(sp.Order)
    return False


def evaluate(expr: Any) -> sp.Basic:
    """Evaluate a closed expression to a sympy Integer (when it is one) or a
    Float of :data:`WORK_DIGITS` digits.

    Raises ValueError when ``expr`` has free symbols or is not finite."""
    expr = as_basic(expr)
    if expr.free_symbols:
        raise ValueError(f"cannot evaluate {expr}: free symbols {sorted(map(str, expr.free_symbols))}")
    if expr.is_Integer:
        return expr
    if expr.is_Rational and expr.q == 1:
        return sp.Integer(expr.p)
    value = sp.N(expr, WORK_DIGITS)
    if not value.is_number or value.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        raise ValueError(f"{expr} is not a finite number")
    if value.is_real is False or (isinstance(value, sp.Add) and value.as_real_imag()[1] != 0):
        raise ValueError(f"{expr} is not real")
    if value == int(value) and expr.is_integer:
        return sp.Integer(int(value))
    return sp.Float(value, WORK_DIGITS)


def to_json(expr: Any) -> int | float | list | None:
    """The JSON value of an answer: int for integers, float otherwise,
    nested lists for matrices (a column or row vector becomes a flat list),
    None for symbolic expressions."""
    if isinstance(expr, sp.MatrixBase):
        if not is_numeric(expr):
            return None
        if 1 in expr.shape:
            return [to_json(e) for e in expr]
        return [[to_json(expr[i, j]) for j in range(expr.cols)] for i in range(expr.rows)]
    if isinstance(expr, (list, tuple)):
        values = [to_json(e) for e in expr]
        return None if any(v is None for v in values) else values
    if not is_numeric(expr):
        return None
    value = evaluate(expr)
    if value.is_Integer:
        return int(value)
    with mpmath.workdps(WORK_DIGITS):
        return float(mpmath.mpf(value._mpf_))


def format_number(expr: Any, digits: int = DISPLAY_DIGITS) -> str:
    """Plain-text display of a closed number: exact for integers, otherwise
    ``digits`` significant digits without trailing zeros (``73.7290`` keeps
    its zero only when it is significant in the rounding: we strip them)."""
    value = evaluate(expr)
    if value.is_Integer:
        return str(int(value))
    with mpmath.workdps(WORK_DIGITS):
        text = mpmath.nstr(mpmath.mpf(value._mpf_), digits, strip_zeros=True, min_fixed=-4, max_fixed=digits + 3)
    mantissa, e, exponent = text.partition("e")
    if mantissa.endswith(".0"):  # mpmath keeps one zero: 1.0e-8, 123457.0
        mantissa = mantissa[:-2]
    if exponent.startswith("+"):
        exponent = exponent[1:]
    return mantissa + e + exponent


def latex_number(expr: Any, digits: int = DISPLAY_DIGITS) -> str:
    """LaTeX display of a closed number; scientific notation as ``a \\times 10^{k}``."""
    text = format_number(expr, digits)
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


def python_literal(value: Any) -> str:
    """A Python float literal for an exact rational, for code snippets
    (PyTorch listings): ``3.0``, ``0.25``, and ``2/3`` when no finite
    decimal exists."""
    value = as_basic(value)
    if value.q == 1:
        return f"{value.p}.0"
    if terminates(value):
        return str(Decimal(value.p) / Decimal(value.q))
    return f"{value.p}/{value.q}"


def is_exact_simple(expr: Any) -> bool:
    """True when a closed value is shown exactly as it stands: an integer or a
    rational with a short denominator. Others get ``\\approx`` and 6 digits."""
    expr = as_basic(expr)
    return bool(expr.is_Integer or (expr.is_Rational and expr.q <= 1000))


def terminates(value: Any) -> bool:
    """True when the rational ``value`` has a finite decimal expansion
    (its denominator is 2^a 5^b): ``1/4`` does, ``1/3`` does not."""
    q = int(as_basic(value).q)
    for prime in (2, 5):
        while q % prime == 0:
            q //= prime
    return q == 1


# --------------------------------------------------------------------------- numbers in the checker's reasons


def reason_number(value: Any) -> str:
    """A value for a checker's reason: exact for integers and terminating
    decimals (``0.25``), else 12 significant digits."""
    if isinstance(value, Fraction):
        value = sp.Rational(value.numerator, value.denominator)
    if isinstance(value, sp.Basic) and not value.is_Atom:
        value = value.doit()
    if isinstance(value, sp.Rational) and terminates(value) and len(str(value.q)) <= 20:
        text = format(Decimal(int(value.p)) / Decimal(int(value.q)), "f")
        return text if len(text) <= 24 else mpmath.nstr(mpmath.mpf(value.p) / value.q, 12)
    value = sp.N(value, 30)
    if not value.is_Float:
        return str(value)
    with mpmath.workdps(30):
        return mpmath.nstr(mpmath.mpf(value._mpf_), 12)


def short_decimal(value: Any, digits: int = 8) -> str:
    """A short decimal of an mpf, for messages (integers without ".0"; None is "?")."""
    if value is None:
        return "?"
    if value == int(value) and abs(value) < 10**15:
        return str(int(value))
    return mpmath.nstr(value, digits, strip_zeros=True)


def like_written(value: Fraction, written: WrittenNumber) -> str:
    """``value`` (already rounded at the written digit) in the form of
    ``written``: as many decimals, the same power of ten (``1.38 \\times 10^{8}``)."""
    scientific = "times" in written.text or "cdot" in written.text
    m = re.search(r"10\s*\^\s*\{?\s*([+-]?\s*\d+)", written.text) if scientific else None
    if m:
        power = int(m.group(1).replace(" ", ""))
        decimals = max(0, power - written.exponent)
        mantissa = Decimal(value.numerator) / Decimal(value.denominator) / (Decimal(10) ** power)
        return rf"{mantissa:.{decimals}f} \times 10^{{{power}}}"
    decimals = max(0, -written.exponent)
    return f"{Decimal(value.numerator) / Decimal(value.denominator):.{decimals}f}"


def unit_text(exponent: int) -> str:
    """One unit of the digit at 10**exponent: ``0.01``, ``100``, ``1e-5``."""
    return f"1e{exponent}" if exponent < -4 or exponent > 4 else str(Fraction(10) ** exponent if exponent >= 0 else
                                                                      f"0.{'0' * (-exponent - 1)}1")
