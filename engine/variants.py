"""Exam variants: parameters drawn from a seed, kept well posed.

The same seed always gives the same parameters (the generator is seeded with
``"<problem id>:<seed>"``, independent of Python's hash randomisation), and
every answer of a variant is computed, and every step verified, at the
drawn values. A parameter varies when it declares a ``domain`` (lo, hi) or a
``sample`` function; the others keep their defaults. Draws are "nice"
numbers a student can work with: integers for integer parameters and
integer-ended domains, otherwise one or two decimals.
"""
from __future__ import annotations

import random
from typing import Any

import sympy as sp

from engine.errors import UsageError
from engine.problem import Parameter, Problem, exact

#: Draws tried before a problem is declared impossible to vary.
MAX_TRIES = 200


def _nice(param: Parameter, rng: random.Random) -> Any:
    lo, hi = (exact(v) for v in param.domain)
    if 0 < lo and hi <= sp.Rational(1, 1000):
        # a tiny positive scale (a stabilizer epsilon): a power of ten inside the interval
        powers = [sp.Rational(10) ** k for k in range(-30, -2) if lo < sp.Rational(10) ** k < hi]
        if powers:
            return rng.choice(powers)
    if param.integer:
        return sp.Integer(rng.randint(int(sp.ceiling(lo)), int(sp.floor(hi))))
    # one decimal when the interval is wide, else enough decimals to vary
    width = hi - lo
    decimals = 1 if width >= 1 else (2 if width >= sp.Rational(1, 10) else 3)
    scale = 10**decimals
    low, high = int(sp.ceiling(lo * scale)), int(sp.floor(hi * scale))
    # open interval: never the end points themselves
    if sp.Rational(low, scale) == lo:
        low += 1
    if sp.Rational(high, scale) == hi:
        high -= 1
    if high < low:
        raise UsageError(f"parameter {param.name}: domain {param.domain} is too narrow to draw from")
    return sp.Rational(rng.randint(low, high), scale)


def draw(problem: Problem, seed: int) -> dict[str, Any]:
    """Parameter values of variant ``seed`` of ``problem`` (name -> exact value).

    Raises UsageError when no well-posed draw is found in MAX_TRIES tries."""
    rng = random.Random(f"{problem.id}:{seed}")
    reason = None
    for _ in range(MAX_TRIES):
        values = problem.defaults()
        for param in problem.parameters:
            if param.sample is not None:
                values[param.name] = exact(param.sample(rng), param.words)
            elif param.domain is not None:
                values[param.name] = _nice(param, rng)
        reason = problem.well_posed(values) if problem.well_posed else None
        if not reason:
            return values
    raise UsageError(f"problem {problem.id!r}: no well-posed variant found for seed {seed} ({reason})")
