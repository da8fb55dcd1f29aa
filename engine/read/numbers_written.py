"""Numbers as people write them, rewritten to the one form the parser
reads, before anything else reads the text:

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

__all__ = ["normalize_numbers", "juxtaposed_numbers", "clock_minutes"]

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
