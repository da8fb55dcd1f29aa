"""Proof that a derivation step equals the one before it.

This checks our own derivation modules (trusted sympy objects), not student
work: that is :mod:`engine.check.equiv`. A step is accepted when

1. a symbolic strategy shows ``previous - step == 0``, cheapest first:
   structural equality, ``expand``, ``cancel``, ``simplify``; or, for a
   summation over a symbolic length K that sympy cannot close, the same
   strategies for every K in the problem's stated instances; and
2. a numeric spot check with mpmath agrees at random points of the problem's
   domain (30 digits). The spot check also runs when sympy claims a proof,
   so a sympy bug cannot slip through; when no symbolic strategy succeeds,
   agreement at :data:`SPOT_POINTS` random points is accepted and recorded
   as such (``Proof.method == "numeric"``), never hidden.

Series steps (``relation="series"``) are checked as truncations: the
difference must vanish to the stated order (sympy's ``series``, else a
numeric scaling check at small values of the expansion variable).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import mpmath
import sympy as sp

from engine.errors import NotEqual
from engine.math import spot

#: Random points of the numeric spot check.
SPOT_POINTS = 8
#: Working precision of the spot check, decimal digits.
SPOT_DIGITS = 30
#: Relative tolerance of the spot check.
SPOT_TOLERANCE = mpmath.mpf(10) ** -20


@dataclass(frozen=True)
class Proof:
    """How a step was shown equal to the one before it.

    method: "structural", "expand", "cancel", "simplify", "series",
    "instances" or "numeric"; detail: a phrase for the reader."""

    method: str
    detail: str


@dataclass
class Context:
    """What a step is verified under.

    definitions: named quantities, substituted (to a fixpoint) before
        comparing, e.g. ``{u: x**2/log(x)}``;
    domain: sampling interval (lo, hi) per symbol for the spot check;
        symbols without one are drawn from (0.2, 2.5) when declared
        positive, else from (-2.5, -0.2) or (0.2, 2.5);
    instances: ``{K: range(2, 9)}`` to fall back to for symbolic lengths.
    """

    definitions: Mapping[sp.Basic, Any] = field(default_factory=dict)
    domain: Mapping[sp.Symbol, tuple[float, float]] = field(default_factory=dict)
    instances: Mapping[sp.Symbol, Iterable[int]] = field(default_factory=dict)
    seed: int = 20181

    def expand_definitions(self, expr: Any) -> Any:
        """Substitute the definitions until nothing changes, then ``doit``."""
        # Symbols are replaced syntactically (xreplace): subs would treat a
        # named quantity inside a Derivative as independent of the variable
        # (d(a b)/dc with a = u + c became a Subs object). So are indexed
        # quantities (p_i = softmax(z)_i), also inside a sum bound by i.
        symbols = {k: v for k, v in self.definitions.items()
                   if getattr(k, "is_Symbol", False) or isinstance(k, sp.Indexed)}
        others = {k: v for k, v in self.definitions.items() if k not in symbols}
        for _ in range(50):
            new = expr.xreplace(symbols) if symbols else expr
            new = new.subs(others) if others else new
            if new == expr:
                break
            expr = new
        else:  # pragma: no cover - a cyclic definition is a bug in a module
            raise ValueError(f"definitions do not terminate on {expr}")
        if not hasattr(expr, "doit"):
            return expr
        # Twice: the derivative of a sum comes back as an unevaluated sum of
        # Kronecker deltas, which only the second pass collapses.
        done = expr.doit()
        return done.doit() if done.has(sp.Sum, sp.Product) else done


def _elements(expr: Any) -> list:
    if isinstance(expr, sp.MatrixBase):
        return list(expr)
    return [expr]


def _shape(expr: Any):
    return expr.shape if isinstance(expr, sp.MatrixBase) else ()


def _simplify(expr: sp.Basic) -> sp.Basic:
    """sympy's simplify, after the piecewise fold it would also try: folding
    case formulas first takes milliseconds where simplify takes a second."""
    if expr.has(sp.Piecewise):
        folded = sp.expand(sp.piecewise_fold(expr))
        if folded == 0:
            return folded
    return sp.simplify(expr)


def _symbolic_zero(diff: sp.Basic) -> str | None:
    if diff == 0:
        return "structural"
    for name, fn in (("expand", sp.expand), ("cancel", sp.cancel), ("simplify", _simplify)):
        try:
            if fn(diff) == 0:
                return name
        except (TypeError, ValueError, NotImplementedError, sp.PolynomialError):
            continue
    return None


def _sample(symbols, ctx: Context, rng: random.Random) -> dict:
    """A random point (:func:`engine.math.spot.sample`, the one sampler)."""
    return {s: spot.sample(s, rng, "mixed", ctx.domain) for s in symbols}


def _numeric(expr: sp.Basic, point: dict):
    try:
        value = expr.xreplace(point).doit()
    except ValueError:  # d f(x)/dx of an unknown f: x cannot be replaced by a number
        return None
    value = sp.N(value, SPOT_DIGITS)
    if value.has(sp.zoo, sp.oo, -sp.oo, sp.nan) or value.free_symbols:
        return None
    try:
        return mpmath.mpmathify(complex(value)) if not value.is_real else mpmath.mpf(value)
    except (TypeError, ValueError):
        return None


def _symbolic_index(expr: sp.Basic) -> bool:
    """True when ``expr`` has an indexed symbol with a symbolic index (z_y) or
    a sum or product over a symbolic range: no real value can stand for those."""
    if any(not i.is_number for ix in expr.atoms(sp.Indexed) for i in ix.indices):
        return True
    return any(not e.is_number for s in expr.atoms(sp.Sum, sp.Product) for lim in s.limits for e in lim[1:])


def spot_check(a: sp.Basic, b: sp.Basic, ctx: Context, points: int = SPOT_POINTS) -> int:
    """Compare ``a`` and ``b`` at random points; returns the number of points
    where both were finite. Raises NotEqual with the first counterexample."""
    rng = random.Random(ctx.seed)
    if _symbolic_index(a) or _symbolic_index(b):
        # z_y or a sum over 1..K: no random real can stand for an index, so
        # such steps are proved symbolically (or per stated instance) only.
        return 0
    symbols = sorted((a.free_symbols | b.free_symbols), key=str)
    good = 0
    with mpmath.workdps(SPOT_DIGITS):
        for _ in range(points * 4):
            point = _sample(symbols, ctx, rng)
            va, vb = _numeric(a, point), _numeric(b, point)
            if va is None or vb is None:
                continue
            scale = max(mpmath.mpf(1), abs(va), abs(vb))
            if abs(va - vb) > SPOT_TOLERANCE * scale:
                where = ", ".join(f"{k}={mpmath.nstr(mpmath.mpf(v), 6)}" for k, v in point.items())
                raise NotEqual(
                    f"at {where or 'the given values'} the previous line is {mpmath.nstr(va, 10)} "
                    f"and this line is {mpmath.nstr(vb, 10)}"
                )
            good += 1
            if good >= points:
                break
    return good


def prove_equal(previous: Any, step: Any, ctx: Context) -> Proof:
    """Prove ``previous == step`` under ``ctx``; raise NotEqual otherwise.

    Both are sympy expressions or matrices of the same shape."""
    if _shape(previous) != _shape(step):
        raise NotEqual(f"shape {_shape(previous)} is not shape {_shape(step)}")
    a_all = [ctx.expand_definitions(e) for e in _elements(previous)]
    b_all = [ctx.expand_definitions(e) for e in _elements(step)]
    methods = []
    for a, b in zip(a_all, b_all):
        method = _symbolic_zero(sp.Add(a, -b))
        if method is None and ctx.instances:
            method = _prove_instances(a, b, ctx)
        checked = spot_check(a, b, ctx) if (a.free_symbols | b.free_symbols) else None
        if method is None:
            if not (a.free_symbols | b.free_symbols):
                va, vb = sp.N(a, SPOT_DIGITS), sp.N(b, SPOT_DIGITS)
                if va.is_number and vb.is_number and abs(va - vb) <= 10**-20 * max(1, abs(va)):
                    method = "numeric"
                    checked = 1
                else:
                    raise NotEqual(f"the previous line is {sp.N(a, 10)} and this line is {sp.N(b, 10)}")
            elif checked and checked >= SPOT_POINTS // 2:
                method = "numeric"
            else:
                if _symbolic_index(a) or _symbolic_index(b):
                    raise NotEqual("no symbolic strategy proved it (a symbolic index or sum length cannot be sampled)")
                raise NotEqual("no symbolic strategy proved it and too few sample points were finite")
        methods.append((method, checked))
    order = ["structural", "expand", "cancel", "simplify", "instances", "numeric"]
    worst = max(methods, key=lambda m: order.index(m[0]))
    detail = {
        "structural": "identical after substituting the definitions",
        "expand": "difference expands to 0",
        "cancel": "difference cancels to 0",
        "simplify": "difference simplifies to 0",
        "instances": "proved for every stated instance "
        + ", ".join(f"{k} = {min(v)}..{max(v)}" for k, v in ((k, list(v)) for k, v in ctx.instances.items())),
        "numeric": f"equal at {SPOT_POINTS} random points to {SPOT_DIGITS} digits (no closed-form proof)",
    }[worst[0]]
    return Proof(worst[0], detail)


def _prove_instances(a: sp.Basic, b: sp.Basic, ctx: Context) -> str | None:
    for symbol, values in ctx.instances.items():
        if symbol not in (a.free_symbols | b.free_symbols) and not a.has(symbol) and not b.has(symbol):
            continue
        for k in values:
            ak = a.subs(symbol, k).doit()
            bk = b.subs(symbol, k).doit()
            if _symbolic_zero(sp.Add(ak, -bk)) is None:
                return None
        return "instances"
    return None


def prove_series(previous: Any, step: Any, var: sp.Symbol, order: int, ctx: Context, point=0) -> Proof:
    """Prove that ``step`` (with or without its O-term) is the expansion of
    ``previous`` in ``var`` about ``point`` up to but excluding ``var**order``."""
    a = ctx.expand_definitions(previous)
    b = ctx.expand_definitions(step)
    b = b.removeO() if hasattr(b, "removeO") else b
    diff = sp.Add(a, -b)
    symbolic = False
    try:
        series = sp.series(diff, var, point, order).removeO()
        symbolic = _symbolic_zero(series) is not None
    except (TypeError, ValueError, NotImplementedError, sp.PolynomialError):
        pass
    # Numeric scaling check: |diff| = O(var**order) at small var. It runs even
    # when sympy's series claims a proof: sympy 1.14 expands Abs(g) as g
    # (g real, not known positive), so a wrong sign would slip through.
    rng = random.Random(ctx.seed)
    others = sorted((diff.free_symbols - {var}), key=str)
    good = 0
    with mpmath.workdps(60):
        for _ in range(SPOT_POINTS * 4):
            pt = _sample(others, ctx, rng)
            small = mpmath.mpf(10) ** -12
            pt[var] = sp.Float(point + small, 60) if point else sp.Float(small, 60)
            value = sp.N(diff.xreplace(pt), 60)
            if not value.is_number or value.has(sp.zoo, sp.nan):
                continue
            bound = mpmath.mpf(10) ** 6 * small**order
            if abs(mpmath.mpf(value)) > bound:
                raise NotEqual(f"the remainder at {var} = 1e-12 is {sp.N(value, 6)}, not O({var}^{order})")
            good += 1
            if good >= SPOT_POINTS:
                break
    if symbolic:
        return Proof("series", f"sympy series in {var} to order {order}")
    if good < SPOT_POINTS // 2:
        raise NotEqual("too few sample points were finite to check the expansion")
    return Proof("numeric", f"remainder is O({var}^{order}) at {good} random points (no closed-form proof)")
