"""Points and partial credit of a checked submission: the rubric of each question module.

A question module gives its rubric in :class:`engine.model.checking.Checking`:
``points`` (answer id -> points, 1 each by default), ``carried_forward`` (the
fraction of an answer's points for an error carried forward: the answer
follows correctly from the student's own earlier wrong value) and, per
:class:`engine.model.checking.Mistake`, ``credit`` (the fraction when that
named mistake alone explains the student's value: half marks for a log base).

:func:`grade` adds to a report of :mod:`engine.check.run`, from its verdicts
and diagnoses only:

* per answer ``points`` (earned), ``max_points`` and ``credit`` (why: ``"full"``,
  ``"none"``, ``"error carried forward (50%)"``, ``"bias correction dropped (50%)"``);
* in the summary, ``score`` and ``max_score`` (numbers) and ``score_text``
  (``"6/10"``).

A verdict other than "correct" or "incorrect" earns nothing: "unparsed" and
"missing" answers are for the grader to read. Partial credit goes only to an
"incorrect" answer whose diagnosis names one mistake of the module or an
error carried forward; the larger fraction applies. The mistakes are matched
by name: :mod:`engine.check.run` gives every answer entry ``"mistakes":
[name, ...]``, the names of the diagnosis table's variant that reproduces the
student's value (:func:`engine.check.diagnose.mistakes_of`). A module gives
the engine's generic mistakes credit by a :class:`Mistake` of the same name
(``Mistake("log10", ..., credit=0.5)``; ``"sign"``). A report without names
(an older JSON) is matched by the mistakes' labels.
"""
from __future__ import annotations

import re
from typing import Any, Iterable

from engine.model.checking import Checking, Mistake

#: The phrase of a diagnosis that says the error was carried forward (engine.check.run).
CARRIED_FORWARD = "error carried forward"
#: Parts of a diagnosis that locate an error rather than name a mistake.
NOTE_PREFIXES = ("the error enters", "follows correctly", "equal by", "differs from", "could not", "no error model")
_ROUNDED = re.compile(r", with the intermediate values rounded to .*$")


def number(value: float) -> float | int:
    """``value`` as an int when it is whole (6, not 6.0), else rounded to 4 decimals."""
    value = round(float(value), 4)
    return int(value) if value == int(value) else value


def named_mistakes(diagnosis: str | None, mistakes: Iterable[Mistake]) -> tuple[list[Mistake], int]:
    """The module's mistakes a diagnosis names, and how many mistakes it names
    in all (known to the module or not): a pair of mistakes names two."""
    if not diagnosis:
        return [], 0
    mistakes = tuple(mistakes)
    found: list[Mistake] = []
    labels = 0
    for part in diagnosis.split("; "):
        part = _ROUNDED.sub("", part.strip())
        if not part or part.startswith(NOTE_PREFIXES) or CARRIED_FORWARD in part:
            continue
        labels += 1
        for m in mistakes:
            if part == m.label or part.startswith(m.label + " ("):
                found.append(m)
                break
    return found, labels


def credit(answer: dict, checking: Checking) -> tuple[float, str]:
    """(fraction of the points earned, why) of one answer entry of a report."""
    verdict = answer.get("verdict")
    if verdict == "correct":
        return 1.0, "full"
    if verdict != "incorrect":
        return 0.0, "none"
    diagnosis = answer.get("diagnosis") or ""
    options: list[tuple[float, str]] = []
    names = answer.get("mistakes")
    if names is not None:
        by_name = {m.name: m for m in checking.mistakes}
        found = [by_name[n] for n in names if n in by_name]
        total = len(names)
    else:
        found, total = named_mistakes(diagnosis, checking.mistakes)
    if len(found) == 1 and total == 1 and found[0].credit > 0:
        options.append((found[0].credit, f"{found[0].label} ({found[0].credit:.0%})"))
    if CARRIED_FORWARD in diagnosis and checking.carried_forward > 0:
        options.append((checking.carried_forward, f"{CARRIED_FORWARD} ({checking.carried_forward:.0%})"))
    if not options:
        return 0.0, "none"
    return max(options, key=lambda o: o[0])


def _checking_of(answer_id: str, cache: dict[str, Checking]) -> Checking:
    from engine.model import catalog

    problem_id = answer_id.split(".")[0]
    if problem_id not in cache:
        cache[problem_id] = catalog.find_answer(answer_id).checking
    return cache[problem_id]


def grade(report: dict, checkings: dict[str, Checking] | None = None) -> dict:
    """Add points to ``report`` (in place; returned). ``checkings``: problem id ->
    Checking, for a report whose problems are not in the catalog (tests)."""
    cache: dict[str, Checking] = dict(checkings or {})
    score = max_score = 0.0
    for answer in report["answers"]:
        checking = _checking_of(answer["id"], cache)
        top = checking.points_of(answer["id"])
        fraction, why = credit(answer, checking)
        answer["max_points"] = number(top)
        answer["points"] = number(top * fraction)
        answer["credit"] = why
        score += top * fraction
        max_score += top
    summary = report["summary"]
    summary["score"] = number(score)
    summary["max_score"] = number(max_score)
    summary["score_text"] = score_text(summary)
    return report


def score_text(summary: dict[str, Any]) -> str:
    """``"6/10"`` (or ``"6.5/10"``) of a graded summary."""
    return f"{summary['score']:g}/{summary['max_score']:g}"
