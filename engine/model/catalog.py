"""The catalog: the built-in questions (``derivations/``) and a course's own folders.

A question is one module that defines ``PROBLEM`` (an
:class:`engine.model.problem.Problem`). The catalog lists

* the built-in modules of :data:`derivations.MODULES`, in sheet order;
* then the modules of every *question folder*, each folder's ``*.py`` files
  in name order (files starting with ``_`` are skipped). Folders come from
  the environment variable ``DERIVE_QUESTIONS`` (paths joined by ``:``, as
  ``PATH``) and from ``derive --questions DIR`` (:func:`add_folder`).

A sheet is the questions whose ``Problem.sheet`` is that letter, in catalog
order: question 1 of sheet B is the first of them. A folder module that
cannot be imported, or defines no ``PROBLEM``, is a UsageError naming the
file (the CLI prints one line and exits with 2; ``DERIVE_DEBUG=1`` shows the
module's traceback); it is never dropped.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import zlib
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    from engine.model.problem import Problem

#: Environment variable naming folders of question modules (``:``-separated).
ENV_VAR = "DERIVE_QUESTIONS"
#: Folders added by :func:`add_folder` (``derive --questions DIR``), in order.
_FOLDERS: list[Path] = []


def module_names() -> tuple[str, ...]:
    """The built-in question modules, in sheet order."""
    from derivations import MODULES

    return MODULES


def folders() -> list[Path]:
    """Question folders: those of ``DERIVE_QUESTIONS``, then those added."""
    env = [Path(p) for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p.strip()]
    out: list[Path] = []
    for folder in env + _FOLDERS:
        if folder not in out:
            out.append(folder)
    return out


def add_folder(path: str | Path) -> None:
    """Add a folder of question modules to the catalog (``--questions DIR``).
    Raises UsageError when it is not a directory."""
    folder = Path(path)
    if not folder.is_dir():
        raise UsageError(f"--questions {path}: not a directory of question modules")
    if folder not in _FOLDERS:
        _FOLDERS.append(folder)
        available.cache_clear()


@lru_cache(maxsize=None)
def _load(module: str) -> "Problem":
    return importlib.import_module(f"derivations.{module}").PROBLEM


@lru_cache(maxsize=None)
def _load_file(path: Path) -> "Problem":
    """``PROBLEM`` of the module at ``path``; UsageError naming the file when
    it cannot be imported or defines no Problem."""
    from engine.model.problem import Problem

    name = f"derive_questions_{zlib.crc32(str(path.resolve()).encode()):08x}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"{path}: not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the module is the course's code: report it in one line, never drop it
        sys.modules.pop(name, None)
        if os.environ.get("DERIVE_DEBUG"):
            raise  # the module author's traceback
        line = ""
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == str(path):
                line = f", line {tb.tb_lineno}"
            tb = tb.tb_next
        if isinstance(exc, SyntaxError) and exc.lineno:
            line = f", line {exc.lineno}"
        raise UsageError(f"{path}{line}: the question module does not load: "
                         f"{type(exc).__name__}: {exc}".splitlines()[0]) from None
    problem = getattr(module, "PROBLEM", None)
    if not isinstance(problem, Problem):
        raise UsageError(f"{path}: a question module must define PROBLEM = Problem(...)")
    return problem


def _folder_problems(folder: Path) -> list["Problem"]:
    if not folder.is_dir():
        raise UsageError(f"{ENV_VAR}: {folder} is not a directory of question modules")
    return [_load_file(p) for p in sorted(folder.glob("*.py")) if not p.name.startswith("_")]


@lru_cache(maxsize=None)
def _available(folder_key: tuple[Path, ...]) -> tuple["Problem", ...]:
    problems = []
    for name in module_names():
        try:
            problems.append(_load(name))
        except ModuleNotFoundError as exc:
            if exc.name != f"derivations.{name}":
                raise
    for folder in folder_key:
        for problem in _folder_problems(folder):
            if any(p.id == problem.id for p in problems):
                raise UsageError(f"{folder}: problem id {problem.id!r} is already in the catalog")
            problems.append(problem)
    return tuple(problems)


def available() -> list["Problem"]:
    """Every problem of the catalog: built-in modules, then question folders."""
    return list(_available(tuple(folders())))


available.cache_clear = _available.cache_clear  # type: ignore[attr-defined]


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


def find_answer(answer_id: str) -> "Problem":
    """The problem that promises ``answer_id``."""
    for problem in available():
        if answer_id in problem.answer_ids:
            return problem
    raise UsageError(f"unknown answer id {answer_id!r}")


def sheets() -> dict[str, tuple["Problem", ...]]:
    """Sheet letter -> its questions in order (question 1 first), in order of
    the sheets' first questions."""
    out: dict[str, list] = {}
    for problem in available():
        out.setdefault(problem.sheet, []).append(problem)
    return {sheet: tuple(problems) for sheet, problems in out.items()}


def sheet(letter: str) -> tuple["Problem", ...]:
    """The questions of sheet ``letter`` (case-insensitive); UsageError naming
    the known sheets otherwise."""
    known = sheets()
    if letter.upper() not in known:
        raise UsageError(f"unknown sheet {letter!r}; use --sheet {_or(list(known))}")
    return known[letter.upper()]


def _or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
