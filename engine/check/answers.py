"""What a bounded worker does for :mod:`engine.check.run` (answers).

:func:`task_answer` gives the verdict of one claimed answer and, when it is
wrong, the diagnosis: the error model (or pair) of :mod:`engine.check.diagnose`
that reproduces the value at the precision written, within the rounding of
the student's intermediate values if need be. :func:`task_by_value` finds
answers written without a name by their value. Both run in a worker.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath
import sympy as sp

from engine.check import compare as cm
from engine.check import diagnose, float32, rounding
from engine.check.compare import Comparison, Evaluated, ProblemMath, Undecided
from engine.math.written import WrittenNumber, exact_number, mpf_of
from engine.check.reference import AnswerRef, SheetRef, sheet_ref
from engine.check.steps import Parsed, compare_parsed, evaluate_parsed
from engine.errors import UsageError

# --------------------------------------------------------------------------- answers


#: Largest relative difference a value computed from right, rounded values
#: may have from the exact one and still be right.
ROUNDING_DRIFT = mpmath.mpf("0.01")


@dataclass
class ClaimInfo:
    """What :func:`task_answer` needs about one claimed answer.

    parsed: the claimed element; value: its value with the student's
    earlier values; previous: the student's value of the element before it
    when that step was consistent; transform: an alias transform; used: the
    student keys the chain used, used_verdicts: the verdicts of the answers
    among them; digits: the fewest significant digits of the student's
    decimals in this problem; index: an entry of a vector or matrix."""

    answer_id: str
    parsed: Parsed
    value: Evaluated | None
    previous: Evaluated | None
    transform: str | None
    chain_consistent: bool
    used: tuple[str, ...]
    digits: int | None
    used_verdicts: dict
    part: str | None
    index: tuple[int, ...] | None = None
    previous_source: str = ""  # the element before the claim, as written


def _expected_value(ref: SheetRef, answer_id: str, index: tuple[int, ...] | None) -> Any:
    a = ref.answers[answer_id]
    value = a.value
    if isinstance(value, sp.Eq):
        value = value.rhs
    if index is not None:
        return cm.matrix_entry(value, index)
    return value


def _claim_value(pm: ProblemMath, info: ClaimInfo) -> tuple[Evaluated | str, WrittenNumber | None]:
    p = info.parsed
    if info.transform == "square_size" and p.size is not None:
        return Evaluated(p.size, cm.number_of(p.size)), exact_number(Fraction(int(p.size)), str(p.size))
    if info.transform == "minus_w1":
        w1 = pm.canon(cm.resolve_key(pm, "w_1"))
        return evaluate_parsed(pm, Parsed(p.source, True, expr=p.expr - w1, literals=p.literals), "problem", {}), None
    if info.value is not None:
        return info.value, p.written
    return evaluate_parsed(pm, p, "problem", {}), p.written


def task_answer(sheet: str, info: ClaimInfo) -> tuple[str, str | None]:
    """(verdict, diagnosis) of one claimed answer (see :mod:`engine.check.run`)."""
    ref = sheet_ref(sheet)
    a = ref.answers[info.answer_id]
    pm = ref.math[a.problem]
    expected = _expected_value(ref, info.answer_id, info.index)
    if expected is None:
        return "unparsed", "the entry named does not exist in the answer"
    if isinstance(expected, sp.Basic) and expected.has(sp.Order):
        c = _symbolic_answer(pm, expected, info)  # an expansion: compared as one
        if c.verdict == "equal":
            return "correct", None
        if c.verdict == "undecided":
            return "unparsed", f"could not decide: {c.detail}"
        return "incorrect", f"the expansion differs: {c.detail}"
    claim, written = _claim_value(pm, info)
    if isinstance(claim, str):
        return "unparsed", f"could not evaluate the answer: {claim}"
    exp = evaluate_parsed(pm, Parsed("", True, expr=expected), "problem", {})
    if isinstance(exp, str):
        return "unparsed", f"could not evaluate the expected value: {exp}"
    # a formula is compared as a formula even when the givens make it a number
    closed = (exp.number is not None or isinstance(exp.expr, sp.MatrixBase) and exp.number is not None) \
        and a.kind in ("number", "matrix")
    if closed:
        c = compare_parsed(pm, exp, claim, Parsed("", True), Parsed(info.parsed.source, True, written=written), "equal")
    else:
        c = _symbolic_answer(pm, expected, info)
    if c.verdict == "equal":
        return "correct", None
    if closed and info.used and not info.parsed.closed and info.value is not None:
        # a formula in names (dL/dV = dL/dy W) is judged as a formula: the student's own
        # values of those names are judged where the student wrote them
        own = evaluate_parsed(pm, info.parsed, "problem", {}, part=info.part)
        if not isinstance(own, str) and compare_parsed(pm, exp, own, Parsed("", True), info.parsed,
                                                       "equal").verdict == "equal":
            names = ", ".join(sorted(k.lstrip("@") for k in info.used))
            return "correct", f"right as a formula in {names}; the student's own values of them are judged where written"
    if closed and written is not None and not isinstance(exp.number, list) and float32.matches(written.text, exp.number):
        return "correct", "right to float32 precision (a float32 printout)"
    second = _second_opinion(a, info)
    if second is not None and second[0] == "equal":
        return "correct", f"equal by the equivalence checker: {second[1]}"
    if c.verdict == "undecided":
        # a new symbol the student uses but neither the problem nor the solution defines (a
        # delta_1 defined later on the line) leaves it undecided: the equivalence checker would
        # draw it at random and call the answer different. A known name in the wrong case
        # (G_1 for g_1) is a different symbol: that stays incorrect.
        new_names = [u for u in claim.unknown if not (pm.known(u.lower()) or pm.known(u.swapcase()))]
        if second is not None and second[0] == "different" and not closed and not new_names:
            return "incorrect", _diagnose(ref, pm, a, info, claim, written, closed) or second[1]
        return "unparsed", f"could not decide: {c.detail}"
    if closed and _within_rounding(exp, info, written):
        return "correct", "differs from the exact value only by the rounding of the intermediate values"
    return "incorrect", _diagnose(ref, pm, a, info, claim, written, closed)


def _second_opinion(a: AnswerRef, info: ClaimInfo) -> tuple[str, str] | None:
    """A second reading of the claim as written: :func:`engine.check.equiv.compare`
    reads the LaTeX of the expected answer and of the claim under the
    problem's :class:`~engine.check.context.ProblemContext` (its definitions
    and sampling ranges) and hands them to the same comparison engine
    (:mod:`engine.check.compare`). Only when the claim is the answer itself
    (no transform, no names of the student's own)."""
    if info.transform or info.index is not None or not a.exact_latex or info.used or a.kind in ("number", "matrix"):
        return None  # numbers are compared here at the digits written; formulas get a second opinion
    from engine.check import equiv
    from engine.check.context import context_for

    try:
        context_for(a.problem)
        problem = a.problem
    except UsageError:
        problem = None
    try:
        return equiv.compare(a.exact_latex, info.parsed.source, problem, 3.0)
    except cm.SYMPY_FAILURES as exc:
        return "undecided", f"the equivalence checker could not compare it: {cm.failure_reason(exc)}"


def _symbolic_answer(pm: ProblemMath, expected: Any, info: ClaimInfo) -> Comparison:
    """A formula compared as a formula (the problem's symbolic definitions
    substituted, the given numbers not), then at the given values."""
    p = info.parsed
    expr = p.expr
    if info.transform == "minus_w1":
        expr = expr - pm.canon(cm.resolve_key(pm, "w_1"))
    try:
        ea = cm.resolve(pm, expected, "symbolic", {}, None, info.part)
        eb = cm.resolve(pm, expr, "symbolic", {}, p.literals, info.part)
        c = cm.compare(pm, ea, eb)
        if c.verdict != "undecided":
            return c
    except Undecided as exc:
        c = Comparison("undecided", str(exc))
    except cm.SYMPY_FAILURES as exc:
        c = Comparison("undecided", f"the formula could not be compared with the expected one: {cm.failure_reason(exc)}")
    try:
        ea = cm.resolve(pm, expected, "problem", {}, None, info.part)
        eb = cm.resolve(pm, expr, "problem", {}, p.literals, info.part)
        return cm.compare(pm, ea, eb)
    except Undecided as exc:
        return Comparison("undecided", str(exc))
    except cm.SYMPY_FAILURES as exc:
        return Comparison("undecided", "the formula could not be compared with the expected one at the given values: "
                          f"{cm.failure_reason(exc)}")


def _within_rounding(exp: Evaluated, info: ClaimInfo, written: WrittenNumber | None) -> bool:
    """The student's derivation of this value is consistent and used only
    right values: a difference within their rounding is no error."""
    prev = info.previous
    if prev is None or not isinstance(prev.number, mpmath.mpf) or not info.chain_consistent:
        return False
    if any(v != "correct" for v in info.used_verdicts.values()):
        return False
    half = mpf_of(written.half_unit) if written is not None else 0
    own = rounding.propagated(info.previous_source)   # plain arithmetic: the rounding of its own decimals
    error = prev.error if own is None else mpf_of(own)
    if error and abs(exp.number - prev.number) <= error + half:
        return True
    # computed consistently from values that were themselves right (rounded):
    # the drift is theirs, as long as it stays small (1 %)
    return bool(info.used_verdicts) and abs(exp.number - prev.number) <= ROUNDING_DRIFT * abs(exp.number)


def _diagnose(ref: SheetRef, pm: ProblemMath, a: AnswerRef, info: ClaimInfo, claim: Evaluated,
              written: WrittenNumber | None, closed: bool) -> str | None:
    """The error model (or pair) that reproduces the student's value."""
    variants = ref.variants.get(a.problem, [])
    hits = diagnose.candidates(variants, a.id)
    loose = []
    for variant, value in hits:
        if info.index is not None:
            value = cm.matrix_entry(value, info.index)
            if value is None:
                continue
        ev = evaluate_parsed(pm, Parsed("", True, expr=value), "problem", {}, info.part)
        if isinstance(ev, str):
            continue
        if closed:
            c = compare_parsed(pm, ev, claim, Parsed("", True), Parsed("", True, written=written), "equal")
        else:
            try:
                eb = cm.resolve(pm, info.parsed.expr, "problem", {}, info.parsed.literals, info.part)
                c = cm.compare(pm, ev, eb)
            except (Undecided, *cm.SYMPY_FAILURES):
                continue  # a model that cannot be compared explains nothing
        if c.verdict == "equal":
            return variant.label
        if closed and info.digits and isinstance(ev.number, mpmath.mpf) and isinstance(claim.number, mpmath.mpf):
            tolerance = mpmath.mpf(10) ** (1 - info.digits) * abs(ev.number)
            if abs(ev.number - claim.number) <= tolerance:
                loose.append(variant)
    if loose:
        return f"{loose[0].label}, with the intermediate values rounded to {info.digits} digits ({diagnose.ROUNDING_LABEL})"
    return None


def task_by_value(sheet: str, pid: str, missing: list[str], candidates: list[tuple]) -> dict[str, tuple[int, int]]:
    """Missing answers matched by value to unnamed chains (same part first)."""
    ref = sheet_ref(sheet)
    pm = ref.math[pid]
    found: dict[str, tuple[int, int]] = {}
    taken: set[int] = set()
    for answer_id in missing:
        a = ref.answers[answer_id]
        exp = evaluate_parsed(pm, Parsed("", True, expr=a.value), "problem", {})
        if isinstance(exp, str) or exp.number is None:
            continue
        if not isinstance(exp.number, list) and exp.number == int(exp.number) and abs(exp.number) < 10:
            continue  # 0, 1, 2 are everywhere on a page: not a distinctive value
        ordered = sorted(candidates, key=lambda c: (c[2] != a.part, -c[0]))
        for k, element, part, parsed, value in ordered:
            if k in taken or value.number is None and not isinstance(value.expr, sp.MatrixBase):
                continue
            if parsed.written is not None and (parsed.written.value == 0 or
                                               parsed.written.half_unit * 20 > abs(parsed.written.value)):
                continue  # too few digits to recognise a value (0, 3, 0.1)
            c = compare_parsed(pm, exp, value, Parsed("", True), parsed, "equal")
            if c.verdict == "equal":
                found[answer_id] = (k, element)
                taken.add(k)
                break
    return found
