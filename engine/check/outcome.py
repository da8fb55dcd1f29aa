"""The report of one check as data: answers, steps and the summary.

:mod:`engine.check.run` decides the verdicts; this module lays them out as
the report dict that :mod:`engine.check.report` renders (text, Markdown,
LaTeX, PDF) and ``--format json`` prints.

A step's and an answer's ``"math"`` is the student's element as read,
printed by our printer in the worker (:func:`engine.check.parsed.math_latex`),
or None; the report carries, for each line whose math was all read, the
line as read (``"_line_math"``, not part of the JSON).
"""
from __future__ import annotations

import re
from typing import Any

from engine.check import grading
from engine.read.chains import Chain

#: Answer verdicts and step verdicts, in the order the summary lists them.
ANSWER_VERDICTS = ("correct", "incorrect", "missing", "unparsed")
STEP_VERDICTS = ("consistent", "inconsistent", "unparsed", "unchecked")


def entry(a, verdict: str, claimed: str | None, line: int | None, diagnosis: str | None,
          mistakes: tuple[str, ...] = ()) -> dict:
    """One answer of the report: its id, verdict, the student's claim and the expected value;
    ``mistakes``: the names of the mistakes (:class:`engine.model.checking.Mistake`, or the
    generic ``log10``/``sign``) that reproduce the student's value, as the diagnosis names them."""
    expected = a.latex or (a.text or "")
    return {"id": a.id, "verdict": verdict, "claimed": claimed, "expected": expected, "line": line,
            "diagnosis": diagnosis, "mistakes": list(mistakes), "math": None}


def unread_in_part(a, chains: list[Chain], parsed: list[list[Any]], claimed: set[int]) -> dict | None:
    """An answer no claim names, in a part whose work could not all be read:
    "unparsed" with the first unread line of the part (a relation no claim took),
    not "missing" (issue 10: "missing" means nothing in the part plausibly
    claims it); None when every line of the part was read."""
    for k, chain in enumerate(chains):
        if k in claimed or chain.problem != a.problem or chain.part != a.part or len(chain.elements) < 2:
            continue  # (a lone unread fragment is no claim: ``$\\input{...}$`` junk)
        for i, element in enumerate(chain.elements):
            p = parsed[k][i] if k < len(parsed) and i < len(parsed[k]) else None
            if not element.is_text and p is not None and not p.ok:
                return entry(a, "unparsed", None, element.line,
                             f"no readable claim of it: part ({a.part}) has work that could not be read "
                             f"(line {element.line}: {p.reason})")
    return None


def steps_of(chains: list[Chain], results: list[Any], parsed: list[list[Any]], chain_errors: dict[int, str]
             ) -> list[dict]:
    """The report's steps: every checked pair of every chain, in line order;
    a chain that was not checked gives its pairs as "unchecked", a lone
    element that was not read as "unparsed"."""
    steps = []
    for k, chain in enumerate(chains):
        result = results[k]
        if result is None:
            for i in range(1, len(chain.elements)):
                if chain.elements[i].relation in ("equal", "approx") and not chain.elements[i].is_text \
                        and not chain.elements[i - 1].is_text:
                    steps.append(_step(chain, i - 1, i, "unchecked",
                                       f"not checked: {chain_errors.get(k, 'no result')}", parsed[k]))
            continue
        for pair in result.pairs:
            steps.append(_step(chain, pair.left, pair.right, pair.verdict, pair.detail, parsed[k]))
        if len(chain.elements) == 1 and chain.origin == "math":
            lone = parsed[k][0]
            if lone is not None and not lone.ok and not _INEQUALITY.search(chain.elements[0].source):
                e = chain.elements[0]
                steps.append({"line": e.line, "source": e.source, "verdict": "unparsed",
                              "detail": f"could not read it: {lone.reason}", "math": None})
    steps.sort(key=lambda s: s["line"])
    return steps


#: A lone inequality (``u < 0``) is a condition, not a step: not reported unread.
_INEQUALITY = re.compile(r"<|>|\\[lg]eq?(?![A-Za-z])|\\neq?(?![A-Za-z])|\\in(?![A-Za-z])|\\sim(?![A-Za-z])")


def _step(chain: Chain, left: int, right: int, verdict: str, detail: str, parsed: list | None = None) -> dict:
    a, b = chain.elements[left], chain.elements[right]
    relation = {"equal": "=", "approx": r"\approx"}.get(b.relation, "=")
    sides = [_math(parsed, i) for i in (left, right)] if parsed is not None else [None]
    math = f"{sides[0]} {relation} {sides[1]}" if None not in sides else None
    return {"line": b.line, "source": f"{a.source} {relation} {b.source}", "verdict": verdict, "detail": detail,
            "math": math}


#: Relations a line typeset as math may hold (our LaTeX of each).
_MATH_RELATIONS = {"equal": "=", "approx": r"\approx"}
#: Longest line typeset as math (characters of LaTeX); a longer line is shown as its source.
MAX_LINE_MATH = 8000


def _math(parsed: list | None, i: int) -> str | None:
    """Our LaTeX of element ``i`` of a chain (its Parsed's ``math``), or None
    when it was not read or could not be typeset."""
    p = parsed[i] if parsed is not None and i < len(parsed) else None
    return p.math if p is not None and p.ok and p.math else None


def line_math(chains: list[Chain], parsed: list[list[Any]]) -> dict[int, str]:
    """Line number -> the line's math as read (our LaTeX: its chains'
    elements joined by ``=`` / ``\\approx``, chains by ``,\\quad``), for
    each line all of whose chain elements were read and typeset (none in
    prose, no other relation); other lines are left out (shown as written)."""
    pieces: dict[int, list[str]] = {}
    bad: set[int] = set()
    for k, chain in enumerate(chains):
        row = parsed[k] if k < len(parsed) else None
        here: dict[int, list[str]] = {}
        for i, e in enumerate(chain.elements):
            tex = None if e.is_text else _math(row, i)
            relation = _MATH_RELATIONS.get(e.relation) if i else ""
            if tex is None or relation is None:
                bad.add(e.line)
                continue
            here.setdefault(e.line, []).append(f"{relation} {tex}" if i else tex)
        for line, parts in here.items():
            pieces.setdefault(line, []).append(" ".join(parts))
    out = {}
    for line, chain_parts in pieces.items():
        tex = r",\quad ".join(chain_parts)
        if line not in bad and len(tex) <= MAX_LINE_MATH:
            out[line] = tex
    return out


def with_math(report: dict, state: Any, claims: dict) -> dict:
    """``report`` with each answer's ``"math"`` (the claimed element's
    :attr:`~engine.check.parsed.Parsed.math` when the answer quotes that one
    element) and ``"_line_math"`` (:func:`line_math`). ``state``: the check's
    state (``plan.chains``, ``parsed``); ``claims``: answer id -> its claim
    (``chain``, ``element``, ``entries``). Only strings are read: no student
    expression is unpickled here."""
    for a in report["answers"]:
        claim = claims.get(a["id"])
        if claim is None or claim.entries or a.get("claimed") is None:
            continue
        p = state.parsed[claim.chain][claim.element] if claim.chain < len(state.parsed) else None
        if p is not None and p.ok and p.math and p.source == a["claimed"]:
            a["math"] = p.math
    report["_line_math"] = line_math(state.plan.chains, state.parsed)
    return report


def _summary(path: str, answers: list[dict], steps: list[dict], warnings: list[str]) -> dict:
    counts = {v: sum(1 for a in answers if a["verdict"] == v) for v in ANSWER_VERDICTS}
    step_counts = {v: sum(1 for s in steps if s["verdict"] == v) for v in STEP_VERDICTS}
    first = next((s["line"] for s in steps if s["verdict"] == "inconsistent"), None)
    return {"submission": path, "answers": counts, "steps": step_counts,
            "score": f"{counts['correct']}/{len(answers)}", "first_error_line": first, "warnings": warnings}


def report_of(ref, sheet: str, path: str, plan: Any, answers: dict[str, dict], steps: list[dict]) -> dict:
    """The report of one submission (``plan``: the task plan, its lines and warnings)."""
    answer_list = list(answers.values())
    report = {"sheet": sheet, "answers": answer_list, "steps": steps,
              "summary": _summary(path, answer_list, steps, list(plan.warnings))}
    report["lines"] = plan.lines
    report["_text_answers"] = [a.id for a in ref.answers.values() if a.kind == "text"]
    return grading.grade(report)


def failed_report(ref, sheet: str, path: str, reason: str) -> dict:
    """A report whose every answer is unparsed for ``reason`` (the check could not run)."""
    answers = [entry(a, "unparsed", None, None, reason) for a in ref.answers.values()]
    report = {"sheet": sheet, "answers": answers, "steps": [], "summary": _summary(path, answers, [], [reason])}
    report["lines"] = []
    report["_text_answers"] = [a.id for a in ref.answers.values() if a.kind == "text"]
    return grading.grade(report)
