"""D4 dropout against independent references: PyTorch float64 autograd
through htilde = m h / q with a fixed mask (what F.dropout computes for the
mask it draws, checked here too), seeded Monte Carlo of E[htilde] and
Var[htilde] with Bernoulli masks, and F.dropout in eval mode for the
test-time factor."""
from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
import torch
import torch.nn.functional as F

from derivations import dropout
from engine.errors import UsageError
from engine.model import variants

SAMPLES = 1_000_000


def torch_grad(mask, upstream, q):
    h = torch.ones(len(mask), dtype=torch.float64, requires_grad=True)
    m = torch.tensor(mask, dtype=torch.float64)
    (m * h / q).backward(torch.tensor(upstream, dtype=torch.float64))
    return h.grad.tolist()


@pytest.mark.parametrize("overrides, mask, upstream, q", [
    ({}, [1, 0, 1, 1], [0.5, 0.5, -1, 2], 0.8),
    ({"q": "0.5", "mask": "[0, 1, 1]", "upstream": "[3, -2, 1]"}, [0, 1, 1], [3, -2, 1], 0.5),
])
def test_backward_matches_torch(overrides, mask, upstream, q):
    sol = dropout.PROBLEM.solve(overrides)
    assert sol.answers["dropout.grad"].json_value == pytest.approx(torch_grad(mask, upstream, q), rel=1e-15)


def test_torch_dropout_is_inverted_dropout():
    torch.manual_seed(0)
    h = torch.ones(1000, dtype=torch.float64, requires_grad=True)
    out = F.dropout(h, p=0.2, training=True)
    mask = (out != 0).double()
    out.backward(torch.full((1000,), 2.0, dtype=torch.float64))
    assert out.detach().tolist() == pytest.approx((mask / 0.8).tolist())
    assert h.grad.tolist() == pytest.approx((2 * mask / 0.8).tolist())
    sol = dropout.PROBLEM.solve()
    assert F.dropout(h.detach(), p=0.2, training=False).tolist() == pytest.approx(
        (sol.answers["dropout.test_scale"].json_value * h.detach()).tolist())


@pytest.mark.parametrize("q, h", [(0.8, 2.0), (0.5, -3.0), (0.9, 1.5)])
def test_moments_match_monte_carlo(q, h):
    sol = dropout.PROBLEM.solve({"q": str(q), "h": str(h)})
    rng = np.random.default_rng(int(q * 100))
    samples = rng.binomial(1, q, SAMPLES) * h / q
    at = {dropout.q: sp.Rational(str(q)), dropout.h: sp.Rational(str(h))}
    mean = float(sol.answers["dropout.mean"].value.xreplace(at))
    assert abs(samples.mean() - mean) <= 6 * samples.std(ddof=1) / math.sqrt(SAMPLES)
    sq = (samples - samples.mean()) ** 2
    tol = 6 * sq.std(ddof=1) / math.sqrt(SAMPLES)
    assert abs(sq.mean() - float(sol.answers["dropout.var"].value.xreplace(at))) <= tol
    assert abs(sq.mean() - sol.answers["dropout.var_value"].json_value) <= tol


def test_scaled_at_test_time_mistake():
    sol = dropout.PROBLEM.solve(choices={"scaling": "test"})
    assert sol.answers["dropout.test_scale"].value == sp.Rational(4, 5)
    assert sol.answers["dropout.grad"].json_value == pytest.approx([0.5, 0, -1, 2])
    rng = np.random.default_rng(9)
    samples = rng.binomial(1, 0.8, SAMPLES) * 2.0
    assert abs(samples.var() - sol.answers["dropout.var_value"].json_value) < 0.01


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_variants_match_torch(seed):
    values = variants.draw(dropout.PROBLEM, seed)
    sol = dropout.PROBLEM.solve(values)
    ref = torch_grad([float(v) for v in values["mask"]], [float(v) for v in values["upstream"]], float(values["q"]))
    assert sol.answers["dropout.grad"].json_value == pytest.approx(ref, rel=1e-14)
    q, h = float(values["q"]), float(values["h"])
    assert sol.answers["dropout.var_value"].json_value == pytest.approx(h * h * (1 - q) / q, rel=1e-14)


@pytest.mark.parametrize("overrides, words", [
    ({"mask": "[1, 2, 0, 1]"}, "0 \\(dropped\\) or 1"),
    ({"mask": "[1, 0]"}, "the mask has 2 entries"),
])
def test_ill_posed_values_are_usage_errors(overrides, words):
    with pytest.raises(UsageError, match=words):
        dropout.PROBLEM.solve(overrides)
