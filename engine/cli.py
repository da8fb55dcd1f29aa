"""The ``derive`` command.

Each subcommand lives in ``engine/commands/<module>.py`` and provides
``configure(parser)`` and ``run(args) -> int``. Command modules import only
the standard library at top level, so ``derive --help`` starts fast; sympy
is imported when a command runs.

Errors are caught here, at the display boundary: a UsageError becomes one
line on stderr and exit code 2; a VerificationError (a bug in a derivation
module) exit code 1.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from engine.commands import options

#: (name, module, one-line help, description). Order is the order of --help.
COMMANDS = (
    ("list", "engine.commands.catalog", "list the built-in problems",
     "List the problem ids and titles of the built-in catalog (shared/problems.md)."),
    ("show", "engine.commands.catalog", "print a problem's answers in the terminal",
     "Solve one problem (every step verified) and print its answers."),
    ("answers", "engine.commands.catalog", "answers as JSON, for scripts and graders",
     "Solve problems and print their answers, keyed by the answer ids of problems.md."),
    ("render", "engine.commands.render", "worked solutions as LaTeX, a LaTeX fragment or Markdown",
     "Render verified worked solutions through the Jinja2 templates."),
    ("pdf", "engine.commands.render", "worked solutions as a PDF (latexmk, pdflatex)",
     "Build a PDF of verified worked solutions with latexmk -pdf -no-shell-escape."),
    ("diff", "engine.commands.calculus", "differentiate any expression, step by step",
     "Differentiate a LaTeX expression step by step with named rules; every step verified."),
    ("trace", "engine.commands.calculus", "primal and adjoint evaluation traces of any expression",
     "Forward primal trace and reverse adjoint trace (Baydin et al. 2018, Table 2) of a LaTeX expression."),
    ("check", "engine.commands.check", "check a student's OCR'd solution, step by step",
     "Check handwritten solutions (OCR'd Markdown with LaTeX) against a sheet: answers and steps."),
    ("gradescope", "engine.commands.gradescope", "the Gradescope autograder bundle of a sheet",
     "Build the autograder zip that Gradescope runs on each student's OCR'd solution (setup.sh, run_autograder)."),
    ("equiv", "engine.commands.equiv", "are two LaTeX expressions equal?",
     "Decide whether a student's LaTeX equals a reference: equal, different or undecided, with the reason."),
)

EPILOG = """\
examples:
  derive list
  derive show autodiff --set x=2 --set c=7
  derive answers --all --format json
  derive render adam --format md -o adam.md
  derive pdf                       # build/solutions.pdf of the whole catalog
  derive diff '\\frac{x^2}{\\log x}' --wrt x --at x=3
  derive trace '(x^2/\\log x + c)(x^2/\\log x - c)' --at c=5,x=3
  derive check ../shared/submissions/sheet-a-ocr-example.md --sheet A
  derive gradescope --sheet A -o autograder.zip
  derive equiv '\\frac{1}{4}' '0.25'
  derive list --questions ~/course/questions   # the catalog plus a course's own questions

A course's own question modules (one module per question, see README.md,
"Writing a problem") join the catalog with --questions DIR on any command,
or with DERIVE_QUESTIONS=DIR[:DIR...] in the environment.

Run 'derive COMMAND --help' for a command's options.
"""


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``derive show: error: ... (see derive show --help)``."""

    def error(self, message: str):  # noqa: D401 - argparse API
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="derive",
        description="Verified step-by-step solutions for deep-learning coursework, "
        "and a checker for students' handwritten ones.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from engine import __version__

    parser.add_argument("--version", action="version", version=f"derive {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name, module, help_, description in COMMANDS:
        cmd = sub.add_parser(name, help=help_, description=description,
                             formatter_class=argparse.RawDescriptionHelpFormatter)
        mod = importlib.import_module(module)
        getattr(mod, "configure_" + name)(cmd)
        options.add_questions_option(cmd)
        cmd.set_defaults(_run=getattr(mod, "run_" + name))
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    from engine.errors import BuildFailed, UsageError, VerificationError

    try:
        if getattr(args, "questions", None):
            from engine.model import catalog

            for folder in args.questions:
                catalog.add_folder(folder)
        return int(args._run(args) or 0)
    except UsageError as exc:
        print(f"derive {args.command}: {exc}", file=sys.stderr)
        return 2
    except BuildFailed as exc:
        print(f"derive {args.command}: {exc}", file=sys.stderr)
        return 1
    except VerificationError as exc:
        print(f"derive {args.command}: a built-in derivation failed verification: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"derive {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the display boundary: a bug, reported in one line
        if os.environ.get("DERIVE_DEBUG"):
            raise
        print(f"derive {args.command}: internal error: {type(exc).__name__}: {exc} "
              "(set DERIVE_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
