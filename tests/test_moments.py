"""engine.model.moments against independent references: sympy.stats (the
integrals of concrete laws) and seeded Monte Carlo estimates (numpy), with a
tolerance of 6 standard errors of the sample mean."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
import sympy.stats as st

from engine.errors import NotSupported
from engine.math.latex import to_latex
from engine.model.moments import (Expectation, Variance, expectation, random_family, random_symbol, variance)

i = sp.Symbol("i", integer=True, positive=True)
j = sp.Symbol("j", integer=True, positive=True)
n = sp.Symbol("n", integer=True, positive=True)
s2 = sp.Symbol("s2", positive=True)
p = sp.Symbol("p", positive=True)
X = random_family("X_t", 1, 2)
Y = random_family("Y_t", 0, s2)
Z = random_symbol("Z_t", 0, s2, symmetric=True)
B = random_symbol("B_t", p, p * (1 - p), moments=lambda k: p)
SAMPLES = 400_000


def mc(values: np.ndarray) -> tuple[float, float]:
    """Sample mean and its tolerance (6 standard errors)."""
    return float(values.mean()), 6 * float(values.std(ddof=1)) / np.sqrt(values.size)


def test_linearity_and_independence_match_sympy_stats():
    a, b = st.Normal("a", 1, sp.sqrt(2)), st.Normal("b", 0, 3)
    ours = expectation(3 * X[1] * Y[2] ** 2 + 5 * X[1] ** 2 - 4)
    assert sp.simplify(ours.subs(s2, 9) - st.E(3 * a * b**2 + 5 * a**2 - 4)) == 0


def test_variance_of_a_product_of_independent_variables():
    a, b = st.Normal("a", 1, sp.sqrt(2)), st.Normal("b", 0, 3)
    assert sp.simplify(variance(X[1] * Y[1]).subs(s2, 9) - st.variance(a * b)) == 0


def test_sum_of_symbolic_length():
    assert expectation(sp.Sum(X[i] * Y[i], (i, 1, n))) == 0
    assert sp.simplify(variance(sp.Sum(X[i] * Y[i], (i, 1, n))) - n * 3 * s2) == 0
    assert sp.simplify(variance(sp.Sum(X[i], (i, 1, n)) / sp.sqrt(n)) - 2) == 0


@pytest.mark.parametrize("size", [1, 4, 16])
def test_variance_of_a_dot_product_by_monte_carlo(size):
    rng = np.random.default_rng(size)
    x = rng.normal(1, np.sqrt(2), (SAMPLES, size))
    y = rng.normal(0, 3, (SAMPLES, size))
    dot = (x * y).sum(axis=1)
    ours = float(variance(sp.Sum(X[i] * Y[i], (i, 1, n))).subs({n: size, s2: 9}))
    mean, tol = mc((dot - dot.mean()) ** 2)
    assert abs(mean - ours) <= tol


def test_symmetric_relu_second_moment_matches_sympy_stats_and_monte_carlo():
    z = st.Normal("z", 0, sp.sqrt(s2))
    assert sp.simplify(expectation(sp.Max(0, Z) ** 2) - st.E(sp.Max(0, z) ** 2)) == 0
    rng = np.random.default_rng(5)
    u = rng.uniform(-2, 2, SAMPLES)  # symmetric, not normal: Var = 4/3
    mean, tol = mc(np.maximum(u, 0) ** 2)
    assert abs(mean - float(expectation(sp.Max(0, Z) ** 2).subs(s2, sp.Rational(4, 3)))) <= tol


def test_bernoulli_moments():
    b = st.Bernoulli("b", sp.Rational(3, 10))
    assert variance(B * 7).subs(p, sp.Rational(3, 10)) == st.variance(7 * b)
    assert expectation(B**5).subs(p, sp.Rational(3, 10)) == st.E(b**5)


def test_unevaluated_objects_print_and_evaluate():
    assert to_latex(Expectation(Z)) == r"\mathbb{E}\left[Z_{t}\right]"
    assert to_latex(Variance(Z)) == r"\operatorname{Var}\left(Z_{t}\right)"
    assert Variance(3 * Z).doit() == 9 * s2
    assert Expectation(Z**2).doit() == s2


@pytest.mark.parametrize("expr, words", [
    (lambda: sp.exp(Z), "no rule"),
    (lambda: Z**3 * sp.Heaviside(Z), "even power"),
    (lambda: X[i] * X[j], "may be the same variable"),
    (lambda: X[1] ** 3, "no moment"),
])
def test_no_rule_is_not_supported(expr, words):
    with pytest.raises(NotSupported, match=words):
        expectation(expr())


def test_dependent_sum_terms_have_no_variance_rule():
    with pytest.raises(NotSupported, match="not independent"):
        variance(sp.Sum(X[i] * Z, (i, 1, n)))
