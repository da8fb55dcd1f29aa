"""The mathematics of checking a student's lines (runs in a bounded worker).

A :class:`ProblemMath` holds what the problem defines, in *canonical keys*
(the :func:`engine.read.chains.quantity_key` of a symbol's name): the givens
(``x = 3``), the answers (``@autodiff.trace.v3``: the value of v_3), the
definitions of the worked solution (``u = x^2/log x``, ``\\hat{m}_1 =
m_1/(1 - beta_1)``) and the one-step definitions used for local partials
(the primal trace ``v_6 = v_4 v_5``). A student's symbol is mapped to a key
by the alias table of :mod:`engine.read.chains` (``N_3`` and ``v_3`` are both
``@autodiff.trace.v3``), so the student's notation and the problem's meet.

An expression is *resolved* in one of two modes:

* ``problem``: every quantity takes the problem's value;
* ``student``: a quantity the student has already given a value (the
  environment ``env``) takes the student's value, with the half unit of its
  last written digit as its uncertainty, propagated to first order
  (|df/dx_i| h_i summed). This is "error carried forward".

Comparison (:func:`compare`) is numeric at the precision written (round half
away from zero: ``0.25`` is ``0.3`` at one digit, not ``0.2``), elementwise for
matrices, and symbolic (``simplify``, then random points) otherwise. It says
"equal", "different" or "undecided" with the reason; it never guesses.

Nothing here reads raw text except through :func:`engine.read.parse.parse_latex`;
no ``sympify``/``eval`` anywhere.
"""
from __future__ import annotations

import pickle
import random
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Mapping

import mpmath
import sympy as sp

from engine.check.names import match_name, same_quantity
from engine.read.chains import quantity_key

#: Digits of the numeric evaluations.
DIGITS = 40
#: Relative agreement required at random points for a symbolic "equal".
SPOT_TOLERANCE = mpmath.mpf(10) ** -12
#: Random points of a symbolic comparison.
SPOT_POINTS = 6
#: Substitution rounds before a resolution gives up (cyclic definitions).
MAX_ROUNDS = 25
#: Largest printed size of an expression kept (characters of its str).
MAX_EXPR_SIZE = 20_000

_ACCENT_NAME = re.compile(r"^(bar|hat|tilde|vec|dot|ddot|check|breve|acute|grave)\{")


class Undecided(Exception):
    """The comparison cannot be decided; the message says why (one line)."""


#: What a failure of sympy on a student's expression means for the reader
#: (first match wins). Only these are caught, in the tasks of the check;
#: anything else is a bug and reaches the report as the worker's error.
FAILURES: tuple[tuple[tuple[type, ...], str], ...] = (
    ((RecursionError,), "it is nested too deeply for the algebra system"),
    ((ZeroDivisionError,), "it divides by zero"),
    ((OverflowError,), "a number in it is too large to evaluate"),
    ((NotImplementedError, sp.PolynomialError), "the algebra system has no rule for it"),
    ((TypeError, ValueError, AttributeError, IndexError, KeyError),
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
    the student never writes the problem key; index_letters: letters whose
    superscripts are indices; functions: names applied as functions."""

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
    index_letters: frozenset = frozenset()
    functions: frozenset = frozenset()
    symbols: frozenset = frozenset()

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


# --------------------------------------------------------------------------- student values


class Sealed:
    """A sympy object built from student text, carried between processes as
    pickled bytes and unpickled only where it is used (in a bounded worker).

    Unpickling a sympy expression runs its constructors: an unevaluated
    ``9^{9^9}`` becomes a huge integer on the way in. So the orchestrating
    process never unpickles one: it receives and forwards the bytes."""

    __slots__ = ("_obj", "_data")

    def __init__(self, obj: Any = None, data: bytes | None = None):
        self._obj = obj
        self._data = data

    def get(self) -> Any:
        if self._obj is None and self._data is not None:
            self._obj = pickle.loads(self._data)  # our own bytes, in a worker
        return self._obj

    def __reduce__(self):
        data = self._data if self._data is not None else pickle.dumps(self._obj, protocol=pickle.HIGHEST_PROTOCOL)
        return (Sealed, (None, data))


class StudentValue:
    """A value the student gave a quantity: the expression (canonical),
    the half unit of its last written digit (0 when exact), the line."""

    __slots__ = ("_value", "half_unit", "line")

    def __init__(self, value: Any, half_unit: Fraction = Fraction(0), line: int = 0):
        self._value = value if isinstance(value, Sealed) else Sealed(value)
        self.half_unit = half_unit
        self.line = line

    @property
    def value(self) -> Any:
        return self._value.get()

    def __reduce__(self):
        return (StudentValue, (self._value, self.half_unit, self.line))

    def __repr__(self) -> str:
        return f"StudentValue(line={self.line}, half_unit={self.half_unit})"


class Evaluated:
    """An expression resolved in one mode.

    expr: the resolved expression (canonical symbols, givens substituted);
    number: its value (mpf, or a list of them for a matrix) when closed and
    real, else None; error: the propagated uncertainty from the student's
    rounded values; used: the student keys it used; unknown: keys neither
    the problem nor the student defines."""

    __slots__ = ("_expr", "number", "error", "used", "unknown")

    def __init__(self, expr: Any, number: Any = None, error: Any = 0, used: tuple[str, ...] = (),
                 unknown: tuple[str, ...] = ()):
        self._expr = expr if isinstance(expr, Sealed) else Sealed(expr)
        self.number = number
        self.error = error
        self.used = used
        self.unknown = unknown

    @property
    def expr(self) -> Any:
        return self._expr.get()

    def __reduce__(self):
        return (Evaluated, (self._expr, self.number, self.error, self.used, self.unknown))

    def __repr__(self) -> str:
        return f"Evaluated(number={self.number}, used={self.used}, unknown={self.unknown})"


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
                value = _answer_value(pm, s.name)
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
        # an entry carries the uncertainty of its own decimals only
        parts = [resolve(pm, e, mode, env, {a: h for a, h in (literals or {}).items() if e.has(a)}, part,
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
    if literals:
        repl = {}
        for atom, half in literals.items():
            if half and expr.has(atom):
                d = sp.Dummy("lit")
                repl[atom] = d
                uncertain[d] = (atom, half)
            elif half and atom != 0:
                folded += half / abs(Fraction(int(atom.p), int(atom.q)))
        if repl:
            expr = expr.xreplace(repl)
    student_dummies: dict[str, sp.Dummy] = {}
    for _ in range(MAX_ROUNDS):
        mapping = {}
        for s in expr.free_symbols:
            if not isinstance(s, sp.Symbol) or isinstance(s, sp.Dummy):
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
                value = _answer_value(pm, key)
                if value is not None and not (mode == "symbolic" and _is_number(value)):
                    mapping[s] = value
            elif key in defs:
                value = defs[key]
                if not (mode == "symbolic" and _is_number(value)):
                    mapping[s] = value
        if not mapping:
            break
        expr = expr.xreplace(mapping)
    else:
        raise Undecided("the definitions do not terminate")
    if mode != "symbolic" and not keep_givens and not (isinstance(expr, sp.Basic) and expr.has(sp.Order)):
        # (an expansion keeps its symbols: O(epsilon^2) at epsilon = 1e-8 means nothing)
        givens = {pm.canon(k): v for k, v in pm.givens.items() if not isinstance(v, list)}
        expr = _replace_matrices(expr, givens)
    unknown = tuple(sorted(s.name for s in expr.free_symbols
                           if isinstance(s, sp.Symbol) and not isinstance(s, sp.Dummy) and not pm.known(s.name)))
    free = [s for s in expr.free_symbols if s not in uncertain]
    number, error = None, mpmath.mpf(0)
    if not free:
        point = {d: v for d, (v, _) in uncertain.items()}
        number = _number(expr.xreplace(point))
        if number is not None:
            for d, (_, half) in uncertain.items():
                slope = _number(sp.diff(expr, d).xreplace(point))
                if slope is None:
                    number = None
                    break
                error += abs(slope) * mpmath.mpf(half.numerator) / half.denominator
        if number is not None and folded:
            # first order for products and quotients of the folded decimals
            error += abs(number) * mpmath.mpf(folded.numerator) / folded.denominator
    plain = expr.xreplace({d: v for d, (v, _) in uncertain.items()})
    return Evaluated(plain, number, error, tuple(sorted(used)), unknown)


def _replace_matrices(expr: Any, givens: dict) -> Any:
    """Substitute the givens; a matrix given (W) makes its product a matrix."""
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


def _answer_value(pm: ProblemMath, key: str) -> Any:
    m = re.fullmatch(r"@([^\[]+)(?:\[([\d,]+)\])?", key)
    if not m:
        return None
    value = pm.expected.get(m.group(1))
    if value is None:
        return None
    if m.group(2):
        index = tuple(int(i) for i in m.group(2).split(","))
        try:
            if isinstance(value, sp.MatrixBase):
                if len(index) == 1:
                    return value[index[0]] if 1 in value.shape else None
                return value[index[0], index[1]]
        except IndexError:
            return None
        return None
    return value


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
        if _spot_check(pm, ea, eb, seed + length).verdict != "equal":
            return False
    return True


def _number(expr: Any) -> Any:
    """The mpf value of a closed real expression, None otherwise."""
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
    except (TypeError, ValueError, AttributeError):
        return None


# --------------------------------------------------------------------------- comparison


@dataclass(frozen=True)
class Written:
    """A number literal as written: exact value and half unit of the last digit."""

    value: Fraction
    half_unit: Fraction
    text: str = ""


@dataclass(frozen=True)
class Comparison:
    """The outcome of :func:`compare`: "equal", "different" or "undecided",
    with a phrase for the reader and, for numbers, the two values."""

    verdict: str
    detail: str
    left: Any = None
    right: Any = None


def _mpf(x: Fraction) -> Any:
    return mpmath.mpf(x.numerator) / x.denominator


def rounds_to(value: Any, written: Written, slack: Any = 0) -> bool:
    """Whether ``value`` written to the digits of ``written`` gives it
    (round half away from zero), allowing ``slack`` more."""
    b = _mpf(written.value)
    h = _mpf(written.half_unit)
    if not written.half_unit:
        return abs(value - b) <= slack + mpmath.mpf(10) ** -(DIGITS - 8) * max(1, abs(b))
    if slack:
        return abs(value - b) <= h + slack
    # exactly, in rationals: the boundary (0.25 at one digit) must not be decided by binary rounding
    diff = _fraction_of(value) - written.value
    half = written.half_unit
    if written.value >= 0:
        return -half <= diff < half
    return -half < diff <= half


def _fraction_of(value: Any) -> Fraction:
    """The exact binary value of an mpf as a Fraction."""
    sign, man, exp, _ = mpmath.mpf(value)._mpf_
    f = Fraction(int(man)) * (Fraction(2) ** exp)
    return -f if sign else f


def fmt(value: Any, digits: int = 8) -> str:
    """A short decimal of an mpf, for messages (integers without ".0")."""
    if value is None:
        return "?"
    if value == int(value) and abs(value) < 10**15:
        return str(int(value))
    return mpmath.nstr(value, digits, strip_zeros=True)


def compare_numbers(a: Evaluated, b: Evaluated, wa: Written | None, wb: Written | None,
                    relation: str = "equal") -> Comparison:
    """Two closed numbers at the precision written (see the module docstring)."""
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
        return Comparison("equal", f"{fmt(x)} = {fmt(y)} {where}", x, y)
    return Comparison("different", f"{fmt(x)} is not {fmt(y)}" + (" at the digits written" if "digits" in where
                                                                  else ""), x, y)


def compare(pm: ProblemMath, a: Evaluated, b: Evaluated, wa: Written | None = None, wb: Written | None = None,
            relation: str = "equal", seed: int = 20181) -> Comparison:
    """Compare two resolved expressions (scalars or matrices)."""
    ea, eb = a.expr, b.expr
    if isinstance(ea, sp.MatrixBase) or isinstance(eb, sp.MatrixBase):
        return _compare_matrices(pm, a, b, relation, seed)
    if a.number is not None and b.number is not None:
        return compare_numbers(a, b, wa, wb, relation)
    return compare_symbolic(pm, ea, eb, relation, seed, unknown=set(a.unknown) ^ set(b.unknown))


def _compare_matrices(pm: ProblemMath, a: Evaluated, b: Evaluated, relation: str, seed: int) -> Comparison:
    ea, eb = a.expr, b.expr
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
    errors_a = a.error if isinstance(a.error, list) else [0] * len(ea)
    errors_b = b.error if isinstance(b.error, list) else [0] * len(eb)
    for k, (x, y) in enumerate(zip(ea, eb)):
        ex = Evaluated(x, _number(x), errors_a[k])
        ey = Evaluated(y, _number(y), errors_b[k])
        c = compare(pm, ex, ey, None, None, relation, seed)
        if c.verdict != "equal":
            i, j = divmod(k, ea.cols)
            return Comparison(c.verdict, f"entry ({i + 1}, {j + 1}): {c.detail}")
    return Comparison("equal", f"all {len(ea)} entries agree")


def compare_symbolic(pm: ProblemMath, a: Any, b: Any, relation: str = "equal", seed: int = 20181,
                     unknown: set | None = None) -> Comparison:
    """Symbolic comparison: simplify(a - b) == 0, else random points."""
    if isinstance(a, sp.Eq) or isinstance(b, sp.Eq):
        raise Undecided("an equation is compared with an expression")
    if relation == "approx" and pm.small:
        zero = {pm.canon(k): 0 for k in pm.small}
        a, b = _limit_small(a, zero), _limit_small(b, zero)
    if a.has(sp.Order) or b.has(sp.Order):
        return _compare_series(pm, a, b, seed)
    diff = sp.Add(a, -b)
    if diff == 0:
        return Comparison("equal", "identical")
    if len(sp.srepr(diff)) > MAX_EXPR_SIZE:
        raise Undecided("the expressions are too large to compare")
    try:
        if sp.simplify(diff) == 0:
            return Comparison("equal", "the difference simplifies to 0")
    except (TypeError, ValueError, NotImplementedError, AttributeError, sp.PolynomialError):
        pass
    names = undefined_functions(diff)
    if names:
        raise Undecided(f"uses the function{'s' if len(names) > 1 else ''} {', '.join(names)}, "
                        "which the checker has no definition of")
    entries = summed_entries(diff)
    if entries and _equal_for_each_length(pm, a, b, seed):
        return Comparison("equal", f"equal for every number of terms K from {SUM_LENGTHS[0]} to {SUM_LENGTHS[-1]} "
                          "at random points (the sums written out)")
    if entries:
        raise Undecided(f"it takes entries of {', '.join(entries)} at a symbolic index (a sum over i): "
                        "the two sides do not simplify to the same form, and such terms have no value to test")
    verdict = _spot_check(pm, a, b, seed)
    if verdict.verdict == "different" and unknown:
        raise Undecided(f"uses {', '.join(sorted(unknown))}, which neither the problem nor the solution defines")
    return verdict


def _limit_small(expr: Any, zero: dict) -> Any:
    """The leading order of ``expr`` in the problem's small quantities
    (epsilon, delta): they are set to 0."""
    if expr.has(sp.Order):
        expr = expr.removeO()
    return expr.xreplace(zero)


def _compare_series(pm: ProblemMath, a: Any, b: Any, seed: int) -> Comparison:
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
    try:
        series = sp.series(diff, var, 0, n).removeO()
        if sp.simplify(series) == 0:
            return Comparison("equal", f"the expansions agree up to O({var}^{n})")
    except (TypeError, ValueError, NotImplementedError, sp.PolynomialError):
        pass
    # numeric: the difference must vanish like var^n
    rng = random.Random(seed)
    syms = sorted(diff.free_symbols - {var}, key=str)
    worst = None
    for _ in range(SPOT_POINTS):
        point = _sample(pm, syms, rng)
        small = mpmath.mpf(10) ** -8
        try:
            value = _number(diff.xreplace(point).xreplace({var: sp.Float(small, DIGITS)}))
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


def _sample(pm: ProblemMath, syms: list, rng: random.Random) -> dict:
    point = {}
    for s in syms:
        lo, hi = pm.domain.get(s.name, (None, None))
        if lo is None:
            if s.is_positive or s.is_nonnegative:
                lo, hi = 0.3, 2.5
            elif s.is_integer:
                point[s] = sp.Integer(rng.randint(2, 6))
                continue
            else:
                sign = rng.choice((-1, 1))
                value = sign * rng.uniform(0.3, 2.5)
                point[s] = sp.Float(value, DIGITS)
                continue
        point[s] = sp.Float(rng.uniform(lo, hi), DIGITS)
    return point


def _spot_check(pm: ProblemMath, a: Any, b: Any, seed: int) -> Comparison:
    rng = random.Random(seed)
    syms = sorted((a.free_symbols | b.free_symbols), key=str)
    good = 0
    failed = ""
    for _ in range(SPOT_POINTS * 4):
        point = _sample(pm, syms, rng)
        try:
            va, vb = _number(a.xreplace(point)), _number(b.xreplace(point))
        except SYMPY_FAILURES as exc:
            failed = failure_reason(exc)
            continue
        if va is None or vb is None:
            continue
        scale = max(mpmath.mpf(1), abs(va), abs(vb))
        if abs(va - vb) > SPOT_TOLERANCE * scale:
            where = ", ".join(f"{symbol_label(k)} = {fmt(mpmath.mpf(v._mpf_) if hasattr(v, '_mpf_') else v, 4)}"
                              for k, v in list(point.items())[:4])
            digits = 6
            while digits < 30 and fmt(va, digits) == fmt(vb, digits):
                digits += 3
            return Comparison("different", f"at {where or 'the given values'} they are {fmt(va, digits)} "
                              f"and {fmt(vb, digits)}", va, vb)
        good += 1
        if good >= SPOT_POINTS:
            break
    if good < SPOT_POINTS // 2:
        if failed:
            raise Undecided(f"the two sides could not be evaluated at random points: {failed}")
        raise Undecided("too few random points where both sides are finite and real")
    return Comparison("equal", f"equal at {good} random points (no closed-form proof)")


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
