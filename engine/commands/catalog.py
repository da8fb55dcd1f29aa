"""``derive list``, ``derive show`` and ``derive answers``."""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import textwrap

from engine.commands.options import add_set_option, parse_sets


def configure_list(parser: argparse.ArgumentParser) -> None:
    parser.epilog = "example:\n  derive list"


def run_list(args) -> int:
    from engine.model import catalog

    for problem in catalog.available():
        print(f"{problem.id:<12} {problem.sheet}  {problem.title}")
    return 0


def configure_show(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("problem", metavar="ID", help="a problem id from 'derive list'")
    add_set_option(parser)
    parser.epilog = "examples:\n  derive show vgg16\n  derive show adam --set beta_1=0.8 --set beta_2=0.99"


def run_show(args) -> int:
    from engine.model import catalog
    from engine.math import numbers

    problem = catalog.get(args.problem)
    sol = problem.solve(parse_sets(args.sets, [problem])[problem.id])
    width = shutil.get_terminal_size((100, 20)).columns
    bold = (lambda s: f"\033[1m{s}\033[0m") if sys.stdout.isatty() else (lambda s: s)
    print(bold(f"{problem.id}: {problem.title}"))
    params = ", ".join(f"{name} = {_plain_value(v)}" for name, v in sol.params.items() if not isinstance(v, list))
    if params:
        print(f"parameters: {params}")
    key_width = max(len(a) for a in problem.answer_ids)
    for answer_id in problem.answer_ids:
        value, text = answer_text(sol.answers[answer_id], numbers)
        lines = value.splitlines()  # a 2-D formula is printed as it is, never wrapped
        for line in text.splitlines():
            lines += textwrap.wrap(line, max(30, width - key_width - 4)) or [""]
        lines = lines or [""]
        print(f"  {bold(answer_id.ljust(key_width))}  {lines[0]}")
        for line in lines[1:]:
            print(" " * (key_width + 4) + line)
    return 0


def _plain_value(v) -> str:
    from engine.math import numbers

    try:
        return numbers.format_number(v, 15)
    except (ValueError, TypeError):
        return str(v)


def terminal_form(expr) -> str:
    """``expr`` in sympy's 2-D Unicode notation for a terminal (fractions,
    roots, Greek letters), symbol names stripped of their LaTeX markup
    (:func:`engine.render.terminal.plain_symbols`)."""
    import sympy as sp

    from engine.render.terminal import plain_symbols

    return sp.pretty(plain_symbols(expr), use_unicode=True, wrap_line=False)


def answer_text(answer, numbers) -> tuple[str, str]:
    """A terminal rendering of one answer, (value, prose): numbers by the
    display policy, matrices row by row, symbolic expressions in sympy's 2-D
    Unicode notation (:func:`terminal_form`); either may be empty."""
    import sympy as sp

    value = answer.value
    shown = ""
    if value is not None:
        if isinstance(value, (list, tuple)):
            value = sp.Matrix([value])
        if isinstance(value, sp.MatrixBase) and numbers.is_numeric(value):
            rows = [[numbers.format_number(value[i, j]) for j in range(value.cols)] for i in range(value.rows)]
            shown = "; ".join("[" + ", ".join(r) + "]" for r in rows)
        elif numbers.is_numeric(value):
            shown = numbers.format_number(value)
        else:
            shown = terminal_form(value)
    from engine.render.terminal import prose_text

    return shown, prose_text(answer.text or "")


def configure_answers(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("problems", metavar="ID", nargs="*", help="problem ids from 'derive list'")
    parser.add_argument("--all", action="store_true", help="every problem of the catalog")
    add_set_option(parser)
    parser.add_argument("--variant", type=int, metavar="SEED",
                        help="an exam variant: parameters drawn from SEED within each problem's well-posed "
                        "ranges (the same seed always gives the same variant); --set still overrides")
    parser.add_argument("--format", choices=("json",), default="json",
                        help="output format (json: {id: {parameters, answers: {answer_id: {latex, value, text}}}})")
    parser.epilog = ("examples:\n  derive answers --all --format json\n"
                     "  derive answers autodiff --set x=2 --set c=7 --format json\n"
                     "  derive answers autodiff --variant 7 --format json")


def answers_json(problems, sets, variant: int | None = None) -> dict:
    """The JSON document of ``derive answers`` for solved problems; with
    ``variant``, at the parameters drawn from that seed (engine.model.variants)."""
    from engine.model.problem import plain_value

    out = {}
    for problem in problems:
        overrides = {}
        if variant is not None:
            from engine.model.variants import draw

            overrides.update(draw(problem, variant))
        overrides.update(sets.get(problem.id, {}))
        sol = problem.solve(overrides)
        out[problem.id] = {
            "parameters": {name: plain_value(v) for name, v in sol.params.items()},
            "answers": {
                answer_id: {
                    "latex": sol.answers[answer_id].latex,
                    "value": sol.answers[answer_id].json_value,
                    "text": sol.answers[answer_id].text,
                }
                for answer_id in problem.answer_ids
            },
        }
    return out


def run_answers(args) -> int:
    from engine.render import cache
    from engine.model import catalog

    problems = catalog.select(args.problems, args.all)
    sets = parse_sets(args.sets, problems)
    document = cache.memo(("answers", [p.id for p in problems], sets, args.variant),
                          lambda: answers_json(problems, sets, args.variant))  # engine.render.cache: solved once per code
    json.dump(document, sys.stdout, indent=2)
    print()
    return 0
