"""Mathematics for a terminal, the way ``derive show`` prints it.

* :func:`pretty_block`: sympy's 2-D Unicode notation (fractions, roots,
  powers, Greek letters), a label set on the formula's baseline, symbol names
  stripped of their LaTeX markup (``\\hat{m}_{t}`` is ``m̂_t``);
* :func:`one_line`: a one-line Unicode notation for tables (the evaluation
  traces): ``v₁ = v₋₁²``, ``v₃ = v₁/v₂``, ``v̄₃ = v̄₄·v₅ + v̄₅·v₄``, with ``·``
  for products, superscript integer powers and subscript trace indices.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

import sympy as sp
from sympy.printing.pretty.pretty import PrettyPrinter
from sympy.printing.str import StrPrinter

#: LaTeX accents in symbol names and the Unicode combining marks that replace them.
ACCENTS = {"hat": "\u0302", "bar": "\u0304", "tilde": "\u0303", "dot": "\u0307", "vec": "\u20d7"}
_ACCENT = re.compile(r"\\(hat|bar|tilde|dot|vec)\{([^{}]+)\}")
_COMMAND = re.compile(r"\\(?:operatorname|mathrm|mathbf|text)\{([^{}]+)\}|\\([A-Za-z]+)")
_SUB = str.maketrans("0123456789-+", "₀₁₂₃₄₅₆₇₈₉₋₊")
_SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
#: A trace variable's name (engine.calculus.evaltrace): v_-1, v0, vbar3.
_TRACE_NAME = re.compile(r"^(?P<base>[A-Za-z])(?P<bar>bar)?_?(?P<index>-?\d+)$")


def plain_name(name: str) -> str:
    """A symbol name without LaTeX markup: ``\\hat{m}_{t}^{(w)}`` -> ``m̂ₜ⁽ʷ⁾`` (unicodeit:
    Greek letters, accents, sub- and superscripts that Unicode has); what is left
    (``\\operatorname{x}``, ``{...}``) stripped, for sympy's pretty printer to set."""
    import unicodeit

    name = _ACCENT.sub(lambda m: m.group(2) + ACCENTS[m.group(1)], name)
    name = _WORDS.sub(lambda m: m.group(1) or m.group(2), name)
    name = unicodeit.replace(name) if ("\\" in name or "^" in name) else name
    name = _COMMAND.sub(lambda m: m.group(1) or m.group(2), name)
    return re.sub(r"\{([^{}]*)\}", r"\1", name)


_FRAC = re.compile(r"\\frac\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}")
#: Named functions and text in math, printed as words (unicodeit would read ``\\log`` as ``\\l`` + ``og``).
_WORDS = re.compile(r"\\(?:operatorname|mathrm|text|mathit)\{([^{}]*)\}|\\(log|ln|exp|sin|cos|tan|tanh|sinh|cosh|"
                    r"max|min|arg|sup|inf|lim|det|sign|softmax)(?![A-Za-z])")
_SQRT = re.compile(r"\\sqrt\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}")
_INLINE_MATH = re.compile(r"\$([^$]+)\$")


def math_text(tex: str) -> str:
    """Inline LaTeX math as Unicode text for a terminal: ``\\hat{v}_t`` -> ``v̂ₜ``,
    ``\\frac{a}{b}`` -> ``a/b`` (unicodeit for symbols, sub- and superscripts)."""
    import unicodeit

    def frac(m: re.Match) -> str:
        top, bottom = m.group(1), m.group(2)
        wrap = lambda t: t if re.fullmatch(r"\\?[A-Za-z]+(?:_\{?\w+\}?)?|\\hat\{\w\}(?:_\w)?|\w+", t) else f"({t})"
        return f"{wrap(top)}/{wrap(bottom)}"

    tex = _WORDS.sub(lambda m: m.group(1) or m.group(2), tex)  # \log, \operatorname{softmax}: plain words
    for _ in range(3):  # nested roots and fractions, innermost first
        tex = _SQRT.sub(lambda m: f"√({m.group(1)})", tex)
        tex = _FRAC.sub(frac, tex)
    tex = re.sub(r"\\(?:left|right|[bB]igg?[lr]?)(?![A-Za-z])", "", tex)  # before unicodeit: \left is not \le + ft
    return unicodeit.replace(tex)


def prose_text(text: str) -> str:
    """Prose with ``$...$`` math (a text answer) for a terminal: the math as Unicode text."""
    return _INLINE_MATH.sub(lambda m: math_text(m.group(1)), text)


def plain_symbols(expr: Any) -> Any:
    """``expr`` with every symbol whose name holds LaTeX markup renamed by
    :func:`plain_name`, and every indexed entry ``p[y]`` printed as ``p_y``."""
    if not isinstance(expr, sp.Basic):
        return expr
    indexed = {e: sp.Symbol(plain_name(f"{e.base.label}_{{{','.join(str(i) for i in e.indices)}}}"))
               for e in expr.atoms(sp.Indexed)}
    if indexed:
        expr = expr.xreplace(indexed)
    plain = {s: sp.Symbol(plain_name(s.name)) for s in expr.free_symbols
             if isinstance(s, sp.Symbol) and ("\\" in s.name or "{" in s.name)}
    return expr.xreplace(plain) if plain else expr


def pretty_block(label: str, expr: Any) -> list[str]:
    """``label`` followed by ``expr`` in 2-D Unicode notation, the label on the
    formula's baseline and the other rows indented under it."""
    form = PrettyPrinter({"use_unicode": True, "wrap_line": False})._print(plain_symbols(expr))
    rows = form.render(wrap_line=False).split("\n")
    pad = " " * len(label)
    return [(label if i == form.baseline else pad) + row.rstrip() for i, row in enumerate(rows)]


def trace_name(name: str) -> str:
    """``v_-1`` -> ``v₋₁``, ``vbar3`` -> ``v̄₃`` (other names unchanged)."""
    m = _TRACE_NAME.match(name)
    if not m:
        return name
    return m.group("base") + ("\u0304" if m.group("bar") else "") + m.group("index").translate(_SUB)


class OneLine(StrPrinter):
    """sympy's str printer with ``·``, superscript integer powers and trace names."""

    def _print_Symbol(self, expr):
        return trace_name(plain_name(expr.name))

    def _print_Mul(self, expr):
        return super()._print_Mul(expr).replace("*", "·")

    def _print_Pow(self, expr, rational=False):
        base, exp = expr.as_base_exp()
        if exp.is_Integer and exp > 1:
            text = self.parenthesize(base, self._print_precedence(expr))
            return text + str(exp).translate(_SUP)
        if exp.is_Integer and exp < 0:
            return "1/" + self._print(sp.Pow(base, -exp, evaluate=False))
        if exp == sp.Rational(1, 2):
            return f"√({self._print(base)})"
        return super()._print_Pow(expr, rational)

    def _print_precedence(self, expr):
        from sympy.printing.precedence import PRECEDENCE

        return PRECEDENCE["Pow"]

    def _print_Derivative(self, expr):
        variables = "".join(f"d{self._print(v)}" + (str(n).translate(_SUP) if n > 1 else "")
                            for v, n in expr.variable_count)
        return f"d/{variables}({self._print(expr.expr)})"


def one_line(expr: Any) -> str:
    """``expr`` on one line for a table (see :class:`OneLine`)."""
    return OneLine({"order": None}).doprint(expr) if isinstance(expr, sp.Basic) else str(expr)


def pad(text: str, width: int) -> str:
    """``text`` padded with spaces to ``width`` columns as a terminal shows it
    (combining marks such as the bar of ``v̄`` take no column)."""
    return text + " " * max(0, width - columns(text))


def columns(text: str) -> int:
    """The columns ``text`` takes in a terminal (combining marks take none)."""
    return sum(1 for c in text if not unicodedata.combining(c))
