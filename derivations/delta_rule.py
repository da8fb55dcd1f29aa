"""C2 ``delta_rule``: the delta rule for a sigmoid unit.

o_1 = sigma(net_1), net_1 = sum_j w_j1 x_j, TSS = 1/2 sum_k (t_k - o_k)^2,
Delta w_j1 = -eta dTSS/dw_j1 = eta (t_1 - o_1) o_1 (1 - o_1) x_j (Rumelhart,
Hinton & Williams 1986, "Learning representations by back-propagating
errors", Nature 323; the generalized delta rule).

(a) the chain dTSS/do_1 do_1/dnet_1 dnet_1/dw_j1; (b) a numeric instance at
the parameters x, w, t_1, eta; (c) sigma'(z) = sigma(z)(1 - sigma(z)) has its
maximum 1/4 at z = 0, so L sigmoid layers scale a gradient by at most (1/4)^L.

The input index j is a symbol; ``dnet_1/dw_j1`` differentiates a sum over
k = 1..n, verified for every n >= j (written n = j + m, m >= 0 an integer).
"""
from __future__ import annotations

import random
from typing import Any, Mapping

import sympy as sp

from engine.math import numbers
from engine.math.latex import to_latex
from engine.model.checking import Alias, Checking, Conventions, Mistake
from engine.model.problem import Parameter, Problem, Solution

t1, o1, eta = sp.Symbol("t_1", real=True), sp.Symbol("o_1"), sp.Symbol(r"\eta", positive=True)
net1 = sp.Symbol(r"\mathrm{net}_1")
TSS = sp.Symbol(r"\mathrm{TSS}")
#: The error terms of the other outputs k >= 2, independent of w_j1.
R = sp.Symbol(r"R", real=True)
j, k = sp.Symbol("j", integer=True, positive=True), sp.Symbol("k", integer=True, positive=True)
n = sp.Symbol("n", integer=True, positive=True)
m = sp.Symbol("m", integer=True, nonnegative=True)
w = sp.IndexedBase("w", real=True)
x = sp.IndexedBase("x", real=True)
z = sp.Symbol("z", real=True)
s = sp.Symbol(r"\sigma")
delta_w = sp.Symbol(r"\Delta w_{j1}")
dTSS_do = sp.Symbol(r"\frac{\partial \mathrm{TSS}}{\partial o_1}")
dTSS_dw = sp.Symbol(r"\frac{\partial \mathrm{TSS}}{\partial w_{j1}}")

#: Chain lengths for the vanishing-gradient remark.
DEPTHS = (5, 10, 20)


def sigmoid(v: sp.Basic) -> sp.Basic:
    """The logistic function 1 / (1 + e^-v)."""
    return 1 / (1 + sp.exp(-v))


def forward(xs, ws) -> dict[str, sp.Basic]:
    """net_1 = sum_j w_j1 x_j and o_1 = sigma(net_1), exact."""
    net = sp.Add(*[a * b for a, b in zip(ws, xs)])
    return {"net": net, "o": sigmoid(net)}


def delta_rule_update(xs, ws, target, rate, sigmoid_derivative: bool = True) -> list[sp.Basic]:
    """Delta w_j1 = eta (t_1 - o_1) o_1 (1 - o_1) x_j for every j (exact);
    ``sigmoid_derivative=False``: the factor o_1 (1 - o_1) left out (a mistake)."""
    o = forward(xs, ws)["o"]
    if not sigmoid_derivative:
        return [rate * (target - o) * v for v in xs]
    return [rate * (target - o) * o * (1 - o) * v for v in xs]


def _well_posed(values: Mapping[str, Any]) -> str | None:
    xs, ws = values["x"], values["w"]
    for name, v in (("x", xs), ("w", ws)):
        if not isinstance(v, list) or not v or any(isinstance(e, list) for e in v):
            return f"{name} must be a list of numbers, e.g. [1, 0.5]"
    if len(xs) != len(ws):
        return f"x has {len(xs)} entries but w has {len(ws)}: one weight per input"
    return None


def _sample_x(rng: random.Random) -> list[sp.Rational]:
    """2 non-zero inputs in {-1, -0.5, 0.5, 1} (a zero input makes its update 0)."""
    return [sp.Rational(rng.choice((-2, -1, 1, 2)), 2) for _ in range(2)]


def _sample_w(rng: random.Random) -> list[sp.Rational]:
    """2 weights in {-1, -0.9, ..., 1}."""
    return [sp.Rational(rng.randint(-10, 10), 10) for _ in range(2)]


PARAMETERS = (
    Parameter("x", [1, 0.5], latex=r"\mathbf{x}", kind="list", sample=_sample_x,
              description="the inputs x_j of the unit"),
    Parameter("w", [0.2, -0.4], latex=r"\mathbf{w}", kind="list", sample=_sample_w,
              description="the weights w_j1 into output unit 1, one per input"),
    Parameter("t_1", 1, latex="t_1", domain=(0, 1), description="the target of output 1"),
    Parameter("eta", 0.5, latex=r"\eta", domain=(0, 1), description="the learning rate"),
)


def _statement(sol: Solution) -> None:
    sol.statement(
        r"A sigmoid unit computes $o_1 = \sigma(\mathrm{net}_1)$, $\mathrm{net}_1 = \sum_j w_{j1} x_j$, "
        r"with error $\mathrm{TSS} = \frac{1}{2}\sum_k (t_k - o_k)^2$ and learning rate $\eta$. "
        r"(a) Derive $\Delta w_{j1} = -\eta \frac{\partial \mathrm{TSS}}{\partial w_{j1}}$ through "
        r"$\frac{\partial \mathrm{TSS}}{\partial o_1}$, $\frac{\partial o_1}{\partial \mathrm{net}_1}$, "
        r"$\frac{\partial \mathrm{net}_1}{\partial w_{j1}}$. "
        rf"(b) Evaluate at $\mathbf{{x}} = {sol.latex('x')}$, $\mathbf{{w}} = {sol.latex('w')}$, "
        rf"$t_1 = {sol.latex('t_1')}$, $\eta = {sol.latex('eta')}$. "
        r"(c) Show that $\sigma'(z) = \sigma(z)(1 - \sigma(z))$ is at most $\frac{1}{4}$, at $z = 0$, "
        r"and what that means for a chain of $L$ sigmoid layers."
    )


def _part_chain(sol: Solution) -> None:
    with sol.part("a", "The delta rule by the chain rule") as part:
        part.text(
            r"Only the term $k = 1$ of TSS depends on $w_{j1}$; $R = \frac{1}{2}\sum_{k \ge 2}(t_k - o_k)^2$ "
            r"collects the others. The three local derivatives, then the chain."
        )
        part.define(TSS, (t1 - o1) ** 2 / 2 + R)
        part.define(dTSS_do, sp.Derivative(TSS, o1))
        d_tss = part.derivation(dTSS_do, title="Error to output")
        d_tss.step(sp.Mul(-1, t1 - o1, evaluate=False), r"power rule, chain rule: $\frac{\partial (t_1 - o_1)}{\partial o_1} = -1$")
        part.answer("delta_rule.dTSS_do", d_tss.result, label=r"\frac{\partial \mathrm{TSS}}{\partial o_1}")

        part.define(o1, sigmoid(net1))
        d_o = part.derivation(sp.Derivative(sigmoid(net1), net1), title="Output to net input")
        e = sp.exp(-net1)
        d_o.step(e / (1 + e) ** 2, r"quotient rule: $\frac{d}{dv}\frac{1}{1 + e^{-v}} = \frac{e^{-v}}{(1 + e^{-v})^2}$")
        d_o.step(sp.Mul(1 / (1 + e), e / (1 + e), evaluate=False), "split the square")
        d_o.step(o1 * (1 - o1), r"$\frac{e^{-v}}{1 + e^{-v}} = 1 - \sigma(v)$ and $o_1 = \sigma(\mathrm{net}_1)$")
        part.answer("delta_rule.do_dnet", o1 * (1 - o1), label=r"\frac{\partial o_1}{\partial \mathrm{net}_1}")

        net_sum = sp.Sum(w[k, 1] * x[k], (k, 1, n))
        part.define(n, j + m)
        d_net = part.derivation(sp.Derivative(net_sum, w[j, 1]), title="Net input to weight")
        d_net.step(sp.Sum(sp.KroneckerDelta(k, j) * x[k], (k, 1, n)),
                   r"$\frac{\partial w_{k1}}{\partial w_{j1}} = \delta_{kj}$")
        d_net.step(x[j], r"only the term $k = j$ survives ($1 \le j \le n$)")
        part.answer("delta_rule.dnet_dw", x[j], label=r"\frac{\partial \mathrm{net}_1}{\partial w_{j1}}")

        part.define(net1, net_sum)
        part.define(dTSS_dw, sp.Derivative(TSS, w[j, 1]))
        part.define(delta_w, -eta * dTSS_dw)
        rule = part.derivation(delta_w, title="The delta rule")
        rule.step(-eta * dTSS_dw, "gradient descent on TSS")
        rule.step(sp.Mul(-eta, sp.Mul(-1, t1 - o1, evaluate=False), o1 * (1 - o1), x[j], evaluate=False),
                  r"chain rule: $\frac{\partial \mathrm{TSS}}{\partial o_1} \frac{\partial o_1}{\partial \mathrm{net}_1}"
                  r"\frac{\partial \mathrm{net}_1}{\partial w_{j1}}$ with the three results above")
        formula = eta * (t1 - o1) * o1 * (1 - o1) * x[j]
        rule.step(formula, r"$(-\eta)(-1) = \eta$")
        part.text(
            r"The error signal $\delta_1 = (t_1 - o_1)\, o_1 (1 - o_1)$ is the output error times the slope "
            r"of the sigmoid; the update is $\eta\, \delta_1\, x_j$. Each step is verified for every number "
            r"of inputs $n \ge j$."
        )
        part.answer("delta_rule.delta_w", formula, label=r"\Delta w_{j1}")


def _part_numbers(sol: Solution) -> None:
    xs, ws, target, rate = list(sol["x"]), list(sol["w"]), sol["t_1"], sol["eta"]
    fw = forward(xs, ws)
    updates = delta_rule_update(xs, ws, target, rate, sol.choice("sigmoid_derivative", True))
    with sol.part("b", "A numeric instance") as part:
        part.define(net1, fw["net"])
        dn = part.derivation(net1, title="Net input")
        dn.step(sp.Add(*[sp.Mul(a, b, evaluate=False) for a, b in zip(ws, xs)], evaluate=False)
                if len(xs) > 1 else sp.Mul(ws[0], xs[0], evaluate=False), r"$\sum_j w_{j1} x_j$")
        dn.step(fw["net"], "evaluate")
        part.define(o1, fw["o"])
        do = part.derivation(o1, title="Output")
        do.step(sp.Pow(sp.Add(1, sp.exp(-fw["net"], evaluate=False), evaluate=False), -1, evaluate=False),
                rf"$o_1 = \sigma({numbers.format_number(fw['net'], 15)})$")
        do.step(fw["o"], "evaluate")
        part.answer("delta_rule.o", fw["o"], label="o_1")

        ws_sym = [sp.Symbol(f"w_{{{i + 1}1}}", real=True) for i in range(len(ws))]
        tss = (target - sigmoid(sp.Add(*[a * b for a, b in zip(ws_sym, xs)]))) ** 2 / 2
        at = dict(zip(ws_sym, ws))
        lhs = [sp.Symbol(rf"\Delta w_{{{i + 1}1}}") for i in range(len(ws))]
        for i, sym in enumerate(lhs):
            part.define(sym, (-rate * sp.diff(tss, ws_sym[i])).xreplace(at))
        o = fw["o"]
        dw = part.derivation(sp.Matrix([lhs]), title="The updates")
        dw.step(sp.Matrix([[sp.Mul(rate, target - o, o, 1 - o, v, evaluate=False) for v in xs]]),
                r"$\eta (t_1 - o_1) o_1 (1 - o_1) x_j$")
        dw.step(sp.Matrix([updates]), "evaluate")
        part.answer("delta_rule.delta_w_values", updates, label=r"\Delta \mathbf{w}")


def _part_vanishing(sol: Solution) -> None:
    with sol.part("c", "The sigmoid's slope and vanishing gradients") as part:
        part.define(s, sigmoid(z))
        ds = part.derivation(sp.Derivative(s, z), title="The slope of the sigmoid")
        ds.step(s * (1 - s), "as in part (a)")
        dd = part.derivation(sp.Derivative(s * (1 - s), z), title="Where the slope is largest")
        dd.step(sp.Derivative(s, z) * (1 - s) - s * sp.Derivative(s, z), "product rule")
        dd.step(s * (1 - s) * (1 - s) - s * s * (1 - s), r"$\sigma' = \sigma(1 - \sigma)$")
        dd.step(s * (1 - s) * (1 - 2 * s), "factor")
        critical = sp.solve(sp.Eq(1 - 2 * sigmoid(z), 0), z)
        z0 = critical[0]
        part.text(
            r"$\sigma(1 - \sigma) > 0$ for every $z$ (as $0 < \sigma < 1$), so the derivative of $\sigma'$ "
            rf"vanishes only where $\sigma(z) = \frac{{1}}{{2}}$: solving $1 - 2\sigma(z) = 0$ gives the single "
            rf"critical point $z = {to_latex(z0)}$."
        )
        part.define(z, z0)
        top = part.derivation(s * (1 - s), title="The slope at the critical point")
        top.step(sp.Mul(sp.Rational(1, 2), 1 - sp.Rational(1, 2), evaluate=False), rf"$\sigma({to_latex(z0)}) = \frac{{1}}{{2}}$")
        peak = sigmoid(z0) * (1 - sigmoid(z0))
        top.step(peak, "evaluate")
        part.definitions.pop(z)
        square = part.derivation(s * (1 - s), title="It is the global maximum")
        square.step(sp.Rational(1, 4) - (s - sp.Rational(1, 2)) ** 2, "complete the square")
        part.text(
            r"so $\sigma'(z) \le \frac{1}{4}$ for every $z$, with equality only at $\sigma = \frac{1}{2}$."
        )
        part.answer("delta_rule.sigmoid_grad_max", peak, label=r"\max_z \sigma'(z)")
        shown = ", ".join(
            f"$L = {depth}$: ${numbers.latex_number(peak**depth)}$" for depth in DEPTHS
        )
        part.text(
            r"Backpropagation through $L$ sigmoid layers multiplies the gradient by $L$ factors "
            r"$\sigma'(\mathrm{net}_l)$ (times weights), each at most $\frac{1}{4}$: with weights of size at most 1 "
            rf"the gradient shrinks by at least $\left(\frac{{1}}{{4}}\right)^L$ ({shown}). This is the vanishing "
            "gradient problem of deep sigmoid networks."
        )


def solve(sol: Solution) -> None:
    """Parts (a)-(c) of C2 at the parameters x, w, t_1, eta."""
    sol.domain[z] = (-4, 4)
    sol.domain[net1] = (-4, 4)
    _statement(sol)
    _part_chain(sol)
    _part_numbers(sol)
    _part_vanishing(sol)


# --------------------------------------------------------------------------- checking

_z = sp.Dummy("z")
#: The logistic sigmoid as a function the comparison may apply.
SIGMOID = sp.Lambda(_z, 1 / (1 + sp.exp(-_z)))


def _stated_definitions(params: Mapping[str, Any]) -> dict:
    """The logistic sigmoid of the statement: sigma(z) = 1/(1 + e^{-z}), so
    that a student's ``\\sigma(0) = 0.5`` is checked."""
    z = sp.Symbol("z", real=True)
    return {sp.Symbol("sigma"): 1 / (1 + sp.exp(-z))}


def _equiv_definitions(params: Mapping[str, Any]) -> dict:
    """o_1 = sigma(net_1), in the reader's symbols."""
    from engine.read.parse import symbol as S

    return {S("o", "1"): sp.Function("sigma")(S("net", "1"))}


def _equiv_givens(params: Mapping[str, Any]) -> dict:
    """The numeric instance of (b): inputs, weights, target and learning rate."""
    from engine.read.parse import symbol as S

    (x1, x2), (w11, w21) = params["x"], params["w"]
    sx1, sx2, sw11, sw21 = S("x", "1"), S("x", "2"), S("w", "11"), S("w", "21")
    return {sx1: x1, sx2: x2, sw11: w11, sw21: w21, S("t", "1"): params["t_1"], S(r"\eta"): params["eta"],
            S("net", "1"): sw11 * sx1 + sw21 * sx2}


CHECKING = Checking(
    title_words=r"delta rule|sigmoid unit|vanishing gradient",
    aliases=(
        Alias("delta_rule.dTSS_do", names=(r"dTSS/do_?1?", r"dE/do_?1?", r"d\(?TSS\)?/do_?\(?1\)?"), parts=("a",)),
        Alias("delta_rule.do_dnet", names=(r"do_?1?/dnet_?1?", r"do_?1?/dnet_?\(?1\)?", r"do_?1?/dz_?1?"), parts=("a",)),
        Alias("delta_rule.dnet_dw", names=(r"d(?:net|z)_?1?/dw_?(?:j1|1j|j|\(j,?1\))?",), parts=("a",)),
        Alias("delta_rule.delta_w", names=(r"Delta ?w_?(?:j1|1j|j|\(j,?1\))?",), parts=("a",), kind="symbolic"),
        Alias("delta_rule.o", names=(r"o_?1?", r"o_?\(1\)", r"sigma\(net_?1?\)"), parts=("b",), kind="numeric",
              scope="part"),
        Alias("delta_rule.delta_w_values", names=(r"Delta ?w", r"Delta ?w_?(?:j1|\(j,?1\))"), parts=("b",), kind="numeric"),
        Alias("delta_rule.delta_w_values", names=(r"Delta ?w_\(?(?P<i>\d),?1\)?",), parts=("b",), kind="numeric"),
        Alias("delta_rule.sigmoid_grad_max", names=(r"max.*", r"sigma'\(0\)", r"sigma'_?max"),
              words=(r"maximum", r"\bmax\b", r"\b(?:largest|biggest|highest|greatest|peak)\b"), parts=("c",), kind="numeric"),
    ),
    conventions=Conventions(notation={"E": "TSS"}, words=("net", "TSS", "out")),
    functions={"sigma": SIGMOID},
    definitions=_equiv_definitions,
    givens=_equiv_givens,
    stated_definitions=_stated_definitions,
    mistakes=(
        Mistake("no_sigmoid_derivative", "the sigmoid's derivative o(1 - o) left out",
                choices={"sigmoid_derivative": False}, max_partners=0),
    ),
)


PROBLEM = Problem(
    id="delta_rule",
    title="The delta rule for a sigmoid unit",
    sheet="C",
    parameters=PARAMETERS,
    answer_ids=(
        "delta_rule.dTSS_do", "delta_rule.do_dnet", "delta_rule.dnet_dw", "delta_rule.delta_w",
        "delta_rule.o", "delta_rule.delta_w_values", "delta_rule.sigmoid_grad_max",
    ),
    solve_fn=solve,
    well_posed=_well_posed,
    checking=CHECKING,
)
