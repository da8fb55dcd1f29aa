"""Numbers as written in a student's LaTeX, with the digits written.

:func:`written_precision`, :func:`number_literal` and :func:`literal_grid`
record how many digits each number was written with (a
:class:`engine.math.written.WrittenNumber`), so that answers are compared at
the precision written. Errors are :class:`engine.errors.ParseError`.
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
    if m and m.group(1) not in ("vmatrix", "Vmatrix"):
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
