"""Numeric command-line options with a range.

``type=bounded(float, 0.1, 300)`` for argparse: a value that is not a
number, not finite (``nan``, ``inf``) or outside the range is refused with
one line saying the range (argparse's usage error, exit code 2). Only the
standard library is imported here.
"""
from __future__ import annotations

import argparse
import math
from typing import Callable


def bounded(kind: type, low: float, high: float) -> Callable[[str], float | int]:
    """An argparse ``type``: ``kind(text)`` within ``[low, high]``."""

    def convert(text: str):
        try:
            value = kind(text)
        except (ValueError, OverflowError):
            raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not a finite number; give {low:g} to {high:g}")
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is out of range; give {low:g} to {high:g}")
        return value

    convert.__name__ = kind.__name__  # argparse names the type in its messages
    return convert
