"""B1 cnn against PyTorch in float64: max_pool2d (forward and the routing of
its backward), leaky_relu, and the PReLU slope gradient through
torch.nn.functional.prelu with a learnable weight, at the sheet's values and
at overridden ones; plus the well-posedness messages and PyTorch's
conventions at ties and kinks."""
from __future__ import annotations

import json
import random

import pytest
import sympy as sp
import torch
import torch.nn.functional as F

from derivations import cnn
from engine.model import variants
from engine.errors import UsageError
from engine.model.problem import Derivation, Text

SHEET_X = [[1, 8, 0.5, 6], [3, -10, -1, -8], [-0.5, -6, -3, -10], [-1, -8, -0.5, -6]]

#: (overrides, X, W, slope, upstream gradient, alpha) as floats for torch.
PARAMETER_SETS = [
    ({}, SHEET_X, [[1, 2], [10, 4]], 0.1, 2.0, 0.1),
    (
        {"X": [[-2, -3, 4, 1], [-5, -1.5, 2, 7], [9, 0.5, -4, -6], [1, 2, -8, -2.5]],
         "W": [[3, -1], [0.5, 2]], "slope": "0.2", "dL_dy": "-1.5", "alpha": "0.25"},
        [[-2, -3, 4, 1], [-5, -1.5, 2, 7], [9, 0.5, -4, -6], [1, 2, -8, -2.5]],
        [[3, -1], [0.5, 2]], 0.2, -1.5, 0.25,
    ),
    (
        {"X": [[1, -2, -3, -4, 5, 6], [-7, 3, -1, -8, -2, 4]], "W": [[2, -3, 1]], "slope": "0.01",
         "dL_dy": "3", "alpha": "0.3"},
        [[1, -2, -3, -4, 5, 6], [-7, 3, -1, -8, -2, 4]], [[2, -3, 1]], 0.01, 3.0, 0.3,
    ),
]
SET_IDS = ["sheet", "4x4-override", "2x6-override"]
TOL = dict(rel=1e-12, abs=1e-12)


def torch_network(X, W, slope, upstream):
    """Forward and backward of maxpool -> leaky_relu -> weighted sum -> squared
    error in float64, with t = y - upstream so that dL/dy = upstream."""
    x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    u = F.max_pool2d(x[None, None], kernel_size=2, stride=2)[0, 0]
    u.retain_grad()
    v = F.leaky_relu(u, negative_slope=slope)
    v.retain_grad()
    y = (torch.tensor(W, dtype=torch.float64) * v).sum()
    y.retain_grad()
    t = y.detach() - upstream
    loss = 0.5 * (y - t) ** 2
    loss.backward()
    return {"U": u, "V": v, "y": y, "dL_dy": y.grad, "dL_dV": v.grad, "dL_dU": u.grad, "dL_dX": x.grad}


def torch_prelu(X, W, alpha, upstream):
    """dL/dalpha and dL/dU through torch.nn.functional.prelu with a learnable
    one-element weight, after the same max-pooling; t = y - upstream."""
    x = torch.tensor(X, dtype=torch.float64)
    u = F.max_pool2d(x[None, None], kernel_size=2, stride=2)[0, 0].clone().requires_grad_(True)
    weight = torch.tensor([alpha], dtype=torch.float64, requires_grad=True)
    v = F.prelu(u[None, None], weight)[0, 0]
    y = (torch.tensor(W, dtype=torch.float64) * v).sum()
    t = y.detach() - upstream
    (0.5 * (y - t) ** 2).backward()
    return {"alpha": weight.grad.item(), "U": u.grad}


def as_list(tensor: torch.Tensor):
    return tensor.detach().tolist()


def assert_nested_close(got, expected):
    """Same nesting, and every number within TOL."""
    assert isinstance(got, list) and len(got) == len(expected)
    for g, e in zip(got, expected):
        if isinstance(e, list):
            assert_nested_close(g, e)
        else:
            assert g == pytest.approx(e, **TOL)


@pytest.fixture(scope="module", params=range(len(PARAMETER_SETS)), ids=SET_IDS)
def solved(request):
    overrides, X, W, slope, upstream, alpha = PARAMETER_SETS[request.param]
    return cnn.PROBLEM.solve(overrides), X, W, slope, upstream, alpha


@pytest.mark.parametrize("key", ["U", "V", "dL_dV", "dL_dU", "dL_dX"])
def test_matrices_match_torch(solved, key):
    sol, X, W, slope, upstream, _ = solved
    expected = as_list(torch_network(X, W, slope, upstream)[key])
    answer = sol.answers[f"cnn.{key}"]
    assert isinstance(answer.value, sp.MatrixBase)
    if len(expected) == 1:  # a single-row matrix is a flat list in JSON
        expected = expected[0]
    assert_nested_close(answer.json_value, expected)


@pytest.mark.parametrize("key", ["y", "dL_dy"])
def test_scalars_match_torch(solved, key):
    sol, X, W, slope, upstream, _ = solved
    expected = torch_network(X, W, slope, upstream)[key].item()
    assert sol.answers[f"cnn.{key}"].json_value == pytest.approx(expected, **TOL)


def test_prelu_alpha_gradient_matches_torch(solved):
    sol, X, W, _, upstream, alpha = solved
    assert sol.answers["cnn.dL_dalpha"].json_value == pytest.approx(torch_prelu(X, W, alpha, upstream)["alpha"], **TOL)


def test_prelu_case_formula_at_the_values_matches_torch(solved):
    sol, X, W, _, upstream, alpha = solved
    (at_values,) = [b for p in sol.parts if p.label == "d" for b in p.blocks
                    if isinstance(b, Derivation) and b.title == "The case formula at the values"]
    expected = as_list(torch_prelu(X, W, alpha, upstream)["U"])
    got = [[float(at_values.result[i, j]) for j in range(at_values.result.cols)] for i in range(at_values.result.rows)]
    assert_nested_close(got, expected)


def test_sheet_values_exactly():
    sol = cnn.PROBLEM.solve()
    assert sol.answers["cnn.U"].value == sp.Matrix([[8, 6], [sp.Rational(-1, 2), sp.Rational(-1, 2)]])
    assert sol.answers["cnn.y"].value == sp.Rational(193, 10)
    assert sol.answers["cnn.dL_dalpha"].value == -14


@pytest.mark.parametrize("X", [
    [[1, 1], [0, 0]],          # tie across the top row: first in row-major order
    [[0, 2], [2, 1]],          # tie between (0, 1) and (1, 0)
    [[-1, -3], [-3, -1]],      # tie on the diagonal
    [[5, 5], [5, 5]],          # everything tied
    [[1, 2, 7, 7], [3, 3, 7, 0], [-1, -1, 4, 2], [-1, -2, 4, 4]],
])
def test_max_pool_routing_follows_torch_at_ties(X):
    x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    F.max_pool2d(x[None, None], 2, 2).sum().backward()
    _, argmax = cnn.max_pool(sp.Matrix(X))
    routed = [[0.0] * len(X[0]) for _ in X]
    for r, c in argmax.values():
        routed[r][c] = 1.0
    assert routed == as_list(x.grad)


@pytest.mark.parametrize("slope", [0.1, 0.01, 0.3])
@pytest.mark.parametrize("u", [-2.0, 0.0, 1.5])
def test_leaky_relu_derivative_follows_torch_at_and_off_the_kink(u, slope):
    x = torch.tensor([u], dtype=torch.float64, requires_grad=True)
    F.leaky_relu(x, negative_slope=slope).sum().backward()
    exact_slope = sp.Rational(str(slope))
    assert float(cnn.leaky_relu_grad(sp.Rational(str(u)), exact_slope)) == pytest.approx(x.grad.item(), rel=1e-15)


@pytest.mark.parametrize("u", [-2.0, 0.0, 1.5])
def test_prelu_input_derivative_follows_torch_at_and_off_the_kink(u):
    x = torch.tensor([[u]], dtype=torch.float64, requires_grad=True)
    weight = torch.tensor([0.25], dtype=torch.float64, requires_grad=True)
    F.prelu(x, weight).sum().backward()
    # the sympy Piecewise of the solution, differentiated at u
    s = sp.Symbol("s", real=True)
    local = sp.diff(cnn.activation(s, sp.Rational(1, 4)), s).subs(s, sp.Rational(str(u)))
    assert float(local) == x.grad.item()


def test_solution_states_the_pytorch_conventions():
    sol = cnn.PROBLEM.solve()
    texts = " ".join(b.source for p in sol.parts for b in p.blocks if isinstance(b, Text))
    for convention in cnn.PYTORCH_CONVENTIONS.values():
        assert convention in texts


@pytest.mark.parametrize("overrides, fragments", [
    ({}, [r"\left[\begin{matrix}1 & 8 & 0.5 & 6", "slope $0.1$", r"\frac{\partial L}{\partial y} = 2$",
          r"\alpha = 0.1$"]),
    ({"slope": "0.2", "dL_dy": "-1.5", "alpha": "0.3"}, ["slope $0.2$", r"\frac{\partial L}{\partial y} = -1.5$",
                                                          r"\alpha = 0.3$"]),
])
def test_statement_shows_the_current_parameters(overrides, fragments):
    statement = cnn.PROBLEM.solve(overrides).statement_text
    for fragment in fragments:
        assert fragment in statement


@pytest.mark.parametrize("overrides, message", [
    ({"X": "[[1, 1, 2, 3], [0, 0, 1, 1], [1, 2, 3, 4], [5, 6, 7, 8]]"},
     "window rows 1-2, columns 1-2 of X has a tie for its maximum 1: the max-pool gradient would not be unique"),
    ({"X": "[[0, -1, 2, 3], [-2, -3, 1, 1], [1, 2, 3, 4], [5, 6, 7, 8]]"},
     "window rows 1-2, columns 1-2 of X has maximum 0, the kink of LeakyReLU and PReLU"),
    ({"X": "[[1, 2, 3], [4, 5, 6]]"}, "X is 2 x 3; 2 x 2 pooling with stride 2 needs even dimensions"),
    ({"W": "[[1, 2, 3]]"}, "W is 1 x 3 but the pooled U is 2 x 2"),
    ({"X": "[[1, 2], [3]]"}, "the rows of X have different lengths [1, 2]"),
    ({"X": "[1, 2, 3, 4]"}, "X must be a matrix, a JSON list of rows such as [[1, 2], [3, 4]]"),
    ({"dL_dy": "0"}, "an upstream gradient dL_dy = 0 makes every gradient 0; choose a nonzero value"),
])
def test_ill_posed_values_are_usage_errors(overrides, message):
    with pytest.raises(UsageError) as info:
        cnn.PROBLEM.solve(overrides)
    assert str(info.value) == f"problem 'cnn' is not well posed at these values: {message}"


def test_sampled_variants_are_well_posed_and_solve():
    rng = random.Random(7)
    params = {p.name: p for p in cnn.PROBLEM.parameters}
    for _ in range(3):
        X, W = params["X"].sample(rng), params["W"].sample(rng)
        assert cnn.PROBLEM.well_posed({"X": X, "W": W}) is None
        sol = cnn.PROBLEM.solve({"X": [[str(v) for v in row] for row in X], "W": W})
        torch_grad = torch_network([[float(v) for v in row] for row in X], W, 0.1, 2.0)["dL_dX"]
        assert_nested_close(sol.answers["cnn.dL_dX"].json_value, as_list(torch_grad))


def test_answers_json_has_every_id(derive):
    result = derive("answers", "cnn", "--format", "json")
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout)["cnn"]["answers"]
    assert list(answers) == list(cnn.PROBLEM.answer_ids)
    assert answers["cnn.dL_dX"]["value"] == [[0, 2, 0, 4], [0, 0, 0, 0], [2, 0, 0, 0], [0, 0, 0.8, 0]]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_exam_variants_match_torch(seed):
    values = variants.draw(cnn.PROBLEM, seed)
    sol = cnn.PROBLEM.solve(values)
    X = [[float(v) for v in row] for row in values["X"]]
    W = [[float(v) for v in row] for row in values["W"]]
    ref = torch_network(X, W, float(values["slope"]), float(values["dL_dy"]))
    assert_nested_close(sol.answers["cnn.dL_dX"].json_value, as_list(ref["dL_dX"]))
    prelu = torch_prelu(X, W, float(values["alpha"]), float(values["dL_dy"]))
    assert sol.answers["cnn.dL_dalpha"].json_value == pytest.approx(prelu["alpha"], **TOL)
