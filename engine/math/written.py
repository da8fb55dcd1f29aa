"""A number as written, and the one rounding rule.

:class:`WrittenNumber` is what a student's decimal carries besides its value:
the digits it was written with. :func:`round_half_away` is the rounding rule
of the checker everywhere (school rounding: ties away from zero, ``0.25`` at
one digit is ``0.3``), decided exactly in rationals so that a boundary is
never decided by binary rounding; :func:`rounds_to` asks whether a value
written to a number's digits gives that number.

The readers of written numbers are in :mod:`engine.read.literals`.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath

#: Digits of the mpmath values compared with written numbers.
DIGITS = 40


@dataclass(frozen=True)
class WrittenNumber:
    """A number as the student wrote it.

    text: as it stands in the cleaned text (``1.38 \\times 10^{8}``);
    value: the exact value written (a Fraction); significant: significant
    digits written (leading zeros excluded; an integer's trailing zeros are
    not counted, see ``trailing_zeros``); exponent: power of ten of the last
    digit written (42.11 -> -2, 1.38e8 -> 6, 577 -> 0); trailing_zeros: zeros
    at the end of an integer (138000000 -> 6), significant or not; exact: the
    number is exact, not rounded (a count, a literal 0): its half unit is 0."""

    text: str
    value: Fraction
    significant: int
    exponent: int
    trailing_zeros: int = 0
    exact: bool = False

    @property
    def half_unit(self) -> Fraction:
        """Half a unit in the last written digit (0 for an exact number)."""
        return Fraction(0) if self.exact else Fraction(10) ** self.exponent / 2


def exact_number(value: Fraction, text: str = "") -> WrittenNumber:
    """A WrittenNumber for an exact value (half unit 0)."""
    return WrittenNumber(text or str(value), Fraction(value), 0, 0, exact=True)


def fraction_of(value: Any) -> Fraction:
    """The exact value of a Fraction, an int or an mpf (its binary value) as a Fraction."""
    if isinstance(value, (Fraction, int)):
        return Fraction(value)
    sign, man, exp, _ = mpmath.mpf(value)._mpf_
    f = Fraction(int(man)) * (Fraction(2) ** exp)
    return -f if sign else f


def mpf_of(x: Fraction) -> Any:
    """An mpf of a Fraction (at the current working precision)."""
    return mpmath.mpf(x.numerator) / x.denominator


def round_half_away(value: Any, exponent: int) -> Fraction:
    """``value`` (a Fraction or an mpf) rounded at 10**exponent, ties away
    from zero, as a Fraction: ``round_half_away(Fraction(1, 4), -1) == Fraction(3, 10)``."""
    unit = Fraction(10) ** exponent
    exact = fraction_of(value)
    n = int(abs(exact) / unit + Fraction(1, 2))
    return (-1 if exact < 0 else 1) * n * unit


def rounds_to(value: Any, written: WrittenNumber, slack: Any = 0) -> bool:
    """Whether ``value`` (an mpf) written to the digits of ``written`` gives it
    (the rule of :func:`round_half_away`), allowing ``slack`` more.

    An exact number is matched to :data:`DIGITS` - 8 digits, a number with
    slack within half a unit plus the slack."""
    b = mpf_of(written.value)
    h = mpf_of(written.half_unit)
    if not written.half_unit:
        return abs(value - b) <= slack + mpmath.mpf(10) ** -(DIGITS - 8) * max(1, abs(b))
    if slack:
        return abs(value - b) <= h + slack
    return round_half_away(value, written.exponent) == written.value
