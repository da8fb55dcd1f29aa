"""Primal and adjoint evaluation traces of any expression.

The notation is that of Baydin, Pearlmutter, Radul and Siskind (2018),
"Automatic differentiation in machine learning: a survey", JMLR 18(153),
Section 3 and Table 2:

* inputs ``v_{-n+1} = x_1, ..., v_0 = x_n``, in the order the user gives
  them (``--at c=5,x=3`` makes ``v_{-1} = c``, ``v_0 = x``);
* one elementary operation ``v_i`` per node of the expression tree, in
  evaluation order (operands before the operation, in printed order;
  a common subexpression once). A quotient ``a b^{-1}`` is one division,
  ``a + (-1) b`` one subtraction, numbers stay inline (``v_2 = 3 v_1``),
  ``1/(1 + e^{-u})`` is the sigmoid ``\\sigma(u)``;
* the reverse (adjoint) trace ``\\bar v_i = \\partial f / \\partial v_i``
  from ``\\bar v_N = 1`` down to the inputs,
  ``\\bar v_i = \\sum_{k \\text{ child of } i} \\bar v_k \\, \\partial v_k / \\partial v_i``,
  so the inputs' adjoints are the gradient.

Values are exact sympy expressions (``9/\\log 3``), evaluated for display
and JSON through :mod:`engine.math.numbers`. Local partials use the rules of
:mod:`engine.calculus.differentiate`, hence PyTorch's conventions at kinks
(``relu'(0) = 0``, ``|u|' = sign(u)``, an even split at a ``max`` tie).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import sympy as sp
from sympy.core.function import Application, AppliedUndef

from engine.calculus import differentiate as dv
from engine.errors import UsageError
from engine.math.latex import CoursePrinter, to_latex
from engine.model.problem import Parameter, Problem, Solution, Tex

#: Prints an elementary operation with its operands in the order built.
_IN_ORDER = CoursePrinter({"order": "none"})


def _name(i: int) -> str:
    """The id of trace variable i as the catalog writes it: v_-1, v0, v3."""
    return f"v{i}" if i >= 0 else f"v_{i}"


def primal_symbol(i: int) -> sp.Symbol:
    """The symbol ``v_i`` (LaTeX ``v_{i}``; real)."""
    return sp.Symbol(_name(i), real=True)


def adjoint_symbol(i: int) -> sp.Symbol:
    """The symbol ``\\bar v_i`` (text ``vbar3``, LaTeX ``\\bar{v}_{3}``)."""
    return sp.Symbol(_name(i).replace("v", "vbar", 1), real=True)


@dataclass(frozen=True)
class Primal:
    """One line of the forward primal trace.

    index: i (inputs -n+1..0, operations 1..N); operation: for an input the
    input variable, for an operation its expression in earlier ``v_j``
    (evaluated sympy); display: the same built in printed order; operands:
    the indices j it reads; value: exact sympy number."""

    index: int
    operation: sp.Basic
    display: sp.Basic
    operands: tuple[int, ...]
    value: sp.Basic

    @property
    def name(self) -> str:
        return _name(self.index)

    @property
    def latex(self) -> str:
        return f"{to_latex(primal_symbol(self.index))} = {_IN_ORDER.doprint(self.display)}"

    @property
    def text(self) -> str:
        return f"{self.name} = {sp.sstr(self.operation)}"


@dataclass(frozen=True)
class Adjoint:
    """One line of the reverse adjoint trace: ``\\bar v_i`` as the sum over
    its children k of ``\\bar v_k \\partial v_k / \\partial v_i``.

    terms: (k, local partial in the v_j symbols), empty for the output
    (``\\bar v_N = 1``); value: exact sympy number."""

    index: int
    terms: tuple[tuple[int, sp.Basic], ...]
    value: sp.Basic

    @property
    def name(self) -> str:
        return _name(self.index).replace("v", "vbar", 1)

    @property
    def symbolic(self) -> sp.Basic:
        """``\\sum_k \\bar v_k \\, \\partial v_k/\\partial v_i`` in the v symbols."""
        if not self.terms:
            return sp.Integer(1)
        return sp.Add(*[adjoint_symbol(k) * partial for k, partial in self.terms])

    @property
    def latex(self) -> str:
        bar = to_latex(adjoint_symbol(self.index))
        if not self.terms:
            return rf"{bar} = \bar{{f}} = 1"
        sums = " + ".join(
            rf"{to_latex(adjoint_symbol(k))} \frac{{\partial {to_latex(primal_symbol(k))}}}{{\partial {to_latex(primal_symbol(self.index))}}}"
            for k, _ in self.terms
        )
        return f"{bar} = {sums} = {to_latex(self.symbolic)}"

    @property
    def text(self) -> str:
        if not self.terms:
            return f"{self.name} = fbar = 1"
        sums = " + ".join(f"vbar{_name(k)[1:]}*dv{_name(k)[1:]}/d{_name(self.index)}" for k, _ in self.terms)
        return f"{self.name} = {sums} = {sp.sstr(self.symbolic)}"


@dataclass
class EvaluationTrace:
    """The primal and adjoint traces of ``expr`` at ``inputs``.

    primal: inputs then operations (index -n+1..N); adjoint: from the
    output down to the inputs; value: f at the point; gradient: input name
    -> df/dx (exact); output: the index of f (N, or an input's index when
    f is a bare variable)."""

    expr: sp.Expr
    inputs: list[tuple[sp.Symbol, sp.Basic]]
    primal: list[Primal]
    adjoint: list[Adjoint]
    output: int
    solution: Solution | None = field(default=None, repr=False)

    @property
    def output_name(self) -> str:
        """The id of the variable that holds f (``v6``)."""
        return _name(self.output)

    @property
    def value(self) -> sp.Basic:
        return next(p.value for p in self.primal if p.index == self.output)

    @property
    def gradient(self) -> dict[str, sp.Basic]:
        by_index = {a.index: a.value for a in self.adjoint}
        n = len(self.inputs)
        return {str(s): by_index[i - n + 1] for i, (s, _) in enumerate(self.inputs)}

    def to_json(self) -> dict:
        """``{"value", "primal": [{name, latex, value}], "adjoint": [...], "gradient": {x: number}}``."""
        from engine.math.numbers import to_json

        return {
            "value": to_json(self.value),
            "primal": [{"name": p.name, "latex": p.latex, "value": to_json(p.value)} for p in self.primal],
            "adjoint": [{"name": a.name, "latex": a.latex, "value": to_json(a.value)} for a in self.adjoint],
            "gradient": {name: to_json(v) for name, v in self.gradient.items()},
        }


# --------------------------------------------------------------------------- elementary operations

Visit = Callable[[sp.Basic], sp.Basic]


def _term_key(term: sp.Basic) -> tuple:
    """Numbers last; before them positive terms first, compound before variables."""
    coeff, rest = term.as_coeff_Mul()
    return (not term.free_symbols, bool(coeff.is_negative), rest.is_Symbol)


def _factor_key(factor: sp.Basic) -> int:
    """Factors with fewer subtractions first: (u + c)(u - c)."""
    return sum(1 for t in sp.Add.make_args(factor) if t.as_coeff_Mul()[0].is_negative)


def _add(node: sp.Add, visit: Visit) -> sp.Basic:
    terms = sorted(node.as_ordered_terms(), key=_term_key)
    parts = []
    for term in terms:
        if not term.free_symbols:
            parts.append(term)
            continue
        coeff, rest = term.as_coeff_Mul()
        v = visit(rest)
        parts.append(v if coeff == 1 else sp.Mul(coeff, v, evaluate=False))
    return sp.Add(*parts, evaluate=False)


def _is_denominator(factor: sp.Basic) -> bool:
    return isinstance(factor, sp.Pow) and factor.exp.is_number and bool(factor.exp.is_negative) and bool(factor.base.free_symbols)


def _mul(node: sp.Mul, visit: Visit) -> sp.Basic:
    coeff, rest = node.as_coeff_Mul()
    if coeff != 1 and isinstance(rest, sp.Mul):  # -x y: v_2 = x y, v_3 = -v_2 (x y may be shared)
        return sp.Mul(coeff, visit(rest), evaluate=False)
    factors = sorted(node.as_ordered_factors(), key=_factor_key)
    constant = sp.Mul(*[f for f in factors if not f.free_symbols])
    num = [visit(f) for f in factors if f.free_symbols and not _is_denominator(f)]
    den = [visit(f.base ** (-f.exp)) for f in factors if _is_denominator(f)]
    parts = ([constant] if constant != 1 else []) + num
    numerator = sp.Mul(*parts, evaluate=False) if len(parts) > 1 else (parts[0] if parts else sp.Integer(1))
    if not den:
        return numerator
    denominator = sp.Mul(*den, evaluate=False) if len(den) > 1 else den[0]
    reciprocal = sp.Pow(denominator, -1, evaluate=False)
    return reciprocal if numerator == 1 else sp.Mul(numerator, reciprocal, evaluate=False)


def _pow(node: sp.Pow, visit: Visit) -> sp.Basic:
    base = visit(node.base) if node.base.free_symbols else node.base
    exp = visit(node.exp) if node.exp.free_symbols else node.exp
    return sp.Pow(base, exp, evaluate=False)


def _function(node: Application, visit: Visit) -> sp.Basic:
    return node.func(*[visit(a) if a.free_symbols else a for a in node.args])


#: Node type -> builder of its elementary operation (operands visited first).
OPERATIONS: dict[type, Callable[[sp.Basic, Visit], sp.Basic]] = {
    sp.Add: _add,
    sp.Mul: _mul,
    sp.Pow: _pow,
}


def _builder(node: sp.Basic) -> Callable[[sp.Basic, Visit], sp.Basic]:
    if type(node) in OPERATIONS:
        return OPERATIONS[type(node)]
    if isinstance(node, Application):
        return _function
    raise UsageError(f"derive trace has no elementary operation for {type(node).__name__} ({sp.sstr(node)})")


# --------------------------------------------------------------------------- the traces


def evaluation_trace(expr: sp.Expr, inputs: Sequence[tuple[sp.Symbol, sp.Basic]]) -> EvaluationTrace:
    """The forward primal and reverse adjoint traces of ``expr`` (prepared,
    see :func:`engine.calculus.differentiate.prepare`) at ``inputs``, a list of
    (variable, exact value) in the order of v_{-n+1}..v_0, which must name
    every variable of ``expr`` once.

    Raises UsageError when an input is missing or unused, when an operation
    is not a finite real number at the point (log of a negative number,
    a division by zero), or for a node with no elementary operation."""
    from engine.math import numbers

    inputs = list(inputs)
    symbols = [s for s, _ in inputs]
    missing = sorted(str(s) for s in expr.free_symbols - set(symbols))
    if missing:
        raise UsageError(f"--at gives no value for {', '.join(missing)}; give every variable, e.g. --at {missing[0]}=1")
    unused = [str(s) for s in symbols if s not in expr.free_symbols]
    if unused:
        raise UsageError(f"--at {unused[0]}: the expression has no variable {unused[0]!r}; its variables: "
                         + ", ".join(sorted(str(s) for s in expr.free_symbols)))
    expr, _ = dv.recognise(expr)
    n = len(inputs)
    index: dict[sp.Basic, int] = {}
    values: dict[sp.Symbol, sp.Basic] = {}
    primal: list[Primal] = []
    for i, (s, value) in enumerate(inputs):
        k = i - n + 1
        index[s] = k
        values[primal_symbol(k)] = value
        primal.append(Primal(k, s, s, (), value))

    def visit(node: sp.Basic) -> sp.Basic:
        if node in index:
            return primal_symbol(index[node])
        display = _builder(node)(node, visit)
        if node in index:  # pragma: no cover - a node cannot contain itself
            return primal_symbol(index[node])
        k = len(primal) - n + 1
        operation = dv.rebuild(display)
        operands = tuple(sorted({int(_index_of(s)) for s in operation.free_symbols}))
        value = dv.expand_functions(operation.xreplace(values))
        _check_finite(value, k, inputs)
        index[node] = k
        values[primal_symbol(k)] = value
        primal.append(Primal(k, operation, display, operands, value))
        return primal_symbol(k)

    output = _index_of(visit(expr))
    children: dict[int, list[tuple[int, sp.Basic]]] = {p.index: [] for p in primal}
    for p in primal[n:]:
        for j in p.operands:
            children[j].append((p.index, dv.derivative(p.operation, primal_symbol(j))))
    adjoint: list[Adjoint] = []
    adjoint_values: dict[int, sp.Basic] = {}
    for p in sorted(primal, key=lambda q: -q.index):
        if p.index > output:  # pragma: no cover - operations after the output do not exist
            continue
        if p.index == output:
            terms, value = (), sp.Integer(1)
        else:
            terms = tuple(sorted(children[p.index]))
            value = sp.Add(*[adjoint_values[k] * dv.expand_functions(partial.xreplace(values)) for k, partial in terms])
        _check_finite(value, p.index, inputs, adjoint=True)
        adjoint_values[p.index] = value
        adjoint.append(Adjoint(p.index, terms, value))
    numbers.evaluate(adjoint_values[output])
    return EvaluationTrace(expr, inputs, primal, adjoint, output)


def _index_of(symbol: sp.Symbol) -> int:
    return int(symbol.name[1:].replace("_", ""))


def _check_finite(value: sp.Basic, k: int, inputs, adjoint: bool = False) -> None:
    from engine.math import numbers

    unknown = sorted({str(f.func) for f in value.atoms(AppliedUndef)})
    if unknown:
        raise UsageError(f"{_name(k)} has no value: {', '.join(unknown)} is a function without a definition")
    try:
        numbers.evaluate(value)
    except ValueError:
        where = ", ".join(f"{s} = {numbers.format_number(v, 15)}" for s, v in inputs)
        what = f"the adjoint of {_name(k)}" if adjoint else _name(k)
        raise UsageError(f"{what} is not a finite real number at {where}") from None


def trace_solution(trace: EvaluationTrace) -> Solution:
    """The traces as a :class:`engine.model.problem.Solution` for the renderer:
    part (a) the primal trace table, part (b) the adjoint trace table, the
    answers ``trace.f`` and ``trace.gradient.<variable>``."""
    names = [str(s) for s, _ in trace.inputs]
    params = tuple(Parameter(str(s), v, latex=to_latex(s)) for s, v in trace.inputs)
    answer_ids = ("trace.f",) + tuple(f"trace.gradient.{name}" for name in names)
    f_sym = primal_symbol(trace.output)

    def solve(sol: Solution) -> None:
        at = ", ".join(f"${to_latex(s)} = {sol.latex(str(s))}$" for s, _ in trace.inputs)
        sol.statement(f"Evaluate $f = {to_latex(trace.expr)}$ at {at} by reverse-mode automatic differentiation: "
                      "the forward primal trace, then the reverse adjoint trace "
                      "(Baydin et al. 2018, JMLR 18(153), Table 2).")
        with sol.part("a", "Forward primal trace") as part:
            rows = [[Tex(p.latex), p.value] for p in trace.primal]
            rows.append([Tex(f"f = {to_latex(f_sym)}"), trace.value])
            first = to_latex(primal_symbol(1 - len(names)))
            part.table(["Forward primal trace", "value"], rows,
                       caption=f"Inputs ${first}, \\dots, v_{{0}}$ in the order given, then one elementary operation per line.")
            part.answer("trace.f", trace.value, label="f")
        with sol.part("b", "Reverse adjoint trace") as part:
            part.table([r"Reverse adjoint trace", "value"], [[Tex(a.latex), a.value] for a in trace.adjoint],
                       caption=r"$\bar{v}_i = \partial f / \partial v_i$, the sum over the children of $v_i$.")
            for (s, _), name in zip(trace.inputs, names):
                part.answer(f"trace.gradient.{name}", trace.gradient[name],
                            label=rf"\frac{{\partial f}}{{\partial {to_latex(s)}}}")

    problem = Problem("trace", "Evaluation traces", "", params, answer_ids, solve)
    trace.solution = problem.solve()
    return trace.solution
