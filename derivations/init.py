"""D3 ``init``: weight initialization (Glorot/Xavier and He/Kaiming).

A layer with n_in inputs and n_out outputs.

(a) Var(y) = n Var(w) Var(x) for y = sum_{i=1}^n w_i x_i with independent,
zero-mean w_i, x_i (Glorot & Bengio 2010, "Understanding the difficulty of
training deep feedforward neural networks", AISTATS, Sec. 4.2, Eq. 5),
derived by independence of the terms and of the factors
(:mod:`engine.model.moments`), for a symbolic n; (b) Glorot/Xavier:
n_in Var(w) = 1 forward, n_out Var(w) = 1 backward, the compromise
Var(w) = 2 / (n_in + n_out) (Eq. 12 there) and the limit a = sqrt(3 Var(w))
of U(-a, a) (Eq. 16); (c) He/Kaiming (He et al. 2015, "Delving deep into
rectifiers", ICCV, Sec. 2.2): for z symmetric about 0, E[ReLU(z)^2] =
Var(z) / 2, so n_in Var(w) / 2 = 1, Var(w) = 2 / n_in and the std.

The choices ``"count_terms"`` (True: a sum of n terms) and ``"relu_half"``
(True: ReLU keeps half of the second moment) are the worked solution; False
gives the mistakes Var(y) = Var(w) Var(x) and He = 1 / n_in.
"""
from __future__ import annotations

from typing import Any, Mapping

import sympy as sp

from engine.model.checking import Alias, Checking, Conventions, Mistake
from engine.model.moments import Expectation, Variance, random_family, random_symbol
from engine.model.problem import Parameter, Problem, Solution, Tex

i = sp.Symbol("i", integer=True, positive=True)
n = sp.Symbol("n", integer=True, positive=True)
n_in, n_out = sp.Symbol(r"n_{\text{in}}", positive=True), sp.Symbol(r"n_{\text{out}}", positive=True)
var_w = sp.Symbol(r"{\operatorname{Var}(w)}", positive=True)
var_x = sp.Symbol(r"{\operatorname{Var}(x)}", positive=True)
var_z = sp.Symbol(r"{\operatorname{Var}(z)}", positive=True)  # braces: printed after n, as n Var(w) Var(x)
w = random_family("w", 0, var_w)
x = random_family("x", 0, var_x)
#: A pre-activation symmetric about 0 (any such law; only E[z] = 0 and symmetry are used).
z = random_symbol("z", 0, var_z, symmetric=True)
y = sp.Symbol("y")
a, u = sp.Symbol("a", positive=True), sp.Symbol("u", real=True)
xavier = sp.Symbol(r"\operatorname{Var}(w)_{\text{Xavier}}")
he = sp.Symbol(r"\operatorname{Var}(w)_{\text{He}}")
limit = sp.Symbol("a_{U}")

PARAMETERS = (
    Parameter("n_in", 256, latex=r"n_{\text{in}}", domain=(16, 1024), integer=True,
              description="fan-in: inputs of the layer"),
    Parameter("n_out", 128, latex=r"n_{\text{out}}", domain=(16, 1024), integer=True,
              description="fan-out: outputs of the layer"),
)


def _statement(sol: Solution) -> None:
    sol.statement(
        r"A layer has $n_{\text{in}} = %s$ inputs and $n_{\text{out}} = %s$ outputs. "
        r"(a) For $y = \sum_{i=1}^{n} w_i x_i$ with all $w_i, x_i$ independent and of mean 0, derive "
        r"$\operatorname{Var}(y)$. (b) Glorot/Xavier: from $n_{\text{in}} \operatorname{Var}(w) = 1$ (forward) and "
        r"$n_{\text{out}} \operatorname{Var}(w) = 1$ (backward), give the compromise $\operatorname{Var}(w)$ and "
        r"the limit $a$ of $U(-a, a)$ with that variance. (c) He/Kaiming: show "
        r"$\mathbb{E}[\operatorname{ReLU}(z)^2] = \frac{\operatorname{Var}(z)}{2}$ for $z$ symmetric about 0, "
        r"and give $\operatorname{Var}(w)$ and the standard deviation for a ReLU layer."
        % (sol.latex("n_in"), sol.latex("n_out"))
    )


def _part_sum(sol: Solution) -> None:
    with sol.part("a", "The variance of a weighted sum") as part:
        part.text(
            r"The $n$ products $w_i x_i$ are independent of each other, and in each product the factors are "
            r"independent with $\mathbb{E}[w_i] = \mathbb{E}[x_i] = 0$, so "
            r"$\mathbb{E}[w_i^2] = \operatorname{Var}(w)$, $\mathbb{E}[x_i^2] = \operatorname{Var}(x)$. "
            r"Every line is verified for a symbolic $n$."
        )
        total = sp.Sum(w[i] * x[i], (i, 1, n))
        part.define(y, total)
        d = part.derivation(Variance(y), title=r"$\operatorname{Var}(y)$")
        d.step(Variance(total), "definition of $y$")
        d.step(sp.Sum(Variance(w[i] * x[i]), (i, 1, n)), "the terms are independent: variances add")
        d.step(sp.Sum(Expectation(w[i] ** 2 * x[i] ** 2) - Expectation(w[i] * x[i]) ** 2, (i, 1, n)),
               r"$\operatorname{Var}(X) = \mathbb{E}[X^2] - \mathbb{E}[X]^2$")
        d.step(sp.Sum(Expectation(w[i] ** 2) * Expectation(x[i] ** 2)
                      - (Expectation(w[i]) * Expectation(x[i])) ** 2, (i, 1, n)),
               "independence of $w_i$ and $x_i$")
        d.step(sp.Sum(var_w * var_x, (i, 1, n)), "zero means")
        d.step(sp.Mul(n, var_w, var_x, evaluate=False), "$n$ equal terms")
        value = n * var_w * var_x if sol.choice("count_terms", True) else var_w * var_x
        part.answer("init.var_y", value, label=r"\operatorname{Var}(y)")
        part.text(
            r"To keep $\operatorname{Var}(y) = \operatorname{Var}(x)$ from layer to layer the weights need "
            r"$n \operatorname{Var}(w) = 1$: the variance of the weights must shrink like $\frac{1}{n}$."
        )


def _part_xavier(sol: Solution) -> sp.Basic:
    fan_in, fan_out = sol["n_in"], sol["n_out"]
    with sol.part("b", "Glorot/Xavier initialization") as part:
        part.text(
            r"In the forward pass a unit sums $n_{\text{in}}$ terms, so (a) asks for "
            r"$n_{\text{in}} \operatorname{Var}(w) = 1$; in the backward pass a gradient sums "
            r"$n_{\text{out}}$ terms, $n_{\text{out}} \operatorname{Var}(w) = 1$. Both hold only when "
            r"$n_{\text{in}} = n_{\text{out}}$; Glorot and Bengio take the average of the two counts: "
            r"$\frac{n_{\text{in}} + n_{\text{out}}}{2} \operatorname{Var}(w) = 1$."
        )
        (solution,) = sp.solve(sp.Eq((n_in + n_out) / 2 * var_w, 1), var_w)
        part.define(xavier, solution)
        part.define(n_in, fan_in)
        part.define(n_out, fan_out)
        d = part.derivation(xavier, title=r"$\operatorname{Var}(w)$")
        d.step(2 / (n_in + n_out), r"solve $\frac{n_{\text{in}} + n_{\text{out}}}{2} \operatorname{Var}(w) = 1$")
        d.step(sp.Mul(2, sp.Pow(sp.Add(fan_in, fan_out, evaluate=False), -1, evaluate=False), evaluate=False),
               rf"$n_{{\text{{in}}}} = {fan_in}$, $n_{{\text{{out}}}} = {fan_out}$")
        value = sp.Integer(2) / (fan_in + fan_out)
        d.step(value, "evaluate")
        part.answer("init.xavier_var", value, label=r"\operatorname{Var}(w)")

        uniform = part.derivation(sp.Integral(u**2 / (2 * a), (u, -a, a)), title=r"The variance of $U(-a, a)$")
        uniform.step(a**2 / 3, r"$\int_{-a}^{a} \frac{u^2}{2a}\, du = \frac{a^3 - (-a)^3}{6a}$ (the mean is 0)")
        part.define(limit, sp.sqrt(3 * value))
        lim = part.derivation(limit, title=r"The limit $a$: $\frac{a^2}{3} = \operatorname{Var}(w)$")
        lim.step(sp.sqrt(sp.Mul(3, value, evaluate=False)), r"$a = \sqrt{3 \operatorname{Var}(w)}$")
        lim.step(sp.sqrt(3 * value), "evaluate")
        part.answer("init.xavier_uniform_limit", sp.sqrt(3 * value), label="a")
        part.code(
            f"""
import torch
W = torch.empty({fan_out}, {fan_in})
torch.nn.init.xavier_uniform_(W)   # U(-a, a), a = sqrt(6 / (fan_in + fan_out))
torch.nn.init.xavier_normal_(W)    # std = sqrt(2 / (fan_in + fan_out))
""",
            caption="PyTorch stores a Linear weight as (n_out, n_in): fan_in is the second dimension.",
        )
        return value


def _part_he(sol: Solution) -> None:
    fan_in = sol["n_in"]
    half = sol.choice("relu_half", True)
    with sol.part("c", "He/Kaiming initialization for ReLU") as part:
        part.text(
            r"After a ReLU the inputs of the next layer are $x = \operatorname{ReLU}(z) = \max(0, z)$, no "
            r"longer of mean 0, so (a) holds with $\mathbb{E}[x^2]$ in place of $\operatorname{Var}(x)$: "
            r"$\operatorname{Var}(y) = n_{\text{in}} \operatorname{Var}(w)\, \mathbb{E}[x^2]$. For $z$ symmetric "
            r"about 0, $z$ and $-z$ have the same law, so half of $\mathbb{E}[z^2]$ comes from $z > 0$."
        )
        d = part.derivation(Expectation(sp.Max(0, z) ** 2), title=r"$\mathbb{E}[\operatorname{ReLU}(z)^2]$")
        d.step(Expectation(z**2 * sp.Heaviside(z)), r"$\operatorname{ReLU}(z)^2 = z^2$ for $z > 0$, else 0")
        d.step(Expectation(z**2) / 2, "symmetry of $z$ about 0")
        d.step(var_z / 2, r"$\mathbb{E}[z] = 0$: $\mathbb{E}[z^2] = \operatorname{Var}(z)$")
        second = var_z / 2 if half else var_z
        part.answer("init.relu_second_moment", second, label=r"\mathbb{E}[\operatorname{ReLU}(z)^2]")

        (solution,) = sp.solve(sp.Eq(n_in * var_w * (var_z / 2), var_z), var_w)
        part.define(he, solution)
        part.define(n_in, fan_in)
        h = part.derivation(he, title=r"$\operatorname{Var}(w)$ for ReLU")
        h.step(2 / n_in, r"solve $n_{\text{in}} \operatorname{Var}(w) \frac{\operatorname{Var}(z)}{2} = "
                         r"\operatorname{Var}(z)$")
        value = sp.Integer(2) / fan_in
        h.step(value, rf"$n_{{\text{{in}}}} = {fan_in}$")
        he_var = value if half else 1 / sp.Integer(fan_in)
        part.answer("init.he_var", he_var, label=r"\operatorname{Var}(w)")
        std = part.derivation(sp.sqrt(he), title="The standard deviation")
        std.step(sp.sqrt(2 / n_in), r"$\operatorname{std}(w) = \sqrt{\operatorname{Var}(w)}$")
        std.step(sp.sqrt(value), "evaluate")
        part.answer("init.he_std", sp.sqrt(he_var), label=r"\operatorname{std}(w)")
        part.table(
            [Tex(r"\text{scheme}"), Tex(r"\operatorname{Var}(w)"), Tex(r"\operatorname{std}(w)")],
            [["Xavier (normal)", sp.Integer(2) / (fan_in + sol["n_out"]), sp.sqrt(sp.Integer(2) / (fan_in + sol["n_out"]))],
             ["He (normal, ReLU)", value, sp.sqrt(value)],
             ["1/n_in (linear units)", 1 / sp.Integer(fan_in), sp.sqrt(1 / sp.Integer(fan_in))]],
            caption="The variances side by side; torch.nn.init.kaiming_normal_ uses the He std by default.",
        )


def solve(sol: Solution) -> None:
    """Parts (a)-(c) of D3 at n_in, n_out."""
    _statement(sol)
    _part_sum(sol)
    _part_xavier(sol)
    _part_he(sol)


def _reader_definitions(params: Mapping[str, Any]) -> dict:
    """Var(w), Var(x), Var(z) as the reader reads them (Var applied to a
    letter) -> the variances the answers are written in."""
    from engine.read.parse import parse_latex

    return {parse_latex(rf"\mathrm{{Var}}({letter})"): name
            for letter, name in (("w", var_w), ("x", var_x), ("z", var_z))}


CHECKING = Checking(
    title_words=r"initiali[sz]ation|xavier|glorot|kaiming|\bhe\b init",
    aliases=(
        Alias("init.var_y", names=(r"Var\(y\)", r"sigma_y\^2"), parts=("a",), kind="symbolic"),
        Alias("init.xavier_var", names=(r"Var\(w\)", r"Var\(W\)", r"sigma_w\^2", r"Var\(w\)_Xavier"),
              words=(r"xavier", r"glorot"), parts=("b",), kind="numeric"),
        Alias("init.xavier_uniform_limit", names=(r"a", r"r", r"limit", r"bound"), words=(r"uniform", r"limit"),
              parts=("b",), kind="numeric"),
        Alias("init.relu_second_moment", names=(r"E\[ReLU\(z\)\^2\]", r"E\[max\(0,z\)\^2\]", r"E\[x\^2\]"),
              parts=("c",), kind="symbolic"),
        Alias("init.he_var", names=(r"Var\(w\)", r"sigma_w\^2", r"Var\(w\)_He"), words=(r"\bhe\b", r"kaiming"),
              parts=("c",), kind="numeric"),
        Alias("init.he_std", names=(r"std\(w\)", r"sigma_w", r"sigma", r"std"), parts=("c",), kind="numeric"),
    ),
    conventions=Conventions(words=("ReLU", "Var", "std"), notation={"n": "n_in"}),
    definitions=_reader_definitions,
    mistakes=(
        Mistake("terms_not_counted", "Var(y) = Var(w) Var(x) without the factor n (one term, not n)",
                choices={"count_terms": False}),
        Mistake("he_without_half", "He computed as 1/n_in (ReLU's halving of the second moment left out)",
                choices={"relu_half": False}),
    ),
)

PROBLEM = Problem(
    id="init",
    title="Weight initialization",
    sheet="D",
    parameters=PARAMETERS,
    answer_ids=("init.var_y", "init.xavier_var", "init.xavier_uniform_limit", "init.relu_second_moment",
                "init.he_var", "init.he_std"),
    solve_fn=solve,
    checking=CHECKING,
)
