"""The benchmark's own machinery: the math behind the generated pairs'
expected verdicts (against Python's decimal module and known identities),
the committed pair file, the scoring, and the sympy baselines' adapter."""
from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal

import mpmath
import numpy as np
import pytest
import sympy as sp

from bench import equivalence, mathcheck as mc, pairs, timing, tools

x, y = sp.symbols("x y", positive=True)
g = sp.Symbol("g", real=True)


@pytest.mark.parametrize("value, digits, written", [
    (sp.Rational(1, 4), 1, "0.3"),          # a tie rounds away from zero
    (-sp.Rational(1, 4), 1, "-0.3"),
    (sp.pi, 3, "3.14"),
    (sp.Integer(138357544), 3, "1.38E+8"),
    (9 / sp.log(3), 4, "8.192"),
    (sp.Rational(990, 37981), 3, "0.0261"),
    (sp.Rational(9996, 1000), 3, "10.0"),   # 9.996 carries into a new leading digit
])
def test_round_significant_is_school_rounding(value, digits, written):
    expected = Decimal(mpmath.nstr(mpmath.mpf(sp.N(value, 60)), 40, strip_zeros=False))
    exponent = expected.adjusted() - digits + 1
    reference = expected.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)
    if reference.adjusted() != expected.adjusted():
        reference = expected.quantize(Decimal(1).scaleb(exponent + 1), rounding=ROUND_HALF_UP)
    got = mc.round_significant(mc.mp(value), digits)
    assert got == reference == Decimal(written)


@pytest.mark.parametrize("value, written, verdict", [
    (9 / sp.log(3), "8.19", True), (9 / sp.log(3), "8.193", False), (9 / sp.log(3), "8.1922", True), (9 / sp.log(3), "8.1921", False),
    (sp.Rational(1, 4), "0.2", False), (sp.Integer(212), "212", True), (sp.Integer(212), "213", False),
])
def test_rounds_to(value, written, verdict):
    assert mc.rounds_to(mc.mp(value), Decimal(written)) is verdict


@pytest.mark.parametrize("ref, stu, verdict", [
    (sp.log(x * y), sp.log(x) + sp.log(y), "equal"),
    ((x + 1) ** 2, x ** 2 + 2 * x + 1, "equal"),
    ((x + 1) ** 2, x ** 2 + 1, "different"),
    (sp.Abs(g), sp.sqrt(g ** 2), "equal"),
    (sp.Abs(g), g, "different"),            # differs only for g < 0: both signs are sampled
    (mc.SIGMA(sp.Integer(0)), sp.Rational(1, 2), "equal"),
    (mc.LOG10(sp.Integer(1000)), sp.Integer(3), "equal"),
    (sp.log(x), mc.LOG10(x), "different"),
    (sp.Matrix([[1, 2]]), sp.Matrix([[1], [2]]), "different"),
    (sp.Matrix([[1, 2]]), [1, 2], "equal"),
    (x + 10 ** -12 * x, x, None),           # neither equal to 35 digits nor different by 1e-4
])
def test_judge_decides_from_the_values(ref, stu, verdict):
    assert mc.judge(ref, stu) == verdict


def test_judge_substitutes_definitions_and_givens():
    u, c = sp.symbols("u c")
    defs = {"u": x ** 2 / sp.log(x)}
    assert mc.judge(9 / sp.log(3), u, defs, {"x": sp.Integer(3)}) == "equal"
    assert mc.judge(9 / sp.log(3), u + c, defs, {"x": sp.Integer(3), "c": sp.Integer(5)}) == "different"
    assert mc.judge(x ** 2 / sp.log(x), u, defs) == "equal"


@pytest.mark.parametrize("expr, latex", [
    (mc.LOG10(x), r"\log_{10} x"),
    (9 / mc.LOG10(sp.Integer(3)), r"\frac{9}{\log_{10} 3}"),
    (mc.SIGMA(sp.Symbol(r"\mathrm{net}_{1}")), r"\sigma\left(\mathrm{net}_{1}\right)"),
])
def test_student_notations_print_as_written(expr, latex):
    assert mc.tex(expr) == latex


def test_the_pair_set_is_large_balanced_and_well_formed():
    items = pairs.load()
    assert len(items) >= 200
    assert len(pairs.read_jsonl(pairs.SHARED, "shared")) >= 25
    expected = [i["expected"] for i in items]
    assert expected.count("equal") >= 100 and expected.count("different") >= 100
    assert len({(i["reference"], i["student"], i["problem"]) for i in items}) == len(items)
    generated = pairs.read_jsonl(pairs.GENERATED, "generated")
    assert {"rounding", "rewrite", "definition", "mutation-sign", "mutation-log10", "mutation-bias",
            "mutation-digit"} <= {i["kind"] for i in generated}
    assert all(set(i) == set(pairs.FIELDS) | {"source"} for i in generated)


def test_the_committed_pairs_are_what_the_generator_writes(tmp_path):
    target = tmp_path / "pairs.jsonl"
    target.write_text(pairs.GENERATED.read_text())
    assert pairs.main(["--check", "-o", str(target)]) == 0


def test_score_counts_false_verdicts():
    items = [{"expected": "equal"}, {"expected": "equal"}, {"expected": "different"}, {"expected": "different"}]
    results = [("equal", "", 10.0), ("different", "", 20.0), ("equal", "", 30.0), ("undecided", "", 40.0)]
    s = equivalence.score(items, results)
    assert (s["correct"], s["false_different"], s["false_equal"], s["undecided"]) == (1, 1, 1, 1)
    assert s["accuracy"] == 0.25
    assert s["median_ms"] == np.percentile([10, 20, 30, 40], 50)
    assert s["p95_ms"] == round(float(np.percentile([10, 20, 30, 40], 95)), 1)


@pytest.mark.parametrize("values", [[1.0], [3.0, 1.0, 2.0], list(np.linspace(0, 1, 101)), [5, 1, 9, 7, 3, 8]])
@pytest.mark.parametrize("q", [50, 95])
def test_percentile_is_numpys(values, q):
    assert equivalence.percentile(list(values), q) == pytest.approx(np.percentile(values, q))


@pytest.mark.parametrize("fn, reference, student, problem, verdict", [
    (tools.sympy_simplify, "x^2", r"x \cdot x", None, "equal"),
    (tools.sympy_simplify, r"\frac{1}{4}", "0.25", None, "equal"),
    (tools.sympy_simplify, r"\frac{1}{4}", "0.3", None, "different"),
    (tools.sympy_simplify, r"\begin{bmatrix}1 & 2\end{bmatrix}", "(1, 2)", None, "equal"),
    (tools.sympy_simplify, r"\begin{bmatrix}1 & 2\end{bmatrix}", "3", None, "different"),
    (tools.sympy_simplify, r"\hat{m}_2", r"\frac{m_2}{1 - \beta_1^2}", "adam", "equal"),
    (tools.sympy_equals, "y = 2x", "x + x", None, "equal"),
    (tools.sympy_equals, r"\frac{9}{\log 3}", r"\frac{9}{\log 3} \approx 8.19", None, "different"),
    (tools.sympy_equals, r"\frac{", "1", None, "undecided"),
])
def test_sympy_baselines_see_what_derive_sees(fn, reference, student, problem, verdict):
    assert fn(reference, student, problem)[0] == verdict


def test_the_synthetic_class_is_reproducible(tmp_path):
    first = [p.read_text() for p in timing.synthetic_class(tmp_path / "a", 12)]
    second = [p.read_text() for p in timing.synthetic_class(tmp_path / "b", 12)]
    assert first == second
    assert len(set(first)) > 6
    assert all(text.startswith("# Sheet A") or text.startswith("**Q1**") or text for text in first)


def test_the_table_lists_every_tool():
    row = {"accuracy": 0.5, "false_equal": 1, "false_different": 2, "undecided": 3, "median_ms": 4.0, "p95_ms": 5.0}
    section = {name: dict(row) for name in equivalence.TOOLS}
    section["math_verify_tuned"]["float_rounding"] = 3
    text = equivalence.table(section)
    assert [line.split()[0] for line in text.splitlines()[2:]] == list(equivalence.TOOLS)
    assert "(fr=3)" in text
    json.dumps(section)
