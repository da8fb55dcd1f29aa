"""The read stage's plain-text math (engine/read/plaintext.py), prose claims
(engine/read/prose.py), and the checker's rounding and float32 rules
(engine/check/rounding.py, engine/check/float32.py): each against values
worked out by hand or by an independent computation (numpy's float32)."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from engine.check import float32, rounding
from engine.read import plaintext, prose


@pytest.mark.parametrize("line, expected", [
    ("v2 = log v0 = 1.099", r"$v_{2} = \log v_{0} = 1.099$"),
    ("v4 = v3 + v-1 = 13.19", r"$v_{4} = v_{3} + v_{-1} = 13.19$"),
    ("dL/dU = [[2, 4], [2, 0.8]]", r"$\frac{\partial L}{\partial U} = \begin{bmatrix} 2 & 4 \\ 2 & 0.8 \end{bmatrix}$"),
    ("x.grad = (0,9673; 0; 2,019; 95,45)", r"$x.\mathrm{grad} = (0.9673, 0, 2.019, 95.45)$"),
    ("N = 138,357,544 parameters", r"$N = 138357544$ parameters"),
    ("total = 138,357,544 parameters", "total = 138,357,544 parameters"),   # words: the prose reader's
    ("b) o = 0.5 , Delta w = 0.25 x 0.5 = 0.125", r"b) $o = 0.5$ , $\Delta w = 0.25 \times 0.5 = 0.125$"),
])
def test_plain_text_equations(line, expected):
    assert plaintext.rewrite(line) == expected


@pytest.mark.parametrize("line", [
    "sigma'(z) = sigma(z)(1 - sigma(z)) is largest at z",     # the middle is prose: no claim on sigma'
    "y = 1/4 sum c_i",                                       # the value goes on in words: not 1/4
    "conv layers : sum over 3 x 3 x C_in x C_out = 14710464",  # C_out is inside the words' expression
    "Reg no: 0000000",
])
def test_prose_is_not_read_as_an_equation(line):
    out = plaintext.rewrite(line)
    assert "$\\sigma'" not in out and "$y = 1 / 4$" not in out and "$C_{out} =" not in out
    assert out.count("$") == 0 or line.startswith("sigma")


def test_a_matrix_in_plain_text_is_named_by_the_words_after_it():
    text = "8\t6\n-0.5\t-0.5\n\n: values of the matrix U\n"
    lines = plaintext.rewrite(text).split("\n")
    assert lines[0] == r"$U = \begin{bmatrix} 8 & 6 \\ -0.5 & -0.5 \end{bmatrix}$"
    assert lines[1] == "" and len(lines) == 5        # line numbers kept


def test_a_markdown_table_of_numbers_named_in_its_corner():
    text = "| V | c1 | c2 |\n|---|---|---|\n| r1 | 8 | 6 |\n| r2 | -0.05 | -0.05 |"
    assert plaintext.rewrite(text).split("\n")[0] == r"$V = \begin{bmatrix} 8 & 6 \\ -0.05 & -0.05 \end{bmatrix}$"


def test_a_printout_after_print():
    assert plaintext.rewrite(">>> print(y)\ntensor(38.9949, grad_fn=<MeanBackward0>)") == ">>> print(y)\n$y = 38.9949$"


def test_delta_for_partial_and_the_other_class_letter():
    assert plaintext.rewrite(r"$\frac{\delta o_1}{\delta net_1} = o_1$") == r"$\frac{\partial o_1}{\partial net_1} = o_1$"
    out = plaintext.rewrite(r"for $k \neq y$: $\frac{\partial L}{\partial z_k} = p_k$")
    assert out.endswith(r"$\frac{\partial L}{\partial z_{y'}} = p_{y'}$")


def test_prose_claims():
    assert prose.claims("each output unit sees a 212 x 212 region")[0][1] == r"212 \times 212"
    assert prose.claims("the ratio is roughly 11.9 %") == [("the ratio", r"11.9\%", "approx")]
    assert prose.claims("where it is 1/4") == [("where it", r"\frac{1}{4}", "equal")]
    assert prose.claims("a 3 x 5 window sees 3 x 5 pixels") == []      # not a square region
    assert prose.START_VALUE.search("starting with ")


@pytest.mark.parametrize("source, bound", [
    ("8 + 12 + 0.5 + 0.2", Fraction(1, 10)),                          # 0.05 + 0.05
    (r"8 \cdot 1 + 6 \cdot 2", Fraction(0)),                            # integers are exact as written
    (r"2.5 \times 4", Fraction(4 * 5, 100)),                            # 4 x 0.05
])
def test_rounding_propagates_only_written_decimals(source, bound):
    assert rounding.propagated(source) == bound


def test_rounding_refuses_what_is_not_plain_arithmetic():
    assert rounding.propagated(r"v_1 + 0.5") is None
    assert rounding.propagated(r"\frac{1}{0.0}") is None


def test_float32_printouts():
    exact = 48.75689335076092                      # 108/log(3)^2 - 54/log(3)^3
    printed = repr(float(np.float32(exact)))
    assert float32.is_printout(printed) and float32.matches(printed, exact)
    assert not float32.is_printout("48.7569")     # hand-rounded: the digits written decide
    assert not float32.matches(printed, 48.7570)  # another value


@pytest.mark.parametrize("text", [
    "|" + "-" * 200_000 + "x",                       # a separator row that never closes
    "| a |\n|" + "-" * 100_000 + "\n| 1 |",
    ("1 " * 50_000) + "\n" + ("2 " * 50_000),         # rows too wide for a matrix
    "v = " + "(" * 100_000,
    "x = " + "1 x " * 100_000,
    "$\\frac{\\delta " + "a" * 100_000 + "}{\\delta b}$",
])
def test_hostile_lines_are_read_in_linear_time(text):
    import time
    start = time.process_time()
    plaintext.rewrite(text)
    prose.claims(text)
    assert time.process_time() - start < 2.0
