"""What a student's expression stands for, in the problem's terms (runs in a bounded worker).

A :class:`ProblemMath` holds what the problem defines, in *canonical keys*
(the :func:`engine.read.chains.quantity_key` of a symbol's name): the givens
(``x = 3``), the answers (``@autodiff.trace.v3``: the value of v_3), the
definitions of the worked solution (``u = x^2/log x``, ``\\hat{m}_1 =
m_1/(1 - beta_1)``) and the one-step definitions used for local partials
(the primal trace ``v_6 = v_4 v_5``). A student's symbol is mapped to a key
by the alias table of :mod:`engine.read.chains` (``N_3`` and ``v_3`` are both
``@autodiff.trace.v3``), so the student's notation and the problem's meet.

An expression is *resolved* (:func:`resolve`) in one of two modes:

* ``problem``: every quantity takes the problem's value;
* ``student``: a quantity the student has already given a value (the
  environment ``env``) takes the student's value, with the half unit of its
  last written digit as its uncertainty, propagated to first order
  (|df/dx_i| h_i summed). This is "error carried forward".

The comparison of two resolved expressions is :mod:`engine.check.compare`.
Nothing here reads raw text except through :func:`engine.read.parse.parse_latex`;
no ``sympify``/``eval`` anywhere.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable, Mapping

import mpmath
import sympy as sp

from engine.check.values import Evaluated, Sealed, StudentValue  # noqa: F401 - re-exported
from engine.errors import Undecided
from engine.check.names import match_name, same_quantity
from engine.read.chains import quantity_key

#: Digits of the numeric evaluations.
DIGITS = 40
#: Substitution rounds before a resolution gives up (cyclic definitions).
MAX_ROUNDS = 25
#: Largest printed size of an expression kept (characters of its str).
MAX_EXPR_SIZE = 20_000

_ACCENT_NAME = re.compile(r"^(bar|hat|tilde|vec|dot|ddot|check|breve|acute|grave)\{")


#: What a failure of sympy on a student's expression means for the reader
#: (first match wins). Only these are caught, in the tasks of the check;
#: anything else is a bug and reaches the report as the worker's error.
FAILURES: tuple[tuple[tuple[type, ...], str], ...] = (
    ((RecursionError,), "it is nested too deeply for the algebra system"),
    ((ZeroDivisionError,), "it divides by zero"),
    ((OverflowError,), "a number in it is too large to evaluate"),
    ((NotImplementedError, sp.PolynomialError), "the algebra system has no rule for it"),
    ((TypeError, ValueError),
     "the algebra system cannot evaluate it (a matrix where a number is needed, or a form it does not support)"),
)
#: The exceptions of :data:`FAILURES`, for ``except`` clauses.
SYMPY_FAILURES: tuple[type, ...] = tuple(t for types, _ in FAILURES for t in types)


def failure_reason(exc: BaseException) -> str:
    """The reader's phrase for ``exc`` (one of :data:`SYMPY_FAILURES`); with
    ``DERIVE_DEBUG`` set in the environment, the exception is appended."""
    import os

    phrase = next((text for types, text in FAILURES if isinstance(exc, types)), "the algebra system failed on it")
    if os.environ.get("DERIVE_DEBUG"):
        detail = " ".join(str(exc).split())[:120]
        phrase += f" [{type(exc).__name__}: {detail}]"
    return phrase


def symbol_key(sym: Any) -> str:
    """The canonical key of a symbol made by :mod:`engine.read.parse` or by a
    derivation module: ``bar{v}_{-1}`` -> ``bar(v)_-1``, ``p[y]`` -> ``p_y``."""
    if isinstance(sym, sp.Indexed):
        base = symbol_key(sym.base.label)
        return base + "_" + ",".join(symbol_key(i) if isinstance(i, sp.Symbol) else str(i) for i in sym.indices)
    name = sym.name if hasattr(sym, "name") else str(sym)
    name = _ACCENT_NAME.sub(lambda m: "\\" + m.group(1) + "{", name)
    name = name.replace(r"\prime", "'")
    return quantity_key(name)


# --------------------------------------------------------------------------- the problem's side


@dataclass
class ProblemMath:
    """A problem's definitions in canonical keys (built from the catalog).

    givens: key -> exact value; expected: answer id -> canonical value;
    definitions: key -> canonical expression; local: key -> one-step
    definition (for partials); assumptions: key -> sympy assumptions;
    domain: key -> sampling interval; small: keys set to 0 for ``\\approx``;
    notation: student key -> problem key (``beta`` -> ``beta_1``), used when
    the student never writes the problem key; same: student key -> problem
    key used even where the student also writes the latter; index_letters: letters whose
    superscripts are indices; functions: names applied as functions;
    written: an expression as the reader reads it (a derivative, a sum) ->
    the question's name for it (dL/dy_i is the upstream gradient g_i), put
    in before the symbols are made canonical."""

    pid: str
    givens: dict[str, Any] = field(default_factory=dict)
    expected: dict[str, Any] = field(default_factory=dict)
    definitions: dict[str, Any] = field(default_factory=dict)
    part_definitions: dict[str, dict[str, Any]] = field(default_factory=dict)
    local: dict[str, Any] = field(default_factory=dict)
    assumptions: dict[str, dict] = field(default_factory=dict)
    domain: dict[str, tuple[float, float]] = field(default_factory=dict)
    small: tuple[str, ...] = ()
    notation: dict[str, str] = field(default_factory=dict)
    same: dict[str, str] = field(default_factory=dict)
    index_letters: frozenset = frozenset()
    functions: frozenset = frozenset()
    symbols: frozenset = frozenset()
    written: dict[Any, Any] = field(default_factory=dict)

    def canon(self, key: str) -> sp.Symbol:
        return sp.Symbol(key, **self.assumptions.get(key, {}))

    def known(self, key: str) -> bool:
        return (key in self.givens or key.startswith("@") or key in self.definitions or key in self.assumptions
                or key in self.symbols or any(key in d for d in self.part_definitions.values()))

    def definitions_in(self, part: str | None) -> dict[str, Any]:
        """The worked definitions seen from ``part``: the part's own (m_t of
        part (e) includes the decay term, the m_t of part (a) does not); with
        no part, those every part that defines them agrees on."""
        if part and part in self.part_definitions:
            return self.part_definitions[part]
        return self.definitions


def resolve_key(pm: ProblemMath, key: str, notation: Mapping[str, str] | None = None,
                part: str | None = None) -> str:
    """The canonical key a name stands for in this problem: a given, an
    answer (``@id``, ``@id[i,j]`` for an entry), or the name itself.

    When several answers match the name (``w_{t+1}`` is the update rule of
    part (a) and both updates of part (e)), those asked in ``part`` are
    preferred; a name still ambiguous stays itself."""
    if notation and key in notation:
        key = notation[key]
    elif pm.same and "_" in key and key.split("_", 1)[0] in pm.same:   # P_y: p_y (a letter always read as another)
        base, sub = key.split("_", 1)
        key = f"{pm.same[base]}_{sub}"
    if key in pm.givens:
        return key
    found: dict[str, tuple] = {}
    for alias, index in match_name(key, pm.pid, None):
        if alias.kind == "text" or alias.needs or alias.answer_id not in pm.expected:
            continue  # an expansion (needs an O-term) is the same quantity, written another way
        value = pm.expected[alias.answer_id]
        if isinstance(value, sp.Eq) or value is None:
            continue
        if alias.scope == "part" and part is not None and alias.parts and part not in alias.parts:
            continue  # o_1 is 1/2 in part (b), a variable in the derivation of part (a)
        answer = same_quantity().get(alias.answer_id, alias.answer_id)
        target = f"@{answer}[{','.join(str(i) for i in index)}]" if index is not None else f"@{answer}"
        in_part = part is not None and (not alias.parts or part in alias.parts)
        found.setdefault(target, in_part)
        if in_part:
            found[target] = True
    if part is not None and any(found.values()):
        found = {k: v for k, v in found.items() if v}
    if len(found) == 1:
        return next(iter(found))
    return key


def canonicalize(pm: ProblemMath, expr: Any, notation: Mapping[str, str] | None = None,
                 part: str | None = None) -> Any:
    """``expr`` with every symbol (and indexed symbol) replaced by the
    canonical symbol of its key (see :func:`resolve_key`)."""
    if isinstance(expr, (list, tuple)) and not isinstance(expr, sp.Tuple):
        return sp.ImmutableMatrix([[canonicalize(pm, e, notation, part) for e in expr]])
    if isinstance(expr, sp.Tuple):
        return sp.ImmutableMatrix([[canonicalize(pm, e, notation, part) for e in expr]])
    if isinstance(expr, sp.MatrixBase):
        return sp.ImmutableMatrix(expr.rows, expr.cols, [canonicalize(pm, e, notation, part) for e in expr])
    if not isinstance(expr, sp.Basic):
        return expr
    mapping = {}
    for ind in expr.atoms(sp.Indexed):
        if not expr.has(sp.Sum):
            mapping[ind] = pm.canon(resolve_key(pm, symbol_key(ind), notation, part))
    if mapping:
        expr = expr.xreplace(mapping)
    # the base of an entry summed over (p in \sum_i q_i \log p_i) names the
    # entries, not the answer vector p: it never becomes an answer's value
    labels = {ind.base.label for ind in expr.atoms(sp.Indexed)}
    mapping = {}
    for s in expr.free_symbols:
        if not isinstance(s, sp.Symbol):
            continue
        key = resolve_key(pm, symbol_key(s), notation, part)
        if s in labels and key.startswith("@"):
            key = symbol_key(s)
        mapping[s] = pm.canon(key)
    return expr.xreplace(mapping) if mapping else expr


def _replace_partials(pm: ProblemMath, expr: Any, defs: Mapping[str, Any]) -> Any:
    """Every derivative of ``expr`` (a Partial(f, x) as written with
    ``\\partial``, or a sympy Derivative: ``f'(x)``, ``\\frac{d}{dx}``)
    replaced by its value, with f expanded through the local and worked
    definitions (not the numbers). A derivative of a function the problem
    does not define stays, bound to its point (see :func:`_bind_derivatives`),
    so that substituting a number for its variable stays valid.
    Raises Undecided when f is not defined in terms of x."""
    from engine.read.parse import Partial

    if not isinstance(expr, sp.Basic) or not expr.has(Partial, sp.Derivative):
        return expr

    def derivative(top, wrt):
        for w in wrt:
            if not isinstance(w, sp.Symbol):
                raise Undecided("a derivative with respect to an expression, not a variable")
        f = _expand_symbolic(pm, _replace_partials(pm, top, defs), set(wrt), defs)
        if not any(f.has(w) for w in wrt):
            # Zero by absence is trusted only when every name in f is defined and the variable
            # is one the problem names: TSS read as T S S, a y never defined from c_i, or the
            # w_{j1} of a TSS whose o_1 the checker holds only as a number, are not zeros.
            undefined = sorted((s for s in top.free_symbols if isinstance(s, sp.Symbol) and s not in wrt
                                and not _defined(pm, s, defs)), key=sp.default_sort_key)
            if undefined:
                names = ", ".join(symbol_label(s) for s in undefined)
                raise Undecided(f"{names} {'is' if len(undefined) == 1 else 'are'} not defined in terms of "
                                f"{symbol_label(wrt[0])}")
            foreign = [w for w in wrt if not (pm.known(w.name) or _defined(pm, w, defs))]
            if foreign:
                raise Undecided(f"{symbol_label(top)}, as the checker holds it, does not contain "
                                f"{symbol_label(foreign[0])}: cannot tell whether the derivative is 0")
        return _bind_derivatives(sp.diff(f, *wrt))

    def partial(p):
        top, *wrt = p.args
        return derivative(top, wrt)

    def sympy_derivative(d):
        wrt = [v for v, n in d.variable_count for _ in range(int(n))] if all(
            n.is_Integer for _, n in d.variable_count) else None
        if wrt is None:
            raise Undecided("a derivative of symbolic order")
        return derivative(d.expr, wrt)

    expr = expr.replace(lambda e: isinstance(e, Partial), partial)
    return expr.replace(lambda e: isinstance(e, sp.Derivative), sympy_derivative)


def _bind_derivatives(expr: Any) -> Any:
    """Each derivative left unevaluated (of a function the problem does not
    define: ``f'(x)``) as ``Subs(Derivative(f(d), d), d, x)``: substituting
    a number for x then gives the derivative at that point, where sympy
    would refuse to differentiate with respect to a number."""
    if not isinstance(expr, sp.Basic) or not expr.has(sp.Derivative):
        return expr

    def bind(d):
        variables = [v for v, _ in d.variable_count]
        if not all(isinstance(v, sp.Symbol) for v in variables):
            raise Undecided("a derivative with respect to an expression, not a variable")
        dummies = [sp.Dummy(v.name) for v in variables]
        inner = d.xreplace(dict(zip(variables, dummies)))
        return sp.Subs(inner, dummies, variables)

    return expr.replace(lambda e: isinstance(e, sp.Derivative) and not e.has(sp.Subs), bind)


def _apply_functions(expr: Any, defs: Mapping[str, Any]) -> Any:
    """``sigma(0)`` where the problem defines ``sigma = 1/(1 + e^{-z})`` (a
    definition with one free variable): the definition at the argument."""
    from sympy.core.function import AppliedUndef

    if not isinstance(expr, sp.Basic) or not expr.has(AppliedUndef):
        return expr

    def apply(call):
        key = symbol_key(sp.Symbol(call.func.__name__))
        body = defs.get(key)
        if body is None or len(call.args) != 1 or not isinstance(body, sp.Basic) or len(body.free_symbols) != 1:
            return call
        (var,) = body.free_symbols
        return body.xreplace({var: call.args[0]})

    return expr.replace(lambda e: isinstance(e, AppliedUndef), apply)


def _defined(pm: ProblemMath, sym: sp.Symbol, defs: Mapping[str, Any]) -> bool:
    return sym.name in pm.local or sym.name in defs


def _expand_symbolic(pm: ProblemMath, expr: Any, keep: set, defs: Mapping[str, Any]) -> Any:
    """Substitute local, then worked definitions until nothing changes
    (never the numbers of the answers, never the symbols of ``keep``)."""
    for _ in range(MAX_ROUNDS):
        mapping = {}
        for s in expr.free_symbols:
            if s in keep:
                continue
            if s.name in pm.local:
                mapping[s] = pm.local[s.name]
            elif s.name in defs:
                mapping[s] = defs[s.name]
            elif s.name.startswith("@"):
                value = answer_value(pm, s.name)
                if value is not None and not _is_number(value) and not isinstance(value, sp.MatrixBase):
                    mapping[s] = value  # a formula answer (L = (y - t)^2 / 2) defines its name
        if not mapping:
            return expr
        expr = expr.xreplace(mapping)
    raise Undecided("the definitions do not terminate")


def resolve(pm: ProblemMath, expr: Any, mode: str, env: Mapping[str, StudentValue] | None = None,
            literals: Mapping[Any, Fraction] | None = None, part: str | None = None,
            small_zero: bool = False, keep_givens: bool = False) -> Evaluated:
    """Resolve ``expr`` (canonical) in ``mode``: "problem", "student", or
    "symbolic" (the problem's symbolic definitions only: quantities whose
    value is a number, and the givens, stay symbols; for comparing formulas
    as formulas).

    literals: Rational atoms of the student's text -> the half unit of the
    digits they were written with (propagated like student values);
    small_zero: the problem's small quantities (epsilon, delta) are 0 (the
    leading order, for a step written with ``\approx``)."""
    env = env or {}
    if small_zero and pm.small and isinstance(expr, sp.Basic):
        expr = expr.xreplace({pm.canon(k): 0 for k in pm.small})
    defs = pm.definitions_in(part)
    if isinstance(expr, sp.MatrixBase):
        # an entry carries the uncertainty of its own decimals only (a negative
        # entry holds the literal negated: -0.079 is the atom -79/1000)
        parts = [resolve(pm, e, mode, env, {a: h for a, h in (literals or {}).items() if e.has(a) or e.has(-a)}, part,
                         small_zero, keep_givens) for e in expr]
        numbers = [p.number for p in parts]
        mat = sp.ImmutableMatrix(expr.rows, expr.cols, [p.expr for p in parts])
        closed = all(n is not None for n in numbers)
        return Evaluated(mat, numbers if closed else None, [p.error for p in parts],
                         tuple(sorted({u for p in parts for u in p.used})),
                         tuple(sorted({u for p in parts for u in p.unknown})))
    expr = _apply_functions(expr, defs)
    expr = _replace_partials(pm, expr, defs)
    uncertain: dict[sp.Dummy, tuple[Any, Fraction]] = {}
    used: set[str] = set()
    folded = Fraction(0)  # relative rounding of decimals the parser folded away (9/1.099 -> 9000/1099)
    folding = expr
    if literals:
        repl = {}
        for atom, half in literals.items():
            if half and (expr.has(atom) or expr.has(-atom)):   # 10 x (-0.005): the literal negated
                d = sp.Dummy("lit")
                repl.update({atom: d} if expr.has(atom) else {-atom: -d})
                uncertain[d] = (atom, half)
            elif half and atom != 0:
                folded += half / abs(Fraction(int(atom.p), int(atom.q)))
        if repl:
            expr = expr.xreplace(repl)
    student_dummies: dict[str, sp.Dummy] = {}
    for _ in range(MAX_ROUNDS):
        mapping = {}
        # z in z_i of a sum over i: a vector the student gave z is not put into the sum's index
        labels = {ix.base.label for ix in expr.atoms(sp.Indexed)} if isinstance(expr, sp.Basic) else set()
        for s in expr.free_symbols:
            if not isinstance(s, sp.Symbol) or isinstance(s, sp.Dummy) or s in labels:
                continue
            key = s.name
            if mode == "student" and key in env and not (isinstance(env[key].value, sp.Basic)
                                                           and env[key].value.has(s)):
                sv = env[key]
                used.add(key)
                if isinstance(sv.value, sp.Basic) and not sv.value.free_symbols and sv.half_unit:
                    d = student_dummies.setdefault(key, sp.Dummy(key))
                    uncertain[d] = (sv.value, sv.half_unit)
                    mapping[s] = d
                else:
                    mapping[s] = sv.value
            elif key.startswith("@"):
                value = answer_value(pm, key)
                if value is not None and not (mode == "symbolic" and _is_number(value)):
                    mapping[s] = value
            elif key in defs:
                value = defs[key]
                if not (mode == "symbolic" and _is_number(value)):
                    mapping[s] = value
        if not mapping:
            break
        _refuse_matrix_products(expr, {k for k, v in mapping.items() if isinstance(v, sp.MatrixBase)}
                                | {pm.canon(k) for k, v in pm.givens.items() if isinstance(v, sp.MatrixBase)})
        expr = expr.xreplace(mapping)
    else:
        raise Undecided("the definitions do not terminate")
    if mode != "symbolic" and not keep_givens and not (isinstance(expr, sp.Basic) and expr.has(sp.Order)):
        # (an expansion keeps its symbols: O(epsilon^2) at epsilon = 1e-8 means nothing)
        givens = {pm.canon(k): v for k, v in pm.givens.items() if not isinstance(v, list)}
        _refuse_matrix_products(expr, {k for k, v in givens.items() if isinstance(v, sp.MatrixBase)},
                                lambda s: not isinstance(s, sp.Dummy) and not pm.known(s.name))
        expr = _replace_matrices(expr, givens)
        if isinstance(expr, sp.MatrixBase):  # dL/dy * W with W given: resolve it entry by entry
            entries = resolve(pm, expr.xreplace({d: v for d, (v, _) in uncertain.items()}), mode, env, literals,
                              part, small_zero, keep_givens)
            return Evaluated(entries.expr, entries.number, entries.error, tuple(sorted(used | set(entries.used))),
                             entries.unknown)
    unknown = tuple(sorted(s.name for s in expr.free_symbols
                           if isinstance(s, sp.Symbol) and not isinstance(s, sp.Dummy) and not pm.known(s.name)))
    free = [s for s in expr.free_symbols if s not in uncertain]
    number, error = None, mpmath.mpf(0)
    if not free:
        point = {d: v for d, (v, _) in uncertain.items()}
        number = number_of(expr.xreplace(point))
        if number is not None:
            for d, (_, half) in uncertain.items():
                slope = number_of(sp.diff(expr, d).xreplace(point))
                if slope is None:
                    number = None
                    break
                error += abs(slope) * mpmath.mpf(half.numerator) / half.denominator
        if number is not None and folded:
            # first order for products and quotients of the folded decimals; in a sum, a folded
            # decimal sits in a term that is not a whole number (8 + 12 - 1/20: 10 x 0.005), and
            # only that term carries its rounding (never the whole 19.93)
            scale = abs(number)
            if isinstance(folding, sp.Add) and all(t.is_Number for t in folding.args):
                scale = max((abs(number_of(t)) for t in folding.args if not t.is_Integer), default=0)
            error += scale * mpmath.mpf(folded.numerator) / folded.denominator
    plain = expr.xreplace({d: v for d, (v, _) in uncertain.items()})
    return Evaluated(plain, number, error, tuple(sorted(used)), unknown)


def _replace_matrices(expr: Any, givens: dict) -> Any:
    """Substitute the givens; a matrix given (W) makes its product a matrix.

    Raises Undecided for a product of two matrices (Q K^T, A V): the parsed
    product is commutative, so the order of the factors, and with it the
    shape, is lost."""
    _refuse_matrix_products(expr, {k for k, v in givens.items() if isinstance(v, sp.MatrixBase)})
    try:
        out = expr.xreplace(givens)
    except (TypeError, ValueError, AttributeError):
        return expr.xreplace({k: v for k, v in givens.items() if not isinstance(v, sp.MatrixBase)})
    if isinstance(out, sp.Basic) and not isinstance(out, sp.MatrixBase) and any(
            isinstance(a, sp.MatrixBase) for a in sp.preorder_traversal(out)):
        return expr.xreplace({k: v for k, v in givens.items() if not isinstance(v, sp.MatrixBase)})
    return out


def _is_number(value: Any) -> bool:
    if isinstance(value, sp.MatrixBase):
        return all(_is_number(e) for e in value)
    return isinstance(value, sp.Basic) and not value.free_symbols


def matrix_entry(value: Any, index: tuple[int, ...]) -> Any:
    """The entry of a matrix at ``index`` (``(k,)``: the k-th entry, row by
    row; ``(i, j)``: row i, column j; 0-based), None when there is none
    (a student's index out of range is not an error)."""
    if not isinstance(value, sp.MatrixBase) or not index:
        return None
    if len(index) == 1:
        return value[index[0]] if 0 <= index[0] < len(value) else None
    i, j = index[0], index[1]
    return value[i, j] if 0 <= i < value.rows and 0 <= j < value.cols else None


def answer_value(pm: ProblemMath, key: str) -> Any:
    """The expected value an answer key stands for: ``@id`` the answer,
    ``@id[i,j]`` one entry of it (None when there is none)."""
    m = re.fullmatch(r"@([^\[]+)(?:\[([\d,]+)\])?", key)
    if not m:
        return None
    value = pm.expected.get(m.group(1))
    if value is None:
        return None
    if m.group(2):
        index = tuple(int(i) for i in m.group(2).split(","))
        if isinstance(value, sp.MatrixBase) and len(index) == 1 and 1 not in value.shape:
            return None
        return matrix_entry(value, index)
    return value


def _refuse_matrix_products(expr: Any, matrices: set, unknown: Callable[[sp.Symbol], bool] | None = None) -> None:
    """Undecided for a product of two matrices, or of a matrix and a factor that may be one (an
    undefined function's value, a symbol the problem does not define: A V with A unknown)."""
    if not isinstance(expr, sp.Basic) or not matrices:
        return
    names = {str(m) for m in matrices}

    def is_matrix(factor: sp.Basic) -> bool:
        base = factor.base if isinstance(factor, sp.Pow) else factor
        if isinstance(base, sp.MatrixBase) or base in matrices:
            return True
        transposed = re.fullmatch(r"(.+)\^\{?(?:T|\\top|\\intercal)\}?", str(base)) if base.is_Symbol else None
        return bool(transposed and transposed.group(1) in names)

    for mul in expr.atoms(sp.Mul):
        count = sum(1 for f in mul.args if is_matrix(f))
        maybe = [f for f in mul.args if not is_matrix(f)
                 and (undefined_functions(f) or (unknown is not None and f.is_Symbol and unknown(f)))]
        if count >= 2 or (count and maybe):
            raise Undecided("a product of matrices: the order of its factors is not kept when read, so it is "
                            "not checked")


def undefined_functions(expr: Any) -> list[str]:
    """Names of the functions in ``expr`` that nothing defines (``g(z)``,
    ``H(q, p)``): such an expression has no value."""
    from sympy.core.function import AppliedUndef

    if not isinstance(expr, sp.Basic):
        return []
    return sorted({type(f).__name__ for f in expr.atoms(AppliedUndef)})


def summed_entries(expr: Any) -> list[str]:
    """The vectors whose entries ``expr`` takes at a symbolic index (q and p
    in ``\\sum_i q_i \\log p_i``): such a sum has no value at random points."""
    if not isinstance(expr, sp.Basic):
        return []
    return sorted({symbol_label(ind.base.label) for ind in expr.atoms(sp.Indexed)
                   if not all(getattr(i, "is_Integer", False) for i in ind.indices)})


def number_of(expr: Any) -> Any:
    """The mpf value (:data:`DIGITS` digits) of a closed real expression, None otherwise."""
    if not isinstance(expr, sp.Basic) or expr.free_symbols or undefined_functions(expr):
        return None  # (sympy's evalf of f'(3), f undefined, recurses without end)
    try:
        value = sp.N(expr.doit() if expr.has(sp.Sum, sp.Derivative) else expr, DIGITS)
    except (TypeError, ValueError, ZeroDivisionError, NotImplementedError):
        return None
    if not value.is_number or value.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        return None
    if value.is_real is False:
        re_, im_ = value.as_real_imag()
        if abs(im_) > 10 ** -(DIGITS - 5):
            return None
        value = re_
    try:
        return mpmath.mpf(sp.Float(value, DIGITS)._mpf_)
    except (TypeError, ValueError):
        return None


def symbol_label(sym: Any) -> str:
    name = getattr(sym, "name", str(sym))
    return name[1:].split("[")[0].split(".")[-1] if name.startswith("@") else name


# --------------------------------------------------------------------------- transformations for diagnoses


def with_log10(expr: Any) -> Any:
    """``expr`` with every natural log read as log base 10."""
    if not isinstance(expr, sp.Basic) or not expr.has(sp.log):
        return expr
    return expr.replace(sp.log, lambda *a: sp.log(a[0]) / sp.log(10) if len(a) == 1 else sp.log(*a))


def sign_flips(expr: Any) -> list[Any]:
    """``-expr`` and ``expr`` with the sign of one of its terms flipped."""
    out = [-expr]
    if isinstance(expr, sp.Add):
        for term in expr.args:
            out.append(expr - 2 * term)
    return out
