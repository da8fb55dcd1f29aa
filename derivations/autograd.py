"""C1 ``autograd``: what PyTorch's autograd computes for an elementwise program.

    x = torch.tensor([0.1, 0.0, 0.2, 1.0], requires_grad=True)
    a = x + 1; b = a ** (4 * x); c = (b + 3) * 5; y = c.mean(); y.backward()

Every operation before the mean is elementwise, so the Jacobians are diagonal
and dy/dx_i = dy/dc_i dc_i/db_i db_i/dx_i (reverse mode: Baydin et al. 2018,
"Automatic differentiation in machine learning: a survey", JMLR 18(153),
Sec. 3.2). The power a^(4x) has x in the base and in the exponent:
d(a^(4x))/dx = a^(4x) (4 log a + 4x/a da/dx) (logarithmic differentiation).

(a) the chain, symbolically (n = len(x) entries); (b) y and x.grad at the
parameter x, exactly (x_i > -1 so that a_i > 0).
"""
from __future__ import annotations

import random
from typing import Any, Mapping, Sequence

import sympy as sp

from engine.math import numbers
from engine.math.numbers import python_literal
from engine.model.checking import Conventions, Alias, Checking, Mistake
from engine.model.problem import Parameter, Problem, Solution, Tex

x_i = sp.Symbol("x_i", real=True)
a_i, b_i, c_i = sp.Symbol("a_i"), sp.Symbol("b_i"), sp.Symbol("c_i")
y_s = sp.Symbol("y")
#: The other entries' share of the mean: y = (c_i + R_i) / n, R_i independent of x_i.
R_i = sp.Symbol(r"R_i", real=True)

#: Sampling interval of x_i in the spot checks (a_i = x_i + 1 > 0).
X_DOMAIN = (-0.5, 2)


def program(x: sp.Basic) -> dict[str, sp.Basic]:
    """The elementwise forward pass of one entry: a, b, c (exact)."""
    a = x + 1
    b = a ** (4 * x)
    c = (b + 3) * 5
    return {"a": a, "b": b, "c": c}


def mean_output(xs: Sequence[sp.Basic]) -> sp.Basic:
    """y = mean(c) for the vector x (the value y.backward() differentiates)."""
    return sp.Add(*[program(v)["c"] for v in xs]) / len(xs)


def gradient_formula(x: sp.Basic, n: int, rule: str = "chain") -> sp.Basic:
    """dy/dx_i = (1/n) 5 b_i (4 log a_i + 4 x_i / a_i) at x_i = x.

    ``rule`` as a mistaken student differentiates b = a^(4x): "chain" (both
    terms, right), "power" (the exponent 4x treated as a constant:
    4x a^(4x - 1)), "exponential" (the base a treated as a constant: b 4 log a)."""
    v = program(x)
    if rule == "power":
        return sp.Rational(5, n) * 4 * x * v["a"] ** (4 * x - 1)
    if rule == "exponential":
        return sp.Rational(5, n) * v["b"] * 4 * sp.log(v["a"])
    return sp.Rational(5, n) * v["b"] * (4 * sp.log(v["a"]) + 4 * x / v["a"])


def pytorch_snippet(xs: Sequence[sp.Rational]) -> str:
    """The program of the sheet at the parameter x (float64, as the tests run it)."""
    values = ", ".join(python_literal(v) for v in xs)
    return f"""
import torch

x = torch.tensor([{values}], dtype=torch.float64, requires_grad=True)
a = x + 1
b = a ** (4 * x)
c = (b + 3) * 5
y = c.mean()
y.backward()
print(y.item(), x.grad)
"""


def _well_posed(values: Mapping[str, Any]) -> str | None:
    xs = values["x"]
    if not isinstance(xs, list) or not xs or any(isinstance(v, list) for v in xs):
        return "x must be a list of numbers, e.g. [0.1, 0, 0.2, 1]"
    for k, v in enumerate(xs):
        if v <= -1:
            return f"x_{k + 1} = {v} must be greater than -1 (a = x + 1 > 0 is the base of a real power)"
    return None


def _sample_x(rng: random.Random) -> list[sp.Rational]:
    """4 entries in {-0.5, -0.4, ..., 1.5}."""
    return [sp.Rational(rng.randint(-5, 15), 10) for _ in range(4)]


PARAMETERS = (
    Parameter("x", [0.1, 0, 0.2, 1], latex=r"\mathbf{x}", kind="list", sample=_sample_x,
              description="the input vector, n entries each greater than -1 (dimensionless)"),
)


def _statement(sol: Solution) -> None:
    sol.statement(
        rf"With $\mathbf{{x}} = {sol.latex('x')}$ (with gradients required), PyTorch runs $a = x + 1$, "
        r"$b = a^{4x}$, $c = 5(b + 3)$ elementwise and $y = \operatorname{mean}(c)$, then y.backward(). "
        r"(a) Write $\frac{\partial y}{\partial x_i}$ as the chain $\frac{\partial y}{\partial c_i}"
        r"\frac{\partial c_i}{\partial b_i}\frac{\partial b_i}{\partial x_i}$, where $x$ is in both the base and "
        r"the exponent of $b$. (b) Give $y$ and x.grad."
    )


def _part_chain(sol: Solution, n: int) -> sp.Basic:
    with sol.part("a", "The elementwise chain") as part:
        part.text(
            rf"$a$, $b$, $c$ act entry by entry and $y = \frac{{1}}{{{n}}}\sum_k c_k$, so $y$ depends on $x_i$ "
            r"only through $c_i$, $b_i$, $a_i$ (diagonal Jacobians). Write $R_i = \sum_{k \ne i} c_k$ for "
            r"the other entries, which do not depend on $x_i$."
        )
        dy = part.derivation(sp.Derivative((c_i + R_i) / n, c_i), title="The mean")
        dy.step(sp.Rational(1, n), rf"each entry has weight $\frac{{1}}{{{n}}}$")
        dc = part.derivation(sp.Derivative(5 * (b_i + 3), b_i), title="The affine map")
        dc.step(sp.Integer(5), r"$\frac{\partial}{\partial b}\, 5(b + 3) = 5$")

        part.define(a_i, x_i + 1)
        part.define(b_i, a_i ** (4 * x_i))
        db = part.derivation(sp.Derivative(b_i, x_i), title="The power with x in the exponent")
        db.step(b_i * sp.Derivative(sp.log(b_i), x_i),
                r"logarithmic differentiation: $\frac{\partial \log b}{\partial x} = "
                r"\frac{1}{b} \frac{\partial b}{\partial x}$")
        db.step(b_i * sp.Derivative(4 * x_i * sp.log(a_i), x_i), r"$\log a^{4x} = 4x \log a$ ($a > 0$)")
        db.step(b_i * (4 * sp.log(a_i) + 4 * x_i / a_i * sp.Derivative(a_i, x_i)),
                r"product rule; chain rule for $\log a$")
        db.step(b_i * (4 * sp.log(a_i) + 4 * x_i / a_i), r"$\frac{\partial a_i}{\partial x_i} = 1$")
        part.text(
            r"The term $4 \log a_i$ comes from the exponent; treating $b = a^{4x}$ as a plain power "
            r"($4x\, a^{4x - 1}$) would keep only $\frac{4 x_i}{a_i} b_i$."
        )

        part.define(c_i, 5 * (b_i + 3))
        part.define(y_s, (c_i + R_i) / n)
        chain = part.derivation(sp.Derivative(y_s, x_i), title="The chain")
        chain.step(sp.Mul(sp.Rational(1, n), 5, b_i * (4 * sp.log(a_i) + 4 * x_i / a_i), evaluate=False),
                   r"chain rule: $\frac{\partial y}{\partial c_i} \frac{\partial c_i}{\partial b_i} "
                   r"\frac{\partial b_i}{\partial x_i}$ with the three local derivatives above")
        closed = gradient_formula(x_i, n)
        chain.step(closed, r"substitute $a_i = x_i + 1$, $b_i = a_i^{4 x_i}$")
        part.answer("autograd.dy_dx_symbolic", closed, label=r"\frac{\partial y}{\partial x_i}")
    return closed


def _part_values(sol: Solution) -> None:
    xs = list(sol["x"])
    n = len(xs)
    forward = [program(v) for v in xs]
    summed = sol.choice("reduction", "mean") == "sum"  # a mistake: y = c.sum()
    y = mean_output(xs) * (n if summed else 1)
    grads = [gradient_formula(v, 1 if summed else n, sol.choice("power_rule", "chain")) for v in xs]
    with sol.part("b", "The values: y and x.grad") as part:
        rows = [[Tex(str(k + 1)), v, f["a"], f["b"], f["c"], g] for k, (v, f, g) in enumerate(zip(xs, forward, grads))]
        part.table([Tex("i"), Tex("x_i"), Tex("a_i"), Tex("b_i"), Tex("c_i"), Tex(r"\frac{\partial y}{\partial x_i}")],
                   rows, caption="Forward values and the gradient, entry by entry (exact).")
        part.define(y_s, y)
        dy = part.derivation(y_s, title="The output")
        dy.step(sp.Mul(sp.Rational(1, n), sp.Add(*[f["c"] for f in forward], evaluate=False), evaluate=False),
                r"$y = \operatorname{mean}(c)$")
        dy.step(y, "evaluate")
        part.answer("autograd.y", y, label="y")

        # The reference: sympy's derivative of the whole program, not the chain.
        xsym = [sp.Symbol(f"x_{{{k + 1}}}", real=True) for k in range(n)]
        whole = mean_output(xsym)
        partials = [sp.Symbol(rf"\frac{{\partial y}}{{\partial x_{{{k + 1}}}}}") for k in range(n)]
        at = dict(zip(xsym, xs))
        for k in range(n):
            part.define(partials[k], sp.diff(whole, xsym[k]).xreplace(at))
        dx = part.derivation(sp.Matrix([partials]), title="x.grad")
        at_each = [
            sp.Mul(sp.Rational(5, n), f["b"],
                   sp.Add(4 * sp.log(f["a"]), sp.Mul(4, v, sp.Pow(f["a"], -1), evaluate=False), evaluate=False),
                   evaluate=False)
            for v, f in zip(xs, forward)
        ]
        dx.step(sp.Matrix([at_each]), r"the formula of (a) at each $x_i$, with $a_i$ and $b_i$ from the table")
        dx.step(sp.Matrix([grads]), "simplify")
        part.answer("autograd.x_grad", grads, label=r"\texttt{x.grad}")

        part.code(pytorch_snippet(xs), caption="The program in float64.")
        shown = ", ".join(numbers.format_number(g) for g in grads)
        part.text(
            rf"It prints $y \approx {numbers.latex_number(y)}$ and x.grad $\approx ({shown})$: backward() "
            "accumulates exactly these entries (reverse mode through diagonal Jacobians)."
        )
        zeros = [k + 1 for k, v in enumerate(xs) if v == 0]
        if zeros:
            part.text(
                f"At $x_i = 0$ (entry {', '.join(map(str, zeros))}) both terms vanish: $a_i = 1$, so $\\log a_i = 0$ "
                "and $4 x_i / a_i = 0$, and the gradient is 0."
            )


def solve(sol: Solution) -> None:
    """Parts (a) and (b) of C1 at the parameter x."""
    sol.domain[x_i] = X_DOMAIN
    _statement(sol)
    _part_chain(sol, len(sol["x"]))
    _part_values(sol)


# --------------------------------------------------------------------------- checking


def _equiv_definitions(params: Mapping[str, Any]) -> dict:
    """a = x + 1, b = a^(4x), c = 5 (b + 3), elementwise, in the reader's symbols."""
    from engine.read.parse import symbol as S

    x, a, b, c = S("x"), S("a"), S("b"), S("c")
    return {a: x + 1, b: a ** (4 * x), c: 5 * (b + 3)}


def _equiv_domain() -> dict:
    from engine.read.parse import symbol as S

    return {S("x"): (0.05, 2.0)}


CHECKING = Checking(
    title_words=r"autograd|pytorch|torch|backward\(\)",
    conventions=Conventions(same={"Y": "y"}),  # the output y, often written Y by hand
    aliases=(
        Alias("autograd.dy_dx_symbolic", names=(r"dy/dx(?:_i)?", r"dy_?/dx_i", r"dy/dx_\(?i\)?"), parts=("a",),
              kind="symbolic"),
        Alias("autograd.y", names=(r"y",), parts=("b",), kind="numeric", scope="part"),
        Alias("autograd.x_grad", names=(r"x\.grad", r"dy/dx", r"bar\(x\)", r"grad.*", r"nabla_?x.*"),
              words=(r"x\.grad",), parts=("b",), kind="numeric"),
        Alias("autograd.x_grad", names=(r"dy/dx_\(?(?P<i>\d)\)?", r"bar\(x\)_(?P<i>\d)"), parts=("b",), kind="numeric"),
        Alias("autograd.x_grad", names=(r"x\.grad\[(?P<i>\d)\]",), parts=("b",), kind="numeric", index_base=0),
    ),
    definitions=_equiv_definitions,
    mistakes=(
        Mistake("exponent_constant", "the exponent 4x treated as a constant (power rule only)",
                choices={"power_rule": "power"}, max_partners=0),
        Mistake("base_constant", "the base x + 1 treated as a constant (the 4x/a term left out)",
                choices={"power_rule": "exponential"}, max_partners=0),
        Mistake("sum_not_mean", "sum instead of mean (4 times too large)", choices={"reduction": "sum"},
                max_partners=0),
    ),
    domain=_equiv_domain(),
)


PROBLEM = Problem(
    id="autograd",
    title="PyTorch autograd on a vector",
    sheet="C",
    parameters=PARAMETERS,
    answer_ids=("autograd.dy_dx_symbolic", "autograd.y", "autograd.x_grad"),
    solve_fn=solve,
    well_posed=_well_posed,
    checking=CHECKING,
)
