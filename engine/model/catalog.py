"""The catalog of built-in problems (``derivations/``), loaded lazily."""
from __future__ import annotations

import importlib
from functools import lru_cache
from typing import TYPE_CHECKING

from engine.errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    from engine.model.problem import Problem

#: What ``derive list`` shows without importing sympy: module -> (id, sheet).
def module_names() -> tuple[str, ...]:
    from derivations import MODULES

    return MODULES


@lru_cache(maxsize=None)
def _load(module: str) -> "Problem":
    return importlib.import_module(f"derivations.{module}").PROBLEM


def available() -> list["Problem"]:
    """Every problem whose module exists, in sheet order."""
    problems = []
    for name in module_names():
        try:
            problems.append(_load(name))
        except ModuleNotFoundError as exc:
            if exc.name != f"derivations.{name}":
                raise
    return problems


def get(problem_id: str) -> "Problem":
    """The problem with this id; UsageError naming the known ids otherwise."""
    for problem in available():
        if problem.id == problem_id:
            return problem
    known = ", ".join(p.id for p in available())
    raise UsageError(f"unknown problem {problem_id!r}; known problems: {known} (see 'derive list')")


def select(ids: list[str] | None, all_: bool) -> list["Problem"]:
    """Problems named on a command line (``ID ...`` or ``--all``)."""
    if all_ or not ids:
        if not all_ and not ids:
            raise UsageError("name at least one problem id, or --all (see 'derive list')")
        return available()
    return [get(i) for i in ids]


def sheets() -> dict[str, tuple[str, ...]]:
    """Sheet letter -> the ids of its problems, in catalog order (from each
    problem's ``sheet``): a module added to ``derivations`` adds its sheet."""
    out: dict[str, tuple[str, ...]] = {}
    for problem in available():
        out[problem.sheet] = out.get(problem.sheet, ()) + (problem.id,)
    return out


def sheet_choices() -> str:
    """``A, B, C or D``: the sheets of the catalog, for error messages."""
    names = sorted(sheets())
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def find_answer(answer_id: str) -> "Problem":
    """The problem that promises ``answer_id``."""
    for problem in available():
        if answer_id in problem.answer_ids:
            return problem
    raise UsageError(f"unknown answer id {answer_id!r}")
