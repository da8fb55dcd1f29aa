"""LaTeX written outside ``$`` (OCR dropped the dollars): ``so f'(x) = 2 u u' and
\\partial f/\\partial c = -2c = -10``. A statement's equation, from the maths before
its first ``=`` to the first plain word after it, becomes inline math; the words
around it stay text (:func:`engine.read.plaintext.rewrite` calls it per statement)."""
from __future__ import annotations

import re

#: Words a LaTeX line outside ``$`` may hold inside its maths.
_MATH_WORDS = {"exp", "ln", "log", "sin", "cos", "tanh", "max", "min", "sum", "sigma", "sqrt", "frac"}
_TEX_TOKEN = re.compile(r"\\[A-Za-z]+|[A-Za-z]+(?:_\{[^{}]{0,12}\}|_\w{1,6})?|\S")   # P_conv: one name


def bare_latex_statement(text: str) -> str:
    """``so f'(x) = 2 u u'`` with LaTeX outside ``$`` (OCR drops the dollars): the
    equation, from the maths before its first ``=`` to the first plain word after it,
    as inline math (``so $f'(x) = 2 u u'$``); the words around stay text."""
    eq = re.search(r"(?<![<>=!\\])=(?!=)", text)
    if not eq or eq.start() == 0:
        return text
    before, after = text[:eq.start()], text[eq.start():]
    start = len(before)
    for t in reversed(list(_TEX_TOKEN.finditer(before))):
        if re.fullmatch(r"[A-Za-z]{2,}", t.group(0)) and t.group(0) not in _MATH_WORDS:
            break
        start = t.start()
    end = len(after)
    for t in _TEX_TOKEN.finditer(after):
        if t.group(0) == ":" or re.fullmatch(r"[A-Za-z]{2,}", t.group(0)) and t.group(0) not in _MATH_WORDS:
            end = t.start()
            break
    lhs, rhs = before[start:].strip(), after[:end].rstrip(" \t,;:.")
    if not lhs or not re.search(r"[\w}]", rhs[1:]) or unbalanced(lhs) or unbalanced(rhs) \
            or lhs.count("{") != lhs.count("}") or rhs.count("{") != rhs.count("}"):
        return text
    return f"{before[:start]}${lhs} {rhs}${after[end:]}"


def unbalanced(text: str) -> bool:
    """True when the round and square brackets of ``text`` do not pair up."""
    depth = 0
    for ch in text:
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(ch, 0)
        if depth < 0:
            return True
    return depth != 0
