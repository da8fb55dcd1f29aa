"""A1 autodiff against independent references: PyTorch autograd in float64
(every primal v_i and adjoint vbar_i, through retain_grad on the
intermediates), mpmath finite differences for df/dx, and the PyTorch snippet
of part (d) run as written."""
from __future__ import annotations

import contextlib
import io
import runpy
from fractions import Fraction

import mpmath
import pytest
import sympy as sp
import torch

from derivations import autodiff
from engine.math import numbers
from engine.errors import UsageError
from engine.model.problem import Code, Table, Text

#: Parameter sets (as typed on the command line) and their exact values.
PARAMETER_SETS = [
    ({}, (Fraction(3), Fraction(5))),
    ({"x": "2", "c": "7"}, (Fraction(2), Fraction(7))),
    ({"x": "1.5", "c": "-3"}, (Fraction(3, 2), Fraction(-3))),
    ({"x": "7/2", "c": "0.25"}, (Fraction(7, 2), Fraction(1, 4))),
]
SET_IDS = ["defaults", "x=2,c=7", "x=1.5,c=-3", "x=7/2,c=0.25"]
TRACE_KEYS = ["v_-1", "v0", "v1", "v2", "v3", "v4", "v5", "v6"]
REL = 1e-12


def torch_trace(x0: float, c0: float) -> tuple[dict[str, float], dict[str, float]]:
    """Primal values and adjoints of the trace of problems.md A1 (b), by
    PyTorch autograd in float64: retain_grad keeps .grad of every v_i."""
    c = torch.tensor(c0, dtype=torch.float64, requires_grad=True)
    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    v = {"v_-1": c, "v0": x}
    v["v1"] = v["v0"] ** 2
    v["v2"] = torch.log(v["v0"])
    v["v3"] = v["v1"] / v["v2"]
    v["v4"] = v["v3"] + v["v_-1"]
    v["v5"] = v["v3"] - v["v_-1"]
    v["v6"] = v["v4"] * v["v5"]
    for tensor in v.values():
        if not tensor.is_leaf:
            tensor.retain_grad()
    v["v6"].backward()
    return {k: t.item() for k, t in v.items()}, {k: t.grad.item() for k, t in v.items()}


def torch_hook_grads(x0: float, c0: float) -> dict[str, float]:
    """x.grad, c.grad and du/dx-adjoint of f = (u + c)(u - c), u = x^2/log x,
    the adjoint of u captured by a tensor hook."""
    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    c = torch.tensor(c0, dtype=torch.float64, requires_grad=True)
    seen = {}

    def keep(grad: torch.Tensor) -> None:
        seen["u"] = grad.item()

    u = x**2 / torch.log(x)
    u.register_hook(keep)
    f = (u + c) * (u - c)
    f.backward()
    return {"x": x.grad.item(), "c": c.grad.item(), "u": seen["u"], "f": f.item()}


@pytest.fixture(scope="module", params=range(len(PARAMETER_SETS)), ids=SET_IDS)
def solved(request):
    overrides, (x0, c0) = PARAMETER_SETS[request.param]
    return autodiff.PROBLEM.solve(overrides), float(x0), float(c0), (x0, c0)


@pytest.mark.parametrize("key", TRACE_KEYS)
def test_primal_trace_matches_torch(solved, key):
    sol, x0, c0, _ = solved
    primal, _ = torch_trace(x0, c0)
    assert sol.answers[f"autodiff.trace.{key}"].json_value == pytest.approx(primal[key], rel=REL, abs=1e-14)


@pytest.mark.parametrize("key", TRACE_KEYS)
def test_adjoint_trace_matches_torch(solved, key):
    sol, x0, c0, _ = solved
    _, adjoint = torch_trace(x0, c0)
    assert sol.answers[f"autodiff.adjoint.{key}"].json_value == pytest.approx(adjoint[key], rel=REL, abs=1e-14)


@pytest.mark.parametrize("answer_id, key", [("autodiff.f", "f"), ("autodiff.df_dx", "x"), ("autodiff.df_dc", "c")])
def test_f_and_gradients_match_torch_grad(solved, answer_id, key):
    sol, x0, c0, _ = solved
    assert sol.answers[answer_id].json_value == pytest.approx(torch_hook_grads(x0, c0)[key], rel=REL)


def test_adjoint_of_u_is_sum_of_adjoints_of_a_and_b(solved):
    # The tensor hook on u sees vbar_3 (u = v_3), the sum over its two children.
    sol, x0, c0, _ = solved
    assert sol.answers["autodiff.adjoint.v3"].json_value == pytest.approx(torch_hook_grads(x0, c0)["u"], rel=REL)


def _mp(value: sp.Basic) -> mpmath.mpf:
    """A closed sympy value as an mpmath number at the working precision."""
    return mpmath.mpf(str(sp.N(value, 45)))


def _f_mp(x, c):
    u = x**2 / mpmath.log(x)
    return (u + c) * (u - c)


def test_df_dx_matches_mpmath_finite_difference(solved):
    sol, _, _, (x0, c0) = solved
    with mpmath.workdps(40):
        xm, cm = mpmath.mpf(x0.numerator) / x0.denominator, mpmath.mpf(c0.numerator) / c0.denominator
        reference = mpmath.diff(lambda t: _f_mp(t, cm), xm)
        ours = _mp(sol.answers["autodiff.df_dx"].value)
        assert abs(ours - reference) <= mpmath.mpf(10) ** -25 * abs(reference)


def test_df_dc_matches_mpmath_finite_difference(solved):
    sol, _, _, (x0, c0) = solved
    with mpmath.workdps(40):
        xm, cm = mpmath.mpf(x0.numerator) / x0.denominator, mpmath.mpf(c0.numerator) / c0.denominator
        reference = mpmath.diff(lambda s: _f_mp(xm, s), cm)
        ours = _mp(sol.answers["autodiff.df_dc"].value)
        assert abs(ours - reference) <= mpmath.mpf(10) ** -25 * max(1, abs(reference))


@pytest.mark.parametrize("x_value", ["1.1", "2", "3", "5.5", "12"])
def test_symbolic_derivative_matches_finite_difference(x_value):
    closed = autodiff.PROBLEM.solve().answers["autodiff.df_dx_symbolic"].value
    assert closed.free_symbols == {autodiff.x}
    with mpmath.workdps(40):
        xm = mpmath.mpf(x_value)
        reference = mpmath.diff(lambda t: _f_mp(t, mpmath.mpf(5)), xm)
        ours = _mp(closed.xreplace({autodiff.x: sp.Rational(x_value)}))
        assert abs(ours - reference) <= mpmath.mpf(10) ** -25 * abs(reference)


def test_pytorch_snippet_runs_and_prints_our_adjoints(solved, tmp_path):
    sol, x0, c0, _ = solved
    (code,) = [b for p in sol.parts if p.label == "d" for b in p.blocks if isinstance(b, Code)]
    path = tmp_path / "snippet.py"
    path.write_text(code.source)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(str(path), run_name="__main__")
    f_value, x_grad, c_grad = (float(word) for word in out.getvalue().split())
    assert f_value == pytest.approx(sol.answers["autodiff.f"].json_value, rel=REL)
    assert x_grad == pytest.approx(sol.answers["autodiff.df_dx"].json_value, rel=REL)
    assert c_grad == pytest.approx(sol.answers["autodiff.df_dc"].json_value, rel=REL)
    assert "dtype=torch.float64" in code.source


def test_part_d_states_the_torch_values_by_the_display_policy(solved):
    sol, x0, c0, _ = solved
    grads = torch_hook_grads(x0, c0)
    text = " ".join(b.source for p in sol.parts if p.label == "d" for b in p.blocks if isinstance(b, Text))
    for value in (grads["x"], grads["c"]):
        # float64 integers (c.grad = -2c) are integers to the display policy
        shown = sp.Integer(round(value)) if abs(value - round(value)) < 1e-9 else sp.Float(value, 17)
        assert f"{numbers.latex_number(shown)}$" in text


def test_trace_tables_have_one_row_per_variable(solved):
    sol = solved[0]
    tables = {p.label: [b for b in p.blocks if isinstance(b, Table)] for p in sol.parts}
    (primal,), (adjoint,) = tables["b"], tables["c"]
    assert [str(row[0]) for row in primal.rows] == [f"v_{{{i}}}" for i in range(-1, 7)] + ["f"]
    assert [str(row[0]) for row in adjoint.rows] == [rf"\bar{{v}}_{{{i}}}" for i in range(6, -2, -1)]


@pytest.mark.parametrize("overrides, expected", [
    ({}, ["x = 3", "c = 5"]),
    ({"x": "2", "c": "7"}, ["x = 2", "c = 7"]),
    ({"x": "2.5"}, ["x = 2.5", "c = 5"]),
])
def test_statement_shows_the_current_parameters(overrides, expected):
    statement = autodiff.PROBLEM.solve(overrides).statement_text
    for fragment in expected:
        assert f"${fragment}$" in statement


@pytest.mark.parametrize("overrides, message", [
    ({"x": "1"}, "problem 'autodiff' is not well posed at these values: x = 1 must be greater than 1 "
                 "(log x > 0 in the denominator)"),
    ({"x": "-2"}, "problem 'autodiff' is not well posed at these values: x = -2 must be greater than 1 "
                  "(log x > 0 in the denominator)"),
    ({"c": "five"}, "c='five' is not a number; write a decimal like 0.9, 1e-8 or a fraction like 9/10"),
])
def test_bad_parameters_are_usage_errors(overrides, message):
    with pytest.raises(UsageError) as info:
        autodiff.PROBLEM.solve(overrides)
    assert str(info.value) == message


def test_every_part_is_present_and_every_step_is_proved():
    sol = autodiff.PROBLEM.solve()
    assert [p.label for p in sol.parts] == ["a", "b", "c", "d"]
    for part in sol.parts:
        for block in part.blocks:
            for step in getattr(block, "steps", []):
                assert step.relation == "def" or step.proof is not None
