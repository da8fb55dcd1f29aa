"""What a question tells the checker: everything lives in the question's module.

A question module passes ``checking=Checking(...)`` to its
:class:`engine.model.problem.Problem`. The engine reads every
question-specific fact from there and names no question itself:

* ``title_words``: how a student's header names the question;
* ``aliases``: how students name its quantities (:class:`Alias`);
* ``conventions``: its notation (small quantities, index letters, names
  applied as functions, multi-letter names, alternative letters);
* ``definitions`` / ``functions`` / ``givens`` / ``domain``: what the
  checker may substitute and where its numeric spot check samples (in the
  reader's symbols, :func:`engine.read.parse.symbol`);
* ``stated_definitions`` / ``local_definitions``: definitions in the
  module's own symbols that the statement gives beyond those its parts
  derive, and the one-step definitions of local partials;
* ``proof_answers``: answers that are proofs (correct only when every step is);
* ``mistakes``: its typical mistakes (:class:`Mistake`), each the module's
  own solve with one choice changed, so ``--set`` and exam variants move
  them too;
* ``points`` and ``partial_credit``: the grading rubric.

All of it is built from the module's own sympy objects (trusted code), never
from student text. The callables take the question's parameter values (name
-> exact value, :meth:`engine.model.problem.Problem.values`), so ``--set``
and exam variants move them too. Defaults give a question that the checker
reads by its answer labels alone, at one point per answer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import re
from typing import Any, Callable, Mapping, Sequence


@dataclass(frozen=True)
class Alias:
    """How a student may name answer ``answer_id``.

    names: regular expressions matched in full against the quantity key of
        a leading name (``engine.read`` quantity keys: ``\\frac{dL}{dU}`` is
        ``dL/dU``, ``\\bar{v}_3`` is ``bar(v)_3``); groups ``i``/``j`` make an
        entrywise claim (entry i, j of a vector or matrix, base ``index_base``);
    words: regular expressions searched in the lower-cased prose naming a
        chain (same line, or the lines just before); ``words_not``: prose
        that rules the alias out (``conv1_1`` names one layer, not a total);
    parts: the parts where it is asked (a claim from another part of the same
        question still counts, with lower priority);
    kind: "numeric" (the claim must be a closed number), "symbolic" (it must
        contain a symbol), "any", or "text" (prose answer, not compared);
    needs: a regular expression the claimed LaTeX must contain (``O\\(``
        for series answers), avoid: one it must not contain;
    approx_needs: without an element matching ``needs``, the last element
        joined by ``\\approx`` that contains this (a series written without
        its O-term);
    transform: a claim transform applied before comparing: ``square_size``
        (``224 \\times 224`` is the size 224) or ``minus_w1`` (``w_2 = w_1 + s``
        claims the step s);
    scope: "all" (the name means the answer's value everywhere in its
        question) or "part" (only in its parts: o_1 is 1/2 in part (b) but a
        variable of the derivation in (a));
    entry: the entry (0-based) of a vector or matrix answer that these names
        give, for an answer whose entries students name and write one by one
        (the two sums of a pair); the entries claimed are put together."""

    answer_id: str
    names: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()
    kind: str = "any"
    needs: str | None = None
    avoid: str | None = None
    approx_needs: str | None = None
    transform: str | None = None
    index_base: int = 1
    scope: str = "all"
    words_not: tuple[str, ...] = ()
    entry: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Mistake:
    """A typical mistake of the question, named in a diagnosis.

    name: identifier (``bias_correction_dropped``); label: the phrase of the
    diagnosis ("bias correction dropped");
    choices: choice name -> value passed to the module's own solve
        (``Solution.choice``): the question solved with that choice changed
        (``{"bias_correction": False}``);
    variants: instead of ``choices``, params -> ((detail, choices), ...):
        several ways of making the mistake, each a solve with its choices,
        the detail refining the label ("in the convolutions");
    overrides: parameters -> other parameter values the mistaken student
        used (inputs swapped), or None when the mistake does not apply;
    max_partners: 0 when the mistake is only tried alone, 1 when it may pair
        with one other mistake;
    credit: the fraction of an answer's points given when this mistake alone
        explains the student's value (0: none).

    The engine (:mod:`engine.check.diagnose`) adds two mistakes that name no
    question: log base 10 for the natural log, and a flipped sign."""

    name: str
    label: str
    choices: Mapping[str, Any] = field(default_factory=dict)
    variants: Callable[[Mapping[str, Any]], Sequence[tuple[str, Mapping[str, Any]]]] | None = None
    overrides: Callable[[Mapping[str, Any]], Mapping[str, Any] | None] | None = None
    max_partners: int = 1
    credit: float = 0.0


@dataclass(frozen=True)
class Conventions:
    """A question's notation in students' text.

    small: quantities dropped by ``\\approx`` (``epsilon``);
    index_letters: letters whose superscripts are indices (Adam's ``m^t``);
    words: multi-letter names read as one symbol (``net``, ``TSS``);
    notation: a letter a student may use -> the question's name for it, when
        the student never writes the latter (``beta`` for ``beta_1``);
    same: a letter that always means the question's name, even beside it: the
        other case of a letter that handwriting and OCR confuse, where the
        question has no quantity of that name (``Y`` for the output ``y``)."""

    small: tuple[str, ...] = ()
    index_letters: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    notation: Mapping[str, str] = field(default_factory=dict)
    same: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Checking:
    """Everything the checker knows of one question (see the module docstring).

    definitions: params -> {sympy symbol: expression} the comparison may
        substitute into both sides (``u = x^2/\\log x``, Adam's moment
        recursion); symbols named as :func:`engine.read.parse.symbol` names them;
        a key may also be an expression as the reader reads it (a derivative
        ``Partial(L, y_i)``, a sum of them): the question's name for it (the
        upstream gradient ``g_i``) is put in before a student's expression is
        compared;
    functions: name -> ``sympy.Lambda`` (a defined function: the sigmoid), or
        None (a function only declared: ``softmax``);
    givens: params -> {reader's symbol: exact value}, substituted only when
        the reference answer is a number;
    domain: reader's symbol -> (lo, hi) sampling interval of the numeric spot
        check (the parameters' declared ranges are added by the engine);
    stated_definitions: params -> {module's symbol: expression}: definitions
        of the statement a student may use that the parts do not derive
        (Adam's bias-corrected moments, the logistic sigmoid);
    local_definitions: params -> {module's symbol: expression} one-step
        definitions used for local partials (a primal trace);
    same_quantity: answer id -> answer id of the same quantity under another
        name (df/dx is the adjoint of x);
    points: answer id -> points (default 1 each); carried_forward: the
        fraction of points for an error carried forward (default 0)."""

    title_words: str = ""
    aliases: tuple[Alias, ...] = ()
    conventions: Conventions = Conventions()
    functions: Mapping[str, Any] = field(default_factory=dict)
    definitions: Callable[[Mapping[str, Any]], Mapping[Any, Any]] | None = None
    givens: Callable[[Mapping[str, Any]], Mapping[Any, Any]] | None = None
    domain: Mapping[Any, tuple[float, float]] = field(default_factory=dict)
    stated_definitions: Callable[[Mapping[str, Any]], Mapping[Any, Any]] | None = None
    local_definitions: Callable[[Mapping[str, Any]], Mapping[Any, Any]] | None = None
    same_quantity: Mapping[str, str] = field(default_factory=dict)
    proof_answers: frozenset[str] = frozenset()
    mistakes: tuple[Mistake, ...] = ()
    points: Mapping[str, float] = field(default_factory=dict)
    carried_forward: float = 0.0

    def points_of(self, answer_id: str) -> float:
        """The points of ``answer_id`` (1 unless the module says otherwise)."""
        return float(self.points.get(answer_id, 1))


def index_pattern(i: int | str) -> str:
    """A regular expression for index ``i`` written as a subscript or a
    superscript, with or without parentheses (``_3``, ``^{(3)}`` -> ``_3``,
    ``^(3)`` in quantity keys), for :attr:`Alias.names`."""
    return rf"[_^]\(?{re.escape(str(i))}\)?"
