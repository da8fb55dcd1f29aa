"""Sheet D's checking knowledge (engine.model.checking in each module): every
answer id has an alias, the names students write (read through
engine.read.chains.quantity_key) match the intended answers, and every
Mistake is the module's own solve with a choice changed that moves the
answers it is about, to the values a student with that mistake writes
(computed here by hand or by torch, not by the module)."""
from __future__ import annotations

import re

import pytest
import sympy as sp

from engine.model import catalog
from engine.read.chains import quantity_key

SHEET_D = [p for p in catalog.available() if p.sheet == "D"]


def test_sheet_d_has_the_five_questions():
    assert [p.id for p in SHEET_D] == ["batchnorm", "attention", "init", "dropout", "logistic"]


@pytest.mark.parametrize("problem", SHEET_D, ids=lambda p: p.id)
def test_every_answer_has_an_alias_and_the_regexes_compile(problem):
    checking = problem.checking
    assert checking.title_words and re.compile(checking.title_words)
    assert {a.answer_id for a in checking.aliases} == set(problem.answer_ids)
    for alias in checking.aliases:
        for pattern in (*alias.names, *alias.words):
            re.compile(pattern)


STUDENT_NAMES = [
    (r"\mu_B", "batchnorm.mean"), (r"\sigma_B^2", "batchnorm.var"), (r"\hat{x}_i", "batchnorm.x_hat"),
    (r"\frac{\partial L}{\partial x_i}", "batchnorm.dL_dx_symbolic"), (r"\frac{\partial L}{\partial \gamma}",
                                                                         "batchnorm.dL_dgamma"),
    (r"\mathbb{E}[q \cdot k]", "attention.mean_qk"), (r"\operatorname{Var}(q \cdot k)", "attention.var_qk"),
    (r"\frac{\partial a_i}{\partial s_j}", "attention.jacobian_symbolic"),
    (r"\operatorname{Var}(y)", "init.var_y"), (r"\mathbb{E}[\mathrm{ReLU}(z)^2]", "init.relu_second_moment"),
    (r"E[\tilde{h}]", "dropout.mean"), (r"\operatorname{Var}[\tilde{h}]", "dropout.var"),
    (r"\frac{\partial L}{\partial h}", "dropout.grad"), (r"\frac{\partial L}{\partial z}", "logistic.dL_dz"),
    (r"\frac{\partial L}{\partial b}", "logistic.dL_db"),
]


@pytest.mark.parametrize("latex, answer_id", STUDENT_NAMES)
def test_student_names_match_their_answer(latex, answer_id):
    problem = catalog.find_answer(answer_id)
    key = quantity_key(latex)
    matched = {a.answer_id for a in problem.checking.aliases if any(re.fullmatch(n, key) for n in a.names)}
    assert answer_id in matched, (key, matched)


def _values(problem, choices=None):
    sol = problem.solve(choices=choices)
    return {k: (a.json_value, a.value) for k, a in sol.answers.items()}


#: mistake name -> {answer id: the value a student with that mistake writes}, by hand.
SQRT_10_3 = (10 / 3) ** 0.5
EXPECTED_MISTAKES = {
    "unbiased_variance": {"batchnorm.var": 10 / 3, "batchnorm.x_hat": [-2 / SQRT_10_3, -1 / SQRT_10_3,
                                                                       1 / SQRT_10_3, 2 / SQRT_10_3]},
    "direct_path_only": {"batchnorm.dL_dx": [2 * g / 2.5 ** 0.5 for g in (0.5, -1, 0, 1)]},
    "unscaled": {"attention.scores": [[1, 0, 1], [0, 1, 2]]},
    "terms_not_counted": {},
    "he_without_half": {"init.he_var": 1 / 256, "init.he_std": 1 / 16},
    "scaled_at_test_time": {"dropout.test_scale": 0.8, "dropout.grad": [0.5, 0, -1, 2]},
    "sign_flipped": {"logistic.dL_dz": 1 - 1 / (1 + 2.718281828459045 ** -0.1)},
}


@pytest.mark.parametrize("problem", SHEET_D, ids=lambda p: p.id)
def test_every_mistake_moves_its_answers_to_the_students_values(problem):
    right = _values(problem)
    for mistake in problem.checking.mistakes:
        wrong = _values(problem, mistake.choices)
        moved = [k for k in right if right[k][1] != wrong[k][1]]
        assert moved, mistake.name
        for answer_id, value in EXPECTED_MISTAKES[mistake.name].items():
            got = wrong[answer_id][0]
            got = [e for row in got for e in (row if isinstance(row, list) else [row])] if isinstance(got, list) else got
            value = [e for row in value for e in (row if isinstance(row, list) else [row])] if isinstance(value, list) \
                else value
            assert got == pytest.approx(value, rel=1e-12), (mistake.name, answer_id)
    if problem.id == "init":
        (mistake,) = [m for m in problem.checking.mistakes if m.name == "terms_not_counted"]
        value = problem.solve(choices=mistake.choices).answers["init.var_y"].value
        assert {s.name for s in value.free_symbols} == {r"{\operatorname{Var}(w)}", r"{\operatorname{Var}(x)}"}
