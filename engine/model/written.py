"""Expressions and numbers as a worked solution writes them, for derivation modules.

sympy evaluates as it builds: ``x**2 / x`` becomes ``x`` and ``sqrt(g**2)``
becomes ``|g|``. A derivation shows each line as written, so its steps are
built with these unevaluated forms (:func:`div`, :func:`times`,
:func:`unevaluated_sum`, ...), and the parameters a sheet gives are shown as
it writes them (0.9, ``10^{-8}``: :func:`number_latex`, :func:`shown`,
:func:`at_parameters`). Display only: every step is still proven equal to
the one before (:mod:`engine.model.verify`).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import sympy as sp

from engine.math import numbers
from engine.model.problem import value_latex

#: Powers of ten at most this small are written 10^{k} (1e-8), larger ones as decimals (0.001).
SMALLEST_DECIMAL_EXPONENT = -4


def power_of_ten(value: sp.Basic) -> int | None:
    """k when value = 10^k exactly for an integer k < SMALLEST_DECIMAL_EXPONENT
    (a stabilizer epsilon such as 1e-8), else None."""
    value = sp.Rational(value)
    if value <= 0 or value.p != 1:
        return None
    k = len(str(value.q)) - 1
    return -k if -k < SMALLEST_DECIMAL_EXPONENT and value.q == 10**k else None


def number_latex(value: sp.Basic) -> str:
    """LaTeX of a parameter as the sheet writes it: ``10^{-8}`` for a small
    power of ten, else by :func:`engine.model.problem.value_latex` (0.9, 0.999)."""
    k = power_of_ten(value)
    return f"10^{{{k}}}" if k is not None else value_latex(value)


def approx_latex(value: sp.Basic) -> str:
    """LaTeX of a closed number by the display policy, a power of ten
    written ``10^{k}`` (``1.0 \\times 10^{-11}`` reads as ``10^{-11}``)."""
    if power_of_ten(value) is not None:
        return number_latex(value)
    text = numbers.latex_number(value)
    return text[len("1.0 \\times "):] if text.startswith("1.0 \\times 10^") else text


def shown(value: sp.Rational) -> sp.Basic:
    """A parameter as the sheet writes it, for display: 9/10 -> 0.9 (a
    30-digit Float), 1/10^8 -> a symbol printed ``10^{-8}``, other rationals
    unchanged."""
    if power_of_ten(value) is not None:
        return sp.Symbol(number_latex(value), positive=True)
    q = value.q
    for prime in (2, 5):
        while q % prime == 0:
            q //= prime
    return sp.Float(numbers.format_number(value, 30), 30) if q == 1 and value.q != 1 else value


def at_parameters(expr: sp.Basic, at: Mapping[sp.Symbol, sp.Rational]) -> sp.Basic:
    """``expr`` at the exact parameter values, numbers written as decimals
    where the sheet would (1 - 0.9 shows as 0.1), for display."""
    value = expr.xreplace(dict(at))
    exponents = {p.exp for p in value.atoms(sp.Pow)}
    return value.xreplace({r: shown(r) for r in value.atoms(sp.Rational) if r.q != 1 and r not in exponents})


def unevaluated_sqrt(expr: sp.Basic) -> sp.Basic:
    """sqrt(expr) kept as written (sympy folds sqrt(g^2) into |g|)."""
    return sp.Pow(expr, sp.S.Half, evaluate=False)


def div(numerator: sp.Basic, denominator: sp.Basic) -> sp.Basic:
    """numerator / denominator kept as written (no cancelling)."""
    return sp.Mul(numerator, sp.Pow(denominator, -1, evaluate=False), evaluate=False)


def times(a: sp.Basic, b: sp.Basic) -> sp.Basic:
    """a b kept as written (the factors in this order, not multiplied out)."""
    return sp.Mul(a, b, evaluate=False)


def product_sum(pairs: Sequence[tuple[sp.Basic, sp.Basic]]) -> sp.Basic:
    """a_1 b_1 + a_2 b_2 + ... kept as written (0 for no pairs)."""
    if not pairs:
        return sp.Integer(0)
    if len(pairs) == 1:
        return times(*pairs[0])
    return sp.Add(*[times(a, b) for a, b in pairs], evaluate=False)


def unevaluated_sum(terms: Sequence[sp.Basic]) -> sp.Basic:
    """t_1 + t_2 + ... kept as written (one term: the term itself)."""
    return sp.Add(*terms, evaluate=False) if len(terms) > 1 else terms[0]
