"""D4 ``dropout``: inverted dropout.

htilde = m h / q with a mask m ~ Bernoulli(q), q the keep probability
(Srivastava et al. 2014, "Dropout: a simple way to prevent neural networks
from overfitting", JMLR 15, Sec. 2 and 10; "inverted" dropout scales by 1/q
at training time, as torch.nn.functional.dropout with p = 1 - q does, so the
layer is the identity at test time).

(a) E[htilde] = h and Var[htilde] = h^2 (1 - q) / q, derived by linearity
and the Bernoulli moments E[m] = E[m^2] = q (:mod:`engine.model.moments`),
and the variance at the parameter h; (b) the test-time factor; (c) the
backward pass dL/dh_i = dL/dhtilde_i m_i / q for a fixed mask.

The choice ``"scaling"`` (``"train"``, inverted dropout) is the worked
solution; ``"test"`` is the original formulation a student may mix in:
htilde = m h at training time and h scaled by q at test time.
"""
from __future__ import annotations

import random
from typing import Any, Mapping

import sympy as sp

from engine.model.checking import Alias, Checking, Conventions, Mistake
from engine.model.moments import Expectation, Variance, random_symbol
from engine.model.problem import Parameter, Problem, Solution, Tex

q = sp.Symbol("q", positive=True)
h = sp.Symbol("h", real=True)
#: The mask: Bernoulli(q), E[m^k] = q for every k >= 1.
m = random_symbol("m", q, q * (1 - q), moments=lambda k: q)
htilde = sp.Symbol(r"\tilde{h}")


def _well_posed(values: Mapping[str, Any]) -> str | None:
    mask, grad = values["mask"], values["upstream"]
    if not 0 < values["q"] <= 1:
        return "the keep probability q must be in (0, 1]"
    for name, v in (("mask", mask), ("upstream", grad)):
        if not isinstance(v, list) or not v or any(isinstance(e, list) for e in v):
            return f"{name} must be a list of numbers, e.g. [1, 0, 1, 1]"
    if any(e not in (0, 1) for e in mask):
        return "the mask entries must be 0 (dropped) or 1 (kept)"
    if len(mask) != len(grad):
        return f"the mask has {len(mask)} entries but the upstream gradient {len(grad)}"
    return None


def _sample_mask(rng: random.Random) -> list[int]:
    """4 mask entries with at least one 0 and one 1."""
    while True:
        mask = [rng.randint(0, 1) for _ in range(4)]
        if 0 < sum(mask) < 4:
            return mask


def _sample_upstream(rng: random.Random) -> list[sp.Rational]:
    """4 non-zero upstream gradients in {-2, -1.5, ..., 2}."""
    return [sp.Rational(rng.choice([k for k in range(-4, 5) if k]), 2) for _ in range(4)]


PARAMETERS = (
    Parameter("q", 0.8, latex="q", domain=(0.5, 0.95), description="the keep probability (1 - PyTorch's p)"),
    Parameter("h", 2, latex="h", domain=(-3, 3), description="the activation of part (a)"),
    Parameter("mask", [1, 0, 1, 1], latex="m", kind="list", sample=_sample_mask,
              description="the dropout mask of part (c), entries 0 or 1"),
    Parameter("upstream", [0.5, 0.5, -1, 2], latex=r"\frac{\partial L}{\partial \tilde{h}}", kind="list",
              sample=_sample_upstream, description="the upstream gradient dL/dhtilde of part (c)"),
)


def _statement(sol: Solution) -> None:
    sol.statement(
        r"Inverted dropout with keep probability $q = %s$: $\tilde{h} = \frac{m h}{q}$ with "
        r"$m \sim \mathrm{Bernoulli}(q)$. "
        r"(a) Derive $\mathbb{E}[\tilde{h}]$ and $\operatorname{Var}[\tilde{h}]$ as functions of $h$ and $q$, "
        r"and evaluate the variance at $h = %s$. (b) What does the layer do at test time? "
        r"(c) For the mask $m = %s$ and the upstream gradient $\frac{\partial L}{\partial \tilde{h}} = %s$, "
        r"compute $\frac{\partial L}{\partial h}$."
        % (sol.latex("q"), sol.latex("h"), sol.latex("mask"), sol.latex("upstream"))
    )


def _train_factor(sol: Solution) -> sp.Basic:
    """1/q for inverted dropout (the worked solution), 1 when scaled at test time instead."""
    return 1 / q if sol.choice("scaling", "train") == "train" else sp.Integer(1)


def _part_moments(sol: Solution) -> None:
    factor = _train_factor(sol)
    with sol.part("a", "Mean and variance") as part:
        part.text(
            r"The mask is the only random quantity: $\mathbb{E}[m] = q$, and $m^2 = m$ for $m \in \{0, 1\}$, "
            r"so $\mathbb{E}[m^2] = q$. The activation $h$ and the factor $\frac{1}{q}$ are constants."
        )
        part.define(htilde, m * h * factor)
        mean = part.derivation(Expectation(htilde), title="The mean")
        mean.step(Expectation(m * h * factor), "definition of inverted dropout" if factor != 1 else "definition")
        mean.step(h * factor * Expectation(m), "linearity of expectation")
        mean.step(h * factor * q, r"$\mathbb{E}[m] = q$ (Bernoulli)")
        part.answer("dropout.mean", mean.result, label=r"\mathbb{E}[\tilde{h}]")

        var = part.derivation(Variance(htilde), title="The variance")
        var.step(Expectation(htilde**2) - Expectation(htilde) ** 2, r"$\operatorname{Var}[X] = \mathbb{E}[X^2] - "
                                                                    r"\mathbb{E}[X]^2$")
        var.step(h**2 * factor**2 * Expectation(m**2) - mean.result**2, "linearity; the mean from above")
        var.step(h**2 * factor**2 * q - mean.result**2, r"$\mathbb{E}[m^2] = \mathbb{E}[m] = q$")
        value = h**2 * sp.together(factor**2 * q - (mean.result / h) ** 2)
        var.step(value, "factor")
        part.answer("dropout.var", value, label=r"\operatorname{Var}[\tilde{h}]")
        at = {h: sol["h"], q: sol["q"]}
        part.define(h, sol["h"])
        part.define(q, sol["q"])
        num = part.derivation(value, title=rf"At $h = {sol.latex('h')}$, $q = {sol.latex('q')}$")
        num.step(value.xreplace(at), "substitute")
        part.answer("dropout.var_value", value.xreplace(at), label=r"\operatorname{Var}[\tilde{h}]")
        part.text(
            r"The mean is kept, $\mathbb{E}[\tilde{h}] = h$, which is why the layer needs no change at test "
            r"time; the noise grows as $q$ falls: the variance vanishes at $q = 1$ (nothing dropped)."
            if factor != 1 else
            r"Without the factor $\frac{1}{q}$ the mean is $q h$, not $h$: the next layer sees smaller "
            r"activations in training than at test time unless the test-time output is scaled by $q$."
        )


def _part_test(sol: Solution) -> None:
    scale = sp.Integer(1) if _train_factor(sol) != 1 else sol["q"]
    with sol.part("b", "At test time") as part:
        if scale == 1:
            part.text(
                r"At test time no unit is dropped and nothing is scaled: $\tilde{h} = h$. The factor "
                r"$\frac{1}{q}$ applied in training already matches the expected activation, "
                r"$\mathbb{E}[\tilde{h}] = h$ (part (a)). In PyTorch, evaluation mode (model.eval) makes "
                r"torch.nn.Dropout the identity."
            )
        else:
            part.text(r"Unscaled in training, the activations are multiplied by $q$ at test time.")
        part.answer("dropout.test_scale", scale, label=r"\text{test-time factor}")


def _part_backward(sol: Solution) -> None:
    mask, grad = list(sol["mask"]), list(sol["upstream"])
    keep = sol["q"]
    factor = _train_factor(sol).xreplace({q: keep})
    n = len(mask)
    hs = [sp.Symbol(f"h_{{{i + 1}}}", real=True) for i in range(n)]
    lhs = [sp.Symbol(rf"\frac{{\partial L}}{{\partial h_{{{i + 1}}}}}") for i in range(n)]
    with sol.part("c", "Backward pass") as part:
        part.text(
            r"Each output depends on its own input only, $\tilde{h}_i = \frac{m_i h_i}{q}$, so "
            r"$\frac{\partial L}{\partial h_i} = \frac{\partial L}{\partial \tilde{h}_i} \frac{m_i}{q}$: "
            r"a dropped unit gets no gradient, a kept one the upstream gradient scaled by $\frac{1}{q}$ "
            r"(the same mask as in the forward pass)."
        )
        surrogate = sp.Add(*[g * mi * hi * factor for g, mi, hi in zip(grad, mask, hs)])
        for sym, hi in zip(lhs, hs):
            part.define(sym, sp.Derivative(surrogate, hi))
        values = [g * mi * factor for g, mi in zip(grad, mask)]
        d = part.derivation(sp.Matrix([lhs]), title="The gradient of each input")
        d.step(sp.Matrix([values]), r"chain rule: $\frac{\partial L}{\partial \tilde{h}_i} \cdot \frac{m_i}{q}$ "
                                    r"(the table below)")
        part.table([Tex("i"), Tex("m_i"), Tex(r"\frac{\partial L}{\partial \tilde{h}_i}"),
                    Tex(r"\frac{\partial L}{\partial h_i}")],
                   [[Tex(str(i + 1)), mi, g, v] for i, (mi, g, v) in enumerate(zip(mask, grad, values))],
                   caption="The backward pass of dropout for a fixed mask.")
        part.answer("dropout.grad", sp.Matrix([values]), label=r"\frac{\partial L}{\partial h}")


def solve(sol: Solution) -> None:
    """Parts (a)-(c) of D4 at the parameters q, h, mask, upstream."""
    sol.domain[q] = (0.05, 0.95)
    _statement(sol)
    _part_moments(sol)
    _part_test(sol)
    _part_backward(sol)


CHECKING = Checking(
    title_words=r"dropout|bernoulli mask|keep probability",
    aliases=(
        Alias("dropout.mean", names=(r"E\[tilde\(h\)\]", r"E\(tilde\(h\)\)", r"mathbbE\[tilde\(h\)\]"), parts=("a",)),
        Alias("dropout.var", names=(r"Var\[tilde\(h\)\]", r"Var\(tilde\(h\)\)"), parts=("a",), kind="symbolic"),
        Alias("dropout.var_value", names=(r"Var\[tilde\(h\)\]", r"Var\(tilde\(h\)\)"), parts=("a",),
              kind="numeric"),
        Alias("dropout.test_scale", names=(r"h_test", r"tilde\(h\)_test", r"scale"),
              words=(r"test[- ]time", r"at test", r"inference", r"eval", r"\bfactor\b"), parts=("b",), kind="numeric"),
        Alias("dropout.grad", names=(r"dL/dh", r"dL/dh_(?P<i>\d)", r"nabla_hL", r"delta_h"), parts=("c",)),
    ),
    conventions=Conventions(words=("Bernoulli",), notation={"p": "q"}),
    mistakes=(
        Mistake("scaled_at_test_time", "dropout scaled at test time instead of training time",
                choices={"scaling": "test"}),
    ),
)

PROBLEM = Problem(
    id="dropout",
    title="Inverted dropout",
    sheet="D",
    parameters=PARAMETERS,
    answer_ids=("dropout.mean", "dropout.var", "dropout.var_value", "dropout.test_scale", "dropout.grad"),
    solve_fn=solve,
    well_posed=_well_posed,
    checking=CHECKING,
)
