"""``derive equiv``: is a student's LaTeX answer equal to the reference?
``equal``, ``different`` or ``undecided``, with the reason.

This module reads the two texts (normalisation, ambiguous commas, chains,
equations, vectors and matrices) and hands each pair of objects to the one
comparison engine, :mod:`engine.check.compare`, which ``derive check`` uses
too (strategies 3 to 7 below are :func:`engine.check.compare.compare_rounded`
and :func:`engine.check.compare.symbolic_verdict`; the random points are
:func:`engine.math.spot.spot_check`'s).

:func:`equivalent` is not symmetric: the **reference** is exact (our own
answer, or a value given to as many digits as it has), the **student**'s
answer is read as written: a number is compared at the precision it was
written with. Strategies, cheapest first (Math-Verify's order, with visible
failures instead of swallowed ones):

1. the same text after normalisation (:func:`engine.read.parse.clean`);
2. the same sympy expression after parsing and evaluation;
3. numbers at the precision written (:func:`compare_rounded`): the student's
   number is right when the reference rounds to it at its last written digit,
   ties rounding away from zero (school rounding: 1/8 at two decimals is 0.13,
   so 0.12 is different); a number written with one digit (``0``, ``1``,
   ``0.2``) is no rounding and matches only exactly (1/2 is not 1); a
   reference written as a decimal is matched the same way by an exact answer
   (``4.1231`` and ``\\sqrt{17}``); a value sympy cannot vouch for to 45
   digits (an integral it evaluates to 5) decides nothing; ``48.757``
   matches 48.756893..., ``1.38 \\times 10^8`` matches 138357544, ``42,7`` does not match 42.111. When the reference is
   itself a decimal written with fewer digits than the answer, the answer is
   compared at the reference's last digit. An integer whose trailing zeros may
   be rounding (``138000000``) is "undecided". Vectors, tuples and matrices:
   entry by entry with the same rule;
4. symbolic: ``expand`` and ``cancel`` of ``reference - answer``;
5. a numeric spot check (mpmath, :data:`engine.math.spot.DIGITS` digits) at random
   rational points (magnitudes 0.1 to 10, both signs, then (0, 1) when too
   few of those are in the domain; the problem's parameters in the ranges it
   declares), as evidence that the two differ: a relative difference above
   :data:`engine.math.spot.MISMATCH` at :data:`engine.math.spot.MISMATCH_POINTS`
   points or more is "different".
   Only points where both sides are real and finite count, so ``\\log x^2``
   equals ``2 \\log x`` on the reference's domain, and a difference counts
   only where every root and logarithm of both sides is real
   (``\\sqrt{v}\\sqrt{w}`` at v, w < 0 is no evidence). An answer with decimal
   coefficients (``0.333x`` for ``x/3``) that misses only by their rounding is
   "undecided";
6. ``simplify`` and ``expand_log(force=True)`` under a soft budget of CPU
   time (:class:`engine.check.compare.Budget`);
7. numeric agreement alone, without a symbolic proof, is "equal" only at
   :data:`engine.math.spot.AGREE_POINTS` points or more, all within
   :data:`engine.math.spot.AGREE` relative, with no mismatch, and never with
   :data:`engine.check.compare.PIECEWISE` functions (their break
   points can hide between samples); otherwise "undecided" with the reason.

Lists, sets, tuples, equations, inequalities, intervals, words and units
are taken apart first (:mod:`engine.check.relations`); each member comes back
here. Also: a number against an answer in terms of unknown symbols (``5`` against
``5 m``: ``m`` is a variable, not metres) is "undecided"; an equation is
compared side by side (or its right-hand side with an expression); a chain
``a = b \\approx c`` is judged by its last member; an ambiguous comma
(``1,000``) is read both ways and "undecided" when the readings disagree,
unless only one reading has the reference's shape (``(1,5)`` against a
pair); a power of more than :data:`MAX_DIGITS` digits is never evaluated.
Symbols are commutative scalars: ``W v`` and ``v W`` are not told apart.

A correct step called wrong is the worst failure for a grader, so whatever
is not shown equal or clearly different is "undecided". Everything that
touches student text (parsing and comparing) runs in a worker process of
:mod:`engine.sandbox` under a wall-time and a memory limit: ``9^{9^9}``,
``\\frac`` nested 500 deep or a megabyte of garbage end as "undecided".

With ``problem``, the problem's definitions are substituted first (the table
:data:`PROBLEMS`: ``p_{y'}`` is the softmax for ``softmax``, ``\\sigma`` the
sigmoid for ``delta_rule``, ``u = x^2/\\log x`` for ``autodiff``...); its
given values are substituted into the answer only when the reference is a
number, with the definitions, until nothing changes (``net_1`` is given by
``w`` and ``x``). Whatever sympy cannot evaluate (the square root of a 1x3
matrix, a value that is not a finite real number) is "undecided" with the
reason.

>>> equivalent(r"\\frac{1}{4}", "0.25").verdict
'equal'
>>> equivalent(r"\\frac{1}{4}", "0.2").verdict
'different'
>>> equivalent("42.111371424908064", "42.11").verdict
'equal'
>>> equivalent(r"\\frac{x}{\\log x}", r"x/\\ln(x)").verdict
'equal'
>>> equivalent("W v", "w v").verdict
'different'
>>> equivalent(r"9^{9^9}", "1", timeout=2).verdict
'undecided'
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Iterator

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef

from engine import sandbox
from engine.check.context import PROBLEMS, ProblemContext, context_for
from engine.errors import UsageError
from engine.check.compare import (  # noqa: F401 - compare_rounded is re-exported: part of derive equiv's API
    EVALUATION_ERRORS, KNOWN_BITS, MIN_ROUNDING_DIGITS, Budget, compare_rounded, digits_written, first_line,
    show_short, symbolic_verdict,
)
from engine.math.numbers import reason_number
from engine.math.spot import AGREE
from engine.math.spot import DIGITS as SPOT_DIGITS
from engine.read.parse import (
    ACCENTS, GREEK, ParseError, Partial, WrittenNumber, ambiguous_commas, clean, literal_grid, number_literal,
    parse_latex,
    top_level_relations, written_precision,
)

__all__ = ["Verdict", "equivalent", "compare", "compare_rounded", "pool", "equivalent_many", "PROBLEMS",
           "ProblemContext"]

VERDICTS = ("equal", "different", "undecided")
#: Default wall-time limit of one comparison, seconds (the worker is killed after it).
DEFAULT_TIMEOUT = 10.0
#: Default address-space limit of a worker, MB.
DEFAULT_MEMORY_MB = 1024
#: Share of the time limit given to the slow symbolic strategies (simplify).
SOFT_SHARE = 0.5
#: Numbers with more digits than this are not evaluated (``9^{9^9}`` has 370 million).
MAX_DIGITS = 100_000


@dataclass(frozen=True)
class Verdict:
    """The checker's answer: ``verdict`` is "equal", "different" or
    "undecided"; ``reason`` one line for the student or grader; ``ms`` the
    wall time of the comparison in milliseconds (worker start included)."""

    verdict: str
    reason: str
    ms: float = 0.0

    def as_json(self) -> dict:
        return {"verdict": self.verdict, "reason": self.reason, "ms": round(self.ms, 1)}


# =========================================================================== the public API


def equivalent(reference: str, student: str, *, problem: str | None = None, timeout: float = DEFAULT_TIMEOUT,
               memory_mb: int = DEFAULT_MEMORY_MB, pool: sandbox.Pool | None = None) -> Verdict:
    """Compare a student's LaTeX answer with the reference (see the module
    docstring for the strategies and the precision rule).

    Args:
        reference: LaTeX of the exact answer (an expression, ``lhs = rhs``,
            a matrix or a tuple).
        student: LaTeX as the student wrote it (OCR'd).
        problem: a problem id of the catalog whose definitions apply.
        timeout: wall-time limit in seconds; the worker is killed after it.
        memory_mb: address space the worker may add to what it inherits, MB.
        pool: a :func:`pool` of persistent workers (else a fresh worker).

    Returns a :class:`Verdict`. Raises UsageError for an unknown problem id.
    """
    context_for(problem)  # unknown ids are the caller's mistake: UsageError here, not a verdict
    if pool is not None:
        outcome = pool.run(compare, reference, student, problem, timeout * SOFT_SHARE, timeout=timeout)
    else:
        outcome = sandbox.run_bounded(compare, reference, student, problem, timeout * SOFT_SHARE,
                                      timeout=timeout, memory_mb=memory_mb)
    return verdict_of(outcome, timeout)


#: Our own LaTeX, parsed and compared in the parent before workers are forked:
#: the ANTLR parser builds its prediction tables on first use (about 100 ms
#: per new construct), and forked workers inherit them warm.
WARM_UP = (
    (r"\frac{x^2}{\log x} + c", r"x^2 \ln^{-1} x"), (r"\sqrt{\hat{v}_t + \epsilon}", r"|g_1| + \epsilon"),
    (r"\begin{bmatrix}1 & 2\\ 3 & 4\end{bmatrix}", r"2\begin{pmatrix}0.5 & 1\end{pmatrix}^T"),
    (r"\frac{e^{z_{y'}}}{\sum_{j=1}^{K} e^{z_j}}", r"\exp(-z) \cdot (1 - \sigma(z))"),
    (r"1.38 \times 10^{8}", r"(3 \times 3 \times 64 + 1) \cdot 2 - 4 / 5"), (r"(0.09, 0.24, 0.67)", "11.9\\%"),
    (r"\frac{\partial f}{\partial c} = -2c", r"\operatorname{sign}(g^1) \bar{v}_{-1}"),
)
_WARM = False


def warm_up() -> None:
    """Parse and compare :data:`WARM_UP` in this process (once)."""
    global _WARM
    if not _WARM:
        for _ in PROBLEMS.values():  # every problem's definitions built once, before workers fork
            pass
        for reference, student in WARM_UP:
            compare(reference, student, None, 2.0)
        _WARM = True


def pool(jobs: int = 1, *, timeout: float = DEFAULT_TIMEOUT, memory_mb: int = DEFAULT_MEMORY_MB) -> sandbox.Pool:
    """A :class:`engine.sandbox.Pool` of ``jobs`` workers for :func:`equivalent`
    and :func:`equivalent_many`; the parser is warmed up (:func:`warm_up`)
    in this process first, so every worker starts with it."""
    warm_up()
    return sandbox.Pool(jobs, timeout=timeout, memory_mb=memory_mb, preload=("engine.check.equiv",))


def equivalent_many(pairs: Iterable[tuple[str, str, str | None]], workers: sandbox.Pool,
                    timeout: float | None = None) -> Iterator[Verdict]:
    """:func:`equivalent` for each ``(reference, student, problem)``, spread
    over the pool's workers; Verdicts in input order, as they are ready. An
    unknown problem id gives an "undecided" verdict (not an exception)."""
    limit = workers.timeout if timeout is None else timeout
    tasks = ((r, s, p, limit * SOFT_SHARE) for r, s, p in pairs)
    for outcome in workers.imap(compare, tasks, timeout=limit):
        yield verdict_of(outcome, limit)


def verdict_of(outcome: sandbox.Outcome, timeout: float) -> Verdict:
    """The Verdict of a sandbox Outcome: a timeout, a memory overrun or an
    error inside the worker is "undecided" with the reason, never hidden."""
    if outcome.status == "ok":
        verdict, reason = outcome.value
        return Verdict(verdict, reason, outcome.ms)
    if outcome.status == "timeout":
        return Verdict("undecided", f"no decision within the time limit ({timeout:g} s)", outcome.ms)
    if outcome.status == "memory":
        return Verdict("undecided", f"the comparison ran out of memory: {outcome.reason}", outcome.ms)
    return Verdict("undecided", f"internal error while comparing: {outcome.reason}", outcome.ms)


# =========================================================================== the comparison (in the worker)


def compare(reference: str, student: str, problem: str | None = None, budget: float = 5.0) -> tuple[str, str]:
    """The comparison itself, ``(verdict, reason)``; run it in a sandbox
    worker (:func:`equivalent` does), never on student text in-process.
    ``budget`` is the soft time budget (seconds) of the slow strategies.
    Lists, sets, equations, inequalities, intervals, words and units first
    (:mod:`engine.check.relations`), expressions by :func:`compare_plain`."""
    from engine.check import relations

    return relations.decide(reference, student, problem, budget, compare_plain)


def compare_plain(reference: str, student: str, problem: str | None = None, budget: float = 5.0) -> tuple[str, str]:
    """:func:`compare` for one expression, equation or matrix on each side."""
    try:
        ctx = context_for(problem)
    except UsageError as exc:
        return "undecided", str(exc)
    deadline = Budget.of(budget)
    try:
        ref_clean = clean(reference)
    except ParseError as exc:
        return "undecided", f"the reference cannot be read: {exc}"
    try:
        stu_clean = clean(student)
    except ParseError as exc:
        return "undecided", f"the answer cannot be read: {exc}"
    if not stu_clean:
        return "undecided", "the answer is empty"
    ambiguous = ambiguous_commas(student)
    if ref_clean.replace(" ", "") == stu_clean.replace(" ", "") and not ambiguous:
        return "equal", "the same expression as written (after normalisation)"
    try:
        ref = parse_latex(reference, **ctx.parse_options())
    except ParseError as exc:
        return "undecided", f"the reference cannot be read: {exc}"
    results, kinds = [], []
    for flip in ((False, True) if ambiguous else (False,)):
        text = clean(student, flip_ambiguous_commas=flip)
        prefix = ""
        relations = top_level_relations(text)
        if len(relations) > 1 or any(r not in ("=", ":=") for _, _, r in relations):
            text = text[relations[-1][1]:].strip()  # a chain: its last member is the answer
            prefix = "the last member of the chain: "
        try:
            stu = parse_latex(text, **ctx.parse_options())
        except ParseError as exc:
            results.append(("undecided", f"the answer cannot be read: {exc}"))
            kinds.append(None)
            continue
        try:
            verdict, reason = _Comparison(ctx, deadline).top(ref, stu, clean(reference), text)
        except ParseError as exc:  # sqrt of a 1x3 matrix, a definition that does not terminate...
            verdict, reason = "undecided", f"cannot compare: {exc}"
        except EVALUATION_ERRORS as exc:  # sympy refusing an operation: visible, never a crash
            verdict, reason = "undecided", f"cannot compare: sympy cannot evaluate it ({first_line(exc)})"
        results.append((verdict, prefix + reason))
        kinds.append(_kind(stu))
    if len(results) == 2 and results[0][0] != results[1][0]:
        shaped = [r for r, kind in zip(results, kinds) if kind == _kind(ref)]
        if len(shaped) == 1:  # "(1,5)": a pair where the reference is a pair, 1.5 where it is a number
            return shaped[0]
        c = ambiguous[0]
        return ("undecided", f"'{c.text}' reads as {c.kind} or as {c.alternative} and the readings disagree "
                f"({results[0][0]}: {results[0][1]}; {results[1][0]}: {results[1][1]})")
    return results[0]


def _kind(obj) -> str:
    """"vector" or "scalar": what the comma readings of an answer are told apart by."""
    if isinstance(obj, sp.Eq):
        obj = obj.rhs
    return "vector" if _is_container(obj) else "scalar"


def _sides(text: str) -> tuple[str, str] | None:
    relations = top_level_relations(text)
    if len(relations) != 1:
        return None
    start, end, _ = relations[0]
    return text[:start].strip(), text[end:].strip()


def _is_container(obj) -> bool:
    return isinstance(obj, (sp.MatrixBase, sp.Tuple)) or (isinstance(obj, sp.Basic) and obj.is_Matrix)


def _entries(obj) -> tuple[tuple[int, int], list, bool]:
    """(shape, entries row by row, is_tuple) of a matrix or tuple."""
    if isinstance(obj, sp.Tuple):
        return (1, len(obj)), list(obj), True
    matrix = sp.ImmutableMatrix(obj.doit() if hasattr(obj, "doit") else obj)
    return matrix.shape, list(matrix), False


def _is_number(expr) -> bool:
    return isinstance(expr, sp.Expr) and not expr.free_symbols and not expr.has(AppliedUndef, Partial, sp.Indexed)


def _name(sym) -> str:
    """A symbol's name as LaTeX for a reason (``hat{m}_t`` -> ``\\hat{m}_t``)."""
    name = str(sym).replace("\\prime", "'")
    m = re.match(r"([A-Za-z]+)(.*)", name)
    if m and (m.group(1) in GREEK or (m.group(1) in ACCENTS and m.group(2).startswith("{"))):
        return "\\" + name
    return name


def _undefined(expr: sp.Expr) -> bool:
    """Does ``expr`` hold an undefined or infinite value (zoo, nan, +-oo)? An
    infinite limit of an integral, sum or product (``\\int_0^\\infty``) is not one."""
    bounded = expr.replace(lambda e: isinstance(e, (sp.Integral, sp.Sum, sp.Product)), lambda e: sp.Dummy())
    return bounded.has(sp.zoo, sp.nan, sp.oo, -sp.oo)


class _Comparison:
    """One comparison under a problem context and a soft deadline."""

    def __init__(self, ctx: ProblemContext, deadline: Budget):
        self.ctx = ctx
        self.deadline = deadline

    # ----------------------------------------------------------------- dispatch

    def top(self, ref, stu, ref_text: str, stu_text: str) -> tuple[str, str]:
        if isinstance(ref, sp.Eq) or isinstance(stu, sp.Eq):
            return self.relations(ref, stu, ref_text, stu_text)
        return self.objects(ref, stu, ref_text, stu_text)

    def relations(self, ref, stu, ref_text: str, stu_text: str) -> tuple[str, str]:
        ref_sides, stu_sides = _sides(ref_text) or ("", ""), _sides(stu_text) or ("", "")
        if isinstance(ref, sp.Eq) and not isinstance(stu, sp.Eq):
            verdict, reason = self.objects(ref.rhs, stu, ref_sides[1], stu_text)
            return verdict, f"against the right-hand side of the reference: {reason}"
        if isinstance(stu, sp.Eq) and not isinstance(ref, sp.Eq):
            verdict, reason = self.objects(ref, stu.rhs, ref_text, stu_sides[1])
            return verdict, f"the right-hand side of the answer: {reason}"
        left = self.objects(ref.lhs, stu.lhs, ref_sides[0], stu_sides[0])
        if left[0] == "equal":
            verdict, reason = self.objects(ref.rhs, stu.rhs, ref_sides[1], stu_sides[1])
            return verdict, f"same left-hand side; right-hand sides: {reason}"
        swapped = self.objects(ref.lhs, stu.rhs, ref_sides[0], stu_sides[1])
        if swapped[0] == "equal":
            verdict, reason = self.objects(ref.rhs, stu.lhs, ref_sides[1], stu_sides[0])
            return verdict, f"the sides are swapped; {reason}"
        return "undecided", f"the equations have different left-hand sides ({left[1]})"

    def objects(self, ref, stu, ref_text: str, stu_text: str) -> tuple[str, str]:
        for who, expr in (("reference", ref), ("answer", stu)):
            huge = too_large(expr)
            if huge:
                return "undecided", f"the {who} holds {huge}: too large to evaluate"
        ref = _evaluate(self.ctx.expand(ref))
        stu = _evaluate(self.ctx.expand(stu))
        if _is_container(ref) or _is_container(stu):
            return self.containers(ref, stu, ref_text, stu_text)
        return self.scalars(ref, stu, number_literal(ref_text), number_literal(stu_text), stu_text)

    # ----------------------------------------------------------------- vectors and matrices

    def containers(self, ref, stu, ref_text: str, stu_text: str) -> tuple[str, str]:
        if not (_is_container(ref) and _is_container(stu)):
            kind = "a vector or matrix" if _is_container(ref) else "a scalar"
            return "different", f"the reference is {kind} and the answer is not"
        (ref_shape, ref_items, ref_tuple), (stu_shape, stu_items, stu_tuple) = _entries(ref), _entries(stu)
        if len(ref_items) != len(stu_items):
            return "different", f"{len(stu_items)} entries where the reference has {len(ref_items)}"
        vectors = 1 in ref_shape and 1 in stu_shape
        if ref_shape != stu_shape and not vectors:
            return "different", (f"a {stu_shape[0]}×{stu_shape[1]} matrix where the reference is "
                                 f"{ref_shape[0]}×{ref_shape[1]}")
        ref_grid, stu_grid = literal_grid(ref_text), literal_grid(stu_text)
        ref_lits = [w for row in ref_grid for w in row] if ref_grid else [None] * len(ref_items)
        stu_lits = [w for row in stu_grid for w in row] if stu_grid else [None] * len(stu_items)
        if len(ref_lits) != len(ref_items):
            ref_lits = [None] * len(ref_items)
        if len(stu_lits) != len(stu_items):
            stu_lits = [None] * len(stu_items)
        undecided = []
        for k, (r, s, rl, sl) in enumerate(zip(ref_items, stu_items, ref_lits, stu_lits)):
            verdict, reason = self.scalars(r, s, rl, sl, sl.text if sl else "")
            where = f"entry {k + 1}" if vectors else f"entry ({k // ref_shape[1] + 1}, {k % ref_shape[1] + 1})"
            if verdict == "different":
                return "different", f"{where}: {reason}"
            if verdict == "undecided":
                undecided.append(f"{where}: {reason}")
        if undecided:
            return "undecided", "; ".join(undecided[:3])
        if ref_shape != stu_shape and not (ref_tuple or stu_tuple):
            return "undecided", (f"the same entries, but a {stu_shape[0]}×{stu_shape[1]} where the reference is "
                                 f"{ref_shape[0]}×{ref_shape[1]} (transposed?)")
        how = "at the precision written" if stu_grid else "exactly"
        return "equal", f"all {len(ref_items)} entries agree {how}"

    # ----------------------------------------------------------------- scalars

    def scalars(self, ref, stu, ref_lit: WrittenNumber | None, stu_lit: WrittenNumber | None,
                stu_text: str) -> tuple[str, str]:
        ref, stu = _doit(ref), _doit(stu)
        if not isinstance(ref, sp.Expr) or not isinstance(stu, sp.Expr):
            return "undecided", f"cannot compare {type(ref).__name__} with {type(stu).__name__}"
        if any(_undefined(x) for x in (ref, stu)):
            return "undecided", "a value is undefined or infinite (a division by zero?): never equal to another"
        if ref == stu:
            return "equal", "the same expression"
        if _is_number(ref):
            return self.numbers(ref, stu, ref_lit, stu_lit, stu_text)
        return self.symbolic(ref, stu, stu_text)

    def numbers(self, ref, stu, ref_lit, stu_lit, stu_text: str) -> tuple[str, str]:
        given = ""
        if not _is_number(stu):
            stu = _doit(self.ctx.substitute_givens(stu))
            if not _is_number(stu):
                unknown = {_name(s) for s in stu.free_symbols} | {_name(f.func) for f in stu.atoms(AppliedUndef)}
                names = ", ".join(sorted(unknown))
                return "undecided", f"the answer depends on {names}, which have no value here"
            given = " (with the problem's given values)"
        if stu_lit is not None:
            verdict, reason = compare_rounded(ref, stu_lit, ref_lit)
            return verdict, reason
        if ref_lit is not None and ref_lit.exponent < 0 and digits_written(ref_lit) >= MIN_ROUNDING_DIGITS:
            verdict, reason = compare_rounded(stu, ref_lit)  # the reference is the rounded one: 4.1231 vs sqrt(17)
            return verdict, f"the answer at the reference's precision: {reason}"
        with mpmath.workdps(SPOT_DIGITS + 10):
            r = sp.N(ref, SPOT_DIGITS + 10)
            s = sp.N(stu, SPOT_DIGITS + 10)
        if not (r.is_finite and s.is_finite) or r.has(sp.I) or s.has(sp.I):
            return "undecided", "a value is not a finite real number"
        for x in (r, s):
            if x.is_Float and x._prec < KNOWN_BITS:  # evalf's own error bound: an integral known to 5 digits
                digits = int(x._prec * 0.30103)
                return "undecided", f"{reason_number(x)} is known only to about {digits} digits (no error bound)"
        diff = abs(r - s)
        scale = max(abs(r), abs(s))
        if diff == 0 or (scale != 0 and diff / scale < AGREE):
            return "equal", f"the same value, {reason_number(ref)}{given}"
        decimals = [w for w in written_precision(stu_text) if w.exponent < 0] if stu_text else []
        if decimals:
            digits = min(w.significant for w in decimals)
            tolerance = sp.Rational(1, 2) * sp.Integer(10) ** (1 - digits)
            if diff <= tolerance * abs(s):
                return "equal", (f"{reason_number(stu)} agrees with the reference {reason_number(ref)} to the {digits} significant "
                                 f"digits of the numbers written{given}")
        return "different", f"the answer is {reason_number(stu)}, the reference {reason_number(ref)}{given}"

    def symbolic(self, ref, stu, stu_text: str) -> tuple[str, str]:
        decimals = [w for w in written_precision(stu_text) if w.exponent < 0] if stu_text else []
        opaque = sorted(set(_opaque(ref) + _opaque(stu)))
        return symbolic_verdict(
            ref, stu, domain=self.ctx.domain, deadline=self.deadline, label="reference - answer",
            describe=_describe, prepare=lambda e, _: _doit(e),
            digits_written=min(w.significant for w in decimals) if decimals else None,
            opaque=f"{', '.join(opaque)} cannot be evaluated (no definition here)" if opaque else "")


def _describe(point: dict, a, b) -> str:
    """A counterexample in ``derive equiv``'s words."""
    where = ", ".join(f"{_name(k)} = {reason_number(v)}" for k, v in list(point.items())[:4])
    return f"at {where or 'the given values'} the reference is {reason_number(a)} and the answer {reason_number(b)}"


def _opaque(expr) -> list[str]:
    """Parts of ``expr`` that have no numeric value (undefined functions)."""
    names = {_name(f.func) for f in expr.atoms(AppliedUndef)}
    if expr.has(Partial):
        names.add("a partial derivative")
    return sorted(names)


def _digits(expr) -> float | None:
    """An upper estimate of log10|expr| for a closed numeric expression made of
    numbers, sums, products and powers; None when it cannot be estimated."""
    import math

    if isinstance(expr, sp.Number):
        if expr.is_Rational:
            return max(math.log10(abs(int(expr.p))) if expr.p else 0.0, math.log10(int(expr.q))) if expr.p else 0.0
        if not expr.is_Float:  # nan, zoo, oo: no size to estimate
            return None
        return float(mpmath.log10(abs(mpmath.mpf(expr._mpf_)))) if expr != 0 else 0.0
    if isinstance(expr, sp.Pow):
        base, exp = _digits(expr.base), _digits(expr.exp)
        if base is None or exp is None:
            return None
        if exp > 300:
            return math.inf
        try:  # the exponent's own value (10**exp bounds it, so it is a float): 10^{-0.23} is small
            size = abs(float(sp.N(expr.exp, 15)))
        except (TypeError, ValueError):
            size = 10 ** exp
        return max(base, 1.0) * min(size, 10 ** exp)
    if isinstance(expr, (sp.Add, sp.Mul)):
        parts = [_digits(a) for a in expr.args]
        if any(p is None for p in parts):
            return None
        return sum(parts) + len(parts)
    return None


def too_large(expr) -> str:
    """A description of a power in ``expr`` whose value would have more than
    :data:`MAX_DIGITS` digits (``9^(9^9)``), or "" when there is none."""
    if not isinstance(expr, sp.Basic):
        return ""
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Pow) and node.base.is_number and node.exp.is_number:
            digits = _digits(node)
            if digits is not None and digits > MAX_DIGITS:
                size = "more than 10^300" if digits == float("inf") else f"about 10^{int(mpmath.log10(digits))}"
                return f"a power with {size} digits ({show_short(node.base)}^({show_short(node.exp)}))"
    return ""


def _evaluate(expr):
    """The parsed (unevaluated) tree rebuilt with sympy's evaluation, and
    derivatives, sums and matrix products carried out."""
    if isinstance(expr, sp.Tuple):
        return sp.Tuple(*[_evaluate(e) for e in expr])
    if isinstance(expr, sp.MatrixBase):
        return expr.applyfunc(_evaluate)
    if not isinstance(expr, sp.Basic):
        return expr
    try:
        return expr.doit()
    except (TypeError, ValueError, NotImplementedError) as exc:
        raise ParseError(f"cannot evaluate {show_short(expr)}: {first_line(exc)}") from None


def _doit(expr):
    if isinstance(expr, sp.Basic) and expr.has(sp.Derivative, sp.Subs, sp.Sum, sp.Product, sp.MatrixExpr):
        try:
            return expr.doit()
        except (TypeError, ValueError, NotImplementedError) as exc:
            raise ParseError(f"cannot evaluate {show_short(expr)}: {first_line(exc)}") from None
    return expr
