"""A checked submission as Gradescope's autograder ``results.json``.

The format is Gradescope's documented specification ("Autograder
Specifications", section "Output format":
https://gradescope-autograders.readthedocs.io/en/latest/specs/): a top-level
``score`` and a list of ``tests``, here one test per answer id of the sheet
with ``score`` and ``max_score`` (the points of :mod:`engine.check.grading`),
``status`` ("passed" when the answer earned all its points), ``output`` (the
verdict, where the student wrote it and the diagnosis) and ``visibility``.
The test suite validates it against a JSON Schema written from that page
(``tests/data/gradescope-results.schema.json``).

The student's text appears in ``output`` as plain text (``output_format``
"text": Gradescope shows it in a ``<pre>``), never as HTML or Markdown.
"""
from __future__ import annotations

from typing import Any

#: Gradescope's visibility settings (specification, "Controlling Test Case Visibility").
VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")
#: Longest piece of student text quoted in a test's output (characters).
MAX_QUOTE = 200


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_QUOTE else text[:MAX_QUOTE - 3] + "..."


def test_output(answer: dict, show_expected: bool = False) -> str:
    """The text Gradescope shows for one answer: verdict, points, line, diagnosis."""
    lines = [f"{answer['verdict']}: {answer.get('points', 0):g} of {answer.get('max_points', 1):g} points"
             + (f" ({answer['credit']})" if answer.get("credit") not in (None, "full", "none") else "")]
    if answer.get("line"):
        lines.append(f"line {answer['line']}: " + _quote(answer.get("claimed") or ""))
    elif answer["verdict"] == "missing":
        lines.append("no answer to this was found in the submission")
    if answer.get("diagnosis"):
        lines.append(answer["diagnosis"])
    if show_expected and answer["verdict"] != "correct" and answer.get("expected"):
        lines.append(f"expected: {answer['expected']}")
    return "\n".join(lines)


def results(report: dict, visibility: str = "visible", show_expected: bool = False) -> dict[str, Any]:
    """Gradescope's ``results.json`` of a graded report (:func:`engine.check.grading.grade`)."""
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility {visibility!r}: use one of {', '.join(VISIBILITIES)}")
    summary = report["summary"]
    tests = []
    problems: list[str] = []
    counters: dict[str, int] = {}
    for answer in report["answers"]:
        problem = answer["id"].split(".")[0]
        if problem not in problems:
            problems.append(problem)
        counters[problem] = counters.get(problem, 0) + 1
        tests.append({
            "name": answer["id"],
            "number": f"{problems.index(problem) + 1}.{counters[problem]}",
            "score": answer.get("points", 0),
            "max_score": answer.get("max_points", 1),
            "status": "passed" if answer.get("points", 0) >= answer.get("max_points", 1) else "failed",
            "output": test_output(answer, show_expected),
            "output_format": "text",
            "tags": [answer["verdict"]],
            "visibility": visibility,
        })
    counts = ", ".join(f"{n} {k}" for k, n in summary["answers"].items())
    out = [f"Sheet {report['sheet']}: {summary['score']:g} of {summary['max_score']:g} points ({counts})."]
    out += [f"warning: {w}" for w in summary.get("warnings", [])]
    return {
        "score": summary["score"],
        "execution_time": round(float(summary.get("seconds") or 0), 3),
        "output": "\n".join(out),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "visibility": visibility,
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def failed(message: str, visibility: str = "visible") -> dict[str, Any]:
    """A ``results.json`` that scores nothing and says why (no submission file, say)."""
    return {"score": 0, "output": message, "output_format": "text", "visibility": visibility,
            "stdout_visibility": "hidden", "tests": []}
