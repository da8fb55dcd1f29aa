"""D3 init against torch.nn.init: calculate_gain, _calculate_fan_in_and_fan_out
of a Linear weight (n_out, n_in), and the std that xavier_normal_,
xavier_uniform_ and kaiming_normal_ produce, measured on a large seeded
tensor (tolerance from the sample size); seeded Monte Carlo for Var(y) and
E[ReLU(z)^2] (normal and uniform z, both symmetric about 0)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
import torch

from derivations import init
from engine.model import variants

SIZES = [({}, 256, 128), ({"n_in": "100", "n_out": "300"}, 100, 300), ({"n_in": "1024", "n_out": "16"}, 1024, 16)]
IDS = ["sheet", "100-300", "1024-16"]


def measured_std(fill, n_in, n_out, seed=0):
    """The std of ``fill`` applied to many (n_out, n_in) weights, with 6 standard errors of tolerance."""
    torch.manual_seed(seed)
    reps = max(1, 2_000_000 // (n_in * n_out))
    w = torch.empty(reps, n_out, n_in, dtype=torch.float64)
    for r in range(reps):
        fill(w[r])
    values = w.flatten()
    var = values.pow(2).mean().item()  # the mean is 0 by construction
    tol = 6 * values.pow(2).std().item() / math.sqrt(values.numel())
    return var, tol


@pytest.fixture(scope="module", params=range(len(SIZES)), ids=IDS)
def solved(request):
    overrides, n_in, n_out = SIZES[request.param]
    return init.PROBLEM.solve(overrides), n_in, n_out


def test_torch_fans_and_gain(solved):
    sol, n_in, n_out = solved
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(n_out, n_in))
    assert (fan_in, fan_out) == (n_in, n_out)
    gain = torch.nn.init.calculate_gain("relu")
    assert sol.answers["init.he_std"].json_value == pytest.approx(gain / math.sqrt(fan_in), rel=1e-15)
    assert sol.answers["init.xavier_var"].json_value == pytest.approx(2.0 / (fan_in + fan_out), rel=1e-15)
    bound = math.sqrt(3.0) * math.sqrt(2.0 / (fan_in + fan_out))  # xavier_uniform_'s a, gain 1
    assert sol.answers["init.xavier_uniform_limit"].json_value == pytest.approx(bound, rel=1e-15)


def test_measured_variances_of_torch_init(solved):
    sol, n_in, n_out = solved
    var, tol = measured_std(torch.nn.init.xavier_normal_, n_in, n_out)
    assert abs(var - sol.answers["init.xavier_var"].json_value) <= tol
    var, tol = measured_std(torch.nn.init.xavier_uniform_, n_in, n_out, seed=1)
    assert abs(var - sol.answers["init.xavier_var"].json_value) <= tol
    var, tol = measured_std(lambda t: torch.nn.init.kaiming_normal_(t, nonlinearity="relu"), n_in, n_out, seed=2)
    assert abs(var - sol.answers["init.he_var"].json_value) <= tol


def test_var_y_by_monte_carlo():
    value = init.PROBLEM.solve().answers["init.var_y"].value
    rng = np.random.default_rng(3)
    n, vw, vx = 50, 0.02, 3.0
    w = rng.normal(0, math.sqrt(vw), (100_000, n))
    x = rng.uniform(-3, 3, (100_000, n))  # Var = 3, mean 0, not normal
    y = (w * x).sum(axis=1)
    names = {s.name: s for s in value.free_symbols}
    expected = float(value.xreplace({names["n"]: n, names[r"{\operatorname{Var}(w)}"]: vw,
                                     names[r"{\operatorname{Var}(x)}"]: vx}))
    samples = y**2
    assert abs(samples.mean() - expected) <= 6 * samples.std(ddof=1) / math.sqrt(samples.size)


@pytest.mark.parametrize("law", ["normal", "uniform", "laplace"])
def test_relu_second_moment_by_monte_carlo(law):
    value = init.PROBLEM.solve().answers["init.relu_second_moment"].value
    rng = np.random.default_rng(4)
    z = {"normal": lambda: rng.normal(0, 1.5, 400_000), "uniform": lambda: rng.uniform(-2, 2, 400_000),
         "laplace": lambda: rng.laplace(0, 0.7, 400_000)}[law]()
    var = {"normal": 2.25, "uniform": 4 / 3, "laplace": 2 * 0.49}[law]
    samples = np.maximum(z, 0) ** 2
    (sym,) = value.free_symbols
    assert abs(samples.mean() - float(value.xreplace({sym: var}))) <= 6 * samples.std(ddof=1) / math.sqrt(samples.size)


def test_mistakes():
    assert init.PROBLEM.solve(choices={"relu_half": False}).answers["init.he_var"].value == sp.Rational(1, 256)
    value = init.PROBLEM.solve(choices={"count_terms": False}).answers["init.var_y"].value
    assert init.n not in value.free_symbols


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_variants_match_torch_formulas(seed):
    values = variants.draw(init.PROBLEM, seed)
    sol = init.PROBLEM.solve(values)
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(int(values["n_out"]),
                                                                              int(values["n_in"])))
    assert sol.answers["init.he_var"].json_value == pytest.approx(torch.nn.init.calculate_gain("relu") ** 2 / fan_in)
    assert sol.answers["init.xavier_var"].json_value == pytest.approx(2 / (fan_in + fan_out))
