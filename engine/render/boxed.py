"""What a boxed answer shows in the rendered solutions (PDF, fragment, Markdown).

A reader compares the box with the sheet, which gives decimals:

* an integer is exact, its digits grouped in threes from five digits on
  (``138{,}357{,}544``);
* a rational with a finite decimal expansion is that decimal, exactly
  (``68/5`` is ``13.6``, ``[1/16, 1/32]`` is ``[0.0625, 0.03125]``);
* any other closed number is its closed form followed by ``\\approx`` and
  :data:`engine.math.numbers.DISPLAY_DIGITS` significant digits
  (``\\frac{1839336}{15455357} \\approx 0.119009``,
  ``10^{3/5} 11^{2/5} \\approx 10.3``), entrywise for a vector or matrix
  (the closed-form matrix, then ``\\approx`` and the matrix of decimals; the
  ``\\approx`` and the decimals alone when the closed form is longer than
  :data:`MAX_CLOSED_MATRIX`: the label is then followed by ``\\approx``, not ``=``);
* a formula (free symbols) is shown as :attr:`engine.model.problem.Answer.latex` has it.

Only the display changes: values, JSON and the checker's references keep the
exact forms.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import sympy as sp

from engine.math import numbers
from engine.math.latex import to_latex

#: Integers with at least this many digits are grouped in threes.
GROUP_FROM = 5
#: A closed-form matrix longer than this (LaTeX characters) is boxed as its decimals only.
MAX_CLOSED_MATRIX = 160
#: A finite decimal longer than this (significant digits) is shown to DISPLAY_DIGITS with \approx.
MAX_EXACT_DIGITS = 10


def group_digits(n: int) -> str:
    """``138357544`` -> ``138{,}357{,}544`` (LaTeX; ``{,}`` keeps the comma's spacing tight)."""
    text = str(abs(n))
    if len(text) >= GROUP_FROM:
        text = f"{abs(n):,}".replace(",", "{,}")
    return ("-" if n < 0 else "") + text


def finite_decimal(value: sp.Rational) -> str | None:
    """The exact decimal of a rational whose denominator is 2^a 5^b (``13.6``), or
    None (a repeating decimal, or one longer than :data:`MAX_EXACT_DIGITS` digits)."""
    q = value.q
    for prime in (2, 5):
        while q % prime == 0:
            q //= prime
    if q != 1:
        return None
    text = format(Decimal(value.p) / Decimal(value.q), "f")
    if len(text.replace("-", "").replace(".", "").lstrip("0")) > MAX_EXACT_DIGITS:
        return None
    whole, _, fraction = text.partition(".")
    whole_text = group_digits(int(whole)) if whole not in ("-0",) else "-0"
    return whole_text + ("." + fraction if fraction else "")


def _decimal_entry(e: sp.Basic) -> str:
    """One closed number as decimals: exact when finite and short, else 6 digits."""
    e = sp.nsimplify(e) if e.is_Float else e
    if e.is_Integer:
        return group_digits(int(e))
    if e.is_Rational:
        exact = finite_decimal(e)
        if exact is not None:
            return exact
    return numbers.latex_number(e)


def _is_exact_decimal(e: sp.Basic) -> bool:
    return bool(e.is_Integer or e.is_Rational and finite_decimal(e) is not None or e.is_Float)


def scalar_latex(value: sp.Basic) -> str:
    """A closed number as the box shows it (see the module docstring)."""
    value = numbers.as_basic(value)
    if value.is_Float:
        return numbers.latex_number(value)
    if _is_exact_decimal(value):
        return _decimal_entry(value)
    return rf"{to_latex(value)} \approx {numbers.latex_number(value)}"


def matrix_latex(value: sp.MatrixBase) -> str:
    """A closed vector or matrix: decimals when every entry is an exact decimal,
    else the closed form followed by ``\\approx`` and the decimals."""
    body = r" \\ ".join(" & ".join(_decimal_entry(value[i, j]) for j in range(value.cols))
                        for i in range(value.rows))
    decimals = rf"\left[\begin{{matrix}}{body}\end{{matrix}}\right]"
    if all(_is_exact_decimal(e) for e in value):
        return decimals
    exact = to_latex(value)
    if len(exact) > MAX_CLOSED_MATRIX:  # a closed form that would fill the box: the decimals alone
        return rf"\approx {decimals}"
    return rf"{exact} \approx {decimals}"


def boxed_latex(answer: Any) -> str:
    """The LaTeX inside an answer's box (without its label)."""
    value = answer.value
    if value is None:
        return answer.latex
    if isinstance(value, (list, tuple)):
        value = sp.Matrix([list(value)])
    if not numbers.is_numeric(value):
        return answer.latex
    if isinstance(value, sp.MatrixBase):
        return matrix_latex(value)
    return scalar_latex(value)
