"""A1 ``autodiff``: reverse-mode automatic differentiation of
f(x, c) = (x^2/log x + c)(x^2/log x - c).

(a) df/dx by the chain, product and quotient rules through the intermediate
quantities u = x^2/log x, a = u + c, b = u - c, f = a b; (b) the forward
primal trace and (c) the reverse adjoint trace in the layout of Baydin,
Pearlmutter, Radul & Siskind (2018), "Automatic differentiation in machine
learning: a survey", JMLR 18(153), Table 2; (d) the same computation in
PyTorch. Both traces are computed from :data:`PRIMAL_TRACE` (the v_i
definitions): local partials by sympy ``diff``, adjoints as
``vbar_i = sum over children j of vbar_j dv_j/dv_i``.
"""
from __future__ import annotations

from typing import Any, Mapping

import sympy as sp

from engine.math import numbers
from engine.math.numbers import python_literal
from engine.model.checking import Alias, Checking, Mistake, index_pattern
from engine.model.problem import Parameter, Problem, Solution, Tex
from engine.math.latex import CoursePrinter, to_latex

#: The inputs (x > 1 so that log x > 0 and the trace is real and finite).
x = sp.Symbol("x", positive=True)
c = sp.Symbol("c", real=True)
#: Intermediate quantities of part (a).
u, a, b, f = sp.symbols("u a b f")

#: Sampling interval of x in the spot checks and for exam variants.
X_DOMAIN = (1.5, 10)
C_DOMAIN = (-10, 10)

#: Trace indices in evaluation order (inputs v_{-1} = c, v_0 = x first).
INDICES = tuple(range(-1, 7))
#: Primal trace variables v_i and their adjoints vbar_i.
V = {i: sp.Symbol(f"v_{{{i}}}") for i in INDICES}
VBAR = {i: sp.Symbol(rf"\bar{{v}}_{{{i}}}") for i in INDICES}
#: Index of the output: f = v_6.
OUTPUT = 6

#: The primal trace as data: v_i -> its definition (Baydin et al. 2018, Table 2,
#: adapted to this f). Inputs are defined by the parameters x, c.
PRIMAL_TRACE: dict[int, sp.Basic] = {
    -1: c,
    0: x,
    1: V[0] ** 2,
    2: sp.log(V[0]),
    3: V[1] / V[2],
    4: sp.Add(V[3], V[-1], evaluate=False),
    5: V[3] - V[-1],
    6: V[4] * V[5],
}


def answer_key(i: int) -> str:
    """The answer-id suffix of trace variable v_i: ``v_-1``, ``v0``, ..."""
    return f"v_{i}" if i < 0 else f"v{i}"


def primal_values(x0: sp.Basic, c0: sp.Basic) -> dict[int, sp.Basic]:
    """Forward pass: the exact value of every v_i at x = x0, c = c0."""
    values: dict[int, sp.Basic] = {}
    inputs = {x: x0, c: c0}
    for i in INDICES:
        values[i] = PRIMAL_TRACE[i].xreplace(inputs).xreplace({V[k]: values[k] for k in values})
    return values


def children(i: int) -> list[int]:
    """The trace variables whose definition uses v_i (its children in the graph)."""
    return [j for j in INDICES if j > 0 and V[i] in PRIMAL_TRACE[j].free_symbols]


def local_partials() -> dict[tuple[int, int], sp.Basic]:
    """(j, i) -> dv_j/dv_i for every edge v_i -> v_j, by sympy diff."""
    return {(j, i): sp.diff(PRIMAL_TRACE[j], V[i]) for i in INDICES for j in children(i)}


def adjoint_values(primal: Mapping[int, sp.Basic], flipped: tuple[int, int] | None = None
                   ) -> tuple[dict[int, sp.Basic], dict[int, sp.Basic]]:
    """Reverse pass seeded with vbar_6 = 1.

    Returns (symbolic, values): symbolic[i] = sum_j vbar_j dv_j/dv_i in the
    trace variables; values[i] its exact value at the primal values.
    ``flipped``: the edge (j, i) whose local partial is taken with the wrong
    sign (a student's mistake), None for the reverse pass itself."""
    partials = local_partials()
    if flipped is not None:
        partials[flipped] = -partials[flipped]
    at_primal = {V[k]: v for k, v in primal.items()}
    symbolic: dict[int, sp.Basic] = {OUTPUT: sp.Integer(1)}
    values: dict[int, sp.Basic] = {OUTPUT: sp.Integer(1)}
    for i in reversed(INDICES[:-1]):
        kids = children(i)
        symbolic[i] = sp.Add(*[VBAR[j] * partials[(j, i)] for j in kids])
        values[i] = sp.Add(*[values[j] * partials[(j, i)].xreplace(at_primal) for j in kids])
    return symbolic, values


def pytorch_snippet(x0: sp.Rational, c0: sp.Rational) -> str:
    """The PyTorch (float64) program of part (d) at x = x0, c = c0."""
    return f"""
import torch

x = torch.tensor({python_literal(x0)}, dtype=torch.float64, requires_grad=True)
c = torch.tensor({python_literal(c0)}, dtype=torch.float64, requires_grad=True)
u = x**2 / torch.log(x)
f = (u + c) * (u - c)
f.backward()  # reverse mode: seeds df/df = 1 and accumulates the adjoints
print(f.item(), x.grad.item(), c.grad.item())
"""


def _well_posed(values: Mapping[str, Any]) -> str | None:
    if values["x"] <= 1:
        return f"x = {values['x']} must be greater than 1 (log x > 0 in the denominator)"
    return None


#: The course printer keeping the order of sums as constructed.
_AS_WRITTEN = CoursePrinter({"order": "none"})


def _number(value: sp.Basic) -> str:
    return numbers.latex_number(value)


def _is_shown_exactly(value: sp.Basic) -> bool:
    """Does the display policy's decimal text of ``value`` equal it exactly?"""
    text = numbers.format_number(value)
    return bool(value.is_Rational) and "e" not in text and sp.Rational(text) == value


def _equals(value: sp.Basic) -> str:
    """``= 7.5`` when the displayed number is the value, ``\\approx 0.666667`` otherwise."""
    return ("= " if _is_shown_exactly(value) else r"\approx ") + _number(value)


def _statement(sol: Solution) -> None:
    sol.statement(
        r"Let $f(x, c) = \left(\frac{x^2}{\log x} + c\right)\left(\frac{x^2}{\log x} - c\right)$ "
        rf"at $x = {sol.latex('x')}$, $c = {sol.latex('c')}$ ($\log$ is the natural logarithm). "
        r"(a) Write $\frac{df}{dx}$ by the chain rule through $u = \frac{x^2}{\log x}$, $a = u + c$, "
        r"$b = u - c$, $f = a b$, and simplify. "
        r"(b) Give the forward (primal) evaluation trace $v_{-1} = c$, $v_0 = x$, $v_1 = v_0^2$, "
        r"$v_2 = \log v_0$, $v_3 = v_1 / v_2$, $v_4 = v_3 + v_{-1}$, $v_5 = v_3 - v_{-1}$, "
        r"$v_6 = v_4 v_5$, $f = v_6$ (Baydin et al. 2018, Table 2). "
        r"(c) Give the reverse (adjoint) trace from $\bar{v}_6 = 1$ down to $\bar{v}_0 = \frac{\partial f}{\partial x}$ "
        r"and $\bar{v}_{-1} = \frac{\partial f}{\partial c}$. "
        r"(d) Run the same computation in PyTorch: which gradients does it store for $x$ and $c$?"
    )


def _part_symbolic(sol: Solution) -> sp.Basic:
    with sol.part("a", r"$\frac{df}{dx}$ by the chain rule") as part:
        part.text(
            r"Name the intermediate quantities $u = \frac{x^2}{\log x}$, $a = u + c$, $b = u - c$ "
            r"and $f = a b$; $c$ does not depend on $x$."
        )
        part.define(f, a * b)
        part.define(a, u + c)
        part.define(b, u - c)
        part.define(u, x**2 / sp.log(x))
        du = part.derivation(sp.Derivative(u, x), title="The inner quantity")
        du.step(
            sp.Mul(
                sp.Add(sp.Derivative(x**2, x) * sp.log(x), -x**2 * sp.Derivative(sp.log(x), x)),
                sp.Pow(sp.log(x) ** 2, -1), evaluate=False,
            ),
            "quotient rule",
        )
        du.step(
            sp.Mul(sp.Add(2 * x * sp.log(x), -sp.Mul(x**2, 1 / x, evaluate=False), evaluate=False),
                   sp.Pow(sp.log(x) ** 2, -1), evaluate=False),
            r"power rule, and $\frac{d}{dx}\log x = \frac{1}{x}$",
        )
        du_closed = x * (2 * sp.log(x) - 1) / sp.log(x) ** 2
        du.step(du_closed, "simplify")

        d = part.derivation(sp.Derivative(f, x), title="The chain")
        d.step(b * sp.Derivative(a, x) + a * sp.Derivative(b, x), r"product rule on $f = a b$")
        d.step(b * sp.Derivative(u, x) + a * sp.Derivative(u, x),
               r"sum rule: $\frac{da}{dx} = \frac{db}{dx} = \frac{du}{dx}$ ($c$ is constant)")
        d.step((a + b) * sp.Derivative(u, x), "factor")
        d.step(2 * u * sp.Derivative(u, x), r"$a + b = 2u$")
        d.step(2 * u * du_closed, r"the inner derivative above")
        d.step(sp.Mul(2, x**2 / sp.log(x), du_closed, evaluate=False), r"substitute $u = \frac{x^2}{\log x}$")
        closed = 2 * x**3 * (2 * sp.log(x) - 1) / sp.log(x) ** 3
        d.step(closed, "simplify")
        part.text(r"The constant $c$ cancels: $a + b = 2u$ does not contain it.")
        part.answer("autodiff.df_dx_symbolic", closed, label=r"\frac{df}{dx}")
    return closed


def _part_primal(sol: Solution, primal: dict[int, sp.Basic]) -> None:
    x0, c0 = sol["x"], sol["c"]
    with sol.part("b", "Forward primal trace") as part:
        part.text(
            "Each trace variable is an elementary operation applied to earlier ones, "
            f"evaluated in order at $x = {sol.latex('x')}$, $c = {sol.latex('c')}$."
        )
        rows = []
        for i in INDICES:
            # the definition as Baydin et al. write it (v_3 - v_{-1}, not -v_{-1} + v_3)
            rows.append([V[i], Tex(_AS_WRITTEN.doprint(PRIMAL_TRACE[i])), primal[i]])
        rows.append([f, V[OUTPUT], primal[OUTPUT]])
        part.table(
            [Tex("v_i"), "definition", "value"],
            rows,
            caption="Forward primal trace (Baydin et al. 2018, Table 2, left).",
        )
        for i in INDICES:
            part.answer(f"autodiff.trace.{answer_key(i)}", primal[i], label=to_latex(V[i]))
        at_point = {x: x0, c: c0}
        part.define(f, ((x**2 / sp.log(x) + c) * (x**2 / sp.log(x) - c)).xreplace(at_point))
        check = part.derivation(f, title="Check against the closed form")
        u0 = sp.Mul(sp.Pow(x0, 2, evaluate=False), sp.Pow(sp.log(x0), -1, evaluate=False), evaluate=False)
        check.step(
            sp.Mul(sp.Add(u0, c0, evaluate=False), sp.Add(u0, -c0, evaluate=False), evaluate=False),
            f"substitute $x = {sol.latex('x')}$, $c = {sol.latex('c')}$",
        )
        check.step(primal[OUTPUT], f"the trace: $f = v_{{{OUTPUT}}}$")
        part.answer("autodiff.f", primal[OUTPUT], label="f")


def _part_adjoint(sol: Solution, primal: dict[int, sp.Basic], closed: sp.Basic) -> dict[int, sp.Basic]:
    x0, c0 = sol["x"], sol["c"]
    symbolic, adjoint = adjoint_values(primal, sol.choice("flipped_edge", None))
    with sol.part("c", "Reverse adjoint trace") as part:
        part.text(
            r"Seed $\bar{v}_6 = \frac{\partial f}{\partial v_6} = 1$ and go backwards: each adjoint "
            r"$\bar{v}_i = \frac{\partial f}{\partial v_i}$ is the sum over the children $v_j$ of $v_i$ "
            r"of the child's adjoint times the local partial $\frac{\partial v_j}{\partial v_i}$ (chain rule)."
        )
        rows = []
        for i in reversed(INDICES):
            kids = children(i)
            if kids:
                chain = " + ".join(
                    rf"{to_latex(VBAR[j])} \frac{{\partial {to_latex(V[j])}}}{{\partial {to_latex(V[i])}}}" for j in kids
                )
            else:
                chain = "1"
            rows.append([VBAR[i], Tex(chain), symbolic[i], adjoint[i]])
        part.table(
            [Tex(r"\bar{v}_i"), Tex(r"\sum_j \bar{v}_j \frac{\partial v_j}{\partial v_i}"),
             "with the local partials", "value"],
            rows,
            caption="Reverse adjoint trace (Baydin et al. 2018, Table 2, right).",
        )
        for i in reversed(INDICES):
            part.answer(f"autodiff.adjoint.{answer_key(i)}", adjoint[i], label=to_latex(VBAR[i]))

        part.text(
            r"Unfolding the trace symbolically (every $v_i$ and $\bar{v}_i$ replaced by its definition) shows that "
            r"the adjoints of the inputs are the derivatives of part (a), for every $x$ and $c$:"
        )
        for i in INDICES:
            part.define(V[i], PRIMAL_TRACE[i])
            part.define(VBAR[i], symbolic[i])
        dx = part.derivation(VBAR[0], title="The adjoint of $x$")
        dx.step(symbolic[0], "sum over the children of $v_0$ (chain rule)")
        dx.step(closed, r"unfold the trace: $\frac{df}{dx}$ of part (a)")
        part.text(rf"At $x = {sol.latex('x')}$: $\bar{{v}}_0 \approx {_number(adjoint[0])}$.")
        part.answer("autodiff.df_dx", adjoint[0], label=r"\frac{\partial f}{\partial x}")

        dc = part.derivation(VBAR[-1], title="The adjoint of $c$")
        dc.step(symbolic[-1], "sum over the children of $v_{-1}$ (chain rule)")
        dc.step(sp.Add(V[5], -V[4], evaluate=False), r"$\bar{v}_4 = v_5$, $\bar{v}_5 = v_4$")
        dc.step(-2 * c, r"$v_5 - v_4 = (v_3 - c) - (v_3 + c)$")
        part.text(rf"At $c = {sol.latex('c')}$: $\bar{{v}}_{{-1}} {_equals(adjoint[-1])}$.")
        part.answer("autodiff.df_dc", adjoint[-1], label=r"\frac{\partial f}{\partial c}")
    return adjoint


def _part_pytorch(sol: Solution, primal: dict[int, sp.Basic], adjoint: dict[int, sp.Basic]) -> None:
    with sol.part("d", "The same computation in PyTorch") as part:
        part.text(
            r"PyTorch records the primal trace as it evaluates $f$ and runs the adjoint trace in its backward "
            r"pass, seeded with $\frac{\partial f}{\partial f} = 1$; the gradients it stores in the leaf tensors "
            r"$x$ and $c$ are the adjoints of the inputs."
        )
        part.code(pytorch_snippet(sol["x"], sol["c"]), caption="Reverse mode in PyTorch (float64).")
        part.text(
            rf"It prints $f \approx {_number(primal[OUTPUT])}$ and the gradients "
            rf"$\frac{{\partial f}}{{\partial x}} \approx {_number(adjoint[0])}$ and "
            rf"$\frac{{\partial f}}{{\partial c}} {_equals(adjoint[-1])}$: "
            r"the adjoints $\bar{v}_0$ and $\bar{v}_{-1}$ of part (c), to float64 rounding."
        )


def solve(sol: Solution) -> None:
    """Parts (a)-(d) of A1 at the parameters x, c."""
    sol.domain[x] = X_DOMAIN
    sol.domain[c] = C_DOMAIN
    _statement(sol)
    closed = _part_symbolic(sol)
    primal = primal_values(sol["x"], sol["c"])
    _part_primal(sol, primal)
    adjoint = _part_adjoint(sol, primal, closed)
    _part_pytorch(sol, primal, adjoint)


ANSWER_IDS = (
    "autodiff.df_dx_symbolic",
    *(f"autodiff.trace.{answer_key(i)}" for i in INDICES),
    "autodiff.f",
    *(f"autodiff.adjoint.{answer_key(i)}" for i in reversed(INDICES)),
    "autodiff.df_dx",
    "autodiff.df_dc",
)


# --------------------------------------------------------------------------- checking


def _trace_aliases() -> tuple[Alias, ...]:
    """v_i of the primal trace (part b) and the adjoints vbar_i (part c), as
    students write them: ``v_3``, ``\\bar v_3``, ``vbar_3``, ``df/dv_3``."""
    out = []
    for i in INDICES:
        out.append(Alias(f"autodiff.trace.{answer_key(i)}", names=(rf"[A-Za-z]{index_pattern(i)}",), parts=("b",),
                         kind="numeric"))
    for i in reversed(INDICES):
        names = [rf"bar\([A-Za-z]\){index_pattern(i)}", rf"[A-Za-z]bar{index_pattern(i)}",
                 rf"d[fy]/d[A-Za-z]{index_pattern(i)}", rf"bar\([A-Za-z]{index_pattern(i)}\)"]
        if i == OUTPUT:
            names += [r"bar\([fy]\)", r"d[fy]/d[fy]"]
        out.append(Alias(f"autodiff.adjoint.{answer_key(i)}", names=tuple(names), parts=("c",), kind="numeric"))
    return tuple(out)


def _swap_inputs(params: Mapping[str, Any]) -> dict | None:
    """x and c exchanged (None when they are equal: nothing to see)."""
    if params["x"] != params["c"]:
        return {"x": params["c"], "c": params["x"]}
    return None


def _flipped_edges(params: Mapping[str, Any]) -> tuple[tuple[str, dict], ...]:
    """One way per edge v_i -> v_j of the graph: the sign of dv_j/dv_i flipped."""
    return tuple((f"the sign of the local partial dv_{j}/dv_{i}", {"flipped_edge": (j, i)})
                 for j, i in sorted(local_partials()))


def _equiv_definitions(params: Mapping[str, Any]) -> dict:
    """u = x^2/log x, a = u + c, b = u - c, f = a b; the primal trace (Baydin
    et al. 2018, Table 2) and its adjoints, each the sum over the children of
    child adjoint times local partial, in the reader's symbols."""
    from engine.read.parse import symbol as S

    xs, cs = S("x"), S("c")
    v = {k: S("v", str(k)) for k in INDICES}
    trace = {v[k]: PRIMAL_TRACE[k].xreplace({x: xs, c: cs, **{V[i]: v[i] for i in INDICES}}) for k in INDICES}
    vbar = {k: S(r"\bar{v}", str(k)) for k in INDICES}
    adjoints = {vbar[OUTPUT]: sp.Integer(1)}
    for k in reversed(INDICES[:-1]):
        adjoints[vbar[k]] = sum((vbar[j] * sp.diff(trace[v[j]], v[k]) for j in range(k + 1, OUTPUT + 1)
                                 if trace[v[j]].has(v[k])), sp.Integer(0))
    u, a, b, f = S("u"), S("a"), S("b"), S("f")
    return {u: xs ** 2 / sp.log(xs), a: u + cs, b: u - cs, f: a * b, **trace, **adjoints,
            S(r"\bar{x}"): vbar[0], S(r"\bar{c}"): vbar[-1], S(r"\bar{y}"): vbar[OUTPUT], S(r"\bar{f}"): vbar[OUTPUT]}


def _equiv_givens(params: Mapping[str, Any]) -> dict:
    from engine.read.parse import symbol as S

    return {S("x"): params["x"], S("c"): params["c"]}


CHECKING = Checking(
    title_words=r"auto-?diff|automatic differentiation|primal trace|adjoint|evaluation trace",
    aliases=(
        Alias("autodiff.df_dx_symbolic", names=(r"df/dx", r"f'\(x\)", r"f'", r"df\(x(?:,c)?\)/dx",
                                                # d[(x^2/log x + c)(...)]/dx, not the derivative of
                                                # an intermediate (du/dx, da/dx, dv_3/dx)
                                                r"\(?d(?![uab]/dx$|v_?-?\d+/dx$|bar).*/dx",
                                                r"dv_?6/dv_?0", r"d/dx\(?f\)?"),
              parts=("a",), kind="symbolic"),
        *_trace_aliases(),
        Alias("autodiff.f", names=(r"f", r"y", r"f\(x,c\)", r"f\([-\d.]+,[-\d.]+\)"), parts=("b",), kind="numeric"),
        Alias("autodiff.df_dx", names=(r"df/dx", r"bar\(x\)", r"x\.grad", r"f'\(x\)", r"f_x", r"d[fy]/dx"),
              words=(r"x\.grad", r"df/dx", r"derivative.*\bx\b"), parts=("c", "d"), kind="numeric"),
        Alias("autodiff.df_dc", names=(r"df/dc", r"bar\(c\)", r"c\.grad", r"f_c", r"d[fy]/dc"),
              words=(r"c\.grad", r"df/dc", r"derivative.*\bc\b"), parts=("c", "d"), kind="numeric"),
    ),
    # the adjoint of x is df/dx: a student's value of one is the student's value of the other
    same_quantity={"autodiff.df_dx": "autodiff.adjoint.v0", "autodiff.df_dc": "autodiff.adjoint.v_-1",
                   "autodiff.f": "autodiff.trace.v6"},
    definitions=_equiv_definitions,
    givens=_equiv_givens,
    local_definitions=lambda params: {V[i]: PRIMAL_TRACE[i] for i in INDICES},
    mistakes=(
        Mistake("swap_inputs", "inputs swapped (x and c exchanged)", overrides=_swap_inputs),
        Mistake("adjoint_sign", "a sign error in one adjoint", variants=_flipped_edges),
    ),
)


PROBLEM = Problem(
    id="autodiff",
    title="Reverse-mode automatic differentiation",
    sheet="A",
    parameters=(
        Parameter("x", 3, latex="x", description="the input x (dimensionless), x > 1", domain=X_DOMAIN),
        Parameter("c", 5, latex="c", description="the input c (dimensionless)", domain=C_DOMAIN),
    ),
    answer_ids=ANSWER_IDS,
    solve_fn=solve,
    well_posed=_well_posed,
    checking=CHECKING,
)
