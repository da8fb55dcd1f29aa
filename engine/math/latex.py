"""sympy -> LaTeX with the catalog's conventions.

``\\log`` is the natural logarithm (problems.md), ``sign`` prints as
``\\operatorname{sign}``, symbols keep the LaTeX names they were created
with (``Symbol(r"\\bar{v}_{3}")`` prints as ``\\bar{v}_{3}``).
"""
from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.printing.latex import LatexPrinter

from engine.math.texnames import safe_name


class CoursePrinter(LatexPrinter):
    """sympy's LatexPrinter with the course's notation."""

    def __init__(self, settings: dict | None = None):
        base = {"ln_notation": False, "mat_delim": "[", "mat_str": "matrix"}
        base.update(settings or {})
        super().__init__(base)

    def _as_ordered_terms(self, expr, order=None):
        # Lead a sum with a positive term, as people write it: t_1 - o_1,
        # 1 - eps/|g|, y - t (sympy's lex order gives -o_1 + t_1).
        terms = list(super()._as_ordered_terms(expr, order=order))
        if isinstance(expr, sp.Add) and terms and (terms[0].could_extract_minus_sign() or isinstance(terms[0], sp.Order)):
            for i, term in enumerate(terms):
                if not term.could_extract_minus_sign() and not isinstance(term, sp.Order):
                    terms.insert(0, terms.pop(i))
                    break
        # the O-term of a series goes last: 1 - eps/|g| + O(eps^2)
        return [t for t in terms if not isinstance(t, sp.Order)] + [t for t in terms if isinstance(t, sp.Order)]

    def _deal_with_super_sub(self, string: str, style="plain") -> str:
        # Every symbol's and function's name is data: printed only when it
        # passes the whitelist of engine.math.texnames, else rebuilt.
        return safe_name(super()._deal_with_super_sub(string, style=style))

    def _print_Str(self, s):
        return safe_name(str(s.name))

    def _print_sign(self, expr, exp=None):
        arg = self._print(expr.args[0])
        tex = rf"\operatorname{{sign}}\left({arg}\right)"
        return tex if exp is None else rf"{tex}^{{{exp}}}"

    def _print_log(self, expr, exp=None):
        # Natural log, always written \log (never \ln, never a base).
        if len(expr.args) == 2:  # pragma: no cover - sympy folds log(x, b) into a quotient
            return rf"\log_{{{self._print(expr.args[1])}}}\left({self._print(expr.args[0])}\right)"
        arg = expr.args[0]
        inner = self._print(arg)
        if arg.is_Symbol or arg.is_Number:
            tex = rf"\log {inner}"
        else:
            tex = rf"\log\left({inner}\right)"
        return tex if exp is None else rf"\log^{{{exp}}}\left({inner}\right)"

    def _print_Derivative(self, expr):
        # d f / d x written as a fraction of differentials, partial when the
        # derived expression has more than one free symbol.
        function, *variables = expr.args
        partial = len(function.free_symbols) > 1 or len(variables) > 1
        d = r"\partial " if partial else "d "
        num_order = sum(count for _, count in variables)
        numerator = d.strip() if num_order == 1 else rf"{d.strip()}^{{{num_order}}}"
        denominator = " ".join(
            rf"{d}{self._print(var)}" + (f"^{{{count}}}" if count > 1 else "") for var, count in variables
        )
        if function.is_Symbol or isinstance(function, sp.Indexed):
            return rf"\frac{{{numerator} {self._print(function)}}}{{{denominator}}}"
        return rf"\frac{{{numerator}}}{{{denominator}}}\left({self._print(function)}\right)"


_PRINTER = CoursePrinter()


def to_latex(expr: Any) -> str:
    """LaTeX of one of our sympy expressions (or a Python number)."""
    if isinstance(expr, sp.Eq):
        return f"{to_latex(expr.lhs)} = {to_latex(expr.rhs)}"
    return _PRINTER.doprint(expr)


def ordered_terms(expr: sp.Add) -> list:
    """The terms of a sum in the order :func:`to_latex` prints them."""
    return list(_PRINTER._as_ordered_terms(expr, order=None))


def term_latex(term: Any) -> str:
    """LaTeX of one term of a printed sum, in parentheses when the printer
    would put it in brackets (``(a - b)`` as a term)."""
    tex = to_latex(term)
    return rf"\left({tex}\right)" if _PRINTER._needs_add_brackets(term) else tex
