"""The problem model: a problem, its parameters, its parts and their verified steps.

A derivation module in ``derivations/`` defines one :class:`Problem` named
``PROBLEM``: an id, a title, the sheet, its parameters with exact defaults,
the answer ids it promises (the contract of ``shared/problems.md``), and a
``solve(sol)`` function that writes the statement and the parts::

    def solve(sol: Solution) -> None:
        x = sol.symbol("x")
        sol.statement(r"Differentiate $f(x) = x^2$ at $x = %s$." % sol.latex("x"))
        with sol.part("a", "The derivative") as part:
            d = part.derivation(sp.Derivative(x**2, x))
            d.step(2 * x, "power rule")
            part.answer("demo.df_dx", d.result, label=r"\\frac{df}{dx}")

Every ``step`` is proven equal to the one before it when it is added
(:mod:`engine.model.verify`); a wrong step raises :class:`VerificationError`
naming the problem, the part and the step. Answers are evaluated at the
parameters by :mod:`engine.math.numbers`.
"""
from __future__ import annotations

import contextlib
import json
import random
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import sympy as sp

from engine.math import numbers
from engine.errors import UsageError, VerificationError
from engine.math.latex import to_latex
from engine.model.checking import Checking
from engine.model.verify import Context, NotEqual, Proof, prove_equal, prove_series


# --------------------------------------------------------------------------- parameters


def exact(value: Any, words: tuple[str, ...] = ()) -> Any:
    """An exact sympy value for a parameter default: ``0.9`` -> ``9/10``
    (through the decimal string, so no binary rounding creeps in), ints stay
    ints, nested lists become lists of exact values; inside lists, strings
    listed in ``words`` (layer kinds such as ``"conv"``) stay strings."""
    if isinstance(value, (list, tuple)):
        return [v if isinstance(v, str) and v in words else exact(v, words) for v in value]
    if isinstance(value, sp.MatrixBase):
        return value.applyfunc(exact)
    if isinstance(value, float):
        frac = Fraction(Decimal(repr(value)))
        return sp.Rational(frac.numerator, frac.denominator)
    if isinstance(value, str):
        return parse_number(value)
    return numbers.as_basic(value) if not isinstance(value, sp.Basic) else value


def parse_number(text: str, name: str = "value") -> sp.Rational:
    """Parse a user-typed number exactly: ``0.8``, ``-3``, ``1e-8``, ``2/3``.

    Raises UsageError (one line, says what to write) for anything else. This
    never calls sympify: it goes through :class:`decimal.Decimal`."""
    t = text.strip()
    try:
        if "/" in t:
            num, den = t.split("/", 1)
            frac = Fraction(Decimal(num.strip())) / Fraction(Decimal(den.strip()))
        else:
            frac = Fraction(Decimal(t))
    except (InvalidOperation, ValueError, ZeroDivisionError, OverflowError):
        raise UsageError(
            f"{name}={text!r} is not a number; write a decimal like 0.9, 1e-8 or a fraction like 9/10"
        ) from None
    if not Decimal(frac.numerator).is_finite():  # pragma: no cover - Fraction rejects inf/nan
        raise UsageError(f"{name}={text!r} is not a finite number")
    return sp.Rational(frac.numerator, frac.denominator)


@dataclass(frozen=True)
class Parameter:
    """A given of the problem, overridable with ``--set name=value``.

    name: the CLI name (``beta_1``); default: the exact value of the sheet
    (a number, or for ``kind="matrix"``/``"list"`` nested lists of numbers);
    latex: how the statement writes it; description: what it is, with units;
    domain: (lo, hi) that keeps the problem well posed, used by exam
    variants and by the numeric spot checks; sample: for non-scalar
    parameters, a function ``random.Random -> value`` drawing a variant."""

    name: str
    default: Any
    latex: str = ""
    description: str = ""
    kind: str = "scalar"  # "scalar" | "matrix" | "list"
    domain: tuple[Any, Any] | None = None
    sample: Callable[[random.Random], Any] | None = None
    integer: bool = False
    words: tuple[str, ...] = ()  # strings allowed inside a "list" value (layer kinds)

    def parse(self, text: str) -> Any:
        """The exact value of ``--set name=text``; UsageError if it is not one."""
        if self.kind == "scalar":
            value = parse_number(text, self.name)
            if self.integer and value.q != 1:
                raise UsageError(f"{self.name}={text!r}: {self.name} must be a whole number")
            return value
        try:
            raw = json.loads(text)
        except json.JSONDecodeError:
            raise UsageError(
                f"{self.name}={text!r} is not a list; write it as JSON, e.g. {json.dumps(plain_value(self.default))}"
            ) from None
        return _exact_nested(raw, self.name, self.words)


def plain_value(value: Any) -> Any:
    """A parameter value as JSON: integers as int, other numbers as float, matrices as nested lists."""
    if isinstance(value, (list, tuple)):
        return [plain_value(v) for v in value]
    if isinstance(value, sp.MatrixBase):
        return [[plain_value(value[i, j]) for j in range(value.cols)] for i in range(value.rows)]
    if isinstance(value, sp.Basic) and value.is_Integer:
        return int(value)
    if isinstance(value, sp.Basic) and value.is_number:
        return float(value)
    return value


def _exact_nested(raw: Any, name: str, words: tuple[str, ...] = ()) -> Any:
    if isinstance(raw, list):
        return [_exact_nested(v, name, words) for v in raw]
    if isinstance(raw, str) and raw in words:
        return raw
    if isinstance(raw, str) and words and raw.isalpha():
        raise UsageError(f"{name}: {raw!r} is not one of {', '.join(words)}")
    if isinstance(raw, bool) or raw is None:
        raise UsageError(f"{name}: {raw!r} is not a number")
    if isinstance(raw, (int, float)):
        return parse_number(repr(raw), name)
    if isinstance(raw, str):
        return parse_number(raw, name)
    raise UsageError(f"{name}: {raw!r} is not a number")


# --------------------------------------------------------------------------- blocks


@dataclass(frozen=True)
class Tex:
    """A piece of LaTeX math written by a derivation module (trusted)."""

    source: str


@dataclass
class Text:
    """Prose: plain text with ``$...$`` inline math. Rendered escaped outside
    the math, so it is valid in LaTeX and in Markdown alike."""

    source: str
    kind: str = "text"


@dataclass
class Step:
    """One line of a derivation: ``relation`` expr, justified by ``rule``.

    relation: "=" (exact), "series" (expansion in ``var`` to ``order``), or
    "def" (the first line, a definition or given: not verified); proof: how
    it was verified (None for the first line)."""

    expr: Any
    rule: str
    relation: str = "="
    proof: Proof | None = None
    var: Any = None
    order: int | None = None

    @property
    def latex(self) -> str:
        return to_latex(self.expr)


@dataclass
class Derivation:
    """An ordered chain ``lhs = e_1 = e_2 = ...``, each step proven equal to
    the one before it (the first to ``lhs`` when ``lhs`` can be evaluated)."""

    lhs: Any
    context: Context
    where: str  # "autodiff, part (a)" for error messages
    title: str = ""
    steps: list[Step] = field(default_factory=list)
    kind: str = "derivation"
    #: False in a solve under a Mistake (``Problem.solve(choices=...)``): its
    #: steps are wrong on purpose and recorded unproven; never rendered.
    verify: bool = True

    def step(self, expr: Any, rule: str) -> "Derivation":
        """Add ``= expr`` justified by ``rule`` (the field's term: "chain rule",
        "bias correction", ...). Raises VerificationError if it does not follow."""
        previous = self.steps[-1].expr if self.steps else self.lhs
        if not self.verify:
            self.steps.append(Step(expr, rule, relation="def" if previous is None else "="))
            return self
        if previous is None:
            self.steps.append(Step(expr, rule, relation="def"))
            return self
        try:
            proof = prove_equal(previous, expr, self.context)
        except NotEqual as exc:
            raise VerificationError(self._where(rule) + f" does not follow from the line before: {exc}") from None
        self.steps.append(Step(expr, rule, proof=proof))
        return self

    def series(self, expr: Any, var: sp.Symbol, order: int, rule: str = "") -> "Derivation":
        """Add ``= expr`` where expr is the expansion of the previous line in
        ``var`` about 0 to ``O(var**order)`` (write the O-term in expr)."""
        previous = self.steps[-1].expr if self.steps else self.lhs
        if not rule:
            rule = f"series expansion in ${to_latex(var)}$ about 0, up to $O({to_latex(var ** order)})$"
        if not self.verify:
            self.steps.append(Step(expr, rule, relation="series", var=var, order=order))
            return self
        try:
            proof = prove_series(previous, expr, var, order, self.context)
        except NotEqual as exc:
            raise VerificationError(self._where(rule) + f" is not the expansion of the line before: {exc}") from None
        self.steps.append(Step(expr, rule, relation="series", proof=proof, var=var, order=order))
        return self

    def _where(self, rule: str) -> str:
        return f"{self.where}, step {len(self.steps) + 1} ({rule})"

    @property
    def result(self) -> Any:
        """The last right-hand side."""
        return self.steps[-1].expr if self.steps else self.lhs

    @property
    def lhs_latex(self) -> str:
        return to_latex(self.lhs) if self.lhs is not None else ""


@dataclass
class Table:
    """A table: headers are LaTeX math or plain text (Tex for math), rows are
    lists of cells: str (plain text, escaped), Tex (math), sympy (printed as
    math; closed numbers by the display policy)."""

    headers: list[Any]
    rows: list[list[Any]]
    caption: str = ""
    kind: str = "table"


@dataclass
class Code:
    """A code listing (a PyTorch snippet), verbatim."""

    source: str
    language: str = "python"
    caption: str = ""
    kind: str = "code"


@dataclass
class Answer:
    """A named final answer (boxed in every output).

    id: the contract id of problems.md (``autodiff.df_dx``); value: a sympy
    expression or matrix, a list of them, or None for a text-only answer;
    label: LaTeX of the quantity (``\\frac{df}{dx}``); text: prose for
    explanatory answers (``adam.warmup``)."""

    id: str
    value: Any
    label: str = ""
    text: str | None = None
    kind: str = "answer"

    @property
    def latex(self) -> str:
        """The answer as LaTeX: exact form, with ``\\approx`` 6 digits for
        closed non-simple numbers."""
        if self.value is None:
            return ""
        if isinstance(self.value, (list, tuple)):
            return to_latex(sp.Matrix([self.value]))
        if numbers.is_numeric(self.value) and not isinstance(self.value, sp.MatrixBase):
            exact_tex = to_latex(self.value)
            if numbers.is_exact_simple(self.value):
                return exact_tex
            approx = numbers.latex_number(self.value)
            if exact_tex == approx or self.value.is_Float:
                return approx
            return rf"{exact_tex} \approx {approx}"
        if isinstance(self.value, sp.MatrixBase) and numbers.is_numeric(self.value):
            return to_latex(self.value.applyfunc(_display_entry))
        return to_latex(self.value)

    @property
    def json_value(self) -> Any:
        return numbers.to_json(self.value) if self.value is not None else None


def _display_entry(e: sp.Basic) -> sp.Basic:
    if numbers.is_exact_simple(e):
        return e
    return sp.Float(numbers.format_number(e), numbers.DISPLAY_DIGITS)


# --------------------------------------------------------------------------- parts


@dataclass
class Part:
    """A numbered part (a), (b), ... : an ordered list of blocks."""

    label: str
    title: str
    solution: "Solution"
    blocks: list[Any] = field(default_factory=list)
    definitions: dict = field(default_factory=dict)

    def text(self, source: str) -> Text:
        """Add a paragraph: plain text with ``$...$`` math."""
        block = Text(source)
        self.blocks.append(block)
        return block

    def define(self, symbol: sp.Basic, expr: Any) -> None:
        """Name an intermediate quantity (u = x^2/log x) for the steps that
        follow: substituted when verifying, kept when displaying."""
        self.definitions[symbol] = expr

    def derivation(self, lhs: Any = None, title: str = "", *, instances: Mapping | None = None) -> Derivation:
        """Start a chain ``lhs = ...``; with lhs None the first step is a given."""
        sol = self.solution
        ctx = Context(
            definitions={**sol.definitions, **self.definitions},
            domain=sol.domain,
            instances=instances or {},
            seed=sol.seed,
        )
        d = Derivation(lhs, ctx, where=f"{sol.problem.id}, part ({self.label})", title=title,
                       verify=not sol.choices)
        self.blocks.append(d)
        return d

    def table(self, headers: Sequence[Any], rows: Iterable[Sequence[Any]], caption: str = "") -> Table:
        block = Table(list(headers), [list(r) for r in rows], caption)
        self.blocks.append(block)
        return block

    def code(self, source: str, language: str = "python", caption: str = "") -> Code:
        block = Code(source.strip("\n"), language, caption)
        self.blocks.append(block)
        return block

    def answer(self, answer_id: str, value: Any = None, *, label: str = "", text: str | None = None) -> Answer:
        """Record answer ``answer_id`` (must be one the problem declares, once)."""
        sol = self.solution
        if answer_id not in sol.problem.answer_ids:
            raise VerificationError(f"{sol.problem.id}, part ({self.label}): answer id {answer_id!r} is not declared")
        if answer_id in sol.answers:
            raise VerificationError(f"{sol.problem.id}: answer {answer_id!r} given twice")
        block = Answer(answer_id, value, label, text)
        sol.answers[answer_id] = block
        self.blocks.append(block)
        return block


@dataclass
class Solution:
    """A problem solved at one set of parameter values.

    params: name -> exact value; statement: LaTeX-with-prose of the problem
    at these values; parts; answers: id -> Answer, every declared id once."""

    problem: "Problem"
    params: dict[str, Any]
    statement_text: str = ""
    parts: list[Part] = field(default_factory=list)
    answers: dict[str, Answer] = field(default_factory=dict)
    definitions: dict = field(default_factory=dict)
    domain: dict = field(default_factory=dict)
    seed: int = 20181
    choices: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.params[name]

    def choice(self, name: str, default: Any) -> Any:
        """A modelling choice of the question (``"log_base"``, ``"bias_correction"``):
        ``default`` in the worked solution, another value when the checker
        solves the question under a :class:`engine.model.checking.Mistake`."""
        return self.choices.get(name, default)

    def latex(self, name: str) -> str:
        """LaTeX of a parameter's value at this solution: ``3``, ``\\frac{9}{10}``
        is shown as ``0.9`` (decimals read as the sheet writes them); a
        ``kind="matrix"`` parameter is shown as a matrix."""
        value = self.params[name]
        if isinstance(value, list) and self.problem.parameter(name).kind == "matrix":
            value = sp.Matrix(value)
        return value_latex(value)

    def statement(self, source: str) -> None:
        """Set the problem statement (prose with ``$...$`` math)."""
        self.statement_text = source

    @contextlib.contextmanager
    def part(self, label: str, title: str) -> Iterator[Part]:
        part = Part(label, title, self)
        self.parts.append(part)
        yield part

    def _repr_markdown_(self) -> str | None:
        """Jupyter: the worked solution as Markdown, by the display hook the
        render stage registers (:mod:`engine.render.notebook`); None (the
        plain repr) when the render stage was never imported."""
        hook = DISPLAY_HOOKS.get("markdown")
        return hook(self) if hook is not None else None

    def _repr_latex_(self) -> str | None:
        """Jupyter/nbconvert: the worked solution as a LaTeX fragment (the
        render stage's hook, as :meth:`_repr_markdown_`)."""
        hook = DISPLAY_HOOKS.get("latex")
        return hook(self) if hook is not None else None


#: Jupyter display hooks: format ("markdown", "latex") -> Solution -> text.
#: The model never imports the render stage; :mod:`engine.render.notebook`
#: registers its renderers here with :func:`register_display` (data flows
#: one way: question -> model -> render).
DISPLAY_HOOKS: dict[str, Callable[["Solution"], str]] = {}


def register_display(fmt: str, hook: Callable[["Solution"], str]) -> None:
    """Show a Solution (and a Problem, solved at its defaults) in Jupyter as
    ``fmt`` ("markdown" or "latex") with ``hook``."""
    if fmt not in ("markdown", "latex"):
        raise ValueError(f"unknown display format {fmt!r}; use 'markdown' or 'latex'")
    DISPLAY_HOOKS[fmt] = hook


def value_latex(value: Any) -> str:
    """LaTeX of a parameter value as a sheet writes it (0.9, 1e-8, 3)."""
    if isinstance(value, (list, tuple)):
        return r"\left(" + ", ".join(value_latex(v) for v in value) + r"\right)"
    if isinstance(value, str):
        return rf"\text{{{value}}}"
    if isinstance(value, sp.MatrixBase):
        return to_latex(value.applyfunc(lambda e: sp.Float(numbers.format_number(e, 15), 15) if e.q != 1 else e))
    value = numbers.as_basic(value)
    if value.is_Integer:
        return str(int(value))
    if value.is_Rational:
        q = value.q
        # a terminating decimal (denominator 2^a 5^b) is written as a decimal
        while q % 2 == 0:
            q //= 2
        while q % 5 == 0:
            q //= 5
        if q == 1:
            return numbers.latex_number(value, 15)
    return to_latex(value)


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class Problem:
    """A homework question: id, title, sheet (a letter; a sheet is its
    questions in catalog order), parameters, the answer ids it promises,
    ``solve(sol)`` which fills a Solution, and ``checking``: everything the
    checker knows of it (:class:`engine.model.checking.Checking`).

    well_posed: optional predicate on the parameter values (no ties in a
    pooling window, distinct logits) used by exam variants; it returns a
    reason string when the values are not acceptable, else None."""

    id: str
    title: str
    sheet: str
    parameters: tuple[Parameter, ...]
    answer_ids: tuple[str, ...]
    solve_fn: Callable[[Solution], None]
    well_posed: Callable[[Mapping[str, Any]], str | None] | None = None
    checking: Checking = field(default_factory=Checking)

    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.parameters) or "none"
        raise UsageError(f"problem {self.id!r} has no parameter {name!r} (its parameters: {known})")

    def defaults(self) -> dict[str, Any]:
        return {p.name: exact(p.default, p.words) for p in self.parameters}

    def values(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Defaults updated with overrides (strings are parsed exactly)."""
        values = self.defaults()
        for name, raw in (overrides or {}).items():
            param = self.parameter(name)
            values[name] = param.parse(raw) if isinstance(raw, str) else exact(raw, param.words)
        if self.well_posed is not None:
            reason = self.well_posed(values)
            if reason:
                raise UsageError(f"problem {self.id!r} is not well posed at these values: {reason}")
        return values

    def solve(self, overrides: Mapping[str, Any] | None = None, *, seed: int = 20181,
              choices: Mapping[str, Any] | None = None) -> Solution:
        """Solve at the defaults updated with ``overrides``; every step is
        verified. ``choices`` changes the module's modelling choices
        (:meth:`Solution.choice`), as a :class:`engine.model.checking.Mistake`
        does. Raises UsageError for bad overrides, VerificationError for
        a wrong step or a missing answer."""
        values = self.values(overrides)
        sol = Solution(self, values, seed=seed, choices=dict(choices or {}))
        self.solve_fn(sol)
        missing = [a for a in self.answer_ids if a not in sol.answers]
        if missing:
            raise VerificationError(f"{self.id}: answers not produced: {', '.join(missing)}")
        return sol

    def _repr_markdown_(self) -> str | None:
        """Jupyter: the worked solution at the defaults as Markdown (solves
        the problem, every step verified; ``problem.solve({...})`` shows other
        values). Markdown only, so a notebook solves it once per display.
        None (the plain repr) when the render stage was never imported."""
        if "markdown" not in DISPLAY_HOOKS:
            return None
        return self.solve()._repr_markdown_()
