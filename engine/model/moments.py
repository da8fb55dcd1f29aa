"""Expectations and variances of random variables, by named rules.

A derivation writes ``Expectation(q[i] * k[i])`` or ``Variance(y)`` as an
unevaluated sympy object (printed ``\\mathbb{E}\\left[...\\right]`` and
``\\operatorname{Var}\\left(...\\right)``); ``doit()`` evaluates it by the
rules a textbook names (Casella & Berger 2002, "Statistical Inference",
Sec. 2.2-2.3 and 4.5), so every step of a derivation that moves an
expectation is verified by :mod:`engine.model.verify` like any other step:

* linearity: E[a X + b Y] = a E[X] + b E[Y], also over a sum
  ``Sum(f(i), (i, 1, n))`` of any (symbolic) length;
* independence: E[X^a Y^b] = E[X^a] E[Y^b] for distinct random variables
  (every two distinct variables made here are independent; the members
  X_i of a family are independent of each other and of every other
  variable);
* moments of one variable: E[X] = mean, E[X^2] = variance + mean^2, higher
  powers from the law's ``moments`` function (a Bernoulli mask:
  E[m^k] = q for k >= 1);
* symmetry: for X symmetric about 0, E[X^(2k) 1{X > 0}] = E[X^(2k)] / 2
  (``Heaviside(X)``; ``Max(0, X)`` is ``X Heaviside(X)``, the ReLU);
* variance: Var(Y) = E[Y^2] - E[Y]^2, Var(c Y) = c^2 Var(Y), and
  Var(sum_i f(i)) = sum_i Var(f(i)) when the terms are independent (every
  random variable of f(i) is a family member with index i).

Errors: :class:`engine.errors.NotSupported` when no rule applies (a power
of a variable without a known moment, a product of two members of one
family at different symbolic indices).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import sympy as sp

from engine.errors import NotSupported
from engine.math.numbers import as_basic


@dataclass(frozen=True)
class Law:
    """The distribution facts of one random variable (or of each member of a
    family): ``mean``, ``variance`` (sympy expressions of non-random symbols),
    ``moments`` (k -> E[X^k] for k >= 3, or for every k), ``symmetric``
    (about 0: the law of X is the law of -X)."""

    mean: Any = 0
    variance: Any = 1
    moments: Callable[[int], Any] | None = None
    symmetric: bool = False

    def moment(self, k: int) -> sp.Basic:
        """E[X^k] for an integer k >= 0; NotSupported when the law does not say."""
        if k == 0:
            return sp.Integer(1)
        if self.moments is not None:
            value = self.moments(k)
            if value is not None:
                return as_basic(value)
        if k == 1:
            return as_basic(self.mean)
        if k == 2:
            return as_basic(self.variance) + as_basic(self.mean) ** 2
        if self.symmetric and k % 2 == 1:
            return sp.Integer(0)
        raise NotSupported(f"no moment E[X^{k}] is known for this random variable")


class RandomSymbol(sp.Symbol):
    """A scalar random variable (printed as its name). Make it with :func:`random_symbol`."""


class RandomFamily(sp.IndexedBase):
    """A family X_1, X_2, ... of independent, identically distributed random
    variables (``X[i]`` is one member). Make it with :func:`random_family`."""


#: (kind, name) -> law. Keyed by name because sympy caches symbols by name.
_LAWS: dict[tuple[str, str], Law] = {}


def random_symbol(name: str, mean: Any = 0, variance: Any = 1, *, moments: Callable[[int], Any] | None = None,
                  symmetric: bool = False, **assumptions: Any) -> RandomSymbol:
    """A random variable named ``name`` with this law (mean, variance, further
    moments, symmetry); independent of every other random variable."""
    sym = RandomSymbol(name, **assumptions)
    _LAWS[("symbol", name)] = Law(mean, variance, moments, symmetric)
    return sym


def random_family(name: str, mean: Any = 0, variance: Any = 1, *, moments: Callable[[int], Any] | None = None,
                  symmetric: bool = False, **assumptions: Any) -> RandomFamily:
    """An i.i.d. family ``X[i]`` with this law for every member."""
    fam = RandomFamily(name, **assumptions)
    _LAWS[("family", name)] = Law(mean, variance, moments, symmetric)
    return fam


def law_of(variable: sp.Basic) -> Law:
    """The law of a random symbol or of a family member ``X[i]``."""
    if isinstance(variable, RandomSymbol):
        return _LAWS[("symbol", variable.name)]
    if isinstance(variable, sp.Indexed) and isinstance(variable.base, RandomFamily):
        return _LAWS[("family", str(variable.base.label))]
    raise NotSupported(f"{variable} is not a random variable")


def is_random(expr: sp.Basic) -> bool:
    """True when ``expr`` contains a random variable."""
    return bool(random_atoms(expr))


def random_atoms(expr: sp.Basic) -> set:
    """The random variables (random symbols and family members) in ``expr``."""
    atoms = {s for s in expr.atoms(sp.Symbol) if isinstance(s, RandomSymbol)}
    atoms |= {ix for ix in expr.atoms(sp.Indexed) if isinstance(ix.base, RandomFamily)}
    return atoms


def _relu_to_indicator(expr: sp.Basic) -> sp.Basic:
    """Max(0, X) -> X Heaviside(X) (the ReLU as a product with the indicator 1{X > 0})."""
    def is_relu(e):
        return isinstance(e, sp.Max) and len(e.args) == 2 and sp.Integer(0) in e.args

    def to_indicator(e):
        (arg,) = [a for a in e.args if a != 0]
        return arg * sp.Heaviside(arg)

    return expr.replace(is_relu, to_indicator)


class Expectation(sp.Function):
    """E[X], unevaluated until ``doit()`` (then by the rules of the module docstring)."""

    nargs = 1

    def doit(self, **hints: Any) -> sp.Basic:
        arg = self.args[0]
        if hints.get("deep", True):
            arg = arg.doit(**hints) if not isinstance(arg, sp.Sum) else arg
        return expectation(arg)

    def _latex(self, printer: Any, exp: Any = None) -> str:
        tex = rf"\mathbb{{E}}\left[{printer._print(self.args[0])}\right]"
        return tex if exp is None else rf"{tex}^{{{exp}}}"

    def _sympystr(self, printer: Any) -> str:
        return f"E[{printer._print(self.args[0])}]"


class Variance(sp.Function):
    """Var(X), unevaluated until ``doit()`` (then by the rules of the module docstring)."""

    nargs = 1

    def doit(self, **hints: Any) -> sp.Basic:
        arg = self.args[0]
        if hints.get("deep", True):
            arg = arg.doit(**hints) if not isinstance(arg, sp.Sum) else arg
        return variance(arg)

    def _latex(self, printer: Any, exp: Any = None) -> str:
        tex = rf"\operatorname{{Var}}\left({printer._print(self.args[0])}\right)"
        return tex if exp is None else rf"{tex}^{{{exp}}}"

    def _sympystr(self, printer: Any) -> str:
        return f"Var({printer._print(self.args[0])})"


def expectation(expr: Any) -> sp.Basic:
    """E[expr] by linearity, independence, the moments and symmetry (module docstring)."""
    expr = as_basic(expr)
    if isinstance(expr, sp.Sum):
        return sp.Sum(expectation(expr.function), *expr.limits).doit()
    if not is_random(expr):
        return expr
    expr = sp.expand(_relu_to_indicator(expr))
    if isinstance(expr, sp.Add):
        return sp.Add(*[expectation(t) for t in expr.args])
    if isinstance(expr, sp.Sum):
        return expectation(expr)
    return _expect_product(expr)


def _expect_product(term: sp.Basic) -> sp.Basic:
    constant = sp.Integer(1)
    powers: dict[sp.Basic, int] = {}
    indicators: set[sp.Basic] = set()
    for factor in sp.Mul.make_args(term):
        if not is_random(factor):
            constant *= factor
            continue
        base, exp = factor.as_base_exp()
        if isinstance(base, sp.Heaviside) and base.args[0] in random_atoms(base) and exp.is_positive:
            indicators.add(base.args[0])  # 1{X > 0}^k = 1{X > 0}
        elif base in random_atoms(base) and exp.is_Integer and exp > 0:
            powers[base] = powers.get(base, 0) + int(exp)
        else:
            raise NotSupported(f"no rule for the expectation of {factor}")
    _require_distinct(set(powers) | indicators)
    value = constant
    for variable in set(powers) | indicators:
        law = law_of(variable)
        k = powers.get(variable, 0)
        if variable in indicators:
            if not law.symmetric or k % 2:
                raise NotSupported(f"E[{variable}^{k} 1{{{variable} > 0}}] needs a law symmetric about 0 "
                                   "and an even power")
            value *= law.moment(k) / 2
        else:
            value *= law.moment(k)
    return value


def _require_distinct(variables: set) -> None:
    """Two members of one family at different symbolic indices may be one variable (i = j): refuse."""
    seen: dict[str, sp.Basic] = {}
    for v in variables:
        if isinstance(v, sp.Indexed):
            label = str(v.base.label)
            if label in seen and not all(a.is_number for a in (*v.indices, *seen[label].indices)):
                raise NotSupported(f"{seen[label]} and {v} may be the same variable; write the sum over i = j "
                                   "and i != j apart")
            seen[label] = v


def _independent_terms(s: sp.Sum) -> bool:
    """Every random variable of the summand is a family member indexed by the summation index."""
    if len(s.limits) != 1:
        return False
    index = s.limits[0][0]
    atoms = random_atoms(s.function)
    return all(isinstance(a, sp.Indexed) and a.indices == (index,) for a in atoms)


def variance(expr: Any) -> sp.Basic:
    """Var(expr) by the rules of the module docstring."""
    expr = as_basic(expr)
    if not is_random(expr):
        return sp.Integer(0)
    if isinstance(expr, sp.Mul):
        constant = sp.Mul(*[f for f in expr.args if not is_random(f)])
        if constant != 1:
            return constant**2 * variance(sp.Mul(*[f for f in expr.args if is_random(f)]))
    if isinstance(expr, sp.Sum):
        if not _independent_terms(expr):
            raise NotSupported(f"the terms of {expr} are not independent by construction; no variance rule")
        return sp.Sum(variance(expr.function), *expr.limits).doit()
    return sp.expand(expectation(expr**2) - expectation(expr) ** 2)
