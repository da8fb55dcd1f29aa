"""Claims stated in words that :data:`engine.read.chains.PROSE_CLAIM` (``the
FOV is 224x224``, ``total: 138357544``) does not catch: a value announced as
approximate (``the ratio is roughly 11.9 %``, ``f(3,5) is about 42.11``) and
the region a unit sees (``each output unit sees a 212 x 212 region``, ``each
pixel in 7x7 has info from 212 x 212``: the receptive field, the region of
the input that one output unit depends on; Araujo et al. 2019, "Computing
receptive fields of convolutional neural networks", Distill).

:func:`claims` returns ``(words, value, relation)`` triples, the value as
LaTeX and the relation ``"equal"`` or ``"approx"``; the caller makes chains
of them. Text only: nothing is evaluated. Every pattern is linear and a line
is looked at only up to :data:`MAX_TEXT` characters.
"""
from __future__ import annotations

import re

MAX_TEXT = 2000

_NUMBER = r"[-+]?\d[\d.,]*(?:\s?%)?"
#: "the ratio is roughly 11.9 %", "f(3,5) is about 42.11", "the total comes to ~138 M"
APPROX_CLAIM = re.compile(
    r"(?P<lhs>[A-Za-z#][^=\n]{0,80}?)\s+(?:is|are|equals|comes\sto|gives|=)\s+"
    r"(?:roughly|about|approximately|approx\.?|around|nearly|~|≈)\s+(?P<value>" + _NUMBER + r")(?![\w.])"
)
#: "each output unit sees a 212 x 212 region", "each pixel in 7x7 has info from 212 x 212"
REGION_CLAIM = re.compile(
    r"(?P<lhs>[A-Za-z#][^=\n]{0,80}?)\s+(?:sees|covers|spans|has\s+info(?:rmation)?\s+from|depends\s+on|looks\s+at)"
    r"\s+(?:a|an|the|about|roughly)?\s*(?P<side>\d{1,5})\s*(?:[x×X*]|\\times)\s*(?P<side2>\d{1,5})(?![\w.])"
)
#: Words just before a value that make it a start value, not a result: "starting with r = 1".
START_VALUE = re.compile(r"(?:\bstart(?:ing|s)?(?:\s+(?:with|from|at))?|\binitial(?:ly|ised|ized)?(?:\s+(?:with|to|value))?"
                         r"|\bbegin(?:ning|s)?\s+with|\bwe\s+have|\bat\s+the\s+input\s*,?)\s*$", re.IGNORECASE)


#: "where it is 1/4", "the maximum is 1/4": a fraction in words (the value as one number).
FRACTION_CLAIM = re.compile(r"(?P<lhs>[A-Za-z#][^=\n]{0,80}?)\s+(?:is|=|equals|of)\s+(?P<num>\d{1,6})\s?/\s?(?P<den>\d{1,6})"
                            r"(?![\w./])")


def claims(text: str) -> list[tuple[str, str, str]]:
    """(words, value LaTeX, relation) of each approximate or region claim in ``text``."""
    text = text[:MAX_TEXT]
    out = []
    for m in APPROX_CLAIM.finditer(text):
        value = m.group("value").rstrip(".,").replace("%", r"\%").replace(" ", "")
        out.append((m.group("lhs").strip(), value, "approx"))
    for m in FRACTION_CLAIM.finditer(text):
        out.append((m.group("lhs").strip(), rf"\frac{{{m.group('num')}}}{{{m.group('den')}}}", "equal"))
    for m in REGION_CLAIM.finditer(text):
        if m.group("side") != m.group("side2"):
            continue   # a square region is one receptive-field size; a rectangle is not read
        words = "receptive field (the region of the input one unit sees)"
        out.append((words, rf"{m.group('side')} \times {m.group('side2')}", "equal"))
    return out
