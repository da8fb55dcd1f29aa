"""C1 autograd against PyTorch in float64: y and x.grad of the sheet's snippet
(run as written, and as the solution prints it), at the sheet's x and at
overridden vectors; the symbolic dy/dx_i against mpmath finite differences."""
from __future__ import annotations

import contextlib
import io
import json
import runpy

import mpmath
import pytest
import sympy as sp
import torch

from derivations import autograd
from engine.model import variants
from engine.errors import UsageError
from engine.model.problem import Code

VECTORS = [
    ({}, [0.1, 0.0, 0.2, 1.0]),
    ({"x": "[0.5, -0.5, 1.5]"}, [0.5, -0.5, 1.5]),
    ({"x": "[0, 0, 0, 0, 2, -0.9]"}, [0.0, 0.0, 0.0, 0.0, 2.0, -0.9]),
]
SET_IDS = ["sheet", "n=3", "n=6"]


def torch_snippet(values):
    """The program of problems.md C1, verbatim but in float64."""
    x = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    a = x + 1
    b = a ** (4 * x)
    c = (b + 3) * 5
    y = c.mean()
    y.backward()
    return y.item(), x.grad.tolist()


@pytest.mark.parametrize("overrides, values", VECTORS, ids=SET_IDS)
def test_y_and_x_grad_match_torch(overrides, values):
    sol = autograd.PROBLEM.solve(overrides)
    y, grad = torch_snippet(values)
    assert sol.answers["autograd.y"].json_value == pytest.approx(y, rel=1e-14)
    assert sol.answers["autograd.x_grad"].json_value == pytest.approx(grad, rel=1e-13, abs=1e-15)


def test_sheet_values_are_exact():
    sol = autograd.PROBLEM.solve()
    grad = sol.answers["autograd.x_grad"].value
    assert grad[1] == 0
    assert sp.simplify(grad[3] - (40 + 80 * sp.log(2))) == 0  # x = 1: a = 2, b = 16, (5/4) 16 (4 log 2 + 2)


@pytest.mark.parametrize("overrides, values", VECTORS, ids=SET_IDS)
def test_printed_snippet_runs_and_agrees(overrides, values, tmp_path):
    sol = autograd.PROBLEM.solve(overrides)
    (code,) = [b for p in sol.parts for b in p.blocks if isinstance(b, Code)]
    path = tmp_path / "snippet.py"
    path.write_text(code.source)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        namespace = runpy.run_path(str(path), run_name="__main__")
    assert namespace["x"].tolist() == values
    assert namespace["y"].item() == pytest.approx(sol.answers["autograd.y"].json_value, rel=1e-14)
    assert namespace["x"].grad.tolist() == pytest.approx(sol.answers["autograd.x_grad"].json_value, rel=1e-13, abs=1e-15)


@pytest.mark.parametrize("point", ["-0.5", "0", "0.1", "0.75", "2"])
def test_symbolic_derivative_matches_mpmath_finite_difference(point):
    closed = autograd.PROBLEM.solve().answers["autograd.dy_dx_symbolic"].value
    assert closed.free_symbols == {autograd.x_i}

    def y_of(t):  # y as a function of one entry, the other three held fixed
        return 5 * ((t + 1) ** (4 * t) + 3) / 4 + mpmath.mpf(7)

    with mpmath.workdps(40):
        reference = mpmath.diff(y_of, mpmath.mpf(point))
        ours = mpmath.mpf(str(sp.N(closed.xreplace({autograd.x_i: sp.Rational(point)}), 45)))
        assert abs(ours - reference) <= mpmath.mpf(10) ** -25 * max(1, abs(reference))


def test_plain_power_rule_is_not_the_answer():
    # d(a^{4x})/dx treated as a plain power misses the 4 log a term.
    closed = autograd.PROBLEM.solve().answers["autograd.dy_dx_symbolic"].value
    x = autograd.x_i
    plain = sp.Rational(5, 4) * 4 * x * (x + 1) ** (4 * x - 1)
    assert abs(float((closed - plain).subs(x, sp.Rational(1, 2)))) > 0.1


@pytest.mark.parametrize("overrides, fragment", [
    ({}, r"\mathbf{x} = \left(0.1, 0, 0.2, 1\right)$"),
    ({"x": "[0.5, -0.5, 1.5]"}, r"\mathbf{x} = \left(0.5, -0.5, 1.5\right)$"),
])
def test_statement_shows_the_current_x(overrides, fragment):
    assert fragment in autograd.PROBLEM.solve(overrides).statement_text


@pytest.mark.parametrize("raw, message", [
    ("[0.1, -1]", "x_2 = -1 must be greater than -1 (a = x + 1 > 0 is the base of a real power)"),
    ("[]", "x must be a list of numbers, e.g. [0.1, 0, 0.2, 1]"),
    ("3", "x must be a list of numbers, e.g. [0.1, 0, 0.2, 1]"),
])
def test_ill_posed_x_is_a_usage_error(raw, message):
    with pytest.raises(UsageError) as info:
        autograd.PROBLEM.solve({"x": raw})
    assert str(info.value) == f"problem 'autograd' is not well posed at these values: {message}"


def test_answers_json_has_every_id(derive):
    result = derive("answers", "autograd", "--format", "json")
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout)["autograd"]["answers"]
    assert list(answers) == list(autograd.PROBLEM.answer_ids)
    assert isinstance(answers["autograd.x_grad"]["value"], list) and len(answers["autograd.x_grad"]["value"]) == 4


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_exam_variants_match_torch(seed):
    values = variants.draw(autograd.PROBLEM, seed)
    sol = autograd.PROBLEM.solve(values)
    y, grad = torch_snippet([float(v) for v in values["x"]])
    assert sol.answers["autograd.y"].json_value == pytest.approx(y, rel=1e-14)
    assert sol.answers["autograd.x_grad"].json_value == pytest.approx(grad, rel=1e-13, abs=1e-15)
