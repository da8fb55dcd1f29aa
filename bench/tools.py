"""The answer checkers the benchmark compares, each a function run in a
worker of :class:`engine.sandbox.Pool` under the same wall-time budget.

Every function takes ``(reference, student, problem, ...)`` LaTeX strings
and returns ``(verdict, reason)`` with a verdict of "equal", "different"
or "undecided"; a worker killed at the budget is "undecided". Time per pair
is measured by the pool in the parent, parsing included, the same way for
every tool.

* ``derive``: :func:`engine.check.equiv.compare` (what ``derive equiv`` runs).
* ``math_verify``: Math-Verify's ``verify(parse(gold), parse(target))``
  with each side wrapped in ``$...$`` (its documented input), at its
  defaults or with a tuned ``float_rounding``. It answers True or False:
  True is "equal", False "different"; a side it extracts nothing from is
  "undecided".
* ``sympy_simplify`` and ``sympy_equals``: both sides parsed by
  :func:`engine.read.parse.parse_latex` (our parser, same conventions), the
  problem's definitions substituted and derivatives/sums evaluated as
  derive does (:mod:`engine.check.context`), an equation compared by its
  right-hand side and a chain ``a = b \\approx c`` by its last member, so
  only the decision differs: ``simplify(a - b) == 0`` ("different"
  otherwise), or ``a.equals(b)`` (True, False, or None = "undecided").
  Matrices entry by entry; a shape mismatch is "different".
"""
from __future__ import annotations

import logging

#: Math-Verify's own default ``float_rounding`` (decimal places).
MV_DEFAULT_ROUNDING = 6
#: The values tried when tuning ``float_rounding`` on the pair set.
MV_ROUNDINGS = (1, 2, 3, 4, 5, 6, 8, 10)


# --------------------------------------------------------------------------- Math-Verify


def _quiet_math_verify() -> None:
    for name in ("math_verify", "math_verify.grader", "math_verify.parser"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def math_verify(reference: str, student: str, problem: str | None, float_rounding: int = MV_DEFAULT_ROUNDING
                ) -> tuple[str, str]:
    """Math-Verify's verdict on one pair (``problem`` is not used: it has no notion of one)."""
    from math_verify import parse, verify

    _quiet_math_verify()
    gold = parse(f"${reference}$")
    target = parse(f"${student}$")
    if not gold:
        return "undecided", "Math-Verify extracted nothing from the reference"
    if not target:
        return "undecided", "Math-Verify extracted nothing from the answer"
    ok = verify(gold, target, float_rounding=float_rounding)
    return ("equal", "verify: True") if ok else ("different", "verify: False")


def math_verify_sweep(reference: str, student: str, problem: str | None,
                      roundings: tuple[int, ...] = MV_ROUNDINGS) -> dict[int, str]:
    """Math-Verify's verdict at each ``float_rounding`` (parsed once)."""
    from math_verify import parse, verify

    _quiet_math_verify()
    gold, target = parse(f"${reference}$"), parse(f"${student}$")
    if not gold or not target:
        return {r: "undecided" for r in roundings}
    return {r: "equal" if verify(gold, target, float_rounding=r) else "different" for r in roundings}


def warm_math_verify() -> None:
    """Math-Verify's parser and grader used once in this process (before
    the workers fork, as derive's parser is warmed up)."""
    _quiet_math_verify()
    for reference, student in ((r"\frac{x^2}{\log x}", r"x^2/\ln x"), ("138357544", r"1.38 \times 10^{8}"),
                               (r"\begin{bmatrix}1 & 2\\ 3 & 4\end{bmatrix}", r"\sqrt{g_1^2} + \epsilon")):
        math_verify(reference, student, None)


# --------------------------------------------------------------------------- sympy baselines


def _side(text: str, ctx):
    """One side as the sympy baselines see it: our parser, the problem's
    definitions, the last member of a chain, the right-hand side of an equation."""
    import sympy as sp

    from engine.read.parse import clean, parse_latex, top_level_relations

    text = clean(text)
    relations = top_level_relations(text)
    if len(relations) > 1 or any(r not in ("=", ":=") for _, _, r in relations):
        text = text[relations[-1][1]:].strip()
    expr = parse_latex(text, **ctx.parse_options())
    if isinstance(expr, sp.Eq):
        expr = expr.rhs
    expr = ctx.expand(expr)
    if isinstance(expr, sp.Tuple):
        expr = sp.Matrix([list(expr)])
    if isinstance(expr, sp.Basic) and not isinstance(expr, sp.MatrixBase):
        expr = expr.doit()
    elif isinstance(expr, sp.MatrixBase):
        expr = expr.applyfunc(lambda e: e.doit())
    return expr


def _sides(reference: str, student: str, problem: str | None):
    from engine.check.context import context_for
    from engine.read.parse import ParseError

    ctx = context_for(problem)
    try:
        return _side(reference, ctx), _side(student, ctx), ""
    except ParseError as exc:
        return None, None, f"our parser cannot read it: {exc}"


def _entries(a, b):
    """Pairs of scalars to compare, or a reason they cannot match."""
    import sympy as sp

    a_mat, b_mat = isinstance(a, sp.MatrixBase), isinstance(b, sp.MatrixBase)
    if a_mat != b_mat:
        return None, "a matrix against a scalar"
    if a_mat:
        if a.shape != b.shape:
            return None, f"shapes {a.shape} and {b.shape}"
        return list(zip(a, b)), ""
    if not (isinstance(a, sp.Expr) and isinstance(b, sp.Expr)):
        return None, f"{type(a).__name__} against {type(b).__name__}"
    return [(a, b)], ""


def sympy_simplify(reference: str, student: str, problem: str | None) -> tuple[str, str]:
    """``simplify(a - b) == 0`` after our parser (see the module docstring)."""
    import sympy as sp

    a, b, why = _sides(reference, student, problem)
    if why:
        return "undecided", why
    entries, why = _entries(a, b)
    if entries is None:
        return "different", why
    for x, y in entries:
        if sp.simplify(x - y) != 0:
            return "different", "simplify(a - b) is not 0"
    return "equal", "simplify(a - b) == 0"


def sympy_equals(reference: str, student: str, problem: str | None) -> tuple[str, str]:
    """``a.equals(b)`` after our parser: True, False or None (undecided)."""
    a, b, why = _sides(reference, student, problem)
    if why:
        return "undecided", why
    entries, why = _entries(a, b)
    if entries is None:
        return "different", why
    undecided = False
    for x, y in entries:
        result = x.equals(y)
        if result is False:
            return "different", "equals: False"
        if result is None:
            undecided = True
    return ("undecided", "equals: None") if undecided else ("equal", "equals: True")
