"""A2 ``adam``: the Adam optimizer (Kingma & Ba 2015, Algorithm 1).

m_t = beta_1 m_{t-1} + (1 - beta_1) g_t, v_t = beta_2 v_{t-1} + (1 - beta_2) g_t^2,
bias correction mhat_t = m_t / (1 - beta_1^t), vhat_t = v_t / (1 - beta_2^t),
update w_{t+1} = w_t - alpha mhat_t / (sqrt(vhat_t) + epsilon).

(a) the update rule; (b) the first step and its expansion in epsilon (a
sign-like step); (c) the second step, its expansion in epsilon and, for
g_2 = g_1 (1 + delta), in delta; (d) why the first steps call for a
learning-rate warm-up; (e) an L2 penalty versus decoupled weight decay
(AdamW, Loshchilov & Hutter 2019, Algorithm 2). Gradients g_t, the step
size alpha and the decay lambda stay symbolic (the sheet gives no values);
beta_1, beta_2, epsilon are parameters. Expansions are computed by sympy's
``series`` (:func:`expand`), never typed.
"""
from __future__ import annotations

from typing import Any, Mapping

import sympy as sp

from engine.math import numbers
from engine.model.checking import Alias, Checking, Conventions, Mistake, index_pattern
from engine.model.display import approx_latex, at_parameters, div, number_latex, unevaluated_sqrt
from engine.model.problem import Parameter, Problem, Solution, Tex, value_latex
from engine.math.latex import to_latex

# --------------------------------------------------------------------------- symbols

alpha = sp.Symbol("alpha", positive=True)
beta_1 = sp.Symbol("beta_1", positive=True)
beta_2 = sp.Symbol("beta_2", positive=True)
epsilon = sp.Symbol("epsilon", positive=True)
lam = sp.Symbol("lambda", positive=True)
#: Gradients of the first two steps: real, g_1 nonzero (so sign(g_1) = g_1/|g_1|).
g_1 = sp.Symbol("g_1", real=True, nonzero=True)
g_2 = sp.Symbol("g_2", real=True)
#: Relative change of the gradient between the two steps: g_2 = g_1 (1 + delta).
delta = sp.Symbol("delta", real=True)
t = sp.Symbol("t", integer=True)
g_t = sp.Symbol("g_{t}", real=True)
w_t = sp.Symbol("w_{t}", real=True)
w_next = sp.Symbol("w_{t+1}", real=True)
m_t, m_prev = sp.Symbol("m_{t}", real=True), sp.Symbol("m_{t-1}", real=True)
v_t, v_prev = sp.Symbol("v_{t}", positive=True), sp.Symbol("v_{t-1}", positive=True)
m_hat_t = sp.Symbol(r"\hat{m}_{t}", real=True)
v_hat_t = sp.Symbol(r"\hat{v}_{t}", positive=True)
m_0, m_1, m_2 = (sp.Symbol(f"m_{{{i}}}", real=True) for i in range(3))
v_0, v_1, v_2 = (sp.Symbol(f"v_{{{i}}}", positive=True) for i in range(3))
m_hat_1, m_hat_2 = sp.Symbol(r"\hat{m}_{1}", real=True), sp.Symbol(r"\hat{m}_{2}", real=True)
v_hat_1, v_hat_2 = sp.Symbol(r"\hat{v}_{1}", positive=True), sp.Symbol(r"\hat{v}_{2}", positive=True)
step_sym = sp.Symbol(r"\Delta w_{1}", real=True)
ratio_sym = sp.Symbol(r"r_{2}", real=True)
#: (e) first moments of the loss gradient alone and of the weights (EMAs, bias-corrected).
m_g_t, m_g_prev = sp.Symbol(r"m^{(g)}_{t}", real=True), sp.Symbol(r"m^{(g)}_{t-1}", real=True)
m_w_t, m_w_prev = sp.Symbol(r"m^{(w)}_{t}", real=True), sp.Symbol(r"m^{(w)}_{t-1}", real=True)
m_hat_g_t = sp.Symbol(r"\hat{m}^{(g)}_{t}", real=True)
m_hat_w_t = sp.Symbol(r"\hat{m}^{(w)}_{t}", real=True)

#: Parameter domains (exam variants draw from them; 0 < beta < 1, epsilon > 0).
DOMAINS = {"beta_1": (0.5, 0.99), "beta_2": (0.9, 0.9999), "epsilon": (1e-10, 1e-6)}
#: Gradient sizes |g_1| of the warm-up table in (d), in units of epsilon:
#: from 100 epsilon (1e-6 at the default) up to 1e11 epsilon (1000).
GRADIENT_SIZES_IN_EPSILON = (10**2, 10**4, 10**6, 10**8, 10**11)


# --------------------------------------------------------------------------- expansions


def _hide_abs_sign(expr: sp.Basic) -> tuple[sp.Basic, dict]:
    """Replace |.| and sign(.) by positive / real nonzero placeholders.

    sympy 1.14 expands Abs(g) of a real g of unknown sign as if g > 0 when it
    takes a series in another variable (a wrong first-order term for g < 0)."""
    forward, back = {}, {}
    for atom in expr.atoms(sp.Abs):
        d = sp.Dummy("abs", positive=True)
        forward[atom], back[d] = d, atom
    for atom in expr.atoms(sp.sign):
        d = sp.Dummy("sign", real=True, nonzero=True)
        forward[atom], back[d] = d, atom
    return expr.xreplace(forward), back


def relative_coefficients(expr: sp.Basic, var: sp.Symbol, order: int) -> tuple[sp.Basic, list[sp.Basic]]:
    """(lead, [c_1, ..., c_{order-1}]) with expr = lead (1 + c_1 var + ...) + O(var^order),
    by sympy ``series`` about var = 0. Raises ValueError if the lead vanishes."""
    hidden, back = _hide_abs_sign(expr)
    series = sp.series(hidden, var, 0, order).removeO()
    lead = sp.factor(series.subs(var, 0))
    if lead == 0:
        raise ValueError(f"the expansion of {expr} in {var} has no constant term to factor out")
    coefs = [_readable(sp.cancel(series.coeff(var, n) / lead)) for n in range(1, order)]
    return lead.xreplace(back), [c.xreplace(back) for c in coefs]


def _readable(ratio: sp.Basic) -> sp.Basic:
    """A rational function with a factored denominator and an expanded
    numerator: (beta_2 - beta_1) / ((1 + beta_1)(1 + beta_2))."""
    numerator, denominator = sp.fraction(sp.factor(ratio))
    return sp.expand(numerator) / denominator


def expand(expr: sp.Basic, var: sp.Symbol, order: int) -> tuple[sp.Basic, list[sp.Basic]]:
    """The expansion of ``expr`` in ``var`` about 0 to O(var^order), with the
    leading term factored out: ``-alpha sign(g_1) (1 - epsilon/|g_1|) + O(epsilon^2)``,
    and its relative coefficients [c_1, ...] (see :func:`relative_coefficients`)."""
    lead, coefs = relative_coefficients(expr, var, order)
    bracket = sp.Add(sp.Integer(1), *[coef * var**n for n, coef in enumerate(coefs, start=1)])
    return lead * bracket + sp.Order(var**order), coefs


def expand_terms(expr: sp.Basic, var: sp.Symbol, order: int) -> sp.Basic:
    """The expansion of ``expr`` in ``var`` about 0, term by term, plus O(var^order)."""
    hidden, back = _hide_abs_sign(expr)
    series = sp.series(hidden, var, 0, order).removeO()
    terms = [sp.factor(series.coeff(var, n)).xreplace(back) * var**n for n in range(order)]
    return sp.Add(*terms) + sp.Order(var**order)


# --------------------------------------------------------------------------- the closed forms


def first_step() -> sp.Basic:
    """w_2 - w_1 = -alpha g_1 / (|g_1| + epsilon) (m_0 = v_0 = 0)."""
    return -alpha * g_1 / (sp.Abs(g_1) + epsilon)


def second_moments() -> tuple[sp.Basic, sp.Basic]:
    """(mhat_2, vhat_2) in g_1, g_2, beta_1, beta_2."""
    return (beta_1 * g_1 + g_2) / (1 + beta_1), (beta_2 * g_1**2 + g_2**2) / (1 + beta_2)


def first_steps(*, exchanged: bool = False, bias_correction: bool = True, epsilon_inside: bool = False) -> dict:
    """The quantities of the first two steps from m_0 = v_0 = 0 (Kingma & Ba
    2015, Algorithm 1) by the recursion itself, as a student who makes a
    mistake computes them: ``exchanged`` swaps beta and 1 - beta in both
    moment updates, ``bias_correction=False`` leaves out the division by
    1 - beta^t, ``epsilon_inside`` puts epsilon under the square root.
    Returns answer id -> value (symbolic in beta_1, beta_2, epsilon, alpha, g_1, g_2)."""
    def ema(beta, prev, new):
        return ((1 - beta) * prev + beta * new) if exchanged else (beta * prev + (1 - beta) * new)

    def correct(value, beta, step):
        return value / (1 - beta**step) if bias_correction else value

    def ratio(m_hat, v_hat):
        return m_hat / (sp.sqrt(v_hat + epsilon) if epsilon_inside else sp.sqrt(v_hat) + epsilon)

    update = w_t - alpha * ratio(correct(m_t, beta_1, t), correct(v_t, beta_2, t))
    m1, v1 = ema(beta_1, 0, g_1), ema(beta_2, 0, g_1**2)
    m2, v2 = ema(beta_1, m1, g_2), ema(beta_2, v1, g_2**2)
    mh1, vh1 = sp.factor(correct(m1, beta_1, 1)), sp.factor(correct(v1, beta_2, 1))
    mh2, vh2 = sp.factor(correct(m2, beta_1, 2)), sp.factor(correct(v2, beta_2, 2))
    return {"adam.m_hat_1": mh1, "adam.v_hat_1": vh1, "adam.m_hat_2": mh2, "adam.v_hat_2": vh2,
            "adam.step_1": -alpha * ratio(mh1, vh1), "adam.ratio_2": ratio(mh2, vh2), "adam.update_rule": update}


# --------------------------------------------------------------------------- parts


def _well_posed(values: Mapping[str, Any]) -> str | None:
    for name in ("beta_1", "beta_2"):
        if not 0 < values[name] < 1:
            return f"{name} = {values[name]} must lie strictly between 0 and 1"
    if values["epsilon"] <= 0:
        return f"epsilon = {values['epsilon']} must be positive"
    return None


def _statement(sol: Solution) -> None:
    b1, b2, eps = sol.latex("beta_1"), sol.latex("beta_2"), number_latex(sol["epsilon"])
    sol.statement(
        rf"Adam with step size $\alpha$, decay rates $\beta_1 = {b1}$, $\beta_2 = {b2}$ and "
        rf"$\epsilon = {eps}$, from $m_0 = v_0 = 0$: $m_t = \beta_1 m_{{t-1}} + (1 - \beta_1) g_t$, "
        r"$v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2$, $\hat{m}_t = \frac{m_t}{1 - \beta_1^t}$, "
        r"$\hat{v}_t = \frac{v_t}{1 - \beta_2^t}$, $w_{t+1} = w_t - \alpha \frac{\hat{m}_t}{\sqrt{\hat{v}_t} + \epsilon}$. "
        r"(a) Explain each line of the update rule. "
        r"(b) Give $\hat{m}_1$, $\hat{v}_1$, the first step and its expansion to first order in $\epsilon$. "
        r"(c) Give $\hat{m}_2$, $\hat{v}_2$, the ratio $\frac{\hat{m}_2}{\sqrt{\hat{v}_2} + \epsilon}$ and its "
        r"expansion to first order in $\epsilon$; then, at $\epsilon = 0$ with $g_2 = g_1 (1 + \delta)$, its "
        rf"expansion to first order in $\delta$ and the coefficient of $\delta$ at $\beta_1 = {b1}$, $\beta_2 = {b2}$. "
        r"(d) Why are the first steps a problem, and what is the usual remedy? "
        r"(e) Compare an L2 penalty $\frac{\lambda}{2} \lVert w \rVert^2$ in the loss with decoupled weight "
        r"decay (AdamW, Loshchilov & Hutter 2019)."
    )


def _part_update_rule(sol: Solution, at: dict) -> None:
    with sol.part("a", "The update rule") as part:
        lines = (
            (m_t, beta_1 * m_prev + (1 - beta_1) * g_t,
             "first moment: exponential moving average of the gradients (momentum)"),
            (v_t, beta_2 * v_prev + (1 - beta_2) * g_t**2,
             "second raw moment: moving average of the squared gradients, per coordinate"),
            (m_hat_t, m_t / (1 - beta_1**t),
             "bias correction: starting from 0 shrinks the average; dividing undoes it (below)"),
            (v_hat_t, v_t / (1 - beta_2**t), "bias correction of the second moment, same argument"),
            (w_next, w_t - alpha * m_hat_t / (sp.sqrt(v_hat_t) + epsilon),
             r"step: each coordinate's step is scaled by the root of its own second moment; "
             r"$\epsilon$ keeps it finite"),
        )
        part.table(
            ["quantity", "update", "at the parameters", "meaning"],
            [[q, rule, at_parameters(rule, at), meaning] for q, rule, meaning in lines],
            caption="Adam (Kingma & Ba 2015, Algorithm 1), one line at a time.",
        )
        part.text(
            r"Why the bias correction: for a constant gradient $g_t = g$, $m_t = (1 - \beta_1^t) g$, by induction "
            r"from $m_0 = 0$ (true at $t = 0$)."
        )
        g = sp.Symbol("g", real=True)
        part.define(m_prev, (1 - beta_1 ** (t - 1)) * g)
        bias = part.derivation(None, title=r"$m_t$ for a constant gradient $g$")
        bias.step(beta_1 * m_prev + (1 - beta_1) * g, r"first-moment update with $g_t = g$")
        bias.step(beta_1 * sp.Mul(1 - beta_1 ** (t - 1), g, evaluate=False) + (1 - beta_1) * g,
                  r"induction hypothesis $m_{t-1} = (1 - \beta_1^{t-1}) g$")
        bias.step((1 - beta_1**t) * g, r"expand: $\beta_1 - \beta_1^t + 1 - \beta_1 = 1 - \beta_1^t$")
        part.text(
            rf"So $m_t = (1 - \beta_1^t) g$ underestimates $g$ (at $t = 1$ by the factor "
            rf"$1 - \beta_1 = {value_latex(1 - sol['beta_1'])}$), and $\hat{{m}}_t = \frac{{m_t}}{{1 - \beta_1^t}} = g$."
        )
        rule = sp.Add(w_t, -alpha * div(div(m_t, 1 - beta_1**t), unevaluated_sqrt(div(v_t, 1 - beta_2**t)) + epsilon),
                      evaluate=False)
        part.answer(
            "adam.update_rule", rule, label="w_{t+1}",
            text=r"$m_t$, $v_t$: moving averages of $g_t$ and $g_t^2$; divided by $1 - \beta_1^t$, $1 - \beta_2^t$ "
            r"to remove the bias of $m_0 = v_0 = 0$; each coordinate steps by $\alpha$ times "
            r"$\frac{\hat{m}_t}{\sqrt{\hat{v}_t} + \epsilon}$.",
        )


def _part_first_step(sol: Solution) -> sp.Basic:
    with sol.part("b", "The first step") as part:
        part.define(m_0, sp.Integer(0))
        part.define(v_0, sp.Integer(0))
        part.define(m_1, beta_1 * m_0 + (1 - beta_1) * g_1)
        part.define(v_1, beta_2 * v_0 + (1 - beta_2) * g_1**2)
        part.define(m_hat_1, m_1 / (1 - beta_1))
        part.define(v_hat_1, v_1 / (1 - beta_2))
        for hat, raw, beta, grad, name in ((m_hat_1, m_1, beta_1, g_1, "m"), (v_hat_1, v_1, beta_2, g_1**2, "v")):
            d = part.derivation(hat, title=f"Bias-corrected {'first' if name == 'm' else 'second'} moment")
            d.step(div(raw, 1 - beta), "bias correction at $t = 1$")
            d.step(div(beta * (m_0 if name == "m" else v_0) + (1 - beta) * grad, 1 - beta),
                   f"{'first' if name == 'm' else 'second'}-moment update")
            d.step(div((1 - beta) * grad, 1 - beta), f"${name}_0 = 0$")
            d.step(grad, rf"cancel $1 - {to_latex(beta)}$")
            part.answer(f"adam.{name}_hat_1", grad, label=to_latex(hat))

        # from here on the moments stand for their closed forms derived above
        part.define(m_hat_1, g_1)
        part.define(v_hat_1, g_1**2)
        part.define(step_sym, -alpha * m_hat_1 / (sp.sqrt(v_hat_1) + epsilon))
        step = part.derivation(step_sym, title="The first update")
        step.step(-alpha * div(m_hat_1, sp.sqrt(v_hat_1) + epsilon), "update rule at $t = 1$")
        step.step(-alpha * div(g_1, unevaluated_sqrt(g_1**2) + epsilon), r"$\hat{m}_1 = g_1$, $\hat{v}_1 = g_1^2$")
        closed = first_step()
        step.step(closed, r"$\sqrt{g^2} = |g|$ for real $g$")
        part.answer("adam.step_1", closed, label=r"w_2 - w_1")

        ser = part.derivation(closed, title=r"Expansion in $\epsilon$")
        ser.step(-alpha * sp.sign(g_1) * div(sp.Abs(g_1), sp.Abs(g_1) + epsilon),
                 r"$g = \operatorname{sign}(g) |g|$ for real nonzero $g$")
        sign_form = -alpha * sp.sign(g_1) / (1 + epsilon / sp.Abs(g_1))
        ser.step(sign_form, r"divide numerator and denominator by $|g_1|$")
        expansion, _ = expand(sign_form, epsilon, 2)
        ser.series(expansion, epsilon, 2)
        part.text(
            r"To first order the step is $-\alpha \operatorname{sign}(g_1)$: its size is $\alpha$ whatever "
            r"the size of the gradient, a sign-like step."
        )
        part.answer("adam.step_1_series", expansion, label=r"w_2 - w_1")
    return closed


def _part_second_step(sol: Solution) -> None:
    m_hat_2_closed, v_hat_2_closed = second_moments()
    with sol.part("c", "The second step") as part:
        part.define(m_1, (1 - beta_1) * g_1)
        part.define(v_1, (1 - beta_2) * g_1**2)
        part.define(m_2, beta_1 * m_1 + (1 - beta_1) * g_2)
        part.define(v_2, beta_2 * v_1 + (1 - beta_2) * g_2**2)
        part.define(m_hat_2, m_2 / (1 - beta_1**2))
        part.define(v_hat_2, v_2 / (1 - beta_2**2))
        moments = ((m_hat_2, m_2, m_1, beta_1, g_1, g_2, "m", m_hat_2_closed),
                   (v_hat_2, v_2, v_1, beta_2, g_1**2, g_2**2, "v", v_hat_2_closed))
        for hat, raw, prev, beta, first, second, name, closed in moments:
            d = part.derivation(hat, title=f"Bias-corrected {'first' if name == 'm' else 'second'} moment")
            d.step(div(raw, 1 - beta**2), "bias correction at $t = 2$")
            d.step(div(beta * prev + (1 - beta) * second, 1 - beta**2), "moment update")
            d.step(div(sp.Add(beta * (1 - beta) * first, (1 - beta) * second, evaluate=False), 1 - beta**2),
                   f"${name}_1 = (1 - {to_latex(beta)}) {to_latex(first)}$ from part (b)")
            d.step(div((1 - beta) * (beta * first + second), (1 - beta) * (1 + beta)),
                   rf"factor; $1 - {to_latex(beta)}^2 = (1 - {to_latex(beta)})(1 + {to_latex(beta)})$")
            d.step(closed, rf"cancel $1 - {to_latex(beta)}$")
            part.answer(f"adam.{name}_hat_2", closed, label=to_latex(hat))

        ratio = m_hat_2_closed / (sp.sqrt(v_hat_2_closed) + epsilon)
        # from here on the moments stand for their closed forms derived above
        part.define(m_hat_2, m_hat_2_closed)
        part.define(v_hat_2, v_hat_2_closed)
        part.define(ratio_sym, m_hat_2 / (sp.sqrt(v_hat_2) + epsilon))
        r = part.derivation(ratio_sym, title="The bias-corrected ratio")
        r.step(div(m_hat_2, sp.sqrt(v_hat_2) + epsilon), "update rule at $t = 2$: $w_3 = w_2 - \\alpha r_2$")
        r.step(ratio, "the moments above")
        part.answer("adam.ratio_2", ratio, label="r_2")

        named = part.derivation(div(m_hat_2, sp.sqrt(v_hat_2) + epsilon), title=r"Expansion in $\epsilon$")
        named_series = expand_terms(m_hat_2 / (sp.sqrt(v_hat_2) + epsilon), epsilon, 2)
        named.series(named_series, epsilon, 2)
        ratio_series = (named_series.removeO().xreplace({m_hat_2: m_hat_2_closed, v_hat_2: v_hat_2_closed})
                        + sp.Order(epsilon**2))
        part.text(
            r"With $\hat{m}_2$ and $\hat{v}_2$ above, the ratio is $\frac{\hat{m}_2}{\sqrt{\hat{v}_2}}$ "
            r"up to a correction of relative size $\frac{\epsilon}{\sqrt{\hat{v}_2}}$."
        )
        part.answer("adam.ratio_2_series", ratio_series, label="r_2")

        relative = {g_2: g_1 * (1 + delta)}
        d = part.derivation(None, title="A small relative change of the gradient")
        at_zero = (m_hat_2_closed / sp.sqrt(v_hat_2_closed)).xreplace(relative)
        d.step(at_zero, r"$r_2$ at $\epsilon = 0$ with $g_2 = g_1 (1 + \delta)$")
        d.step(div(g_1 * (1 + beta_1 + delta), 1 + beta_1)
               / (sp.Abs(g_1) * sp.sqrt((beta_2 + (1 + delta) ** 2) / (1 + beta_2))),
               r"factor $g_1$ out; $\sqrt{g_1^2} = |g_1|$")
        sign_form = sp.sign(g_1) * (1 + beta_1 + delta) / (1 + beta_1) * sp.sqrt((1 + beta_2) / (beta_2 + (1 + delta) ** 2))
        d.step(sign_form, r"$\frac{g}{|g|} = \operatorname{sign}(g)$ for real nonzero $g$")
        delta_series, (coefficient,) = expand(sign_form, delta, 2)
        d.series(delta_series, delta, 2)
        part.answer("adam.ratio_2_delta_series", delta_series, label="r_2")

        at = {beta_1: sol["beta_1"], beta_2: sol["beta_2"]}
        k = part.derivation(sp.Subs(coefficient, (beta_1, beta_2), (sol["beta_1"], sol["beta_2"])),
                            title=r"The coefficient of $\delta$ at the parameters")
        k.step(coefficient.xreplace(at), "exact arithmetic")
        value = coefficient.xreplace(at)
        part.text(
            rf"A relative change $\delta$ of the gradient changes the step by only "
            rf"${numbers.latex_number(value)}\,\delta$ (relative): Adam's second step is nearly sign-like too."
        )
        part.answer("adam.ratio_2_delta_coefficient", value, label=r"\kappa")


def _part_warmup(sol: Solution, step_1: sp.Basic) -> None:
    eps0 = sol["epsilon"]
    with sol.part("d", "Why warm-up") as part:
        relative = part.derivation(div(sp.Abs(step_1, evaluate=False), alpha),
                                   title=r"Size of the first step, in units of $\alpha$")
        relative.step(div(sp.Abs(g_1), sp.Abs(g_1) + epsilon), r"$|{-\alpha g_1}| = \alpha |g_1|$, $\alpha > 0$")
        shortfall = epsilon / (sp.Abs(g_1) + epsilon)
        relative.step(1 - shortfall, r"it falls short of 1 by $\frac{\epsilon}{|g_1| + \epsilon}$")
        rows = [(size, (1 - shortfall).xreplace({g_1: size, epsilon: eps0}), shortfall.xreplace({g_1: size, epsilon: eps0}))
                for size in (eps0 * k for k in GRADIENT_SIZES_IN_EPSILON)]
        part.table(
            [Tex("|g_1|"), Tex(r"\frac{|w_2 - w_1|}{\alpha}"), Tex(r"1 - \frac{|w_2 - w_1|}{\alpha}")],
            [list(row) for row in rows],
            caption=rf"First-step size at $\epsilon = {number_latex(eps0)}$, for gradients of very different sizes.",
        )
        (small, small_ratio, _), (large, _, large_short) = rows[0], rows[-1]
        part.text(
            rf"The first update moves every coordinate by about $\alpha$ whatever its gradient, as long as the "
            rf"gradient is well above $\epsilon = {number_latex(eps0)}$: a gradient of size ${approx_latex(small)}$ "
            rf"moves by ${approx_latex(small_ratio)}\,\alpha$ and one of size ${approx_latex(large)}$ by "
            rf"$\alpha$ less about ${approx_latex(large_short)}\,\alpha$. Early on $\hat{{v}}_t$ averages only a few "
            r"squared gradients, so the per-coordinate step sizes $\frac{\alpha}{\sqrt{\hat{v}_t} + \epsilon}$ "
            r"are large and noisy: coordinates with tiny, noisy gradients take full-size steps in essentially "
            r"random directions, which can throw the weights far from a good start."
        )
        part.answer(
            "adam.warmup", None,
            text=r"The first steps are large and noisy (about $\alpha$ per coordinate, on second-moment estimates "
            r"of only a few squared gradients). The usual remedy is a learning-rate warm-up: start with a small "
            r"$\alpha$ and raise it (linearly) to its target over the first few hundred to thousand steps, until "
            r"the moment estimates have settled (RAdam, Liu et al. 2020, analyses this as the variance of the "
            r"adaptive step size).",
        )


def _part_weight_decay(sol: Solution) -> None:
    with sol.part("e", "L2 penalty versus decoupled weight decay") as part:
        part.text(
            r"An L2 penalty $\frac{\lambda}{2}\lVert w \rVert^2$ in the loss adds $\lambda w_t$ to the gradient "
            r"that Adam normalizes; AdamW (Loshchilov & Hutter 2019, Algorithm 2) keeps the gradient and "
            r"shrinks the weights in the update instead."
        )
        l2_grad = g_t + lam * w_t
        part.table(
            ["", "Adam + L2 penalty", "AdamW (decoupled weight decay)"],
            [
                ["gradient fed to the moments", l2_grad, g_t],
                ["first moment", beta_1 * m_prev + (1 - beta_1) * l2_grad, beta_1 * m_prev + (1 - beta_1) * g_t],
                ["second moment", beta_2 * v_prev + (1 - beta_2) * l2_grad**2, beta_2 * v_prev + (1 - beta_2) * g_t**2],
                ["update", w_t - alpha * m_hat_t / (sp.sqrt(v_hat_t) + epsilon),
                 w_t - alpha * m_hat_t / (sp.sqrt(v_hat_t) + epsilon) - alpha * lam * w_t],
                ["decay per step", alpha * lam / (sp.sqrt(v_hat_t) + epsilon), alpha * lam],
            ],
            caption=r"The two rules side by side (in the L2 column $\hat{v}_t$ is the second moment of "
                    r"$g_t + \lambda w_t$).",
        )
        part.define(m_g_t, beta_1 * m_g_prev + (1 - beta_1) * g_t)
        part.define(m_w_t, beta_1 * m_w_prev + (1 - beta_1) * w_t)
        part.define(m_prev, m_g_prev + lam * m_w_prev)
        part.define(m_t, beta_1 * m_prev + (1 - beta_1) * l2_grad)
        split = part.derivation(m_t, title=r"The first moment of $g_t + \lambda w_t$ splits")
        split.step(beta_1 * (m_g_prev + lam * m_w_prev) + (1 - beta_1) * l2_grad,
                   r"moment update of $g_t + \lambda w_t$, with $m_{t-1} = m^{(g)}_{t-1} + \lambda m^{(w)}_{t-1}$ "
                   r"(induction hypothesis, true at $m_0 = 0$)")
        split.step(sp.Add(beta_1 * m_g_prev + (1 - beta_1) * g_t,
                          lam * sp.Add(beta_1 * m_w_prev, (1 - beta_1) * w_t, evaluate=False), evaluate=False),
                   "regroup: the moving average is linear")
        split.step(m_g_t + lam * m_w_t, r"the moving averages of $g$ and of $w$")
        part.text(
            r"By induction $m_t = m^{(g)}_t + \lambda m^{(w)}_t$, and after dividing by $1 - \beta_1^t$, "
            r"$\hat{m}_t = \hat{m}^{(g)}_t + \lambda \hat{m}^{(w)}_t$, where $\hat{m}^{(w)}_t$ is the "
            r"bias-corrected moving average of the weights ($\approx w_t$)."
        )
        part.define(m_hat_t, m_hat_g_t + lam * m_hat_w_t)
        part.define(w_next, w_t - alpha * m_hat_t / (sp.sqrt(v_hat_t) + epsilon))
        l2 = part.derivation(w_next, title="Adam with an L2 penalty")
        l2.step(w_t - alpha * div(m_hat_g_t + lam * m_hat_w_t, sp.sqrt(v_hat_t) + epsilon),
                r"Adam on $g_t + \lambda w_t$, with the split above")
        l2_update = w_t - alpha * m_hat_g_t / (sp.sqrt(v_hat_t) + epsilon) - alpha * lam * m_hat_w_t / (sp.sqrt(v_hat_t) + epsilon)
        l2.step(l2_update, r"split the fraction: the decay term is divided by $\sqrt{\hat{v}_t} + \epsilon$")
        part.answer("adam.l2_update", l2_update, label="w_{t+1}",
                    text=r"$\hat{v}_t$ is the second moment of $g_t + \lambda w_t$.")

        part.definitions.pop(m_hat_t)  # AdamW's moments are those of g_t alone
        part.define(w_next, w_t - alpha * sp.Add(div(m_hat_t, sp.sqrt(v_hat_t) + epsilon), lam * w_t, evaluate=False))
        adamw = part.derivation(w_next, title="AdamW")
        adamw.step(w_t - alpha * sp.Add(div(m_hat_t, sp.sqrt(v_hat_t) + epsilon), lam * w_t, evaluate=False),
                   r"decoupled weight decay (Loshchilov & Hutter 2019, Algorithm 2, line 12, with the decay "
                   r"scaled by $\alpha$ as in PyTorch's AdamW)")
        adamw_update = w_t - alpha * m_hat_t / (sp.sqrt(v_hat_t) + epsilon) - alpha * lam * w_t
        adamw.step(adamw_update, r"expand: the decay $\alpha \lambda w_t$ is not divided")
        part.answer("adam.adamw_update", adamw_update, label="w_{t+1}",
                    text=r"$\hat{m}_t$, $\hat{v}_t$ are the moments of the loss gradient $g_t$ alone.")
        part.text(
            r"Effective decay per step: $\frac{\alpha \lambda}{\sqrt{\hat{v}_t} + \epsilon}$ under Adam with L2 "
            r"(weights with large past gradients are barely regularized), $\alpha \lambda$ for every weight "
            r"under AdamW."
        )


def solve(sol: Solution) -> None:
    """Parts (a)-(e) of A2 at the parameters beta_1, beta_2, epsilon."""
    sol.domain[beta_1] = DOMAINS["beta_1"]
    sol.domain[beta_2] = DOMAINS["beta_2"]
    sol.domain[epsilon] = (0.001, 0.5)
    sol.domain[delta] = (-0.5, 0.5)
    _statement(sol)
    at = {beta_1: sol["beta_1"], beta_2: sol["beta_2"], epsilon: sol["epsilon"]}
    _part_update_rule(sol, at)
    step_1 = _part_first_step(sol)
    _part_second_step(sol)
    _part_warmup(sol, step_1)
    _part_weight_decay(sol)
    mistake = {"exchanged": sol.choice("moment_weights", "beta") == "exchanged",
               "bias_correction": sol.choice("bias_correction", True),
               "epsilon_inside": sol.choice("epsilon", "outside") == "inside"}
    if mistake != {"exchanged": False, "bias_correction": True, "epsilon_inside": False}:
        # under a mistake the quantities of the first two steps are those of the mistaken recursion
        for answer_id, value in first_steps(**mistake).items():
            sol.answers[answer_id].value = value


# --------------------------------------------------------------------------- checking

#: The index t + 1 of an update, as students write it (``w_{t+1}``, ``w^{(t+1)}``).
_T1 = r"[_^]\(?t\+1\)?"


def _stated_definitions(params: Mapping[str, Any]) -> dict:
    """The bias-corrected moments of the statement (Kingma & Ba 2015,
    Algorithm 1): mhat_t = m_t / (1 - beta_1^t), vhat_t = v_t / (1 - beta_2^t),
    and those of part (e)'s split of the L2 gradient, mhat^(g)_t and
    mhat^(w)_t, bias-corrected alike (so that a student's Adam update on
    g_t + lambda w_t meets the split form)."""
    correction = 1 - beta_1**t
    return {m_hat_t: m_t / correction, v_hat_t: v_t / (1 - beta_2**t),
            m_hat_g_t: m_g_t / correction, m_hat_w_t: m_w_t / correction}


def _equiv_definitions(params: Mapping[str, Any]) -> dict:
    """The first two steps from m_0 = v_0 = 0 (Kingma & Ba 2015, Algorithm 1),
    in the reader's symbols."""
    from engine.read.parse import symbol as S

    b1, b2 = S(r"\beta", "1"), S(r"\beta", "2")
    g = {k: S("g", str(k)) for k in (1, 2)}
    m = {k: S("m", str(k)) for k in (0, 1, 2)}
    v = {k: S("v", str(k)) for k in (0, 1, 2)}
    definitions = {m[0]: sp.Integer(0), v[0]: sp.Integer(0)}
    for k in (1, 2):
        definitions[m[k]] = b1 * m[k - 1] + (1 - b1) * g[k]
        definitions[v[k]] = b2 * v[k - 1] + (1 - b2) * g[k] ** 2
        definitions[S(r"\hat{m}", str(k))] = m[k] / (1 - b1 ** k)
        definitions[S(r"\hat{v}", str(k))] = v[k] / (1 - b2 ** k)
    return definitions


def _equiv_givens(params: Mapping[str, Any]) -> dict:
    from engine.read.parse import symbol as S

    return {S(r"\beta", "1"): params["beta_1"], S(r"\beta", "2"): params["beta_2"], S(r"\epsilon"): params["epsilon"]}


def _equiv_domain() -> dict:
    """epsilon's declared range (1e-10, 1e-6) would hide a dropped epsilon
    under the spot check's resolution; the derivation's own checks use
    (0.001, 0.5) too."""
    from engine.read.parse import symbol as S

    return {S(r"\epsilon"): (0.001, 0.1)}


CHECKING = Checking(
    title_words=r"\badam(?!w)\b|optimi[sz]er",
    aliases=(
        Alias("adam.update_rule", names=(rf"w{_T1}", rf"theta{_T1}", rf"x{_T1}"), parts=("a",), kind="symbolic"),
        Alias("adam.m_hat_1", names=(rf"hat\(m\){index_pattern(1)}",), parts=("b",)),
        Alias("adam.v_hat_1", names=(rf"hat\(v\){index_pattern(1)}",), parts=("b",)),
        Alias("adam.step_1_series", names=(rf"Delta ?(?:w|theta){index_pattern(1)}", r"Delta ?(?:w|theta)",
                                           rf"(?:w|theta){index_pattern(2)}-(?:w|theta){index_pattern(1)}"), parts=("b",),
              kind="symbolic", needs=r"O\s*\(", approx_needs=r"\\(?:var)?epsilon"),
        Alias("adam.step_1_series", names=(rf"(?:w|theta){index_pattern(2)}",), parts=("b",), kind="symbolic",
              needs=r"O\s*\(", approx_needs=r"\\(?:var)?epsilon", transform="minus_w1"),
        Alias("adam.step_1", names=(rf"Delta ?(?:w|theta){index_pattern(1)}", r"Delta ?(?:w|theta)", r"s_?1", r"step_?1",
                                    rf"(?:w|theta){index_pattern(2)}-(?:w|theta){index_pattern(1)}"), parts=("b",),
              kind="symbolic", avoid=r"O\s*\("),
        Alias("adam.step_1", names=(rf"(?:w|theta){index_pattern(2)}",), parts=("b",), kind="symbolic",
              avoid=r"O\s*\(", transform="minus_w1"),
        Alias("adam.m_hat_2", names=(rf"hat\(m\){index_pattern(2)}",), parts=("c",)),
        Alias("adam.v_hat_2", names=(rf"hat\(v\){index_pattern(2)}",), parts=("c",)),
        Alias("adam.ratio_2_delta_series", names=(rf"hat\(m\){index_pattern(2)}/.*", r"r_?2", r"ratio.*"), parts=("c",),
              needs=r"O\s*\(\s*\\?(?:delta|Delta)", approx_needs=r"\\delta"),
        Alias("adam.ratio_2_series", names=(rf"hat\(m\){index_pattern(2)}/.*", r"r_?2", r"ratio.*"), parts=("c",),
              needs=r"O\s*\(\s*\\?(?:epsilon|varepsilon)"),
        Alias("adam.ratio_2", names=(rf"hat\(m\){index_pattern(2)}/\(?sqrt.*", r"r_?2", r"ratio.*"), parts=("c",),
              avoid=r"O\s*\("),
        Alias("adam.ratio_2_delta_coefficient", words=(r"coefficient",), parts=("c",), kind="numeric"),
        Alias("adam.warmup", words=(r"warm-?up", r"learning.rate"), parts=("d",), kind="text"),
        Alias("adam.adamw_update", names=(rf"w{_T1}", rf"theta{_T1}"), words=(r"adamw", r"decoupled", r"weight decay"),
              parts=("e",), kind="symbolic"),
        Alias("adam.l2_update", names=(rf"w{_T1}", rf"theta{_T1}"), words=(r"l2", r"penalty", r"regulari"),
              parts=("e",), kind="symbolic"),
    ),
    conventions=Conventions(small=("epsilon", "delta"), index_letters=("g", "m", "v", "w"),
                            notation={"beta": "beta_1", "gamma": "beta_2", "eta": "alpha", "varepsilon": "epsilon",
                                      "b_1": "beta_1", "b_2": "beta_2"}),
    definitions=_equiv_definitions,
    givens=_equiv_givens,
    domain=_equiv_domain(),
    stated_definitions=_stated_definitions,
    mistakes=(
        Mistake("bias_correction_dropped", "bias correction dropped", choices={"bias_correction": False}),
        Mistake("beta_exchanged", "beta and 1 - beta exchanged", choices={"moment_weights": "exchanged"}),
        Mistake("epsilon_inside_sqrt", "epsilon inside the square root", choices={"epsilon": "inside"}),
    ),
)


PROBLEM = Problem(
    id="adam",
    title="The Adam optimizer",
    sheet="A",
    parameters=(
        Parameter("beta_1", 0.9, latex=r"\beta_1", description="decay rate of the first moment, 0 < beta_1 < 1",
                  domain=DOMAINS["beta_1"]),
        Parameter("beta_2", 0.999, latex=r"\beta_2", description="decay rate of the second moment, 0 < beta_2 < 1",
                  domain=DOMAINS["beta_2"]),
        Parameter("epsilon", 1e-8, latex=r"\epsilon", description="stabilizer in the denominator (gradient units), > 0",
                  domain=DOMAINS["epsilon"]),
    ),
    answer_ids=(
        "adam.update_rule", "adam.m_hat_1", "adam.v_hat_1", "adam.step_1", "adam.step_1_series",
        "adam.m_hat_2", "adam.v_hat_2", "adam.ratio_2", "adam.ratio_2_series", "adam.ratio_2_delta_series",
        "adam.ratio_2_delta_coefficient", "adam.warmup", "adam.l2_update", "adam.adamw_update",
    ),
    solve_fn=solve,
    well_posed=_well_posed,
    checking=CHECKING,
)
