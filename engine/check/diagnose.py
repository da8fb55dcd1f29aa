"""Error models: the usual mistakes, each recomputing the answers under it.

A wrong answer is *diagnosed* when one of these models (or a pair of them)
reproduces the student's value at the precision written: the report then
names the mistake ("log base 10 instead of the natural log", "x and c
swapped") instead of only "incorrect".

:data:`ERROR_MODELS` is a table. A model is one of

* an *override*: the same problem solved at other givens
  (``Problem.solve(overrides)``): inputs swapped;
* a *transform* of the answer values (exact sympy): ``log`` read as
  ``log_10``; the sign flipped;
* a *formula*: the problem's recurrence recomputed with the mistake from
  the problem's own data (the layer list of vgg16, the primal trace of
  autodiff, the Adam recursion), returning one or several variants.

Every variant is computed here from the catalog (trusted code, no student
text), once per sheet, before any worker starts; :mod:`engine.check.run`
compares a student's value with them in a bounded worker. To add a model,
add a row to :data:`ERROR_MODELS`; :func:`variants` combines single models
and compatible pairs.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

import sympy as sp

from engine.errors import UsageError, VerificationError

Values = dict[str, Any]


@dataclass(frozen=True)
class Context:
    """What a model sees: the problem, the parameters of the variant being
    built, its answer values so far, and the values at the sheet's givens."""

    problem: Any
    params: Mapping[str, Any]
    values: Values
    base: Values


@dataclass(frozen=True)
class ErrorModel:
    """One mistake.

    name: identifier (``log10``); label: the phrase of a diagnosis; problems:
    the problem ids it applies to (empty: every problem); overrides:
    params -> the givens the mistaken student used (an override model);
    transform: Context -> list of (detail, values) (a transform or formula
    model; ``detail`` refines the label, e.g. which edge's sign);
    max_partners: 0 when the model is only tried alone."""

    name: str
    label: str
    problems: tuple[str, ...] = ()
    overrides: Callable[[Mapping[str, Any]], dict | None] | None = None
    transform: Callable[[Context], list[tuple[str, Values]]] | None = None
    max_partners: int = 1

    def applies(self, problem_id: str) -> bool:
        return not self.problems or problem_id in self.problems


@dataclass
class Variant:
    """The answers of a problem under one or two mistakes."""

    models: tuple[str, ...]
    labels: tuple[str, ...]
    values: Values

    @property
    def label(self) -> str:
        return "; ".join(self.labels)


# --------------------------------------------------------------------------- generic transforms


def _map_values(values: Values, fn: Callable[[Any], Any]) -> Values:
    out = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            out[key] = [fn(v) for v in value]
        elif isinstance(value, sp.MatrixBase):
            out[key] = value.applyfunc(fn)
        elif isinstance(value, sp.Basic):
            out[key] = fn(value)
    return out


def _log10(ctx: Context) -> list[tuple[str, Values]]:
    """Every ``log`` read as ``log_10`` (the primal values change; a
    derivative rule 1/x taken from the natural log stays)."""
    def fn(expr: sp.Basic) -> sp.Basic:
        if not expr.has(sp.log):
            return expr
        return expr.replace(sp.log, lambda *a: sp.log(a[0]) / sp.log(10) if len(a) == 1 else sp.log(*a))
    changed = {k: v for k, v in _map_values(ctx.values, fn).items() if _differs(v, ctx.values.get(k))}
    return [("", changed)] if changed else []


def _sign(ctx: Context) -> list[tuple[str, Values]]:
    """The whole answer with the wrong sign."""
    values = {k: v for k, v in _map_values(ctx.values, lambda e: -e).items() if _nonzero(v)}
    return [("", values)] if values else []


def _differs(a: Any, b: Any) -> bool:
    try:
        return bool(a != b)
    except TypeError:
        return True


def _nonzero(v: Any) -> bool:
    if isinstance(v, sp.MatrixBase):
        return any(e != 0 for e in v)
    if isinstance(v, (list, tuple)):
        return any(e != 0 for e in v)
    return v != 0


# --------------------------------------------------------------------------- autodiff


def _swap_xc(params: Mapping[str, Any]) -> dict | None:
    if "x" in params and "c" in params and params["x"] != params["c"]:
        return {"x": params["c"], "c": params["x"]}
    return None


def _adjoint_sign_errors(ctx: Context) -> list[tuple[str, Values]]:
    """The adjoint trace with the sign of one local partial flipped, for
    every edge of the graph (Baydin et al. 2018, Table 2), from the variant's
    primal values; one variant per edge."""
    from derivations import autodiff as ad

    primal = {}
    for i in ad.INDICES:
        value = ctx.values.get(f"autodiff.trace.{ad.answer_key(i)}")
        if value is None:
            return []
        primal[i] = value
    partials = ad.local_partials()
    at = {ad.V[k]: v for k, v in primal.items()}
    out = []
    for edge in sorted(partials):
        adj = {ad.OUTPUT: sp.Integer(1)}
        for i in reversed(ad.INDICES[:-1]):
            terms = []
            for j in ad.children(i):
                local = partials[(j, i)].xreplace(at)
                terms.append(adj[j] * (-local if (j, i) == edge else local))
            adj[i] = sp.Add(*terms)
        values = {f"autodiff.adjoint.{ad.answer_key(i)}": adj[i] for i in ad.INDICES}
        values["autodiff.df_dx"] = adj[0]
        values["autodiff.df_dc"] = adj[-1]
        j, i = edge
        out.append((f"the sign of the local partial dv_{j}/dv_{i}", values))
    return out


# --------------------------------------------------------------------------- vgg16


def _vgg_counts(params: Mapping[str, Any], *, input_channels: bool = True, conv_bias: bool = True,
                fc_bias: bool = True, flatten: bool = True) -> dict[str, int]:
    """Parameter counts of the layer list with a mistake switched on."""
    layers = params["layers"]
    size, channels = int(params["input_size"]), int(params["input_channels"])
    conv = fc = 0
    c = channels
    n = size
    flat: int | None = None
    for layer in layers:
        kind = layer[0]
        if kind == "conv":
            k, s, p, c_out = (int(v) for v in layer[1:5])
            c_in = c if input_channels else 1
            conv += (k * k * c_in + (1 if conv_bias else 0)) * c_out
            n = (n + 2 * p - k) // s + 1
            c = c_out
        elif kind == "pool":
            k, s, p = (int(v) for v in layer[1:4])
            n = (n + 2 * p - k) // s + 1
        elif kind == "fc":
            n_out = int(layer[1])
            n_in = flat if flat is not None else (n * n * c if flatten else c)
            fc += (n_in + (1 if fc_bias else 0)) * n_out
            flat = n_out
    return {"conv": conv, "fc": fc}


def _vgg_variant(params: Mapping[str, Any], **switches: bool) -> Values:
    counts = _vgg_counts(params, **switches)
    out = {"vgg16.params_conv": sp.Integer(counts["conv"]), "vgg16.params_fc": sp.Integer(counts["fc"]),
           "vgg16.params_total": sp.Integer(counts["conv"] + counts["fc"])}
    if counts["fc"]:
        out["vgg16.conv_fc_ratio"] = sp.Rational(counts["conv"], counts["fc"])
    return out


def _vgg_no_input_channels(ctx: Context) -> list[tuple[str, Values]]:
    return [("", _vgg_variant(ctx.params, input_channels=False))]


def _vgg_no_biases(ctx: Context) -> list[tuple[str, Values]]:
    return [("", _vgg_variant(ctx.params, conv_bias=False, fc_bias=False)),
            ("in the convolutions", _vgg_variant(ctx.params, conv_bias=False)),
            ("in the fully connected layers", _vgg_variant(ctx.params, fc_bias=False))]


def _vgg_flatten(ctx: Context) -> list[tuple[str, Values]]:
    return [("", _vgg_variant(ctx.params, flatten=False))]


def _vgg_fields(params: Mapping[str, Any]) -> list[tuple[int, int, int]]:
    """(k, s, receptive field after the layer) of the conv/pool layers."""
    out = []
    jump, rf = 1, 1
    for layer in params["layers"]:
        if layer[0] in ("conv", "pool"):
            k, s = int(layer[1]), int(layer[2])
            rf, jump = rf + (k - 1) * jump, jump * s
            out.append((k, s, rf))
    return out


def _rf_without_jump(ctx: Context) -> list[tuple[str, Values]]:
    """r = 1 + sum (k - 1): the recurrence without the jump."""
    layers = _vgg_fields(ctx.params)
    return [("", {"vgg16.receptive_field": sp.Integer(1 + sum(k - 1 for k, _, _ in layers))})]


def _rf_input_size(ctx: Context) -> list[tuple[str, Values]]:
    return [("", {"vgg16.receptive_field": sp.Integer(int(ctx.params["input_size"]))})]


def _rf_last_conv(ctx: Context) -> list[tuple[str, Values]]:
    """The receptive field of the last convolution (the final pooling left out)."""
    layers = _vgg_fields(ctx.params)
    kinds = [layer[0] for layer in ctx.params["layers"] if layer[0] in ("conv", "pool")]
    if kinds and kinds[-1] == "pool" and len(layers) > 1:
        return [("", {"vgg16.receptive_field": sp.Integer(layers[-2][2])})]
    return []


# --------------------------------------------------------------------------- adam


def adam_first_steps(*, exchanged: bool = False, bias_correction: bool = True,
                     epsilon_inside: bool = False) -> Values:
    """The Adam quantities of the first two steps (Kingma & Ba 2015,
    Algorithm 1) recomputed with a mistake switched on, in the symbols of
    :mod:`derivations.adam`: exchanged swaps beta and 1 - beta in both moment
    updates, bias_correction=False leaves out the division by 1 - beta^t,
    epsilon_inside puts epsilon under the square root."""
    from derivations import adam as A

    b1, b2, eps, alpha = A.beta_1, A.beta_2, A.epsilon, A.alpha

    def ema(beta, prev, new):
        return ((1 - beta) * prev + beta * new) if exchanged else (beta * prev + (1 - beta) * new)

    def correct(value, beta, t):
        return value / (1 - beta**t) if bias_correction else value

    def ratio(m_hat, v_hat):
        return m_hat / (sp.sqrt(v_hat + eps) if epsilon_inside else sp.sqrt(v_hat) + eps)

    update = A.w_t - alpha * ratio(correct(A.m_t, b1, A.t), correct(A.v_t, b2, A.t))
    m1, v1 = ema(b1, 0, A.g_1), ema(b2, 0, A.g_1**2)
    m2, v2 = ema(b1, m1, A.g_2), ema(b2, v1, A.g_2**2)
    mh1, vh1 = sp.factor(correct(m1, b1, 1)), sp.factor(correct(v1, b2, 1))
    mh2, vh2 = sp.factor(correct(m2, b1, 2)), sp.factor(correct(v2, b2, 2))
    out = {"adam.m_hat_1": mh1, "adam.v_hat_1": vh1, "adam.m_hat_2": mh2, "adam.v_hat_2": vh2,
           "adam.step_1": -alpha * ratio(mh1, vh1), "adam.ratio_2": ratio(mh2, vh2), "adam.update_rule": update}
    return out


def _adam(**switches: bool) -> Callable[[Context], list[tuple[str, Values]]]:
    def transform(ctx: Context) -> list[tuple[str, Values]]:
        return [("", adam_first_steps(**switches))]
    return transform


# --------------------------------------------------------------------------- cnn


def cnn_quantities(params: Mapping[str, Any], *, forward: str = "slope", backward: str = "slope",
                   routing: str = "argmax") -> Values:
    """Max-pooling (2x2, stride 2), LeakyReLU, y = sum W V and the backward
    pass of B1 recomputed from the givens with a mistake switched on: the
    factor applied to negative inputs in the forward and the backward pass
    ("slope", "zero" for ReLU, "one" for the gradient passed unchanged), and
    routing="mean" spreading each window's gradient evenly instead of to its
    arg-max."""
    X = sp.Matrix(params["X"])
    W = sp.Matrix(params["W"])
    slope, upstream = params["slope"], params["dL_dy"]
    rows, cols = X.rows // 2, X.cols // 2
    U = sp.zeros(rows, cols)
    where = {}
    for i in range(rows):
        for j in range(cols):
            window = [(2 * i + a, 2 * j + b) for a in range(2) for b in range(2)]
            best = max(window, key=lambda ij: X[ij])
            U[i, j] = X[best]
            where[(i, j)] = (best, window)
    factor = {"slope": slope, "zero": 0, "one": 1}
    V = U.applyfunc(lambda u: u if u > 0 else factor[forward] * u)
    y = sum(W[i, j] * V[i, j] for i in range(rows) for j in range(cols))
    dV = W * upstream
    dU = sp.Matrix(rows, cols, lambda i, j: dV[i, j] * (1 if U[i, j] > 0 else factor[backward]))
    dX = sp.zeros(X.rows, X.cols)
    for (i, j), (best, window) in where.items():
        if routing == "argmax":
            dX[best] += dU[i, j]
        else:
            for ij in window:
                dX[ij] += dU[i, j] / len(window)
    dalpha = sum(dV[i, j] * U[i, j] for i in range(rows) for j in range(cols) if U[i, j] <= 0)
    return {"cnn.U": sp.ImmutableMatrix(U), "cnn.V": sp.ImmutableMatrix(V), "cnn.y": sp.nsimplify(y),
            "cnn.dL_dV": sp.ImmutableMatrix(dV), "cnn.dL_dU": sp.ImmutableMatrix(dU),
            "cnn.dL_dX": sp.ImmutableMatrix(dX), "cnn.dL_dalpha": dalpha}


def _cnn(**switches: Any) -> Callable[[Context], list[tuple[str, Values]]]:
    def transform(ctx: Context) -> list[tuple[str, Values]]:
        return [("", cnn_quantities(ctx.params, **switches))]
    return transform


# --------------------------------------------------------------------------- autograd, delta rule


def _autograd_exponent_constant(ctx: Context) -> list[tuple[str, Values]]:
    """db/dx with the exponent 4x treated as a constant (power rule only):
    x.grad_i = (5/4) 4x_i a_i^(4x_i - 1)."""
    xs = [sp.nsimplify(v) for v in ctx.params["x"]]
    grads = [sp.Rational(5, 4) * 4 * x * (x + 1) ** (4 * x - 1) for x in xs]
    return [("", {"autograd.x_grad": grads})]


def _autograd_base_constant(ctx: Context) -> list[tuple[str, Values]]:
    """db/dx with the base a treated as a constant: x.grad_i = (5/4) b_i 4 log a_i."""
    xs = [sp.nsimplify(v) for v in ctx.params["x"]]
    grads = [sp.Rational(5, 4) * (x + 1) ** (4 * x) * 4 * sp.log(x + 1) for x in xs]
    return [("", {"autograd.x_grad": grads})]


def _autograd_sum(ctx: Context) -> list[tuple[str, Values]]:
    """y = c.sum() instead of c.mean(): every gradient 4 times too large."""
    grads = ctx.values.get("autograd.x_grad")
    if grads is None:
        return []
    return [("", {"autograd.x_grad": [4 * g for g in grads]})]


def _delta_rule_no_derivative(ctx: Context) -> list[tuple[str, Values]]:
    """The sigmoid's derivative o(1 - o) left out of the update."""
    xs, ws = ctx.params["x"], ctx.params["w"]
    net = sum(sp.nsimplify(w) * sp.nsimplify(x) for w, x in zip(ws, xs))
    o = 1 / (1 + sp.exp(-net))
    t, eta = ctx.params["t_1"], ctx.params["eta"]
    return [("", {"delta_rule.delta_w_values": [sp.nsimplify(eta * (t - o) * sp.nsimplify(x)) for x in xs]})]


# --------------------------------------------------------------------------- the table

#: The error models, tried in this order (single models first, then pairs).
ERROR_MODELS: tuple[ErrorModel, ...] = (
    ErrorModel("swap_inputs", "inputs swapped (x and c exchanged)", ("autodiff",), overrides=_swap_xc),
    ErrorModel("log10", "log base 10 instead of the natural log", transform=_log10),
    ErrorModel("adjoint_sign", "a sign error in one adjoint", ("autodiff",), transform=_adjoint_sign_errors),
    ErrorModel("bias_correction_dropped", "bias correction dropped", ("adam",),
               transform=_adam(bias_correction=False)),
    ErrorModel("beta_exchanged", "beta and 1 - beta exchanged", ("adam",), transform=_adam(exchanged=True)),
    ErrorModel("epsilon_inside_sqrt", "epsilon inside the square root", ("adam",),
               transform=_adam(epsilon_inside=True)),
    ErrorModel("conv_without_input_channels", "convolution parameters without the input channels", ("vgg16",),
               transform=_vgg_no_input_channels),
    ErrorModel("without_biases", "parameters without the biases", ("vgg16",), transform=_vgg_no_biases),
    ErrorModel("flatten_channels_only", "first fully connected layer fed the channels only, not H x W x C",
               ("vgg16",), transform=_vgg_flatten),
    ErrorModel("rf_without_jump", "receptive field without the jump (r = 1 + sum of (k - 1))", ("vgg16",),
               transform=_rf_without_jump, max_partners=0),
    ErrorModel("rf_input_size", "receptive field taken as the input size", ("vgg16",), transform=_rf_input_size,
               max_partners=0),
    ErrorModel("rf_last_conv", "receptive field of the last convolution (the final pooling left out)", ("vgg16",),
               transform=_rf_last_conv, max_partners=0),
    ErrorModel("relu_not_leaky", "ReLU instead of LeakyReLU (the negative slope left out)", ("cnn",),
               transform=_cnn(forward="zero", backward="zero")),
    ErrorModel("slope_not_in_backward", "the LeakyReLU slope left out of the backward pass", ("cnn",),
               transform=_cnn(backward="one")),
    ErrorModel("pool_gradient_spread", "the pooling gradient spread over the window instead of routed to the maximum",
               ("cnn",), transform=_cnn(routing="mean")),
    ErrorModel("exponent_constant", "the exponent 4x treated as a constant (power rule only)", ("autograd",),
               transform=_autograd_exponent_constant, max_partners=0),
    ErrorModel("base_constant", "the base x + 1 treated as a constant (the 4x/a term left out)", ("autograd",),
               transform=_autograd_base_constant, max_partners=0),
    ErrorModel("sum_not_mean", "sum instead of mean (4 times too large)", ("autograd",), transform=_autograd_sum,
               max_partners=0),
    ErrorModel("no_sigmoid_derivative", "the sigmoid's derivative o(1 - o) left out", ("delta_rule",),
               transform=_delta_rule_no_derivative, max_partners=0),
    ErrorModel("sign", "a sign error", transform=_sign, max_partners=0),
)

#: Added to a diagnosis when the value matches only within the rounding of
#: the student's own intermediate values.
ROUNDING_LABEL = "rounding of intermediates"


def register(model: ErrorModel) -> None:
    """Add a model to the table (for problems outside the catalog, or tests)."""
    global ERROR_MODELS
    ERROR_MODELS = ERROR_MODELS + (model,)


def _solve_values(problem: Any, overrides: Mapping[str, Any]) -> tuple[dict, Values] | None:
    try:
        sol = problem.solve(dict(overrides))
    except (UsageError, VerificationError, ValueError):
        return None
    return dict(sol.params), {k: a.value for k, a in sol.answers.items() if a.value is not None}


def _apply(model: ErrorModel, problem: Any, params: Mapping[str, Any], values: Values,
           base: Values) -> list[tuple[str, dict, Values]]:
    """(detail, params, values) after ``model`` on top of (params, values)."""
    if model.overrides is not None:
        overrides = model.overrides(params)
        if not overrides:
            return []
        solved = _solve_values(problem, {**params, **overrides})
        if solved is None:
            return []
        new_params, new_values = solved
        return [("", new_params, new_values)]
    out = []
    for detail, changed in model.transform(Context(problem, params, values, base)):
        if changed:
            out.append((detail, dict(params), {**values, **changed}))
    return out


def variants(problem: Any, solution: Any, models: Iterable[ErrorModel] | None = None) -> list[Variant]:
    """Every single model and every compatible ordered pair (override first)
    that changes at least one answer of ``problem``, solved at the
    solution's parameters. Values keep only the answers that differ from
    the correct ones."""
    table = [m for m in (ERROR_MODELS if models is None else models) if m.applies(problem.id)]
    base_params = dict(solution.params)
    base = {k: a.value for k, a in solution.answers.items() if a.value is not None}
    out: list[Variant] = []
    seen: set[tuple[str, ...]] = set()
    # singles, then pairs in table order (override models come first in the
    # table, so a pair solves at the mistaken givens, then transforms)
    combos: list[tuple[ErrorModel, ...]] = [(m,) for m in table]
    combos += [(a, b) for a, b in itertools.combinations(table, 2)
               if a.max_partners and b.max_partners and b.overrides is None]
    for combo in combos:
        names = tuple(m.name for m in combo)
        if names in seen:
            continue
        seen.add(names)
        states = [("", base_params, base)]
        labels_per_state = [()]
        for model in combo:
            new_states, new_labels = [], []
            for (detail, params, values), labels in zip(states, labels_per_state):
                for d, p, v in _apply(model, problem, params, values, base):
                    new_states.append((d, p, v))
                    label = model.label + (f" ({d})" if d else "")
                    new_labels.append(labels + (label,))
            states, labels_per_state = new_states, new_labels
        for (detail, params, values), labels in zip(states, labels_per_state):
            changed = {k: v for k, v in values.items() if k in base and _differs(v, base[k])}
            if changed:
                out.append(Variant(names, labels, changed))
    return out


def candidates(all_variants: list[Variant], answer_id: str) -> list[tuple[Variant, Any]]:
    """The variants that change ``answer_id``, singles before pairs."""
    hits = [(v, v.values[answer_id]) for v in all_variants if answer_id in v.values]
    hits.sort(key=lambda item: len(item[0].models))
    return hits


def is_finite_number(value: Any) -> bool:
    """True for a closed real sympy number that evaluates to a finite float."""
    if not isinstance(value, sp.Basic) or value.free_symbols:
        return False
    try:
        f = float(sp.N(value, 30))
    except (TypeError, ValueError):
        return False
    return math.isfinite(f)
