"""What a bounded worker does for :mod:`engine.check`, and the reference it uses.

The *reference* of a sheet (:class:`SheetRef`) is built from the catalog in
the parent process before any worker starts (so workers inherit it when
they fork): every problem solved at its defaults, its answers, givens and
definitions in canonical keys (:class:`engine.checkmath.ProblemMath`), and
the error-model variants of :mod:`engine.diagnose`.

The *tasks* are module-level functions run in a :class:`engine.sandbox.Pool`
worker under a time and memory bound; each takes and returns plain data:

* :func:`task_plan`: decode and segment a submission, build its chains and
  name claims (string work only);
* :func:`task_parse`: one chain element -> :class:`Parsed`;
* :func:`task_chain`: check the neighbouring pairs of one chain, with the
  student's earlier values (error carried forward), and return the values
  it assigns;
* :func:`task_answer`: the verdict and diagnosis of one answer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import mpmath
import sympy as sp

from engine import align, checkmath as cm, diagnose
from engine.checkmath import Comparison, Evaluated, ProblemMath, StudentValue, Undecided, Written

# --------------------------------------------------------------------------- per-problem conventions

#: Conventions of a problem that a student's text needs (data): small
#: quantities dropped by ``\\approx``, letters with superscript indices,
#: names applied as functions, and notation that means a problem symbol
#: when the student never writes that symbol (beta for beta_1).
CONVENTIONS: dict[str, dict[str, Any]] = {
    "autodiff": {},
    "adam": {"small": ("epsilon", "delta"), "index_letters": ("g", "m", "v", "w"),
             "notation": {"beta": "beta_1", "gamma": "beta_2", "eta": "alpha", "varepsilon": "epsilon"}},
    "vgg16": {},
    "cnn": {},
    "softmax": {"functions": ("softmax",)},
    "autograd": {},
    "delta_rule": {"functions": ("sigma",), "notation": {"E": "TSS"}},
}

_ASSUMPTIONS = ("positive", "nonnegative", "real", "nonzero", "integer", "negative")


def _local_definitions(problem_id: str, pm: ProblemMath) -> dict[str, Any]:
    """One-step definitions used for local partials: the primal trace of
    autodiff (Baydin et al. 2018, Table 2) in canonical keys."""
    if problem_id != "autodiff":
        return {}
    from derivations import autodiff as ad

    out = {}
    for i in ad.INDICES:
        key = cm.resolve_key(pm, cm.symbol_key(ad.V[i]))
        out[key] = cm.canonicalize(pm, ad.PRIMAL_TRACE[i])
    return out


@dataclass
class AnswerRef:
    """One answer of the sheet: id, problem, part, value (canonical), the
    LaTeX shown as expected, its label and text, and its kind."""

    id: str
    problem: str
    part: str
    value: Any
    latex: str
    label: str
    text: str | None
    kind: str  # "number" | "matrix" | "symbolic" | "equation" | "text"


@dataclass
class SheetRef:
    """The reference of one sheet (see the module docstring)."""

    sheet: str
    problems: tuple[str, ...]
    math: dict[str, ProblemMath]
    answers: dict[str, AnswerRef]
    variants: dict[str, list[diagnose.Variant]]


_SHEETS: dict[str, SheetRef] = {}


def _kind(answer) -> str:
    value = answer.value
    if value is None:
        return "text"
    if isinstance(value, sp.Eq):
        return "equation"
    if isinstance(value, (list, tuple, sp.MatrixBase)):
        return "matrix"
    if isinstance(value, sp.Basic) and not value.free_symbols and not value.has(sp.Order):
        return "number"
    return "symbolic"


def _collect_assumptions(exprs: list[Any]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for e in exprs:
        items = list(e) if isinstance(e, (list, tuple, sp.MatrixBase)) else [e]
        for item in items:
            if not isinstance(item, sp.Basic):
                continue
            for s in item.free_symbols:
                if isinstance(s, sp.Symbol):
                    facts = {k: v for k, v in s.assumptions0.items() if k in _ASSUMPTIONS and v}
                    if facts:
                        out.setdefault(cm.symbol_key(s), facts)
    return out


def problem_math(problem: Any, solution: Any) -> ProblemMath:
    """The :class:`ProblemMath` of a solved problem (trusted objects only)."""
    conv = CONVENTIONS.get(problem.id, {})
    pm = ProblemMath(problem.id, small=tuple(conv.get("small", ())), notation=dict(conv.get("notation", {})),
                     index_letters=frozenset(conv.get("index_letters", ())),
                     functions=frozenset(conv.get("functions", ())))
    for param in problem.parameters:
        value = solution.params[param.name]
        if isinstance(value, list):
            try:
                value = sp.ImmutableMatrix(value)
            except (ValueError, TypeError):
                continue  # a layer list, not a matrix: not a symbol's value
        for name in {param.name, param.latex}:
            if name:
                key = align.quantity_key(name)
                if key and align.NAME_KEY.fullmatch(key):
                    pm.givens[key] = value
    raw_values = [a.value for a in solution.answers.values()]
    defs = [(k, v) for part in solution.parts for k, v in part.definitions.items()]
    pm.assumptions = _collect_assumptions(raw_values + [v for _, v in defs] + [k for k, _ in defs])
    for key in list(pm.assumptions):
        if key in pm.givens:
            pm.assumptions.pop(key)
    # answers first (raw), so that resolve_key knows which ids exist
    for answer_id, answer in solution.answers.items():
        pm.expected[answer_id] = answer.value
    for answer_id, answer in solution.answers.items():
        value = answer.value
        if value is None:
            continue
        if isinstance(value, sp.Eq):
            lhs_key = cm.resolve_key(pm, cm.symbol_key(value.lhs)) if isinstance(value.lhs, sp.Symbol) else None
            if lhs_key:
                pm.definitions.setdefault(lhs_key, cm.canonicalize(pm, value.rhs))
            pm.expected[answer_id] = sp.Eq(cm.canonicalize(pm, value.lhs), cm.canonicalize(pm, value.rhs),
                                           evaluate=False)
            continue
        pm.expected[answer_id] = cm.canonicalize(pm, value)
    seen: dict[str, list] = {}
    for part in solution.parts:
        scoped = pm.part_definitions.setdefault(part.label, {})
        for sym, value in part.definitions.items():
            if not isinstance(sym, (sp.Symbol, sp.Indexed)) or value is None:
                continue
            key = cm.resolve_key(pm, cm.symbol_key(sym), None, part.label)
            if key.startswith("@") or key in pm.givens or align.match_name(key, problem.id, None):
                continue  # an answer's name: the answer, not a step of its derivation, defines it
            try:
                canon = cm.canonicalize(pm, value, None, part.label)
            except (TypeError, ValueError):
                continue
            if isinstance(canon, sp.Basic) and canon.has(sp.Derivative, sp.Piecewise):
                continue
            if isinstance(canon, sp.Basic) and pm.canon(key) in canon.free_symbols:
                continue  # R + ..., a placeholder sum: not a usable definition
            scoped[key] = canon
            seen.setdefault(key, []).append(canon)
    for key, values in seen.items():
        # a key the parts define alike is global; defined differently, it is
        # only what each part says (m_t of part (e) includes the decay term)
        if key not in pm.definitions and all(v == values[0] for v in values):
            pm.definitions[key] = values[0]
    pm.local = _local_definitions(problem.id, pm)
    for sym, interval in solution.domain.items():
        pm.domain[cm.symbol_key(sym)] = (float(interval[0]), float(interval[1]))
    return pm


def build_sheet(sheet: str) -> SheetRef:
    """Solve the sheet's problems and build its reference (cached)."""
    from engine import catalog
    from engine.submission import SHEETS

    if sheet in _SHEETS:
        return _SHEETS[sheet]
    math_: dict[str, ProblemMath] = {}
    answers: dict[str, AnswerRef] = {}
    variants: dict[str, list[diagnose.Variant]] = {}
    for pid in SHEETS[sheet]:
        problem = catalog.get(pid)
        sol = problem.solve()
        pm = problem_math(problem, sol)
        math_[pid] = pm
        part_of = {b.id: part.label for part in sol.parts for b in part.blocks if getattr(b, "kind", "") == "answer"}
        for answer_id in problem.answer_ids:
            a = sol.answers[answer_id]
            answers[answer_id] = AnswerRef(answer_id, pid, part_of.get(answer_id, ""), pm.expected.get(answer_id),
                                           a.latex, a.label, a.text, _kind(a))
        vs = []
        for v in diagnose.variants(problem, sol):
            canon = {}
            for k, val in v.values.items():
                try:
                    canon[k] = cm.canonicalize(pm, val)
                except (TypeError, ValueError):
                    continue
            vs.append(diagnose.Variant(v.models, v.labels, canon))
        variants[pid] = vs
    ref = SheetRef(sheet, SHEETS[sheet], math_, answers, variants)
    _SHEETS[sheet] = ref
    return ref


def sheet_ref(sheet: str) -> SheetRef:
    return _SHEETS[sheet] if sheet in _SHEETS else build_sheet(sheet)


def empty_math() -> ProblemMath:
    return ProblemMath("")


def math_of(sheet: str, pid: str | None) -> ProblemMath:
    ref = sheet_ref(sheet)
    return ref.math.get(pid) if pid in ref.math else empty_math()


# --------------------------------------------------------------------------- planning


@dataclass
class ClaimRef:
    """A chain names an answer: chain index, element index of the name,
    strength (3 strongest), entry index for entrywise names, the alias."""

    chain: int
    element: int
    strength: int
    alias: align.Alias
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
    from engine.submission import parse_submission

    sub = parse_submission(data, sheet, path)
    chains = align.build_chains(sub.rows, sub.prose)
    ref = sheet_ref(sheet)
    _assign_unknown_problems(chains, ref)
    claims: list[ClaimRef] = []
    for k, chain in enumerate(chains):
        for m in align.name_matches(chain):
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
        notation[pid] = active
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
    for chain in chains:
        if chain.problem is not None or not chain.elements:
            continue
        first = chain.elements[0]
        if not first.source or not align.is_name(first.source):
            continue
        key = align.quantity_key(first.source)
        hits = {alias.answer_id.split(".")[0] for alias, _ in align.match_name(key, None, None)}
        pids = {pid for pid in ref.problems
                if any(a.answer_id.split(".")[0] in hits for a in align.ALIASES.get(pid, ()))}
        if len(pids) == 1:
            chain.problem = pids.pop()


# --------------------------------------------------------------------------- parsing


@dataclass
class Parsed:
    """One chain element read: ok, or the reason it could not be read.

    expr: canonical sympy; written: the number when the element is one
    literal; literals: Rational atoms of decimal numbers -> half unit;
    key: the canonical key when the element names a quantity; digits: the
    fewest significant digits of its decimal numbers (None: none);
    size: for ``224 \\times 224``, the side (a size written as a square)."""

    source: str
    ok: bool
    reason: str = ""
    expr: Any = None
    written: Written | None = None
    literals: dict = field(default_factory=dict)
    key: str = ""
    name: bool = False
    digits: int | None = None
    size: Any = None


def task_parse(source: str, sheet: str, pid: str | None, notation: dict[str, str], part: str | None = None) -> Parsed:
    """Read one element (see :class:`Parsed`); never raises for bad text."""
    from engine import parse

    pm = math_of(sheet, pid)
    is_name = align.is_name(source)
    try:
        expr = parse.parse_latex(source, superscript_index_symbols=pm.index_letters, functions=pm.functions)
    except parse.ParseError as exc:
        if is_name:
            key = align.quantity_key(source)
            key = cm.resolve_key(pm, key, notation, part)
            return Parsed(source, True, expr=pm.canon(key), key=key, name=True)
        return Parsed(source, False, reason=str(exc))
    except (RecursionError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            NotImplementedError, ZeroDivisionError) as exc:
        return Parsed(source, False, reason=f"could not be read ({type(exc).__name__})")
    if isinstance(expr, sp.Eq):
        return Parsed(source, False, reason="an equation inside a chain member")
    if isinstance(expr, sp.Basic) and len(sp.srepr(expr)) > cm.MAX_EXPR_SIZE:
        return Parsed(source, False, reason="the expression is too large")
    canon = cm.canonicalize(pm, expr, notation, part)
    key = ""
    if isinstance(canon, sp.Symbol):
        key = canon.name
    elif is_name:
        alias_key = cm.resolve_key(pm, align.quantity_key(source), notation, part)
        if alias_key.startswith("@"):
            key = alias_key
            canon = pm.canon(alias_key)
    written = None
    literal = parse.number_literal(source)
    if literal is not None:
        written = Written(Fraction(literal.value), Fraction(literal.half_unit), literal.text)
    literals, digits = {}, None
    for w in parse.written_precision(source):
        if w.exponent < 0 or w.significant > 1:
            digits = w.significant if digits is None else min(digits, w.significant)
        if w.exponent < 0:
            literals[sp.Rational(w.value.numerator, w.value.denominator)] = Fraction(w.half_unit)
    size = None
    m = re.fullmatch(r"\s*(\d+)\s*(?:\\times|x|×|\*|\\cdot)\s*(\d+)\s*", source)
    if m and m.group(1) == m.group(2):
        size = sp.Integer(int(m.group(1)))
    return Parsed(source, True, expr=canon, written=written, literals=literals, key=key,
                  name=is_name or isinstance(canon, sp.Symbol), digits=digits, size=size)


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


_CHECKED = ("equal", "approx")


def _evaluate(pm: ProblemMath, p: Parsed, mode: str, env: dict, part: str | None = None,
              small_zero: bool = False) -> Evaluated | str:
    if not p.ok:
        return p.reason
    if p.expr is None:
        return "nothing to evaluate"
    try:
        return cm.resolve(pm, p.expr, mode, env, p.literals, part, small_zero)
    except Undecided as exc:
        return str(exc)
    except (TypeError, ValueError, NotImplementedError, ZeroDivisionError, AttributeError) as exc:
        return f"could not be evaluated ({type(exc).__name__})"


def _compare(pm: ProblemMath, a: Evaluated, b: Evaluated, pa: Parsed, pb: Parsed, relation: str) -> Comparison:
    try:
        return cm.compare(pm, a, b, pa.written, pb.written, relation)
    except Undecided as exc:
        return Comparison("undecided", str(exc))
    except (TypeError, ValueError, NotImplementedError, ZeroDivisionError, AttributeError,
            sp.PolynomialError) as exc:
        return Comparison("undecided", f"the comparison failed ({type(exc).__name__})")


def _defines(pm: ProblemMath, p: Parsed, env: dict) -> bool:
    """The first element names something neither the problem nor the
    student has given a value yet: the step is a definition."""
    if not p.ok or not p.name or not p.key:
        return False
    key = p.key
    return not (key.startswith("@") or key in pm.givens or pm.known(key) and key not in pm.assumptions
                or key in env or key in pm.local)


def task_chain(sheet: str, pid: str | None, elements: list[Parsed], relations: list[str],
               text_elements: list[bool], env: dict[str, StudentValue], line: int,
               part: str | None = None) -> ChainResult:
    """Check every neighbouring pair of a chain (see the module docstring of
    :mod:`engine.check` for the verdicts) and return what it assigns."""
    pm = math_of(sheet, pid)
    n = len(elements)
    problem = [_evaluate(pm, p, "problem", env, part) if not t else None for p, t in zip(elements, text_elements)]
    student = [_evaluate(pm, p, "student", env, part) if not t else None for p, t in zip(elements, text_elements)]
    pairs: list[PairResult] = []
    consistent = True
    used: set[str] = set()
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
        if relation == "approx" and pm.small:
            p_i = [_evaluate(pm, p, "problem", env, part, True) if not t else None
                   for p, t in zip(elements, text_elements)]
            s_i = [_evaluate(pm, p, "student", env, part, True) if not t else None
                   for p, t in zip(elements, text_elements)]
        else:
            p_i, s_i = problem, student
        verdict, detail, step_used = _check_pair(pm, elements, p_i, s_i, i, relation, env)
        used.update(step_used)
        if verdict == "inconsistent":
            consistent = False
            detail = detail + _step_diagnosis(sheet, pm, elements, p_i, s_i, i, env, part)
        pairs.append(PairResult(i - 1, i, verdict, detail))
    assign = _assignments(pm, elements, relations, text_elements, student, line, env)
    for ev in student:
        if isinstance(ev, Evaluated):
            used.update(ev.used)
    values = [ev if isinstance(ev, Evaluated) else None for ev in student]
    return ChainResult(pairs, assign, values, tuple(sorted(used)), consistent)


def _quote(source: str, limit: int = 60) -> str:
    source = " ".join(source.split())
    return source if len(source) <= limit else source[:limit - 3] + "..."


def _check_pair(pm: ProblemMath, elements, problem, student, i: int, relation: str,
                env: dict) -> tuple[str, str, tuple[str, ...]]:
    pa, pb = elements[i - 1], elements[i]
    reasons = []
    a, b = problem[i - 1], problem[i]
    if isinstance(a, Evaluated) and isinstance(b, Evaluated):
        c = _compare(pm, a, b, pa, pb, relation)
        if c.verdict == "equal":
            return "consistent", c.detail, ()
        problem_c = c
    else:
        problem_c = Comparison("undecided", a if isinstance(a, str) else b)
    sa, sb = student[i - 1], student[i]
    if isinstance(sa, Evaluated) and isinstance(sb, Evaluated) and (sa.used or sb.used):
        c = _compare(pm, sa, sb, pa, pb, relation)
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
    text = cm.fmt(cm._number(value), 6) if cm._number(value) is not None else str(value)[:30]
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
                alt = _evaluate(pm, alt_parsed, mode, env, part)
                if isinstance(alt, Evaluated):
                    pair = (ev_other, alt, p_other, alt_parsed) if flip else (alt, ev_other, alt_parsed, p_other)
                    if _compare(pm, *pair, "equal").verdict == "equal":
                        return "; it holds with log base 10 (log base 10 instead of the natural log)"
        model = _model_value_match(sheet, pm, pa, pb, b)
        if model:
            return f"; the value matches {model}"
        swapped = _swapped_givens(pm, pa, pb, b, env, mode)
        if swapped:
            return swapped
        if isinstance(a.expr, sp.Basic) and isinstance(b.expr, sp.Basic):
            for flipped in cm.sign_flips(a.expr)[1:] + cm.sign_flips(b.expr)[:1] + cm.sign_flips(b.expr)[1:]:
                fe = cm.resolve(pm, flipped, "problem") if flipped.free_symbols else Evaluated(flipped, cm._number(flipped))
                target = b if flipped in cm.sign_flips(a.expr) else a
                if fe.number is None or target.number is None:
                    continue
                if _compare(pm, fe, target, Parsed("", True), pb if target is b else pa, "equal").verdict == "equal":
                    return "; it holds with the sign of one term flipped (a sign error)"
    return ""


def _model_value_match(sheet: str, pm: ProblemMath, pa: Parsed, pb: Parsed, b: Evaluated) -> str:
    """When the left element names an answer and the right one is a number,
    the error model whose value it is."""
    if not pa.key.startswith("@") or b.number is None or not pm.pid:
        return ""
    answer_id = pa.key[1:].split("[")[0]
    ids = {answer_id} | {k for k, v in align.SAME_QUANTITY.items() if v == answer_id}
    for variant in sheet_ref(sheet).variants.get(pm.pid, []):
        if len(variant.models) > 1:
            continue
        for aid in ids:
            if aid in variant.values:
                value = cm._number(variant.values[aid])
                if value is None:
                    continue
                mine = Evaluated(variant.values[aid], value)
                if _compare(pm, mine, b, Parsed("", True), pb, "equal").verdict == "equal":
                    return variant.label
    return ""


def _swapped_givens(pm: ProblemMath, pa: Parsed, pb: Parsed, b: Evaluated, env: dict, mode: str) -> str:
    """A given written with another given's value (c = 3 where x = 3)."""
    if not pa.key or pa.key not in pm.givens or b.number is None:
        return ""
    for other, value in pm.givens.items():
        if other == pa.key or not isinstance(value, sp.Basic) or value.free_symbols:
            continue
        n = cm._number(value)
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
        value, half = ev.expr, Fraction(0)
        if ev.unknown:
            return {}
    out = {}
    for k in range(0, last):
        p = elements[k]
        if k > 0 and relations[k] not in ("equal", ""):
            break
        if text_elements[k] or not p.ok or not p.name or not p.key:
            if k == 0 and text_elements[k]:
                continue
            break
        if isinstance(p.expr, sp.Symbol):
            out[p.key] = StudentValue(value, half, line)
    return out


def _fraction(value: Any) -> Fraction:
    try:
        return Fraction(mpmath.nstr(value, 12, min_fixed=-30, max_fixed=30)) if value else Fraction(0)
    except (ValueError, TypeError):
        return Fraction(0)


# --------------------------------------------------------------------------- answers


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


def _expected_value(ref: SheetRef, answer_id: str, index: tuple[int, ...] | None) -> Any:
    a = ref.answers[answer_id]
    value = a.value
    if isinstance(value, sp.Eq):
        value = value.rhs
    if index is not None:
        if not isinstance(value, sp.MatrixBase):
            return None
        try:
            if len(index) == 1:
                return value[index[0]]
            return value[index[0], index[1]]
        except IndexError:
            return None
    return value


def _claim_value(pm: ProblemMath, info: ClaimInfo) -> tuple[Evaluated | str, Written | None]:
    p = info.parsed
    if info.transform == "square_size" and p.size is not None:
        return Evaluated(p.size, cm._number(p.size)), Written(Fraction(int(p.size)), Fraction(0), str(p.size))
    if info.transform == "minus_w1":
        w1 = pm.canon(cm.resolve_key(pm, "w_1"))
        return _evaluate(pm, Parsed(p.source, True, expr=p.expr - w1, literals=p.literals), "problem", {}), None
    if info.value is not None:
        return info.value, p.written
    return _evaluate(pm, p, "problem", {}), p.written


def task_answer(sheet: str, info: ClaimInfo) -> tuple[str, str | None]:
    """(verdict, diagnosis) of one claimed answer (see :mod:`engine.check`)."""
    ref = sheet_ref(sheet)
    a = ref.answers[info.answer_id]
    pm = ref.math[a.problem]
    expected = _expected_value(ref, info.answer_id, info.index)
    if expected is None:
        return "unparsed", "the entry named does not exist in the answer"
    claim, written = _claim_value(pm, info)
    if isinstance(claim, str):
        return "unparsed", f"could not evaluate the answer: {claim}"
    exp = _evaluate(pm, Parsed("", True, expr=expected), "problem", {})
    if isinstance(exp, str):
        return "unparsed", f"could not evaluate the expected value: {exp}"
    closed = exp.number is not None
    if closed:
        c = _compare(pm, exp, claim, Parsed("", True), Parsed(info.parsed.source, True, written=written), "equal")
    else:
        c = _symbolic_answer(pm, expected, info)
    if c.verdict == "equal":
        return "correct", None
    if c.verdict == "undecided":
        return "unparsed", f"could not decide: {c.detail}"
    if closed and _within_rounding(exp, info, written):
        return "correct", "differs from the exact value only by the rounding of the intermediate values"
    return "incorrect", _diagnose(ref, pm, a, info, claim, written, closed)


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
    except (TypeError, ValueError, NotImplementedError, ZeroDivisionError, AttributeError) as exc:
        c = Comparison("undecided", f"the comparison failed ({type(exc).__name__})")
    try:
        ea = cm.resolve(pm, expected, "problem", {}, None, info.part)
        eb = cm.resolve(pm, expr, "problem", {}, p.literals, info.part)
        return cm.compare(pm, ea, eb)
    except Undecided as exc:
        return Comparison("undecided", str(exc))
    except (TypeError, ValueError, NotImplementedError, ZeroDivisionError, AttributeError) as exc:
        return Comparison("undecided", f"the comparison failed ({type(exc).__name__})")


def _within_rounding(exp: Evaluated, info: ClaimInfo, written: Written | None) -> bool:
    """The student's derivation of this value is consistent and used only
    right values: a difference within their rounding is no error."""
    prev = info.previous
    if prev is None or prev.number is None or not info.chain_consistent:
        return False
    if any(v != "correct" for v in info.used_verdicts.values()):
        return False
    if not prev.error:
        return False
    half = cm._mpf(written.half_unit) if written is not None else 0
    return abs(exp.number - prev.number) <= prev.error + half


def _diagnose(ref: SheetRef, pm: ProblemMath, a: AnswerRef, info: ClaimInfo, claim: Evaluated,
              written: Written | None, closed: bool) -> str | None:
    """The error model (or pair) that reproduces the student's value."""
    variants = ref.variants.get(a.problem, [])
    hits = diagnose.candidates(variants, a.id)
    loose = []
    for variant, value in hits:
        if info.index is not None:
            if not isinstance(value, sp.MatrixBase):
                continue
            try:
                value = value[info.index[0]] if len(info.index) == 1 else value[info.index[0], info.index[1]]
            except IndexError:
                continue
        ev = _evaluate(pm, Parsed("", True, expr=value), "problem", {})
        if isinstance(ev, str):
            continue
        if closed:
            c = _compare(pm, ev, claim, Parsed("", True), Parsed("", True, written=written), "equal")
        else:
            try:
                eb = cm.resolve(pm, info.parsed.expr, "problem", {}, info.parsed.literals, info.part)
                c = cm.compare(pm, ev, eb)
            except (Undecided, TypeError, ValueError, NotImplementedError, ZeroDivisionError, AttributeError):
                continue
        if c.verdict == "equal":
            return variant.label
        if closed and ev.number is not None and claim.number is not None and info.digits:
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
        exp = _evaluate(pm, Parsed("", True, expr=a.value), "problem", {})
        if isinstance(exp, str) or exp.number is None:
            continue
        ordered = sorted(candidates, key=lambda c: (c[2] != a.part, -c[0]))
        for k, element, part, parsed, value in ordered:
            if k in taken or value.number is None and not isinstance(value.expr, sp.MatrixBase):
                continue
            c = _compare(pm, exp, value, Parsed("", True), parsed, "equal")
            if c.verdict == "equal":
                found[answer_id] = (k, element)
                taken.add(k)
                break
    return found
