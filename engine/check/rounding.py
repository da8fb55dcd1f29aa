r"""The rounding a student's own arithmetic carries: the decimals they wrote,
propagated through the operations they wrote.

``8 + 12 + 0.5 + 0.2`` carries +-0.1 (half a unit in the last digit of 0.5
and of 0.2, added), so 20.7 is 1.4 away from the true 19.3 by an error, not
by rounding. A sum adds the absolute errors, a product and a quotient their
relative ones (first order, plus the second-order term, so the bound is a
bound): the usual propagation of bounds (Taylor, "An Introduction to Error
Analysis", 2nd ed., section 3.5 on upper bounds). An integer is exact as
written: only what was written with decimals was rounded.

:func:`propagated` reads only plain arithmetic (numbers, ``+ - * / \cdot
\times``, ``\frac``, parentheses) and returns None for anything else: the
caller then keeps its own estimate. The text is tokenized, never evaluated
by Python or sympy; its size is bounded by :data:`MAX_SOURCE`.
"""
from __future__ import annotations

import re
from fractions import Fraction

MAX_SOURCE = 400
MAX_DEPTH = 30

_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<frac>\\[dt]?frac(?![A-Za-z]))|(?P<op>\\cdot(?![A-Za-z])"
                    r"|\\times(?![A-Za-z])|[-+*/(){}\[\]])|(?P<skip>\\left(?![A-Za-z])|\\right(?![A-Za-z])|\\[,;!: ]))")


class _Unreadable(Exception):
    """Not plain arithmetic (internal to this module)."""


def _tokens(source: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    source = source.strip()
    while pos < len(source):
        m = _TOKEN.match(source, pos)
        if not m or m.end() == pos:
            raise _Unreadable
        pos = m.end()
        if m.lastgroup == "skip":
            continue
        kind = m.lastgroup
        token = m.group(kind)
        if kind == "op":
            token = {"\\cdot": "*", "\\times": "*", "{": "(", "}": ")", "[": "(", "]": ")"}.get(token, token)
        out.append((kind, token))
    return out


def _half_unit(number: str) -> Fraction:
    if "." not in number:
        return Fraction(0)
    return Fraction(1, 2 * 10 ** len(number.split(".")[1]))


class _Reader:
    def __init__(self, tokens: list[tuple[str, str]]):
        self.tokens, self.i, self.depth = tokens, 0, 0

    def peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else None

    def take(self, token: str) -> None:
        if self.peek() != token:
            raise _Unreadable
        self.i += 1

    def sum(self) -> tuple[Fraction, Fraction]:
        value, error = self.product()
        while self.peek() in ("+", "-"):
            sign = 1 if self.tokens[self.i][1] == "+" else -1
            self.i += 1
            v, e = self.product()
            value, error = value + sign * v, error + e
        return value, error

    def product(self) -> tuple[Fraction, Fraction]:
        value, error = self.unary()
        while self.peek() in ("*", "/", "(") or self.i < len(self.tokens) and self.tokens[self.i][0] in ("num", "frac"):
            op = self.peek()
            if op in ("*", "/"):
                self.i += 1
            v, e = self.unary()
            if op == "/":
                value, error = _divide(value, error, v, e)
            else:
                value, error = value * v, abs(value) * e + abs(v) * error + error * e
        return value, error

    def unary(self) -> tuple[Fraction, Fraction]:
        if self.peek() == "-":
            self.i += 1
            v, e = self.unary()
            return -v, e
        if self.peek() == "+":
            self.i += 1
        return self.atom()

    def atom(self) -> tuple[Fraction, Fraction]:
        self.depth += 1
        if self.depth > MAX_DEPTH or self.i >= len(self.tokens):
            raise _Unreadable
        kind, token = self.tokens[self.i]
        self.i += 1
        if kind == "num":
            out = Fraction(token), _half_unit(token)
        elif kind == "frac":
            self.take("(")
            num = self.sum()
            self.take(")")
            self.take("(")
            den = self.sum()
            self.take(")")
            out = _divide(*num, *den)
        elif token == "(":
            out = self.sum()
            self.take(")")
        else:
            raise _Unreadable
        self.depth -= 1
        return out


def _divide(a: Fraction, ea: Fraction, b: Fraction, eb: Fraction) -> tuple[Fraction, Fraction]:
    if abs(b) <= eb:
        raise _Unreadable      # the divisor's interval holds 0: no bound
    return a / b, (abs(a) * eb + abs(b) * ea) / (abs(b) * (abs(b) - eb))


def propagated(source: str) -> Fraction | None:
    """The bound on the rounding error of the plain arithmetic ``source`` (LaTeX) from its
    decimals as written, or None when ``source`` is not plain arithmetic.

    >>> propagated("8 + 12 + 0.5 + 0.2")
    Fraction(1, 10)
    >>> propagated(r"9 / 1.099") > 0
    True
    >>> propagated("v_1 + 2") is None
    True
    """
    if not source or len(source) > MAX_SOURCE:
        return None
    try:
        reader = _Reader(_tokens(source))
        _, error = reader.sum()
        if reader.i != len(reader.tokens):
            return None
        return error
    except _Unreadable:
        return None
