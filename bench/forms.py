"""Hand-written forms of the catalog's answers for the benchmark pairs:
correct rewrites and mutations of the symbolic answers (:func:`symbolic_forms`),
and each problem's definitions written from problems.md with the pairs that
use them (:data:`DEFINITIONS`). Only sympy objects are built here; their
LaTeX is printed and their verdict checked by :mod:`bench.mathcheck`."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from bench.mathcheck import LOG10, SIGMA


@dataclass
class Context:
    """Our own reading of a problem (problems.md): definitions by symbol
    name, the given values, and the sampling domain of its symbols."""

    definitions: dict[str, Any] = field(default_factory=dict)
    givens: dict[str, Any] = field(default_factory=dict)
    domain: dict[str, tuple[float, float]] = field(default_factory=dict)


NO_CONTEXT = Context()


def _unevaluated_fraction(numerator_factors, denominator):
    """``a b / d`` kept as written (sympy would cancel a common factor)."""
    return sp.Mul(*numerator_factors, sp.Pow(denominator, -1, evaluate=False), evaluate=False)


def _adam_forms(s):
    b1, b2, g1, g2, eps, alpha = s("beta_1"), s("beta_2"), s("g_1"), s("g_2"), s("epsilon"), s("alpha")
    w, m, v, t, lam = s("w_{t}"), s("m_{t}"), s("v_{t}"), s("t"), s("lambda")
    mh, vh = s(r"\hat{m}_{t}"), s(r"\hat{v}_{t}")
    return {
        "adam.update_rule": [
            ("equal", "rewrite", "the paper's form with the bias-corrected moments inline",
             w - alpha * (m / (1 - b1 ** t)) / (sp.sqrt(v / (1 - b2 ** t)) + eps)),
            ("different", "mutation-bias", "the first moment's bias correction dropped",
             w - alpha * m / (sp.sqrt(v / (1 - b2 ** t)) + eps)),
            ("different", "mutation-bias", "the second moment's bias correction dropped",
             w - alpha * (m / (1 - b1 ** t)) / (sp.sqrt(v) + eps)),
            ("different", "mutation-bias", "beta_1 instead of beta_1^t in the bias correction",
             w - alpha * (m / (1 - b1)) / (sp.sqrt(v / (1 - b2 ** t)) + eps)),
            ("different", "mutation-sign", "the step added instead of subtracted",
             w + alpha * (m / (1 - b1 ** t)) / (sp.sqrt(v / (1 - b2 ** t)) + eps)),
        ],
        "adam.m_hat_1": [
            ("equal", "rewrite", "bias correction written out", _unevaluated_fraction([1 - b1, g1], 1 - b1)),
            ("different", "mutation-bias", "bias correction dropped (m_1 itself)", (1 - b1) * g1),
            ("different", "mutation-index", "g_2 instead of g_1", g2),
        ],
        "adam.v_hat_1": [
            ("equal", "rewrite", "bias correction written out", _unevaluated_fraction([1 - b2, g1 ** 2], 1 - b2)),
            ("equal", "rewrite", "absolute value squared", sp.Pow(sp.Abs(g1), 2, evaluate=False)),
            ("different", "mutation-bias", "bias correction dropped (v_1 itself)", (1 - b2) * g1 ** 2),
            ("different", "mutation-power", "the square dropped", g1),
        ],
        "adam.step_1": [
            ("equal", "rewrite", "|g_1| written as a root",
             -alpha * g1 / (sp.Pow(sp.Pow(g1, 2), sp.Rational(1, 2), evaluate=False) + eps)),
            ("different", "mutation-abs", "the absolute value dropped (wrong for g_1 < 0)", -alpha * g1 / (g1 + eps)),
            ("different", "mutation-sign", "the sign of the step", alpha * g1 / (sp.Abs(g1) + eps)),
            ("different", "mutation-power", "g_1^2 instead of |g_1|", -alpha * g1 / (g1 ** 2 + eps)),
        ],
        "adam.m_hat_2": [
            ("equal", "rewrite", "bias correction written out",
             ((1 - b1) * b1 * g1 + (1 - b1) * g2) / (1 - b1 ** 2)),
            ("different", "mutation-bias", "1 - beta_1 instead of 1 + beta_1 (wrong bias correction)",
             (b1 * g1 + g2) / (1 - b1)),
            ("different", "mutation-bias", "bias correction dropped (m_2 itself)", (1 - b1) * b1 * g1 + (1 - b1) * g2),
            ("different", "mutation-index", "g_1 and g_2 swapped", (b1 * g2 + g1) / (1 + b1)),
        ],
        "adam.v_hat_2": [
            ("equal", "rewrite", "bias correction written out",
             ((1 - b2) * b2 * g1 ** 2 + (1 - b2) * g2 ** 2) / (1 - b2 ** 2)),
            ("different", "mutation-bias", "bias correction dropped (v_2 itself)",
             (1 - b2) * b2 * g1 ** 2 + (1 - b2) * g2 ** 2),
            ("different", "mutation-power", "the squares dropped", (b2 * g1 + g2) / (1 + b2)),
        ],
        "adam.ratio_2": [
            ("equal", "rewrite", "m-hat over root v-hat plus epsilon, written out",
             ((b1 * g1 + g2) / (1 + b1)) / (sp.sqrt((b2 * g1 ** 2 + g2 ** 2) / (1 + b2)) + eps)),
            ("different", "mutation-bias", "bias corrections dropped",
             ((1 - b1) * (b1 * g1 + g2)) / (sp.sqrt((1 - b2) * (b2 * g1 ** 2 + g2 ** 2)) + eps)),
            ("different", "mutation-root", "the square root dropped",
             ((b1 * g1 + g2) / (1 + b1)) / ((b2 * g1 ** 2 + g2 ** 2) / (1 + b2) + eps)),
        ],
        "adam.adamw_update": [
            ("equal", "rewrite", "the decay factored onto w_t",
             w * (1 - alpha * lam) - alpha * mh / (sp.sqrt(vh) + eps)),
            ("different", "mutation-decay", "L2 in the gradient instead of decoupled weight decay",
             w - alpha * (mh + lam * w) / (sp.sqrt(vh) + eps)),
            ("different", "mutation-sign", "the weight decay added", w - alpha * mh / (sp.sqrt(vh) + eps) + alpha * lam * w),
        ],
    }


def _other_forms(s):
    x, xi, y, t, o1, t1, eta = s("x"), s("x_i"), s("y"), s("t"), s("o_1"), s("t_1"), s(r"\eta")
    p = sp.IndexedBase("p", positive=True)
    py, pyp = p[s("y")], p[s("y'")]
    xj = sp.IndexedBase("x", real=True)[s("j")]
    L = sp.log
    return {
        "autodiff.df_dx_symbolic": [
            ("equal", "rewrite", "expanded over log^2 and log^3", 4 * x ** 3 / L(x) ** 2 - 2 * x ** 3 / L(x) ** 3),
            ("different", "mutation-sign", "+1 instead of -1", 2 * x ** 3 * (2 * L(x) + 1) / L(x) ** 3),
            ("different", "mutation-power", "x^2 instead of x^3", 2 * x ** 2 * (2 * L(x) - 1) / L(x) ** 3),
            ("different", "mutation-log10", "base-10 logs", 2 * x ** 3 * (2 * LOG10(x) - 1) / LOG10(x) ** 3),
        ],
        "cnn.loss": [
            ("equal", "rewrite", "t - y squared", (t - y) ** 2 / 2),
            ("different", "mutation-factor", "the 1/2 dropped", (y - t) ** 2),
            ("different", "mutation-sign", "y + t", (y + t) ** 2 / 2),
        ],
        "ce.loss_onehot": [
            ("equal", "rewrite", "log of the reciprocal", L(1 / py)),
            ("different", "mutation-sign", "the minus sign dropped", L(py)),
            ("different", "mutation-log10", "base-10 log", -LOG10(py)),
        ],
        "ce.dL_dz_y": [
            ("different", "mutation-sign", "1 - p_y", 1 - py),
            ("different", "mutation-term", "the -1 dropped", py),
        ],
        "ce.dL_dz_other": [
            ("different", "mutation-term", "p_y' - 1 (the target's gradient)", pyp - 1),
            ("different", "mutation-sign", "-p_y'", -pyp),
        ],
        "delta_rule.dTSS_do": [
            ("equal", "rewrite", "o_1 - t_1", o1 - t1),
            ("different", "mutation-sign", "t_1 - o_1", t1 - o1),
        ],
        "delta_rule.do_dnet": [
            ("equal", "rewrite", "expanded", o1 - o1 ** 2),
            ("different", "mutation-sign", "1 + o_1", o1 * (1 + o1)),
        ],
        "delta_rule.delta_w": [
            ("equal", "rewrite", "the minus sign moved", -eta * o1 * (1 - o1) * (o1 - t1) * xj),
            ("different", "mutation-sign", "o_1 - t_1 (gradient ascent)", eta * o1 * (1 - o1) * (o1 - t1) * xj),
            ("different", "mutation-factor", "the learning rate dropped", o1 * (1 - o1) * (t1 - o1) * xj),
        ],
        "autograd.dy_dx_symbolic": [
            ("equal", "rewrite", "the power lowered by one",
             5 * (xi + 1) ** (4 * xi - 1) * (xi + (xi + 1) * L(xi + 1))),
            ("different", "mutation-factor", "the mean's 1/4 dropped",
             5 * (xi + 1) ** (4 * xi) * (4 * L(xi + 1) + 4 * xi / (xi + 1))),
            ("different", "mutation-term", "x/(x+1) written as x", sp.Rational(5, 4) * (xi + 1) ** (4 * xi) *
             (4 * L(xi + 1) + 4 * xi)),
            ("different", "mutation-log10", "base-10 log", sp.Rational(5, 4) * (xi + 1) ** (4 * xi) *
             (4 * LOG10(xi + 1) + 4 * xi / (xi + 1))),
        ],
    }


#: Answers left out, and why (they are not comparable expressions).
SKIPPED = {
    "adam.step_1_series": "a series with an O-term",
    "adam.ratio_2_series": "a series with an O-term",
    "adam.ratio_2_delta_series": "a series with an O-term",
    "adam.l2_update": "symbols with two indices (m-hat^(g)_t)",
    "softmax.shift_invariance": "a named softmax component, not an expression",
    "delta_rule.dnet_dw": "a bare indexed symbol",
}


def symbolic_forms(s) -> dict[str, list]:
    """answer id -> [(intended verdict, kind, note, sympy form)], with ``s(name)``
    giving the catalog's symbol of that name."""
    return {**_adam_forms(s), **_other_forms(s)}


# =========================================================================== the problems' definitions


def _autodiff(sol, s) -> tuple[Context, list]:
    # problems.md A1: u = x^2/log x, a = u + c, b = u - c, f = ab; the primal
    # trace and its adjoints (Baydin et al. 2018, Table 2), written by hand.
    x, c = s("x"), s("c")
    v = {k: sp.Symbol(f"v_{{{k}}}") for k in range(-1, 7)}
    vb = {k: sp.Symbol(rf"\bar{{v}}_{{{k}}}") for k in range(-1, 7)}
    u, a, b, f = sp.symbols("u a b f")
    defs = {"u": x ** 2 / sp.log(x), "a": u + c, "b": u - c, "f": a * b,
            v[-1].name: c, v[0].name: x, v[1].name: v[0] ** 2, v[2].name: sp.log(v[0]), v[3].name: v[1] / v[2],
            v[4].name: v[3] + v[-1], v[5].name: v[3] - v[-1], v[6].name: v[4] * v[5],
            vb[6].name: sp.Integer(1), vb[5].name: vb[6] * v[4], vb[4].name: vb[6] * v[5], vb[3].name: vb[4] + vb[5],
            vb[2].name: -vb[3] * v[1] / v[2] ** 2, vb[1].name: vb[3] / v[2], vb[0].name: 2 * vb[1] * v[0] + vb[2] / v[0],
            vb[-1].name: vb[4] - vb[5]}
    ctx = Context(defs, {"x": sol.params["x"], "c": sol.params["c"]}, {"x": (1.2, 4.0)})
    tr, ad = "autodiff.trace.", "autodiff.adjoint."
    rows = [
        (tr + "v_-1", "equal", "v_{-1} = c", c), (tr + "v0", "equal", "v_0 = x", x),
        (tr + "v1", "equal", "v_1 = v_0^2", v[0] ** 2), (tr + "v1", "different", "2 v_0 for v_0^2", 2 * v[0]),
        (tr + "v2", "equal", "v_2 = log v_0", sp.log(v[0])),
        (tr + "v2", "different", "log base 10 of v_0", LOG10(v[0])),
        (tr + "v3", "equal", "v_3 = v_1 / v_2", v[1] / v[2]), (tr + "v3", "different", "v_2 / v_1", v[2] / v[1]),
        (tr + "v3", "equal", "u at the given x", u),
        (tr + "v4", "equal", "v_4 = v_3 + v_{-1}", v[3] + v[-1]),
        (tr + "v4", "different", "v_3 - v_{-1}", v[3] - v[-1]),
        (tr + "v5", "equal", "v_5 = v_3 - v_{-1}", v[3] - v[-1]),
        (tr + "v5", "different", "v_{-1} - v_3 (sign)", v[-1] - v[3]),
        (tr + "v6", "equal", "v_6 = v_4 v_5", v[4] * v[5]), (tr + "v6", "different", "v_4 + v_5", v[4] + v[5]),
        ("autodiff.f", "equal", "f = u^2 - c^2", u ** 2 - c ** 2), ("autodiff.f", "equal", "f = ab", a * b),
        ("autodiff.f", "different", "(u + c)^2", (u + c) ** 2),
        (ad + "v5", "equal", "adjoint: v6-bar v_4", vb[6] * v[4]), (ad + "v5", "different", "v6-bar v_5", vb[6] * v[5]),
        (ad + "v4", "equal", "adjoint: v6-bar v_5", vb[6] * v[5]),
        (ad + "v3", "equal", "adjoint: v4-bar + v5-bar", vb[4] + vb[5]),
        (ad + "v3", "different", "v4-bar - v5-bar", vb[4] - vb[5]),
        (ad + "v2", "equal", "adjoint: -v3-bar v_1 / v_2^2", -vb[3] * v[1] / v[2] ** 2),
        (ad + "v2", "different", "sign of the local partial", vb[3] * v[1] / v[2] ** 2),
        (ad + "v1", "equal", "adjoint: v3-bar / v_2", vb[3] / v[2]), (ad + "v1", "different", "v3-bar v_2", vb[3] * v[2]),
        (ad + "v0", "equal", "adjoint: 2 v1-bar v_0 + v2-bar / v_0", 2 * vb[1] * v[0] + vb[2] / v[0]),
        (ad + "v0", "different", "the factor 2 of d(v_0^2) dropped", vb[1] * v[0] + vb[2] / v[0]),
        (ad + "v_-1", "equal", "adjoint: v4-bar - v5-bar", vb[4] - vb[5]),
        (ad + "v_-1", "different", "v4-bar + v5-bar", vb[4] + vb[5]),
        ("autodiff.df_dx", "equal", "df/dx = v0-bar", vb[0]), ("autodiff.df_dc", "equal", "df/dc = v_{-1}-bar", vb[-1]),
        ("autodiff.df_dx_symbolic", "equal", "2u du/dx with u substituted",
         2 * u * x * (2 * sp.log(x) - 1) / sp.log(x) ** 2),
        ("autodiff.df_dx_symbolic", "different", "du/dx with log x instead of log^2 x",
         2 * u * x * (2 * sp.log(x) - 1) / sp.log(x)),
    ]
    return ctx, rows


def _adam(sol, s) -> tuple[Context, list]:
    # problems.md A2 (Kingma & Ba 2015, Algorithm 1) from m_0 = v_0 = 0.
    b1, b2, g1, g2, eps, alpha = s("beta_1"), s("beta_2"), s("g_1"), s("g_2"), s("epsilon"), s("alpha")
    m = {t: sp.Symbol(f"m_{{{t}}}") for t in (1, 2)}
    v = {t: sp.Symbol(f"v_{{{t}}}") for t in (1, 2)}
    mh = {t: sp.Symbol(rf"\hat{{m}}_{{{t}}}") for t in (1, 2)}
    vh = {t: sp.Symbol(rf"\hat{{v}}_{{{t}}}") for t in (1, 2)}
    defs = {m[1].name: (1 - b1) * g1, m[2].name: b1 * m[1] + (1 - b1) * g2,
            v[1].name: (1 - b2) * g1 ** 2, v[2].name: b2 * v[1] + (1 - b2) * g2 ** 2}
    for t in (1, 2):
        defs[mh[t].name] = m[t] / (1 - b1 ** t)
        defs[vh[t].name] = v[t] / (1 - b2 ** t)
    ctx = Context(defs, {}, {"beta_1": (0.2, 0.95), "beta_2": (0.2, 0.95), "epsilon": (0.001, 0.1)})
    rows = [
        ("adam.m_hat_1", "equal", "m_1 over its bias correction", m[1] / (1 - b1)),
        ("adam.m_hat_1", "different", "bias correction dropped", m[1]),
        ("adam.v_hat_1", "equal", "v_1 over its bias correction", v[1] / (1 - b2)),
        ("adam.m_hat_2", "equal", "m_2 / (1 - beta_1^2)", m[2] / (1 - b1 ** 2)),
        ("adam.m_hat_2", "different", "1 - beta_1 for 1 - beta_1^2 (bias correction)", m[2] / (1 - b1)),
        ("adam.m_hat_2", "different", "bias correction dropped", m[2]),
        ("adam.v_hat_2", "equal", "v_2 / (1 - beta_2^2)", v[2] / (1 - b2 ** 2)),
        ("adam.v_hat_2", "different", "bias correction dropped", v[2]),
        ("adam.step_1", "equal", "-alpha m-hat / (sqrt(v-hat) + eps)", -alpha * mh[1] / (sp.sqrt(vh[1]) + eps)),
        ("adam.step_1", "different", "bias corrections dropped", -alpha * m[1] / (sp.sqrt(v[1]) + eps)),
        ("adam.ratio_2", "equal", "m-hat / (sqrt(v-hat) + eps)", mh[2] / (sp.sqrt(vh[2]) + eps)),
        ("adam.ratio_2", "different", "epsilon dropped", mh[2] / sp.sqrt(vh[2])),
    ]
    return ctx, rows


def _softmax(sol, s) -> tuple[Context, list]:
    # problems.md B2: p_i = exp(z_i) / sum_j exp(z_j); the sum is kept as
    # written (mathcheck evaluates it as one positive unknown).
    j, K = sp.Symbol("j", positive=True, integer=True), sp.Symbol("K", positive=True, integer=True)
    total = sp.Sum(sp.exp(sp.IndexedBase("z")[j]), (j, 1, K))
    zy, zyp = sp.Symbol("z_{y}"), sp.Symbol("z_{y'}")
    py, pyp = sp.Symbol("p_{y}"), sp.Symbol("p_{y'}")
    defs = {"p[y]": sp.exp(zy) / total, py.name: sp.exp(zy) / total,
            "p[y']": sp.exp(zyp) / total, pyp.name: sp.exp(zyp) / total}
    rows = [
        ("ce.dL_dz_y", "equal", "the softmax written out", sp.exp(zy) / total - 1),
        ("ce.dL_dz_y", "different", "1 - softmax", 1 - sp.exp(zy) / total),
        ("ce.dL_dz_y", "equal", "p_y written without braces", py - 1),
        ("ce.dL_dz_other", "equal", "the softmax of y' written out", sp.exp(zyp) / total),
        ("ce.dL_dz_other", "different", "the numerator of y instead of y'", sp.exp(zy) / total),
        ("ce.loss_onehot", "equal", "log-sum-exp minus z_y", sp.log(total) - zy),
        ("ce.loss_onehot", "different", "z_y minus log-sum-exp", zy - sp.log(total)),
    ]
    return Context(defs), rows


def _delta_rule(sol, s) -> tuple[Context, list]:
    # problems.md C2: o_1 = sigma(net_1), net_1 = w_11 x_1 + w_21 x_2.
    net = sp.Symbol(r"\mathrm{net}_{1}")
    w11, w21, x1, x2 = (sp.Symbol(n) for n in ("w_{11}", "w_{21}", "x_{1}", "x_{2}"))
    o1 = s("o_1")
    defs = {o1.name: SIGMA(net), net.name: w11 * x1 + w21 * x2}
    x, w = sol.params["x"], sol.params["w"]
    givens = {"x_{1}": x[0], "x_{2}": x[1], "w_{11}": w[0], "w_{21}": w[1], "t_1": sol.params["t_1"],
              r"\eta": sol.params["eta"]}
    rows = [
        ("delta_rule.do_dnet", "equal", "sigma(net)(1 - sigma(net))", SIGMA(net) * (1 - SIGMA(net))),
        ("delta_rule.do_dnet", "different", "sigma(net)(1 + sigma(net))", SIGMA(net) * (1 + SIGMA(net))),
        ("delta_rule.o", "equal", "sigma of the weighted sum", SIGMA(w11 * x1 + w21 * x2)),
        ("delta_rule.o", "equal", "sigma(net_1)", SIGMA(net)),
        ("delta_rule.o", "different", "a sign slip in the weighted sum", SIGMA(w11 * x1 - w21 * x2)),
        ("delta_rule.sigmoid_grad_max", "equal", "sigma(0)(1 - sigma(0))", SIGMA(0) * (1 - SIGMA(0))),
        ("delta_rule.sigmoid_grad_max", "different", "sigma(0)", SIGMA(0)),
        ("delta_rule.dTSS_do", "equal", "sigma(net) - t_1", SIGMA(net) - s("t_1")),
    ]
    return Context(defs, givens), rows


def _autograd(sol, s) -> tuple[Context, list]:
    # problems.md C1: a = x + 1, b = a^(4x), c = 5(b + 3), y = mean(c).
    x = sp.Symbol("x", positive=True)
    a, b = sp.symbols("a b")
    defs = {"a": x + 1, "b": a ** (4 * x), "c": 5 * (sp.Symbol("b") + 3)}
    rows = [
        ("autograd.dy_dx_symbolic", "equal", "5/4 b (4 log a + 4x/a)",
         sp.Rational(5, 4) * b * (4 * sp.log(a) + 4 * x / a)),
        ("autograd.dy_dx_symbolic", "different", "the mean's 1/4 dropped", 5 * b * (4 * sp.log(a) + 4 * x / a)),
        ("autograd.dy_dx_symbolic", "different", "db/dx as if the exponent were constant",
         sp.Rational(5, 4) * 4 * x * a ** (4 * x - 1)),
    ]
    return Context(defs, {}, {"x": (0.05, 2.0)}), rows


#: Problem id -> its definitions and its pairs written with them.
DEFINITIONS = {"autodiff": _autodiff, "adam": _adam, "softmax": _softmax, "delta_rule": _delta_rule,
               "autograd": _autograd}


def reference_value(answer_id: str, value):
    """The reference as the definition pairs use it (autograd's elementwise
    x_i is written x, as the problem's definitions are)."""
    if answer_id.startswith("autograd."):
        return value.xreplace({sym: sp.Symbol("x", positive=True) for sym in value.free_symbols if sym.name == "x_i"})
    return value
