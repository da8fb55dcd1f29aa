"""A number printed by a program that computed in float32 (PyTorch's default
dtype): ``x.grad.item()`` prints the shortest decimal of the float32 value
widened to a double, ``48.756893157958984`` for df/dx = 48.75689335...

Such a printout is right when the true value rounds to it in float32 up to a
few units in the last place (each float32 operation rounds by half a unit,
IEEE 754-2019, section 4.3; a short chain of them stays within a few). The
rule applies only when the digits written are exactly a float32 value's
shortest double representation with at least :data:`MIN_DIGITS` significant
digits, so a decimal a student rounded by hand is never read as one.
"""
from __future__ import annotations

import math
import re
import struct
from typing import Any

#: A printout shorter than this is a hand-rounded decimal, not a float32's digits.
MIN_DIGITS = 9
#: Units in the last place of float32 a printed result may be off (a short chain of operations).
MAX_ULPS = 4


def as_float32(x: float) -> float:
    """``x`` rounded to the nearest float32, widened back to a double."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def is_printout(text: str) -> bool:
    """Whether ``text`` is the shortest repr of a float32 value widened to a double."""
    text = text.strip().lstrip("+")
    if not re.fullmatch(r"-?\d+\.\d+(?:e[-+]?\d+)?", text):
        return False
    digits = len(re.sub(r"^[-0.]+", "", text.split("e")[0].replace(".", "")))
    if digits < MIN_DIGITS:
        return False
    try:
        value = float(text)
        return math.isfinite(value) and repr(as_float32(value)) == text
    except (OverflowError, ValueError):
        return False


def matches(text: str, expected: Any) -> bool:
    """Whether the printout ``text`` is ``expected`` (a real number) computed in float32."""
    if not is_printout(text):
        return False
    try:
        exact = float(expected)
    except (TypeError, ValueError, OverflowError):
        return False
    if not math.isfinite(exact) or exact == 0:
        return False
    ulp = 2.0 ** (math.frexp(exact)[1] - 24)
    return abs(float(text) - exact) <= MAX_ULPS * ulp
