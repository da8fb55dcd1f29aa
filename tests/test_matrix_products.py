"""The checker reads a product as commutative, so it cannot keep the order of
matrix factors: a product of two matrix givens (Q K^T), of a matrix and a
transposed given, or of a matrix and an undefined quantity (A V with A not
defined) is undecided, never a wrong shape. A matrix times a number still
evaluates (engine.check.compare.resolve)."""
from __future__ import annotations

import pytest
import sympy as sp

from engine.check.compare import ProblemMath, Undecided, resolve


def problem() -> ProblemMath:
    return ProblemMath("toy", givens={"Q": sp.ImmutableMatrix([[1, 0], [0, 1]]),
                                      "K": sp.ImmutableMatrix([[1, 0], [0, 1], [1, 2]])})


@pytest.mark.parametrize("expr", [
    sp.Symbol("Q") * sp.Symbol("K"),
    sp.Symbol("Q") * sp.Symbol("K^{T}") / sp.sqrt(2),
    sp.Symbol("A") * sp.Symbol("K"),
    sp.Function("softmax")(sp.Symbol("S")) * sp.Symbol("K"),
])
def test_products_with_a_matrix_are_undecided(expr):
    with pytest.raises(Undecided, match="product of matrices"):
        resolve(problem(), expr, "problem")


def test_a_matrix_times_a_number_evaluates():
    out = resolve(problem(), 2 * sp.Symbol("K"), "problem")
    assert out.expr == sp.ImmutableMatrix([[2, 0], [0, 2], [2, 4]])
