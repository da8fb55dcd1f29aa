"""engine.equiv: the answer checker's equivalence verdicts.

The pair files hold the expected verdicts (judged by hand, with a note each):
/work/shared/equivalence-pairs.jsonl (the lead's) and tests/data/
equivalence-pairs.jsonl (ours). The problem table is checked against
independent references: PyTorch autograd in float64, a plain loop of Adam
updates, torch.softmax and torch.sigmoid."""
from __future__ import annotations

import doctest
import json
import random
import time
from pathlib import Path

import pytest
import sympy as sp
import torch

from engine import cli, equiv
from engine.equiv import PROBLEMS, Verdict, compare_rounded, equivalent
from engine.errors import UsageError
from engine.parse import number_literal, symbol

ROOT = Path(__file__).resolve().parents[1]
PAIR_FILES = [Path("/work/shared/equivalence-pairs.jsonl"), ROOT / "tests" / "data" / "equivalence-pairs.jsonl"]
TIMEOUT = 20.0


def _pairs():
    params = []
    for path in PAIR_FILES:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if line.strip():
                item = json.loads(line)
                params.append(pytest.param(item, id=f"{path.parent.name}/{path.name}:{number}"))
    return params


@pytest.fixture(scope="module")
def workers():
    with equiv.pool(2, timeout=TIMEOUT) as pool:
        yield pool


# --------------------------------------------------------------------------- the pair files


def test_our_pair_file_is_large_and_balanced():
    items = [json.loads(line) for line in PAIR_FILES[1].read_text().splitlines() if line.strip()]
    verdicts = [item["expected"] for item in items]
    assert len(items) >= 80
    assert verdicts.count("equal") >= 30 and verdicts.count("different") >= 30 and verdicts.count("undecided") >= 5
    assert all(item["note"] and set(item) == {"reference", "student", "problem", "expected", "note"} for item in items)
    assert len({(i["reference"], i["student"], i["problem"]) for i in items}) == len(items)


@pytest.mark.parametrize("pair", _pairs())
def test_pair_gets_its_expected_verdict(pair, workers):
    verdict = equivalent(pair["reference"], pair["student"], problem=pair["problem"], pool=workers, timeout=TIMEOUT)
    assert verdict.verdict == pair["expected"], f"{pair['note']}: {verdict.reason}"
    assert verdict.reason


# --------------------------------------------------------------------------- pathological input


GARBAGE = "".join(random.Random(7).choice("\\{}^_()x1+=&") for _ in range(1 << 20))


@pytest.mark.parametrize(
    "reference, student, reason",
    [
        ("9^{9^9}", "1", "the reference holds a power with about 10^9 digits (9^(9**9)): too large to evaluate"),
        ("1", "5^{5^{5^{5^5}}}",
         "the answer holds a power with more than 10^300 digits (5^(5**(5**(5**5)))): too large to evaluate"),
        ("0", r"10^{10^{10}} - 10^{10^{10}}",
         "the answer holds a power with about 10^10 digits (10^(10**10)): too large to evaluate"),
        ("1", r"\frac{1}{" * 500 + "x" + "}" * 500,
         "the answer cannot be read: brackets are nested 500 deep; at most 50 levels are read"),
        ("1", GARBAGE, "the answer cannot be read: the expression is 1048576 characters long; at most 20000 are read"),
        ("1", "1\x00\x00", "the answer cannot be read: the text contains the control character U+0000"),
        ("x\x00", "x", "the reference cannot be read: the text contains the control character U+0000"),
        ("1", "", "the answer is empty"),
    ],
)
def test_pathological_input_is_undecided_with_the_reason(reference, student, reason, workers):
    verdict = equivalent(reference, student, pool=workers, timeout=5.0)
    assert (verdict.verdict, verdict.reason) == ("undecided", reason)
    assert verdict.ms < 5000


def test_gil_holding_work_ends_at_the_time_limit():
    # (10^7)! is evaluated in big-integer arithmetic: only the worker's SIGKILL stops it.
    start = time.monotonic()
    verdict = equivalent(r"(10^{7})!", "1", timeout=1.0)
    assert (verdict.verdict, verdict.reason) == ("undecided", "no decision within the time limit (1 s)")
    assert time.monotonic() - start < 4.0


def test_unknown_problem_is_a_usage_error():
    with pytest.raises(UsageError) as info:
        equivalent("1", "1", problem="nope")
    assert str(info.value) == ("unknown problem 'nope'; known problems: autodiff, adam, vgg16, cnn, softmax, "
                               "autograd, delta_rule")


def test_verdict_json_shape():
    assert Verdict("equal", "why", 12.345).as_json() == {"verdict": "equal", "reason": "why", "ms": 12.3}


# --------------------------------------------------------------------------- precision as written


@pytest.mark.parametrize(
    "reference, written, verdict",
    [
        (sp.Rational(48756893, 10 ** 6), "48.757", "equal"),
        (sp.Integer(138357544), r"1.38 \times 10^8", "equal"),
        (sp.Rational(421113714, 10 ** 7), "42,7", "different"),
        (sp.Rational(1, 4), "0.3", "equal"),       # a tie rounds away from zero
        (sp.Rational(1, 4), "0.2", "different"),   # ... not to even
        (sp.Rational(-1, 4), "-0.3", "equal"),
        (sp.Rational(-1, 4), "-0.2", "different"),
        (sp.Rational(3, 8), "0.38", "equal"),      # 0.375: tie at 2 decimals
        (sp.Rational(3, 8), "0.37", "different"),
        (sp.sqrt(2), "1.41421", "equal"),
        (sp.sqrt(2), "1.41422", "different"),
        (sp.pi, "3.1416", "equal"),
        (sp.Integer(138357544), "138000000", "undecided"),
        (sp.Integer(138357544), "138400000", "undecided"),  # right only if the zeros are not significant
        (sp.Integer(138357544), "138300000", "different"),  # wrong either way
        (sp.Integer(196), "196.0", "equal"),
        (sp.Integer(196), "196.4", "different"),
    ],
)
def test_compare_rounded(reference, written, verdict):
    assert compare_rounded(reference, number_literal(written))[0] == verdict


def test_a_reference_written_with_fewer_digits_bounds_the_comparison():
    reference = number_literal("0.0900306")
    assert compare_rounded(sp.Rational(900306, 10 ** 7), number_literal("0.090030573"), reference) == (
        "equal", "0.090030573 rounds to the reference 0.0900306 at the reference's last digit (1e-7)")
    assert compare_rounded(sp.Rational(900306, 10 ** 7), number_literal("0.090040573"), reference)[0] == "different"


def test_reasons_name_the_rounding():
    assert compare_rounded(sp.Rational(1, 4), number_literal("0.2")) == (
        "different", "the reference 0.25 rounded at the last digit written (0.1) is 0.3, not 0.2")
    assert compare_rounded(sp.Integer(14714688), number_literal(r"1.4\times 10^{7}")) == (
        "different", r"the reference 14714688 rounded at the last digit written (1e6) is 1.5 \times 10^{7}, "
                     r"not 1.4\times 10^{7}")


# --------------------------------------------------------------------------- the problem table, against references


def _at(expr, values):
    return float(sp.N(PROBLEMS["autodiff"].expand(expr).xreplace(values)))


def test_autodiff_adjoints_match_pytorch_autograd():
    x = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    c = torch.tensor(5.0, dtype=torch.float64, requires_grad=True)
    u = x ** 2 / torch.log(x)
    f = (u + c) * (u - c)
    f.backward()
    values = {symbol("x"): 3, symbol("c"): 5}
    assert _at(symbol(r"\bar{v}", "0"), values) == pytest.approx(x.grad.item(), rel=1e-12)
    assert _at(symbol(r"\bar{v}", "-1"), values) == pytest.approx(c.grad.item(), rel=1e-12)
    assert _at(symbol("v", "6"), values) == pytest.approx(f.item(), rel=1e-12)


def test_adam_bias_corrected_moments_match_a_plain_loop():
    beta1, beta2, grads = 0.8, 0.95, [0.3, -1.7]
    m = v = 0.0
    hats = {}
    for step, grad in enumerate(grads, start=1):
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad ** 2
        hats[step] = (m / (1 - beta1 ** step), v / (1 - beta2 ** step))
    values = {symbol(r"\beta", "1"): sp.Rational(8, 10), symbol(r"\beta", "2"): sp.Rational(95, 100),
              symbol("g", "1"): sp.Rational(3, 10), symbol("g", "2"): sp.Rational(-17, 10)}
    context = PROBLEMS["adam"]
    for step in (1, 2):
        m_hat = float(context.expand(symbol(r"\hat{m}", str(step))).xreplace(values))
        v_hat = float(context.expand(symbol(r"\hat{v}", str(step))).xreplace(values))
        assert (m_hat, v_hat) == pytest.approx(hats[step], rel=1e-12)


def test_softmax_definition_matches_torch():
    logits = [0.5, -1.25, 2.0]
    expected = torch.softmax(torch.tensor(logits, dtype=torch.float64), dim=0)
    p_y = PROBLEMS["softmax"].expand(symbol("p", "y")).xreplace({sp.Symbol("K"): 3}).doit()
    z = sp.IndexedBase("z")
    values = {z[k + 1]: sp.Rational(str(v)) for k, v in enumerate(logits)}
    for k in range(3):
        values[symbol("z", "y")] = values[z[k + 1]]
        assert float(p_y.xreplace(values)) == pytest.approx(expected[k].item(), rel=1e-12)


def test_delta_rule_sigma_is_torch_sigmoid():
    context = PROBLEMS["delta_rule"]
    expr = context.expand(sp.Function("sigma")(sp.Symbol("q")))
    for q in (-3.0, 0.0, 0.7):
        assert float(expr.xreplace({sp.Symbol("q"): q})) == pytest.approx(
            torch.sigmoid(torch.tensor(q, dtype=torch.float64)).item(), rel=1e-12)


# --------------------------------------------------------------------------- the command


def test_cli_single_pair_text_and_json(capsys):
    assert cli.main(["equiv", r"\frac{1}{4}", "0.2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("different: the reference 0.25 rounded at the last digit written (0.1) is 0.3, not 0.2 (")
    assert cli.main(["equiv", "123642856", r"1.236 \times 10^{8}", "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["verdict"] == "equal" and set(result) == {"verdict", "reason", "ms"}


def test_cli_pairs_in_order_with_malformed_lines(tmp_path, capsys):
    lines = [
        json.dumps({"reference": "x", "student": "x + 0", "problem": None}),
        "not json",
        "",
        json.dumps({"reference": 1, "student": "1"}),
        json.dumps({"reference": "1", "student": "1", "problem": "zzz"}),
        json.dumps({"reference": r"\frac{1}{4}", "student": "0.2"}),
        json.dumps({"reference": "p_{y'}", "student": r"\frac{e^{z_{y'}}}{\sum_j e^{z_j}}", "problem": "softmax"}),
    ]
    path = tmp_path / "pairs.jsonl"
    path.write_text("\n".join(lines) + "\n")
    assert cli.main(["equiv", "--pairs", str(path), "--jobs", "2"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["verdict"] for o in out] == ["equal", "undecided", "undecided", "undecided", "different", "equal"]
    assert out[1]["reason"] == "line 2: not JSON (Expecting value at column 1)"
    assert out[2]["reason"] == "line 4: 'reference' and 'student' must be strings"
    assert out[3]["reason"] == ("line 5: unknown problem 'zzz'; known problems: adam, autodiff, autograd, cnn, "
                                "delta_rule, softmax, vgg16")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["equiv", "--pairs", "/nonexistent/pairs.jsonl"],
         "derive equiv: cannot read /nonexistent/pairs.jsonl: No such file or directory\n"),
        (["equiv", "1", "2", "--pairs", "x.jsonl"],
         "derive equiv: give either REFERENCE STUDENT or --pairs FILE, not both\n"),
        (["equiv", "1"], "derive equiv: give REFERENCE and STUDENT (LaTeX strings), or --pairs FILE\n"),
        (["equiv", "1", "1", "--problem", "nope"],
         "derive equiv: unknown problem 'nope'; known problems: autodiff, adam, vgg16, cnn, softmax, autograd, "
         "delta_rule\n"),
        (["equiv", "--pairs", "x.jsonl", "--jobs", "0"], "derive equiv: --jobs 0: give at least 1 worker\n"),
    ],
)
def test_cli_usage_errors_exit_2_with_one_line(argv, message, capsys):
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", message)


def test_module_docstring_examples():
    for module in (equiv, __import__("engine.parse", fromlist=["x"]), __import__("engine.latex_text", fromlist=["x"]),
                   __import__("engine.sandbox", fromlist=["x"])):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0, module.__name__
