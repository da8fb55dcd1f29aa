"""D1 ``batchnorm``: batch normalization of one feature, training mode.

mu = (1/N) sum_i x_i, sigma^2 = (1/N) sum_i (x_i - mu)^2 (the biased
variance), xhat_i = (x_i - mu) / sqrt(sigma^2 + epsilon), y_i = gamma xhat_i
+ beta (Ioffe & Szegedy 2015, "Batch normalization", ICML, Algorithm 1 and
the backward pass of Sec. 3; torch.nn.functional.batch_norm with
training=True).

(a) the forward pass; (b) dL/dbeta = sum_i dL/dy_i, dL/dgamma = sum_i
dL/dy_i xhat_i; (c) dL/dx through the three paths of the computational graph
(directly through xhat_i, through sigma^2 and through mu), simplified to the
compact form gamma / (N s) (N g_i - sum_j g_j - xhat_i sum_j g_j xhat_j)
with s = sqrt(sigma^2 + epsilon) and g = dL/dy; (d) sum_i dL/dx_i = 0 and
sum_i xhat_i dL/dx_i = gamma epsilon sum_j g_j xhat_j / (sigma^2 +
epsilon)^{3/2} (0 at epsilon = 0).

The general steps are algebra in named quantities (mu, sigma^2, xhat_i and
the sums of g); the local partials and the two sum facts are verified at
the batch size of the parameters, and the numeric dL/dx is proven equal to
sympy's derivative of sum_j g_j y_j(x) at the given values.

Choices: ``"variance"`` ("biased", dividing by N; "unbiased", dividing by
N - 1, a common mistake: batch norm normalizes with the biased variance in
training) and ``"paths"`` ("all"; "direct", the mistake that forgets the
paths through mu and sigma^2).
"""
from __future__ import annotations

import random
from typing import Any, Mapping

import sympy as sp

from engine.model.checking import Alias, Checking, Conventions, Mistake
from engine.model.problem import Parameter, Problem, Solution, Tex

N = sp.Symbol("N", integer=True, positive=True)
mu, var = sp.Symbol(r"\mu", real=True), sp.Symbol(r"\sigma^2", positive=True)
eps, gamma = sp.Symbol(r"\epsilon", nonnegative=True), sp.Symbol(r"\gamma", real=True)
x_i, g_i = sp.Symbol("x_i", real=True), sp.Symbol("g_i", real=True)
xhat_i = sp.Symbol(r"\hat{x}_i", real=True)
S_g = sp.Symbol(r"\sum_{j} g_{j}", real=True)
S_gx = sp.Symbol(r"\sum_j g_j \hat{x}_j", real=True)
T = sp.Symbol(r"\sum_{j} g_{j} (x_{j} - \mu)", real=True)
S_x = sp.Symbol(r"\sum_i \hat{x}_i", real=True)
S_xx = sp.Symbol(r"\sum_i \hat{x}_i^2", real=True)
dLdx_i = sp.Symbol(r"\frac{\partial L}{\partial x_i}")


def _list(value: Any) -> bool:
    return isinstance(value, list) and len(value) >= 2 and not any(isinstance(e, list) for e in value)


def _well_posed(values: Mapping[str, Any]) -> str | None:
    xs, gs = values["x"], values["upstream"]
    if not _list(xs) or not _list(gs):
        return "x and upstream must be lists of at least 2 numbers, e.g. [1, 2, 4, 5]"
    if len(xs) != len(gs):
        return f"x has {len(xs)} entries but the upstream gradient {len(gs)}"
    if values["epsilon"] < 0:
        return "epsilon must be 0 or positive"
    if values["epsilon"] == 0 and len(set(xs)) == 1:
        return "with epsilon = 0 the batch must not be constant (sigma^2 = 0 divides by 0)"
    return None


def _sample_x(rng: random.Random) -> list[int]:
    while True:
        xs = [rng.randint(-5, 9) for _ in range(4)]
        if len(set(xs)) > 1:
            return xs


def _sample_upstream(rng: random.Random) -> list[sp.Rational]:
    return [sp.Rational(rng.randint(-4, 4), 2) for _ in range(4)]


PARAMETERS = (
    Parameter("x", [1, 2, 4, 5], latex=r"\mathbf{x}", kind="list", sample=_sample_x,
              description="the feature over the mini-batch (N values)"),
    Parameter("gamma", 2, latex=r"\gamma", domain=(0, 3), description="the learned scale"),
    Parameter("beta", 0.5, latex=r"\beta", domain=(-1, 1), description="the learned shift"),
    # No domain: exam variants keep the sheet's epsilon = 0 (the sums of (d) are then exactly 0).
    Parameter("epsilon", 0, latex=r"\epsilon", description="the stabilizer added to the variance (0 or e.g. 1e-5)"),
    Parameter("upstream", [0.5, -1, 0, 1], latex=r"\frac{\partial L}{\partial \mathbf{y}}", kind="list",
              sample=_sample_upstream, description="the upstream gradient dL/dy, one per sample"),
)


def _statement(sol: Solution) -> None:
    sol.statement(
        r"Batch normalization of one feature in training mode over a mini-batch of $N = %d$: "
        r"$\mathbf{x} = %s$, $\gamma = %s$, $\beta = %s$, $\epsilon = %s$; "
        r"$\mu = \frac{1}{N}\sum_i x_i$, $\sigma^2 = \frac{1}{N}\sum_i (x_i - \mu)^2$, "
        r"$\hat{x}_i = \frac{x_i - \mu}{\sqrt{\sigma^2 + \epsilon}}$, $y_i = \gamma \hat{x}_i + \beta$; "
        r"upstream gradient $\frac{\partial L}{\partial \mathbf{y}} = %s$. "
        r"(a) The forward pass. (b) $\frac{\partial L}{\partial \beta}$ and $\frac{\partial L}{\partial \gamma}$. "
        r"(c) $\frac{\partial L}{\partial x_i}$ by the chain rule through $\mu$ and $\sigma^2$, in compact form, "
        r"and its value. (d) Show $\sum_i \frac{\partial L}{\partial x_i} = 0$ and, at $\epsilon = 0$, "
        r"$\sum_i \hat{x}_i \frac{\partial L}{\partial x_i} = 0$, and say why."
        % (len(sol["x"]), sol.latex("x"), sol.latex("gamma"), sol.latex("beta"), sol.latex("epsilon"),
           sol.latex("upstream"))
    )


def _divisor(sol: Solution, n: Any) -> Any:
    """N for the biased variance of batch norm (the worked solution), N - 1 for the unbiased one."""
    return n if sol.choice("variance", "biased") == "biased" else n - 1


def _graph(sol: Solution, xs: list, n: int) -> dict:
    """mu, sigma^2, s, xhat and y as functions of the entries ``xs`` (symbols or numbers)."""
    m = sp.Add(*xs) / n
    v = sp.Add(*[(e - m) ** 2 for e in xs]) / _divisor(sol, n)
    s = sp.sqrt(v + sol["epsilon"])
    xh = [(e - m) / s for e in xs]
    return {"mu": m, "var": v, "s": s, "xhat": xh, "y": [sol["gamma"] * e + sol["beta"] for e in xh]}


def _part_forward(sol: Solution) -> dict:
    xs = list(sol["x"])
    n = len(xs)
    fw = _graph(sol, xs, n)
    with sol.part("a", "Forward pass") as part:
        part.define(mu, fw["mu"])
        dm = part.derivation(mu, title="The batch mean")
        dm.step(sp.Mul(sp.Add(*xs, evaluate=False), sp.Rational(1, n), evaluate=False), r"$\frac{1}{N}\sum_i x_i$")
        dm.step(fw["mu"], "evaluate")
        part.answer("batchnorm.mean", fw["mu"], label=r"\mu")
        part.define(var, fw["var"])
        dv = part.derivation(var, title="The batch variance (biased: divided by N)")
        dv.step(sp.Mul(sp.Add(*[sp.Pow(e - fw["mu"], 2, evaluate=False) for e in xs], evaluate=False),
                       1 / sp.Integer(_divisor(sol, n)), evaluate=False),
                r"$\frac{1}{N}\sum_i (x_i - \mu)^2$")
        dv.step(fw["var"], "evaluate")
        part.answer("batchnorm.var", fw["var"], label=r"\sigma^2")
        xh_syms = sp.Matrix([[sp.Symbol(rf"\hat{{x}}_{{{k + 1}}}") for k in range(n)]])
        for sym, value in zip(xh_syms, fw["xhat"]):
            part.define(sym, value)
        dx = part.derivation(xh_syms, title=r"Normalized: $\hat{x}_i = (x_i - \mu) / \sqrt{\sigma^2 + \epsilon}$")
        root = sp.Pow(sp.Add(fw["var"], sol["epsilon"], evaluate=False) if sol["epsilon"] else fw["var"],
                      sp.Rational(1, 2), evaluate=False)
        dx.step(sp.Matrix([[sp.Mul(sp.Add(e, -fw["mu"], evaluate=False), sp.Pow(root, -1, evaluate=False),
                                   evaluate=False) for e in xs]]), "definition")
        dx.step(sp.Matrix([fw["xhat"]]), "evaluate")
        part.answer("batchnorm.x_hat", sp.Matrix([fw["xhat"]]), label=r"\hat{\mathbf{x}}")
        y_syms = sp.Matrix([[sp.Symbol(f"y_{{{k + 1}}}") for k in range(n)]])
        for sym, value in zip(y_syms, fw["y"]):
            part.define(sym, value)
        dy = part.derivation(y_syms, title=r"Scaled and shifted: $y_i = \gamma \hat{x}_i + \beta$")
        dy.step(sp.Matrix([fw["y"]]), "evaluate")
        part.answer("batchnorm.y", sp.Matrix([fw["y"]]), label=r"\mathbf{y}")
    return fw


def _part_affine(sol: Solution, fw: dict) -> None:
    gs = list(sol["upstream"])
    with sol.part("b", "Gradients of the scale and the shift") as part:
        part.text(r"$\frac{\partial y_i}{\partial \beta} = 1$ and $\frac{\partial y_i}{\partial \gamma} = \hat{x}_i$; "
                  r"both parameters are shared by the batch, so their gradients sum over it.")
        b, gm = sp.Symbol(r"\beta_v", real=True), sp.Symbol(r"\gamma_v", real=True)
        loss = sp.Add(*[g * (gm * e + b) for g, e in zip(gs, fw["xhat"])])
        dbeta, dgamma = sp.Symbol(r"\frac{\partial L}{\partial \beta}"), sp.Symbol(r"\frac{\partial L}{\partial \gamma}")
        part.define(dbeta, sp.diff(loss, b))
        part.define(dgamma, sp.diff(loss, gm))
        db = part.derivation(dbeta, title="The shift")
        db.step(sp.Add(*gs, evaluate=False), r"$\sum_i \frac{\partial L}{\partial y_i}$")
        db.step(sp.Add(*gs), "evaluate")
        part.answer("batchnorm.dL_dbeta", sp.Add(*gs), label=r"\frac{\partial L}{\partial \beta}")
        dg = part.derivation(dgamma, title="The scale")
        root = sp.Pow(fw["var"] + sol["epsilon"], sp.Rational(1, 2), evaluate=False)
        xs = list(sol["x"])
        dg.step(sp.Mul(sp.Add(*[sp.Mul(g, sp.Add(e, -fw["mu"], evaluate=False), evaluate=False)
                                for g, e in zip(gs, xs)], evaluate=False), sp.Pow(root, -1, evaluate=False),
                       evaluate=False),
                r"$\sum_i \frac{\partial L}{\partial y_i} \hat{x}_i$, $\hat{x}_i = \frac{x_i - \mu}{\sqrt{\sigma^2 + \epsilon}}$")
        value = sp.nsimplify(sp.simplify(sp.Add(*[g * e for g, e in zip(gs, fw["xhat"])])))
        dg.step(value, "evaluate")
        part.answer("batchnorm.dL_dgamma", value, label=r"\frac{\partial L}{\partial \gamma}")


def _local_partials(sol: Solution, part: Any, n: int) -> None:
    """dmu/dx_k = 1/N and dsigma^2/dx_k = 2 (x_k - mu)/N, verified at this batch size."""
    xs = [sp.Symbol(f"x_{{{k + 1}}}", real=True) for k in range(n)]
    g = _graph(sol, xs, n)
    m_syms = sp.Matrix([[sp.Symbol(rf"\frac{{\partial \mu}}{{\partial x_{{{k + 1}}}}}") for k in range(n)]])
    v_syms = sp.Matrix([[sp.Symbol(rf"\frac{{\partial \sigma^2}}{{\partial x_{{{k + 1}}}}}") for k in range(n)]])
    for k in range(n):
        part.define(m_syms[k], sp.diff(g["mu"], xs[k]))
        part.define(v_syms[k], sp.diff(g["var"], xs[k]))
    dm = part.derivation(m_syms, title=rf"Local partials of the mean, verified for N = {n}")
    dm.step(sp.Matrix([[sp.Rational(1, n)] * n]), r"$\frac{\partial \mu}{\partial x_k} = \frac{1}{N}$")
    shown = sp.Symbol(r"\mu")  # displayed for the mean; defined as the mean of the symbolic batch
    part.define(shown, g["mu"])
    dv = part.derivation(v_syms, title="Local partials of the variance")
    dv.step(sp.Matrix([[2 * (e - shown) / _divisor(sol, n) for e in xs]]),
            r"$\sum_j (x_j - \mu) = 0$ removes the path through $\mu$")


def _part_backward(sol: Solution, fw: dict) -> list:
    xs, gs = list(sol["x"]), list(sol["upstream"])
    n = len(xs)
    D = _divisor(sol, N)
    s = sp.sqrt(var + eps)
    direct = sol.choice("paths", "all") == "direct"
    with sol.part("c", "Backward pass through the computational graph") as part:
        part.text(
            r"Write $g_i = \frac{\partial L}{\partial y_i}$ and $s = \sqrt{\sigma^2 + \epsilon}$. Then "
            r"$\frac{\partial L}{\partial \hat{x}_j} = \gamma g_j$. The input $x_i$ reaches the loss along three "
            r"kinds of paths; the chain rule adds them up."
        )
        part.table(
            ["path", "local partials", "contribution to the gradient"],
            [[Tex(r"x_i \to \hat{x}_i \to y_i"), Tex(r"\frac{\partial \hat{x}_i}{\partial x_i} = \frac{1}{s}"),
              Tex(r"\frac{\gamma g_i}{s}")],
             [Tex(r"x_i \to \sigma^2 \to \hat{x}_j \to y_j"),
              Tex(r"\frac{\partial \sigma^2}{\partial x_i} = \frac{2 (x_i - \mu)}{N},\ "
                  r"\frac{\partial \hat{x}_j}{\partial \sigma^2} = -\frac{x_j - \mu}{2 s^3}"),
              Tex(r"-\frac{\gamma (x_i - \mu)}{N s^3} \sum_j g_j (x_j - \mu)")],
             [Tex(r"x_i \to \mu \to \hat{x}_j \to y_j"),
              Tex(r"\frac{\partial \mu}{\partial x_i} = \frac{1}{N},\ \frac{\partial \hat{x}_j}{\partial \mu} = "
                  r"-\frac{1}{s}"),
              Tex(r"-\frac{\gamma}{N s} \sum_j g_j")],
             [Tex(r"x_i \to \mu \to \sigma^2 \to \dots"),
              Tex(r"\frac{\partial \sigma^2}{\partial \mu} = -\frac{2}{N} \sum_j (x_j - \mu) = 0"), Tex("0")]],
            caption="The paths from x_i to the loss in the computational graph of batch normalization.",
        )
        _local_partials(sol, part, n)
        part.define(xhat_i, (x_i - mu) / s)
        part.define(S_gx, T / s)
        paths = (gamma * g_i / s + (-gamma * T / (2 * s**3)) * (2 * (x_i - mu) / D)
                 + (-gamma * S_g / s) / N)
        d = part.derivation(None, title=r"The gradient of the input $x_i$")
        d.step(paths, "chain rule: the paths of the table")
        d.step(gamma * g_i / s - gamma * (N / D) * xhat_i * S_gx / (N * s) - gamma * S_g / (N * s),
               r"$x_i - \mu = s \hat{x}_i$ and $\sum_j g_j (x_j - \mu) = s \sum_j g_j \hat{x}_j$")
        compact = gamma / (N * s) * (N * g_i - S_g - (N / D) * xhat_i * S_gx)
        d.step(compact, r"factor $\frac{\gamma}{N s}$")
        part.answer("batchnorm.dL_dx_symbolic", gamma * g_i / s if direct else compact,
                    label=r"\frac{\partial L}{\partial x_i}")

        # The numeric gradient: sympy's derivative of sum_j g_j y_j(x) at the values.
        xsym = [sp.Symbol(f"x_{{{k + 1}}}", real=True) for k in range(n)]
        ys = _graph(sol, xsym, n)["y"]
        surrogate = sp.Add(*[g * e for g, e in zip(gs, ys)])
        at = dict(zip(xsym, xs))
        lhs = sp.Matrix([[sp.Symbol(rf"\frac{{\partial L}}{{\partial x_{{{k + 1}}}}}") for k in range(n)]])
        for k in range(n):
            part.define(lhs[k], sp.diff(surrogate, xsym[k]).xreplace(at))
        sg, sgx = sp.Add(*gs), sp.Add(*[g * e for g, e in zip(gs, fw["xhat"])])
        factor = sol["gamma"] / (n * fw["s"])
        ratio = sp.Rational(n) / _divisor(sol, n)
        values = [sp.radsimp(sp.simplify(factor * (n * g - sg - ratio * e * sgx))) for g, e in zip(gs, fw["xhat"])]
        part.text(rf"At the given values $\sum_j g_j = {sp.latex(sg)}$ and $\sum_j g_j \hat{{x}}_j = "
                  rf"{sp.latex(sp.nsimplify(sp.simplify(sgx)))}$; sympy's derivative of $\sum_j g_j y_j(\mathbf{{x}})$ "
                  r"is the left-hand side.")
        dn = part.derivation(lhs, title="At the given values")
        dn.step(sp.Matrix([[sp.Mul(factor, n * g - sg - ratio * e * sgx, evaluate=False)
                            for g, e in zip(gs, fw["xhat"])]]),
                "compact form")
        dn.step(sp.Matrix([values]), "evaluate")
        if direct:
            values = [sp.radsimp(sol["gamma"] * g / fw["s"]) for g in gs]
        part.answer("batchnorm.dL_dx", sp.Matrix([values]), label=r"\frac{\partial L}{\partial \mathbf{x}}")
        return values


def _part_sums(sol: Solution, fw: dict, grads: list) -> None:
    n = len(sol["x"])
    xsym = [sp.Symbol(f"x_{{{k + 1}}}", real=True) for k in range(n)]
    g = _graph(sol, xsym, n)
    s = sp.sqrt(var + eps)
    with sol.part("d", "Why the gradient sums to zero") as part:
        part.text(
            r"Two facts of the normalized batch, verified for this batch size with symbolic $x_i$: "
            r"the $\hat{x}_i$ have mean 0 and second moment $\frac{\sigma^2}{\sigma^2 + \epsilon}$."
        )
        part.define(S_x, sp.Add(*g["xhat"]))
        f1 = part.derivation(S_x, title="The normalized batch has mean 0")
        f1.step(sp.Integer(0), r"$\sum_i (x_i - \mu) = 0$ by the definition of $\mu$")
        part.text(
            r"Summing the compact form over $i$: $\sum_i (N g_i - \sum_j g_j) = 0$ and the last term carries "
            r"$\sum_i \hat{x}_i = 0$. Multiplying by $\hat{x}_i$ first: $\sum_i \hat{x}_i (N g_i - \sum_j g_j) = "
            r"N \sum_j g_j \hat{x}_j$, and $\sum_i \hat{x}_i^2 = \frac{N \sigma^2}{\sigma^2 + \epsilon}$."
        )
        part.define(S_xx, N * var / (var + eps))
        d1 = part.derivation(None, title="The sum of the gradient")
        d1.step(gamma / (N * s) * sp.Add(N * S_g, -N * S_g, -S_gx * S_x, evaluate=False),
                r"sum the compact form over $i$")
        d1.step(sp.Integer(0), r"$\sum_i \hat{x}_i = 0$")
        d2 = part.derivation(None, title=r"The sum weighted by $\hat{x}_i$")
        d2.step(gamma / (N * s) * (N * S_gx - S_g * S_x - S_gx * S_xx), r"multiply by $\hat{x}_i$ and sum")
        d2.step(gamma * eps * S_gx / (var + eps) ** sp.Rational(3, 2),
                r"$\sum_i \hat{x}_i = 0$, $\sum_i \hat{x}_i^2 = \frac{N\sigma^2}{\sigma^2 + \epsilon}$")
        sum1 = sp.simplify(sp.Add(*grads))
        sum2 = sp.simplify(sp.Add(*[e * v for e, v in zip(fw["xhat"], grads)]))
        n_dx = [sp.Symbol(rf"\frac{{\partial L}}{{\partial x_{{{k + 1}}}}}") for k in range(n)]
        n_xh = [sp.Symbol(rf"\hat{{x}}_{{{k + 1}}}") for k in range(n)]
        for sym, v in zip(n_dx, grads):
            part.define(sym, v)
        for sym, v in zip(n_xh, fw["xhat"]):
            part.define(sym, v)
        dn = part.derivation(sp.Matrix([[sp.Add(*n_dx), sp.Add(*[a * b for a, b in zip(n_xh, n_dx)])]]),
                             title="At the given values")
        dn.step(sp.Matrix([[sum1, sum2]]), "the values of (a) and (c)")
        part.answer("batchnorm.dx_sums", sp.Matrix([[sum1, sum2]]),
                    label=r"\left(\sum_i \frac{\partial L}{\partial x_i}, \sum_i \hat{x}_i \frac{\partial L}{\partial x_i}\right)")
        part.text(
            r"Why: $y$ does not change when the whole batch is shifted, $x_i \to x_i + c$ ($\mu$ absorbs $c$), so "
            r"the directional derivative along $(1, \dots, 1)$ is 0; and at $\epsilon = 0$ it does not change when "
            r"the batch is scaled about its mean, $x_i - \mu \to \lambda (x_i - \mu)$ ($\sigma$ absorbs $\lambda$), "
            r"so the directional derivative along $\hat{\mathbf{x}}$ is 0 too."
        )


def solve(sol: Solution) -> None:
    """Parts (a)-(d) of D1 at x, gamma, beta, epsilon and the upstream gradient."""
    sol.domain[eps] = (0, 0.1)
    _statement(sol)
    fw = _part_forward(sol)
    _part_affine(sol, fw)
    grads = _part_backward(sol, fw)
    _part_sums(sol, fw, grads)


def _stated_sums(params: Mapping[str, Any]) -> dict:
    """The sums the compact form names, at the parameters: sum_j g_j,
    sum_j g_j (x_j - mu) and sum_j g_j xhat_j (a student's step through them
    is checked at these values, not at random ones)."""
    xs = [sp.nsimplify(v) for v in params["x"]]
    gs = [sp.nsimplify(v) for v in params["upstream"]]
    mean = sp.Add(*xs) / len(xs)
    spread = sp.sqrt(sp.Add(*[(v - mean) ** 2 for v in xs]) / len(xs) + sp.nsimplify(params["epsilon"]))
    centred = sp.Add(*[g * (v - mean) for g, v in zip(gs, xs)])
    return {S_g: sp.Add(*gs), T: centred, S_gx: centred / spread}


def _reader_definitions(params: Mapping[str, Any]) -> dict:
    """The upstream gradient and its sums as students write them, read by the
    reader (our own text): dL/dy_i is g_i, and the sums over j of dL/dy_j and
    of dL/dy_j xhat_j (or g_j, g_j xhat_j) are the sums the compact form names."""
    from engine.read.parse import parse_latex

    out = {parse_latex(r"\frac{\partial L}{\partial y_i}"): g_i,
           parse_latex(r"\frac{\partial L}{\partial y_j}"): parse_latex("g_j")}
    for written, name in ((r"\sum_j \frac{\partial L}{\partial y_j}", S_g), (r"\sum_j g_j", S_g),
                          (r"\sum_j \frac{\partial L}{\partial y_j} \hat{x}_j", S_gx),
                          (r"\sum_j \hat{x}_j \frac{\partial L}{\partial y_j}", S_gx),
                          (r"\sum_j g_j \hat{x}_j", S_gx), (r"\sigma^2", var)):
        out[parse_latex(written)] = name
    return out


CHECKING = Checking(
    title_words=r"batch ?norm|batch normali[sz]ation|\bbn\b",
    aliases=(
        Alias("batchnorm.mean", names=(r"mu", r"mu_B", r"E\[x\]", r"bar\(x\)"), parts=("a",), kind="numeric"),
        Alias("batchnorm.var", names=(r"sigma\^2", r"sigma_B\^2", r"Var\(x\)", r"Var\[x\]"), parts=("a",),
              kind="numeric"),
        # xhat_i is the vector in part (a), one entry of it in the compact form of part (c)
        Alias("batchnorm.x_hat", names=(r"hat\(x\)", r"hat\(x\)_(?P<i>\d)", r"hat\(x\)_i"), parts=("a",),
              scope="part"),
        Alias("batchnorm.y", names=(r"y", r"y_(?P<i>\d)", r"y_i"), parts=("a",), kind="numeric"),
        Alias("batchnorm.dL_dbeta", names=(r"dL/dbeta",), parts=("b",)),
        Alias("batchnorm.dL_dgamma", names=(r"dL/dgamma",), parts=("b",)),
        Alias("batchnorm.dL_dx_symbolic", names=(r"dL/dx_i", r"dL/dx"), parts=("c",), kind="symbolic"),
        Alias("batchnorm.dL_dx", names=(r"dL/dx", r"dL/dx_(?P<i>\d)", r"nabla_xL"), parts=("c",), kind="numeric"),
        # the pair of sums, each written as its own claim
        Alias("batchnorm.dx_sums", names=(r"sum_idL/dx_i",), parts=("d",), kind="numeric", entry=(0,)),
        Alias("batchnorm.dx_sums", names=(r"sum_ihat\(x\)_idL/dx_i", r"sum_idL/dx_ihat\(x\)_i"), parts=("d",),
              kind="numeric", entry=(1,)),
        Alias("batchnorm.dx_sums", words=(r"sum",), parts=("d",), kind="numeric"),
    ),
    conventions=Conventions(small=("epsilon",), notation={"mu_B": "mu", "sigma_B": "sigma"}),
    definitions=_reader_definitions,
    stated_definitions=_stated_sums,
    mistakes=(
        Mistake("unbiased_variance", "the unbiased variance (divided by N - 1) instead of batch norm's biased one",
                choices={"variance": "unbiased"}),
        Mistake("direct_path_only", "dL/dx without the paths through mu and sigma^2",
                choices={"paths": "direct"}),
    ),
)

PROBLEM = Problem(
    id="batchnorm",
    title="Batch normalization in training mode",
    sheet="D",
    parameters=PARAMETERS,
    answer_ids=("batchnorm.mean", "batchnorm.var", "batchnorm.x_hat", "batchnorm.y", "batchnorm.dL_dbeta",
                "batchnorm.dL_dgamma", "batchnorm.dL_dx_symbolic", "batchnorm.dL_dx", "batchnorm.dx_sums"),
    solve_fn=solve,
    well_posed=_well_posed,
    checking=CHECKING,
)
