"""B2 softmax against PyTorch in float64: torch.softmax for the stable values,
torch's own naive exp/sum for the float64 overflow, shift invariance at random
logits (every line of our proof evaluated at concrete K, z, c), and
F.cross_entropy's loss and z.grad on random logits for several K and y."""
from __future__ import annotations

import json
import math
import random

import mpmath
import pytest
import sympy as sp
import torch
import torch.nn.functional as F

from derivations import softmax
from engine.model import variants
from engine.errors import UsageError
from engine.model.problem import Derivation

LOGIT_SETS = [
    ({}, [1000.0, 1001.0, 1002.0]),
    ({"z": "[1, 2, 3, 4]"}, [1.0, 2.0, 3.0, 4.0]),
    ({"z": "[-1000, -999, 0.5]"}, [-1000.0, -999.0, 0.5]),
    ({"z": "[710, 712, 711, 715, 709]"}, [710.0, 712.0, 711.0, 715.0, 709.0]),
]
SET_IDS = ["sheet", "small", "mixed", "just-over-709"]


@pytest.mark.parametrize("overrides, logits", LOGIT_SETS, ids=SET_IDS)
def test_stable_example_matches_torch_softmax(overrides, logits):
    answer = softmax.PROBLEM.solve(overrides).answers["softmax.stable_example"]
    expected = torch.softmax(torch.tensor(logits, dtype=torch.float64), dim=0).tolist()
    assert answer.json_value == pytest.approx(expected, rel=1e-14, abs=1e-300)


def test_stable_example_sheet_digits():
    values = softmax.PROBLEM.solve().answers["softmax.stable_example"].json_value
    assert [round(v, 7) for v in values] == [0.0900306, 0.2447285, 0.6652410]


def _same_float(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-15, abs=0)


@pytest.mark.parametrize("logits", [
    [1000.0, 1001.0, 1002.0], [1.0, 1000.0], [-1000.0, -1001.0], [1.0, 2.0, 3.0], [700.0, 709.0],
    [-745.0, -800.0, 3.0],
])
def test_naive_float64_emulation_matches_torch(logits):
    z = torch.tensor(logits, dtype=torch.float64)
    exps = torch.exp(z)
    naive = (exps / exps.sum()).tolist()
    ours_exps, ours_total, ours = softmax.naive_softmax_float64(logits)
    assert all(_same_float(a, b) for a, b in zip(ours_exps, exps.tolist()))
    assert _same_float(ours_total, exps.sum().item())
    assert all(_same_float(a, b) for a, b in zip(ours, naive))


@pytest.mark.parametrize("overrides, fragments", [
    ({}, [r"$\exp(1000) = \mathrm{inf}$, $\exp(1001) = \mathrm{inf}$, $\exp(1002) = \mathrm{inf}$",
          r"$\left(\mathrm{nan}, \mathrm{nan}, \mathrm{nan}\right)$: $\mathrm{inf}/\mathrm{inf} = \mathrm{nan}$"]),
    ({"z": "[1, 1000]"}, [r"$\exp(1) = 2.71828$, $\exp(1000) = \mathrm{inf}$", r"returns $\left(0, \mathrm{nan}\right)$"]),
    ({"z": "[-1000, -1001]"}, [r"$\exp$ underflows to 0 for every logit",
                               r"$\left(\mathrm{nan}, \mathrm{nan}\right)$: $0/0 = \mathrm{nan}$"]),
    ({"z": "[1, 2, 3]"}, ["nothing overflows in float64", r"returns $\left(0.0900306, 0.244728, 0.665241\right)$"]),
])
def test_naive_example_text_follows_the_logits(overrides, fragments):
    answer = softmax.PROBLEM.solve(overrides).answers["softmax.naive_example"]
    assert answer.value is None and answer.json_value is None
    for fragment in fragments:
        assert fragment in answer.text


@pytest.mark.parametrize("seed", range(4))
def test_shift_invariance_numerically_in_torch(seed):
    gen = torch.Generator().manual_seed(seed)
    K = 2 + seed * 3
    z = torch.randn(K, generator=gen, dtype=torch.float64) * 5
    c = float(torch.randn(1, generator=gen, dtype=torch.float64) * 50)
    assert torch.softmax(z - c, 0).tolist() == pytest.approx(torch.softmax(z, 0).tolist(), rel=1e-12)


def _concrete(expr: sp.Basic, K: int, index: int, logits, c: float) -> float:
    """A line of the proof at K classes, entry i = index, logits z, shift c."""
    expr = expr.subs({softmax.K: K, softmax.i: index}).doit()
    values = {softmax.z[k + 1]: sp.Float(v, 30) for k, v in enumerate(logits)}
    return float(sp.N(expr.xreplace(values).xreplace({softmax.c: sp.Float(c, 30)}), 30))


@pytest.mark.parametrize("K, seed", [(2, 0), (3, 1), (5, 2), (9, 3)])
def test_every_line_of_the_shift_proof_equals_torch_softmax(K, seed):
    sol = softmax.PROBLEM.solve()
    (proof,) = [b for p in sol.parts if p.label == "a" for b in p.blocks if isinstance(b, Derivation)]
    rng = random.Random(seed)
    logits = [rng.uniform(-5, 5) for _ in range(K)]
    c = rng.uniform(-20, 20)
    expected = torch.softmax(torch.tensor(logits, dtype=torch.float64), 0).tolist()
    lines = [proof.lhs] + [s.expr for s in proof.steps]
    for index in range(1, K + 1):
        for line in lines:
            value = _concrete(proof.context.expand_definitions(line), K, index, logits, c)
            assert value == pytest.approx(expected[index - 1], rel=1e-12)


def test_shift_proof_is_symbolic_for_every_K():
    sol = softmax.PROBLEM.solve()
    methods = {s.proof.method for p in sol.parts for b in p.blocks if isinstance(b, Derivation)
               for s in b.steps if s.proof is not None}
    assert methods <= {"structural", "expand", "cancel", "simplify"}


def _mp_softmax(logits):
    with mpmath.workdps(40):
        exps = [mpmath.exp(mpmath.mpf(v)) for v in logits]
        total = mpmath.fsum(exps)
        return [e / total for e in exps]


def _answer_at(expr: sp.Basic, probs, y: int, y_other: int) -> float:
    """A symbolic answer (in p_y, p_y') at concrete probabilities."""
    return float(expr.xreplace({
        softmax.p[softmax.y]: sp.Float(probs[y - 1], 30),
        softmax.p[softmax.y_other]: sp.Float(probs[y_other - 1], 30),
    }))


@pytest.mark.parametrize("K, y, seed", [(2, 1, 0), (2, 2, 1), (3, 2, 2), (5, 5, 3), (10, 4, 4), (10, 1, 5)])
def test_cross_entropy_loss_and_gradients_match_torch(K, y, seed):
    answers = softmax.PROBLEM.solve().answers
    gen = torch.Generator().manual_seed(seed)
    z = (torch.randn(K, generator=gen, dtype=torch.float64) * 3).requires_grad_(True)
    loss = F.cross_entropy(z[None], torch.tensor([y - 1]))
    loss.backward()
    probs = _mp_softmax(z.detach().tolist())
    others = [k for k in range(1, K + 1) if k != y]
    assert _answer_at(answers["ce.loss_onehot"].value, probs, y, others[0]) == pytest.approx(loss.item(), rel=1e-12)
    assert _answer_at(answers["ce.dL_dz_y"].value, probs, y, others[0]) == pytest.approx(z.grad[y - 1].item(), rel=1e-12)
    for k in others:
        assert _answer_at(answers["ce.dL_dz_other"].value, probs, y, k) == pytest.approx(z.grad[k - 1].item(), rel=1e-12)


@pytest.mark.parametrize("K, y", [(2, 1), (4, 3), (7, 7)])
def test_log_sum_exp_form_matches_torch_cross_entropy(K, y):
    logits = [0.5 * k - 1.25 for k in range(K)]
    expr = softmax.LOSS.subs({softmax.K: K, softmax.y: y}).doit()
    value = float(sp.N(expr.xreplace({softmax.z[k + 1]: sp.Float(v, 30) for k, v in enumerate(logits)}), 30))
    reference = F.cross_entropy(torch.tensor([logits], dtype=torch.float64), torch.tensor([y - 1])).item()
    assert value == pytest.approx(reference, rel=1e-13)


@pytest.mark.parametrize("overrides, fragment", [
    ({}, r"\mathbf{z} = \left(1000, 1001, 1002\right)$"),
    ({"z": "[1, 2.5, -3]"}, r"\mathbf{z} = \left(1, 2.5, -3\right)$"),
])
def test_statement_shows_the_current_logits(overrides, fragment):
    assert fragment in softmax.PROBLEM.solve(overrides).statement_text


@pytest.mark.parametrize("raw, message", [
    ("[1, 2, 2]", "the logits must be distinct: z_2 = z_3 = 2"),
    ("[5]", "z must be a list of at least 2 logits, e.g. [1000, 1001, 1002]"),
    ("7", "z must be a list of at least 2 logits, e.g. [1000, 1001, 1002]"),
    ("[[1, 2], [3, 4]]", "z must be a list of at least 2 logits, e.g. [1000, 1001, 1002]"),
])
def test_ill_posed_logits_are_usage_errors(raw, message):
    with pytest.raises(UsageError) as info:
        softmax.PROBLEM.solve({"z": raw})
    assert str(info.value) == f"problem 'softmax' is not well posed at these values: {message}"


def test_sampled_logits_overflow_the_naive_formula():
    rng = random.Random(3)
    (param,) = softmax.PROBLEM.parameters
    for _ in range(5):
        logits = param.sample(rng)
        assert softmax.PROBLEM.well_posed({"z": logits}) is None
        assert math.isinf(softmax.naive_softmax_float64(logits)[1])


def test_answers_json_has_every_id(derive):
    result = derive("answers", "softmax", "--format", "json")
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout)["softmax"]["answers"]
    assert list(answers) == list(softmax.PROBLEM.answer_ids)
    assert answers["softmax.naive_example"]["value"] is None
    assert r"$\mathrm{inf}/\mathrm{inf} = \mathrm{nan}$" in answers["softmax.naive_example"]["text"]
    assert len(answers["softmax.stable_example"]["value"]) == 3


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_exam_variants_match_torch(seed):
    values = variants.draw(softmax.PROBLEM, seed)
    answers = softmax.PROBLEM.solve(values).answers
    logits = torch.tensor([float(v) for v in values["z"]], dtype=torch.float64)
    assert answers["softmax.stable_example"].json_value == pytest.approx(torch.softmax(logits, 0).tolist(), rel=1e-14)
    assert r"$\mathrm{inf}/\mathrm{inf} = \mathrm{nan}$" in answers["softmax.naive_example"].text
