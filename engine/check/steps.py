"""What a bounded worker does for :mod:`engine.check.run` (steps).

The tasks are module-level functions run in a :class:`engine.sandbox.Pool`
worker under a time and memory bound; each takes and returns plain data
(student expressions stay :class:`~engine.check.compare.Sealed` on the way):

* :func:`task_plan`: decode and segment a submission, build its chains and
  name claims (string work only);
* :func:`engine.check.parsed.task_parse`: one chain element -> :class:`Parsed`;
* :func:`task_chain`: check the neighbouring pairs of one chain, with the
  student's earlier values (error carried forward), and return the values
  it assigns.

The answers are :mod:`engine.check.answers`; the reference
:mod:`engine.check.reference`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath
import sympy as sp

from engine.read import chains as align
from engine.check import names as naming
from engine.model.checking import Alias
from engine.check import compare as cm
from engine.check import rounding
from engine.check.compare import Comparison, Evaluated, ProblemMath, StudentValue, Undecided
from engine.math.numbers import short_decimal
from engine.check.parsed import Parsed, task_parse  # noqa: F401 - task_parse is a task of this stage
from engine.check.reference import SheetRef, math_of, sheet_ref

# --------------------------------------------------------------------------- planning


@dataclass
class ClaimRef:
    """A chain names an answer: chain index, element index of the name,
    strength (3 strongest), entry index for entrywise names, the alias."""

    chain: int
    element: int
    strength: int
    alias: Alias
    index: tuple[int, ...] | None = None


@dataclass
class Plan:
    """A segmented submission: its lines, chains, name claims, warnings,
    the notation active per problem, segments found."""

    lines: list[str]
    chains: list[align.Chain]
    claims: list[ClaimRef]
    warnings: list[str]
    notation: dict[str, dict[str, str]]
    segments: list[Any]
    prose_parts: dict[tuple[str, str], list[int]]


def task_plan(data: bytes, sheet: str, path: str) -> Plan:
    """Decode, segment, build chains and find the answers they name."""
    from engine.read.segments import parse_submission

    sub = parse_submission(data, sheet, path)
    chains = align.build_chains(sub.rows, sub.prose)
    ref = sheet_ref(sheet)
    _assign_unknown_problems(chains, ref)
    claims: list[ClaimRef] = []
    for k, chain in enumerate(chains):
        for m in naming.name_matches(chain, ref.problems):
            claims.append(ClaimRef(k, m.element, m.strength, m.alias, m.index))
    notation = {}
    for pid in ref.problems:
        pm = ref.math[pid]
        used = {align.quantity_key(e.source) for c in chains if c.problem == pid for e in c.elements if e.source}
        text = " ".join(e.source for c in chains if c.problem == pid for e in c.elements)
        active = {}
        for student, target in pm.notation.items():
            target_written = any(target in key for key in used) or re.search(
                r"\\" + re.escape(target.split("_")[0]) + r"\s*_", text)
            if not target_written:
                active[student] = target
        notation[pid] = {**active, **pm.same}
    prose_parts: dict[tuple[str, str], list[int]] = {}
    for p in sub.prose:
        if p.problem and p.part and len(re.findall(r"[A-Za-z]{2,}", p.text)) >= 3:
            prose_parts.setdefault((p.problem, p.part), []).append(p.line)
    for c in chains:
        if c.problem and c.part:
            prose_parts.setdefault((c.problem, c.part), [])
    return Plan(sub.lines, chains, claims, sub.warnings, notation, sub.segments, prose_parts)


def _assign_unknown_problems(chains: list[align.Chain], ref: SheetRef) -> None:
    """Chains before any header: the problem whose aliases their leading
    name matches (only when exactly one problem of the sheet does)."""
    owner = naming.owner_of_aliases()
    for chain in chains:
        if chain.problem is not None or not chain.elements:
            continue
        pids = {owner[m.alias.answer_id] for m in naming.name_matches(chain, ref.problems)}
        if len(pids) == 1:
            chain.problem = pids.pop()


# --------------------------------------------------------------------------- chains


@dataclass
class PairResult:
    """One checked step: the elements (i-1, i), verdict, detail."""

    left: int
    right: int
    verdict: str
    detail: str


@dataclass
class ChainResult:
    """What :func:`task_chain` found: the steps, the values the chain gives
    its names (the student's environment grows by them), and each
    element's value with the student's values (for the answers)."""

    pairs: list[PairResult]
    assign: dict[str, StudentValue]
    values: list[Evaluated | None]
    used: tuple[str, ...] = ()
    consistent: bool = True
    derived: dict = None  # element index -> the student-mode value it was found consistent with


_CHECKED = ("equal", "approx")


def evaluate_parsed(pm: ProblemMath, p: Parsed, mode: str, env: dict, part: str | None = None,
                    small_zero: bool = False, keep_givens: bool = False) -> Evaluated | str:
    """``p`` resolved in ``mode`` (:func:`engine.check.resolve.resolve`), or
    the reason (a string) why it has no value."""
    if not p.ok:
        return p.reason
    if p.expr is None:
        return "nothing to evaluate"
    try:
        value = cm.resolve(pm, p.expr, mode, env, p.literals, part, small_zero, keep_givens)
    except Undecided as exc:
        return str(exc)
    except cm.SYMPY_FAILURES as exc:
        return f"{_quote(p.source)} could not be evaluated: {cm.failure_reason(exc)}"
    own = rounding.propagated(p.source) if isinstance(value.number, mpmath.mpf) and p.source else None
    if own is not None:   # plain arithmetic: the rounding of its own decimals, term by term (issue 10)
        value.error = mpmath.mpf(own.numerator) / own.denominator
    return value


def compare_parsed(pm: ProblemMath, a: Evaluated, b: Evaluated, pa: Parsed, pb: Parsed,
                   relation: str) -> Comparison:
    """:func:`engine.check.compare.compare` of two resolved lines, with the
    numbers as written; an undecided comparison is a Comparison too."""
    try:
        return cm.compare(pm, a, b, pa.written, pb.written, relation)
    except Undecided as exc:
        return Comparison("undecided", str(exc))
    except cm.SYMPY_FAILURES as exc:
        what = f"{_quote(pa.source, 30)} and {_quote(pb.source, 30)}" if pa.source and pb.source else "the two sides"
        return Comparison("undecided", f"{what} could not be compared: {cm.failure_reason(exc)}")


def _defines(pm: ProblemMath, p: Parsed, env: dict) -> bool:
    """The first element names something neither the problem nor the
    student has given a value yet: the step is a definition."""
    if not p.ok:
        return False
    if _defines_function(pm, p.expr, env):
        return True
    if not p.name or not p.key:
        return False
    key = p.key
    return not (key.startswith("@") or key in pm.givens or pm.known(key) and key not in pm.assumptions
                or key in env or key in pm.local)


def _sets_small_to_zero(pm: ProblemMath, left: Parsed, right: Parsed) -> bool:
    """``\\epsilon = 0``: a small quantity of the problem (epsilon, delta)
    set to zero is the leading order of an expansion, not a wrong value."""
    return (isinstance(left.expr, sp.Symbol) and bool(left.key) and left.key in pm.small
            and isinstance(right.expr, sp.Basic) and right.expr == 0)


def _redefines_formula(left: Parsed, right: Parsed, env: dict) -> bool:
    """``w_{t+1} = ...`` again, after an earlier line gave ``w_{t+1}`` a
    formula (the L2 update, then AdamW's): a new context, not a claim that
    the two formulas agree. Numbers stay checked (v_3 = 8.19, then v_3 = 8.2)."""
    if not (isinstance(left.expr, sp.Symbol) and left.key and left.key in env):
        return False
    before = env[left.key].value
    return (isinstance(before, sp.Basic) and bool(before.free_symbols)
            and isinstance(right.expr, sp.Basic) and bool(right.expr.free_symbols))


def _defines_function(pm: ProblemMath, expr: Any, env: dict) -> bool:
    """``H(q, p) = ...``: a function neither the problem nor the student
    has defined, applied to names (its definition starts here)."""
    from sympy.core.function import AppliedUndef

    if not isinstance(expr, AppliedUndef) or not all(isinstance(a, sp.Symbol) for a in expr.args):
        return False
    key = cm.resolve_key(pm, cm.symbol_key(sp.Symbol(type(expr).__name__)))
    return not (pm.known(key) or key in pm.functions or key in env or key in pm.local)


def task_chain(sheet: str, pid: str | None, elements: list[Parsed], relations: list[str],
               text_elements: list[bool], env: dict[str, StudentValue], line: int,
               part: str | None = None) -> ChainResult:
    """Check every neighbouring pair of a chain (see the module docstring of
    :mod:`engine.check.run` for the verdicts) and return what it assigns."""
    pm = math_of(sheet, pid)
    n = len(elements)
    problem = [evaluate_parsed(pm, p, "problem", env, part) if not t else None for p, t in zip(elements, text_elements)]
    student = [evaluate_parsed(pm, p, "student", env, part) if not t else None for p, t in zip(elements, text_elements)]
    pairs: list[PairResult] = []
    consistent = True
    used: set[str] = set()
    derived: dict[int, Evaluated] = {}
    for i in range(1, n):
        relation = relations[i]
        if relation not in _CHECKED or text_elements[i - 1] or text_elements[i]:
            continue
        left, right = elements[i - 1], elements[i]
        if not left.ok or not right.ok:
            bad = left if not left.ok else right
            pairs.append(PairResult(i - 1, i, "unparsed", f"could not read {_quote(bad.source)}: {bad.reason}"))
            consistent = False
            continue
        starts = i == 1 or relations[i - 1] not in _CHECKED
        if starts and _defines(pm, left, env):
            pairs.append(PairResult(i - 1, i, "unchecked", f"defines {_quote(left.source)}"))
            continue
        if starts and _sets_small_to_zero(pm, left, right):
            pairs.append(PairResult(i - 1, i, "unchecked", f"takes {_quote(left.source)} = 0: the leading order"))
            continue
        if starts and _redefines_formula(left, right, env):
            earlier = env[left.key].line
            pairs.append(PairResult(i - 1, i, "unchecked",
                                    f"redefines {_quote(left.source)} (a formula of line {earlier}): a new context"))
            continue
        series = any(isinstance(p.expr, sp.Basic) and p.expr.has(sp.Order) for p in (left, right))
        if relation == "approx" and pm.small and not series:
            p_i = [evaluate_parsed(pm, p, "problem", env, part, True) if not t else None
                   for p, t in zip(elements, text_elements)]
            s_i = [evaluate_parsed(pm, p, "student", env, part, True) if not t else None
                   for p, t in zip(elements, text_elements)]
        elif series:
            # an expansion is compared with its symbols kept (see checkmath.resolve)
            p_i, s_i = list(problem), list(student)
            for k in (i - 1, i):
                p_i[k] = evaluate_parsed(pm, elements[k], "problem", env, part, keep_givens=True)
                s_i[k] = evaluate_parsed(pm, elements[k], "student", env, part, keep_givens=True)
        else:
            p_i, s_i = problem, student
        verdict, detail, step_used = _check_pair(pm, elements, p_i, s_i, i, relation, env)
        if verdict == "consistent" and isinstance(s_i[i - 1], Evaluated):
            derived[i] = s_i[i - 1]
        if verdict == "inconsistent" and starts:
            # a bare value for a quantity the problem defines from others
            # (v_4 = 13.189): it may follow from the student's own values
            carried = _from_local_definition(pm, left, right, s_i[i], env, part)
            if carried is not None:
                verdict, detail, step_used, derived[i] = "consistent", carried[0], carried[1], carried[2]
        used.update(step_used)
        if verdict == "inconsistent":
            consistent = False
            try:
                detail = detail + _step_diagnosis(sheet, pm, elements, p_i, s_i, i, env, part)
            except (Undecided, *cm.SYMPY_FAILURES):
                pass  # the diagnosis is a hint: without it the step is still inconsistent, for the reason given
        pairs.append(PairResult(i - 1, i, verdict, detail))
    assign = _assignments(pm, elements, relations, text_elements, student, line, env)
    for ev in student:
        if isinstance(ev, Evaluated):
            used.update(ev.used)
    values = [ev if isinstance(ev, Evaluated) else None for ev in student]
    return ChainResult(pairs, assign, values, tuple(sorted(used)), consistent, derived)


def _from_local_definition(pm: ProblemMath, left: Parsed, right: Parsed, value: Evaluated | str, env: dict,
                           part: str | None) -> tuple[str, tuple[str, ...], Evaluated] | None:
    """(detail, used, evaluation) when the named quantity's one-step
    definition (v_4 = v_3 + v_{-1}), at the student's own values, gives the
    value written on the right."""
    if not left.key or left.key not in pm.local or not isinstance(value, Evaluated):
        return None
    ev = evaluate_parsed(pm, Parsed("", True, expr=pm.local[left.key]), "student", env, part)
    if not isinstance(ev, Evaluated) or not ev.used:
        return None
    c = compare_parsed(pm, ev, value, Parsed("", True), right, "equal")
    if c.verdict != "equal":
        return None
    names = ", ".join(_env_phrase(env, k) for k in ev.used[:4])
    return f"{c.detail}: it follows from the student's own values ({names})", tuple(ev.used), ev


def _quote(source: str, limit: int = 60) -> str:
    source = " ".join(source.split())
    return source if len(source) <= limit else source[:limit - 3] + "..."


def _check_pair(pm: ProblemMath, elements, problem, student, i: int, relation: str,
                env: dict) -> tuple[str, str, tuple[str, ...]]:
    pa, pb = elements[i - 1], elements[i]
    reasons = []
    a, b = problem[i - 1], problem[i]
    if isinstance(a, Evaluated) and isinstance(b, Evaluated):
        c = compare_parsed(pm, a, b, pa, pb, relation)
        if c.verdict == "equal":
            return "consistent", c.detail, ()
        problem_c = c
    else:
        problem_c = Comparison("undecided", a if isinstance(a, str) else b)
    sa, sb = student[i - 1], student[i]
    if isinstance(sa, Evaluated) and isinstance(sb, Evaluated) and (sa.used or sb.used):
        c = compare_parsed(pm, sa, sb, pa, pb, relation)
        used = tuple(sorted(set(sa.used) | set(sb.used)))
        if c.verdict == "equal":
            names = ", ".join(_env_phrase(env, k) for k in used[:4])
            return "consistent", f"{c.detail}, with the student's own values ({names})", used
        student_c = c
    else:
        student_c = None
    for c in (problem_c, student_c):
        if c is not None and c.verdict == "undecided":
            reasons.append(c.detail)
    if problem_c.verdict == "different" and (student_c is None or student_c.verdict == "different"):
        c = student_c or problem_c
        return "inconsistent", c.detail, ()
    return "unchecked", "could not decide: " + "; ".join(dict.fromkeys(r for r in reasons if r)), ()


def _env_phrase(env: dict, key: str) -> str:
    sv = env.get(key)
    label = cm.symbol_label(sp.Symbol(key))
    if sv is None:
        return label
    value = sv.value
    text = short_decimal(cm.number_of(value), 6) if cm.number_of(value) is not None else str(value)[:30]
    return f"{label} = {text} from line {sv.line}" if sv.line else f"{label} = {text}"


def _step_diagnosis(sheet: str, pm: ProblemMath, elements, problem, student, i: int, env: dict,
                    part: str | None = None) -> str:
    """Why an inconsistent step is wrong, when a step-level error model
    reproduces it: log base 10, swapped givens, a model's value, a sign."""
    pa, pb = elements[i - 1], elements[i]
    for mode, values in (("student", student), ("problem", problem)):
        a, b = values[i - 1], values[i]
        if not (isinstance(a, Evaluated) and isinstance(b, Evaluated)):
            continue
        for p_side, ev_other, p_other, flip in ((pa, b, pb, False), (pb, a, pa, True)):
            if isinstance(p_side.expr, sp.Basic) and p_side.expr.has(sp.log):
                alt_parsed = Parsed(p_side.source, True, expr=cm.with_log10(p_side.expr), literals=p_side.literals)
                alt = evaluate_parsed(pm, alt_parsed, mode, env, part)
                if isinstance(alt, Evaluated):
                    pair = (ev_other, alt, p_other, alt_parsed) if flip else (alt, ev_other, alt_parsed, p_other)
                    if compare_parsed(pm, *pair, "equal").verdict == "equal":
                        return "; it holds with log base 10 (log base 10 instead of the natural log)"
        model = _model_value_match(sheet, pm, pa, pb, b, part)
        if model:
            return f"; the value matches {model}"
        swapped = _swapped_givens(pm, pa, pb, b, env, mode)
        if swapped:
            return swapped
        for p_side, ev_other, p_other, flip in ((pa, b, pb, False), (pb, a, pa, True)):
            if not isinstance(p_side.expr, sp.Basic):
                continue
            for flipped in cm.sign_flips(p_side.expr):
                alt_parsed = Parsed(p_side.source, True, expr=flipped, literals=p_side.literals)
                alt = evaluate_parsed(pm, alt_parsed, mode, env, part)
                if not isinstance(alt, Evaluated) or alt.number is None or ev_other.number is None:
                    continue
                pair = (ev_other, alt, p_other, alt_parsed) if flip else (alt, ev_other, alt_parsed, p_other)
                if compare_parsed(pm, *pair, "equal").verdict == "equal":
                    return "; it holds with the sign of one term flipped (a sign error)"
    return ""


def _model_value_match(sheet: str, pm: ProblemMath, pa: Parsed, pb: Parsed, b: Evaluated,
                       part: str | None = None) -> str:
    """When the left element names an answer, the error model whose value
    the right one is (a number at its precision, or a formula)."""
    if not pa.key.startswith("@") or not pm.pid:
        return ""
    if b.number is None:
        return _model_formula_match(sheet, pm, pa, b, part)
    answer_id = pa.key[1:].split("[")[0]
    ids = {answer_id} | {k for k, v in naming.same_quantity().items() if v == answer_id}
    for variant in sheet_ref(sheet).variants.get(pm.pid, []):
        if len(variant.models) > 1:
            continue
        for aid in ids:
            if aid in variant.values:
                value = cm.number_of(variant.values[aid])
                if value is None:
                    continue
                mine = Evaluated(variant.values[aid], value)
                if compare_parsed(pm, mine, b, Parsed("", True), pb, "equal").verdict == "equal":
                    return variant.label
    return ""


def _model_formula_match(sheet: str, pm: ProblemMath, pa: Parsed, b: Evaluated, part: str | None) -> str:
    answer_id = pa.key[1:].split("[")[0]
    for variant in sheet_ref(sheet).variants.get(pm.pid, []):
        if len(variant.models) > 1 or answer_id not in variant.values:
            continue
        try:
            ev = cm.resolve(pm, variant.values[answer_id], "problem", None, None, part)
            if ev.number is None and cm.compare(pm, ev, b).verdict == "equal":
                return variant.label
        except (Undecided, *cm.SYMPY_FAILURES):
            continue  # a model that cannot be compared explains nothing
    return ""


def _swapped_givens(pm: ProblemMath, pa: Parsed, pb: Parsed, b: Evaluated, env: dict, mode: str) -> str:
    """A given written with another given's value (c = 3 where x = 3)."""
    if not pa.key or pa.key not in pm.givens or b.number is None:
        return ""
    for other, value in pm.givens.items():
        if other == pa.key or not isinstance(value, sp.Basic) or value.free_symbols:
            continue
        n = cm.number_of(value)
        if n is not None and pb.written is not None and cm.rounds_to(n, pb.written):
            return f"; {cm.symbol_label(sp.Symbol(pa.key))} was given the value of {other} (inputs swapped)"
    return ""


def _assignments(pm: ProblemMath, elements, relations, text_elements, student, line: int,
                 env: dict) -> dict[str, StudentValue]:
    """The names a chain gives a value: its leading names take the value of
    its last element joined by = or \\approx (exact when it is a literal)."""
    last = None
    for k in range(len(elements) - 1, 0, -1):
        if relations[k] in _CHECKED and not text_elements[k] and elements[k].ok:
            last = k
            break
    if last is None:
        return {}
    ev = student[last]
    if not isinstance(ev, Evaluated):
        return {}
    p = elements[last]
    if p.written is not None:
        value = sp.Rational(p.written.value.numerator, p.written.value.denominator)
        half = p.written.half_unit
    elif ev.number is not None and isinstance(ev.expr, sp.Basic):
        value = ev.expr
        half = _fraction(ev.error)
    else:
        if isinstance(p.expr, sp.Basic) and p.expr.has(sp.Order):
            return {}  # an expansion is not the quantity's value
        # a formula keeps the givens as symbols, so later steps can expand it
        ev = evaluate_parsed(pm, p, "student", env, None, keep_givens=True)
        if not isinstance(ev, Evaluated) or ev.unknown:
            return {}
        value, half = ev.expr, Fraction(0)
    out = {}
    for k in range(0, last):
        p = elements[k]
        if k > 0 and relations[k] not in ("equal", ""):
            break
        if text_elements[k] or not p.ok or not p.name or not p.key:
            if k == 0 and text_elements[k]:
                continue
            break
        if isinstance(p.expr, sp.Symbol) and not (isinstance(value, sp.Basic) and value.has(p.expr)):
            out[p.key] = StudentValue(value, half, line)  # (never x := f(x))
    return out


def _fraction(value: Any) -> Fraction:
    try:
        return Fraction(mpmath.nstr(value, 12, min_fixed=-30, max_fixed=30)) if value else Fraction(0)
    except (ValueError, TypeError):
        return Fraction(0)
