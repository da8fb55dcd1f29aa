"""Exam variants: parameters drawn from a seed, kept well posed.

The same seed always gives the same parameters (the generator is seeded with
``"<problem id>:<seed>"``, independent of Python's hash randomisation), and
every answer of a variant is computed, and every step verified, at the
drawn values. A parameter varies when it declares a ``domain`` (lo, hi) or a
``sample`` function; the others keep their defaults. Draws are "nice"
numbers a student can work with: integers for integer parameters and
integer-ended domains, otherwise one or two decimals.

Variant documents (``derive pdf --variants N --seed S``): variant k
(k = 1, ..., N) uses seed S + k - 1 (:func:`variant_seeds`), so variant k of
a document has the parameters ``derive answers ID --variant S+k-1`` prints.
:func:`solve_variants` solves them, :func:`render_variants` renders the
worked variants or the statements-only handout.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import sympy as sp

from engine.errors import UsageError
from engine.model.problem import Parameter, Problem, Solution, exact

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


def variant_seeds(count: int, seed: int) -> list[int]:
    """The seeds of ``count`` variants from ``seed``: variant k (k = 1, ...,
    count) uses seed ``seed + k - 1``. Raises UsageError for count < 1."""
    if count < 1:
        raise UsageError(f"--variants {count}: give the number of variants, 1 or more")
    return [seed + k for k in range(count)]


@dataclass
class Variant:
    """Variant ``number`` (1, 2, ...) drawn from ``seed``: one verified
    solution per problem, at the parameters :func:`draw` gives for that seed."""

    number: int
    seed: int
    solutions: list[Solution]

    @property
    def heading(self) -> str:
        return f"Variant {self.number} (seed {self.seed})"


def solve_variants(problems: Sequence[Problem], count: int, seed: int,
                   overrides: Mapping[str, Mapping[str, Any]] | None = None,
                   progress: Callable[[str], None] | None = None) -> list[Variant]:
    """Solve every problem at the parameters of each of ``count`` variants
    (seeds from :func:`variant_seeds`); ``overrides`` (problem id -> name ->
    value, as ``--set`` gives them) are applied over the drawn values. Every
    step is verified at the drawn values. Raises UsageError when a problem
    has no well-posed draw or an override makes it ill posed."""
    variants = []
    seeds = variant_seeds(count, seed)
    for number, variant_seed in enumerate(seeds, start=1):
        solutions = []
        for problem in problems:
            start = time.perf_counter()
            values = {**draw(problem, variant_seed), **dict((overrides or {}).get(problem.id, {}))}
            solutions.append(problem.solve(values))
            if progress:
                progress(f"variant {number} of {count} (seed {variant_seed}): solved {problem.id} "
                         f"in {time.perf_counter() - start:.1f} s")
        variants.append(Variant(number, variant_seed, solutions))
    return variants
