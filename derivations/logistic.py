"""D5 ``logistic``: a sigmoid unit with binary cross-entropy.

z = w . x + b, L = -[t log sigma(z) + (1 - t) log(1 - sigma(z))] (Bishop
2006, "Pattern Recognition and Machine Learning", Sec. 4.3.2, Eq. 4.91:
the gradient of the cross-entropy error for logistic regression is
(y - t) x). PyTorch: torch.nn.functional.binary_cross_entropy_with_logits.

(a) the loss, dL/dz = sigma(z) - t derived through dsigma/dz = sigma (1 -
sigma), and its value; (b) dL/dw = (sigma(z) - t) x and dL/db; (c) with a
squared error 1/2 (sigma(z) - t)^2 the factor sigma (1 - sigma) stays, so
a saturated, wrong unit learns slowly.

The choice ``"residual"`` (``"sigma - t"``) is the worked solution; ``"t -
sigma"`` is the sign flip students make (the delta rule's t - o carried
over to a gradient).
"""
from __future__ import annotations

import random
from typing import Any, Mapping

import sympy as sp

from engine.math import numbers
from engine.model.checking import Alias, Checking, Conventions, Mistake
from engine.model.problem import Parameter, Problem, Solution, Tex

z = sp.Symbol("z", real=True)
t = sp.Symbol("t", real=True)
s = sp.Symbol(r"\sigma")
L = sp.Symbol("L")

#: Logits of the saturation table of part (c).
SATURATION_LOGITS = (-10, -5, -2, 0, 2)


def sigmoid(v: Any) -> sp.Basic:
    """The logistic function 1 / (1 + e^-v)."""
    return 1 / (1 + sp.exp(-v))


def bce(v: Any, target: Any) -> sp.Basic:
    """Binary cross-entropy of the logit v against target t (natural log)."""
    return -(target * sp.log(sigmoid(v)) + (1 - target) * sp.log(1 - sigmoid(v)))


def _well_posed(values: Mapping[str, Any]) -> str | None:
    xs, ws = values["x"], values["w"]
    for name, v in (("x", xs), ("w", ws)):
        if not isinstance(v, list) or not v or any(isinstance(e, list) for e in v):
            return f"{name} must be a list of numbers, e.g. [1, -2]"
    if len(xs) != len(ws):
        return f"x has {len(xs)} entries but w has {len(ws)}: one weight per input"
    if not 0 <= values["t"] <= 1:
        return "the target t must be in [0, 1]"
    return None


def _sample_x(rng: random.Random) -> list[int]:
    return [rng.choice([k for k in range(-3, 4) if k]) for _ in range(2)]


def _sample_w(rng: random.Random) -> list[sp.Rational]:
    return [sp.Rational(rng.choice([k for k in range(-4, 5) if k]), 4) for _ in range(2)]


PARAMETERS = (
    Parameter("x", [1, -2], latex=r"\mathbf{x}", kind="list", sample=_sample_x, description="the input"),
    Parameter("w", [0.5, 0.25], latex=r"\mathbf{w}", kind="list", sample=_sample_w,
              description="the weights, one per input"),
    Parameter("b", 0.1, latex="b", domain=(-1, 1), description="the bias"),
    Parameter("t", 1, latex="t", sample=lambda rng: rng.choice((0, 1)),
              description="the target (a class label 0 or 1)"),
)


def _statement(sol: Solution) -> None:
    sol.statement(
        r"A sigmoid unit $z = \mathbf{w} \cdot \mathbf{x} + b$ with $\mathbf{x} = %s$, $\mathbf{w} = %s$, "
        r"$b = %s$, target $t = %s$ and the binary cross-entropy "
        r"$L = -\left[t \log \sigma(z) + (1 - t) \log(1 - \sigma(z))\right]$. "
        r"(a) Compute $L$, derive $\frac{\partial L}{\partial z}$ step by step and evaluate it. "
        r"(b) Compute $\frac{\partial L}{\partial \mathbf{w}}$ and $\frac{\partial L}{\partial b}$. "
        r"(c) Derive $\frac{\partial L}{\partial z}$ for the squared error $\frac{1}{2}(\sigma(z) - t)^2$ "
        r"instead, and explain why it learns slowly when the unit is saturated and wrong."
        % (sol.latex("x"), sol.latex("w"), sol.latex("b"), sol.latex("t"))
    )


def _residual(sol: Solution, sig: Any, target: Any) -> sp.Basic:
    """sigma - t (the worked solution) or t - sigma (the sign-flip mistake)."""
    return sig - target if sol.choice("residual", "sigma - t") == "sigma - t" else target - sig


def _part_loss(sol: Solution) -> dict:
    xs, ws, bias, target = list(sol["x"]), list(sol["w"]), sol["b"], sol["t"]
    z0 = sp.Add(*[a * c for a, c in zip(ws, xs)]) + bias
    with sol.part("a", "Loss and its gradient in the logit") as part:
        part.define(z, z0)
        zs = part.derivation(z, title="The logit")
        zs.step(sp.Add(*[sp.Mul(a, c, evaluate=False) for a, c in zip(ws, xs)], bias, evaluate=False),
                r"$z = \mathbf{w} \cdot \mathbf{x} + b$")
        zs.step(z0, "evaluate")
        part.define(L, bce(z, target))
        loss = part.derivation(L, title="The loss")
        loss.step(bce(z, target), "binary cross-entropy")
        loss.step(sp.log(1 + sp.exp(-z)) + (1 - target) * z,
                  r"$-\log \sigma(z) = \log(1 + e^{-z})$, $-\log(1 - \sigma(z)) = z + \log(1 + e^{-z})$")
        value = sp.log(1 + sp.exp(-z0)) + (1 - target) * z0
        loss.step(value, rf"$z = {numbers.format_number(z0, 15)}$")
        part.answer("logistic.loss", value, label="L")
        part.definitions.pop(z)
        part.definitions.pop(L)

        part.define(s, sigmoid(z))
        ds = part.derivation(sp.Derivative(sigmoid(z), z), title=r"The slope of $\sigma$")
        e = sp.exp(-z)
        ds.step(e / (1 + e) ** 2, "quotient rule")
        ds.step(s * (1 - s), r"$\frac{e^{-z}}{1 + e^{-z}} = 1 - \sigma(z)$")
        grad = part.derivation(sp.Derivative(bce(z, t), z), title="The gradient in the logit")
        grad.step(sp.Mul(-1, t / s - (1 - t) / (1 - s), s * (1 - s), evaluate=False),
                  r"chain rule: $\frac{\partial L}{\partial \sigma} \frac{d\sigma}{dz}$, "
                  r"$\frac{d \log \sigma}{d\sigma} = \frac{1}{\sigma}$")
        grad.step(-(t * (1 - s) - (1 - t) * s), r"cancel $\sigma$ and $1 - \sigma$")
        grad.step(s - t, "expand: the terms $t \\sigma$ cancel")
        part.answer("logistic.dL_dz_symbolic", _residual(sol, s, t), label=r"\frac{\partial L}{\partial z}")
        sig0 = sigmoid(z0)
        part.define(z, z0)
        part.define(t, target)
        dz = part.derivation(s - t, title="At the given values")
        dz.step(sig0 - target, rf"$\sigma({numbers.format_number(z0, 15)}) - {numbers.format_number(target, 15)}$")
        part.answer("logistic.dL_dz", _residual(sol, sig0, target), label=r"\frac{\partial L}{\partial z}")
        part.text(
            r"The gradient is the prediction minus the target: the logarithm of the cross-entropy undoes "
            r"the exponential of the sigmoid, and the slope $\sigma(1 - \sigma)$ cancels."
        )
        return {"z0": z0, "sig0": sig0}


def _part_weights(sol: Solution, fw: dict) -> None:
    xs, target = list(sol["x"]), sol["t"]
    delta = _residual(sol, fw["sig0"], target)
    ws = [sp.Symbol(f"w_{{{i + 1}}}", real=True) for i in range(len(xs))]
    b = sp.Symbol("b", real=True)
    loss = bce(sp.Add(*[wi * xi for wi, xi in zip(ws, xs)]) + b, target)
    at = {**dict(zip(ws, sol["w"])), b: sol["b"]}
    with sol.part("b", "Gradients in the weights and the bias") as part:
        part.text(r"$\frac{\partial z}{\partial w_j} = x_j$ and $\frac{\partial z}{\partial b} = 1$, so "
                  r"$\frac{\partial L}{\partial w_j} = (\sigma(z) - t)\, x_j$ and "
                  r"$\frac{\partial L}{\partial b} = \sigma(z) - t$.")
        names = [sp.Symbol(rf"\frac{{\partial L}}{{\partial w_{{{i + 1}}}}}") for i in range(len(xs))]
        for name, wi in zip(names, ws):
            part.define(name, sp.diff(loss, wi).xreplace(at))
        dw = part.derivation(sp.Matrix([names]), title="The weights")
        dw.step(sp.Matrix([[sp.Mul(fw["sig0"] - target, xi, evaluate=False) for xi in xs]]),
                r"chain rule: $\frac{\partial L}{\partial z} x_j$")
        dw.step(sp.Matrix([[(fw["sig0"] - target) * xi for xi in xs]]), "evaluate")
        part.answer("logistic.dL_dw", sp.Matrix([[delta * xi for xi in xs]]), label=r"\frac{\partial L}{\partial \mathbf{w}}")
        db_name = sp.Symbol(r"\frac{\partial L}{\partial b}")
        part.define(db_name, sp.diff(loss, b).xreplace(at))
        db = part.derivation(db_name, title="The bias")
        db.step(fw["sig0"] - target, r"chain rule: $\frac{\partial L}{\partial z} \cdot 1$")
        part.answer("logistic.dL_db", delta, label=r"\frac{\partial L}{\partial b}")


def _part_mse(sol: Solution) -> None:
    with sol.part("c", "Squared error and saturation") as part:
        part.define(s, sigmoid(z))
        mse = part.derivation(sp.Derivative((sigmoid(z) - t) ** 2 / 2, z), title="The squared error")
        mse.step(sp.Mul(s - t, sp.Derivative(sigmoid(z), z), evaluate=False), "chain rule")
        formula = (s - t) * s * (1 - s)
        mse.step(formula, r"$\frac{d\sigma}{dz} = \sigma(1 - \sigma)$")
        part.answer("logistic.mse_dL_dz_symbolic", formula, label=r"\frac{\partial}{\partial z}"
                    r"\frac{1}{2}(\sigma(z) - t)^2")
        rows = []
        for v in SATURATION_LOGITS:
            sig = sigmoid(sp.Integer(v))
            rows.append([sp.Integer(v), sig, sig - 1, (sig - 1) * sig * (1 - sig)])
        part.table([Tex("z"), Tex(r"\sigma(z)"), Tex(r"\text{cross-entropy: } \sigma - t"),
                    Tex(r"\text{squared error: } (\sigma - t)\sigma(1 - \sigma)")], rows,
                   caption="Gradients in z for the target t = 1.")
        part.text(
            r"When the unit is saturated and wrong ($t = 1$ but $z \ll 0$, so $\sigma(z) \approx 0$), the "
            r"squared error's gradient carries the factor $\sigma(1 - \sigma) \approx e^{z}$ and almost "
            r"vanishes: at $z = -10$ it is about $-4.5 \cdot 10^{-5}$, while the cross-entropy's is close to "
            r"$-1$. The cross-entropy gradient is largest exactly when the prediction is most wrong."
        )


def solve(sol: Solution) -> None:
    """Parts (a)-(c) of D5 at the parameters x, w, b, t."""
    sol.domain[z] = (-4, 4)
    sol.domain[t] = (0, 1)
    _statement(sol)
    fw = _part_loss(sol)
    _part_weights(sol, fw)
    _part_mse(sol)


#: A claimed element that is only a number (``-0.475021``, OCR's ``-0,4750``): not a formula.
PLAIN_NUMBER = r"^\s*[-+]?\s*\d[\d.,\s]*$"

CHECKING = Checking(
    title_words=r"logistic|sigmoid unit|binary cross-?entropy|\bbce\b",
    aliases=(
        Alias("logistic.loss", names=(r"L", r"L_BCE", r"BCE", r"loss"), parts=("a",), kind="numeric"),
        # the formula of a chain that ends in its value: dL/dz = sigma(z) - t = -0.475
        Alias("logistic.dL_dz_symbolic", names=(r"dL/dz", r"delta"), parts=("a",), kind="symbolic", avoid=PLAIN_NUMBER),
        Alias("logistic.dL_dz", names=(r"dL/dz", r"delta"), parts=("a",), kind="numeric"),
        Alias("logistic.dL_dw", names=(r"dL/dw", r"dL/dw_(?P<i>\d)", r"nabla_wL"), parts=("b",)),
        Alias("logistic.dL_db", names=(r"dL/db",), parts=("b",)),
        Alias("logistic.mse_dL_dz_symbolic", names=(r"dL/dz", r"dL_MSE/dz", r"dE/dz"), parts=("c",),
              kind="symbolic"),
    ),
    conventions=Conventions(notation={"y": "sigma(z)", "p": "sigma(z)"}),
    functions={"sigma": sp.Lambda(z, sigmoid(z))},
    domain={z: (-4, 4)},
    mistakes=(
        Mistake("sign_flipped", "the sign of dL/dz flipped (t - sigma instead of sigma - t)",
                choices={"residual": "t - sigma"}),
    ),
)

PROBLEM = Problem(
    id="logistic",
    title="A sigmoid unit with binary cross-entropy",
    sheet="D",
    parameters=PARAMETERS,
    answer_ids=("logistic.loss", "logistic.dL_dz_symbolic", "logistic.dL_dz", "logistic.dL_dw", "logistic.dL_db",
                "logistic.mse_dL_dz_symbolic"),
    solve_fn=solve,
    well_posed=_well_posed,
    checking=CHECKING,
)
