"""engine.calculus.jacobian against PyTorch float64: torch.softmax(dim=-1) for
the row-wise softmax and torch.autograd.functional.jacobian for the softmax
Jacobian and a general Jacobian."""
from __future__ import annotations

import pytest
import sympy as sp
import torch

from engine.calculus.jacobian import jacobian, jacobian_table, softmax_jacobian, softmax_rows
from engine.errors import UsageError
from engine.model.problem import Tex

SCORES = [[1, 0, sp.Rational(1, 2)], [0, 2, -3], [1000, 1001, 1002]]


def test_softmax_rows_matches_torch():
    ours = softmax_rows(SCORES)
    ref = torch.softmax(torch.tensor([[float(v) for v in r] for r in SCORES], dtype=torch.float64), dim=-1)
    for r in range(3):
        assert [float(v) for v in ours.row(r)] == pytest.approx(ref[r].tolist(), rel=1e-14)
        assert sp.simplify(sum(ours.row(r)) - 1) == 0


def test_softmax_jacobian_matches_torch_autograd():
    s = torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64)
    ref = torch.autograd.functional.jacobian(lambda v: torch.softmax(v, 0), s)
    a = softmax_rows([[sp.Rational(3, 10), sp.Rational(-6, 5), 2]])
    ours = softmax_jacobian(list(a.row(0)))
    assert [float(ours[i, j]) for i in range(3) for j in range(3)] == pytest.approx(ref.flatten().tolist(), rel=1e-13)


def test_jacobian_and_its_table():
    x, y = sp.symbols("x y")
    J = jacobian([x * y, sp.sin(x)], [x, y])
    assert J == sp.Matrix([[y, x], [sp.cos(x), 0]])
    ref = torch.autograd.functional.jacobian(
        lambda v: torch.stack([v[0] * v[1], torch.sin(v[0])]), torch.tensor([0.5, 2.0], dtype=torch.float64))
    assert [float(J[i, j].subs({x: 0.5, y: 2})) for i in range(2) for j in range(2)] == pytest.approx(
        ref.flatten().tolist(), rel=1e-15)
    table = jacobian_table(J, ["f_1", "f_2"], ["x", "y"], caption="partials")
    assert table.headers == [Tex(""), Tex(r"\partial x"), Tex(r"\partial y")]
    assert table.rows[1] == [Tex(r"\partial f_2"), sp.cos(x), 0]


def test_bad_shapes_are_usage_errors():
    with pytest.raises(UsageError):
        softmax_rows([])
    with pytest.raises(UsageError, match="needs 2 output"):
        jacobian_table(sp.eye(2), ["a"], ["b", "c"])
