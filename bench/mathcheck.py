"""The math behind the expected verdicts of the generated benchmark pairs.

A generated pair is kept only when mpmath confirms its expected verdict at
:data:`DIGITS` digits, independently of the checker under test:

* symbolic: both sides are sympy expressions we built ourselves; the
  problem's definitions (our own table in :mod:`bench.pairs`, written from
  problems.md) are substituted, then both are evaluated at random points.
  "equal" needs :data:`EQUAL_POINTS` points agreeing to :data:`EQUAL_REL`
  relative and none differing; "different" needs :data:`DIFFERENT_POINTS`
  points differing by more than :data:`DIFFERENT_REL` relative. Anything
  in between is dropped, not guessed;
* numbers written by a student: the exact reference rounded at the last
  written digit, ties away from zero (school rounding), must be the written
  decimal for "equal", and must not be it for "different".

Nothing here reads user text: no parser is involved (the LaTeX of a pair is
printed from the sympy object that is checked).
"""
from __future__ import annotations

import random
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext
from typing import Mapping

import mpmath
import sympy as sp
from sympy.printing.latex import LatexPrinter

from engine.math.latex import CoursePrinter

#: Working precision of every check, decimal digits.
DIGITS = 50
#: Random points a rewrite must agree at.
EQUAL_POINTS = 12
#: Relative agreement that counts as equal at a point.
EQUAL_REL = mpmath.mpf(10) ** -35
#: Points at which a mutation must differ.
DIFFERENT_POINTS = 3
#: Relative difference that counts as different at a point.
DIFFERENT_REL = mpmath.mpf(10) ** -4
#: Tries to find valid points.
TRIES = 60

#: A base-10 logarithm as a student writes it (``\log_{10}``); its value is
#: ``log(x) / log(10)``.
LOG10 = sp.Function("log10")
#: The logistic sigmoid written as a function, ``\sigma(z)``.
SIGMA = sp.Function("sigma")


class StudentPrinter(CoursePrinter):
    """The course printer, plus the notations students use that sympy folds
    away: ``\\log_{10}`` and ``\\sigma(z)``; ``ln_notation`` prints ``\\ln``."""

    def __init__(self, settings: dict | None = None, ln: bool = False):
        super().__init__(settings)
        self._ln = ln

    def _print_log(self, expr, exp=None):
        tex = super()._print_log(expr, exp)
        return tex.replace(r"\log", r"\ln", 1) if self._ln else tex

    def _print_Function(self, expr, exp=None):
        # sympy skips an undefined function's own class name when it looks
        # for a _print_<name> method: dispatch our two notations here.
        special = {"log10": self._print_log10, "sigma": self._print_sigma}.get(expr.func.__name__)
        return special(expr, exp) if special else super()._print_Function(expr, exp)

    def _print_log10(self, expr, exp=None):
        arg = expr.args[0]
        inner = self._print(arg)
        tex = rf"\log_{{10}} {inner}" if arg.is_Symbol or arg.is_Number else rf"\log_{{10}}\left({inner}\right)"
        return tex if exp is None else rf"\left({tex}\right)^{{{exp}}}"

    def _print_sigma(self, expr, exp=None):
        tex = rf"\sigma\left({self._print(expr.args[0])}\right)"
        return tex if exp is None else rf"{tex}^{{{exp}}}"


_PRINTER = StudentPrinter()
_LN_PRINTER = StudentPrinter(ln=True)
_DOT_PRINTER = StudentPrinter({"mul_symbol": "dot"})


def tex(expr, style: str = "course") -> str:
    """LaTeX of ``expr`` in one of the styles ``course`` (engine.math.latex),
    ``ln`` (``\\ln`` for the natural log) or ``dot`` (``\\cdot`` products)."""
    printer = {"course": _PRINTER, "ln": _LN_PRINTER, "dot": _DOT_PRINTER}[style]
    if isinstance(expr, sp.Eq):
        return f"{printer.doprint(expr.lhs)} = {printer.doprint(expr.rhs)}"
    return printer.doprint(expr)


def plain_value(expr) -> sp.Expr:
    """``expr`` with the student notations replaced by their values."""
    z = sp.Dummy("z")
    if not isinstance(expr, sp.Basic):
        expr = sp.Integer(expr) if isinstance(expr, int) else expr
    return expr.replace(LOG10, sp.Lambda(z, sp.log(z) / sp.log(10))).replace(
        SIGMA, sp.Lambda(z, 1 / (1 + sp.exp(-z))))


def expand(expr, definitions: Mapping[str, sp.Expr]) -> sp.Expr:
    """Substitute ``definitions`` (symbol name -> expression) to a fixpoint."""
    expr = plain_value(expr)
    for _ in range(40):
        table = {s: definitions[s.name] for s in expr.free_symbols if getattr(s, "name", None) in definitions}
        if not table:
            # a sum over an unspecified range (softmax's normaliser) is one positive unknown
            return expr.replace(lambda e: isinstance(e, sp.Sum),
                                lambda e: sp.Symbol(f"Sum({e.function}, {e.limits})", positive=True))
        expr = plain_value(expr.xreplace(table))
    raise ValueError("definitions do not terminate")


def _atoms(expr) -> list:
    indexed = expr.atoms(sp.Indexed)
    labels = {i.base.label for i in indexed}
    return sorted((s for s in expr.free_symbols if s not in labels), key=str) + sorted(indexed, key=str)


def _sample(atom, rng: random.Random, domain: Mapping[str, tuple[float, float]]) -> sp.Rational:
    name = str(atom)
    if name in domain:
        lo, hi = domain[name]
        return sp.Rational(rng.randint(int(lo * 10 ** 4), int(hi * 10 ** 4)), 10 ** 4)
    value = sp.Rational(rng.randint(2000, 25000), 10 ** 4)
    if not atom.is_positive and rng.random() < 0.5:
        value = -value
    return value


def _value(expr, point):
    try:
        v = sp.N(expr.xreplace(point), DIGITS)
    except (TypeError, ValueError, ZeroDivisionError, ArithmeticError):
        return None
    if not isinstance(v, sp.Expr) or v.free_symbols or v.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        return None
    re_part, im_part = v.as_real_imag()
    if not re_part.is_Number or abs(im_part) > sp.Float(10) ** (10 - DIGITS) * max(1, abs(re_part)):
        return None
    return mpmath.mpf(sp.Float(re_part, DIGITS)._mpf_)


def _matrix(expr):
    if isinstance(expr, (list, tuple)):
        return sp.Matrix([list(expr)])
    return expr


def judge(reference, student, definitions: Mapping[str, sp.Expr] | None = None,
          givens: Mapping[str, sp.Expr] | None = None, domain: Mapping[str, tuple[float, float]] | None = None,
          seed: int = 20181) -> str | None:
    """"equal", "different", or None (not clearly either) for two sympy
    expressions or matrices, after the definitions (and, when the reference
    is a closed number, the given values) are substituted into both."""
    definitions, givens, domain = definitions or {}, givens or {}, domain or {}
    reference, student = _matrix(reference), _matrix(student)
    if isinstance(reference, sp.MatrixBase) or isinstance(student, sp.MatrixBase):
        if not (isinstance(reference, sp.MatrixBase) and isinstance(student, sp.MatrixBase)):
            return "different"
        if reference.shape != student.shape:
            return "different"
        verdicts = [judge(r, s, definitions, givens, domain, seed) for r, s in zip(reference, student)]
        if "different" in verdicts:
            return "different"
        return "equal" if all(v == "equal" for v in verdicts) else None
    ref = expand(reference, definitions)
    stu = expand(student, definitions)
    if not ref.free_symbols and givens:
        stu = expand(stu.xreplace({s: givens[s.name] for s in stu.free_symbols if s.name in givens}), definitions)
    rng = random.Random(seed)
    agree = differ = 0
    atoms = _atoms(ref) + [a for a in _atoms(stu) if a not in _atoms(ref)]
    for _ in range(TRIES):
        by_name: dict[str, sp.Rational] = {}  # same-named symbols (other assumptions) get one value
        for a in atoms:
            by_name.setdefault(str(a), _sample(a, rng, domain))
        point = {a: by_name[str(a)] for a in atoms}
        with mpmath.workdps(DIGITS):
            a, b = _value(ref, point), _value(stu, point)
            if a is None or b is None:
                continue
            scale = max(abs(a), abs(b))
            rel = abs(a - b) / scale if scale else mpmath.mpf(0)
        if rel < EQUAL_REL:
            agree += 1
        elif rel > DIFFERENT_REL:
            differ += 1
        if not atoms or differ >= DIFFERENT_POINTS:
            break  # a closed number: one evaluation decides
    if not atoms:
        return "different" if differ else ("equal" if agree else None)
    if differ >= DIFFERENT_POINTS:
        return "different"
    if differ == 0 and agree >= EQUAL_POINTS:
        return "equal"
    return None


def atoms_of(*exprs) -> list:
    """The symbols and indexed atoms a point must give values to."""
    return [a for e in exprs for a in _atoms(e)]


# --------------------------------------------------------------------------- numbers as students write them


def mp(expr) -> mpmath.mpf:
    """A real value of a closed sympy number at :data:`DIGITS` digits."""
    with mpmath.workdps(DIGITS + 10):
        value = sp.N(plain_value(expr), DIGITS + 10)
        return mpmath.mpf(sp.Float(value, DIGITS + 10)._mpf_)


def to_decimal(value: mpmath.mpf) -> Decimal:
    with mpmath.workdps(DIGITS + 10):
        return Decimal(mpmath.nstr(value, DIGITS + 5, strip_zeros=False, min_fixed=-mpmath.inf, max_fixed=mpmath.inf))


def round_at(value: mpmath.mpf, exponent: int) -> Decimal:
    """``value`` rounded at 10**exponent, ties away from zero."""
    with localcontext() as ctx:
        ctx.prec = DIGITS + 20
        return to_decimal(value).quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)


def truncate_at(value: mpmath.mpf, exponent: int) -> Decimal:
    """``value`` cut (not rounded) after the digit at 10**exponent."""
    with localcontext() as ctx:
        ctx.prec = DIGITS + 20
        return to_decimal(value).quantize(Decimal(1).scaleb(exponent), rounding=ROUND_DOWN)


def leading_exponent(value: mpmath.mpf) -> int:
    """The exponent of the first significant digit: 8.19 -> 0, 0.0261 -> -2."""
    d = to_decimal(value)
    return d.adjusted()


def round_significant(value: mpmath.mpf, digits: int) -> Decimal:
    """``value`` to ``digits`` significant digits, ties away from zero."""
    exponent = leading_exponent(value) - digits + 1
    rounded = round_at(value, exponent)
    if rounded.adjusted() != leading_exponent(value):  # 9.996 -> 10.00: one digit fewer after the point
        rounded = round_at(value, exponent + 1)
    return rounded


def last_exponent(written: Decimal) -> int:
    """The exponent of the last written digit of a decimal: 8.19 -> -2."""
    return written.as_tuple().exponent


def rounds_to(value: mpmath.mpf, written: Decimal) -> bool:
    """Is ``written`` the value rounded at its own last digit?"""
    return round_at(value, last_exponent(written)) == written


def with_digit(written: Decimal, position: int, new_digit: int) -> Decimal:
    """``written`` with the digit ``position`` places before the last one replaced."""
    sign, digits, exponent = written.as_tuple()
    digits = list(digits)
    k = len(digits) - 1 - position
    digits[k] = new_digit
    return Decimal((sign, tuple(digits), exponent))


def plain(written: Decimal) -> str:
    """A decimal as a student writes it: no exponent, the digits as rounded."""
    return format(written, "f")


def scientific(written: Decimal, times: str = r"\times") -> str:
    """``1.38 \\times 10^{8}`` for 1.38E+8 (the digits kept as rounded)."""
    power = written.adjusted()
    mantissa = written.scaleb(-power)
    return rf"{format(mantissa, 'f')} {times} 10^{{{power}}}"


def printer_for(settings: dict | None = None) -> LatexPrinter:
    """A StudentPrinter with sympy printer settings (for variety of forms)."""
    return StudentPrinter(settings)
