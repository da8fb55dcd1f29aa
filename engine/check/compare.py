"""The one comparison engine: is a student's expression equal to the reference?

Used by ``derive check`` (:mod:`engine.check.steps`, :mod:`engine.check.answers`:
a step against the line before it, a claim against the expected answer) and
by ``derive equiv`` (:mod:`engine.check.equiv`, which reads the two LaTeX
texts and hands each pair of objects here). The verdict is "equal",
"different" or "undecided" with the reason; it never guesses.

The comparison is **not symmetric**: the first argument is the reference
(exact, or written with as many digits as it has), the second the student's,
read as written (a number is compared at the precision it was written with).

Strategies, cheapest first (Math-Verify's order, with visible failures
instead of swallowed ones):

1. the same expression (structurally, after evaluation);
2. numbers at the precision written, one rounding rule everywhere
   (:func:`engine.math.written.round_half_away`: ties away from zero, so 1/4 at
   one decimal is 0.3): :func:`compare_numbers` for two resolved values with
   the propagated uncertainty of the values used, :func:`compare_rounded` for
   an exact reference against a written number (trailing zeros of an integer
   that may be rounding make it "undecided"); matrices entry by entry;
3. ``expand`` and ``cancel`` of the difference;
4. the numeric spot check (:func:`engine.math.spot.spot_check`: random exact
   points, 40 digits): a clear difference at
   :data:`engine.math.spot.MISMATCH_POINTS` points in the real domain of both
   sides is "different", before any ``simplify`` is tried;
5. ``simplify`` and ``expand_log(force=True)``, under a soft :class:`Budget`
   when one is given (:func:`attempt`; a failure is named in the reason);
6. numeric agreement alone is "equal" only at
   :data:`engine.math.spot.AGREE_POINTS` points with no mismatch, and never
   with :data:`PIECEWISE` functions; otherwise "undecided" with the reason.

Before 3: an equation is refused, expansions with an O-term are compared
below its order (:func:`compare_series`), ``\\approx`` sets the problem's small
quantities to 0, an undefined function or an entry at a symbolic index makes
it "undecided" (a sum of symbolic length is written out for K = 2 ... 6).

>>> import sympy as sp
>>> x = sp.Symbol("x")
>>> compare_symbolic(ProblemMath("demo"), (x + 1) ** 2, x ** 2 + 2 * x + 1).detail
'the difference expands to 0'
>>> compare_symbolic(ProblemMath("demo"), sp.sin(x) ** 2 + sp.cos(x) ** 2, sp.Integer(1)).verdict
'equal'
>>> compare_symbolic(ProblemMath("demo"), sp.log(x), sp.log(x) + x / 10 ** 3).verdict
'different'
>>> from engine.read.literals import number_literal
>>> compare_rounded(sp.Rational(1, 4), number_literal("0.3"))[0], compare_rounded(sp.Rational(1, 4), number_literal("0.2"))[0]
('equal', 'different')
>>> symbolic_verdict(sp.Abs(x), x)[0]
'different'

Errors: :class:`engine.errors.Undecided` (the comparison cannot be decided,
with the reason). Only sympy's refusals (:data:`EVALUATION_ERRORS`) are
caught, and named in the reason; anything else is a bug and propagates.
"""
from __future__ import annotations

import random
import re
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable

import mpmath
import sympy as sp

from engine.check.resolve import (  # noqa: F401 - re-exported: the resolution the comparison works on
    DIGITS, FAILURES, MAX_EXPR_SIZE, MAX_ROUNDS, SYMPY_FAILURES, Evaluated, ProblemMath, Sealed, StudentValue,
    answer_value, canonicalize, failure_reason, matrix_entry, number_of, resolve, resolve_key, sign_flips, summed_entries,
    symbol_key, symbol_label, undefined_functions, with_log10,
)
from engine.errors import SoftTimeout, Undecided
from engine.math.numbers import like_written, reason_number, short_decimal, unit_text
from engine.math.spot import DIGITS as SPOT_DIGITS
from engine.math.spot import SEED, Evidence, sample, spot_check
from engine.math.written import WrittenNumber, round_half_away, rounds_to

#: Functions with break points anywhere: numeric agreement alone is not trusted
#: with them (Abs and sign break at 0, which the sampling straddles; an indicator
#: KroneckerDelta(y, k) is 0 at almost every random point).
PIECEWISE = (sp.Max, sp.Min, sp.Piecewise, sp.floor, sp.ceiling, sp.Heaviside, sp.Mod, sp.frac, sp.KroneckerDelta)
#: Errors sympy raises on operations it cannot carry out (the logarithm of a
#: matrix, a comparison with NaN): the verdict is "undecided", with sympy's
#: message in the reason.
EVALUATION_ERRORS = (TypeError, ValueError, ArithmeticError, NotImplementedError, sp.PolynomialError)
#: Random points of the numeric test of an expansion (its difference must vanish like var^n).
SERIES_POINTS = 6
#: How the reason says a strategy proved the difference 0 (``derive check``'s wording).
_PROVED = {"expand": "expands to 0", "cancel": "cancels to 0", "simplify": "simplifies to 0",
           "expand_log": "is 0 with the logarithms expanded", "simplify(expand_log)":
           "simplifies to 0 with the logarithms expanded"}


# --------------------------------------------------------------------------- the soft budget


@dataclass(frozen=True)
class Budget:
    """The soft budget of the slow strategies (``simplify``): CPU seconds of
    this process, so that the same input gets the same verdict on a quiet or
    a busy machine. The wall time is only a backstop, as in the sandbox
    (:data:`engine.sandbox.WALL_FACTOR` times the budget plus
    :data:`engine.sandbox.WALL_SLACK`): it ends a worker that gets no CPU at all."""

    cpu_end: float
    wall_end: float

    @classmethod
    def of(cls, seconds: float) -> "Budget":
        from engine.sandbox import WALL_FACTOR, WALL_SLACK

        return cls(time.process_time() + seconds, time.monotonic() + WALL_FACTOR * seconds + WALL_SLACK)

    def left(self) -> tuple[float, float]:
        """(CPU seconds, wall seconds) left."""
        return self.cpu_end - time.process_time(), self.wall_end - time.monotonic()


@contextmanager
def soft_limit(budget: Budget):
    """SoftTimeout when the CPU time (SIGPROF) or the wall time (SIGALRM) of
    ``budget`` runs out, in the main thread (the worker's); elsewhere no
    limit. Big-integer arithmetic in C is not stopped by this: the sandbox's
    kill is the hard limit."""
    cpu, wall = budget.left()
    if cpu <= 0 or wall <= 0:
        raise SoftTimeout()
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def fire(signum, frame):
        raise SoftTimeout()

    previous = {sig: signal.signal(sig, fire) for sig in (signal.SIGPROF, signal.SIGALRM)}
    signal.setitimer(signal.ITIMER_PROF, cpu)
    signal.setitimer(signal.ITIMER_REAL, wall)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def attempt(name: str, method: Callable[[Any], Any], diff: Any, deadline: Budget | None) -> tuple[bool, str]:
    """``method(diff) == 0`` within the soft budget ``deadline`` (None: no
    limit). Returns (proved, note): the note names a failure of sympy or the
    budget running out, "" otherwise."""
    try:
        if deadline is None:
            result = method(diff)
        else:
            if min(deadline.left()) <= 0:
                return False, f"{name} skipped (time budget spent)"
            with soft_limit(deadline):
                result = method(diff)
    except SoftTimeout:
        return False, f"{name} ran out of time"
    except (TypeError, ValueError, NotImplementedError, ZeroDivisionError, sp.PolynomialError,
            RecursionError) as exc:
        return False, f"{name} failed ({type(exc).__name__}: {str(exc)[:80]})"
    return result == 0, ""


# --------------------------------------------------------------------------- the symbolic strategies


def symbolic_verdict(ref: Any, stu: Any, *, domain: Any = None, deadline: Budget | None = None,
                     label: str | None = None, describe: Callable | None = None,
                     prepare: Callable | None = None, digits_written: int | None = None,
                     ready: Callable[[], tuple[str, str] | None] | None = None, opaque: str = "",
                     seed: int = SEED) -> tuple[str, str]:
    """Strategies 3 to 6 of the module docstring on two scalar expressions:
    ``(verdict, reason)``.

    domain: sampling ranges (symbol or name -> (lo, hi)); deadline: the
    soft :class:`Budget` of the slow strategies; label: how the reason names the
    difference (``"reference - answer"``; None: "the difference ...");
    describe(point, a, b): the text of a counterexample; prepare: see
    :func:`engine.math.spot.spot_check`; digits_written: the fewest
    significant digits of the decimals the student wrote (an answer that
    misses only by their rounding is "undecided"); ready(): called after the
    cheap strategies, a ``(verdict, reason)`` to stop with or None to go on;
    opaque: why the sides have no value at a point (an undefined function),
    which skips the spot check; seed: of the random points."""
    def proved(name: str) -> str:
        if label is not None:
            return f"{name}({label}) is 0" + (" (logarithms of positive quantities)" if "log" in name else "")
        return f"the difference {_PROVED[name]}" + (" (logarithms of positive quantities)" if "log" in name else "")

    diff = sp.Add(ref, -stu)
    if diff == 0:
        return "equal", "the same expression after evaluation"
    failures = []
    for name, method in (("expand", sp.expand), ("cancel", sp.cancel)):
        ok, note = attempt(name, method, diff, deadline)
        if ok:
            return "equal", proved(name)
        if note:
            failures.append(note)
    if ready is not None:
        stop = ready()
        if stop is not None:
            return stop
    if opaque:
        evidence = Evidence(why=opaque)
    else:
        evidence = spot_check(ref, stu, domain, seed=seed, describe=describe, prepare=prepare)
    if evidence.different:
        if digits_written is not None and evidence.worst <= sp.Float(10) ** (1 - digits_written):
            return "undecided", (f"agrees only to about {digits_written} significant digits (the decimals "
                                 f"written); {evidence.example}")
        return "different", f"{evidence.example} (differs at {evidence.mismatches} of {evidence.valid} random points)"
    for name, method in (("simplify", sp.simplify), ("expand_log", lambda e: sp.expand_log(e, force=True)),
                         ("simplify(expand_log)", lambda e: sp.simplify(sp.expand_log(e, force=True)))):
        ok, note = attempt(name, method, diff, deadline)
        if ok:
            return "equal", proved(name)
        if note:
            failures.append(note)
    return _by_evidence(evidence, diff, failures)


def _by_evidence(evidence: Evidence, diff: Any, failures: list[str]) -> tuple[str, str]:
    piecewise = sorted({type(e).__name__ for e in sp.preorder_traversal(diff) if isinstance(e, PIECEWISE)})
    if evidence.equal and piecewise:
        return "undecided", (f"equal at {evidence.agreements} random points, but {', '.join(piecewise)} can "
                             "differ away from them (no symbolic proof)")
    if evidence.equal:
        return "equal", (f"equal at {evidence.agreements} random points to {SPOT_DIGITS - 15} digits "
                         "(no symbolic proof)")
    why = evidence.why or (f"{evidence.agreements} agreeing and {evidence.mismatches} differing points "
                           f"of {evidence.valid}")
    extra = f"; {failures[0]}" if failures else ""
    return "undecided", f"no proof either way: {why}{extra}"


def _describe_step(point: dict, va: Any, vb: Any) -> str:
    """A counterexample in ``derive check``'s words."""
    def mpf(v):
        return mpmath.mpf(sp.Float(v, DIGITS)._mpf_)

    where = ", ".join(f"{symbol_label(k)} = {short_decimal(mpf(v), 4)}" for k, v in list(point.items())[:4])
    a, b = mpf(va), mpf(vb)
    digits = 6
    while digits < 30 and short_decimal(a, digits) == short_decimal(b, digits):
        digits += 3
    return f"at {where or 'the given values'} they are {short_decimal(a, digits)} and {short_decimal(b, digits)}"


# --------------------------------------------------------------------------- numbers


@dataclass(frozen=True)
class Comparison:
    """The outcome of :func:`compare`: "equal", "different" or "undecided",
    with a phrase for the reader and, for numbers, the two values."""

    verdict: str
    detail: str
    left: Any = None
    right: Any = None


def compare_numbers(a: Evaluated, b: Evaluated, wa: WrittenNumber | None, wb: WrittenNumber | None,
                    relation: str = "equal") -> Comparison:
    """Two closed numbers, each at the precision it was written with (strategy
    2 of the module docstring): a written number is matched by the value
    rounded at its last digit (:func:`engine.math.written.rounds_to`, the
    coarser of the two when both are written), widened by the propagated
    uncertainty of the values used; ``relation="approx"`` allows 0.5 %."""
    x, y = a.number, b.number
    slack = a.error + b.error
    if wa is not None and wb is not None:
        coarse = wa if wa.half_unit >= wb.half_unit else wb
        fine = y if coarse is wa else x
        ok = rounds_to(fine, coarse, slack)
        where = "at the digits written" if coarse.half_unit else "exactly"
    elif wb is not None:
        ok = rounds_to(x, wb, a.error)
        where = "at the digits written" if wb.half_unit else "exactly"
    elif wa is not None:
        ok = rounds_to(y, wa, b.error)
        where = "at the digits written" if wa.half_unit else "exactly"
    else:
        scale = max(mpmath.mpf(1), abs(x), abs(y))
        ok = abs(x - y) <= slack + mpmath.mpf(10) ** -(DIGITS - 10) * scale
        if not ok and relation == "approx":
            ok = abs(x - y) <= slack + mpmath.mpf("0.005") * max(abs(x), abs(y))
        where = "within the rounding of the values used" if slack else "exactly"
    if ok:
        return Comparison("equal", f"{short_decimal(x)} = {short_decimal(y)} {where}", x, y)
    return Comparison("different", f"{short_decimal(x)} is not {short_decimal(y)}"
                      + (" at the digits written" if "digits" in where else ""), x, y)


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (120 characters at most)."""
    text = str(exc).strip()
    return text.splitlines()[0][:120] if text else "no detail"


#: Digits a written number needs to match by rounding (``0``, ``1`` and ``0.2``
#: match only exactly: 0.0260657 is not 0, 1/2 is not 1; 0.09 has two decimals).
MIN_ROUNDING_DIGITS = 2
#: Bits of precision evalf must vouch for before a value decides a verdict
#: (sympy tracks the error of quadrature and sums; 60 digits asked for).
KNOWN_BITS = 150


def exact_or_mpf(expr: sp.Expr):
    """A Fraction for a rational, else an mpf of 60 digits that evalf vouches
    for to :data:`KNOWN_BITS` bits (an Integral, Sum or Product must also agree
    with a second, 30-digit evaluation). Raises ValueError for a value that is
    not a finite real number or has no such error bound."""
    expr = expr.doit() if not expr.is_Atom else expr
    if expr.is_Rational:
        return Fraction(int(expr.p), int(expr.q))
    value = sp.N(expr, 60)
    if not (isinstance(value, sp.Expr) and value.is_Float):  # complex, infinite, NaN, a matrix
        raise ValueError(f"{show_short(expr)} is not a finite real number")
    if value._prec < KNOWN_BITS:  # evalf tracks the error of what it evaluates (quadrature, sums)
        raise ValueError(f"{show_short(expr)} is known only to about {int(value._prec * 0.30103)} digits "
                         "(no error bound for more)")
    if expr.has(sp.Integral, sp.Sum, sp.Product):  # a second method must agree: 30-digit evaluation
        other = sp.N(expr, 30)
        if not (isinstance(other, sp.Expr) and other.is_Float) or abs(other - value) > abs(value) * sp.Float("1e-25"):
            raise ValueError(f"two evaluations of {show_short(expr)} disagree (no error bound)")
    return mpmath.mpf(sp.Float(value, 60)._mpf_)


def digits_written(written: WrittenNumber) -> int:
    """Digits that carry a rounding: the significant ones, or the decimals of
    a number below 1 (0.09 has two, 0.2 and 0 one)."""
    return max(written.significant, -written.exponent) if abs(written.value) < 1 else written.significant


def show_short(expr) -> str:
    """``expr`` as text of at most 60 characters (a number too long to print
    as a string, over Python's 4300 digits, by its size)."""
    try:
        text = str(expr)
    except ValueError:
        return "a number of more than 4300 digits"
    return text if len(text) <= 60 else text[:57] + "..."


def compare_rounded(reference: sp.Expr, written: WrittenNumber,
                    reference_written: WrittenNumber | None = None) -> tuple[str, str]:
    """A number written by the student against the exact reference value.

    Equal when the reference rounded at the student's last written digit
    (ties away from zero) is the written number; when the reference is a
    written decimal with fewer digits than the answer (``reference_written``),
    the answer is rounded at the reference's last digit instead. An integer
    with trailing zeros that match only when they are not significant is
    "undecided", and so is a reference that is not a finite real number
    (``\\sqrt{\\log_{10} 10^{-18}}``). Returns (verdict, reason)."""
    try:
        value = exact_or_mpf(reference)
    except (ValueError, TypeError) as exc:
        return "undecided", f"cannot compare at the precision written: {first_line(exc)}"
    w = written.value
    if isinstance(value, Fraction) and value == w:
        return "equal", f"{written.text} is exactly the reference"
    rounded_reference = reference_written is not None and not re.fullmatch(r"\d+", reference_written.text)
    if rounded_reference and digits_written(reference_written) < MIN_ROUNDING_DIGITS:
        return "different", f"{written.text} is not the reference {reference_written.text} (matched only exactly)"
    if rounded_reference and reference_written.exponent > written.exponent:
        rounded = round_half_away(Fraction(w), reference_written.exponent)
        if rounded == round_half_away(value, reference_written.exponent):
            return "equal", (f"{written.text} rounds to the reference {reference_written.text} at the reference's "
                             f"last digit ({unit_text(reference_written.exponent)})")
        return "different", f"{written.text} does not round to the reference {reference_written.text}"
    rounded = round_half_away(value, written.exponent)
    where = f"at the last digit written ({unit_text(written.exponent)})"
    exact = value == w if isinstance(value, Fraction) else value == mpmath.mpf(w.numerator) / w.denominator
    if rounded == w and not exact and digits_written(written) < MIN_ROUNDING_DIGITS:  # 1 for 0.5: no rounding
        return "different", (f"{written.text} is not the reference {reason_number(reference)}: a number with one "
                             "significant digit matches only exactly")
    if rounded == w:
        return "equal", f"the reference {reason_number(reference)} rounded {where} is {written.text}"
    if written.trailing_zeros:
        coarse = written.exponent + written.trailing_zeros
        if round_half_away(value, coarse) == w:
            return "undecided", (f"{written.text} equals the reference {reason_number(reference)} only if its "
                                 f"{written.trailing_zeros} trailing zeros are not significant")
    return "different", (f"the reference {reason_number(reference)} rounded {where} is "
                         f"{like_written(rounded, written)}, not {written.text}")



# --------------------------------------------------------------------------- expressions


def compare(pm: ProblemMath, a: Evaluated, b: Evaluated, wa: WrittenNumber | None = None,
            wb: WrittenNumber | None = None, relation: str = "equal", seed: int = SEED) -> Comparison:
    """Compare two resolved expressions (scalars or matrices, see
    :func:`engine.check.resolve.resolve`): ``a`` is the reference side,
    ``b`` the student's; ``wa``/``wb`` the numbers as written, when they are
    plain numbers. Matrices entry by entry, closed numbers at the precision
    written (:func:`compare_numbers`), anything else :func:`compare_symbolic`.
    Raises Undecided with the reason."""
    ea, eb = a.expr, b.expr
    if isinstance(ea, sp.MatrixBase) or isinstance(eb, sp.MatrixBase):
        return _compare_matrices(pm, a, b, relation, seed)
    if a.number is not None and b.number is not None:
        return compare_numbers(a, b, wa, wb, relation)
    return compare_symbolic(pm, ea, eb, relation, seed, unknown=set(a.unknown) ^ set(b.unknown))


def _broadcast(expr: Any) -> Any:
    """A single value added to a vector or matrix (``\\gamma \\hat{x} + \\beta``
    with a vector x-hat) as the matrix of the sums entry by entry, as NumPy and
    PyTorch broadcast it; any other expression unchanged."""
    if not isinstance(expr, sp.Add):
        return expr
    terms = [_broadcast(t) for t in expr.args]
    mats = [t for t in terms if isinstance(t, sp.MatrixBase)]
    rest = [t for t in terms if not isinstance(t, sp.MatrixBase)]
    if not mats or any(m.shape != mats[0].shape for m in mats) or any(t.has(sp.MatrixBase) for t in rest):
        return expr
    total = sp.ImmutableMatrix(sum(mats[1:], mats[0]))
    shift = sp.Add(*rest)
    return total.applyfunc(lambda v: v + shift)


def _compare_matrices(pm: ProblemMath, a: Evaluated, b: Evaluated, relation: str, seed: int) -> Comparison:
    ea, eb = _broadcast(a.expr), _broadcast(b.expr)
    if not (isinstance(ea, sp.MatrixBase) and isinstance(eb, sp.MatrixBase)):
        scalar, matrix = (eb, ea) if isinstance(ea, sp.MatrixBase) else (ea, eb)
        if isinstance(scalar, sp.Basic) and scalar.free_symbols:
            raise Undecided("a matrix is compared with an expression the problem does not define")
        names = undefined_functions(scalar)
        if names:  # LeakyReLU(U) of a matrix U: elementwise, its shape unknown here
            raise Undecided(f"a matrix is compared with {', '.join(names)}(...), a function the checker has no "
                            "definition of")
        if matrix.free_symbols:  # p(y) read as the vector p times y: not surely a vector
            raise Undecided("a vector with symbols the problem does not give is compared with a single value")
        return Comparison("different", "a matrix or vector is compared with a single value")
    if ea.shape != eb.shape and 1 in ea.shape and 1 in eb.shape and len(ea) == len(eb):
        eb = eb.reshape(*ea.shape)
    if ea.shape != eb.shape:
        return Comparison("different", f"shape {ea.rows}x{ea.cols} is not {eb.rows}x{eb.cols}")
    errors_a = a.error if isinstance(a.error, list) else [a.error or 0] * len(ea)
    errors_b = b.error if isinstance(b.error, list) else [b.error or 0] * len(eb)
    for k, (x, y) in enumerate(zip(ea, eb)):
        ex = Evaluated(x, number_of(x), errors_a[k])
        ey = Evaluated(y, number_of(y), errors_b[k])
        c = compare(pm, ex, ey, None, None, relation, seed)
        if c.verdict != "equal":
            i, j = divmod(k, ea.cols)
            return Comparison(c.verdict, f"entry ({i + 1}, {j + 1}): {c.detail}")
    return Comparison("equal", f"all {len(ea)} entries agree")


def compare_symbolic(pm: ProblemMath, a: Any, b: Any, relation: str = "equal", seed: int = SEED,
                     unknown: set | None = None, deadline: Budget | None = None) -> Comparison:
    """Two expressions that are not both closed numbers (``a`` the reference
    side): the checks before strategy 3 of the module docstring, then
    :func:`symbolic_verdict`. ``unknown``: names neither the problem nor the
    solution defines (a difference found with them is "undecided");
    ``deadline``: the soft budget of ``simplify`` (None: none). Raises Undecided."""
    if isinstance(a, sp.Eq) or isinstance(b, sp.Eq):
        raise Undecided("an equation is compared with an expression")
    others = [type(e).__name__ for e in (a, b) if isinstance(e, sp.Basic) and not isinstance(e, sp.Expr)]
    if others:  # \emptyset read as the empty set: sympy has no arithmetic for it
        raise Undecided(f"{', '.join(others)} is not a number or an expression: it cannot be compared with one")
    if relation == "approx" and pm.small:
        zero = {pm.canon(k): 0 for k in pm.small}
        a, b = _limit_small(a, zero), _limit_small(b, zero)
    if a.has(sp.Order) or b.has(sp.Order):
        return compare_series(pm, a, b, seed)
    diff = sp.Add(a, -b)
    if diff == 0:
        return Comparison("equal", "identical")
    if len(sp.srepr(diff)) > MAX_EXPR_SIZE:
        raise Undecided("the expressions are too large to compare")

    def ready() -> tuple[str, str] | None:
        names = undefined_functions(diff)
        if names:
            raise Undecided(f"uses the function{'s' if len(names) > 1 else ''} {', '.join(names)}, "
                            "which the checker has no definition of")
        entries = summed_entries(diff)
        if entries and _equal_for_each_length(pm, a, b, seed):
            return "equal", (f"equal for every number of terms K from {SUM_LENGTHS[0]} to {SUM_LENGTHS[-1]} "
                             "at random points (the sums written out)")
        if entries:
            raise Undecided(f"it takes entries of {', '.join(entries)} at a symbolic index (a sum over i): "
                            "the two sides do not simplify to the same form, and such terms have no value to test")
        return None

    verdict, reason = symbolic_verdict(a, b, domain=pm.domain, deadline=deadline, describe=_describe_step,
                                       ready=ready, seed=seed)
    if verdict == "different" and unknown:
        raise Undecided(f"uses {', '.join(sorted(unknown))}, which neither the problem nor the solution defines")
    if verdict == "undecided":
        raise Undecided(reason)
    return Comparison(verdict, reason)


def _limit_small(expr: Any, zero: dict) -> Any:
    """The leading order of ``expr`` in the problem's small quantities
    (epsilon, delta): they are set to 0."""
    if expr.has(sp.Order):
        expr = expr.removeO()
    return expr.xreplace(zero)


def compare_series(pm: ProblemMath, a: Any, b: Any, seed: int) -> Comparison:
    """Two expansions in the variable of their O-term agree below its order;
    the problem's other small quantities are 0 (an expansion in delta is
    taken at epsilon = 0, as the sheet states it)."""
    orders = [o for e in (a, b) for o in e.atoms(sp.Order)]
    order = orders[0]
    var = order.variables[0] if order.variables else None
    if var is None:
        raise Undecided("an O-term without a variable")
    pa, pb = a.removeO(), b.removeO()
    others = {pm.canon(k): 0 for k in pm.small if pm.canon(k) != var}
    if others:
        pa, pb = pa.xreplace(others), pb.xreplace(others)
    try:
        n = sp.Poly(order.expr, var).degree()
    except (sp.PolynomialError, ValueError):
        raise Undecided("an O-term that is not a power of one variable") from None
    diff = sp.Add(pa, -pb)
    proved, _ = attempt("series", lambda d: sp.simplify(sp.series(d, var, 0, n).removeO()), diff, None)
    if proved:
        return Comparison("equal", f"the expansions agree up to O({var}^{n})")
    # numeric: the difference must vanish like var^n
    rng = random.Random(seed)
    syms = sorted(diff.free_symbols - {var}, key=str)
    worst = None
    for _ in range(SERIES_POINTS):
        point = {s: sample(s, rng, "mixed", pm.domain) for s in syms}
        small = mpmath.mpf(10) ** -8
        try:
            value = number_of(diff.xreplace(point).xreplace({var: sp.Float(small, DIGITS)}))
        except SYMPY_FAILURES:
            value = None  # no value at this point: another point decides
        if value is None:
            continue
        if abs(value) > mpmath.mpf(10) ** 4 * small ** n:
            worst = value
            break
    if worst is not None:
        return Comparison("different", f"the expansions differ at order below O({var}^{n})")
    return Comparison("equal", f"the expansions agree up to O({var}^{n}) at random points")


#: The numbers of terms a sum with a symbolic bound (``\\sum_j`` over K logits)
#: is written out for when sympy cannot compare it in closed form.
SUM_LENGTHS = (2, 3, 4, 5, 6)


def _equal_for_each_length(pm: ProblemMath, a: Any, b: Any, seed: int) -> bool:
    """Are ``a`` and ``b`` equal with every sum of symbolic length written out
    for each K of :data:`SUM_LENGTHS`, at random points? One-sided: True is
    an identity in all but name (the forms are uniform in K); False decides
    nothing (an entry z_i is drawn independently of z_1 ... z_K here), so the
    caller stays undecided rather than calling the step wrong."""
    bounds = {limit[2] for total in (a.atoms(sp.Sum) | b.atoms(sp.Sum)) for limit in total.limits
              if isinstance(limit[2], sp.Symbol)}
    if not bounds:
        return False
    for length in SUM_LENGTHS:
        lengths = {bound: sp.Integer(length) for bound in bounds}
        ea, eb = (e.xreplace(lengths).doit() for e in (a, b))
        if ea.has(sp.Sum) or eb.has(sp.Sum) or summed_entries(sp.Add(ea, -eb)):
            return False
        if not spot_check(ea, eb, pm.domain, seed=seed + length).equal:
            return False
    return True
