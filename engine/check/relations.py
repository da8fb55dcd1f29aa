"""Answers that are statements or collections, compared before the
expression engine (:mod:`engine.check.equiv`) sees them: what a bare
expression comparison cannot say.

* **Lists and sets.** ``1, -2`` (the solutions of an equation), ``\\{1, 2\\}``,
  ``{1,2,3}``, ``6 \\text{ and } 8``, ``(2,1),(1,2)`` and ``p=5,q=2;p=7,q=2``
  are collections without order: each member of one is matched with an
  equal member of the other. A tuple ``(1, 3)`` is ordered, also against a
  set written ``{1,3}``. ``\\pm`` stands for its two values where the other
  side lists them. A lone ``1,22`` is one number with a decimal comma when
  the other side is one number.
* **Equations.** A chain ``x = 5+5+1 = 11`` and ``x \\approx 11`` answer
  their last member; ``k = 1``, ``f(x) = 1``, ``|AB| = 1``, ``A:B = 1``,
  ``(p,q) = (3,2)`` are a label and a value: the value is the answer. An
  equation whose left side is not a label (``7 = 11a+c``, ``a + 3z = 0``)
  is a statement, never equal to an expression. Two such equations are equal
  when one is the other times a non-zero number (``2x+4y-3=0`` and
  ``y = -x/2 + 3/4``).
* **Inequalities, intervals and ``\\in``.** ``x \\geq 5`` and ``5 \\le x``;
  ``x \\in [-2, 7]`` and ``-2 \\le x \\le 7``; ``-793 < a < 10`` and
  ``(-793, 10)``: both are turned into the set of real values they allow
  (sympy's ``solveset``), and the sets are compared. Intervals against
  intervals: bracket by bracket, the ends at the precision written.
* **Words and units.** ``\\text{odd}`` and ``odd`` are the same word
  (``\\text{(C)}`` is the choice C); a unit written after a value
  (``\\frac{1}{3} \\text{meters}``) is set aside, and two different units
  are "undecided".
* **Numbers as written** (:mod:`engine.read.literals`): digit groups
  joined, currency dropped, percent words as ``\\%``, a clock time ``12:00``
  in minutes; two numbers side by side (``6 8``) are "undecided".

Everything else goes to ``plain``, the expression comparison, which also
compares every member, endpoint and value found here. This module reads
student text only through :func:`engine.read.parse.parse_latex` and runs in
the same bounded worker as the rest of the comparison.
"""
from __future__ import annotations

import re
import time
from typing import Callable

import sympy as sp
from sympy.core.function import AppliedUndef

from engine.check.context import context_for
from engine.read.literals import clock_minutes, juxtaposed_numbers, normalize_numbers
from engine.read.parse import ParseError, parse_latex
from engine.read.text import MAX_CHARS

__all__ = ["decide", "is_label"]

#: The expression comparison: (reference, answer, problem, budget) -> (verdict, reason).
Plain = Callable[[str, str, "str | None", float], "tuple[str, str]"]
#: Most members a list may have (each pair of members may be compared).
MAX_MEMBERS = 40

_INEQUALITY = re.compile(r"\\leq?(?![A-Za-z])|\\geq?(?![A-Za-z])|\\l[et]slant|\\lt(?![A-Za-z])|\\gt(?![A-Za-z])|"
                         r"\\neq?(?![A-Za-z])|<=|>=|!=|<|>")
_CHAIN = re.compile(r"\\approx(?![A-Za-z])|=")
_IN = re.compile(r"\\in(?![A-Za-z])")
_WORD = re.compile(r"^\\(?:text|textbf|textrm|textnormal|mathrm|mbox)\s*\{([^{}]*)\}$")
_BARE_WORD = re.compile(r"^[A-Za-z]+(?: [A-Za-z]+)*$")
_UNIT = re.compile(r"\s*\\(?:text|textbf|textnormal|textrm|mbox|mathrm)\s*\{\s*([A-Za-z]{2,}\.?)\s*\}"
                   r"(\s*\^\s*\{?\s*\d\s*\}?)?\s*$")
_SEPARATORS = ((re.compile(r"\s*\\(?:text|textbf|mbox)\s*\{\s*(?:and|or)\s*\}\s*"), ", "),
               (re.compile(r"(?<=[\s,])(?:and|or)\s+"), ", "),
               (re.compile(r"(?<=[)\d}])\s*(?:and|or)\s*(?=[A-Z(\d])"), ", "),
               (re.compile(r"\\q?quad(?![A-Za-z])|\\[,;: ]|\\!"), " "))
_OPEN, _CLOSE = "([{", ")]}"
_INTEGER = re.compile(r"^[+-]?\d+$")
_INTERVAL = re.compile(r"^([\[(])(.+),(.+)([\])])$")
_OPS = {"<": "<", r"\lt": "<", ">": ">", r"\gt": ">", "<=": "<=", r"\le": "<=", r"\leq": "<=", r"\leqslant": "<=",
        ">=": ">=", r"\ge": ">=", r"\geq": ">=", r"\geqslant": ">=", "!=": "!=", r"\ne": "!=", r"\neq": "!="}


def decide(reference: str, student: str, problem: str | None, budget: float, plain: Plain) -> tuple[str, str]:
    """The verdict on ``student`` against ``reference`` (see the module
    docstring); ``plain`` compares what is left: expressions and members."""
    if len(reference) > MAX_CHARS or len(student) > MAX_CHARS:
        return plain(reference, student, problem, budget)  # refused there, with the reason
    return _Structured(problem, budget, plain).compare(reference, student)


def is_label(text: str) -> bool:
    """Is the left side of ``text = value`` a label naming the answer (``k``,
    ``f(x)``, ``|AB|``, ``A:B``, ``\\frac{NO}{BO}``, ``(p,q)``, ``x_{1}``) rather
    than an expression (``a + 3z``, ``7``, ``x^2/4``)?"""
    bare = re.sub(r"_\s*(?:\{[^{}]*\}|\\?[A-Za-z0-9]+)|'|\\left|\\right|\\[a-z]*frac", "", text).strip()
    return bool(bare) and not re.search(r"[\d+\-^*]|\\cdot|\\times|\\sqrt|\\sum|\\int", bare)


def _strip(text: str) -> str:
    while text.lstrip().startswith("\\boxed{") and text.count("{") > text.count("}"):
        text = text.lstrip()[len("\\boxed{"):]  # an answer box never closed
    text = text.replace("\\left", "").replace("\\right", "").replace("\\displaystyle", "")
    text = re.sub(r"\$+|\\\[|\\\]|\\\(|\\\)", " ", text)
    text = normalize_numbers(text)
    return re.sub(r"\s+", " ", text).strip().rstrip(".").strip()


def _key(text: str) -> str:
    """``text`` without spaces, except after a comma (``1, 2`` is a list, ``1,2`` may be 1.2)."""
    return re.sub(r"(?<!,)\s+", "", text)


def _wrapped(text: str, opener: str, closer: str) -> bool:
    """Is all of ``text`` one group ``opener ... closer``?"""
    if not (text.startswith(opener) and text.endswith(closer)) or len(text) < len(opener) + len(closer):
        return False
    depth = 0
    for c in text[len(opener):len(text) - len(closer)]:
        depth += c in _OPEN
        depth -= c in _CLOSE
        if depth < 0:
            return False
    return depth == 0


def _split(text: str, seps: str) -> list[str]:
    """``text`` cut at ``seps`` characters outside every bracket."""
    out, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
        elif c in seps and depth == 0 and not (c == "," and i > 0 and text[i - 1] == "\\"):
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return [p.strip() for p in out if p.strip()]


def _relations(text: str, pattern: re.Pattern) -> list[re.Match]:
    """Matches of ``pattern`` outside every bracket."""
    depth, found, i = 0, [], 0
    while i < len(text):
        c = text[i]
        m = pattern.match(text, i)
        if m and depth == 0 and not (c in "<>" and text[i - 1:i] == "\\"):
            found.append(m)
            i = m.end()
            continue
        depth += c in _OPEN
        depth -= c in _CLOSE
        i += 1
    return found


def _members(text: str) -> list[str]:
    cuts = _relations(text, _CHAIN)
    if not cuts:
        return [text]
    bounds = [0] + [x for m in cuts for x in (m.start(), m.end())] + [len(text)]
    return [text[bounds[k]:bounds[k + 1]].strip() for k in range(0, len(bounds), 2)]


def _value(item: str) -> tuple[str, str | None]:
    """(the answer an item gives, its label): the last member of a chain
    ``x = 5+5+1 = 11``, the value of ``k = 1``; an equation whose left side is
    not a label stays whole (label None)."""
    members = _members(item)
    if len(members) == 1 or any(not m for m in members):
        return item, None
    if is_label(members[0]):
        return members[-1], members[0]
    if len(members) >= 3 or not any(re.search(r"[A-Za-z]", re.sub(r"\\[A-Za-z]+", "", m)) for m in members):
        return members[-1], None  # 1 = \zzz = x = 0, \frac{1}{2} = \frac{10}{9}: a computation's result
    return item, None


def _label_key(label: str) -> str:
    return re.sub(r"[{}\s]", "", label)


def _labelled(item: str) -> list[tuple[str, str | None]]:
    """The values of one list member with its label (``\\pm`` gives two)."""
    value, label = _value(item)
    return [(v, label) for v in _expand_pm(value)]


def _expand_pm(item: str) -> list[str]:
    parts = [m for m in _relations(item, re.compile(r"\\pm(?![A-Za-z])"))]
    if len(parts) != 1:
        return [item]
    m = parts[0]
    head, tail = item[:m.start()].strip(), item[m.end():].strip()
    return [f"{head} + {tail}" if head else tail, f"{head} - ({tail})" if head else f"-({tail})"]


class _Structured:
    def __init__(self, problem: str | None, budget: float, plain: Plain):
        self.problem = problem
        self.deadline = time.monotonic() + budget
        self.plain = plain

    def budget(self) -> float:
        return max(0.1, self.deadline - time.monotonic())

    def same(self, ref: str, stu: str) -> tuple[str, str]:
        if _key(ref) == _key(stu):
            return "equal", "the same as written"
        if _INTEGER.match(ref) and _INTEGER.match(stu) and not stu.endswith("0"):
            return "different", f"{stu} is not {ref}"  # (the same integer is the same text)
        if (_wrapped(ref, "(", ")") and _wrapped(stu, "(", ")")) and "\\begin" not in ref + stu:
            r, t = _split(ref[1:-1], ",;"), _split(stu[1:-1], ",;")
            if len(r) > 1 and len(t) > 1:
                return self.in_order(r, t)
        return self.plain(ref, stu, self.problem, self.budget())

    # ----------------------------------------------------------------- dispatch

    def compare(self, reference: str, student: str) -> tuple[str, str]:
        ref, stu = _strip(reference), _strip(student)
        if not ref or not stu:
            return self.plain(reference, student, self.problem, self.budget())
        if _key(ref) == _key(stu):
            return "equal", "the same as written (after normalisation)"
        minutes = clock_minutes(ref), clock_minutes(stu)
        if None not in minutes:
            return (("equal", "the same time of day") if minutes[0] == minutes[1] else
                    ("different", f"{stu} is not the time {ref}"))
        words = self.words(ref, stu)
        if words:
            return words
        for side, text in (("answer", stu), ("reference", ref)):
            pair = juxtaposed_numbers(text)
            if pair:
                return "undecided", (f"the {side} writes two numbers side by side ('{pair}'): neither a sum nor one "
                                     "number; write the operation or the list")
        if any(_relations(t, _INEQUALITY) or _relations(t, _IN) or self.interval_text(t) for t in (ref, stu)):
            found = self.sets(ref, stu)
            if found:
                return found
        labels = [_value(t) if len(self.items(t)[0]) == 1 else (t, None) for t in (ref, stu)]
        bare = [label is None and not _relations(t, _CHAIN) for t, (_, label) in zip((ref, stu), labels)]
        if (labels[0][1] is None) != (labels[1][1] is None) and any(bare):  # (p,q) = (3,2) against (3,2)
            ref, stu = labels[0][0], labels[1][0]
        ref_items, ref_kind = self.items(ref)
        stu_items, stu_kind = self.items(stu)
        if len(ref_items) > 1 or len(stu_items) > 1 or {"set", "tuple"} & {ref_kind, stu_kind}:
            return self.collections(ref, stu, ref_items, stu_items, ref_kind, stu_kind)
        return self.single(ref, stu)

    def single(self, ref: str, stu: str) -> tuple[str, str]:
        if any(_relations(t, _INEQUALITY) or _relations(t, _IN) or self.interval_text(t) for t in (ref, stu)):
            found = self.sets(ref, stu)
            if found:
                return found
        if _relations(ref, _CHAIN) or _relations(stu, _CHAIN):
            return self.equations(ref, stu)
        return self.units(ref, stu)

    # ----------------------------------------------------------------- words and units

    def words(self, ref: str, stu: str) -> tuple[str, str] | None:
        """Two words (one at least written ``\\text{...}``): the same word or not."""
        found = []
        for text in (ref, stu):
            m = _WORD.match(text)
            found.append((m.group(1), True) if m else (text, False) if _BARE_WORD.match(text) else (None, False))
        (rw, rt), (sw, st) = found
        if not (rt or st) or rw is None or sw is None:
            return None
        a, b = (re.sub(r"[\s().]", "", w) for w in (rw, sw))
        if a == b:
            return "equal", f"the same word, '{a}'"
        return "different", f"'{b}' is not '{a}'"

    def units(self, ref: str, stu: str) -> tuple[str, str]:
        ru, su = _UNIT.search(ref), _UNIT.search(stu)
        if not ru and not su:
            return self.same(ref, stu)
        r_unit = ru.group(0).strip() if ru else ""
        s_unit = su.group(0).strip() if su else ""
        r_val, s_val = ref[:ru.start()].strip() if ru else ref, stu[:su.start()].strip() if su else stu
        if not r_val or not s_val or (ru and ru.group(1) in ("and", "or")) or (su and su.group(1) in ("and", "or")):
            return self.same(ref, stu)
        if ru and su and r_unit.replace(" ", "") != s_unit.replace(" ", ""):
            return "undecided", f"the units differ ({su.group(1)} where the reference has {ru.group(1)})"
        verdict, reason = self.same(r_val, s_val)
        unit = (su or ru).group(1)
        return verdict, f"{reason} (the unit {unit} set aside)"

    # ----------------------------------------------------------------- lists and sets

    def items(self, text: str) -> tuple[list[str], str]:
        """(members, kind): kind "set" for ``\\{...\\}`` or ``{...}``, "tuple"
        for one parenthesised group, "list" otherwise (a lone ``1,22`` is one item)."""
        kind = "list"
        if _wrapped(text, "\\{", "\\}") or (_wrapped(text, "{", "}") and "," in text):
            text, kind = text[2:-2] if text.startswith("\\{") else text[1:-1], "set"
        elif (_wrapped(text, "(", ")") or _wrapped(text, "[", "]")) and len(_split(text[1:-1], ",;")) > 1 \
                and not _relations(text, _CHAIN):
            return [text], "tuple"
        for pattern, repl in _SEPARATORS:
            text = pattern.sub(repl, text)
        if kind == "list" and re.fullmatch(r"\s*-?\d+,\d+\s*", text):
            return [text.strip()], "ambiguous"
        groups = _split(text, ";")
        if len(groups) > 1 and any(len(_split(g, ",")) > 1 for g in groups):
            members = []
            for g in groups:
                values = [_value(v)[0] for v in _split(g, ",")]
                members.append(f"({', '.join(values)})")
            return members, kind
        members = [m for g in groups for m in _split(g, ",")]
        return members, kind

    def collections(self, ref: str, stu: str, ref_items: list[str], stu_items: list[str], ref_kind: str,
                    stu_kind: str) -> tuple[str, str]:
        if "ambiguous" in (ref_kind, stu_kind):
            if ref_kind == "ambiguous" and len(stu_items) > 1:
                ref_items = [p.strip() for p in ref_items[0].split(",")]
            elif stu_kind == "ambiguous" and len(ref_items) > 1:
                stu_items = [p.strip() for p in stu_items[0].split(",")]
            else:
                return self.single(ref, stu)
        if len(ref_items) > MAX_MEMBERS or len(stu_items) > MAX_MEMBERS:
            return "undecided", f"more than {MAX_MEMBERS} members to match"
        if "tuple" in (ref_kind, stu_kind):
            return self.ordered(ref_items, stu_items, ref_kind, stu_kind)
        ref_values = [(v, label) for item in ref_items for v, label in _labelled(item)]
        stu_values = [(v, label) for item in stu_items for v, label in _labelled(item)]
        if len(ref_values) == 1 and len(stu_values) == 1:
            return self.member(ref_values[0], stu_values[0])
        return self.unordered(ref_values, stu_values)

    def member(self, ref: tuple[str, str | None], stu: tuple[str, str | None]) -> tuple[str, str]:
        """One value against another; two different labels are never "equal"."""
        if ref[1] and stu[1] and _label_key(ref[1]) != _label_key(stu[1]):
            return "undecided", f"the answer gives {stu[1]} where the reference gives {ref[1]}"
        return self.single(ref[0], stu[0])

    def ordered(self, ref_items, stu_items, ref_kind, stu_kind) -> tuple[str, str]:
        """A tuple ``(a, b)`` or ``[a, b]`` against a tuple, a list or a set
        written in order; a comma inside brackets always separates members."""
        if ref_kind == "tuple" and stu_kind == "tuple":
            r, s = ref_items[0], stu_items[0]  # (a, b) and [a, b] alike: vectors (an interval has mixed brackets)
            return self.in_order(_split(r[1:-1], ",;"), _split(s[1:-1], ",;"))
        tup = ref_items[0] if ref_kind == "tuple" else stu_items[0]
        inner = _split(tup[1:-1], ",;")
        other, other_kind = (stu_items, stu_kind) if ref_kind == "tuple" else (ref_items, ref_kind)
        if len(other) == 1 and other_kind != "set":
            if "\\begin" in other[0]:
                return self.same(ref_items[0], stu_items[0])  # a matrix: the expression engine
            return "different", (f"{'the answer' if stu_kind == 'tuple' else 'the reference'} is a tuple of "
                                 f"{len(inner)} and the other a single value (a comma inside brackets separates)")
        if len(inner) != len(other):
            return "different", f"{len(other if ref_kind == 'tuple' else inner)} members where the reference has " \
                                f"{len(inner if ref_kind == 'tuple' else other)}"
        return self.in_order(*((inner, other) if ref_kind == "tuple" else (other, inner)))

    def in_order(self, refs: list[str], stus: list[str]) -> tuple[str, str]:
        if len(refs) != len(stus):
            return "different", f"{len(stus)} members where the reference has {len(refs)}"
        undecided = []
        for k, (r, s) in enumerate(zip(refs, stus)):
            verdict, reason = self.member(_value(r), _value(s))
            if verdict == "different":
                return "different", f"member {k + 1} (a tuple is ordered): {reason}"
            if verdict == "undecided":
                undecided.append(f"member {k + 1}: {reason}")
        if undecided:
            return "undecided", "; ".join(undecided[:3])
        return "equal", f"all {len(refs)} members agree in order"

    def unordered(self, refs: list[tuple[str, str | None]], stus: list[tuple[str, str | None]]) -> tuple[str, str]:
        if len(refs) != len(stus):  # a value written twice is one member of a set
            refs, stus = ({re.sub(r"\s+", "", v): (v, label) for v, label in side}.values() for side in (refs, stus))
            refs, stus = list(refs), list(stus)
        if len(refs) != len(stus):
            return "different", f"{len(stus)} values where the reference has {len(refs)}"
        free = list(range(len(stus)))
        open_reasons = []
        for r in refs:
            match, why = None, []
            for j in free:
                verdict, reason = self.member(r, stus[j])
                if verdict == "equal":
                    match = j
                    break
                if verdict == "undecided":
                    why.append(reason)
            if match is None:
                if why:
                    open_reasons.append(f"{r[0]}: {why[0]}")
                    continue
                return "different", f"no value of the answer equals {r[0]} (the order does not matter)"
            free.remove(match)
        if open_reasons:
            return "undecided", "; ".join(open_reasons[:3])
        return "equal", f"the same {len(refs)} values (the order does not matter)"

    # ----------------------------------------------------------------- equations

    def equations(self, ref: str, stu: str) -> tuple[str, str]:
        (r_val, r_label), (s_val, s_label) = _value(ref), _value(stu)
        r_eq = r_val is ref and r_label is None and len(_members(ref)) == 2
        s_eq = s_val is stu and s_label is None and len(_members(stu)) == 2
        if r_eq or s_eq:
            both = len(_members(ref)) == 2 and len(_members(stu)) == 2
            if both:
                proved = self.proportional(ref, stu)
                if proved:
                    return proved
                return self.plain(ref, stu, self.problem, self.budget())
            which = "reference" if r_eq else "answer"
            return "different", (f"the {which} is an equation between expressions ({ref if r_eq else stu}), the "
                                 f"{'answer' if r_eq else 'reference'} a value")
        if r_val == ref and s_val == stu:  # nothing taken apart (an empty member: "=="): the expression engine
            return self.units(ref, stu)
        verdict, reason = self.member((r_val, r_label), (s_val, s_label))
        lead = "the last member of the chain" if len(_members(stu)) > 2 or len(_members(ref)) > 2 else "the value"
        return verdict, f"{lead}: {reason}"

    def parse(self, text: str):
        return parse_latex(text, **context_for(self.problem).parse_options())

    def proportional(self, ref: str, stu: str) -> tuple[str, str] | None:
        try:
            (a, b), (c, d) = ([self.parse(m) for m in _members(t)] for t in (ref, stu))
            ratio = sp.cancel(sp.together((a - b) / (c - d)))
        except (ParseError, TypeError, ValueError, ZeroDivisionError, sp.PolynomialError):
            return None
        if isinstance(ratio, sp.Expr) and not ratio.free_symbols and ratio.is_finite and ratio != 0:
            return "equal", f"the same equation (one side minus the other is {ratio} times the reference's)"
        return None

    # ----------------------------------------------------------------- inequalities and intervals

    @staticmethod
    def interval_text(text: str) -> bool:
        """Is ``text`` certainly an interval or a union: mixed brackets ``[0, 1)``, ``\\cup`` or an infinite end?"""
        if re.search(r"\\cup(?![A-Za-z])", text):
            return True
        m = _INTERVAL.match(text.strip().lstrip("+-").strip())
        return bool(m) and (m.group(1) + m.group(4) in ("[)", "(]") or "\\infty" in text)

    def pieces(self, text: str) -> list[tuple[str, str, str, str]] | None:
        """The intervals of a union, each (open bracket, low, high, close bracket)."""
        out = []
        for part in re.split(r"\\cup(?![A-Za-z])", text):
            m = _INTERVAL.match(part.strip())
            if not m or len(_split(m.group(2) + "," + m.group(3), ",")) != 2:
                return None
            out.append((m.group(1), m.group(2).strip(), m.group(3).strip(), m.group(4)))
        return out

    def sets(self, ref: str, stu: str) -> tuple[str, str] | None:
        rp, sp_ = self.pieces(ref), self.pieces(stu)
        if rp and sp_ and not (_relations(ref, _IN) or _relations(stu, _IN)):
            return self.intervals(rp, sp_)
        r_set, s_set = self.as_set(ref), self.as_set(stu)
        if r_set is None or s_set is None:
            scalar = [t for t, s in ((ref, r_set), (stu, s_set)) if s is None and not _relations(t, _CHAIN)
                      and not _relations(t, _INEQUALITY) and not re.search(r"[\[\]]", t)]
            if scalar and (r_set is not None or s_set is not None) and len(scalar) == 1:
                return "different", "a set of values against a single value"
            if re.match(r"^-\s*[\[(]", stu) and self.interval_text(stu[1:]):
                return "different", "the answer is not a number"
            return None
        try:
            gap = r_set.symmetric_difference(s_set)
            empty = gap.is_empty
        except (TypeError, ValueError, NotImplementedError) as exc:
            return "undecided", f"cannot compare the sets of values ({str(exc)[:80]})"
        if empty:
            return "equal", f"the same set of values, {r_set}"
        if empty is False:
            return "different", f"the answer allows {s_set}, the reference {r_set}"
        return "undecided", "cannot tell whether the two sets of values are the same"

    def intervals(self, rp, sp_) -> tuple[str, str]:
        if len(rp) != len(sp_):
            return "different", f"{len(sp_)} intervals where the reference has {len(rp)}"
        undecided = []
        for k, (r, s) in enumerate(zip(rp, sp_)):
            if (r[0], r[3]) != (s[0], s[3]):
                return "different", f"interval {k + 1} is {s[0]}…{s[3]} where the reference is {r[0]}…{r[3]}"
            for end, a, b in (("low", r[1], s[1]), ("high", r[2], s[2])):
                a, b = (x.replace("+\\infty", "\\infty").replace(" ", "") for x in (a, b))
                verdict, reason = ("equal", "") if a == b else self.single(a, b)
                if verdict == "different":
                    return "different", f"the {end} end of interval {k + 1}: {reason}"
                if verdict == "undecided":
                    undecided.append(f"the {end} end of interval {k + 1}: {reason}")
        if undecided:
            return "undecided", "; ".join(undecided[:2])
        return "equal", "the same intervals, bracket by bracket"

    def as_set(self, text: str):
        """The real values ``text`` allows: an interval or union, ``x \\in S``,
        or an inequality (chain) in one unknown; None for anything else."""
        member = _relations(text, _IN)
        if len(member) == 1:
            return self.as_set(text[member[0].end():].strip())
        pieces = self.pieces(text)
        if pieces:
            try:
                out = sp.EmptySet
                for lo, a, b, hi in pieces:
                    low, high = (self.parse(x.replace("+\\infty", "\\infty")) for x in (a, b))
                    out = sp.Union(out, sp.Interval(low, high, lo == "(", hi == ")"))
                return out
            except (ParseError, TypeError, ValueError):
                return None
        cuts = _relations(text, _INEQUALITY)
        if not cuts:
            return None
        bounds = [0] + [x for m in cuts for x in (m.start(), m.end())] + [len(text)]
        members = [text[bounds[k]:bounds[k + 1]].strip() for k in range(0, len(bounds), 2)]
        try:
            exprs = [self.parse(m) for m in members]
        except (ParseError, TypeError, ValueError):
            return None
        unknowns = set().union(*(e.free_symbols for e in exprs if isinstance(e, sp.Expr)))
        if len(exprs) == 3 and isinstance(exprs[1], sp.Expr) and not exprs[1].is_number and (
                len(unknowns) != 1 or exprs[1].has(AppliedUndef)):
            exprs[1] = sp.Dummy("v")  # 0 < f(x) < 1: the middle names the quantity
            unknowns = {exprs[1]}
        if len(unknowns) != 1:
            return None
        var = unknowns.pop()
        rels = []
        for (a, b), m in zip(zip(exprs, exprs[1:]), cuts):
            op = _OPS.get(m.group(0).strip())
            if op is None:
                return None
            rels.append({"<": sp.Lt, ">": sp.Gt, "<=": sp.Le, ">=": sp.Ge, "!=": sp.Ne}[op](a, b))
        try:
            out = sp.S.Reals
            for rel in rels:
                out = sp.Intersection(out, sp.solveset(rel, var, domain=sp.S.Reals))
            return out
        except (TypeError, ValueError, NotImplementedError):
            return None
