"""D2 attention against independent references: torch.softmax and
torch.nn.functional.scaled_dot_product_attention in float64 for the scores,
weights and output, torch.autograd.functional.jacobian for the softmax
Jacobian, and seeded Monte Carlo estimates (numpy) of E[q . k], Var(q . k)
and Var(q . k / sqrt(d)), with a tolerance of 6 standard errors."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
import torch
import torch.nn.functional as F

from derivations import attention
from engine.errors import UsageError
from engine.model import variants

SAMPLES = 200_000
d = attention.d


def torch_attention(Q, K, V, scale=True):
    q, k, v = (torch.tensor(m, dtype=torch.float64) for m in (Q, K, V))
    scores = q @ k.T / (q.shape[-1] ** 0.5 if scale else 1.0)
    weights = torch.softmax(scores, dim=-1)
    jac = torch.autograd.functional.jacobian(lambda s: torch.softmax(s, 0), scores[0])
    return {"scores": scores, "weights": weights, "output": weights @ v, "jacobian_row1": jac}


def flat(value):
    """Nested lists (a matrix, or a one-row matrix as a plain list) as a flat list of floats."""
    return [float(e) for row in value for e in (row if isinstance(row, list) else [row])]


CASES = [
    ({}, [[1, 0], [0, 1]], [[1, 0], [0, 1], [1, 2]], [[1, 0], [0, 1], [1, 1]]),
    ({"Q": "[[1, 2, 0]]", "K": "[[0, 1, 1], [2, -1, 0.5], [1, 1, 1], [-1, 0, 3]]",
      "V": "[[1], [2], [3], [4]]"}, [[1, 2, 0]], [[0, 1, 1], [2, -1, 0.5], [1, 1, 1], [-1, 0, 3]],
     [[1], [2], [3], [4]]),
]


@pytest.mark.parametrize("overrides, Q, K, V", CASES, ids=["sheet", "d3-4keys"])
def test_instance_matches_torch(overrides, Q, K, V):
    sol = attention.PROBLEM.solve(overrides)
    ref = torch_attention(Q, K, V)
    for key in ("scores", "weights", "output", "jacobian_row1"):
        assert flat(sol.answers[f"attention.{key}"].json_value) == pytest.approx(ref[key].flatten().tolist(),
                                                                                  rel=1e-12, abs=1e-14), key
    q, k, v = (torch.tensor(m, dtype=torch.float64) for m in (Q, K, V))
    sdpa = F.scaled_dot_product_attention(q.unsqueeze(0), k.unsqueeze(0), v.unsqueeze(0))[0]
    assert flat(sol.answers["attention.output"].json_value) == pytest.approx(sdpa.flatten().tolist(), rel=1e-12)


def test_unscaled_mistake_matches_torch_without_the_scale():
    sol = attention.PROBLEM.solve(choices={"scale": False})
    ref = torch_attention(*CASES[0][1:], scale=False)
    assert flat(sol.answers["attention.weights"].json_value) == pytest.approx(ref["weights"].flatten().tolist())
    assert sol.answers["attention.var_scaled"].value == d


def test_jacobian_symbolic_is_the_torch_jacobian_at_random_scores():
    expr = attention.PROBLEM.solve().answers["attention.jacobian_symbolic"].value
    s = torch.tensor([0.4, -1.3, 2.2, 0.0], dtype=torch.float64)
    a = torch.softmax(s, 0)
    jac = torch.autograd.functional.jacobian(lambda v: torch.softmax(v, 0), s)
    for r in range(4):
        for c in range(4):
            value = expr.xreplace({attention.i: r + 1, attention.j: c + 1, attention.a_i: a[r].item(),
                                   attention.a_j: a[c].item()})
            assert float(value) == pytest.approx(jac[r, c].item(), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("overrides, means, variances", [
    ({}, (0.0, 0.0), (1.0, 1.0)),
    ({"mean_q": "0.5", "mean_k": "-1", "var_q": "2", "var_k": "0.5"}, (0.5, -1.0), (2.0, 0.5)),
])
@pytest.mark.parametrize("dim", [4, 64])
def test_moments_match_monte_carlo(overrides, means, variances, dim):
    sol = attention.PROBLEM.solve(overrides)
    rng = np.random.default_rng(dim)
    q = rng.normal(means[0], np.sqrt(variances[0]), (SAMPLES, dim))
    k = rng.normal(means[1], np.sqrt(variances[1]), (SAMPLES, dim))
    dot = (q * k).sum(axis=1)

    def close(samples, answer):
        value = float(sp.sympify(answer).subs(d, dim))
        tol = 6 * samples.std(ddof=1) / np.sqrt(samples.size)
        assert abs(samples.mean() - value) <= tol, (samples.mean(), value, tol)

    close(dot, sol.answers["attention.mean_qk"].value)
    close((dot - dot.mean()) ** 2, sol.answers["attention.var_qk"].value)
    scaled = dot / np.sqrt(dim)
    close((scaled - scaled.mean()) ** 2, sol.answers["attention.var_scaled"].value)


def test_sheet_values():
    answers = attention.PROBLEM.solve().answers
    assert answers["attention.mean_qk"].value == 0
    assert answers["attention.var_qk"].value == d
    assert answers["attention.var_scaled"].value == 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_variants_match_torch(seed):
    values = variants.draw(attention.PROBLEM, seed)
    sol = attention.PROBLEM.solve(values)
    ref = torch_attention(*([[float(e) for e in r] for r in values[n]] for n in ("Q", "K", "V")))
    assert flat(sol.answers["attention.output"].json_value) == pytest.approx(ref["output"].flatten().tolist(),
                                                                             rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("overrides, words", [
    ({"Q": "[[1, 0, 0]]"}, "Q has 3 columns but K has 2"),
    ({"V": "[[1], [2]]"}, "K has 3 rows but V has 2"),
    ({"K": "[[1, 0]]", "V": "[[1]]"}, "at least 2 keys"),
])
def test_ill_posed_matrices_are_usage_errors(overrides, words):
    with pytest.raises(UsageError, match=words):
        attention.PROBLEM.solve(overrides)
