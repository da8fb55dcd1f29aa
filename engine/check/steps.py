"""What a bounded worker does for :mod:`engine.check.run` (steps).

The tasks are module-level functions run in a :class:`engine.sandbox.Pool`
worker under a time and memory bound; each takes and returns plain data
(student expressions stay :class:`~engine.check.compare.Sealed` on the way):

* :func:`task_plan`: decode and segment a submission, build its chains and
  name claims (string work only);
* :func:`task_parse`: one chain element -> :class:`Parsed`;
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
from engine.check.compare import Comparison, Evaluated, ProblemMath, StudentValue, Undecided, Written
from engine.check.reference import SheetRef, math_of, protect_words, sheet_ref, words_of

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
    owner = naming.owner_of_aliases()
    for chain in chains:
        if chain.problem is not None or not chain.elements:
            continue
        pids = {owner[m.alias.answer_id] for m in naming.name_matches(chain, ref.problems)}
        if len(pids) == 1:
            chain.problem = pids.pop()


# --------------------------------------------------------------------------- parsing


class Parsed:
    """One chain element read: ok, or the reason it could not be read.

    expr: canonical sympy (kept :class:`~engine.check.compare.Sealed` between
    processes); written: the number when the element is one literal;
    literals: Rational atoms of decimal numbers -> half unit; key: the
    canonical key when the element names a quantity; digits: the fewest
    significant digits of its decimal numbers (None: none); size: for
    ``224 \\times 224``, the side (a size written as a square); symbolic /
    closed: whether the expression has free symbols / has none (for the
    orchestrator, which never looks at the expression itself)."""

    __slots__ = ("source", "ok", "reason", "_expr", "written", "literals", "key", "name", "digits", "size",
                 "symbolic", "closed")

    def __init__(self, source: str, ok: bool, reason: str = "", expr: Any = None, written: Written | None = None,
                 literals: dict | None = None, key: str = "", name: bool = False, digits: int | None = None,
                 size: Any = None, symbolic: bool | None = None, closed: bool | None = None):
        self.source, self.ok, self.reason = source, ok, reason
        self._expr = expr if isinstance(expr, cm.Sealed) else cm.Sealed(expr)
        self.written, self.literals, self.key, self.name = written, dict(literals or {}), key, name
        self.digits, self.size = digits, size
        if symbolic is None:
            plain = expr if not isinstance(expr, cm.Sealed) else None
            symbolic = bool(getattr(plain, "free_symbols", None)) if plain is not None else False
            closed = plain is not None and isinstance(plain, sp.Basic) and not plain.free_symbols
        self.symbolic, self.closed = symbolic, bool(closed)

    @property
    def expr(self) -> Any:
        return self._expr.get()

    def __reduce__(self):
        return (Parsed, (self.source, self.ok, self.reason, self._expr, self.written, self.literals, self.key,
                         self.name, self.digits, self.size, self.symbolic, self.closed))

    def __repr__(self) -> str:
        return f"Parsed({self.source!r}, ok={self.ok}, key={self.key!r})"


def task_parse(source: str, sheet: str, pid: str | None, notation: dict[str, str], part: str | None = None) -> Parsed:
    """Read one element (see :class:`Parsed`); never raises for bad text."""
    from engine.read import parse

    pm = math_of(sheet, pid)
    call = _read_call(pm, source, notation, part)
    if call is not None:
        return call
    is_name = align.is_name(source)
    words = words_of(pm.pid)
    text = protect_words(source, words) if words else source
    try:
        expr = _parse_with_order_term(text, pm)
    except parse.ParseError as exc:
        if is_name:
            key = align.quantity_key(source)
            key = cm.resolve_key(pm, key, notation, part)
            return Parsed(source, True, expr=pm.canon(key), key=key, name=True)
        return Parsed(source, False, reason=_PYTHON_NAMES.sub("", str(exc)))
    except cm.SYMPY_FAILURES as exc:
        return Parsed(source, False, reason=f"could not be read: {cm.failure_reason(exc)}")
    if isinstance(expr, sp.Eq):
        return Parsed(source, False, reason="an equation inside a chain member")
    try:
        return _read(pm, source, expr, is_name, notation, part)
    except cm.SYMPY_FAILURES as exc:
        return Parsed(source, False, reason=f"could not be read: {cm.failure_reason(exc)}")


#: A whole element that is a name applied to variables: ``L(y)``, ``f(x)``,
#: ``E(w_1, w_2)``, ``J(\\theta)``.
_SYMBOL_TEXT = r"(?:[A-Za-z]|\\[A-Za-z]+)(?:_(?:\{[^{}]*\}|[A-Za-z0-9]))?"
_CALL = re.compile(r"\s*(%s)\s*(?:\\left\s*)?\(\s*(%s(?:\s*,\s*%s)*)\s*(?:\\right\s*)?\)\s*"
                   % (_SYMBOL_TEXT, _SYMBOL_TEXT, _SYMBOL_TEXT))


def _read_call(pm: ProblemMath, source: str, notation: dict[str, str], part: str | None) -> Parsed | None:
    """``L(y) = \\frac{1}{2}(y - t)^2``: a name applied to variables is the
    quantity it names (the loss L of the problem, as a function of y), never
    the product ``L y``. A name the problem does not know is a function of
    the student's (``H(q, p)``: the step defines it). None when ``source``
    is not such a call, or names a function the problem applies (sigma)."""
    from engine.read import parse
    from engine.read.text import GREEK

    m = _CALL.fullmatch(source)
    if m is None:
        return None
    texts = [m.group(1)] + [a.strip() for a in m.group(2).split(",")]
    commands = [re.match(r"\\([A-Za-z]+)", t) for t in texts]
    if any(c is not None and c.group(1) not in GREEK for c in commands):
        return None  # \log(x), \exp(z): functions, read by the parser
    name = align.quantity_key(texts[0])
    key = cm.resolve_key(pm, name, notation, part)
    if name in pm.functions or name in pm.definitions_in(part) or key in pm.local:
        return None  # sigma(z) where the problem defines sigma: applied by the checker
    if key.startswith("@"):
        if isinstance(cm._answer_value(pm, key), sp.MatrixBase):
            return None  # p(y) of the vector p is one of its entries, not the vector
        return Parsed(source, True, expr=pm.canon(key), key=key, name=True)
    if pm.known(key) or key in notation:
        return None  # a given or a symbol of the problem: x(x + 1) is a product
    try:
        args = [parse.parse_latex(t) for t in texts[1:]]
    except parse.ParseError:
        return None
    if not all(isinstance(a, sp.Symbol) for a in args):
        return None
    args = [cm.canonicalize(pm, a, notation, part) for a in args]
    return Parsed(source, True, expr=sp.Function(name)(*args))


#: A Python exception named inside a reader's message (``sign cannot take
#: these arguments (TypeError: ...)``): dropped, the rest says what to fix.
_PYTHON_NAMES = re.compile(r"\s*\((?:[A-Z][A-Za-z]*(?:Error|Exception))(?::(?:[^()]|\([^()]*\))*)?\)")

#: Values a student's expression cannot take, and what the reader is told.
_UNDEFINED_VALUES = ((sp.nan, "it divides 0 by 0, which has no value"),
                     (sp.zoo, "it divides by zero"))


def _read(pm: ProblemMath, source: str, expr: Any, is_name: bool, notation: dict[str, str],
          part: str | None) -> Parsed:
    """The :class:`Parsed` of a parsed element (see :func:`task_parse`)."""
    from engine.read import parse

    for value, reason in _UNDEFINED_VALUES:
        if isinstance(expr, sp.Basic) and expr.has(value):
            return Parsed(source, False, reason=reason)
    expr = _order_terms(expr, source)
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
        # a written 0 (no decimals) carries no precision: it is exactly zero
        half = Fraction(0) if literal.value == 0 and literal.exponent >= 0 else Fraction(literal.half_unit)
        written = Written(Fraction(literal.value), half, literal.text)
    literals, digits = {}, None
    for w in parse.written_precision(source):
        if w.exponent < 0:
            digits = w.significant if digits is None else min(digits, w.significant)
            literals[sp.Rational(w.value.numerator, w.value.denominator)] = Fraction(w.half_unit)
    size = None
    m = re.fullmatch(r"\s*(\d+)\s*(?:\\times|x|×|\*|\\cdot)\s*(\d+)\s*", source)
    if m and m.group(1) == m.group(2):
        size = sp.Integer(int(m.group(1)))
    return Parsed(source, True, expr=canon, written=written, literals=literals, key=key,
                  name=is_name or isinstance(canon, sp.Symbol), digits=digits, size=size)


#: The head of an order term ``O(`` / ``\mathcal{O}\left(``, with the sign before it.
_ORDER_HEAD = re.compile(r"([+-])\s*(?:\\mathcal\s*\{\s*O\s*\}|(?<![A-Za-z\\])O)\s*(?:\\left\s*)?\(")


def _split_order_term(text: str) -> tuple[str, str] | None:
    """``a + b + O(\\epsilon^2)`` -> (``a + b``, ``\\epsilon^2``): an order term
    added at the top level of the expression (not inside a bracket), or None."""
    for m in _ORDER_HEAD.finditer(text):
        before = text[:m.start()]
        if sum(before.count(c) for c in "({[") != sum(before.count(c) for c in ")}]"):
            continue  # inside a bracket: not a term of the whole expression
        depth, end = 0, None
        for k in range(m.end() - 1, len(text)):
            depth += {"(": 1, ")": -1}.get(text[k], 0)
            if depth == 0:
                end = k
                break
        if end is None:
            return None
        inner = re.sub(r"\\right\s*$", "", text[m.end():end]).strip()
        rest = (before + " " + text[end + 1:]).strip()
        if not inner or not rest:
            return None
        return rest, inner
    return None


def _parse_with_order_term(text: str, pm: ProblemMath) -> Any:
    """:func:`engine.read.parse.parse_latex` of ``text``; a series written with an
    order term (``... + O(\\epsilon^2)``) is read as the expansion plus
    sympy's Order in the symbols of the term (at 0)."""
    from engine.read import parse

    def read(t: str) -> Any:
        return parse.parse_latex(t, superscript_index_symbols=pm.index_letters, functions=pm.functions)

    split = _split_order_term(text)
    if split is None:
        return read(text)
    rest, inner = split
    expansion, order = read(rest), read(inner)
    if not isinstance(expansion, sp.Expr) or not isinstance(order, sp.Expr) or not order.free_symbols:
        raise parse.ParseError("an order term O(...) of something that is not a power of a variable")
    return expansion + sp.Order(order, *[(v, 0) for v in sorted(order.free_symbols, key=str)])


def _order_terms(expr: Any, source: str) -> Any:
    """``O(\\epsilon^2)`` read by the grammar as the product ``O \\epsilon^2``
    becomes sympy's Order (only when the text writes ``O(``)."""
    if not isinstance(expr, sp.Basic) or not re.search(r"(?:\\mathcal\{O\}|(?<![A-Za-z\\])O)\s*(?:\\left)?\s*\(", source):
        return expr
    big_o = [s for s in expr.free_symbols if isinstance(s, sp.Symbol) and s.name == "O"]
    if not big_o or not isinstance(expr, sp.Add):
        return expr
    o = big_o[0]
    terms = []
    for term in expr.args:
        if term.has(o):
            rest = sp.cancel(term / o)
            if rest.has(o) or not rest.free_symbols:
                return expr
            syms = sorted(rest.free_symbols, key=str)
            terms.append(sp.Order(rest, *[(s, 0) for s in syms]))
        else:
            terms.append(term)
    return sp.Add(*terms)


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


def _evaluate(pm: ProblemMath, p: Parsed, mode: str, env: dict, part: str | None = None,
              small_zero: bool = False, keep_givens: bool = False) -> Evaluated | str:
    if not p.ok:
        return p.reason
    if p.expr is None:
        return "nothing to evaluate"
    try:
        return cm.resolve(pm, p.expr, mode, env, p.literals, part, small_zero, keep_givens)
    except Undecided as exc:
        return str(exc)
    except cm.SYMPY_FAILURES as exc:
        return f"{_quote(p.source)} could not be evaluated: {cm.failure_reason(exc)}"


def _compare(pm: ProblemMath, a: Evaluated, b: Evaluated, pa: Parsed, pb: Parsed, relation: str) -> Comparison:
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
    problem = [_evaluate(pm, p, "problem", env, part) if not t else None for p, t in zip(elements, text_elements)]
    student = [_evaluate(pm, p, "student", env, part) if not t else None for p, t in zip(elements, text_elements)]
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
            p_i = [_evaluate(pm, p, "problem", env, part, True) if not t else None
                   for p, t in zip(elements, text_elements)]
            s_i = [_evaluate(pm, p, "student", env, part, True) if not t else None
                   for p, t in zip(elements, text_elements)]
        elif series:
            # an expansion is compared with its symbols kept (see checkmath.resolve)
            p_i, s_i = list(problem), list(student)
            for k in (i - 1, i):
                p_i[k] = _evaluate(pm, elements[k], "problem", env, part, keep_givens=True)
                s_i[k] = _evaluate(pm, elements[k], "student", env, part, keep_givens=True)
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
    ev = _evaluate(pm, Parsed("", True, expr=pm.local[left.key]), "student", env, part)
    if not isinstance(ev, Evaluated) or not ev.used:
        return None
    c = _compare(pm, ev, value, Parsed("", True), right, "equal")
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
                alt = _evaluate(pm, alt_parsed, mode, env, part)
                if not isinstance(alt, Evaluated) or alt.number is None or ev_other.number is None:
                    continue
                pair = (ev_other, alt, p_other, alt_parsed) if flip else (alt, ev_other, alt_parsed, p_other)
                if _compare(pm, *pair, "equal").verdict == "equal":
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
                value = cm._number(variant.values[aid])
                if value is None:
                    continue
                mine = Evaluated(variant.values[aid], value)
                if _compare(pm, mine, b, Parsed("", True), pb, "equal").verdict == "equal":
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
        if isinstance(p.expr, sp.Basic) and p.expr.has(sp.Order):
            return {}  # an expansion is not the quantity's value
        # a formula keeps the givens as symbols, so later steps can expand it
        ev = _evaluate(pm, p, "student", env, None, keep_givens=True)
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
