"""A2 adam against independent references: a plain-Python Adam loop in exact
fractions (Kingma & Ba 2015, Algorithm 1), torch.optim.Adam / AdamW in
float64, and the exact expressions at small epsilon and delta in mpmath
(the remainder of a first-order expansion shrinks like the square)."""
from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
import sympy as sp
import torch

from derivations import adam
from engine.errors import UsageError
from engine.model.problem import Table

#: (overrides, beta_1, beta_2, epsilon) as exact fractions.
PARAMETER_SETS = [
    ({}, Fraction(9, 10), Fraction(999, 1000), Fraction(1, 10**8)),
    ({"beta_1": "0.8", "beta_2": "0.99"}, Fraction(4, 5), Fraction(99, 100), Fraction(1, 10**8)),
    ({"beta_1": "0.5", "beta_2": "0.9", "epsilon": "1e-3"}, Fraction(1, 2), Fraction(9, 10), Fraction(1, 1000)),
]
SET_IDS = ["defaults", "b1=0.8,b2=0.99", "b1=0.5,b2=0.9,eps=1e-3"]
#: Gradient pairs (g_1, g_2): both signs, sizes far apart.
GRADIENTS = [
    (Fraction(3, 10), Fraction(-7, 10)),
    (Fraction(-2), Fraction(3, 2)),
    (Fraction(1, 1000), Fraction(2, 1000)),
    (Fraction(-1, 20), Fraction(-1, 25)),
]
GRAD_IDS = ["0.3,-0.7", "-2,1.5", "1e-3,2e-3", "-0.05,-0.04"]
ALPHA = Fraction(1, 100)
REL = 1e-12


def adam_loop(grads, beta1, beta2):
    """(m_t, v_t, mhat_t, vhat_t) after each gradient, by Algorithm 1 of
    Kingma & Ba (2015) from m_0 = v_0 = 0 (exact when the inputs are)."""
    m = v = 0
    out = []
    for t, g in enumerate(grads, start=1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        out.append((m, v, m / (1 - beta1**t), v / (1 - beta2**t)))
    return out


def loop_ratio(g1, g2, beta1, beta2, eps):
    """mhat_2 / (sqrt(vhat_2) + eps) by the loop, in mpmath."""
    (_, _, _, _), (_, _, mhat, vhat) = adam_loop([g1, g2], beta1, beta2)
    return mhat / (mpmath.sqrt(vhat) + eps)


def at(expr, **values):
    """``expr`` with adam's symbols replaced by exact values (keyword = symbol attribute name)."""
    mapping = {getattr(adam, name): sp.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else v
               for name, v in values.items()}
    return expr.xreplace(mapping)


def as_float(expr) -> float:
    return float(sp.N(expr, 30))


def mp(expr) -> mpmath.mpf:
    return mpmath.mpf(str(sp.N(expr, 60)))


def mpf(q: Fraction) -> mpmath.mpf:
    return mpmath.mpf(q.numerator) / q.denominator


@pytest.fixture(scope="module", params=range(len(PARAMETER_SETS)), ids=SET_IDS)
def case(request):
    overrides, b1, b2, eps = PARAMETER_SETS[request.param]
    return adam.PROBLEM.solve(overrides), b1, b2, eps


def torch_steps(grads, b1, b2, eps, *, optimizer=torch.optim.Adam, weight_decay=0.0, w0=0.5):
    """Weights w_1, w_2, ... of a scalar parameter under a torch optimizer in float64."""
    w = torch.tensor([w0], dtype=torch.float64, requires_grad=True)
    opt = optimizer([w], lr=float(ALPHA), betas=(float(b1), float(b2)), eps=float(eps), weight_decay=weight_decay)
    weights = [w0]
    for g in grads:
        w.grad = torch.tensor([float(g)], dtype=torch.float64)
        opt.step()
        weights.append(w.item())
    return weights


# --------------------------------------------------------------------------- moments, exact


@pytest.mark.parametrize("g1, g2", GRADIENTS, ids=GRAD_IDS)
def test_bias_corrected_moments_match_the_loop_exactly(case, g1, g2):
    sol, b1, b2, _ = case
    (_, _, mhat1, vhat1), (_, _, mhat2, vhat2) = adam_loop([g1, g2], b1, b2)
    betas = dict(beta_1=b1, beta_2=b2, g_1=g1, g_2=g2)
    for answer_id, expected in (("adam.m_hat_1", mhat1), ("adam.v_hat_1", vhat1),
                                ("adam.m_hat_2", mhat2), ("adam.v_hat_2", vhat2)):
        assert at(sol.answers[answer_id].value, **betas) == sp.Rational(expected.numerator, expected.denominator)


# --------------------------------------------------------------------------- steps vs torch


@pytest.mark.parametrize("g1, g2", GRADIENTS, ids=GRAD_IDS)
def test_first_step_matches_torch_adam(case, g1, g2):
    sol, b1, b2, eps = case
    w = torch_steps([g1], b1, b2, eps)
    ours = as_float(at(sol.answers["adam.step_1"].value, alpha=ALPHA, g_1=g1, epsilon=eps))
    assert ours == pytest.approx(w[1] - w[0], rel=1e-9)


@pytest.mark.parametrize("g1, g2", GRADIENTS, ids=GRAD_IDS)
def test_second_ratio_matches_torch_adam(case, g1, g2):
    sol, b1, b2, eps = case
    w = torch_steps([g1, g2], b1, b2, eps)
    ours = as_float(at(sol.answers["adam.ratio_2"].value, beta_1=b1, beta_2=b2, g_1=g1, g_2=g2, epsilon=eps))
    assert ours == pytest.approx((w[1] - w[2]) / float(ALPHA), rel=1e-9)


def test_update_rule_matches_torch_adam_over_several_steps(case):
    sol, b1, b2, eps = case
    grads = [Fraction(3, 10), Fraction(-1, 5), Fraction(7, 10), Fraction(1, 20)]
    weights = torch_steps(grads, b1, b2, eps)
    for step, (m, v, _, _) in enumerate(adam_loop(grads, b1, b2), start=1):
        ours = at(sol.answers["adam.update_rule"].value, alpha=ALPHA, beta_1=b1, beta_2=b2, epsilon=eps,
                  m_t=m, v_t=v, t=sp.Integer(step))
        ours = ours.xreplace({adam.w_t: sp.Float(weights[step - 1], 30)})
        assert as_float(ours) == pytest.approx(weights[step], rel=REL)


# --------------------------------------------------------------------------- expansions


def _remainders(exact, series, points):
    """|exact(h) - series(h)| / h^2 at each h (mpmath, 60 digits)."""
    with mpmath.workdps(60):
        return [abs(exact(h) - series(h)) / h**2 for h in points]


def _assert_second_order(ratios):
    # R(h)/h^2 tends to a constant: consecutive values agree to 1% (a wrong
    # first-order term would make them grow tenfold per step).
    for a, b in zip(ratios, ratios[1:]):
        assert abs(a - b) <= mpmath.mpf("0.01") * max(abs(a), abs(b))


@pytest.mark.parametrize("g1, g2", GRADIENTS, ids=GRAD_IDS)
def test_step_1_series_has_an_eps_squared_remainder(case, g1, g2):
    sol, b1, b2, _ = case
    series = sol.answers["adam.step_1_series"].value.removeO()
    scale = abs(g1)
    points = [mpf(scale) * mpmath.mpf(10) ** -k for k in (4, 5, 6)]

    def exact(h):
        (_, _, mhat, vhat), = adam_loop([mpf(g1)], mpf(b1), mpf(b2))
        return -mpf(ALPHA) * mhat / (mpmath.sqrt(vhat) + h)

    def approx(h):
        return mp(at(series, alpha=ALPHA, g_1=g1).xreplace({adam.epsilon: sp.Float(str(h), 60)}))

    _assert_second_order(_remainders(exact, approx, points))


@pytest.mark.parametrize("g1, g2", GRADIENTS, ids=GRAD_IDS)
def test_ratio_2_series_has_an_eps_squared_remainder(case, g1, g2):
    sol, b1, b2, _ = case
    series = at(sol.answers["adam.ratio_2_series"].value.removeO(), beta_1=b1, beta_2=b2, g_1=g1, g_2=g2)
    points = [mpf(abs(g1)) * mpmath.mpf(10) ** -k for k in (4, 5, 6)]

    def exact(h):
        return loop_ratio(mpf(g1), mpf(g2), mpf(b1), mpf(b2), h)

    def approx(h):
        return mp(series.xreplace({adam.epsilon: sp.Float(str(h), 60)}))

    _assert_second_order(_remainders(exact, approx, points))


@pytest.mark.parametrize("g1", [Fraction(3, 10), Fraction(-2), Fraction(1, 1000)], ids=["0.3", "-2", "1e-3"])
def test_ratio_2_delta_series_has_a_delta_squared_remainder(case, g1):
    sol, b1, b2, _ = case
    series = at(sol.answers["adam.ratio_2_delta_series"].value.removeO(), beta_1=b1, beta_2=b2, g_1=g1)
    points = [mpmath.mpf(10) ** -k for k in (3, 4, 5)]

    def exact(h):
        return loop_ratio(mpf(g1), mpf(g1) * (1 + h), mpf(b1), mpf(b2), 0)

    def approx(h):
        return mp(series.xreplace({adam.delta: sp.Float(str(h), 60)}))

    _assert_second_order(_remainders(exact, approx, points))


@pytest.mark.parametrize("g1", [Fraction(3, 10), Fraction(-2)], ids=["0.3", "-2"])
def test_delta_coefficient_matches_mpmath_derivative_and_the_sheet(case, g1):
    sol, b1, b2, _ = case
    value = sol.answers["adam.ratio_2_delta_coefficient"].value
    with mpmath.workdps(40):
        slope = mpmath.diff(lambda h: loop_ratio(mpf(g1), mpf(g1) * (1 + h), mpf(b1), mpf(b2), 0), 0)
        sign = 1 if g1 > 0 else -1
        assert abs(mp(value) - sign * slope) < mpmath.mpf(10) ** -25
    # problems.md A2 (c): (beta_2 - beta_1) / ((1 + beta_1)(1 + beta_2)), e.g. 0.099/(1.9 * 1.999)
    sheet = (b2 - b1) / ((1 + b1) * (1 + b2))
    assert value == sp.Rational(sheet.numerator, sheet.denominator)


# --------------------------------------------------------------------------- warm-up, weight decay


def test_warmup_table_matches_torch_first_steps(case):
    sol, b1, b2, eps = case
    (table,) = [b for p in sol.parts if p.label == "d" for b in p.blocks if isinstance(b, Table)]
    assert sol.answers["adam.warmup"].value is None and "warm-up" in sol.answers["adam.warmup"].text
    for size, ratio, shortfall in table.rows:
        w = torch_steps([Fraction(str(size))], b1, b2, eps)
        assert as_float(ratio) == pytest.approx(abs(w[1] - w[0]) / float(ALPHA), rel=1e-9)
        assert size >= 100 * sp.Rational(eps.numerator, eps.denominator)
        assert as_float(ratio) == pytest.approx(1, abs=0.01)  # about alpha, whatever |g_1| >> epsilon
        assert ratio + shortfall == 1


WEIGHT_DECAY_GRADS = [Fraction(3, 10), Fraction(-1, 5), Fraction(7, 10)]


@pytest.mark.parametrize("lam", [Fraction(1, 10), Fraction(1, 100)], ids=["0.1", "0.01"])
def test_l2_update_matches_torch_adam_with_weight_decay(case, lam):
    sol, b1, b2, eps = case
    weights = torch_steps(WEIGHT_DECAY_GRADS, b1, b2, eps, weight_decay=float(lam))
    m_g = m_w = v = 0.0
    for step, g in enumerate(WEIGHT_DECAY_GRADS, start=1):
        w = weights[step - 1]
        m_g = float(b1) * m_g + (1 - float(b1)) * float(g)
        m_w = float(b1) * m_w + (1 - float(b1)) * w
        v = float(b2) * v + (1 - float(b2)) * (float(g) + float(lam) * w) ** 2
        expr = at(sol.answers["adam.l2_update"].value, alpha=ALPHA, lam=lam, epsilon=eps)
        expr = expr.xreplace({
            adam.w_t: sp.Float(w, 30),
            adam.m_hat_g_t: sp.Float(m_g / (1 - float(b1) ** step), 30),
            adam.m_hat_w_t: sp.Float(m_w / (1 - float(b1) ** step), 30),
            adam.v_hat_t: sp.Float(v / (1 - float(b2) ** step), 30),
        })
        assert as_float(expr) == pytest.approx(weights[step], rel=REL)


@pytest.mark.parametrize("lam", [Fraction(1, 10), Fraction(1, 100)], ids=["0.1", "0.01"])
def test_adamw_update_matches_torch_adamw(case, lam):
    sol, b1, b2, eps = case
    weights = torch_steps(WEIGHT_DECAY_GRADS, b1, b2, eps, optimizer=torch.optim.AdamW, weight_decay=float(lam))
    for step, (_, _, mhat, vhat) in enumerate(adam_loop(WEIGHT_DECAY_GRADS, b1, b2), start=1):
        expr = at(sol.answers["adam.adamw_update"].value, alpha=ALPHA, lam=lam, epsilon=eps,
                  m_hat_t=mhat, v_hat_t=vhat)
        expr = expr.xreplace({adam.w_t: sp.Float(weights[step - 1], 30)})
        assert as_float(expr) == pytest.approx(weights[step], rel=REL)


def test_l2_decay_is_divided_by_the_denominator_and_adamw_decay_is_not():
    sol = adam.PROBLEM.solve()
    denominator = sp.sqrt(adam.v_hat_t) + adam.epsilon
    l2 = sol.answers["adam.l2_update"].value
    adamw = sol.answers["adam.adamw_update"].value
    assert sp.simplify(sp.diff(l2, adam.lam) + adam.alpha * adam.m_hat_w_t / denominator) == 0
    assert sp.simplify(sp.diff(adamw, adam.lam) + adam.alpha * adam.w_t) == 0


# --------------------------------------------------------------------------- statement, errors


@pytest.mark.parametrize("overrides, fragments", [
    ({}, [r"\beta_1 = 0.9", r"\beta_2 = 0.999"]),
    ({"beta_1": "0.8", "beta_2": "0.99"}, [r"\beta_1 = 0.8", r"\beta_2 = 0.99"]),
])
def test_statement_shows_the_current_parameters(overrides, fragments):
    statement = adam.PROBLEM.solve(overrides).statement_text
    for fragment in fragments:
        assert f"${fragment}$" in statement


@pytest.mark.parametrize("overrides, message", [
    ({"beta_1": "1"}, "problem 'adam' is not well posed at these values: beta_1 = 1 must lie strictly between 0 and 1"),
    ({"beta_2": "0"}, "problem 'adam' is not well posed at these values: beta_2 = 0 must lie strictly between 0 and 1"),
    ({"epsilon": "-1e-8"}, "problem 'adam' is not well posed at these values: epsilon = -1/100000000 must be positive"),
])
def test_bad_parameters_are_usage_errors(overrides, message):
    with pytest.raises(UsageError) as info:
        adam.PROBLEM.solve(overrides)
    assert str(info.value) == message


def test_parts_a_to_e_and_series_steps_are_checked():
    sol = adam.PROBLEM.solve()
    assert [p.label for p in sol.parts] == ["a", "b", "c", "d", "e"]
    series_steps = [s for p in sol.parts for b in p.blocks for s in getattr(b, "steps", []) if s.relation == "series"]
    assert len(series_steps) == 3 and all(s.proof is not None for s in series_steps)
