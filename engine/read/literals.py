"""Numbers as written in a student's LaTeX, with the digits written.

:func:`written_precision`, :func:`number_literal` and :func:`literal_grid`
record how many digits each number was written with (a
:class:`engine.math.written.WrittenNumber`), so that answers are compared at
the precision written. Errors are :class:`engine.errors.ParseError`.

It is also the one reader of numbers as people write them, before anything
else reads the text (:func:`normalize_numbers`):

* digit grouping: ``1,000.99``, ``7,425,000``, ``32,\\! 349``,
  ``12,\\!000,\\!023``, ``14{,}916`` (LaTeX's grouping comma), ``1\\,000``
  and ``1 000`` (a thin or plain space before a group of three digits) are
  one number. A lone ``1,000`` stays as written: it reads as a thousands
  group or a decimal comma, and :func:`engine.read.text.resolve_commas`
  decides with the reference;
* currency signs (``\\$16.20``, ``16.20$``, ``€``) are dropped;
* ``28 percent``, ``28 pct``, ``28 percentage``, ``28 %`` are ``28\\%``;
* a clock time ``12:00`` (hours, colon, two digits of minutes) is its
  number of minutes, ``720`` (never the ratio 12/0).

:func:`juxtaposed_numbers` finds two numbers side by side (``6 8``), which
are neither a sum nor one number: the caller says "undecided".
"""
from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

from engine.math.written import WrittenNumber
from engine.read.text import clean
from engine.read.tokens import group_end

_NUMBER = r"(\d+(?:\.\d+)?)"
_SCI = r"\s*(?:\\times|\\cdot)\s*10\s*\^\s*(?:\{\s*([+-]?\s*\d+)\s*\}|(\d))"
_NUMBER_RE = re.compile(r"(?<![\w.])" + _NUMBER + "(?:" + _SCI + ")?")


def _written(match: re.Match, sign: int = 1) -> WrittenNumber:
    mantissa, exp_braced, exp_digit = match.group(1), match.group(2), match.group(3)
    sci = exp_braced or exp_digit
    whole, _, frac = mantissa.partition(".")
    if sci is not None and not ("." in mantissa or len(whole) == 1):
        sci = None  # 64 \times 10^2 is arithmetic, not scientific notation
    power = int(sci.replace(" ", "")) if sci is not None else 0
    digits = (whole + frac).lstrip("0")
    trailing = 0
    if frac:
        significant = len(digits) if digits else len(frac)  # 0.00 -> 2 written digits
    else:
        stripped = digits.rstrip("0")
        trailing = len(digits) - len(stripped)
        significant = max(len(stripped), 1)
    value = Fraction(Decimal(mantissa)) * Fraction(10) ** power * sign
    text = match.group(0) if sci is not None else mantissa
    return WrittenNumber(text.strip(), value, significant, power - len(frac), trailing if sci is None else 0)


def written_precision(text: str) -> tuple[WrittenNumber, ...]:
    """Every number of ``text`` as written, in order, with its significant
    digits: ``"48.757"`` -> 5, ``"1.38 \\times 10^8"`` -> 3, ``"0.25"`` -> 2,
    ``"11.9\\%"`` -> 3 (the value 0.119), ``"42,7"`` -> 3 (the value 42.7).

    >>> [w.significant for w in written_precision(r"1.38 \\times 10^8 + 0.25")]
    [3, 2]

    Raises ParseError when the text cannot be cleaned (see :func:`clean`)."""
    cleaned = clean(text)
    found = []
    pos = 0
    while (m := _NUMBER_RE.search(cleaned, pos)) is not None:
        number = _written(m)
        found.append(number)
        pos = m.end() if number.text == m.group(0).strip() else m.end(1)
    return tuple(found)


def number_literal(text: str) -> WrittenNumber | None:
    """The single number ``text`` consists of (sign, digits, scientific
    notation, percent), or None when it is anything else. The sign is part
    of ``value`` and ``text``."""
    cleaned = clean(text)
    while re.fullmatch(r"\{.*\}", cleaned) and group_end(cleaned, 0) == len(cleaned):
        cleaned = cleaned[1:-1].strip()
    m = re.fullmatch(r"([+-]?)\s*" + _NUMBER + "(?:" + _SCI + ")?", cleaned)
    if not m:
        return None
    inner = _NUMBER_RE.match(cleaned, m.start(2))
    number = _written(inner, -1 if m.group(1) == "-" else 1)
    if m.group(1) == "-":
        number = WrittenNumber("-" + number.text, number.value, number.significant, number.exponent,
                               number.trailing_zeros)
    return number


def literal_grid(text: str) -> tuple[tuple[WrittenNumber, ...], ...] | None:
    """The numbers of a matrix or tuple written with literal entries, row
    by row: ``\\begin{pmatrix}0.09 & 0.24\\end{pmatrix}`` and ``(0.09, 0.24)``
    give one row of two. None when any entry is not a plain number."""
    cleaned = clean(text)
    m = re.fullmatch(r"\\begin\{([pbBvV]?matrix|smallmatrix)\}(.*)\\end\{\1\}", cleaned, re.S)
    if m:
        rows = [[c for c in row.split("&")] for row in m.group(2).split("\\\\") if row.strip()]
    elif re.fullmatch(r"[(\[].*[)\]]", cleaned, re.S) and cleaned.count("(") + cleaned.count("[") == 1:
        rows = [cleaned[1:-1].split(",")]
    else:
        return None
    grid = []
    for row in rows:
        cells = []
        for cell in row:
            number = number_literal(cell)
            if number is None:
                return None
            cells.append(number)
        grid.append(tuple(cells))
    if not grid or len({len(r) for r in grid}) != 1:
        return None
    return tuple(grid)


# --------------------------------------------------------------------------- numbers as people write them

#: A grouping comma LaTeX-style, with an optional thin space: ``,\!``, ``{,}``, ``,\!\ ``.
_GROUP_MARK = r"(?:\{,\}|,\s*\\!\s*|,\\,|\\,|\\ |\\;)"
_MARKED = re.compile(r"(?<![\d.,])(\d{1,3})((?:" + _GROUP_MARK + r"\d{3})+)(\.\d+)?(?![\d,])")
#: ``1,000.99`` and ``7,425,000``: plain commas, unambiguous by a decimal point or two groups.
_PLAIN = re.compile(r"(?<![\d.,])(\d{1,3})((?:,\d{3}){2,}|,\d{3}(?=\.\d))(\.\d+)?(?![\d,])")
#: ``1 000`` as a whole answer: one space before each group of three digits.
_SPACED = re.compile(r"^\s*(-?\d{1,3})((?: \d{3})+)(\.\d+)?\s*$")
_CURRENCY = re.compile(r"\\\$|(?<=\d)\s*\$|€|\\euro\b|\\EUR\b")
_PERCENT_WORD = re.compile(r"(\d)\s*(?:\\text\{\s*)?(?:percentage|percent|pct)\b(?:\s*\})?|(\d)\s*(?<!\\)%")
_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
_JUXTAPOSED = re.compile(r"(?<![\d.,\\{^_])\d+(?:\.\d+)?\s+\d+(?:\.\d+)?(?![\d.,])")


def _join(m: re.Match) -> str:
    return m.group(1) + re.sub(r"\D", "", m.group(2)) + (m.group(3) or "")


def normalize_numbers(text: str) -> str:
    """``text`` with grouped digits joined, currency dropped and percent words as ``\\%``."""
    text = _CURRENCY.sub(" ", text)
    text = _MARKED.sub(_join, text)
    text = _PLAIN.sub(_join, text)
    spaced = _SPACED.match(text)
    if spaced:
        text = _join(spaced)
    return _PERCENT_WORD.sub(lambda m: (m.group(1) or m.group(2)) + r"\%", text).strip()


def clock_minutes(text: str) -> int | None:
    """The minutes of a clock time ``h:mm`` written alone, else None."""
    m = _CLOCK.match(text)
    if not m or int(m.group(2)) >= 60:
        return None
    return int(m.group(1)) * 60 + int(m.group(2))


def juxtaposed_numbers(text: str) -> str | None:
    """The first two numbers written side by side with only a space between (``6 8``), or None."""
    m = _JUXTAPOSED.search(text)
    return m.group(0) if m else None
