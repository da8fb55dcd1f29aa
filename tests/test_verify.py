"""A wrong step in a derivation is a VerificationError that names the
problem, the part and the step (engine.model.verify through engine.model.problem)."""
from __future__ import annotations

import re

import pytest
import sympy as sp

from engine.errors import VerificationError
from engine.model.problem import Problem

x = sp.Symbol("x", positive=True)
c = sp.Symbol("c", real=True)
u, a, b, f = sp.symbols("u a b f")
g = sp.Symbol("g_1", real=True, nonzero=True)
eps = sp.Symbol("epsilon", positive=True)
alpha = sp.Symbol("alpha", positive=True)
X_DOMAIN = (1.2, 4.0)


def toy(body) -> Problem:
    """A one-part problem "toy" whose part (b) runs ``body(part)``."""

    def solve(sol):
        sol.domain[x] = X_DOMAIN
        with sol.part("b", "a small derivation") as part:
            part.define(f, a * b)
            part.define(a, u + c)
            part.define(b, u - c)
            part.define(u, x**2 / sp.log(x))
            body(part)

    return Problem("toy", "Toy", "A", (), (), solve)


def wrong_sum(part):
    part.derivation(sp.Add(2, 3, evaluate=False)).step(sp.Integer(6), "addition")


def wrong_second_step(part):
    d = part.derivation(sp.Mul(2, 3, evaluate=False))
    d.step(sp.Integer(6), "multiplication")
    d.step(sp.Integer(7), "carelessness")


def wrong_quotient_rule(part):
    # the sign of the second term is wrong: d/dx (x^2 / log x) = 2x/log x - x/log^2 x
    part.derivation(sp.Derivative(x**2 / sp.log(x), x)).step(2 * x / sp.log(x) + x / sp.log(x) ** 2, "quotient rule")


def wrong_expansion(part):
    # what sympy 1.14's own series gives (it expands |g| as g): wrong for g < 0
    part.derivation(-alpha * g / (sp.Abs(g) + eps)).series(-alpha + alpha * eps / g + sp.Order(eps**2), eps, 2)


def wrong_product_rule_through_definitions(part):
    # d(ab)/dc with a = u + c, b = u - c is b - a; the sign here is wrong
    part.derivation(sp.Derivative(f, c)).step(a - b, "product rule")


SERIES_RULE = re.escape(r"series expansion in $\epsilon$ about 0, up to $O(\epsilon^{2})$")
NUMBER = r"-?[0-9.]+(?:e[-+]?[0-9]+)?"


@pytest.mark.parametrize("body, pattern", [
    (wrong_sum, re.escape(
        "toy, part (b), step 1 (addition) does not follow from the line before: "
        "the previous line is 5.000000000 and this line is 6.000000000")),
    (wrong_second_step, re.escape(
        "toy, part (b), step 2 (carelessness) does not follow from the line before: "
        "the previous line is 6.000000000 and this line is 7.000000000")),
    (wrong_quotient_rule,
     r"toy, part \(b\), step 1 \(quotient rule\) does not follow from the line before: "
     rf"at x=(?P<x>{NUMBER}) the previous line is {NUMBER} and this line is {NUMBER}"),
    (wrong_expansion,
     rf"toy, part \(b\), step 1 \({SERIES_RULE}\) is not the expansion of the line before: "
     rf"the remainder at epsilon = 1e-12 is {NUMBER}, not O\(epsilon\^2\)"),
    (wrong_product_rule_through_definitions,
     r"toy, part \(b\), step 1 \(product rule\) does not follow from the line before: "
     rf"at c=(?P<c>{NUMBER}) the previous line is (?P<previous>{NUMBER}) and this line is (?P<this>{NUMBER})"),
], ids=["closed-sum", "second-step", "quotient-rule", "abs-series", "definitions-in-derivative"])
def test_wrong_step_names_problem_part_and_step(body, pattern):
    with pytest.raises(VerificationError) as info:
        toy(body).solve()
    match = re.fullmatch(pattern, str(info.value))
    assert match is not None, str(info.value)
    if "x" in match.groupdict():
        # the counterexample is drawn from the declared domain of x
        assert X_DOMAIN[0] <= float(match["x"]) <= X_DOMAIN[1]
    if "previous" in match.groupdict():
        # u cancels: the counterexample shows df/dc = -2c against 2c
        assert float(match["previous"]) == pytest.approx(-2 * float(match["c"]), rel=1e-5)
        assert float(match["this"]) == pytest.approx(2 * float(match["c"]), rel=1e-5)


def right_steps(part):
    d = part.derivation(sp.Derivative(f, c))
    d.step(b * sp.Derivative(a, c) + a * sp.Derivative(b, c), "product rule")
    d.step(b - a, "the partials of a and b")
    d.step(-2 * c, "b - a = -2c")
    e = part.derivation(-alpha * g / (sp.Abs(g) + eps))
    e.series(-alpha * sp.sign(g) * (1 - eps / sp.Abs(g)) + sp.Order(eps**2), eps, 2)


def test_right_steps_are_accepted_with_their_proofs():
    sol = toy(right_steps).solve()
    steps = [s for block in sol.parts[0].blocks for s in getattr(block, "steps", [])]
    assert [s.proof.method for s in steps[:3]] == ["structural", "structural", "structural"]
    assert steps[3].relation == "series" and steps[3].proof is not None
