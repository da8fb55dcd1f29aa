"""What each problem of the catalog defines, for the answer checker.

:data:`PROBLEMS` maps a problem id of the catalog to a :class:`ProblemContext`
built from the question module's :class:`engine.model.checking.Checking` at
the problem's parameters: names that stand for expressions (``u = x^2/\\log x``),
functions (``\\sigma`` = sigmoid), given values, the letters whose
superscripts students use as indices (``m^t``), and sampling intervals for
the numeric spot check. Everything comes from the modules' own sympy objects,
never from user text; symbols are named exactly as
:func:`engine.read.parse.parse_latex` names them (:func:`engine.read.parse.symbol`).
The engine names no problem: a new question module needs no entry here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping

import sympy as sp
from sympy.core.function import AppliedUndef

from engine.errors import UsageError
from engine.read.parse import ParseError, parse_latex

#: Substitution passes before the definitions are declared cyclic.
MAX_PASSES = 30


class DefinitionCycle(ParseError):
    """A problem's definitions or given values do not settle (a cycle)."""


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


def context_of(problem: Any, params: Mapping[str, Any] | None = None) -> ProblemContext:
    """The context of a catalog problem at ``params`` (default: its defaults),
    from its module's Checking, sampling its parameters in their declared
    ranges (the module's own ``domain`` entries take precedence)."""
    checking = problem.checking
    values = problem.defaults() if params is None else params
    return ProblemContext(
        definitions=dict(checking.definitions(values)) if checking.definitions else {},
        functions=dict(checking.functions),
        givens=dict(checking.givens(values)) if checking.givens else {},
        index_symbols=frozenset(checking.conventions.index_letters),
        domain={**declared_ranges(problem.id), **checking.domain},
    )


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


class _Contexts(Mapping[str, ProblemContext]):
    """Problem id -> its context, built from the catalog when first asked."""

    def __init__(self) -> None:
        self._built: dict[str, ProblemContext] = {}

    def _ids(self) -> list[str]:
        from engine.model import catalog

        return [p.id for p in catalog.available()]

    def __getitem__(self, problem_id: str) -> ProblemContext:
        if problem_id not in self._built:
            from engine.model import catalog

            if problem_id not in self._ids():
                raise KeyError(problem_id)
            self._built[problem_id] = context_of(catalog.get(problem_id))
        return self._built[problem_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids())

    def __len__(self) -> int:
        return len(self._ids())


#: Problem id -> its definitions for the checker (the catalog's problems).
PROBLEMS: Mapping[str, ProblemContext] = _Contexts()

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
