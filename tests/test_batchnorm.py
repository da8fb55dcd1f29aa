"""D1 batchnorm against PyTorch float64 autograd: torch.nn.functional.batch_norm
in training mode (eps = 1e-300 where the sheet has 0: PyTorch refuses eps = 0,
and in float64 1e-300 changes nothing) for the forward pass, dL/dgamma,
dL/dbeta and dL/dx; the compact form and the two sums evaluated from the
torch values; --set, the mistakes' choices against torch on the mistaken graph."""
from __future__ import annotations

import pytest
import sympy as sp
import torch
import torch.nn.functional as F

from derivations import batchnorm
from engine.errors import UsageError
from engine.model import variants

CASES = [
    ({}, [1.0, 2.0, 4.0, 5.0], 2.0, 0.5, 0.0, [0.5, -1.0, 0.0, 1.0]),
    ({"epsilon": "1e-5"}, [1.0, 2.0, 4.0, 5.0], 2.0, 0.5, 1e-5, [0.5, -1.0, 0.0, 1.0]),
    ({"x": "[3, -1, 0.5]", "gamma": "0.7", "beta": "-2", "upstream": "[1, 2, -0.5]"},
     [3.0, -1.0, 0.5], 0.7, -2.0, 0.0, [1.0, 2.0, -0.5]),
    ({"x": "[0, 1, 2, 3, 10]", "epsilon": "0.1", "upstream": "[1, 0, 0, 0, -1]"},
     [0.0, 1.0, 2.0, 3.0, 10.0], 2.0, 0.5, 0.1, [1.0, 0.0, 0.0, 0.0, -1.0]),
]
IDS = ["sheet", "eps-1e-5", "N=3", "N=5-eps"]


def torch_bn(xs, gamma, beta, eps, upstream):
    """Training-mode batch norm of one feature (shape (N, 1)) by autograd in float64."""
    x = torch.tensor(xs, dtype=torch.float64).reshape(-1, 1).requires_grad_()
    w = torch.tensor([gamma], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([beta], dtype=torch.float64, requires_grad=True)
    y = F.batch_norm(x, None, None, w, b, training=True, eps=eps if eps > 0 else 1e-300)
    y.backward(torch.tensor(upstream, dtype=torch.float64).reshape(-1, 1))
    mean = x.detach().mean()
    var = x.detach().var(unbiased=False)
    xhat = (x.detach() - mean) / torch.sqrt(var + eps)
    return {"mean": mean.item(), "var": var.item(), "x_hat": xhat.flatten().tolist(), "y": y.detach().flatten().tolist(),
            "dL_dx": x.grad.flatten().tolist(), "dL_dgamma": w.grad.item(), "dL_dbeta": b.grad.item()}


@pytest.fixture(scope="module", params=range(len(CASES)), ids=IDS)
def solved(request):
    overrides, *values = CASES[request.param]
    return batchnorm.PROBLEM.solve(overrides), values, torch_bn(*values)


@pytest.mark.parametrize("key", ["mean", "var", "x_hat", "y", "dL_dbeta", "dL_dgamma", "dL_dx"])
def test_matches_torch_batch_norm(solved, key):
    sol, _, ref = solved
    assert sol.answers[f"batchnorm.{key}"].json_value == pytest.approx(ref[key], rel=1e-12, abs=1e-13)


def test_compact_form_at_the_torch_values(solved):
    sol, (xs, gamma, beta, eps, g), ref = solved
    n = len(xs)
    expr = sol.answers["batchnorm.dL_dx_symbolic"].value
    symbols = {s.name: s for s in expr.free_symbols}
    s_g, s_gx = sum(g), sum(a * b for a, b in zip(g, ref["x_hat"]))
    for i in range(n):
        at = {symbols[r"\gamma"]: gamma, symbols["N"]: n, symbols[r"\sigma^2"]: ref["var"], symbols[r"\epsilon"]: eps,
              symbols["g_i"]: g[i], symbols[r"\hat{x}_i"]: ref["x_hat"][i], symbols[r"\sum_{j} g_{j}"]: s_g,
              symbols[r"\sum_j g_j \hat{x}_j"]: s_gx}
        assert float(expr.xreplace(at)) == pytest.approx(ref["dL_dx"][i], rel=1e-12, abs=1e-13)


def test_the_two_sums(solved):
    sol, (xs, gamma, beta, eps, g), ref = solved
    sums = sol.answers["batchnorm.dx_sums"].json_value
    assert sums[0] == pytest.approx(sum(ref["dL_dx"]), abs=1e-12)
    assert sums[0] == 0
    second = sum(a * b for a, b in zip(ref["x_hat"], ref["dL_dx"]))
    assert sums[1] == pytest.approx(second, abs=1e-12)
    closed = gamma * eps * sum(a * b for a, b in zip(g, ref["x_hat"])) / (ref["var"] + eps) ** 1.5
    assert sums[1] == pytest.approx(closed, rel=1e-9, abs=1e-15)
    if eps == 0:
        assert sums[1] == 0


def test_unbiased_variance_mistake_is_torch_on_the_unbiased_graph():
    sol = batchnorm.PROBLEM.solve(choices={"variance": "unbiased"})
    x = torch.tensor([1.0, 2.0, 4.0, 5.0], dtype=torch.float64, requires_grad=True)
    xhat = (x - x.mean()) / torch.sqrt(x.var(unbiased=True))
    y = 2 * xhat + 0.5
    y.backward(torch.tensor([0.5, -1.0, 0.0, 1.0], dtype=torch.float64))
    assert sol.answers["batchnorm.var"].json_value == pytest.approx(10 / 3)
    assert sol.answers["batchnorm.y"].json_value == pytest.approx(y.tolist(), rel=1e-12)
    assert sol.answers["batchnorm.dL_dx"].json_value == pytest.approx(x.grad.tolist(), rel=1e-12)


def test_direct_path_mistake_treats_mu_and_sigma_as_constants():
    sol = batchnorm.PROBLEM.solve(choices={"paths": "direct"})
    x = torch.tensor([1.0, 2.0, 4.0, 5.0], dtype=torch.float64, requires_grad=True)
    y = 2 * (x - x.detach().mean()) / torch.sqrt(x.detach().var(unbiased=False)) + 0.5
    y.backward(torch.tensor([0.5, -1.0, 0.0, 1.0], dtype=torch.float64))
    assert sol.answers["batchnorm.dL_dx"].json_value == pytest.approx(x.grad.tolist(), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_variants_match_torch(seed):
    values = variants.draw(batchnorm.PROBLEM, seed)
    sol = batchnorm.PROBLEM.solve(values)
    ref = torch_bn([float(v) for v in values["x"]], float(values["gamma"]), float(values["beta"]), 0.0,
                   [float(v) for v in values["upstream"]])
    assert sol.answers["batchnorm.dL_dx"].json_value == pytest.approx(ref["dL_dx"], rel=1e-12, abs=1e-13)
    assert sol.answers["batchnorm.y"].json_value == pytest.approx(ref["y"], rel=1e-12, abs=1e-13)


@pytest.mark.parametrize("overrides, words", [
    ({"x": "[2, 2, 2]", "upstream": "[1, 2, 3]"}, "must not be constant"),
    ({"upstream": "[1, 2]"}, "upstream gradient 2"),
    ({"epsilon": "-1"}, "epsilon must be 0 or positive"),
])
def test_ill_posed_values_are_usage_errors(overrides, words):
    with pytest.raises(UsageError, match=words):
        batchnorm.PROBLEM.solve(overrides)
