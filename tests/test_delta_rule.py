"""C2 delta_rule against PyTorch autograd on a sigmoid unit in float64 (o_1,
the updates -eta dTSS/dw, and each local derivative of the chain), at the
sheet's values and overridden ones; the maximum of sigma' by mpmath."""
from __future__ import annotations

import json

import mpmath
import pytest
import sympy as sp
import torch

from derivations import delta_rule
from engine.model import variants
from engine.errors import UsageError
from engine.model.problem import Text

PARAMETER_SETS = [
    ({}, [1.0, 0.5], [0.2, -0.4], 1.0, 0.5),
    ({"x": "[2, -1, 0.5]", "w": "[0.3, 0.1, -0.7]", "t_1": "0", "eta": "0.1"},
     [2.0, -1.0, 0.5], [0.3, 0.1, -0.7], 0.0, 0.1),
    ({"x": "[-1.5]", "w": "[0.8]", "t_1": "0.9", "eta": "2"}, [-1.5], [0.8], 0.9, 2.0),
]
SET_IDS = ["sheet", "3-inputs", "1-input"]


def torch_unit(xs, ws, target, rate):
    """o = sigmoid(w . x), TSS = (t - o)^2 / 2, by autograd in float64, with
    retain_grad on o and net for the local derivatives."""
    x = torch.tensor(xs, dtype=torch.float64)
    w = torch.tensor(ws, dtype=torch.float64, requires_grad=True)
    net = (w * x).sum()
    net.retain_grad()
    o = torch.sigmoid(net)
    o.retain_grad()
    tss = 0.5 * (target - o) ** 2
    tss.backward()
    return {"o": o.item(), "delta_w": (-rate * w.grad).tolist(), "dTSS_do": o.grad.item(),
            "dTSS_dnet": net.grad.item()}


@pytest.fixture(scope="module", params=range(len(PARAMETER_SETS)), ids=SET_IDS)
def solved(request):
    overrides, *values = PARAMETER_SETS[request.param]
    return delta_rule.PROBLEM.solve(overrides), values


def test_output_matches_torch(solved):
    sol, (xs, ws, target, rate) = solved
    assert sol.answers["delta_rule.o"].json_value == pytest.approx(torch_unit(xs, ws, target, rate)["o"], rel=1e-15)


def test_updates_match_torch_autograd(solved):
    sol, (xs, ws, target, rate) = solved
    expected = torch_unit(xs, ws, target, rate)["delta_w"]
    assert sol.answers["delta_rule.delta_w_values"].json_value == pytest.approx(expected, rel=1e-13, abs=1e-17)


def _symbolic_at(expr: sp.Basic, o: float, xs, target, rate, j: int) -> float:
    d = delta_rule
    return float(expr.xreplace({d.o1: sp.Float(o, 30), d.t1: sp.Float(target, 30), d.eta: sp.Float(rate, 30),
                                d.x[d.j]: sp.Float(xs[j], 30)}))


def test_symbolic_chain_matches_torch(solved):
    sol, (xs, ws, target, rate) = solved
    ref = torch_unit(xs, ws, target, rate)
    o = ref["o"]
    a = sol.answers
    assert _symbolic_at(a["delta_rule.dTSS_do"].value, o, xs, target, rate, 0) == pytest.approx(ref["dTSS_do"], rel=1e-13)
    chain = a["delta_rule.dTSS_do"].value * a["delta_rule.do_dnet"].value
    assert _symbolic_at(chain, o, xs, target, rate, 0) == pytest.approx(ref["dTSS_dnet"], rel=1e-13, abs=1e-17)
    for j in range(len(xs)):
        assert _symbolic_at(a["delta_rule.dnet_dw"].value, o, xs, target, rate, j) == xs[j]
        assert _symbolic_at(a["delta_rule.delta_w"].value, o, xs, target, rate, j) == pytest.approx(
            ref["delta_w"][j], rel=1e-13, abs=1e-17)


def test_sheet_values_exactly():
    sol = delta_rule.PROBLEM.solve()
    assert sol.answers["delta_rule.o"].value == sp.Rational(1, 2)
    assert sol.answers["delta_rule.delta_w_values"].value == [sp.Rational(1, 16), sp.Rational(1, 32)]


def test_sigmoid_slope_maximum_is_a_quarter_by_mpmath():
    answer = delta_rule.PROBLEM.solve().answers["delta_rule.sigmoid_grad_max"].value
    assert answer == sp.Rational(1, 4)
    with mpmath.workdps(40):
        slope = lambda t: mpmath.diff(lambda u: 1 / (1 + mpmath.exp(-u)), t)  # noqa: E731
        root = mpmath.findroot(lambda t: mpmath.diff(slope, t), mpmath.mpf("0.7"))
        assert abs(root) < mpmath.mpf(10) ** -20
        assert abs(slope(root) - mpmath.mpf(1) / 4) < mpmath.mpf(10) ** -25
        grid = [slope(mpmath.mpf(k) / 10) for k in range(-80, 81)]
        assert max(grid) <= mpmath.mpf(1) / 4 + mpmath.mpf(10) ** -30


def test_vanishing_gradient_remark_gives_quarter_to_the_L():
    sol = delta_rule.PROBLEM.solve()
    text = " ".join(b.source for p in sol.parts if p.label == "c" for b in p.blocks if isinstance(b, Text))
    assert r"\left(\frac{1}{4}\right)^L" in text
    assert r"$L = 10$: $9.53674 \times 10^{-7}$" in text  # 4**-10 = 9.5367431640625e-07


@pytest.mark.parametrize("overrides, fragments", [
    ({}, [r"\mathbf{x} = \left(1, 0.5\right)$", r"\mathbf{w} = \left(0.2, -0.4\right)$", "$t_1 = 1$",
          r"$\eta = 0.5$"]),
    ({"x": "[2, -1, 0.5]", "w": "[0.3, 0.1, -0.7]", "t_1": "0", "eta": "0.1"},
     [r"\mathbf{x} = \left(2, -1, 0.5\right)$", "$t_1 = 0$", r"$\eta = 0.1$"]),
])
def test_statement_shows_the_current_parameters(overrides, fragments):
    statement = delta_rule.PROBLEM.solve(overrides).statement_text
    for fragment in fragments:
        assert fragment in statement


@pytest.mark.parametrize("overrides, message", [
    ({"x": "[1, 2, 3]"}, "x has 3 entries but w has 2: one weight per input"),
    ({"w": "[]"}, "w must be a list of numbers, e.g. [1, 0.5]"),
    ({"x": "[[1], [2]]"}, "x must be a list of numbers, e.g. [1, 0.5]"),
])
def test_ill_posed_values_are_usage_errors(overrides, message):
    with pytest.raises(UsageError) as info:
        delta_rule.PROBLEM.solve(overrides)
    assert str(info.value) == f"problem 'delta_rule' is not well posed at these values: {message}"


def test_answers_json_has_every_id(derive):
    result = derive("answers", "delta_rule", "--format", "json")
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout)["delta_rule"]["answers"]
    assert list(answers) == list(delta_rule.PROBLEM.answer_ids)
    assert answers["delta_rule.delta_w_values"]["value"] == [0.0625, 0.03125]
    assert answers["delta_rule.sigmoid_grad_max"]["value"] == 0.25


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_exam_variants_match_torch(seed):
    values = variants.draw(delta_rule.PROBLEM, seed)
    sol = delta_rule.PROBLEM.solve(values)
    ref = torch_unit([float(v) for v in values["x"]], [float(v) for v in values["w"]], float(values["t_1"]),
                     float(values["eta"]))
    assert sol.answers["delta_rule.o"].json_value == pytest.approx(ref["o"], rel=1e-15)
    assert sol.answers["delta_rule.delta_w_values"].json_value == pytest.approx(ref["delta_w"], rel=1e-13, abs=1e-17)
