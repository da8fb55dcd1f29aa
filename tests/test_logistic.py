"""D5 logistic against PyTorch float64 autograd through
torch.nn.functional.binary_cross_entropy_with_logits (loss, dL/dz, dL/dw,
dL/db), the squared-error gradient through torch.sigmoid and mse_loss, and
the symbolic answers evaluated at random logits against autograd."""
from __future__ import annotations

import pytest
import sympy as sp
import torch
import torch.nn.functional as F

from derivations import logistic
from engine.errors import UsageError
from engine.model import variants

CASES = [
    ({}, [1.0, -2.0], [0.5, 0.25], 0.1, 1.0),
    ({"x": "[2, 1, -1]", "w": "[-0.5, 1, 2]", "b": "-0.3", "t": "0"}, [2.0, 1.0, -1.0], [-0.5, 1.0, 2.0], -0.3, 0.0),
    ({"x": "[-3, 4]", "w": "[2, 1]", "b": "0", "t": "1"}, [-3.0, 4.0], [2.0, 1.0], 0.0, 1.0),
]


def torch_unit(xs, ws, b, t):
    x = torch.tensor(xs, dtype=torch.float64)
    w = torch.tensor(ws, dtype=torch.float64, requires_grad=True)
    bias = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    z = (w * x).sum() + bias
    z.retain_grad()
    loss = F.binary_cross_entropy_with_logits(z, torch.tensor(t, dtype=torch.float64))
    loss.backward()
    return {"loss": loss.item(), "dL_dz": z.grad.item(), "dL_dw": w.grad.tolist(), "dL_db": bias.grad.item()}


@pytest.mark.parametrize("overrides, xs, ws, b, t", CASES, ids=["sheet", "t0", "z0"])
def test_matches_torch_bce_with_logits(overrides, xs, ws, b, t):
    sol = logistic.PROBLEM.solve(overrides)
    ref = torch_unit(xs, ws, b, t)
    for key in ("loss", "dL_dz", "dL_dw", "dL_db"):
        assert sol.answers[f"logistic.{key}"].json_value == pytest.approx(ref[key], rel=1e-13, abs=1e-15), key


@pytest.mark.parametrize("zv, tv", [(-10.0, 1.0), (-0.7, 1.0), (0.3, 0.0), (4.0, 0.0), (1.2, 0.25)])
def test_symbolic_gradients_match_autograd(zv, tv):
    sol = logistic.PROBLEM.solve()
    sig = 1 / (1 + sp.exp(-sp.Float(zv, 30)))
    at = {logistic.s: sig, logistic.t: sp.Float(tv, 30)}
    z = torch.tensor(zv, dtype=torch.float64, requires_grad=True)
    F.binary_cross_entropy_with_logits(z, torch.tensor(tv, dtype=torch.float64)).backward()
    assert float(sol.answers["logistic.dL_dz_symbolic"].value.xreplace(at)) == pytest.approx(z.grad.item(), rel=1e-12)
    z = torch.tensor(zv, dtype=torch.float64, requires_grad=True)
    (0.5 * F.mse_loss(torch.sigmoid(z), torch.tensor(tv, dtype=torch.float64))).backward()
    assert float(sol.answers["logistic.mse_dL_dz_symbolic"].value.xreplace(at)) == pytest.approx(
        z.grad.item(), rel=1e-10, abs=1e-300)


def test_sign_flip_mistake():
    sol = logistic.PROBLEM.solve(choices={"residual": "t - sigma"})
    ref = torch_unit(*CASES[0][1:])
    assert sol.answers["logistic.dL_dz"].json_value == pytest.approx(-ref["dL_dz"], rel=1e-13)
    assert sol.answers["logistic.dL_dw"].json_value == pytest.approx([-g for g in ref["dL_dw"]], rel=1e-13)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_variants_match_torch(seed):
    values = variants.draw(logistic.PROBLEM, seed)
    sol = logistic.PROBLEM.solve(values)
    ref = torch_unit([float(v) for v in values["x"]], [float(v) for v in values["w"]], float(values["b"]),
                     float(values["t"]))
    assert sol.answers["logistic.loss"].json_value == pytest.approx(ref["loss"], rel=1e-13)
    assert sol.answers["logistic.dL_dw"].json_value == pytest.approx(ref["dL_dw"], rel=1e-13, abs=1e-15)


def test_mismatched_inputs_are_usage_errors():
    with pytest.raises(UsageError, match="x has 3 entries but w has 2"):
        logistic.PROBLEM.solve({"x": "[1, 2, 3]"})
