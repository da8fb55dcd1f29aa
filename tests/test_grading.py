"""Points and partial credit (engine.check.grading): the rubric of a question module."""
from __future__ import annotations

import pytest

from engine.check import grading
from engine.model.checking import Checking, Mistake

LOG = Mistake("log10", "log base 10 instead of the natural log", credit=0.5)
SIGN = Mistake("sign", "a sign error", credit=0.25)
RUBRIC = Checking(points={"q.a": 2, "q.b": 3, "q.c": 1, "q.d": 4}, carried_forward=0.5, mistakes=(LOG, SIGN))


def _report(*answers: tuple[str, str, str | None]) -> dict:
    return {"answers": [{"id": i, "verdict": v, "diagnosis": d} for i, v, d in answers],
            "summary": {"score": "?"}}


def test_defaults_are_one_point_per_answer_and_no_partial_credit():
    report = _report(("q.a", "correct", None), ("q.b", "incorrect", "log base 10 instead of the natural log"),
                     ("q.c", "missing", None), ("q.d", "unparsed", "could not read it"))
    grading.grade(report, {"q": Checking()})
    assert [a["points"] for a in report["answers"]] == [1, 0, 0, 0]
    assert [a["max_points"] for a in report["answers"]] == [1, 1, 1, 1]
    assert (report["summary"]["score"], report["summary"]["max_score"], report["summary"]["score_text"]) == (1, 4, "1/4")


@pytest.mark.parametrize("verdict, diagnosis, points, why", [
    ("correct", None, 3, "full"),
    ("correct", "differs from the exact value only by the rounding of the intermediate values", 3, "full"),
    # one named mistake alone: its credit (0.5 of 3 points)
    ("incorrect", "log base 10 instead of the natural log", 1.5, "log base 10 instead of the natural log (50%)"),
    ("incorrect", "log base 10 instead of the natural log; the error enters at line 7: a = b: differs", 1.5,
     "log base 10 instead of the natural log (50%)"),
    ("incorrect", "a sign error (dL/dw), with the intermediate values rounded to 3 digits (rounding of intermediates)",
     0.75, "a sign error (25%)"),
    # two mistakes at once: not "alone", no mistake credit
    ("incorrect", "log base 10 instead of the natural log; a sign error", 0, "none"),
    # a mistake the module does not know, paired with one it knows: not alone either
    ("incorrect", "inputs swapped (x and c exchanged); log base 10 instead of the natural log", 0, "none"),
    ("incorrect", "follows correctly from the student's earlier wrong value of q.a (line 3): error carried forward",
     1.5, "error carried forward (50%)"),
    ("incorrect", "no error model reproduces this value", 0, "none"),
    ("incorrect", None, 0, "none"),
    ("missing", None, 0, "none"),
    ("unparsed", "log base 10 instead of the natural log", 0, "none"),
])
def test_partial_credit(verdict, diagnosis, points, why):
    report = grading.grade(_report(("q.b", verdict, diagnosis)), {"q": RUBRIC})
    answer = report["answers"][0]
    assert (answer["points"], answer["max_points"], answer["credit"]) == (points, 3, why)
    assert report["summary"]["score"] == points and report["summary"]["max_score"] == 3


def test_the_larger_credit_applies():
    rubric = Checking(carried_forward=0.75, mistakes=(LOG,))
    diagnosis = "log base 10 instead of the natural log; follows correctly from x (line 2): error carried forward"
    report = grading.grade(_report(("q.a", "incorrect", diagnosis)), {"q": rubric})
    assert report["answers"][0]["points"] == 0.75


def test_structured_mistake_names_win_over_the_label():
    report = _report(("q.a", "incorrect", "whatever the words"))
    report["answers"][0]["mistakes"] = ["sign"]
    grading.grade(report, {"q": RUBRIC})
    assert report["answers"][0]["points"] == 0.5  # 2 points x 0.25


def test_score_sums_the_rubric():
    report = _report(("q.a", "correct", None), ("q.b", "incorrect", "a sign error"), ("q.c", "correct", None),
                     ("q.d", "missing", None))
    grading.grade(report, {"q": RUBRIC})
    assert report["summary"]["score"] == 2 + 3 * 0.25 + 1
    assert report["summary"]["max_score"] == 2 + 3 + 1 + 4
    assert report["summary"]["score_text"] == "3.75/10"


def test_catalog_rubric_is_read_from_the_question_module():
    # no module of the catalog sets points yet: one point per answer, by the module's own answer ids
    from engine.model import catalog

    problem = catalog.get("autodiff")
    report = _report(*[(i, "correct", None) for i in problem.answer_ids])
    grading.grade(report)
    assert report["summary"]["max_score"] == sum(problem.checking.points_of(i) for i in problem.answer_ids)
    assert report["summary"]["score"] == report["summary"]["max_score"]


# --------------------------------------------------------------------------- mistake names from the diagnosis table


def _variant(names: tuple[str, ...], labels: tuple[str, ...]):
    from engine.check.diagnose import Variant

    return Variant(names, labels, {"q.a": 0})


TABLE = [_variant(("swap",), ("inputs swapped",)), _variant(("log10",), ("log base 10 instead of the natural log",)),
         _variant(("swap", "log10"), ("inputs swapped", "log base 10 instead of the natural log"))]


@pytest.mark.parametrize("diagnosis, names", [
    ("inputs swapped", ("swap",)),
    ("inputs swapped; the error enters at line 4: c = 3: differs", ("swap",)),
    # a pair's label begins with its first model's: the longest label wins
    ("inputs swapped; log base 10 instead of the natural log", ("swap", "log10")),
    ("inputs swapped; log base 10 instead of the natural log, with the intermediate values rounded to 3 digits "
     "(rounding of intermediates)", ("swap", "log10")),
    ("log base 10 instead of the natural log; follows correctly from x (line 2): error carried forward", ("log10",)),
    ("no error model reproduces this value", ()),
    ("inputs swapped twice", ()),  # a label only as the start of a word: not named
    (None, ()),
])
def test_mistakes_of_a_diagnosis(diagnosis, names):
    from engine.check.diagnose import mistakes_of

    assert mistakes_of(diagnosis, TABLE) == names


def test_a_module_mistake_named_like_a_generic_one_gives_credit_and_is_no_extra_model():
    from types import SimpleNamespace

    from engine.check import diagnose

    problem = SimpleNamespace(checking=Checking(mistakes=(LOG, Mistake("own", "its own mistake", choices={"c": 1}))))
    names = [m.name for m in diagnose.models(problem)]
    assert names == ["log10", "own", "sign"]  # the module's "log10" adds no second log-base model
    report = _report(("q.a", "incorrect", "log base 10 instead of the natural log"))
    report["answers"][0]["mistakes"] = ["log10"]
    assert grading.grade(report, {"q": problem.checking})["answers"][0]["points"] == 0.5


def test_an_empty_list_of_names_gives_no_mistake_credit_whatever_the_words():
    report = _report(("q.a", "incorrect", "log base 10 instead of the natural log"))
    report["answers"][0]["mistakes"] = []
    assert grading.grade(report, {"q": RUBRIC})["answers"][0]["credit"] == "none"
