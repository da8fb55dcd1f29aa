"""The LaTeX tokenizer of the reading stage: commands, arguments, groups.

Every module of :mod:`engine.read` (and the checker) that walks LaTeX text
by hand uses these, so that a brace, a command or an argument means the same
thing everywhere:

* :func:`group_end` is the one bracket matcher: the index after the bracket
  that closes the one at ``start`` (a backslash escapes the next character:
  ``\\{`` is not a brace);
* :func:`skip_group`, :func:`read_argument` and :func:`skip_spaces` read the
  argument of a command; :data:`COMMAND` matches a command;
* :func:`split_top_level` cuts at a separator outside all brackets;
* :data:`FUNCTIONS` is the one table of function names; :data:`STRUCK` the
  one table of struck-out commands.

Errors are :class:`engine.errors.ParseError` with a one-line reason.
"""
from __future__ import annotations

import re

from engine.errors import ParseError

#: The one table of named functions a student writes as ``\\operatorname{NAME}``,
#: ``\\text{NAME}`` or ``\\mathrm{NAME}``: name -> numbers of arguments it takes
#: (None: one or more). :data:`engine.read.parse.KNOWN_FUNCTIONS` builds them.
FUNCTIONS: dict[str, tuple[int, ...] | None] = {
    "sign": (1,), "sgn": (1,), "signum": (1,), "sigmoid": (1,), "relu": (1,), "ReLU": (1,), "exp": (1,),
    "ln": (1,), "log": (1, 2), "tanh": (1,), "abs": (1,),
    **dict.fromkeys("max min softmax".split()),  # None: one or more arguments
}
#: The names of :data:`FUNCTIONS`.
FUNCTION_NAMES = frozenset(FUNCTIONS)
#: Functions LaTeX writes as commands of their own (``\\sin``, ``\\lim``).
COMMAND_FUNCTIONS = frozenset("log ln exp sin cos tan max min sqrt sum prod lim".split())
#: Function names read as functions when written bare before a parenthesis,
#: in any case (``relu(x)``, ``LeakyReLU(U)``, ``Log(x)`` as OCR capitalizes it).
BARE_FUNCTIONS = tuple("leakyrelu prelu gelu softplus maxpool relu sigmoid softmax tanh sign signum exp log ln".split())
#: Words in math text that name a function or an abbreviation, never prose
#: (``\\text{sign}``, ``\\text{FC}``): lower case.
FUNCTION_WORDS = frozenset({n.lower() for n in FUNCTIONS} | {
    "mean", "diag", "tr", "argmax", "leakyrelu", "prelu", "grad", "tss", "fov", "rf", "fc", "conv", "const",
    "loss", "nan", "inf"})

#: The one table of struck-out work: command -> number of arguments dropped
#: with it (``\\cancelto{v}{x}`` drops both).
STRUCK: dict[str, int] = {"cancel": 1, "bcancel": 1, "xcancel": 1, "hcancel": 1, "sout": 1, "st": 1, "xout": 1,
                          "cancelto": 2}

#: A command: ``\\name`` (with an optional star) or ``\\`` and one character.
COMMAND = re.compile(r"\\([A-Za-z]+)\*?|\\(.)", re.S)

_CLOSE = {"{": "}", "(": ")", "[": "]"}
_KIND = {"{": "braces", "(": "parentheses", "[": "brackets"}


def group_end(text: str, start: int, brackets: str = "{", *, unbalanced: int | None = None) -> int:
    """Index just after the bracket closing the one at ``text[start]``.

    ``brackets``: the opening brackets counted (``"{"``; ``"([{"`` counts all
    three kinds, so ``(a[b)`` nests); a backslash escapes the character after
    it. When the bracket is never closed, returns ``unbalanced`` if given,
    else raises ParseError."""
    opens = set(brackets)
    closes = {_CLOSE[b] for b in brackets}
    depth = 0
    i = start
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c in opens:
            depth += 1
        elif c in closes:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    if unbalanced is not None:
        return unbalanced
    char = text[start] if start < n else brackets[0]
    raise ParseError(f"unbalanced {_KIND.get(char, 'brackets')}: the '{char}' before "
                     f"'{text[start + 1:start + 13].strip()}' is never closed")


def skip_spaces(text: str, i: int) -> int:
    """The first index at or after ``i`` that is not white space."""
    while i < len(text) and text[i] in " \t\n\r":
        i += 1
    return i


def skip_group(text: str, i: int) -> int:
    """Index after the brace group starting at ``text[i]`` (spaces and tabs
    skipped); ``i`` when there is none; the end of the text if unbalanced."""
    while i < len(text) and text[i] in " \t":
        i += 1
    if i >= len(text) or text[i] != "{":
        return i
    return group_end(text, i, unbalanced=len(text))


def read_argument(text: str, i: int, *, missing: str | None = None) -> tuple[str, int, bool]:
    """The argument at ``i`` (after spaces): a ``{group}`` (content, end,
    True) or a single token: a letter, a digit, a command (text, end, False).
    At the end of the text: ``(missing, i, False)`` when ``missing`` is given,
    else ParseError."""
    i = skip_spaces(text, i)
    if i >= len(text):
        if missing is not None:
            return missing, i, False
        raise ParseError("a command at the end of the text is missing its argument")
    if text[i] == "{":
        end = group_end(text, i, unbalanced=len(text) if missing is not None else None)
        return text[i + 1:end - 1], end, True
    m = COMMAND.match(text, i)
    if m:
        return m.group(0), m.end(), False
    return text[i], i + 1, False


def split_top_level(text: str, separator: str = ",") -> list[str]:
    """``text`` cut at each ``separator`` outside parentheses, brackets and braces."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == separator and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def nesting_depth(text: str) -> int:
    """The deepest nesting of braces, parentheses and brackets in ``text``."""
    depth = deepest = 0
    for c in text:
        if c in "{([":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "})]":
            depth -= 1
    return deepest
