"""Error models: a question's typical mistakes, each recomputing its answers.

A wrong answer is *diagnosed* when one of these models (or a pair of them)
reproduces the student's value at the precision written: the report then
names the mistake ("log base 10 instead of the natural log", "x and c
swapped") instead of only "incorrect".

The mistakes of a question live in its module
(:attr:`engine.model.checking.Checking.mistakes`): each is the module's own
solve with a choice changed (``Problem.solve(choices=...)``), or at other
given values (``overrides``: inputs swapped), so ``--set`` and exam variants
move them too. Two mistakes name no question and stay here as generic
transforms of the answer values: ``log`` read as ``log_10``, and the whole
answer with the wrong sign.

:func:`models` orders a question's table: its override mistakes first (a
pair solves at the mistaken givens), then log base 10, then its other
mistakes, then the sign error. :func:`variants` combines single models and
compatible pairs. Every variant is computed from the catalog (trusted code,
no student text), once per sheet, before any worker starts;
:mod:`engine.check.run` compares a student's value with them in a bounded
worker.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

import sympy as sp

from engine.errors import UsageError, VerificationError
from engine.model.checking import Mistake

Values = dict[str, Any]


@dataclass(frozen=True)
class Model:
    """One row of a question's table: a module :class:`Mistake`, or a
    generic ``transform`` of the answer values (values -> changed values, or
    None when nothing changes); max_partners: 0 when only tried alone."""

    name: str
    label: str
    mistake: Mistake | None = None
    transform: Callable[[Values], Values | None] | None = None
    max_partners: int = 1

    @property
    def overrides(self) -> bool:
        return self.mistake is not None and self.mistake.overrides is not None


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


def log10(values: Values) -> Values | None:
    """Every ``log`` read as ``log_10`` (the primal values change; a
    derivative rule 1/x taken from the natural log stays)."""
    def fn(expr: sp.Basic) -> sp.Basic:
        if not expr.has(sp.log):
            return expr
        return expr.replace(sp.log, lambda *a: sp.log(a[0]) / sp.log(10) if len(a) == 1 else sp.log(*a))
    changed = {k: v for k, v in _map_values(values, fn).items() if _differs(v, values.get(k))}
    return changed or None


def flipped_sign(values: Values) -> Values | None:
    """The whole answer with the wrong sign."""
    return {k: v for k, v in _map_values(values, lambda e: -e).items() if _nonzero(v)} or None


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


#: The generic models: they name no question.
LOG10 = Model("log10", "log base 10 instead of the natural log", transform=log10)
SIGN = Model("sign", "a sign error", transform=flipped_sign, max_partners=0)
#: The generic models by name: a question module gives one of them partial
#: credit by a :class:`Mistake` of the same name (``Mistake("log10", ..., credit=0.5)``).
GENERIC = {m.name: m for m in (LOG10, SIGN)}

#: Added to a diagnosis when the value matches only within the rounding of
#: the student's own intermediate values.
ROUNDING_LABEL = "rounding of intermediates"


def models(problem: Any) -> list[Model]:
    """The table of ``problem``, in the order models are tried: its override
    mistakes, log base 10, its other mistakes, the sign error."""
    own = [Model(m.name, m.label, mistake=m, max_partners=m.max_partners) for m in problem.checking.mistakes
           if m.name not in GENERIC]  # a module's Mistake named "log10" or "sign" only gives its credit
    return [m for m in own if m.overrides] + [LOG10] + [m for m in own if not m.overrides] + [SIGN]


# --------------------------------------------------------------------------- variants


def _alternatives(model: Model, params: Mapping[str, Any]) -> list[tuple[str, dict, dict]]:
    """(detail, overrides, choices) of each way a module mistake is made."""
    mistake = model.mistake
    if mistake is None:
        return [("", {}, {})]
    if mistake.overrides is not None:
        overrides = mistake.overrides(params)
        return [("", dict(overrides), dict(mistake.choices))] if overrides else []
    if mistake.variants is not None:
        return [(detail, {}, dict(choices)) for detail, choices in mistake.variants(params)]
    return [("", {}, dict(mistake.choices))]


class _Solver:
    """The problem's answer values under overrides and choices (each solved once)."""

    def __init__(self, problem: Any, params: Mapping[str, Any]):
        self.problem, self.params = problem, dict(params)
        self.cache: dict[str, Values | None] = {}

    def values(self, overrides: dict, choices: dict) -> Values | None:
        key = repr((sorted(overrides.items()), sorted(choices.items())))
        if key not in self.cache:
            try:
                sol = self.problem.solve({**self.params, **overrides}, choices=choices)
            except (UsageError, VerificationError, ValueError):
                self.cache[key] = None
            else:
                self.cache[key] = {k: a.value for k, a in sol.answers.items() if a.value is not None}
        return self.cache[key]


def _combo_variants(combo: tuple[Model, ...], solver: _Solver, base: Values) -> list[tuple[tuple[str, ...], Values]]:
    """(labels, values) of every way the models of ``combo`` are made together."""
    per_model = [_alternatives(m, solver.params) for m in combo]
    out = []
    for picks in itertools.product(*per_model):
        overrides: dict = {}
        choices: dict = {}
        for _, o, c in picks:
            overrides.update(o)
            choices.update(c)
        values = base if not overrides and not choices else solver.values(overrides, choices)
        if values is None:
            continue
        for model in combo:
            if model.transform is not None:
                changed = model.transform(values)
                if changed is None:
                    values = None
                    break
                values = {**values, **changed}
        if values is None:
            continue
        labels = tuple(m.label + (f" ({d})" if d else "") for m, (d, _, _) in zip(combo, picks))
        out.append((labels, values))
    return out


def variants(problem: Any, solution: Any, table: Iterable[Model] | None = None) -> list[Variant]:
    """Every single model and every compatible ordered pair (override first)
    that changes at least one answer of ``problem``, solved at the
    solution's parameters. Values keep only the answers that differ from
    the correct ones."""
    table = list(models(problem) if table is None else table)
    solver = _Solver(problem, solution.params)
    base = {k: a.value for k, a in solution.answers.items() if a.value is not None}
    combos: list[tuple[Model, ...]] = [(m,) for m in table]
    combos += [(a, b) for a, b in itertools.combinations(table, 2)
               if a.max_partners and b.max_partners and not b.overrides]
    out: list[Variant] = []
    for combo in combos:
        names = tuple(m.name for m in combo)
        for labels, values in _combo_variants(combo, solver, base):
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


def mistakes_of(diagnosis: str | None, table: Iterable[Variant]) -> tuple[str, ...]:
    """The names of the models (module :class:`Mistake` names, ``log10``,
    ``sign``) of the variant whose label begins ``diagnosis``, as the answer
    check writes it (the label, maybe followed by ", with the intermediate
    values ..." or "; " and a note); () when no variant of ``table`` is named.
    The longest matching label wins (a pair's label begins with its first)."""
    if not diagnosis:
        return ()
    best: Variant | None = None
    for variant in table:
        label = variant.label
        if diagnosis == label or diagnosis.startswith((label + ", with ", label + "; ")):
            if best is None or len(label) > len(best.label):
                best = variant
    return best.models if best is not None else ()
