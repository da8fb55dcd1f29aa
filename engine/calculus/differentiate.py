"""Step-by-step derivatives of any expression, every step verified.

A derivative is written the way a student writes it: the rule of the
outermost operation first, keeping the derivatives of the inner parts
unevaluated (``sympy.Derivative``), then those inner derivatives expanded,
outer to inner, and finally the elementary ones evaluated, one rule at a
time (all places where the same rule applies in one line)::

    d/dx(x^2/log x)
      = (log x d/dx(x^2) - x^2 d/dx(log x)) / log^2 x     quotient rule
      = (log x d/dx(x^2) - x) / log^2 x                   derivative of log
      = (2 x log x - x) / log^2 x                         power rule

The rules are data: :data:`RULES` maps a sympy node type to the rules that
may apply to it, tried in order (latexify's ``BIN_OP_RULES`` style). A node
without a rule gets one plain step, "derivative of f" (sympy's own
derivative of that function), never an error. Every line is proven equal to
the one before it by :func:`engine.model.verify.prove_equal`, and the result to
``sympy.diff`` of the input.

Conventions at kinks are PyTorch's (torch 2.x autograd, checked against it
in the tests): ``relu'(0) = 0`` (``torch.relu``); ``d|u|/du = sign(u)``,
so 0 at 0 (``torch.abs``); ``max(a, b)`` splits the gradient evenly at a
tie, ``H(0) = 1/2`` in ``d max(a,b) = H(a-b) da + H(b-a) db``
(``torch.maximum``; ``torch.clamp`` differs), likewise ``min`` (with
more than two arguments sympy's partials ``H(a_i - max of the others)``
give each of the tied ones 1/2); the Heaviside step and ``sign`` have
derivative 0 (``torch.sign``; PyTorch has no backward for
``torch.heaviside``; sympy's answer is a Dirac delta, 0 away from the jump).

The sigmoid ``1/(1 + e^{-u})`` is recognised and written ``\\sigma(u)``,
``max(0, u)`` is written ``ReLU(u)`` (a LaTeX parser reads
``\\operatorname{ReLU}(u)`` as ``max(0, u)``; its derivative at 0 is then 0
as in ``torch.relu``, while other ``max`` ties split evenly);
:data:`FUNCTION_DEFINITIONS` says what ``\\sigma`` and ``ReLU`` mean when a
step is verified or a value computed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import sympy as sp
from sympy.core.function import AppliedUndef

from engine.errors import UsageError, VerificationError
from engine.model.problem import Derivation, Parameter, Problem, Solution
from engine.math.latex import to_latex
from engine.model.verify import Context, NotEqual, prove_equal

_T = sp.Dummy("t", real=True)

#: The logistic sigmoid, printed ``\sigma``.
SIGMA = sp.Function("sigma")
#: The rectified linear unit, printed ``\operatorname{ReLU}``.
RELU = sp.Function("ReLU")

#: What the course's named functions mean (substituted to verify a step or
#: compute a value): sigma(t) = 1/(1 + e^{-t}), ReLU(t) = max(0, t).
FUNCTION_DEFINITIONS = {
    SIGMA: sp.Lambda(_T, 1 / (1 + sp.exp(-_T))),
    RELU: sp.Lambda(_T, sp.Max(0, _T)),
}

#: Names of undefined functions as a LaTeX parser may give them
#: (``\sigma(x)``, ``\operatorname{ReLU}(x)``), lower-cased, -> our function.
NAMED_FUNCTIONS = {"sigma": SIGMA, "sigmoid": SIGMA, "relu": RELU, "sign": sp.sign, "sgn": sp.sign}


# --------------------------------------------------------------------------- input


def _function_key(name: str) -> str:
    name = re.sub(r"\\(?:operatorname|text|mathrm|mathit)\s*\{([^}]*)\}", r"\1", name)
    return re.sub(r"[\\{}\s]", "", name).lower()


def rebuild(expr: sp.Basic) -> sp.Basic:
    """Rebuild ``expr`` bottom-up with evaluation on: real symbols of the
    same names, exact rationals for floats, named functions mapped by
    :data:`NAMED_FUNCTIONS`."""
    if isinstance(expr, sp.Symbol):
        return sp.Symbol(expr.name, real=True)
    if isinstance(expr, sp.Float):
        from engine.model.problem import parse_number

        return parse_number(str(expr))
    if not expr.args:
        return expr
    args = [rebuild(a) for a in expr.args]
    if isinstance(expr, AppliedUndef):
        func = NAMED_FUNCTIONS.get(_function_key(str(expr.func)), expr.func)
        return func(*args)
    return expr.func(*args)


def _sigmoid_argument(expr: sp.Basic) -> sp.Basic | None:
    """u when ``expr`` is ``1 + e^{-u}`` (the sigmoid's denominator), else None."""
    if not isinstance(expr, sp.Add) or len(expr.args) != 2 or sp.Integer(1) not in expr.args:
        return None
    other = expr.args[0] if expr.args[1] == 1 else expr.args[1]
    if isinstance(other, sp.exp):
        return -other.args[0]
    return None


#: Recognitions of the course's named functions, each (name of the rewriting, test).
SIGMOID_WRITTEN = "write 1/(1 + exp(-u)) as the sigmoid sigma(u)"
RELU_WRITTEN = "write max(0, u) as ReLU(u) (derivative 0 at u = 0, as torch.relu)"


def _recognise(expr: sp.Basic, found: set[str]) -> sp.Basic:
    if not expr.args:
        return expr
    args = [_recognise(a, found) for a in expr.args]
    if isinstance(expr, sp.Pow) and args[1].is_Integer and args[1] < 0:
        u = _sigmoid_argument(args[0])
        if u is not None:
            found.add(SIGMOID_WRITTEN)
            return SIGMA(u) ** (-args[1])
    if isinstance(expr, sp.Max) and len(args) == 2 and sp.Integer(0) in args:
        found.add(RELU_WRITTEN)
        return RELU(args[1] if args[0] == 0 else args[0])
    return expr.func(*args)


def recognise(expr: sp.Basic) -> tuple[sp.Basic, list[str]]:
    """``expr`` with every ``(1 + e^{-u})^{-k}`` written ``\\sigma(u)^k`` and
    every ``max(0, u)`` written ``ReLU(u)`` (so its derivative at 0 is
    torch.relu's 0, not torch.maximum's 1/2), and the rewritings made."""
    found: set[str] = set()
    out = _recognise(expr, found)
    return out, [r for r in (SIGMOID_WRITTEN, RELU_WRITTEN) if r in found]


def _finite_sum(expr: sp.Basic) -> bool:
    return isinstance(expr, (sp.Sum, sp.Product)) and all(b.is_number for lim in expr.limits for b in lim[1:])


def prepare(expr: sp.Basic, what: str = "expression") -> sp.Expr:
    """The canonical form of a parsed expression: evaluated, real symbols,
    exact numbers, named functions mapped, sums with numeric bounds written
    out. Raises UsageError when it is not a scalar expression (an equation,
    a matrix, a truth value), or has a derivative or a sum with symbolic
    bounds in it."""
    if isinstance(expr, sp.Tuple) and len(expr) == 1:  # "(x)" read as a 1-tuple
        expr = expr[0]
    if isinstance(expr, sp.Equality):
        raise UsageError(f"the {what} is an equation; give only the right-hand side, e.g. 'x^2' for 'f(x) = x^2'")
    if not isinstance(expr, sp.Expr) or isinstance(expr, sp.MatrixBase) or expr.has(sp.MatrixBase, sp.MatrixExpr):
        # x times a matrix is a MatMul: an Expr, yet no scalar (issue 14)
        raise UsageError(f"the {what} is not a scalar expression ({type(expr).__name__}); write one like '\\frac{{x^2}}{{\\log x}}'")
    if expr.has(sp.Derivative) or any(type(f).__name__ == "Partial" for f in expr.atoms(sp.Function)):
        raise UsageError(f"the {what} contains a derivative; write the function itself, e.g. 'x^2 \\sin x'")
    expr = expr.replace(_finite_sum, lambda e: e.doit())  # sum_{i=1}^{3} x^i -> x + x^2 + x^3
    if expr.has(sp.Sum, sp.Product, sp.Integral):
        raise UsageError(f"the {what} has a sum, product or integral with symbolic bounds; write the terms out")
    return rebuild(expr)


def stand_ins(expr: sp.Basic) -> dict:
    """For the verification of a step only: each function without a
    definition in ``expr`` (a user's ``f``, ``g``) -> a fixed smooth function
    of as many arguments, ``f(t_1, ..., t_n) = sum_i sin(i t_i/3) + t_i^2/5``.
    A step holds for every differentiable f, so it must hold for this one;
    the stand-in lets the numeric spot check run (and see through a kink)."""
    out = {}
    for applied in expr.atoms(AppliedUndef):
        if applied.func in FUNCTION_DEFINITIONS or applied.func in out:
            continue
        ts = sp.symbols(f"t1:{len(applied.args) + 1}", cls=sp.Dummy, real=True)
        out[applied.func] = sp.Lambda(ts, sp.Add(*[sp.sin((i + 1) * t / 3) + t**2 / 5 for i, t in enumerate(ts)]))
    return out


def definitions_context(seed: int = 20181) -> Context:
    """A verification context knowing :data:`FUNCTION_DEFINITIONS`."""
    return Context(definitions=dict(FUNCTION_DEFINITIONS), seed=seed)


def expand_functions(expr: sp.Basic) -> sp.Basic:
    """``expr`` with sigma and ReLU written out, derivatives done."""
    return definitions_context().expand_definitions(expr)


# --------------------------------------------------------------------------- rules


class _Pending:
    """Collects the unevaluated inner derivatives a rule leaves behind."""

    def __init__(self, x: sp.Symbol):
        self.x = x
        self.created: list[sp.Derivative] = []

    def __call__(self, u: sp.Basic) -> sp.Basic:
        """du/dx: 0 and 1 at once, otherwise kept unevaluated."""
        if self.x not in u.free_symbols:
            return sp.Integer(0)
        if u == self.x:
            return sp.Integer(1)
        d = sp.Derivative(u, self.x)
        self.created.append(d)
        return d


def _always(expr: sp.Basic, x: sp.Symbol) -> bool:
    return True


@dataclass(frozen=True)
class Rule:
    """A differentiation rule.

    name: the rule as a student names it ("product rule"); the name of a
    rule with a kink states the value used there. rewrite(expr, x, d): the
    derivative of ``expr`` in x, written with ``d(u)`` for the derivative of
    an inner part u (kept unevaluated for a later line). applies(expr, x):
    whether the rule fits this node (the rules of one node type are tried in
    order). inner(expr): the argument the chain rule goes through, when
    there is one; the name then says "chain rule" unless it is x itself."""

    name: str
    rewrite: Callable[[sp.Basic, sp.Symbol, _Pending], sp.Basic]
    applies: Callable[[sp.Basic, sp.Symbol], bool] = _always
    inner: Callable[[sp.Basic], sp.Basic] | None = None

    def label(self, expr: sp.Basic, x: sp.Symbol) -> str:
        """The name shown for this node: with the chain rule when it applies."""
        if self.inner is None or self.inner(expr) == x:
            return self.name
        if self.name == "power rule":
            return "power rule and chain rule"
        return f"chain rule, {self.name}"


def _split_constant(expr: sp.Mul, x: sp.Symbol) -> tuple[sp.Basic, sp.Basic]:
    return expr.as_independent(x, as_Add=False)


def _constant_multiple(expr: sp.Mul, x: sp.Symbol, d: _Pending) -> sp.Basic:
    constant, rest = _split_constant(expr, x)
    return constant * d(rest)


def _is_denominator(factor: sp.Basic) -> bool:
    return isinstance(factor, sp.Pow) and factor.exp.is_number and bool(factor.exp.is_negative)


def _quotient(expr: sp.Mul, x: sp.Symbol, d: _Pending) -> sp.Basic:
    num = sp.Mul(*[f for f in expr.args if not _is_denominator(f)])
    den = sp.Mul(*[f.base ** (-f.exp) for f in expr.args if _is_denominator(f)])
    return (d(num) * den - num * d(den)) / den**2


def _product(expr: sp.Mul, x: sp.Symbol, d: _Pending) -> sp.Basic:
    factors = list(expr.args)
    return sp.Add(*[d(f) * sp.Mul(*(factors[:i] + factors[i + 1:])) for i, f in enumerate(factors)])


def _unary(outer: Callable[[sp.Basic], sp.Basic]) -> Callable:
    def rewrite(expr, x, d):
        u = expr.args[0]
        return outer(u) * d(u)

    return rewrite


def _by_arguments(expr: sp.Basic, x: sp.Symbol, d: _Pending) -> sp.Basic:
    """sum_i (d f / d arg_i) d(arg_i), with sympy's partials (``fdiff``)."""
    return sp.Add(*[expr.fdiff(i + 1) * d(a) for i, a in enumerate(expr.args) if x in a.free_symbols])


def _zero(expr, x, d) -> sp.Basic:
    return sp.Integer(0)


#: Elementary functions of one argument: node type -> (name, f'(u)).
ELEMENTARY = {
    sp.exp: ("derivative of exp", lambda u: sp.exp(u)),
    sp.log: ("derivative of log", lambda u: 1 / u),
    sp.sin: ("derivative of sin", lambda u: sp.cos(u)),
    sp.cos: ("derivative of cos", lambda u: -sp.sin(u)),
    sp.tan: ("derivative of tan", lambda u: 1 + sp.tan(u) ** 2),
    sp.sinh: ("derivative of sinh", lambda u: sp.cosh(u)),
    sp.cosh: ("derivative of cosh", lambda u: sp.sinh(u)),
    sp.tanh: ("derivative of tanh", lambda u: 1 - sp.tanh(u) ** 2),
    sp.atan: ("derivative of arctan", lambda u: 1 / (1 + u**2)),
    SIGMA: ("derivative of the sigmoid", lambda u: SIGMA(u) * (1 - SIGMA(u))),
    RELU: ("derivative of ReLU (0 at 0, as torch.relu)", lambda u: sp.Heaviside(u, 0)),
    sp.Abs: ("derivative of |u| (sign(0) = 0, as torch.abs)", lambda u: sp.sign(u)),
}

#: Node type -> the rules that may apply, tried in order.
RULES: dict[type, tuple[Rule, ...]] = {
    sp.Add: (Rule("sum rule", lambda e, x, d: sp.Add(*[d(t) for t in e.args])),),
    sp.Mul: (
        Rule("constant multiple", _constant_multiple, applies=lambda e, x: _split_constant(e, x)[0] != 1),
        Rule("quotient rule", _quotient, applies=lambda e, x: any(_is_denominator(f) for f in e.args)),
        Rule("product rule", _product),
    ),
    sp.Pow: (
        Rule("power rule", lambda e, x, d: e.exp * e.base ** (e.exp - 1) * d(e.base),
             applies=lambda e, x: x not in e.exp.free_symbols, inner=lambda e: e.base),
        Rule("exponential rule", lambda e, x, d: e * sp.log(e.base) * d(e.exp),
             applies=lambda e, x: x not in e.base.free_symbols, inner=lambda e: e.exp),
        Rule("general power rule (u^v = exp(v log u))",
             lambda e, x, d: e * (d(e.exp) * sp.log(e.base) + e.exp * d(e.base) / e.base)),
    ),
    sp.Max: (Rule("derivative of max (a tie splits the gradient evenly, as torch.maximum)", _by_arguments),),
    sp.Min: (Rule("derivative of min (a tie splits the gradient evenly, as torch.minimum)", _by_arguments),),
    sp.Heaviside: (Rule("derivative of the Heaviside step (0, also at the jump)", _zero),),
    sp.sign: (Rule("derivative of sign (0, also at 0, as torch.sign)", _zero),),
    **{f: (Rule(name, _unary(outer), inner=lambda e: e.args[0]),) for f, (name, outer) in ELEMENTARY.items()},
}


def _no_rule(expr: sp.Basic, x: sp.Symbol, d: _Pending) -> sp.Basic:
    """A node without a rule: sympy's partials of a function (the chain rule
    through each argument), or sympy's derivative of the node whole."""
    if isinstance(expr, sp.Function):
        try:
            return _by_arguments(expr, x, d)
        except sp.ArgumentIndexError:  # no partial for some argument
            return sp.diff(expr, x)
    return sp.diff(expr, x)


def rule_for(expr: sp.Basic, x: sp.Symbol) -> tuple[str, Callable]:
    """The name and rewrite of the rule that differentiates ``expr`` in x;
    "derivative of f" with sympy's derivative for a node without a rule."""
    if x not in expr.free_symbols:
        return "constant rule", _zero
    if expr == x:
        return "derivative of the variable", lambda e, x_, d: sp.Integer(1)
    for rule in RULES.get(type(expr), ()):
        if rule.applies(expr, x):
            return rule.label(expr, x), rule.rewrite
    name = getattr(expr.func, "__name__", type(expr).__name__)
    return f"derivative of {name}", _no_rule


# --------------------------------------------------------------------------- steps


def _reading_order(expr: sp.Basic) -> Iterator[sp.Basic]:
    """Nodes of ``expr`` in preorder, children in printed order."""
    yield expr
    if isinstance(expr, sp.Add):
        children = expr.as_ordered_terms()
    elif isinstance(expr, sp.Mul):
        children = expr.as_ordered_factors()
    else:
        children = expr.args
    for child in children:
        yield from _reading_order(child)


@dataclass(frozen=True)
class _Planned:
    node: sp.Derivative
    rule: str
    replacement: sp.Basic
    created: tuple[sp.Derivative, ...]


def _plan(node: sp.Derivative) -> _Planned:
    (x, _count), = node.variable_count
    pending = _Pending(x)
    rule, rewrite = rule_for(node.expr, x)
    return _Planned(node, rule, rewrite(node.expr, x, pending), tuple(pending.created))


def derivative_steps(expr: sp.Expr, x: sp.Symbol, max_steps: int = 200) -> list[tuple[str, sp.Basic]]:
    """The lines of d expr / dx after the left-hand side ``Derivative(expr, x)``:
    ``[(rule name, expression), ...]``, not verified (see :func:`differentiate`).

    Each line applies one rule: the rule of the first unevaluated
    derivative (in reading order) that leaves inner derivatives, applied to
    every unevaluated derivative it fits; when only elementary derivatives
    are left, each rule evaluates all of its own in one line."""
    start = sp.Derivative(expr, x)
    current: sp.Basic = start
    pending = {start}
    steps: list[tuple[str, sp.Basic]] = []
    for _ in range(max_steps):
        seen: list[sp.Derivative] = []
        for node in _reading_order(current):
            if node in pending and node not in seen:
                seen.append(node)
        if not seen:
            return steps
        planned = [_plan(n) for n in seen]
        rule = ([p for p in planned if p.created] or planned)[0].rule
        batch = [p for p in planned if p.rule == rule]
        current = current.xreplace({p.node: p.replacement for p in batch})
        pending = (pending - {p.node for p in batch}) | {c for p in batch for c in p.created}
        steps.append((rule, current))
    raise VerificationError(f"the derivative of {expr} did not finish in {max_steps} lines")  # pragma: no cover


def derivative(expr: sp.Expr, x: sp.Symbol) -> sp.Basic:
    """d expr / dx by the rules of :data:`RULES` (with their kink
    conventions), without the intermediate lines or simplification."""
    steps = derivative_steps(expr, x)
    return steps[-1][1] if steps else sp.Derivative(expr, x)


# --------------------------------------------------------------------------- verified derivation


@dataclass
class Differentiation:
    """A verified step-by-step derivative.

    expr: the input (prepared); wrt: the variable; derivation: the chain
    ``d expr/dx = ... `` with every line proven; derivative: its last line;
    value: the derivative at ``point`` (exact sympy number) or None;
    solution: the same as a :class:`engine.model.problem.Solution` for the
    renderer (answers ``diff.derivative`` and, with a point, ``diff.value``)."""

    expr: sp.Expr
    wrt: sp.Symbol
    derivation: Derivation
    derivative: sp.Basic
    value: sp.Basic | None
    point: list[tuple[sp.Symbol, sp.Rational]]
    solution: Solution

    def to_json(self) -> dict:
        """``{"derivative": latex, "value": number | null, "steps": [{"rule", "latex"}]}``."""
        from engine.math import numbers

        return {
            "derivative": to_latex(self.derivative),
            "value": numbers.to_json(self.value) if self.value is not None else None,
            "steps": [{"rule": s.rule, "latex": s.latex} for s in self.derivation.steps],
        }

    def _repr_markdown_(self) -> str:
        """Jupyter: the derivation as Markdown with ``$$`` math and the boxed result."""
        return self.solution._repr_markdown_()

    def _repr_latex_(self) -> str:
        """nbconvert: the derivation as a LaTeX fragment."""
        return self.solution._repr_latex_()


#: Cheap rewritings tried on the last line (sympy's simplify only on short lines: it can take minutes).
SIMPLIFIERS = (sp.together, sp.factor_terms, sp.factor)
#: Operations up to which sympy's simplify is tried as well.
SIMPLIFY_OPS = 30


def _simplify_step(result: sp.Basic) -> sp.Basic | None:
    """The shortest of :data:`SIMPLIFIERS` (and ``simplify`` on a short
    line) when it is clearly shorter (at most 3/4 of the operations) and
    uses no function the line does not (no tanh turned into cosh), else None."""
    ops = sp.count_ops(result)
    if ops > 400:
        return None
    kinds = {type(f) for f in result.atoms(sp.Function)}
    candidates = [fn(result) for fn in SIMPLIFIERS]
    if ops <= SIMPLIFY_OPS:
        candidates.append(sp.simplify(result))
    candidates = [c for c in candidates if not {type(f) for f in c.atoms(sp.Function)} - kinds]
    best = min(candidates, key=sp.count_ops, default=None)
    if best is None or best == result or 4 * sp.count_ops(best) > 3 * ops:
        return None
    return best


def value_at(expr: sp.Basic, point: Sequence[tuple[sp.Symbol, sp.Basic]], what: str) -> sp.Basic:
    """The exact value of ``expr`` at ``point``; UsageError when a variable
    has no value or the value is not a finite real number."""
    from engine.math import numbers

    expanded = expand_functions(expr)
    unknown = sorted({str(f.func) for f in expanded.atoms(AppliedUndef)})
    if unknown:
        raise UsageError(f"the {what} involves {', '.join(unknown)}, a function without a definition, "
                         "so it has no value at the point")
    kept = sorted({str(type(d.expr).__name__) for d in expanded.atoms(sp.Derivative)})
    if kept:
        raise UsageError(f"sympy has no derivative of {', '.join(kept)}, so the {what} has no value at the point")
    value = expanded.xreplace(dict(point))
    if value.free_symbols:
        missing = ", ".join(sorted(str(s) for s in value.free_symbols))
        raise UsageError(f"--at gives no value for {missing}; give every variable, e.g. --at {missing.split(', ')[0]}=1")
    where = ", ".join(f"{s} = {numbers.format_number(v, 15)}" for s, v in point)
    try:
        numbers.evaluate(value)
    except ValueError:
        raise UsageError(f"the {what} is not a finite real number at {where}") from None
    return value


def differentiate(expr: sp.Expr, wrt: sp.Symbol, point: Sequence[tuple[sp.Symbol, sp.Rational]] = ()) -> Differentiation:
    """Differentiate ``expr`` (a prepared scalar expression, see
    :func:`prepare`) in ``wrt`` step by step, every line verified, the
    result checked against ``sympy.diff``; with ``point`` ([(symbol,
    exact value)], every free symbol) also the derivative's value there.

    Raises UsageError for a point that misses a variable or where the
    derivative is not finite; VerificationError if a line does not follow
    (a bug in a rule, never the user's fault)."""
    point = list(point)
    lhs = sp.Derivative(expr, wrt)
    recognised, rewritings = recognise(expr)
    lines = [("; ".join(rewritings), sp.Derivative(recognised, wrt))] if rewritings else []
    lines += derivative_steps(recognised, wrt)
    simpler = _simplify_step(lines[-1][1]) if lines else None
    if simpler is not None:
        lines.append(("simplify", simpler))

    params = tuple(Parameter(str(s), v, latex=to_latex(s)) for s, v in point)
    answer_ids = ("diff.derivative",) + (("diff.value",) if point else ())
    holder: dict = {}

    def solve(sol: Solution) -> None:
        sol.definitions.update({**FUNCTION_DEFINITIONS, **stand_ins(expr)})
        at = ", ".join(f"${to_latex(s)} = {sol.latex(str(s))}$" for s, _ in point)
        sol.statement(f"Differentiate $f = {to_latex(expr)}$ with respect to ${to_latex(wrt)}$"
                      + (f" and evaluate the derivative at {at}." if point else "."))
        with sol.part("a", "The derivative, step by step") as part:
            d = part.derivation(lhs)
            for rule, line in lines:
                d.step(line, rule)
            reference = sp.diff(expand_functions(expr), wrt)
            try:
                prove_equal(d.result, reference, d.context)
            except NotEqual as exc:
                raise VerificationError(f"derive diff: the result differs from sympy.diff: {exc}") from None
            label = (r"\frac{\partial f}{\partial %s}" if len(expr.free_symbols) > 1 else r"\frac{df}{d%s}") % to_latex(wrt)
            part.answer("diff.derivative", d.result, label=label)
            holder["derivation"] = d
            if point:
                values = {s: sol[str(s)] for s, _ in point}
                value = value_at(d.result, list(values.items()), "derivative")
                holder["value"] = value
                part.answer("diff.value", value, label=rf"\left.{label}\right|_{{{', '.join(f'{to_latex(s)} = {sol.latex(str(s))}' for s in values)}}}")

    problem = Problem("diff", "Derivative, step by step", "", params, answer_ids, solve)
    sol = problem.solve()
    d = holder["derivation"]
    return Differentiation(expr, wrt, d, d.result, holder.get("value"), point, sol)
