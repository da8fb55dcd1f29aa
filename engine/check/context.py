"""What each problem of the catalog defines, for the answer checker.

:data:`PROBLEMS` maps a problem id (problems.md) to a :class:`ProblemContext`:
names that stand for expressions (``u = x^2/\\log x`` in ``autodiff``,
``p_{y'}`` = softmax in ``softmax``), functions (``\\sigma`` = sigmoid in
``delta_rule``), given values, the letters whose superscripts students use
as indices (Adam's ``m^t``), and sampling intervals for the numeric spot
check. Everything is built here from our own sympy objects, never parsed
from user text; symbols are named exactly as :func:`engine.read.parse.parse_latex`
names them (:func:`engine.read.parse.symbol`, tested). Adding a problem is adding
one entry.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Callable, Mapping

import sympy as sp
from sympy.core.function import AppliedUndef

from engine.errors import DefinitionCycle, UsageError
from engine.read.parse import ParseError, parse_latex
from engine.read.parse import symbol as S

#: Substitution passes before the definitions are declared cyclic.
MAX_PASSES = 30


@dataclass(frozen=True)
class ProblemContext:
    """Definitions of one problem.

    definitions: symbol -> expression, substituted (to a fixpoint) into both
        the reference and the answer;
    functions: function name -> ``sp.Lambda`` definition, or None for a
        function that is only declared (``\\sigma(z)`` read as an application);
    givens: symbol -> exact value, substituted into the answer only when the
        reference is a number (a symbolic answer is never checked at a point);
    index_symbols: letters whose superscripts are indices (``m^t``);
    domain: symbol -> (lo, hi) sampling interval of the numeric spot check:
        the ranges the catalog declares for the problem's parameters
        (:func:`declared_ranges`) and the table's own entries (symbols
        without one are drawn from +-(0.1, 10), then (0, 1))."""

    definitions: Mapping[sp.Symbol, sp.Expr] = field(default_factory=dict)
    functions: Mapping[str, sp.Lambda | None] = field(default_factory=dict)
    givens: Mapping[sp.Symbol, sp.Expr] = field(default_factory=dict)
    index_symbols: frozenset = frozenset()
    domain: Mapping[sp.Symbol, tuple[float, float]] = field(default_factory=dict)

    def parse_options(self) -> dict:
        """Keyword arguments of :func:`engine.read.parse.parse_latex` for this problem."""
        return {"superscript_index_symbols": self.index_symbols, "functions": frozenset(self.functions)}

    def expand(self, expr):
        """Substitute the definitions and defined functions until nothing
        changes (at most :data:`MAX_PASSES` passes). Raises DefinitionCycle
        (a ParseError) when they do not settle."""
        if not (self.definitions or self.functions) or not isinstance(expr, sp.Basic):
            return expr
        definitions = dict(self.definitions)
        defined = {name: f for name, f in self.functions.items() if f is not None}

        def one_pass(e):
            new = e.xreplace(definitions) if definitions else e
            if defined:
                new = new.replace(lambda a: isinstance(a, AppliedUndef) and a.func.__name__ in defined,
                                  lambda a: defined[a.func.__name__](*a.args))
            return new
        return _fixed_point(expr, one_pass, "definitions")

    def substitute_givens(self, expr):
        """``expr`` at the given values, after the definitions: both are
        substituted until nothing changes, so a given defined by other
        givens (``net_1 = w_{11} x_1 + w_{21} x_2``) reaches numbers. Raises
        DefinitionCycle (a ParseError) when they do not settle."""
        if not self.givens or not isinstance(expr, sp.Basic):
            return expr
        givens = dict(self.givens)
        return _fixed_point(self.expand(expr), lambda e: self.expand(e.xreplace(givens)), "given values")


def _fixed_point(expr, step: Callable, what: str):
    """``step`` applied until ``expr`` stops changing; DefinitionCycle after
    :data:`MAX_PASSES` passes or when an expression comes back (a cycle)."""
    seen = {expr}
    for _ in range(MAX_PASSES):
        new = step(expr)
        if new == expr:
            return expr
        if new in seen:
            break
        seen.add(new)
        expr = new
    raise DefinitionCycle(f"the problem's {what} do not settle after {MAX_PASSES} substitutions (a cycle?)")


def _autodiff() -> ProblemContext:
    # problems.md A1: u = x^2/log x, a = u + c, b = u - c, f = a b; the primal
    # trace of Baydin et al. (2018), Table 2, and its adjoints, each the sum
    # over the children of child adjoint times local partial.
    x, c = S("x"), S("c")
    v = {k: S("v", str(k)) for k in range(-1, 7)}
    trace = {v[-1]: c, v[0]: x, v[1]: v[0] ** 2, v[2]: sp.log(v[0]), v[3]: v[1] / v[2],
             v[4]: v[3] + v[-1], v[5]: v[3] - v[-1], v[6]: v[4] * v[5]}
    vbar = {k: S(r"\bar{v}", str(k)) for k in range(-1, 7)}
    adjoints = {vbar[6]: sp.Integer(1)}
    for k in range(5, -2, -1):
        adjoints[vbar[k]] = sum((vbar[j] * sp.diff(trace[v[j]], v[k]) for j in range(k + 1, 7)
                                 if trace[v[j]].has(v[k])), sp.Integer(0))
    u, a, b, f = S("u"), S("a"), S("b"), S("f")
    definitions = {u: x ** 2 / sp.log(x), a: u + c, b: u - c, f: a * b, **trace, **adjoints,
                   S(r"\bar{x}"): vbar[0], S(r"\bar{c}"): vbar[-1], S(r"\bar{y}"): vbar[6], S(r"\bar{f}"): vbar[6]}
    return ProblemContext(definitions=definitions, givens={x: sp.Integer(3), c: sp.Integer(5)})


def _adam() -> ProblemContext:
    # problems.md A2 (Kingma & Ba 2015, Algorithm 1): the first two steps from m_0 = v_0 = 0.
    b1, b2, eps = S(r"\beta", "1"), S(r"\beta", "2"), S(r"\epsilon")
    g = {t: S("g", str(t)) for t in (1, 2)}
    m = {t: S("m", str(t)) for t in (0, 1, 2)}
    v = {t: S("v", str(t)) for t in (0, 1, 2)}
    definitions = {m[0]: sp.Integer(0), v[0]: sp.Integer(0)}
    for t in (1, 2):
        definitions[m[t]] = b1 * m[t - 1] + (1 - b1) * g[t]
        definitions[v[t]] = b2 * v[t - 1] + (1 - b2) * g[t] ** 2
        definitions[S(r"\hat{m}", str(t))] = m[t] / (1 - b1 ** t)
        definitions[S(r"\hat{v}", str(t))] = v[t] / (1 - b2 ** t)
    return ProblemContext(definitions=definitions,
                          givens={b1: sp.Rational(9, 10), b2: sp.Rational(999, 1000), eps: sp.Rational(1, 10 ** 8)},
                          index_symbols=frozenset({"g", "m", "v", "w"}),
                          # epsilon's declared range (1e-10, 1e-6) would hide a dropped epsilon under
                          # the spot check's resolution (MISMATCH); the derivation's own checks use
                          # (0.001, 0.5) too
                          domain={eps: (0.001, 0.1)})


def _softmax() -> ProblemContext:
    # problems.md B2: p_i = exp(z_i) / sum_j exp(z_j) over K logits; the sum is
    # written as the parser reads \sum_j e^{z_j} (index _i1, indexed z).
    j, K, z = sp.Symbol("_i1"), sp.Symbol("K"), sp.IndexedBase("z")
    total = sp.Sum(sp.exp(z[j]), (j, 1, K))
    definitions = {S("p", "y"): sp.exp(S("z", "y")) / total, S("p", "y'"): sp.exp(S("z", "y'")) / total}
    return ProblemContext(definitions=definitions, functions={"softmax": None})


def _delta_rule() -> ProblemContext:
    # problems.md C2: o_1 = sigma(net_1) with the logistic sigmoid; the numeric instance of (b).
    zz = sp.Dummy("z")
    sigmoid = sp.Lambda(zz, 1 / (1 + sp.exp(-zz)))
    net = S("net", "1")
    x1, x2, w11, w21 = S("x", "1"), S("x", "2"), S("w", "11"), S("w", "21")
    givens = {x1: sp.Integer(1), x2: sp.Rational(1, 2), w11: sp.Rational(1, 5), w21: sp.Rational(-2, 5),
              S("t", "1"): sp.Integer(1), S(r"\eta"): sp.Rational(1, 2), net: w11 * x1 + w21 * x2}
    return ProblemContext(definitions={S("o", "1"): sp.Function("sigma")(net)}, functions={"sigma": sigmoid},
                          givens=givens)


def _autograd() -> ProblemContext:
    # problems.md C1: a = x + 1, b = a^(4x), c = 5 (b + 3), elementwise.
    x, a, b, c = S("x"), S("a"), S("b"), S("c")
    return ProblemContext(definitions={a: x + 1, b: a ** (4 * x), c: 5 * (b + 3)}, domain={x: (0.05, 2.0)})


def declared_ranges(problem_id: str) -> dict[sp.Symbol, tuple]:
    """The ranges the catalog's problem declares for its scalar parameters
    (:attr:`engine.model.problem.Parameter.domain`, the ranges of exam variants),
    keyed by the symbol the parser makes of the parameter's LaTeX (our own
    text, ``\\beta_1`` -> ``beta_1``): the spot check samples there."""
    from engine.model import catalog

    ranges = {}
    for param in catalog.get(problem_id).parameters:
        if param.kind != "scalar" or param.domain is None or not param.latex:
            continue
        sym = parse_latex(param.latex)
        if isinstance(sym, sp.Symbol):
            ranges[sym] = tuple(param.domain)
    return ranges


def _with_declared_ranges(problem_id: str, context: ProblemContext) -> ProblemContext:
    """``context`` sampling the problem's parameters in their declared ranges
    (the context's own ``domain`` entries take precedence)."""
    return dataclasses.replace(context, domain={**declared_ranges(problem_id), **context.domain})


#: Problem id -> its definitions for the checker (ids of problems.md).
PROBLEMS: dict[str, ProblemContext] = {pid: _with_declared_ranges(pid, build()) for pid, build in (
    ("autodiff", _autodiff),
    ("adam", _adam),
    ("vgg16", ProblemContext),
    ("cnn", ProblemContext),
    ("softmax", _softmax),
    ("autograd", _autograd),
    ("delta_rule", _delta_rule),
)}

#: No problem: no definitions.
NO_PROBLEM = ProblemContext()


def context_for(problem: str | None) -> ProblemContext:
    """The context of ``problem`` (None: no definitions). Raises UsageError
    naming the known ids for an unknown one."""
    if problem is None:
        return NO_PROBLEM
    try:
        return PROBLEMS[problem]
    except KeyError:
        raise UsageError(f"unknown problem {problem!r}; known problems: {', '.join(PROBLEMS)}") from None
