"""The one numeric spot check: two expressions at random points.

:func:`sample` draws the value of one symbol, :func:`spot_check` gathers
the evidence of two expressions at random points (:class:`Evidence`). Both
the checker (:mod:`engine.check.compare`) and the proofs of the worked
solutions (:mod:`engine.model.verify`) draw their points here.

Points are random rationals, so that the substitution is exact, drawn with a
seeded :class:`random.Random` (same input, same points, on any machine):

* a symbol with a range (a problem's declared domain, or the context's) is
  drawn inside it, end points excluded;
* an integer symbol is an integer from 2 to 6;
* otherwise by *regime*: ``"positive"`` magnitudes 10^u, u uniform in
  (-1, 1), 4 significant digits (0.1 to 10); ``"mixed"`` the same with a
  random sign, except for a symbol declared positive or nonnegative;
  ``"unit"`` uniform in (0, 1) (decay rates: ``beta^t`` is real for 0 < beta).

Values are computed with mpmath at :data:`DIGITS` digits; a point where a
side is not a finite real number is skipped.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Mapping

import sympy as sp

#: Digits of the numeric evaluations.
DIGITS = 40
#: Relative difference under which two values agree at a point.
AGREE = sp.Float("1e-25", DIGITS)
#: Relative difference above which two values clearly differ at a point.
MISMATCH = sp.Float("1e-12", DIGITS)
#: Points of agreement needed for "equal" without a symbolic proof.
AGREE_POINTS = 20
#: Points of clear difference needed for "different".
MISMATCH_POINTS = 3
#: Random points tried at most (half with every symbol positive, half with random signs).
SPOT_TRIES = 60
#: Further points with every symbol in (0, 1), tried when the first ones leave
#: too few in the domain of both sides.
UNIT_TRIES = 40
#: The seed of every spot check.
SEED = 20181

Domain = Mapping[Any, tuple[Any, Any]]


def exact_bound(value: Any) -> sp.Rational:
    """A range end as an exact rational (``1e-10`` through its decimal text)."""
    if isinstance(value, sp.Basic):
        return sp.Rational(value)
    frac = Fraction(str(value)) if isinstance(value, float) else Fraction(value)
    return sp.Rational(frac.numerator, frac.denominator)


def range_of(sym: Any, domain: Domain | None) -> tuple[Any, Any] | None:
    """The range of ``sym`` in ``domain`` (keyed by the symbol or by its name)."""
    if not domain:
        return None
    if sym in domain:
        return domain[sym]
    return domain.get(getattr(sym, "name", None))


def sample(sym: Any, rng: random.Random, regime: str = "mixed", domain: Domain | None = None) -> sp.Rational:
    """A random exact value of ``sym`` (see the module docstring for the rules)."""
    bounds = range_of(sym, domain)
    if bounds is not None:
        lo, hi = (exact_bound(v) for v in bounds)
        return lo + (hi - lo) * sp.Rational(rng.randint(1, 9999), 10000)
    if getattr(sym, "is_integer", False):
        return sp.Integer(rng.randint(2, 6))
    if regime == "unit":
        return sp.Rational(rng.randint(1, 9999), 10000)
    magnitude = sp.Rational(rng.randint(1000, 9999), 1000) * sp.Integer(10) ** rng.randint(-1, 0)
    signed = regime == "mixed" and not (getattr(sym, "is_positive", False) or getattr(sym, "is_nonnegative", False))
    return -magnitude if signed and rng.random() < 0.5 else magnitude


def value_at(expr: Any, point: Mapping) -> sp.Float | None:
    """A real Float of ``expr`` at ``point``, or None outside its real domain."""
    try:
        value = sp.N(expr.xreplace(point), DIGITS)
    except (TypeError, ValueError, ZeroDivisionError, ArithmeticError):
        return None
    if not isinstance(value, sp.Expr) or value.free_symbols or value.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        return None
    try:
        re_part, im_part = value.as_real_imag()
    except (TypeError, ValueError):  # a matrix inside a function (log of a matrix): no value here
        return None
    if not re_part.is_Number:
        return None
    if im_part != 0 and abs(im_part) > sp.Float(10) ** (5 - DIGITS) * max(abs(re_part), 1):
        return None
    return sp.Float(re_part, DIGITS)


def real_domain(expr: Any, point: Mapping) -> bool:
    """Is ``point`` in the real domain of every part of ``expr``: the base
    of each power with a non-integer exponent at least 0, the argument of
    each logarithm positive? A value that is real while a part is not
    (``\\sqrt{v} \\sqrt{w}`` at v, w < 0) is no evidence of a difference."""
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Pow):
            exponent = node.exp.xreplace(point)
            if exponent.is_Integer:
                continue
            least, strict = node.base, False
        elif isinstance(node, sp.log):
            least, strict = node.args[0], True
        else:
            continue
        value = value_at(least, point)
        if value is None or value < 0 or (strict and value == 0):
            return False
    return True


def sample_atoms(expr: Any) -> set:
    """What takes a value at a point: the free symbols (not the bases of
    indexed symbols) and the indexed symbols (``z_1``)."""
    indexed = expr.atoms(sp.Indexed)
    labels = {ix.base.label for ix in indexed}
    return {s for s in expr.free_symbols if isinstance(s, sp.Symbol) and s not in labels} | indexed


@dataclass
class Evidence:
    """What the random points say: ``valid`` points where both sides are
    finite and real, ``agreements`` (relative difference below :data:`AGREE`),
    ``mismatches`` (above :data:`MISMATCH`, in the real domain of both sides),
    ``worst`` relative mismatch, ``example`` the first mismatch for the
    reader, ``why`` the reason when too few points are valid."""

    valid: int = 0
    agreements: int = 0
    mismatches: int = 0
    worst: Any = sp.Float(0)
    example: str = ""
    why: str = ""
    tried: int = 0

    @property
    def decided(self) -> bool:
        return self.agreements >= AGREE_POINTS or (self.mismatches >= MISMATCH_POINTS and self.valid >= 6)

    @property
    def equal(self) -> bool:
        """Numeric agreement alone: :data:`AGREE_POINTS` points, no mismatch."""
        return self.agreements >= AGREE_POINTS and self.mismatches == 0

    @property
    def different(self) -> bool:
        return self.mismatches >= MISMATCH_POINTS


def spot_check(a: Any, b: Any, domain: Domain | None = None, *, seed: int = SEED,
               describe: Callable[[dict, Any, Any], str] | None = None,
               prepare: Callable[[Any, dict], Any] | None = None) -> Evidence:
    """``a`` and ``b`` at random points: even tries in the ``"positive"``
    regime, odd ones ``"mixed"``, up to :data:`SPOT_TRIES`; then up to
    :data:`UNIT_TRIES` ``"unit"`` points when too few were valid. Stops as
    soon as :attr:`Evidence.decided`.

    describe(point, value_a, value_b): the reader's text of a mismatch;
    prepare(expr, lengths): ``expr`` with the bounds of its sums and products
    set (``lengths``: symbol -> Integer, drawn from 2 to 5 per point)."""
    evidence = Evidence()
    rng = random.Random(seed)
    lengths = sorted({s for e in (a, b) for sm in e.atoms(sp.Sum, sp.Product) for lim in sm.limits
                      for bound in lim[1:] for s in bound.free_symbols}, key=str)
    regimes = [("mixed" if attempt % 2 else "positive") for attempt in range(SPOT_TRIES)] + ["unit"] * UNIT_TRIES
    for regime in regimes:
        if evidence.decided or (regime == "unit" and evidence.valid >= AGREE_POINTS):
            break
        evidence.tried += 1
        a_expr, b_expr = a, b
        if lengths:
            ints = {s: sp.Integer(rng.randint(2, 5)) for s in lengths}
            a_expr, b_expr = a.xreplace(ints), b.xreplace(ints)
            if prepare is not None:
                a_expr, b_expr = prepare(a_expr, ints), prepare(b_expr, ints)
        atoms = sample_atoms(a_expr) | sample_atoms(b_expr)
        point = {s: sample(s, rng, regime, domain) for s in sorted(atoms, key=str)}
        va, vb = value_at(a_expr, point), value_at(b_expr, point)
        if va is None or vb is None:
            continue
        evidence.valid += 1
        scale = max(abs(va), abs(vb))
        rel = abs(va - vb) / scale if scale != 0 else sp.Float(0)
        if rel < AGREE:
            evidence.agreements += 1
        elif rel > MISMATCH:
            if not (real_domain(a_expr, point) and real_domain(b_expr, point)):
                evidence.valid -= 1  # sqrt(v) sqrt(1/(1 - beta)) at v < 0, beta > 1: real only by accident
                continue
            evidence.mismatches += 1
            evidence.worst = max(evidence.worst, rel)
            if not evidence.example and describe is not None:
                evidence.example = describe(point, va, vb)
    if evidence.valid < AGREE_POINTS and not evidence.why and evidence.mismatches < MISMATCH_POINTS:
        evidence.why = f"only {evidence.valid} of {evidence.tried} random points are in the domain of both sides"
    return evidence
