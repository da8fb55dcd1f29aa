"""B2 ``softmax``: softmax and cross-entropy.

softmax(z)_i = exp(z_i) / sum_j exp(z_j) for logits z in R^K (Goodfellow,
Bengio & Courville 2016, "Deep Learning", Sec. 6.2.2.3 and 4.1).

(a) shift invariance softmax(z - c 1) = softmax(z), proven for a symbolic
number of classes K; (b) why implementations subtract max_j z_j: the naive
formula in IEEE 754 float64 (emulated by :func:`naive_softmax_float64`) next
to the exact shifted values; (c) cross-entropy with a one-hot target reduces
to -log p_y; (d) dL/dz_y = p_y - 1 and dL/dz_{y'} = p_{y'} for y' != y.

The class indices are symbols: y, y' in {1, ..., K}. sympy differentiates a
sum over j = 1..K by Kronecker deltas and keeps the condition "y <= K"; the
solution states the index ranges as substitutions (K = y + m with an integer
m >= 0, y = y' + d with an integer d != 0) so that every step is verified for
every K, not for a few instances.
"""
from __future__ import annotations

import math
import random
from typing import Any, Mapping, Sequence

import sympy as sp

from engine.math import numbers
from engine.model.checking import Alias, Checking, Conventions
from engine.model.problem import Parameter, Part, Problem, Solution, Tex

#: Largest finite float64, (2 - 2^-52) 2^1023; exp(z) overflows above log of it.
FLOAT64_MAX = (2 - 2.0**-52) * 2.0**1023

# Symbols: number of classes, class and summation indices, logits, shift.
K = sp.Symbol("K", integer=True, positive=True)
i, j = sp.Symbol("i", integer=True, positive=True), sp.Symbol("j", integer=True, positive=True)
y, y_other = sp.Symbol("y", integer=True, positive=True), sp.Symbol("y'", integer=True, positive=True)
#: Index-range witnesses: K = y + m (m >= 0), y = y' + d (d != 0).
m = sp.Symbol("m", integer=True, nonnegative=True)
d = sp.Symbol("d", integer=True, nonzero=True)
z = sp.IndexedBase("z", real=True)
p = sp.IndexedBase("p", positive=True)
q = sp.IndexedBase("q")
c = sp.Symbol("c", real=True)
H = sp.Symbol("H(q, p)")
softmax_shifted = sp.Symbol(r"\operatorname{softmax}(\mathbf{z} - c\mathbf{1})_{i}")
softmax_z = sp.Symbol(r"\operatorname{softmax}(\mathbf{z})_{i}")


def _sum(expr: sp.Basic) -> sp.Sum:
    return sp.Sum(expr, (j, 1, K))


#: The partition function sum_j exp(z_j).
S = _sum(sp.exp(z[j]))
#: The cross-entropy with a one-hot target, in terms of the logits.
LOSS = -z[y] + sp.log(S)


# --------------------------------------------------------------------------- float64 emulation


def float64_exp(x: float) -> float:
    """exp in IEEE 754 binary64: ``inf`` on overflow (Python's math.exp raises
    OverflowError instead), 0.0 on underflow."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def float64_div(a: float, b: float) -> float:
    """a / b in IEEE 754 binary64: 0/0 = nan and a/0 = +-inf (Python raises
    ZeroDivisionError instead); inf/inf = nan as in Python."""
    if b == 0.0:
        if a == 0.0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def naive_softmax_float64(logits: Sequence[Any]) -> tuple[list[float], float, list[float]]:
    """The naive softmax exp(z_i) / sum_j exp(z_j) evaluated in float64, as
    ``torch.exp(z) / torch.exp(z).sum()`` does: (exps, their sum, p)."""
    exps = [float64_exp(float(v)) for v in logits]
    total = 0.0
    for e in exps:
        total += e
    return exps, total, [float64_div(e, total) for e in exps]


def stable_softmax(logits: Sequence[sp.Basic]) -> list[sp.Basic]:
    """The exact softmax by the shifted formula exp(z_i - M) / sum_j exp(z_j - M),
    M = max_j z_j (every exponent <= 0, the largest term is exp(0) = 1)."""
    top = max(logits)
    exps = [sp.exp(v - top) for v in logits]
    total = sp.Add(*exps)
    return [e / total for e in exps]


def _float_text(x: float) -> str:
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.6g}"


def _math_float(x: float) -> str:
    """A float64 value as LaTeX math: ``\\mathrm{inf}``, ``\\mathrm{nan}``, or 6 digits."""
    if math.isnan(x) or math.isinf(x):
        return ("-" if x < 0 else "") + r"\mathrm{" + ("nan" if math.isnan(x) else "inf") + "}"
    return numbers.latex_number(sp.Float(x, 17)) if x != 0 else "0"


def naive_explanation(logits: Sequence[sp.Basic]) -> str:
    """One paragraph saying what the naive formula gives in float64 at these logits
    (prose with ``$...$`` math)."""
    exps, total, probs = naive_softmax_float64(logits)
    limit = numbers.format_number(sp.log(sp.Float(FLOAT64_MAX, 30)))
    shown = ", ".join(f"$\\exp({numbers.latex_number(v, 15)}) = {_math_float(e)}$" for v, e in zip(logits, exps))
    result = r"$\left(" + ", ".join(_math_float(v) for v in probs) + r"\right)$"
    nan = r"\mathrm{nan}"
    if any(math.isinf(e) for e in exps):
        return (
            rf"In float64, $\exp$ overflows to $\mathrm{{inf}}$ above $\log(1.797693 \times 10^{{308}}) = {limit}$: "
            f"{shown}. The sum is ${_math_float(total)}$, and the naive formula returns {result}: "
            rf"$\mathrm{{inf}}/\mathrm{{inf}} = {nan}$."
        )
    if total == 0.0:
        return (
            rf"In float64, $\exp$ underflows to 0 for every logit: {shown}. The sum is 0, and the naive "
            f"formula returns {result}: $0/0 = {nan}$."
        )
    return (
        f"At these logits nothing overflows in float64 ({shown}); the naive formula returns {result}, "
        "the shifted values up to rounding. It fails as soon as a logit exceeds "
        rf"${limit}$ ($\exp$ overflows to $\mathrm{{inf}}$, and $\mathrm{{inf}}/\mathrm{{inf}} = {nan}$)."
    )


# --------------------------------------------------------------------------- parameters


def _well_posed(values: Mapping[str, Any]) -> str | None:
    logits = values["z"]
    if not isinstance(logits, list) or len(logits) < 2 or any(isinstance(v, list) for v in logits):
        return "z must be a list of at least 2 logits, e.g. [1000, 1001, 1002]"
    for a in range(len(logits)):
        for b in range(a + 1, len(logits)):
            if logits[a] == logits[b]:
                return f"the logits must be distinct: z_{a + 1} = z_{b + 1} = {logits[a]}"
    return None


def _sample_z(rng: random.Random) -> list[int]:
    """3 to 5 distinct integer logits from 710 upwards (so the naive formula overflows)."""
    size = rng.randint(3, 5)
    base = rng.randint(710, 1000)
    return [base + k for k in rng.sample(range(8), size)]


PARAMETERS = (
    Parameter("z", [1000, 1001, 1002], latex=r"\mathbf{z}", kind="list", sample=_sample_z,
              description="the logits of part (b), a K-vector (dimensionless)"),
)


# --------------------------------------------------------------------------- solution


def _statement(sol: Solution) -> None:
    sol.statement(
        r"For logits $\mathbf{z} \in \mathbb{R}^K$, $\operatorname{softmax}(\mathbf{z})_i = "
        r"\frac{e^{z_i}}{\sum_{j=1}^{K} e^{z_j}}$. "
        r"(a) Prove $\operatorname{softmax}(\mathbf{z} - c\mathbf{1}) = \operatorname{softmax}(\mathbf{z})$ "
        r"for every scalar $c$. "
        rf"(b) Why do implementations subtract $\max_j z_j$? Compare both formulas at $\mathbf{{z}} = {sol.latex('z')}$ "
        r"in float64. "
        r"(c) Show that the cross-entropy $H(q, p) = -\sum_i q_i \log p_i$ with a one-hot target $q$ on the "
        r"true class $y$ is $L = -\log p_y$. "
        r"(d) From $L = -z_y + \log \sum_j e^{z_j}$ derive $\frac{\partial L}{\partial z_y}$ and "
        r"$\frac{\partial L}{\partial z_{y'}}$ for $y' \neq y$."
    )


def _part_shift(sol: Solution) -> None:
    with sol.part("a", "Shift invariance") as part:
        part.text(
            r"Write the shifted logits $z_j - c$ into the definition and use $e^{a - c} = e^{a} e^{-c}$: "
            r"the factor $e^{-c}$ does not depend on the summation index, so it leaves the sum and cancels. "
            r"Every line is verified for a symbolic number of classes $K$."
        )
        part.define(softmax_shifted, sp.exp(z[i] - c) / _sum(sp.exp(z[j] - c)))
        part.define(softmax_z, sp.exp(z[i]) / S)
        e_c = sp.exp(-c)
        proof = part.derivation(softmax_shifted, title="softmax(z - c1) = softmax(z)")
        proof.step(sp.exp(z[i] - c) / _sum(sp.exp(z[j] - c)), r"definition of softmax at $\mathbf{z} - c\mathbf{1}$")
        proof.step(
            sp.Mul(sp.Mul(sp.exp(z[i]), e_c, evaluate=False),
                   sp.Pow(_sum(sp.Mul(sp.exp(z[j]), e_c, evaluate=False)), -1), evaluate=False),
            r"$e^{a - c} = e^{a} e^{-c}$",
        )
        proof.step(
            sp.Mul(sp.Mul(sp.exp(z[i]), e_c, evaluate=False),
                   sp.Pow(sp.Mul(e_c, S, evaluate=False), -1, evaluate=False), evaluate=False),
            r"$e^{-c}$ does not depend on $j$: take it out of the sum",
        )
        proof.step(sp.exp(z[i]) / S, r"cancel $e^{-c} \neq 0$")
        proof.step(softmax_z, "definition of softmax")
        _say_how_verified(part, proof)
        part.answer(
            "softmax.shift_invariance", softmax_z,
            label=r"\operatorname{softmax}(\mathbf{z} - c\mathbf{1})",
            text="softmax(z - c 1) = softmax(z) for every scalar c: the factor exp(-c) cancels between "
                 "the numerator and the sum in the denominator.",
        )


def _say_how_verified(part: Part, *derivations) -> None:
    """A Text block when a step fell back to instances or to numbers (none does today)."""
    methods = {s.proof.method for dv in derivations for s in dv.steps if s.proof is not None}
    if "instances" in methods:
        part.text("sympy could not close a step for symbolic K; it was verified for every K from 2 to 8.")
    if "numeric" in methods:
        part.text("A step had no closed-form proof; it was checked numerically at random points to 30 digits.")


def _part_stability(sol: Solution) -> None:
    logits = list(sol["z"])
    top = max(logits)
    exps, total, naive = naive_softmax_float64(logits)
    stable = stable_softmax(logits)
    with sol.part("b", "Why subtract the maximum") as part:
        part.text(
            r"By (a) any shift gives the same probabilities. With $c = \max_j z_j$ every exponent is "
            r"$\le 0$, so no $e^{z_j - c}$ overflows, and the largest term is $e^0 = 1$, so the sum is "
            r"at least 1 and never underflows to 0."
        )
        ps = [sp.Symbol(f"p_{{{k + 1}}}") for k in range(len(logits))]
        exact = [sp.exp(v) / sp.Add(*[sp.exp(w) for w in logits]) for v in logits]
        for sym, value in zip(ps, exact):
            part.define(sym, value)
        der = part.derivation(sp.Matrix([ps]), title="Shifted by the maximum")
        der.step(sp.Matrix([exact]), r"definition of softmax")
        der.step(sp.Matrix([stable]), rf"part (a) with $c = \max_j z_j = {numbers.format_number(top, 15)}$")
        _say_how_verified(part, der)
        rows = []
        for k, v in enumerate(logits):
            rows.append([
                Tex(str(k + 1)), v, _float_text(exps[k]), _float_text(naive[k]),
                sp.exp(v - top), stable[k],
            ])
        part.table(
            [Tex("i"), Tex("z_i"), Tex(r"e^{z_i}\text{ (float64)}"), "naive (float64)",
             Tex(r"e^{z_i - \max_j z_j}"), "shifted"],
            rows,
            caption="The naive and the shifted softmax.",
        )
        z_code = ", ".join(numbers.format_number(v, 17) for v in logits)
        part.code(
            f"""
import torch
z = torch.tensor([{z_code}], dtype=torch.float64)
torch.exp(z) / torch.exp(z).sum()   # naive: ({", ".join(_float_text(v) for v in naive)})
torch.softmax(z, dim=0)             # shifted: ({", ".join(numbers.format_number(v) for v in stable)})
""",
            caption="torch.softmax subtracts the maximum internally.",
        )
        text = naive_explanation(logits)
        part.answer("softmax.naive_example", None, label=r"\text{naive softmax}", text=text)
        part.answer("softmax.stable_example", stable, label=r"\operatorname{softmax}(\mathbf{z})")


def _part_cross_entropy(sol: Solution) -> None:
    with sol.part("c", "Cross-entropy with a one-hot target") as part:
        part.text(
            r"The one-hot target puts all its mass on the true class: $q_i = \delta_{iy}$ (1 for $i = y$, "
            r"0 otherwise), $y \in \{1, \dots, K\}$, and $p = \operatorname{softmax}(\mathbf{z})$. "
            r"The steps are verified for every $K \ge y$ (written $K = y + m$, $m \ge 0$ an integer)."
        )
        part.define(q[i], sp.KroneckerDelta(i, y))
        part.define(p[i], sp.exp(z[i]) / S)
        part.define(p[y], sp.exp(z[y]) / S)
        part.define(K, y + m)
        ce = part.derivation(-sp.Sum(q[i] * sp.log(p[i]), (i, 1, K)), title="H(q, p) for a one-hot q")
        part.definitions.pop(K)
        ce.step(-sp.Sum(sp.KroneckerDelta(i, y) * sp.log(p[i]), (i, 1, K)), r"one-hot target $q_i = \delta_{iy}$")
        ce.step(-sp.log(p[y]), r"only the term $i = y$ survives")
        part.answer("ce.loss_onehot", -sp.log(p[y]), label="L",
                    text=r"$L = -\log p_y$: the negative log-probability of the true class.")
        logits = part.derivation(-sp.log(p[y]), title="In terms of the logits")
        logits.step(-sp.log(sp.exp(z[y]) / S), r"$p_y = \operatorname{softmax}(\mathbf{z})_y$")
        logits.step(LOSS, r"$\log$ of a quotient and $\log e^{z_y} = z_y$: the log-sum-exp form")
        _say_how_verified(part, ce, logits)


def _part_gradients(sol: Solution) -> None:
    with sol.part("d", "Gradient of the cross-entropy") as part:
        part.text(
            r"With $p_j = \operatorname{softmax}(\mathbf{z})_j = \frac{e^{z_j}}{\sum_k e^{z_k}}$, differentiate "
            r"$L = -z_y + \log \sum_j e^{z_j}$ (log-sum-exp) once with respect to the true class's logit and "
            r"once with respect to another logit $z_{y'}$, $y' \neq y$. sympy differentiates the sum term by "
            r"term, $\frac{\partial e^{z_j}}{\partial z_k} = \delta_{jk} e^{z_j}$. The steps are verified for "
            r"every $K$ with $1 \le y, y' \le K$ and $y' \ne y$ (written $K = y + m$ or $K = y' + m$ with "
            r"$m \ge 0$, and $y = y' + d$ with $d \ne 0$)."
        )
        part.define(p[y], sp.exp(z[y]) / S)
        part.define(p[y_other], sp.exp(z[y_other]) / S)
        part.define(K, y + m)
        true = part.derivation(sp.Derivative(LOSS, z[y]), title="The true class")
        true.step(-1 + sp.Derivative(sp.log(S), z[y]), r"linearity: $\frac{\partial (-z_y)}{\partial z_y} = -1$")
        true.step(-1 + sp.Derivative(S, z[y]) / S, r"chain rule: $\frac{\partial \log s}{\partial z_y} = "
                                                   r"\frac{1}{s} \frac{\partial s}{\partial z_y}$")
        true.step(-1 + _sum(sp.KroneckerDelta(j, y) * sp.exp(z[j])) / S,
                  r"$\frac{\partial e^{z_j}}{\partial z_y} = \delta_{jy} e^{z_j}$")
        true.step(-1 + sp.exp(z[y]) / S, r"only the term $j = y$ survives")
        true.step(p[y] - 1, r"definition of $p_y$")
        part.answer("ce.dL_dz_y", p[y] - 1, label=r"\frac{\partial L}{\partial z_y}")

        part.define(K, y_other + m)
        part.define(y, y_other + d)
        other = part.derivation(sp.Derivative(LOSS, z[y_other]), title=r"Another class $y' \neq y$")
        part.definitions.pop(y)
        other.step(-sp.Derivative(z[y], z[y_other]) + sp.Derivative(sp.log(S), z[y_other]), "linearity")
        other.step(-sp.KroneckerDelta(y, y_other) + sp.Derivative(S, z[y_other]) / S,
                   r"$\frac{\partial z_y}{\partial z_{y'}} = \delta_{yy'}$; chain rule for the $\log$")
        other.step(sp.Derivative(S, z[y_other]) / S, r"$\delta_{yy'} = 0$ because $y' \neq y$")
        other.step(_sum(sp.KroneckerDelta(j, y_other) * sp.exp(z[j])) / S,
                   r"$\frac{\partial e^{z_j}}{\partial z_{y'}} = \delta_{jy'} e^{z_j}$")
        other.step(sp.exp(z[y_other]) / S, r"only the term $j = y'$ survives")
        other.step(p[y_other], r"definition of $p_{y'}$")
        part.answer("ce.dL_dz_other", p[y_other], label=r"\frac{\partial L}{\partial z_{y'}}")
        _say_how_verified(part, true, other)
        part.text(
            r"Together: $\nabla_{\mathbf{z}} L = \mathbf{p} - \mathbf{q}$, the predicted probabilities minus "
            r"the one-hot target; each entry lies in $(-1, 1)$."
        )


def solve(sol: Solution) -> None:
    """Parts (a)-(d) of B2; the logits z of part (b) are the parameter."""
    _statement(sol)
    _part_shift(sol)
    _part_stability(sol)
    _part_cross_entropy(sol)
    _part_gradients(sol)


# --------------------------------------------------------------------------- checking


def _equiv_definitions(params: Mapping[str, Any]) -> dict:
    """p_i = exp(z_i) / sum_j exp(z_j) over K logits; the sum written as the
    reader reads ``\\sum_j e^{z_j}`` (index _i1, indexed z)."""
    from engine.read.parse import symbol as S

    j, K, z = sp.Symbol("_i1"), sp.Symbol("K"), sp.IndexedBase("z")
    total = sp.Sum(sp.exp(z[j]), (j, 1, K))
    return {S("p", "y"): sp.exp(S("z", "y")) / total, S("p", "y'"): sp.exp(S("z", "y'")) / total}


CHECKING = Checking(
    title_words=r"soft-?max|cross-?entropy",
    # handwriting drops the subscript (Py, zy) and confuses the case (P, Z)
    conventions=Conventions(words=("Py", "py", "Zy", "zy"),
                            same={"Py": "p_y", "py": "p_y", "Zy": "z_y", "zy": "z_y", "P": "p", "Z": "z"}),
    aliases=(
        Alias("softmax.shift_invariance", names=(r"softmax\(z-c.*\)_?i?", r"softmax_?i?\(z-c.*\)", r"p_?i?\(z-c.*\)"),
              parts=("a",)),
        Alias("softmax.naive_example", words=(r"naive", r"overflow"), parts=("b",), kind="text"),
        Alias("softmax.stable_example", names=(r"softmax\(z\)", r"p", r"sigma\(z\)", r"softmax\(.*\)", r"hat\(p\)"),
              parts=("b",), kind="numeric"),
        Alias("ce.loss_onehot", names=(r"L", r"H\(q,p\)", r"L_?CE", r"H", r"CE", r"L\(.*\)"), parts=("c",),
              kind="symbolic"),
        Alias("ce.dL_dz_other", names=(r"dL/dz_(?:y'|j|k|i|\(y'\)|yprime|y\^?prime)", r"dL/dz_\(?j\)?\(j!=y\)"),
              parts=("d",), kind="symbolic"),
        Alias("ce.dL_dz_y", names=(r"dL/dz_\(?y\)?", r"dL/dz_\(?c\)?", r"dL/dz_\(?t\)?"), parts=("d",), kind="symbolic"),
    ),
    functions={"softmax": None},
    definitions=_equiv_definitions,
    # a proof: correct only when every step of it is
    proof_answers=frozenset({"softmax.shift_invariance"}),
)


PROBLEM = Problem(
    id="softmax",
    title="Softmax and cross-entropy",
    sheet="B",
    parameters=PARAMETERS,
    answer_ids=(
        "softmax.shift_invariance", "softmax.naive_example", "softmax.stable_example",
        "ce.loss_onehot", "ce.dL_dz_y", "ce.dL_dz_other",
    ),
    solve_fn=solve,
    well_posed=_well_posed,
    checking=CHECKING,
)
