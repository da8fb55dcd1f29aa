"""Options shared by the ``derive`` commands: ``--set`` and ``--questions``.

Standard library only at import time (``derive --help`` starts fast).
"""
from __future__ import annotations

import argparse


def add_questions_option(parser: argparse.ArgumentParser) -> None:
    """``--questions DIR`` (repeatable): a folder of question modules joins the catalog."""
    parser.add_argument("--questions", action="append", default=[], metavar="DIR",
                        help="add the question modules (*.py, each defining PROBLEM) of DIR to the "
                        "catalog; repeatable; also DERIVE_QUESTIONS=DIR[:DIR...]")


def add_set_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--set", dest="sets", action="append", default=[], metavar="NAME=VALUE",
        help="override a parameter exactly (0.9 means 9/10; 1e-8; 2/3); repeatable. "
        "With several problems, PROBLEM.NAME=VALUE picks one.",
    )


def parse_sets(pairs: list[str], problems) -> dict[str, dict[str, str]]:
    """``--set`` values per problem id: ``{problem_id: {"x": "2"}}``.

    Raises UsageError for a malformed pair or a name no selected problem has."""
    from engine.errors import UsageError

    result: dict[str, dict[str, str]] = {p.id: {} for p in problems}
    for pair in pairs:
        if "=" not in pair:
            raise UsageError(f"--set {pair!r}: write NAME=VALUE, e.g. --set x=2")
        name, value = (s.strip() for s in pair.split("=", 1))
        target = None
        if "." in name:
            target, name = name.rsplit(".", 1)
        hits = [p for p in problems if (target is None or p.id == target) and any(q.name == name for q in p.parameters)]
        if not hits:
            where = f"problem {target!r}" if target else "the selected problems"
            known = sorted({f"{p.id}.{q.name}" for p in problems for q in p.parameters})
            raise UsageError(f"--set {pair!r}: {where} have no parameter {name!r}; parameters: {', '.join(known) or 'none'}")
        for p in hits:
            result[p.id][name] = value
    return result
