"""D2 ``attention``: scaled dot-product attention.

Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k)) V, the softmax taken row by
row (Vaswani et al. 2017, "Attention is all you need", NeurIPS, Sec. 3.2.1,
Eq. 1 and footnote 4: for q, k with independent entries of mean 0 and
variance 1, q . k has mean 0 and variance d_k).

(a) E[q . k] and Var(q . k) for a symbolic dimension d, derived by linearity
and independence (:mod:`engine.model.moments`) for entries of any mean and
variance (parameters, 0 and 1 by default), and Var(q . k / sqrt(d));
(b) the scores, the row-wise softmax (:func:`engine.calculus.jacobian.softmax_rows`)
and the output for the matrices Q, K, V; (c) the softmax Jacobian
d a_i / d s_j = a_i (delta_ij - a_j), verified as a matrix for as many
scores as a row of (b) has, and its value for the first row of (b).

The choice ``"scale"`` (True) is the worked solution; False drops the
1/sqrt(d_k) (a common mistake: dot-product attention without the scaling).
"""
from __future__ import annotations

import random
from typing import Any, Mapping

import sympy as sp

from engine.calculus.jacobian import jacobian, jacobian_table, softmax_jacobian, softmax_rows
from engine.math import numbers
from engine.model.checking import Alias, Checking, Conventions, Mistake
from engine.model.moments import Expectation, Variance, random_family
from engine.model.problem import Parameter, Problem, Solution, Tex

i = sp.Symbol("i", integer=True, positive=True)
j = sp.Symbol("j", integer=True, positive=True)
d = sp.Symbol("d", integer=True, positive=True)
mu_q, mu_k = sp.Symbol(r"\mu_q", real=True), sp.Symbol(r"\mu_k", real=True)
v_q, v_k = sp.Symbol(r"\sigma_q^2", positive=True), sp.Symbol(r"\sigma_k^2", positive=True)
q = random_family("q", mu_q, v_q)
k = random_family("k", mu_k, v_k)
a_i, a_j = sp.Symbol("a_i", positive=True), sp.Symbol("a_j", positive=True)
qk = sp.Symbol(r"\mathbf{q} \cdot \mathbf{k}")


def _shape(m: Any) -> tuple[int, int] | None:
    if not isinstance(m, list) or not m or not all(isinstance(r, list) and r for r in m):
        return None
    if len({len(r) for r in m}) != 1 or any(isinstance(e, list) for r in m for e in r):
        return None
    return len(m), len(m[0])


def _well_posed(values: Mapping[str, Any]) -> str | None:
    shapes = {name: _shape(values[name]) for name in ("Q", "K", "V")}
    for name, shape in shapes.items():
        if shape is None:
            return f"{name} must be a matrix (a list of equal-length rows), e.g. [[1, 0], [0, 1]]"
    if shapes["Q"][1] != shapes["K"][1]:
        return f"Q has {shapes['Q'][1]} columns but K has {shapes['K'][1]}: queries and keys share d_k"
    if shapes["K"][0] != shapes["V"][0]:
        return f"K has {shapes['K'][0]} rows but V has {shapes['V'][0]}: one value per key"
    if shapes["K"][0] < 2:
        return "K needs at least 2 keys (rows) for a softmax over keys"
    return None


def _small_int_matrix(rows: int, cols: int) -> Any:
    def sample(rng: random.Random) -> list[list[int]]:
        return [[rng.randint(-2, 2) for _ in range(cols)] for _ in range(rows)]
    return sample


PARAMETERS = (
    Parameter("Q", [[1, 0], [0, 1]], latex="Q", kind="matrix", sample=_small_int_matrix(2, 2),
              description="the queries, one per row (n_q x d_k)"),
    Parameter("K", [[1, 0], [0, 1], [1, 2]], latex="K", kind="matrix", sample=_small_int_matrix(3, 2),
              description="the keys, one per row (n_k x d_k)"),
    Parameter("V", [[1, 0], [0, 1], [1, 1]], latex="V", kind="matrix", sample=_small_int_matrix(3, 2),
              description="the values, one per key (n_k x d_v)"),
    Parameter("mean_q", 0, latex=r"\mu_q", description="the mean of every entry of q in part (a)"),
    Parameter("mean_k", 0, latex=r"\mu_k", description="the mean of every entry of k in part (a)"),
    Parameter("var_q", 1, latex=r"\sigma_q^2", domain=(0, 4), description="the variance of every entry of q"),
    Parameter("var_k", 1, latex=r"\sigma_k^2", domain=(0, 4), description="the variance of every entry of k"),
)


def _statement(sol: Solution) -> None:
    d_k = len(sol["Q"][0])
    sol.statement(
        r"(a) $\mathbf{q}, \mathbf{k} \in \mathbb{R}^d$ have independent entries with means "
        r"$\mu_q = %s$, $\mu_k = %s$ and variances $\sigma_q^2 = %s$, $\sigma_k^2 = %s$. Derive "
        r"$\mathbb{E}[\mathbf{q} \cdot \mathbf{k}]$, $\operatorname{Var}(\mathbf{q} \cdot \mathbf{k})$ as a "
        r"function of $d$, and $\operatorname{Var}(\mathbf{q} \cdot \mathbf{k} / \sqrt{d})$; why does the "
        r"softmax need the scaling? "
        r"(b) With $d_k = %d$, $Q = %s$, $K = %s$, $V = %s$, compute the scores $S = Q K^T / \sqrt{d_k}$, "
        r"the weights $A = \operatorname{softmax}(S)$ (row by row) and the output $A V$. "
        r"(c) Derive the softmax Jacobian $\frac{\partial a_i}{\partial s_j}$ and evaluate it for the first "
        r"row of (b)."
        % (sol.latex("mean_q"), sol.latex("mean_k"), sol.latex("var_q"), sol.latex("var_k"), d_k,
           sol.latex("Q"), sol.latex("K"), sol.latex("V"))
    )


def _scaled(sol: Solution) -> bool:
    return bool(sol.choice("scale", True))


def _part_variance(sol: Solution) -> None:
    at = {mu_q: sol["mean_q"], mu_k: sol["mean_k"], v_q: sol["var_q"], v_k: sol["var_k"]}
    total = sp.Sum(q[i] * k[i], (i, 1, d))
    with sol.part("a", "Why the dot product is scaled") as part:
        part.text(
            r"$\mathbf{q} \cdot \mathbf{k} = \sum_{i=1}^{d} q_i k_i$ is a sum of $d$ independent products, "
            r"and in each product the factors are independent. Every line is verified for a symbolic $d$ "
            r"and symbolic means and variances; the answers are at the given values."
        )
        part.define(qk, total)
        mean = part.derivation(Expectation(qk), title=r"The mean")
        mean.step(sp.Sum(Expectation(q[i] * k[i]), (i, 1, d)), "linearity of expectation")
        mean.step(sp.Sum(Expectation(q[i]) * Expectation(k[i]), (i, 1, d)), "independence of $q_i$ and $k_i$")
        mean.step(d * mu_q * mu_k, "$d$ equal terms")
        part.answer("attention.mean_qk", (d * mu_q * mu_k).xreplace(at),
                    label=r"\mathbb{E}[\mathbf{q} \cdot \mathbf{k}]")
        var = part.derivation(Variance(qk), title="The variance")
        var.step(sp.Sum(Variance(q[i] * k[i]), (i, 1, d)), "the products are independent: variances add")
        var.step(sp.Sum(Expectation(q[i] ** 2) * Expectation(k[i] ** 2)
                        - (Expectation(q[i]) * Expectation(k[i])) ** 2, (i, 1, d)),
                 r"$\operatorname{Var}(X) = \mathbb{E}[X^2] - \mathbb{E}[X]^2$ and independence")
        per_term = (v_q + mu_q**2) * (v_k + mu_k**2) - mu_q**2 * mu_k**2
        var.step(sp.Sum(per_term, (i, 1, d)), r"$\mathbb{E}[q_i^2] = \sigma_q^2 + \mu_q^2$, "
                                             r"$\mathbb{E}[k_i^2] = \sigma_k^2 + \mu_k^2$")
        var.step(d * per_term, "$d$ equal terms")
        part.answer("attention.var_qk", (d * per_term).xreplace(at),
                    label=r"\operatorname{Var}(\mathbf{q} \cdot \mathbf{k})")
        scaled = part.derivation(Variance(qk / sp.sqrt(d)), title=r"Scaled by $\frac{1}{\sqrt{d}}$")
        scaled.step(Variance(qk) / d, r"$\operatorname{Var}(cX) = c^2 \operatorname{Var}(X)$")
        scaled.step(per_term, "the variance above")
        value = per_term.xreplace(at) if _scaled(sol) else (d * per_term).xreplace(at)
        part.answer("attention.var_scaled", value,
                    label=r"\operatorname{Var}(\mathbf{q} \cdot \mathbf{k} / \sqrt{d})")
        part.text(
            r"Unscaled, the scores have a standard deviation growing like $\sqrt{d}$ (at $d = 512$ about "
            r"22.6 for unit variances). The softmax of scores that far apart is nearly one-hot: it saturates, "
            r"its Jacobian $a_i(\delta_{ij} - a_j)$ (part (c)) is nearly 0, and the gradients vanish. Dividing "
            r"by $\sqrt{d}$ keeps the variance of the scores independent of $d$."
        )


def _forward(sol: Solution) -> dict:
    Q, K, V = (sp.Matrix(sol[n]) for n in ("Q", "K", "V"))
    d_k = Q.cols
    factor = 1 / sp.sqrt(d_k) if _scaled(sol) else sp.Integer(1)
    raw = Q * K.T
    scores = raw * factor
    weights = softmax_rows(scores)
    return {"Q": Q, "K": K, "V": V, "d_k": d_k, "raw": raw, "scores": scores, "weights": weights,
            "output": (weights * V).applyfunc(sp.simplify)}


def _literal(m: sp.Matrix) -> str:
    """A matrix as a nested Python list of float literals (for the PyTorch listing)."""
    return "[" + ", ".join("[" + ", ".join(numbers.python_literal(e) for e in m.row(r)) + "]"
                           for r in range(m.rows)) + "]"


def _part_instance(sol: Solution, fw: dict) -> None:
    with sol.part("b", "A numeric instance") as part:
        rows, cols = fw["scores"].shape
        S = sp.Matrix(rows, cols, lambda r, c: sp.Symbol(f"s_{{{r + 1}{c + 1}}}"))
        A = sp.Matrix(rows, cols, lambda r, c: sp.Symbol(f"a_{{{r + 1}{c + 1}}}"))
        for r in range(rows):
            for c in range(cols):
                part.define(S[r, c], fw["scores"][r, c])
                part.define(A[r, c], sp.exp(S[r, c]) / sp.Add(*[sp.exp(S[r, t]) for t in range(cols)]))
        part.table([Tex("Q K^T")] + [Tex(rf"\mathbf{{k}}_{{{c + 1}}}") for c in range(cols)],
                   [[Tex(rf"\mathbf{{q}}_{{{r + 1}}}")] + list(fw["raw"].row(r)) for r in range(rows)],
                   caption="Dot products of each query (row) with each key (column).")
        s = part.derivation(S, title=r"Scores $S = Q K^T / \sqrt{d_k}$")
        label = rf"divide by $\sqrt{{d_k}} = \sqrt{{{fw['d_k']}}}$" if _scaled(sol) else "no scaling"
        s.step(fw["scores"], label)
        part.answer("attention.scores", fw["scores"], label="S")
        w = part.derivation(A, title=r"Weights $A = \operatorname{softmax}(S)$, row by row")
        w.step(sp.Matrix(rows, cols, lambda r, c: sp.exp(fw["scores"][r, c])
                         / sp.Add(*[sp.exp(fw["scores"][r, t]) for t in range(cols)])),
               r"$a_{rc} = e^{s_{rc}} / \sum_t e^{s_{rt}}$")
        part.answer("attention.weights", fw["weights"], label="A")
        part.text(r"The weights are computed row by row, each row shifted by its maximum (shift invariance); "
                  r"each row of $A$ sums to 1, so the output row $r$ is a weighted average of the rows of $V$.")
        O = sp.Matrix(rows, fw["V"].cols, lambda r, c: sp.Symbol(f"o_{{{r + 1}{c + 1}}}"))
        AV = A * fw["V"]
        for r in range(O.rows):
            for c in range(O.cols):
                part.define(O[r, c], AV[r, c])
        o = part.derivation(O, title=r"Output $O = A V$")
        o.step(AV, r"$o_{rc} = \sum_t a_{rt} v_{tc}$")
        part.answer("attention.output", fw["output"], label="A V")
        scale = "/ math.sqrt(d_k)" if _scaled(sol) else ""
        part.code(
            f"""
import math, torch
Q = torch.tensor({_literal(fw['Q'])}, dtype=torch.float64)
K = torch.tensor({_literal(fw['K'])}, dtype=torch.float64)
V = torch.tensor({_literal(fw['V'])}, dtype=torch.float64)
d_k = Q.shape[-1]
A = torch.softmax(Q @ K.T {scale}, dim=-1)
A @ V   # = torch.nn.functional.scaled_dot_product_attention(Q, K, V)
""",
            caption="The same computation in PyTorch (float64).",
        )


def _part_jacobian(sol: Solution, fw: dict) -> None:
    cols = fw["scores"].cols
    s = [sp.Symbol(f"s_{{{c + 1}}}", real=True) for c in range(cols)]
    av = [sp.Symbol(f"a_{{{c + 1}}}", positive=True) for c in range(cols)]
    soft = [sp.exp(v) / sp.Add(*[sp.exp(t) for t in s]) for v in s]
    with sol.part("c", "The softmax Jacobian") as part:
        part.text(
            r"For one row, $a_i = \frac{e^{s_i}}{\sum_t e^{s_t}}$. By the quotient rule, "
            r"$\frac{\partial a_i}{\partial s_j} = \frac{\delta_{ij} e^{s_i}}{\sum_t e^{s_t}} - "
            r"\frac{e^{s_i} e^{s_j}}{(\sum_t e^{s_t})^2} = a_i \delta_{ij} - a_i a_j$. "
            rf"Verified below as a matrix for a row of {cols} scores."
        )
        for sym, value in zip(av, soft):
            part.define(sym, value)
        J = sp.Matrix(cols, cols, lambda r, c: sp.Symbol(rf"\frac{{\partial a_{{{r + 1}}}}}{{\partial s_{{{c + 1}}}}}"))
        full = jacobian(soft, s)
        for r in range(cols):
            for c in range(cols):
                part.define(J[r, c], full[r, c])
        dj = part.derivation(J, title="The Jacobian of one row")
        dj.step(sp.Matrix(cols, cols, lambda r, c: (av[r] if r == c else 0) - av[r] * av[c]),
                r"quotient rule: $a_i \delta_{ij} - a_i a_j$")
        dj.step(sp.diag(*av) - sp.Matrix(av) * sp.Matrix(av).T, r"$\operatorname{diag}(\mathbf{a}) - "
                                                                 r"\mathbf{a} \mathbf{a}^T$")
        part.answer("attention.jacobian_symbolic", a_i * (sp.KroneckerDelta(i, j) - a_j),
                    label=r"\frac{\partial a_i}{\partial s_j}")
        row = list(fw["weights"].row(0))
        value = softmax_jacobian(row).applyfunc(sp.simplify)
        J1 = sp.Matrix(cols, cols, lambda r, c: sp.Symbol(
            rf"\left.\frac{{\partial a_{{{r + 1}}}}}{{\partial s_{{{c + 1}}}}}\right|_{{1}}"))
        row_scores = list(fw["scores"].row(0))
        at_row = {si: v for si, v in zip(s, row_scores)}
        for r in range(cols):
            for c in range(cols):
                part.define(J1[r, c], full[r, c].xreplace(at_row))
        a1 = [sp.Symbol(f"a_{{1{c + 1}}}", positive=True) for c in range(cols)]
        for sym, v in zip(a1, row):
            part.define(sym, v)
        first = part.derivation(J1, title=r"At the first row of $S$: $\mathbf{a} = (a_{11}, a_{12}, \dots)$")
        first.step(sp.diag(*a1) - sp.Matrix(a1) * sp.Matrix(a1).T,
                   r"$\operatorname{diag}(\mathbf{a}) - \mathbf{a} \mathbf{a}^T$ with the first row of $A$")
        part.blocks.append(jacobian_table(value, [f"a_{{{c + 1}}}" for c in range(cols)],
                                          [f"s_{{{c + 1}}}" for c in range(cols)],
                                          caption=r"The Jacobian for the first row of (b): row i, column j "
                                                  r"holds the partial of a_i in s_j."))
        part.answer("attention.jacobian_row1", value, label=r"\frac{\partial \mathbf{a}_1}{\partial \mathbf{s}_1}")
        part.text(
            r"Every row of the Jacobian sums to 0 (the weights always sum to 1), and it is symmetric. When one "
            r"weight approaches 1 (a saturated softmax) every entry approaches 0."
        )


def solve(sol: Solution) -> None:
    """Parts (a)-(c) of D2 at the matrices Q, K, V and the moments of part (a)."""
    _statement(sol)
    _part_variance(sol)
    fw = _forward(sol)
    _part_instance(sol, fw)
    _part_jacobian(sol, fw)


CHECKING = Checking(
    title_words=r"attention|dot-?product|transformer",
    aliases=(
        Alias("attention.mean_qk", names=(r"E\[q(cdot|\^T)?k\]", r"E\(q(cdot|\^T)?k\)"), parts=("a",)),
        Alias("attention.var_qk", names=(r"Var\(q(cdot|\^T)?k\)", r"Var\[q(cdot|\^T)?k\]"), parts=("a",),
              kind="symbolic"),
        Alias("attention.var_scaled", names=(r"Var\(q(cdot|\^T)?k/sqrt\(d(_k)?\)\)", r"Var\(\(q(cdot|\^T)?k\)/sqrt\(d(_k)?\)\)"),
              parts=("a",)),
        Alias("attention.scores", names=(r"S", r"QK\^T/sqrt\(d_k\)", r"scores"), parts=("b",), kind="numeric"),
        Alias("attention.weights", names=(r"A", r"alpha", r"P", r"softmax\(S\)", r"A_(?P<i>\d)(?P<j>\d)"),
              parts=("b",), kind="numeric"),
        Alias("attention.output", names=(r"O", r"AV", r"Z", r"Attention\(Q,K,V\)", r"out"), parts=("b",),
              kind="numeric"),
        Alias("attention.jacobian_symbolic", names=(r"da_i/ds_j", r"dalpha_i/ds_j", r"J_ij"), parts=("c",),
              kind="symbolic"),
        Alias("attention.jacobian_row1", names=(r"J", r"J_1", r"da/ds", r"da_1/ds"), parts=("c",), kind="numeric"),
    ),
    conventions=Conventions(words=("softmax", "Var"), notation={"d_k": "d"}),
    mistakes=(
        Mistake("unscaled", "no 1/sqrt(d_k) scaling of the scores", choices={"scale": False}),
    ),
)

PROBLEM = Problem(
    id="attention",
    title="Scaled dot-product attention",
    sheet="D",
    parameters=PARAMETERS,
    answer_ids=("attention.mean_qk", "attention.var_qk", "attention.var_scaled", "attention.scores",
                "attention.weights", "attention.output", "attention.jacobian_symbolic", "attention.jacobian_row1"),
    solve_fn=solve,
    well_posed=_well_posed,
    checking=CHECKING,
)
