"""The report of one check as data: answers, steps and the summary.

:mod:`engine.check.run` decides the verdicts; this module lays them out as
the report dict that :mod:`engine.check.report` renders (text, Markdown,
LaTeX, PDF) and ``--format json`` prints.
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
            "diagnosis": diagnosis, "mistakes": list(mistakes)}


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
                                       f"not checked: {chain_errors.get(k, 'no result')}"))
            continue
        for pair in result.pairs:
            steps.append(_step(chain, pair.left, pair.right, pair.verdict, pair.detail))
        if len(chain.elements) == 1 and chain.origin == "math":
            lone = parsed[k][0]
            if lone is not None and not lone.ok and not _INEQUALITY.search(chain.elements[0].source):
                e = chain.elements[0]
                steps.append({"line": e.line, "source": e.source, "verdict": "unparsed",
                              "detail": f"could not read it: {lone.reason}"})
    steps.sort(key=lambda s: s["line"])
    return steps


#: A lone inequality (``u < 0``) is a condition, not a step: not reported unread.
_INEQUALITY = re.compile(r"<|>|\\[lg]eq?(?![A-Za-z])|\\neq?(?![A-Za-z])|\\in(?![A-Za-z])|\\sim(?![A-Za-z])")


def _step(chain: Chain, left: int, right: int, verdict: str, detail: str) -> dict:
    a, b = chain.elements[left], chain.elements[right]
    relation = {"equal": "=", "approx": r"\approx"}.get(b.relation, "=")
    return {"line": b.line, "source": f"{a.source} {relation} {b.source}", "verdict": verdict, "detail": detail}


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
