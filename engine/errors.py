"""The engine's exceptions.

Errors are raised where they happen and caught only at the display boundary
(the CLI, a notebook): the CLI turns a :class:`UsageError` into one line on
stderr and exit code 2. Nothing inside the engine swallows them.
"""
import jinja2


class DeriveError(Exception):
    """Base class of every error the engine raises on purpose."""


class UsageError(DeriveError):
    """Invalid input from the user: an unknown problem or answer id, an
    unknown parameter, a value that is not a number, an unreadable file.
    The message says what to fix; the CLI prints it and exits with 2."""


class ToolMissing(UsageError):
    """An external program (latexmk, pdflatex) is not installed. The message
    names the packages to install."""


class VerificationError(DeriveError):
    """A step of a built-in derivation does not follow from the one before it.

    This is a bug in a derivation module, never in user input: the message
    names the problem, the part and the step, so no solution with a wrong
    line in it is ever rendered."""


class NotSupported(DeriveError):
    """The engine has no rule for this construct yet (not invalid input).
    For example a function without a derivative rule in ``derive diff``."""


class BuildFailed(DeriveError):
    """An external build failed (pdflatex stopped on an error in the
    document). The message names the log file and its first error line; the
    CLI prints it and exits with 1."""


class ParseError(UsageError):
    """Student LaTeX that cannot be read; the message is one line saying why."""


class DefinitionCycle(ParseError):
    """A problem's definitions or given values do not settle (a cycle)."""


class Undecided(DeriveError):
    """A comparison cannot be decided; the message says why (one line)."""


class SoftTimeout(DeriveError):
    """The soft time budget of a slow comparison strategy (``simplify``) ran out."""


class NotEqual(DeriveError):
    """Raised by :func:`engine.model.verify.prove_equal` with a counterexample in the message."""


class UnescapedText(jinja2.TemplateError):
    """A template printed a string without an escaping filter."""


class UnsafeLatex(DeriveError):
    """LaTeX about to be printed unescaped holds a control sequence that
    reads or writes files, runs programs or redefines commands
    (engine.math.texnames.DANGEROUS). Outside text always goes through an
    escaping filter, so this is a bug: the document is not written."""


class TooLarge(UsageError):
    """Input that cannot be computed quickly: a number of too many digits,
    a power tower too high, a sum of too many terms, a matrix too large
    (engine.math.limits). The message says what to change; exit code 2."""
