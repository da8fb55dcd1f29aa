"""The reference of a sheet for :mod:`engine.check.run`: what the catalog says.

The *reference* of a sheet (:class:`SheetRef`) is built from the catalog in
the parent process before any worker starts (so workers inherit it when
they fork): every problem solved at its defaults, its answers, givens and
definitions in canonical keys (:class:`engine.check.compare.ProblemMath`), and
the error-model variants of :mod:`engine.check.diagnose`. Nothing here reads
student text. What a question's notation needs (small quantities, index
letters, functions, definitions of the statement) comes from its module's
:class:`engine.model.checking.Checking`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sympy as sp

from engine.read import chains as align
from engine.check import names
from engine.check import compare as cm
from engine.check import diagnose, sheetcache
from engine.check.compare import ProblemMath

#: Where a word is already a name: after a letter or backslash, inside a name command or a script.
_NOT_NAMED = (r"(?<![A-Za-z\\])(?<!\\mathrm\{)(?<!\\operatorname\{)(?<!\\text\{)(?<!\\textrm\{)"
              r"(?<!\\mathit\{)(?<!\\mathbf\{)(?<!\\mbox\{)(?<!_\{)(?<!\^\{)")


def protect_words(source: str, words: tuple[str, ...]) -> str:
    """A problem's multi-letter names (``net_1``, ``TSS``) written as one
    symbol, not as a product of letters: ``net_1`` -> ``\\mathrm{net}_1``."""
    for word in words:
        # not inside a name command (\mathrm{Var}) or a subscript (x_{net}); in \frac{Var(z)}{2} it is a word
        source = re.sub(_NOT_NAMED + re.escape(word) + r"(?![A-Za-z])", r"\\mathrm{" + word + "}", source)
    return source

_ASSUMPTIONS = ("positive", "nonnegative", "real", "nonzero", "integer", "negative")


def local_definitions(problem: Any, params: Any, pm: ProblemMath) -> dict[str, Any]:
    """The question's one-step definitions used for local partials (a primal
    trace, Baydin et al. 2018, Table 2) in canonical keys."""
    define = problem.checking.local_definitions
    if define is None:
        return {}
    out = {}
    for sym, value in define(params).items():
        out[cm.resolve_key(pm, cm.symbol_key(sym))] = cm.canonicalize(pm, value)
    return out


def words_of(pid: str | None) -> tuple[str, ...]:
    """The multi-letter names of a catalog problem (``net``, ``TSS``); () for none."""
    from engine.model import catalog

    if not pid:
        return ()
    return tuple(catalog.get(pid).checking.conventions.words)


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
    exact_latex: str = ""


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
    checking = problem.checking
    conv = checking.conventions
    pm = ProblemMath(problem.id, small=tuple(conv.small), notation=dict(conv.notation), same=dict(conv.same),
                     index_letters=frozenset(conv.index_letters), functions=frozenset(checking.functions))
    if checking.definitions is not None:  # those keyed by an expression as read (dL/dy_i, a sum of them)
        pm.written = {k: v for k, v in checking.definitions(solution.params).items() if not isinstance(k, sp.Symbol)}
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
    part_of = {b.id: part.label for part in solution.parts for b in part.blocks if getattr(b, "kind", "") == "answer"}
    canonical = {}
    for answer_id, answer in solution.answers.items():
        value = answer.value
        part = part_of.get(answer_id)
        if value is None:
            continue
        if isinstance(value, sp.Eq):
            lhs_key = cm.resolve_key(pm, cm.symbol_key(value.lhs), None, part) if isinstance(value.lhs, sp.Symbol) else None
            if lhs_key:
                pm.definitions.setdefault(lhs_key, cm.canonicalize(pm, value.rhs, None, part))
            canonical[answer_id] = sp.Eq(cm.canonicalize(pm, value.lhs, None, part),
                                         cm.canonicalize(pm, value.rhs, None, part), evaluate=False)
            continue
        # in the answer's own part: o_1 of a part (a) formula stays a variable
        canonical[answer_id] = cm.canonicalize(pm, value, None, part)
    pm.expected.update(canonical)
    seen: dict[str, list] = {}
    for part in solution.parts:
        scoped = pm.part_definitions.setdefault(part.label, {})
        for sym, value in part.definitions.items():
            if not isinstance(sym, (sp.Symbol, sp.Indexed)) or value is None:
                continue
            key = cm.resolve_key(pm, cm.symbol_key(sym), None, part.label)
            if key.startswith("@") or key in pm.givens or names.match_name(key, problem.id, None):
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
    extra = checking.stated_definitions
    if extra is not None:
        for sym, value in extra(solution.params).items():
            key = cm.resolve_key(pm, cm.symbol_key(sym))
            canon = cm.canonicalize(pm, value)
            pm.definitions.setdefault(key, canon)
            for scoped in pm.part_definitions.values():
                scoped.setdefault(key, canon)
    for key, values in seen.items():
        # a key the parts define alike is global; defined differently, it is
        # only what each part says (m_t of part (e) includes the decay term)
        if key not in pm.definitions and all(v == values[0] for v in values):
            pm.definitions[key] = values[0]
    pm.local = local_definitions(problem, solution.params, pm)
    keys = set()
    for value in list(pm.expected.values()) + list(pm.definitions.values()) + [
            v for d in pm.part_definitions.values() for v in d.values()]:
        items = list(value) if isinstance(value, (list, tuple, sp.MatrixBase)) else [value]
        for item in items:
            if isinstance(item, sp.Basic):
                keys |= {s.name for s in item.free_symbols if isinstance(s, sp.Symbol)}
    pm.symbols = frozenset(keys)
    for sym, interval in solution.domain.items():
        pm.domain[cm.symbol_key(sym)] = (float(interval[0]), float(interval[1]))
    return pm


def build_sheet(sheet: str) -> SheetRef:
    """Solve the sheet's problems and build its reference (cached in this process and on
    disk, :mod:`engine.check.sheetcache`)."""
    if sheet not in _SHEETS:
        _SHEETS[sheet] = sheetcache.memo(sheet, SheetRef, lambda: _build_sheet(sheet))
    return _SHEETS[sheet]


def _build_sheet(sheet: str) -> SheetRef:
    from engine.model import catalog
    from engine.math.latex import to_latex

    questions = catalog.sheet(sheet)
    math_: dict[str, ProblemMath] = {}
    answers: dict[str, AnswerRef] = {}
    variants: dict[str, list[diagnose.Variant]] = {}
    for problem in questions:
        pid = problem.id
        sol = problem.solve()
        pm = problem_math(problem, sol)
        math_[pid] = pm
        part_of = {b.id: part.label for part in sol.parts for b in part.blocks if getattr(b, "kind", "") == "answer"}
        for answer_id in problem.answer_ids:
            a = sol.answers[answer_id]
            exact = _exact_latex(a.value, pm.expected.get(answer_id), to_latex) or a.latex
            answers[answer_id] = AnswerRef(answer_id, pid, part_of.get(answer_id, ""), pm.expected.get(answer_id),
                                           a.latex, a.label, a.text, _kind(a), exact)
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
    return SheetRef(sheet, tuple(p.id for p in questions), math_, answers, variants)


def _exact_latex(raw: Any, canonical: Any, to_latex) -> str:
    """LaTeX of an answer for :mod:`engine.check.equiv`: the canonical form when
    it names no answer (``p_{y'}`` rather than sympy's ``{p}_{y'}``)."""
    if raw is None or isinstance(raw, (list, tuple)):
        return ""
    if isinstance(canonical, sp.Basic) and not any(s.name.startswith("@") for s in canonical.free_symbols
                                                   if isinstance(s, sp.Symbol)):
        return to_latex(canonical)
    return to_latex(raw)


def sheet_ref(sheet: str) -> SheetRef:
    return _SHEETS[sheet] if sheet in _SHEETS else build_sheet(sheet)


def empty_math() -> ProblemMath:
    return ProblemMath("")


def math_of(sheet: str, pid: str | None) -> ProblemMath:
    ref = sheet_ref(sheet)
    return ref.math.get(pid) if pid in ref.math else empty_math()
