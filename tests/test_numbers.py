"""The display policy (engine.math.numbers) against mpmath and Python's own rounding."""
import json
from fractions import Fraction

import mpmath
import pytest
import sympy as sp

from engine.math import numbers


@pytest.mark.parametrize(
    "expr, expected",
    [
        (sp.Integer(138357544), "138357544"),
        (sp.Rational(1, 4), "0.25"),
        (sp.Rational(-3, 2), "-1.5"),
        (81 / sp.log(3) - 5, None),  # checked against mpmath below
        (sp.pi * 10**9, None),
        (sp.Rational(1, 3) * 10**-7, None),
    ],
)
def test_format_number_has_six_significant_digits(expr, expected):
    text = numbers.format_number(expr)
    if expected is not None:
        assert text == expected
    reference = mpmath.mpf(sp.N(expr, 50))
    assert mpmath.almosteq(mpmath.mpf(text), reference, rel_eps=5e-6)
    if not expr.is_Integer:
        digits = text.split("e")[0].replace("-", "").replace(".", "").lstrip("0")
        assert len(digits) <= numbers.DISPLAY_DIGITS


@pytest.mark.parametrize(
    "expr, reference",
    [
        (sp.Integer(14714688), 14714688),
        (sp.log(3), lambda: mpmath.log(3)),
        (sp.exp(sp.Rational(1, 10)) * sp.Rational(7, 3), lambda: mpmath.exp(mpmath.mpf(1) / 10) * 7 / 3),
    ],
)
def test_json_values_are_exact_integers_or_correctly_rounded_floats(expr, reference):
    value = numbers.to_json(expr)
    assert json.loads(json.dumps(value)) == value
    if isinstance(reference, int):
        assert type(value) is int and value == reference
    else:
        with mpmath.workdps(50):
            assert value == float(reference())


def test_json_matrices_are_nested_lists_and_vectors_flat():
    m = sp.Matrix([[1, sp.Rational(1, 2)], [0, -3]])
    assert numbers.to_json(m) == [[1, 0.5], [0, -3]]
    assert numbers.to_json(sp.Matrix([1, 2, 3])) == [1, 2, 3]
    assert numbers.to_json(sp.Symbol("x") + 1) is None


@pytest.mark.parametrize(
    "value, exact_expected",
    [(0.9, Fraction(9, 10)), (1e-8, Fraction(1, 10**8)), (0.999, Fraction(999, 1000)), (3, Fraction(3))],
)
def test_parameter_defaults_are_exact_rationals(value, exact_expected):
    from engine.model.problem import exact

    got = exact(value)
    assert (got.p, got.q) == (exact_expected.numerator, exact_expected.denominator)
