"""``derive trace``: primal and adjoint traces against PyTorch autograd.

The reference is PyTorch in float64: the same function written by hand with
torch operations, its value and ``.grad`` after ``backward()``, and for the
A1 expression of problems.md every intermediate's gradient (``retain_grad``)
against our adjoint of that intermediate.
"""
import json

import pytest
import sympy as sp
import torch

from engine.calculus.differentiate import prepare
from engine.errors import UsageError
from engine.calculus.evaltrace import evaluation_trace, trace_solution
from engine.model.problem import parse_number
from tests.conftest import run_derive

x, y, z, c = sp.symbols("x y z c")
sigma = sp.Function(r"\sigma")
relu = sp.Function("relu")


def _trace(raw, at: list[tuple[str, str]]):
    expr = prepare(raw)
    symbols = {s.name: s for s in expr.free_symbols}
    return evaluation_trace(expr, [(symbols[name], parse_number(v, name)) for name, v in at])


def _torch(fn, at: list[tuple[str, str]]):
    """f and its gradient by PyTorch autograd in float64."""
    t = {name: torch.tensor(float(parse_number(v)), dtype=torch.float64, requires_grad=True) for name, v in at}
    out = fn(t)
    out.backward()
    return out.item(), {name: t[name].grad.item() for name, _ in at}


def _a1_torch(t):
    u = t["x"] ** 2 / torch.log(t["x"])
    return (u + t["c"]) * (u - t["c"])


CASES = [
    ("A1", (x**2 / sp.log(x) + c) * (x**2 / sp.log(x) - c), _a1_torch, [("c", "5"), ("x", "3")]),
    ("sigmoid, tanh and exp", sigma(x * y) * sp.tanh(y) + sp.exp(-x * y) + 1 / (1 + sp.exp(-y)),
     lambda t: torch.sigmoid(t["x"] * t["y"]) * torch.tanh(t["y"]) + torch.exp(-t["x"] * t["y"])
     + 1 / (1 + torch.exp(-t["y"])), [("x", "0.5"), ("y", "2")]),
    ("shared subexpression", sp.sin(x * y) * sp.exp(x * y) + x * y,
     lambda t: torch.sin(t["x"] * t["y"]) * torch.exp(t["x"] * t["y"]) + t["x"] * t["y"], [("x", "0.7"), ("y", "1.3")]),
    ("three inputs", x * y * z + sp.log(x + y**2) / z + sp.sqrt(x * z),
     lambda t: t["x"] * t["y"] * t["z"] + torch.log(t["x"] + t["y"] ** 2) / t["z"] + torch.sqrt(t["x"] * t["z"]),
     [("x", "1.5"), ("y", "-2"), ("z", "3")]),
    ("power tower and quotient", x**x / (1 + y**2) - 3 * y,
     lambda t: t["x"] ** t["x"] / (1 + t["y"] ** 2) - 3 * t["y"], [("y", "0.25"), ("x", "1.7")]),
    ("kinks at 0", relu(x) + sp.Abs(x) * y + sp.Max(x, y),
     lambda t: torch.relu(t["x"]) + torch.abs(t["x"]) * t["y"] + torch.maximum(t["x"], t["y"]), [("x", "0"), ("y", "0")]),
]


@pytest.mark.parametrize("name, raw, fn, at", CASES, ids=[c[0] for c in CASES])
def test_value_and_gradient_agree_with_pytorch(name, raw, fn, at):
    trace = _trace(raw, at)
    value, grad = _torch(fn, at)
    assert float(trace.value) == pytest.approx(value, rel=1e-9, abs=1e-12)
    assert {k: float(v) for k, v in trace.gradient.items()} == pytest.approx(grad, rel=1e-9, abs=1e-12)
    assert [p.index for p in trace.primal] == list(range(1 - len(at), len(trace.primal) - len(at) + 1))
    assert [a.index for a in trace.adjoint] == sorted((p.index for p in trace.primal), reverse=True)


#: The trace of A1 as problems.md (after Baydin et al. 2018, Table 2) writes it.
A1_PRIMAL = [
    "v_{-1} = c", "v_{0} = x", "v_{1} = v_{0}^{2}", r"v_{2} = \log v_{0}", r"v_{3} = \frac{v_{1}}{v_{2}}",
    "v_{4} = v_{3} + v_{-1}", "v_{5} = v_{3} - v_{-1}", "v_{6} = v_{4} v_{5}",
]


def test_a1_primal_trace_is_the_sheets():
    trace = _trace(CASES[0][1], [("c", "5"), ("x", "3")])
    assert [p.latex for p in trace.primal] == A1_PRIMAL
    assert [p.name for p in trace.primal] == ["v_-1", "v0", "v1", "v2", "v3", "v4", "v5", "v6"]


def test_a1_every_adjoint_is_the_gradient_wrt_that_intermediate():
    trace = _trace(CASES[0][1], [("c", "5"), ("x", "3")])
    v = {-1: torch.tensor(5.0, dtype=torch.float64, requires_grad=True),
         0: torch.tensor(3.0, dtype=torch.float64, requires_grad=True)}
    v[1] = v[0] ** 2
    v[2] = torch.log(v[0])
    v[3] = v[1] / v[2]
    v[4] = v[3] + v[-1]
    v[5] = v[3] - v[-1]
    v[6] = v[4] * v[5]
    for k in range(1, 7):
        v[k].retain_grad()
    v[6].backward()
    primal = {p.index: float(p.value) for p in trace.primal}
    adjoint = {a.index: float(a.value) for a in trace.adjoint}
    assert primal == pytest.approx({k: t.item() for k, t in v.items()}, rel=1e-12)
    assert adjoint == pytest.approx({k: t.grad.item() for k, t in v.items()}, rel=1e-12)


def test_a_common_subexpression_is_one_operation():
    trace = _trace(sp.sin(x * y) * sp.exp(x * y) + x * y, [("x", "0.7"), ("y", "1.3")])
    products = [p for p in trace.primal if p.latex.endswith("= v_{-1} v_{0}")]
    assert len(products) == 1
    assert len(trace.primal) == 2 + 5  # x, y; x y, sin, exp, product, sum


def test_inputs_follow_the_order_given():
    trace = _trace(CASES[0][1], [("x", "3"), ("c", "5")])
    assert [p.latex for p in trace.primal[:2]] == ["v_{-1} = x", "v_{0} = c"]


def test_json_names_and_keys():
    doc = _trace(CASES[0][1], [("c", "5"), ("x", "3")]).to_json()
    assert set(doc) == {"value", "primal", "adjoint", "gradient"}
    assert [a["name"] for a in doc["adjoint"]] == ["vbar6", "vbar5", "vbar4", "vbar3", "vbar2", "vbar1", "vbar0", "vbar_-1"]
    assert doc["adjoint"][0]["latex"] == r"\bar{v}_{6} = \bar{f} = 1"
    assert doc["adjoint"][3]["latex"] == (
        r"\bar{v}_{3} = \bar{v}_{4} \frac{\partial v_{4}}{\partial v_{3}} + \bar{v}_{5} \frac{\partial v_{5}}{\partial v_{3}}"
        r" = \bar{v}_{4} + \bar{v}_{5}"
    )
    assert set(doc["gradient"]) == {"c", "x"}
    assert doc["gradient"]["c"] == -10  # d/dc (u^2 - c^2) = -2c


def test_solution_has_the_two_tables_and_the_answers():
    sol = trace_solution(_trace(CASES[0][1], [("c", "5"), ("x", "3")]))
    assert [p.title for p in sol.parts] == ["Forward primal trace", "Reverse adjoint trace"]
    assert set(sol.answers) == {"trace.f", "trace.gradient.c", "trace.gradient.x"}


@pytest.mark.parametrize(
    "raw, at, message",
    [
        (x * y, [("x", "1")], "--at gives no value for y; give every variable, e.g. --at y=1"),
        (sp.log(x), [("x", "-1")], "v1 is not a finite real number at x = -1"),
        (1 / x + x, [("x", "0")], "v1 is not a finite real number at x = 0"),
        (sp.Function("g")(x), [("x", "1")], "v1 has no value: g is a function without a definition"),
    ],
    ids=["missing variable", "log of a negative", "division by zero", "unknown function"],
)
def test_a_point_without_a_trace_is_a_usage_error(raw, at, message):
    with pytest.raises(UsageError) as info:
        _trace(raw, at)
    assert str(info.value) == message


# --------------------------------------------------------------------------- the command


def test_cli_json_agrees_with_pytorch():
    result = run_derive("trace", r"(x^2/\log x + c)(x^2/\log x - c)", "--at", "c=5,x=3", "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    value, grad = _torch(_a1_torch, [("c", "5"), ("x", "3")])
    assert doc["value"] == pytest.approx(value, rel=1e-12)
    assert doc["gradient"] == pytest.approx(grad, rel=1e-12)
    assert [p["latex"] for p in doc["primal"]] == A1_PRIMAL


@pytest.mark.parametrize(
    "args, message",
    [
        (["trace", r"x + y", "--at", "x=1"], "derive trace: --at gives no value for y; give every variable, e.g. --at y=1"),
        (["trace", r"x + y", "--at", "x=1,y=two"],
         "derive trace: y='two' is not a number; write a decimal like 0.9, 1e-8 or a fraction like 9/10"),
        (["trace", r"x + y", "--at", "x=1,y=2,w=3"],
         "derive trace: --at w: the expression has no variable 'w'; its variables: x, y"),
        (["trace", " ", "--at", "x=1"],
         "derive trace: the expression is empty; write one in LaTeX, e.g. '\\frac{x^2}{\\log x}'"),
    ],
    ids=["missing variable", "not a number", "unknown variable", "empty expression"],
)
def test_bad_input_exits_2_with_one_line(args, message):
    result = run_derive(*args)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [message]
