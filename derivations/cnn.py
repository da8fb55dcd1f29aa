"""B1 ``cnn``: backpropagation through 2 x 2 max-pooling and LeakyReLU.

X (2m x 2n) -> U = maxpool_{2x2, stride 2}(X) (m x n) -> V = LeakyReLU(U)
(slope 0.1 for negative inputs) -> y = sum_ij W_ij V_ij -> L = (y - t)^2 / 2.

(a) why a squared error; (b) the forward pass; (c) the backward pass from an
upstream gradient dL/dy (t = y - dL/dy); (d) PReLU (He et al. 2015, "Delving
deep into rectifiers", Sec. 2.1) with a learnable slope alpha: dL/dU as a case
formula and dL/dalpha (Eq. 4 of that paper: a sum over the units sharing alpha).

Non-smooth points follow PyTorch (checked in float64 by tests/test_cnn.py):
max_pool2d sends a window's gradient to its first maximum in row-major order;
leaky_relu and prelu take the negative-side slope at an input of exactly 0.
Every backward matrix is proven equal to sympy's derivative of the composed
loss at the given values (:func:`reference_gradients`).
"""
from __future__ import annotations

import random
from typing import Any, Mapping

import sympy as sp

from engine.math.latex import to_latex
from engine.model.display import product_sum, times
from engine.model.checking import Conventions, Alias, Checking, Mistake
from engine.model.problem import Parameter, Problem, Solution, Tex

#: Pooling window and stride (2 x 2, stride 2).
POOL = 2

#: Non-smooth points: what PyTorch does and what the solution says (Text blocks).
PYTORCH_CONVENTIONS = {
    "max_pool": (
        "At a tie inside a window the gradient goes to the first maximum in row-major order, "
        "as torch.nn.functional.max_pool2d does; every other entry of the window gets 0."
    ),
    "leaky_relu": (
        "At $U_{ij} = 0$ LeakyReLU has a kink; PyTorch's leaky_relu backward takes the negative-side "
        "slope there (in float64 the gradient at 0 is the negative slope, not 1 and not the average)."
    ),
    "prelu": (
        r"At $U_{ij} = 0$ PyTorch's prelu backward takes $\alpha$ for $\partial V_{ij}/\partial U_{ij}$, "
        r"and $\partial V_{ij}/\partial \alpha = U_{ij} = 0$ there."
    ),
}

# Symbols of the generic derivations (one entry ij of each layer).
y_s, t_s, sigma = sp.Symbol("y", real=True), sp.Symbol("t", real=True), sp.Symbol(r"\sigma", positive=True)
L_s = sp.Symbol("L")
U_g, V_g, W_g, R_g = sp.Symbol("U_{ij}", real=True), sp.Symbol("V_{ij}"), sp.Symbol("W_{ij}", real=True), sp.Symbol(
    r"R_{ij}", real=True)
alpha_s = sp.Symbol(r"\alpha", real=True)
dL_dy_s = sp.Symbol(r"\frac{\partial L}{\partial y}")
dL_dV_g = sp.Symbol(r"\frac{\partial L}{\partial V_{ij}}")
dL_dalpha_s = sp.Symbol(r"\frac{\partial L}{\partial \alpha}")
dL_dU_g = sp.Symbol(r"\frac{\partial L}{\partial U_{ij}}")
dV_dalpha_g = sp.Symbol(r"\frac{\partial V_{ij}}{\partial \alpha}")


def _sub(i: int, j: int) -> str:
    return f"{i}{j}" if i < 10 and j < 10 else f"{i},{j}"


def entry_symbols(name: str, rows: int, cols: int, prefix: str = "") -> sp.Matrix:
    """A rows x cols matrix of symbols ``name_{ij}`` (1-based), with an optional
    LaTeX ``prefix`` such as ``\\frac{\\partial L}{\\partial`` (closed by ``}``)."""
    def symbol(i, j):
        core = f"{name}_{{{_sub(i + 1, j + 1)}}}"
        return sp.Symbol(f"{prefix} {core}}}" if prefix else core, real=not prefix)

    return sp.Matrix(rows, cols, lambda i, j: symbol(i, j))


def partial_symbols(name: str, rows: int, cols: int) -> sp.Matrix:
    """The matrix of partials dL/dname_{ij} as symbols (rows x cols)."""
    return entry_symbols(name, rows, cols, prefix=r"\frac{\partial L}{\partial")


def windows(X: sp.Matrix) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """The 2 x 2 pooling windows of X (stride 2): (i, j, positions) with the
    window's output index (i, j) and its X positions in row-major order (0-based)."""
    return [
        (i, j, [(POOL * i + a, POOL * j + b) for a in range(POOL) for b in range(POOL)])
        for i in range(X.rows // POOL)
        for j in range(X.cols // POOL)
    ]


def max_pool(X: sp.Matrix) -> tuple[sp.Matrix, dict[tuple[int, int], tuple[int, int]]]:
    """2 x 2 max-pool with stride 2 of a 2m x 2n matrix.

    Returns (U, argmax): U is m x n; argmax[(i, j)] is the 0-based X position
    of the maximum of window (i, j), the first one in row-major order at a tie
    (as torch.nn.functional.max_pool2d)."""
    U = sp.zeros(X.rows // POOL, X.cols // POOL)
    argmax = {}
    for i, j, positions in windows(X):
        best = positions[0]
        for pos in positions[1:]:
            if X[pos] > X[best]:  # strict: the first maximum wins a tie
                best = pos
        U[i, j] = X[best]
        argmax[(i, j)] = best
    return U, argmax


def leaky_relu(u: sp.Basic, slope: sp.Basic) -> sp.Basic:
    """LeakyReLU(u) = u for u > 0, slope * u otherwise (a closed number)."""
    return u if u > 0 else slope * u


def leaky_relu_grad(u: sp.Basic, slope: sp.Basic) -> sp.Basic:
    """dLeakyReLU/du: 1 for u > 0, slope for u <= 0 (PyTorch's value at the kink u = 0)."""
    return sp.Integer(1) if u > 0 else slope


def activation(u: sp.Basic, slope: sp.Basic) -> sp.Piecewise:
    """LeakyReLU / PReLU as a sympy Piecewise (sympy's derivative at 0 is then
    ``slope``, PyTorch's convention)."""
    return sp.Piecewise((u, u > 0), (slope * u, True))


def network_loss(X: sp.Matrix, W: sp.Matrix, slope: sp.Basic, t: sp.Basic) -> sp.Basic:
    """L = (sum_ij W_ij act(maxpool(X))_ij - t)^2 / 2 as one sympy expression
    (X may hold symbols; Max, Piecewise keep it differentiable almost everywhere)."""
    y = sp.Add(*[
        W[i, j] * activation(sp.Max(*[X[p] for p in positions]), slope)
        for i, j, positions in windows(X)
    ])
    return (y - t) ** 2 / 2


def partial_at(expr: sp.Basic, var: sp.Symbol, point: Mapping[sp.Symbol, sp.Basic]) -> sp.Basic:
    """d expr / d var at ``point``: the other coordinates are fixed first, so
    sympy differentiates a function of one variable."""
    others = {k: v for k, v in point.items() if k != var}
    return sp.diff(expr.xreplace(others), var).xreplace({var: point[var]})


def reference_gradients(X0: sp.Matrix, W: sp.Matrix, slope: sp.Basic, t: sp.Basic) -> dict[str, Any]:
    """sympy's own derivatives of the composed loss at X0: dL/dX (2m x 2n),
    dL/dU and dL/dV (m x n matrices).

    These are the definitions the routed, chain-ruled matrices of the solution
    are proven equal to."""
    m, n = X0.rows // POOL, X0.cols // POOL
    xs = entry_symbols("x", X0.rows, X0.cols)
    us = entry_symbols("u", m, n)
    vs = entry_symbols("v", m, n)
    U0, _ = max_pool(X0)
    V0 = U0.applyfunc(lambda u: leaky_relu(u, slope))
    at_x = dict(zip(xs, X0))
    at_u = dict(zip(us, U0))
    at_v = dict(zip(vs, V0))
    L_x = network_loss(xs, W, slope, t)
    L_u = (sp.Add(*[W[k] * activation(us[k], slope) for k in range(m * n)]) - t) ** 2 / 2
    L_v = (sp.Add(*[W[k] * vs[k] for k in range(m * n)]) - t) ** 2 / 2
    return {
        "X": sp.Matrix(X0.rows, X0.cols, [partial_at(L_x, s, at_x) for s in xs]),
        "U": sp.Matrix(m, n, [partial_at(L_u, s, at_u) for s in us]),
        "V": sp.Matrix(m, n, [partial_at(L_v, s, at_v) for s in vs]),
    }


# --------------------------------------------------------------------------- parameters


def _matrix_shape(value: Any, name: str) -> tuple[int, int] | str:
    if not isinstance(value, list) or not value or not all(isinstance(r, list) and r for r in value):
        return f"{name} must be a matrix, a JSON list of rows such as [[1, 2], [3, 4]]"
    cols = {len(r) for r in value}
    if len(cols) != 1:
        return f"the rows of {name} have different lengths {sorted(cols)}"
    return len(value), cols.pop()


def _well_posed(values: Mapping[str, Any]) -> str | None:
    if values.get("dL_dy", 1) == 0:
        return "an upstream gradient dL_dy = 0 makes every gradient 0; choose a nonzero value"
    shape_x = _matrix_shape(values["X"], "X")
    shape_w = _matrix_shape(values["W"], "W")
    for shape in (shape_x, shape_w):
        if isinstance(shape, str):
            return shape
    if shape_x[0] % POOL or shape_x[1] % POOL:
        return f"X is {shape_x[0]} x {shape_x[1]}; 2 x 2 pooling with stride 2 needs even dimensions"
    if shape_w != (shape_x[0] // POOL, shape_x[1] // POOL):
        return f"W is {shape_w[0]} x {shape_w[1]} but the pooled U is {shape_x[0] // POOL} x {shape_x[1] // POOL}"
    X = sp.Matrix(values["X"])
    for i, j, positions in windows(X):
        entries = [X[p] for p in positions]
        top = max(entries)
        where = f"window rows {POOL * i + 1}-{POOL * i + POOL}, columns {POOL * j + 1}-{POOL * j + POOL} of X"
        if entries.count(top) > 1:
            return f"{where} has a tie for its maximum {top}: the max-pool gradient would not be unique"
        if top == 0:
            return f"{where} has maximum 0, the kink of LeakyReLU and PReLU"
    return None


def _sample_X(rng: random.Random) -> list[list[sp.Rational]]:
    """A 4 x 4 input with entries in {-10, -9.5, ..., 10}, no ties in a window, no zero maximum."""
    while True:
        X = [[sp.Rational(rng.randint(-20, 20), 2) for _ in range(4)] for _ in range(4)]
        if _well_posed({"X": X, "W": [[1, 1], [1, 1]]}) is None:
            return X


def _sample_W(rng: random.Random) -> list[list[int]]:
    """A 2 x 2 weight matrix with nonzero integer entries in -5..10."""
    return [[rng.choice([k for k in range(-5, 11) if k]) for _ in range(2)] for _ in range(2)]


DEFAULT_X = [
    [1, 8, 0.5, 6],
    [3, -10, -1, -8],
    [-0.5, -6, -3, -10],
    [-1, -8, -0.5, -6],
]

PARAMETERS = (
    Parameter("X", DEFAULT_X, latex="X", kind="matrix", sample=_sample_X,
              description="the input feature map, 2m x 2n (here 4 x 4), dimensionless"),
    Parameter("W", [[1, 2], [10, 4]], latex="W", kind="matrix", sample=_sample_W,
              description="the output weights, m x n (the shape of the pooled U)"),
    Parameter("slope", 0.1, latex=r"\text{slope}", domain=(0, 1),
              description="LeakyReLU slope for negative inputs (negative_slope in PyTorch)"),
    Parameter("dL_dy", 2, latex=r"\frac{\partial L}{\partial y}", domain=(-5, 5),
              description="the upstream gradient dL/dy of part (c); the target is t = y - dL/dy"),
    Parameter("alpha", 0.1, latex=r"\alpha", domain=(0, 1),
              description="the learnable PReLU slope of part (d), at its current value"),
)


# --------------------------------------------------------------------------- solution


def _statement(sol: Solution) -> None:
    sol.statement(
        rf"An input $X = {sol.latex('X')}$ is max-pooled with $2 \times 2$ windows and stride 2 to $U$; "
        rf"$V = \mathrm{{LeakyReLU}}(U)$ with slope ${sol.latex('slope')}$ for negative inputs; "
        rf"the output is $y = \sum_{{ij}} W_{{ij}} V_{{ij}}$ with $W = {sol.latex('W')}$, and the loss is "
        r"$L = \frac{1}{2}(y - t)^2$ (regression, one sample). "
        r"(a) Why does a squared-error loss fit? (b) Compute $U$, $V$ and $y$. "
        rf"(c) Backpropagate an upstream gradient $\frac{{\partial L}}{{\partial y}} = {sol.latex('dL_dy')}$ "
        rf"(that is, $t = y - {sol.latex('dL_dy')}$): "
        r"$\frac{\partial L}{\partial V}$, $\frac{\partial L}{\partial U}$, $\frac{\partial L}{\partial X}$. "
        r"(d) Replace LeakyReLU by PReLU, $V_{ij} = U_{ij}$ for $U_{ij} > 0$ and $\alpha U_{ij}$ otherwise, "
        rf"with a learnable $\alpha = {sol.latex('alpha')}$: give $\frac{{\partial L}}{{\partial U}}$ as a case "
        r"formula and $\frac{\partial L}{\partial \alpha}$."
    )


def _part_loss(sol: Solution) -> None:
    with sol.part("a", "Why a squared-error loss") as part:
        part.text(
            "The output y is one real number predicting a real target t: a regression. Modelling the "
            r"target as Gaussian around the prediction, $t \sim \mathcal{N}(y, \sigma^2)$ with a fixed "
            r"$\sigma$, the negative log-likelihood of one sample is the squared error up to a scale and "
            "a constant, so minimizing L is maximum likelihood."
        )
        sol.domain[sigma] = (0.5, 2)
        nll = part.derivation(
            -sp.log(sp.exp(-(t_s - y_s) ** 2 / (2 * sigma**2)) / sp.sqrt(2 * sp.pi * sigma**2)),
            title="Gaussian negative log-likelihood",
        )
        nll.step((y_s - t_s) ** 2 / (2 * sigma**2) + sp.log(2 * sp.pi * sigma**2) / 2,
                 r"$\log$ of a quotient, $\log e^{a} = a$")
        grad = part.derivation(sp.Derivative((y_s - t_s) ** 2 / 2, y_s), title="Its gradient is the residual")
        grad.step(y_s - t_s, "power rule and chain rule")
        part.text(
            r"The gradient $\frac{\partial L}{\partial y} = y - t$ is the residual: it is the upstream "
            "gradient that backpropagation feeds into the network, large when the prediction is far off."
        )
        part.answer(
            "cnn.loss", (y_s - t_s) ** 2 / 2, label="L",
            text=r"A squared error: $y$ is a real-valued regression output, and $L = \frac{1}{2}(y - t)^2$ is "
                 r"the Gaussian negative log-likelihood up to constants, with gradient $\frac{dL}{dy} = y - t$ "
                 "(the residual).",
        )


def _part_forward(sol: Solution, X: sp.Matrix, W: sp.Matrix, slope: sp.Basic) -> tuple[sp.Matrix, sp.Matrix, dict, sp.Basic]:
    U, argmax = max_pool(X)
    V = U.applyfunc(lambda u: leaky_relu(u, slope))
    y = sp.Add(*[W[k] * V[k] for k in range(len(V))])
    m, n = U.shape
    with sol.part("b", "Forward pass") as part:
        rows = []
        for i, j, positions in windows(X):
            r, c = argmax[(i, j)]
            rows.append([
                f"rows {POOL * i + 1}-{POOL * i + POOL}, columns {POOL * j + 1}-{POOL * j + POOL}",
                Tex(", ".join(to_latex(X[p]) for p in positions)),
                Tex(f"U_{{{_sub(i + 1, j + 1)}}} = {to_latex(U[i, j])}"),
                Tex(f"X_{{{_sub(r + 1, c + 1)}}}"),
            ])
        part.table(["window of X", "entries (row-major)", "maximum", "arg-max"], rows,
                   caption=r"$2 \times 2$ max-pooling with stride 2: one output per window.")
        Us = entry_symbols("U", m, n)
        for k in range(m * n):
            part.define(Us[k], U[k])
        du = part.derivation(Us, title="Max-pooling")
        du.step(sp.Matrix(m, n, lambda i, j: sp.Max(*[X[p] for p in windows(X)[i * n + j][2]], evaluate=False)),
                r"each $U_{ij}$ is the maximum of its $2 \times 2$ window (stride 2)")
        du.step(U, "evaluate")
        part.answer("cnn.U", U, label="U")

        Vs = entry_symbols("V", m, n)
        for k in range(m * n):
            part.define(Vs[k], V[k])
        dv = part.derivation(Vs, title="LeakyReLU")
        dv.step(U.applyfunc(lambda u: u if u > 0 else times(slope, u)),
                rf"$V_{{ij}} = U_{{ij}}$ for $U_{{ij}} > 0$, ${sol.latex('slope')}\,U_{{ij}}$ otherwise")
        dv.step(V, "evaluate")
        part.answer("cnn.V", V, label="V")

        part.define(y_s, y)
        dy = part.derivation(y_s, title="Output")
        dy.step(product_sum([(W[k], V[k]) for k in range(m * n)]), r"$y = \sum_{ij} W_{ij} V_{ij}$")
        dy.step(y, "evaluate")
        part.answer("cnn.y", y, label="y")
    return U, V, argmax, y


def _part_backward(sol: Solution, X, W, slope, U, argmax, y, ref) -> None:
    g = sol["dL_dy"]
    t = y - g
    m, n = U.shape
    with sol.part("c", "Backward pass") as part:
        part.text(
            rf"With $t = y - {sol.latex('dL_dy')} = {to_latex(t)}$ the upstream gradient is "
            rf"$\frac{{\partial L}}{{\partial y}} = {sol.latex('dL_dy')}$; each layer multiplies the gradient "
            "it receives by its local derivative (chain rule), from the output back to the input."
        )
        dly = part.derivation(sp.Derivative((y_s - t_s) ** 2 / 2, y_s), title="Upstream gradient")
        dly.step(y_s - t_s, "power rule and chain rule")
        part.define(y_s, y)
        part.define(t_s, t)
        part.define(dL_dy_s, g)
        at = part.derivation(dL_dy_s, title="At the forward values")
        at.step(y_s - t_s, "the residual")
        at.step(sp.Add(y, -t, evaluate=False), rf"$y = {to_latex(y)}$, $t = {to_latex(t)}$")
        at.step(g, "evaluate")
        part.answer("cnn.dL_dy", g, label=r"\frac{\partial L}{\partial y}")

        dVs = partial_symbols("V", m, n)
        for k in range(m * n):
            if ref is not None:
                part.define(dVs[k], ref["V"][k])
        dV = part.derivation(dVs, title="Through the weighted sum")
        dV.step(W.applyfunc(lambda w: dL_dy_s * w),
                r"chain rule: $\frac{\partial y}{\partial V_{ij}} = W_{ij}$, times the upstream gradient")
        dV.step(W.applyfunc(lambda w: times(g, w)), rf"$\frac{{\partial L}}{{\partial y}} = {sol.latex('dL_dy')}$")
        dL_dV = W * g
        dV.step(dL_dV, "evaluate")
        part.answer("cnn.dL_dV", dL_dV, label=r"\frac{\partial L}{\partial V}")

        dUs = partial_symbols("U", m, n)
        for k in range(m * n):
            if ref is not None:
                part.define(dUs[k], ref["U"][k])
        # the factor on the negative side: the slope (a mistake: 0 as for ReLU, or 1: left out)
        backward = {"slope": slope, "zero": sp.Integer(0), "one": sp.Integer(1)}[sol.choice("backward_slope", "slope")]
        local = U.applyfunc(lambda u: leaky_relu_grad(u, backward))
        dU = part.derivation(dUs, title="Through LeakyReLU")
        dU.step(sp.Matrix(m, n, lambda i, j: dVs[i, j] if local[i, j] == 1 else times(local[i, j], dVs[i, j])),
                rf"chain rule: $\frac{{\partial V_{{ij}}}}{{\partial U_{{ij}}}} = 1$ for $U_{{ij}} > 0$, "
                rf"${sol.latex('slope')}$ otherwise")
        dU.step(sp.Matrix(m, n, lambda i, j: dL_dV[i, j] if local[i, j] == 1 else times(dL_dV[i, j], local[i, j])),
                r"the gradients $\frac{\partial L}{\partial V_{ij}}$ above")
        dL_dU = dL_dV.multiply_elementwise(local)
        dU.step(dL_dU, "evaluate")
        part.text(PYTORCH_CONVENTIONS["leaky_relu"])
        part.answer("cnn.dL_dU", dL_dU, label=r"\frac{\partial L}{\partial U}")

        dXs = partial_symbols("X", X.rows, X.cols)
        for k in range(len(X)):
            if ref is not None:
                part.define(dXs[k], ref["X"][k])
        routed = sp.zeros(X.rows, X.cols)
        routed_values = sp.zeros(X.rows, X.cols)
        spread = sol.choice("pool_gradient", "argmax") == "mean"  # a mistake: spread over the window
        for (i, j), pos in argmax.items():
            routed[pos] = dUs[i, j]
            if spread:
                window = windows(X)[i * n + j][2]
                for p in window:
                    routed_values[p] += dL_dU[i, j] / len(window)
            else:
                routed_values[pos] = dL_dU[i, j]
        dX = part.derivation(dXs, title="Through max-pooling")
        dX.step(routed, "max-pooling routes each window's upstream gradient to its arg-max; "
                        "every other entry of the window gets 0")
        dX.step(routed_values, r"the gradients $\frac{\partial L}{\partial U_{ij}}$ above")
        part.text(PYTORCH_CONVENTIONS["max_pool"])
        part.answer("cnn.dL_dX", routed_values, label=r"\frac{\partial L}{\partial X}")


def _part_prelu(sol: Solution, W: sp.Matrix, U: sp.Matrix) -> None:
    alpha = sol["alpha"]
    g = sol["dL_dy"]
    m, n = U.shape
    V = U.applyfunc(lambda u: leaky_relu(u, alpha))
    y = sp.Add(*[W[k] * V[k] for k in range(len(V))])
    t = y - g
    ref = reference_gradients_prelu(U, W, alpha, t)
    with sol.part("d", "PReLU with a learnable slope") as part:
        part.text(
            r"PReLU (He et al. 2015) is LeakyReLU with a learned slope: $V_{ij} = U_{ij}$ for $U_{ij} > 0$ "
            r"and $\alpha U_{ij}$ otherwise, one $\alpha$ shared by all units. "
            r"Take one entry: $y = W_{ij} V_{ij} + R_{ij}$, where $R_{ij}$ collects the other terms of the sum."
        )
        part.define(L_s, (y_s - t_s) ** 2 / 2)
        part.define(y_s, W_g * V_g + R_g)
        part.define(V_g, activation(U_g, alpha_s))
        part.define(dL_dV_g, (y_s - t_s) * W_g)
        part.define(dL_dU_g, sp.Derivative(L_s, U_g))
        part.define(dV_dalpha_g, sp.Derivative(V_g, alpha_s))
        case = part.derivation(dL_dU_g, title="The case formula")
        case.step((y_s - t_s) * W_g * sp.Derivative(V_g, U_g),
                  r"chain rule: $\frac{\partial L}{\partial y} = y - t$ (upstream gradient), "
                  r"$\frac{\partial y}{\partial V_{ij}} = W_{ij}$")
        case.step((y_s - t_s) * W_g * sp.Piecewise((1, U_g > 0), (alpha_s, True)),
                  r"PReLU: $\frac{\partial V_{ij}}{\partial U_{ij}} = 1$ for $U_{ij} > 0$, $\alpha$ otherwise")
        case.step(sp.Piecewise((dL_dV_g, U_g > 0), (alpha_s * dL_dV_g, True)),
                  r"$\frac{\partial L}{\partial V_{ij}} = \frac{\partial L}{\partial y} W_{ij}$")
        part.text(PYTORCH_CONVENTIONS["prelu"])

        dVda = part.derivation(dV_dalpha_g, title="The local derivative in alpha")
        dVda.step(sp.Piecewise((0, U_g > 0), (U_g, True)), r"$V_{ij}$ is $\alpha U_{ij}$ on the negative side only")

        part.text(
            rf"At the values ($\alpha = {sol.latex('alpha')}$, upstream gradient "
            rf"$\frac{{\partial L}}{{\partial y}} = {sol.latex('dL_dy')}$, so $t = {to_latex(t)}$): "
            r"$\alpha$ is shared, so its gradient sums over every unit, each term being the upstream "
            r"gradient times $\frac{\partial V_{ij}}{\partial \alpha}$."
        )
        dVs = partial_symbols("V", m, n)
        dL_dV = W * g
        for k in range(m * n):
            part.define(dVs[k], ref["V"][k])
        dUs = partial_symbols("U", m, n)
        for k in range(m * n):
            part.define(dUs[k], ref["U"][k])
        part.define(alpha_s, alpha)
        dU = part.derivation(dUs, title="The case formula at the values")
        dU.step(sp.Matrix(m, n, lambda i, j: dVs[i, j] if U[i, j] > 0 else alpha_s * dVs[i, j]),
                rf"the case formula: $U_{{ij}} > 0$ or not, $U = {to_latex(U)}$")
        dU.step(sp.Matrix(m, n, lambda i, j: dL_dV[i, j] if U[i, j] > 0 else times(alpha, dL_dV[i, j])),
                rf"$\frac{{\partial L}}{{\partial V}} = {to_latex(dL_dV)}$, $\alpha = {sol.latex('alpha')}$")
        dU.step(dL_dV.multiply_elementwise(U.applyfunc(lambda u: leaky_relu_grad(u, alpha))), "evaluate")

        part.define(dL_dalpha_s, ref["alpha"])
        negative = [k for k in range(m * n) if not U[k] > 0]
        da = part.derivation(dL_dalpha_s, title="The gradient of the shared slope")
        da.step(product_sum([(dVs[k], U[k]) for k in negative]),
                r"$\frac{\partial L}{\partial \alpha} = \sum_{ij} \frac{\partial L}{\partial V_{ij}} "
                r"\frac{\partial V_{ij}}{\partial \alpha}$; only $U_{ij} \le 0$ contribute $U_{ij}$")
        da.step(product_sum([(dL_dV[k], U[k]) for k in negative]),
                r"the gradients $\frac{\partial L}{\partial V_{ij}}$ and the pooled $U_{ij} \le 0$")
        dL_dalpha = sp.Add(*[dL_dV[k] * U[k] for k in negative])
        da.step(dL_dalpha, "evaluate")
        part.answer("cnn.dL_dalpha", dL_dalpha, label=r"\frac{\partial L}{\partial \alpha}")


def reference_gradients_prelu(U0: sp.Matrix, W: sp.Matrix, alpha: sp.Basic, t: sp.Basic) -> dict[str, Any]:
    """sympy's derivatives of L = (sum_ij W_ij PReLU(U_ij; alpha) - t)^2 / 2 at
    U0: dL/dU and dL/dV (m x n matrices) and dL/dalpha (a number)."""
    m, n = U0.shape
    us = entry_symbols("u", m, n)
    vs = entry_symbols("v", m, n)
    a = sp.Symbol("a", real=True)
    V0 = U0.applyfunc(lambda u: leaky_relu(u, alpha))
    L_u = (sp.Add(*[W[k] * activation(us[k], a) for k in range(m * n)]) - t) ** 2 / 2
    L_v = (sp.Add(*[W[k] * vs[k] for k in range(m * n)]) - t) ** 2 / 2
    at_u = {**dict(zip(us, U0)), a: alpha}
    return {
        "U": sp.Matrix(m, n, [partial_at(L_u, s, at_u) for s in us]),
        "V": sp.Matrix(m, n, [partial_at(L_v, s, dict(zip(vs, V0))) for s in vs]),
        "alpha": partial_at(L_u, a, at_u),
    }


def solve(sol: Solution) -> None:
    """Parts (a)-(d) of B1 at the parameters X, W, slope, dL_dy, alpha."""
    X, W, slope = sp.Matrix(sol["X"]), sp.Matrix(sol["W"]), sol["slope"]
    _statement(sol)
    _part_loss(sol)
    forward = slope if sol.choice("forward_slope", "slope") == "slope" else sp.Integer(0)  # 0: ReLU (a mistake)
    U, V, argmax, y = _part_forward(sol, X, W, forward)
    # the independent reference the backward pass is verified against (not
    # needed under a mistake, whose steps are wrong on purpose and unverified)
    ref = reference_gradients(X, W, slope, y - sol["dL_dy"]) if not sol.choices else None
    _part_backward(sol, X, W, slope, U, argmax, y, ref)
    _part_prelu(sol, W, U)


# --------------------------------------------------------------------------- checking


def _pytorch_default_slope(params):
    """The slope a student takes from ``torch.nn.LeakyReLU()``'s default (0.01), when the sheet's differs."""
    return {"slope": sp.Rational(1, 100)} if sp.nsimplify(params["slope"]) != sp.Rational(1, 100) else None

CHECKING = Checking(
    title_words=r"max-?pool|leaky ?relu|prelu|\bcnn\b|convolutional network",
    conventions=Conventions(same={"Y": "y"}),  # the output y, often written Y by hand
    aliases=(
        Alias("cnn.loss", names=(r"L", r"L\(.*\)", r"loss", r"E"), parts=("a",), kind="symbolic"),
        Alias("cnn.U", names=(r"U",), parts=("b",), kind="numeric"),
        Alias("cnn.U", names=(r"U_\(?(?P<i>\d),?(?P<j>\d)\)?",), parts=("b",), kind="numeric"),
        Alias("cnn.V", names=(r"V",), parts=("b",), kind="numeric"),
        Alias("cnn.V", names=(r"V_\(?(?P<i>\d),?(?P<j>\d)\)?",), parts=("b",), kind="numeric"),
        Alias("cnn.y", names=(r"y", r"hat\(y\)"), parts=("b",), kind="numeric"),
        Alias("cnn.dL_dy", names=(r"dL/dy", r"bar\(y\)", r"delta_?y", r"dL/dhat\(y\)"), parts=("c",), kind="numeric"),
        Alias("cnn.dL_dV", names=(r"dL/dV", r"bar\(V\)"), parts=("c",), kind="numeric"),
        Alias("cnn.dL_dV", names=(r"dL/dV_\(?(?P<i>\d),?(?P<j>\d)\)?",), parts=("c",), kind="numeric"),
        Alias("cnn.dL_dU", names=(r"dL/dU", r"bar\(U\)"), parts=("c",), kind="numeric"),
        Alias("cnn.dL_dU", names=(r"dL/dU_\(?(?P<i>\d),?(?P<j>\d)\)?",), parts=("c",), kind="numeric"),
        Alias("cnn.dL_dX", names=(r"dL/dX", r"bar\(X\)"), parts=("c",), kind="numeric"),
        Alias("cnn.dL_dX", names=(r"dL/dX_\(?(?P<i>\d),?(?P<j>\d)\)?",), parts=("c",), kind="numeric"),
        Alias("cnn.dL_dalpha", names=(r"dL/dalpha", r"bar\(alpha\)", r"dL/da"), parts=("d",), kind="numeric"),
    ),
    mistakes=(
        Mistake("relu_not_leaky", "ReLU instead of LeakyReLU (the negative slope left out)",
                choices={"forward_slope": "zero", "backward_slope": "zero"}),
        Mistake("slope_not_in_backward", "the LeakyReLU slope left out of the backward pass",
                choices={"backward_slope": "one"}),
        Mistake("slope_pytorch_default", "LeakyReLU slope 0.01 (PyTorch's default negative_slope) instead of the given one",
                overrides=_pytorch_default_slope),
        Mistake("pool_gradient_spread", "the pooling gradient spread over the window instead of routed to the maximum",
                choices={"pool_gradient": "mean"}),
    ),
)


PROBLEM = Problem(
    id="cnn",
    title="Backpropagation through max-pooling and LeakyReLU",
    sheet="B",
    parameters=PARAMETERS,
    answer_ids=(
        "cnn.loss", "cnn.U", "cnn.V", "cnn.y", "cnn.dL_dy", "cnn.dL_dV", "cnn.dL_dU", "cnn.dL_dX",
        "cnn.dL_dalpha",
    ),
    solve_fn=solve,
    well_posed=_well_posed,
    checking=CHECKING,
)
