"""Students' habits the reader must follow (issue 10), each against what a
grader reads by hand: the product ``3(4)``, the half in ``1/2 (y - t)^2``,
headers ``Question 01`` and ``2a)``, a boxed relation, plain-text trace
tables and adjoint names, space-grouped digits, program printouts in code
fences, a condition (``largest at z = 0``) that claims nothing, and a formula
in given names (``dL/dV = dL/dy W``) judged as a formula."""
from __future__ import annotations

import sympy as sp
import pytest

from engine.check import run as check
from engine.read import plaintext
from engine.read.layout import match_header
from engine.read.parse import parse_latex
from engine.read.segments import unbox_relation

y, t, x = sp.symbols("y t x")


@pytest.mark.parametrize("text, expected", [
    ("3(4)", 12), ("(3)(4)", 12), ("1(8) + 10(6)", 68), ("2 (0.5)", 1), ("0.2 (1) + (-0.4)(0.5)", 0),
])
def test_a_number_before_a_bracketed_number_is_a_product(text, expected):
    assert sp.nsimplify(parse_latex(text).doit()) == expected


@pytest.mark.parametrize("text, expected", [
    ("1/2 (y - t)^2", (y - t) ** 2 / 2), ("1/2 x", x / 2),
    ("1/2x", 1 / (2 * x)),          # no space: the grammar's reading stays
    ("9/1.099", sp.Rational(9000, 1099)),
])
def test_a_fraction_literal_before_a_factor_is_a_coefficient(text, expected):
    got = parse_latex(text)
    assert sp.simplify(got.subs({sp.Symbol("y"): y, sp.Symbol("t"): t, sp.Symbol("x"): x}) - expected) == 0


@pytest.mark.parametrize("text, question, part", [
    ("Question 01", "1", None), ("Q 02 (b)", "2", "b"), ("2a) the delta rule", "2", "a"), ("Problem 2 b)", "2", "b"),
])
def test_headers_with_a_leading_zero_or_a_glued_part(text, question, part):
    header = match_header(text, "ABC")
    assert (header.question, header.part) == (question, part)


@pytest.mark.parametrize("text", ["3 x 3 x 64", "2ab", "1.5 x 10", "Page-2 20) TSS"])
def test_arithmetic_is_not_a_header(text):
    assert match_header(text, "ABC") is None


def test_a_box_around_a_whole_relation_is_dropped():
    assert unbox_relation(r"\boxed{\frac{\partial f}{\partial x} = 48.8}") == r"\frac{\partial f}{\partial x} = 48.8"
    assert unbox_relation(r"\boxed{a} = \boxed{b}") == r"\boxed{a} = \boxed{b}"
    assert unbox_relation(r"\boxed{42}") == r"\boxed{42}"


@pytest.mark.parametrize("line, expected", [
    ("| v_2 | ln v_0 | 1.10 |", r"$$v_{2} = \ln v_{0} = 1.10$$"),
    ("| v_-1 | c | 5 |", r"$$v_{-1} = c = 5$$"),
    ("vbar5 = vbar6 . v4 = 13.2", r"$\bar{v}_{5} = \bar{v}_{6} \cdot v_{4} = 13.2$"),
    ("conv params = 14 714 688", "conv params = 14714688"),   # then the prose reader's: one number
    ("delta w = 0.5 * x = ( 0.0625 , 0.03125 )", r"$\delta w = 0.5 \cdot x = (0.0625, 0.03125)$"),
])
def test_plain_text_habits(line, expected):
    assert plaintext.rewrite(line) == expected


def test_a_printout_in_a_code_fence_is_read():
    text = "```\n>>> print(y)\ntensor(38.9949, grad_fn=<MeanBackward0>)\n>>> e / e.sum()\narray([0.09, 0.24, 0.66])\n```"
    lines = plaintext.rewrite(text).split("\n")
    assert len(lines) == 6                       # the line numbers stay
    assert lines[2] == "$y = 38.9949$" and lines[4] == "$(0.09, 0.24, 0.66)$"
    assert "```" not in lines


def _verdicts(tmp_path, text: str, sheet: str) -> dict:
    path = tmp_path / "s.md"
    path.write_text(text, encoding="utf-8")
    return {a["id"]: a for a in check.check_file(path, sheet)["answers"]}


def test_a_condition_names_nothing_and_a_pronoun_takes_the_clause_before(tmp_path):
    got = _verdicts(tmp_path, "Question 2\n\n(c) The derivative of the sigmoid is largest at z = 0 , where it is 1/4 .\n", "C")
    # sigma'(0) = sigma(0) (1 - sigma(0)) = 1/2 * 1/2: the maximum is 1/4, not the 0 of "z = 0"
    assert got["delta_rule.sigmoid_grad_max"]["verdict"] == "correct"


def test_a_formula_in_given_names_is_judged_as_a_formula(tmp_path):
    # y written Y; the student's own y is wrong (-0.5), the formula dL/dV = dL/dy W is right:
    # dL/dy = 2 and W = [[1, 2], [10, 4]] give [[2, 4], [20, 8]] (problems.md B1)
    got = _verdicts(tmp_path, "Question 1\n\n(b) $Y = (8 \\times 1) + (-2.05) \\times (4)$\n\n"
                              "(c) $\\frac{\\partial L}{\\partial V} = \\frac{\\partial L}{\\partial Y} \\times W$\n", "B")
    assert got["cnn.dL_dV"]["verdict"] == "correct"
    assert "as a formula" in got["cnn.dL_dV"]["diagnosis"]   # with the student's own y = -0.2: (y - t) W = -17.5 W
