"""engine.check.equiv: the answer checker's equivalence verdicts.

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

from derivations import MODULES
from engine import cli
from engine.check import equiv
from engine.check.equiv import PROBLEMS, Verdict, compare_rounded, equivalent
from engine.errors import UsageError
from engine.read.parse import number_literal, symbol

#: The catalog's problem ids in sheet order (the known problems an error names).
CATALOG_ORDER = MODULES

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
        ("9^{9^9}", "1", "the reference holds a power with about 10^8 digits (9^(9**9)): too large to evaluate"),
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
    assert str(info.value) == f"unknown problem 'nope'; known problems: {', '.join(CATALOG_ORDER)}"


def test_verdict_json_shape():
    assert Verdict("equal", "why", 12.345).as_json() == {"verdict": "equal", "reason": "why", "ms": 12.3}


# --------------------------------------------------------------------------- precision as written


@pytest.mark.parametrize(
    "reference, written, verdict",
    [
        (sp.Rational(48756893, 10 ** 6), "48.757", "equal"),
        (sp.Integer(138357544), r"1.38 \times 10^8", "equal"),
        (sp.Rational(421113714, 10 ** 7), "42,7", "different"),
        (sp.Rational(1, 4), "0.3", "different"),   # one digit is not a rounding: 0.2 or 0.3 match only exactly
        (sp.Rational(1, 8), "0.13", "equal"),      # a tie rounds away from zero
        (sp.Rational(1, 4), "0.2", "different"),   # ... not to even
        (sp.Rational(-1, 8), "-0.13", "equal"),
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
    assert out[3]["reason"] == f"line 5: unknown problem 'zzz'; known problems: {', '.join(sorted(CATALOG_ORDER))}"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["equiv", "--pairs", "/nonexistent/pairs.jsonl"],
         "derive equiv: /nonexistent/pairs.jsonl: no such file\n"),
        (["equiv", "1", "2", "--pairs", "x.jsonl"],
         "derive equiv: give either REFERENCE STUDENT or --pairs FILE, not both\n"),
        (["equiv", "1"], "derive equiv: give REFERENCE and STUDENT (LaTeX strings), or --pairs FILE\n"),
        (["equiv", "1", "1", "--problem", "nope"],
         f"derive equiv: unknown problem 'nope'; known problems: {', '.join(CATALOG_ORDER)}\n"),
    ],
)
def test_cli_usage_errors_exit_2_with_one_line(argv, message, capsys):
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", message)


def test_module_docstring_examples():
    for module in (equiv, __import__("engine.read.parse", fromlist=["x"]), __import__("engine.read.text", fromlist=["x"]),
                   __import__("engine.sandbox", fromlist=["x"])):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0, module.__name__


# --------------------------------------------------------------------------- regressions of the bench and the fuzz


ADAM_REFERENCE = (r"w_{t} - \frac{\alpha m_{t}}{\left(1 - \beta_{1}^{t}\right) \left(\epsilon + "
                  r"\sqrt{\frac{v_{t}}{1 - \beta_{2}^{t}}}\right)}")


def _adam_update(w, m, v, t, alpha, b1, b2, eps, *, split_root=False, corrected=True):
    """The Adam update (Kingma & Ba 2015, Algorithm 1) in float64 torch, as written by hand."""
    if not corrected:
        return w - alpha * m / (eps + torch.sqrt(v))
    root = torch.sqrt(v) * torch.sqrt(1 / (1 - b2 ** t)) if split_root else torch.sqrt(v / (1 - b2 ** t))
    return w - alpha * m / ((1 - b1 ** t) * (eps + root))


@pytest.mark.parametrize(
    "student, options",
    [
        (r"w_{t} - \frac{\alpha m_{t}}{\left(1 - \beta_{1}^{t}\right) \left(\epsilon + \sqrt{v_{t}} "
         r"\sqrt{\frac{1}{1 - \beta_{2}^{t}}}\right)}", {"split_root": True}),
        (r"w_{t} - \frac{\alpha m_{t}}{\epsilon + \sqrt{v_{t}}}", {"corrected": False}),
    ],
)
def test_adam_update_rule_rewrites_are_sampled_in_their_domain(student, options, workers):
    # the expected verdict comes from the formulas in torch at points with 0 < beta < 1, v > 0
    point = [torch.tensor(v, dtype=torch.float64) for v in (0.3, -0.7, 0.02, 3.0, 0.001, 0.9, 0.999, 1e-8)]
    same = torch.isclose(_adam_update(*point), _adam_update(*point, **options), rtol=1e-12, atol=0).item()
    verdict = equivalent(ADAM_REFERENCE, student, pool=workers, timeout=TIMEOUT)
    assert verdict.verdict == ("equal" if same else "different"), verdict.reason


@pytest.mark.parametrize(
    "reference, student, problem, expected",
    [
        # our printer's indexed symbols (bench: 21 pairs undecided)
        (r"{p}_{y} - 1", r"p_y - 1", None, "equal"),
        (r"{p}_{y} - 1", r"1 - {p}_{y}", None, "different"),
        (r"- \log\left({p}_{y}\right)", r"\log\left(\frac{1}{{p}_{y}}\right)", None, "equal"),
        (r"{p}_{y'}", r"\frac{e^{z_{y'}}}{\sum_{j=1}^{K} e^{{z}_{j}}}", "softmax", "equal"),
        (r"{p}_{y'}", r"\frac{e^{z_{y}}}{\sum_{j=1}^{K} e^{{z}_{j}}}", "softmax", "different"),
        (r"\eta o_{1} \left(1 - o_{1}\right) \left(t_{1} - o_{1}\right) {x}_{j}",
         r"\eta \cdot o_{1} \cdot \left(o_{1} - 1\right) \left(o_{1} - t_{1}\right) x_j", None, "equal"),
        (r"\eta o_{1} \left(1 - o_{1}\right) \left(t_{1} - o_{1}\right) {x}_{j}",
         r"\eta o_{1} \left(1 - o_{1}\right) \left(o_{1} - t_{1}\right) x_j", None, "different"),
        # definitions and givens to a fixed point: net_1 is given by w and x
        (r"\frac{1}{2}", r"\sigma\left(\mathrm{net}_{1}\right)", "delta_rule", "equal"),
        (r"\frac{1}{2}", r"\sigma(net_1)", "delta_rule", "equal"),
        (r"\frac{1}{2}", r"o_1", "delta_rule", "equal"),
        (r"\frac{1}{4}", r"\sigma(\mathrm{net}_1)", "delta_rule", "different"),
        # notation of real solutions
        (r"\sigma(z)\left(1 - \sigma(z)\right)", r"\sigma'(z)", "delta_rule", "equal"),
        (r"p_y", r"\operatorname{softmax}(z)_y", "softmax", "equal"),
        (r"\mathbb{1}[y = k]", r"\mathbf{1}\{k = y\}", None, "equal"),
        (r"\sum_{ij} w_{ij} x_j", r"\sum_i \sum_j x_j w_{ij}", None, "equal"),
        (r"\Gamma(5)", "24", None, "equal"),
        (r"\sqrt{\frac{v}{1 - b}}", r"\sqrt{v} \sqrt{\frac{1}{1 + b}}", None, "different"),
    ],
)
def test_regression_pairs(reference, student, problem, expected, workers):
    verdict = equivalent(reference, student, problem=problem, pool=workers, timeout=TIMEOUT)
    assert verdict.verdict == expected, verdict.reason


@pytest.mark.parametrize(
    "reference, student, problem, verdict, reason",
    [
        (r"\operatorname{ReLU}(1, 2)", "1", None, "undecided",
         "the reference cannot be read: ReLU takes 1 argument, not 2: check the commas inside ReLU(...)"),
        ("1", r"\text{sigmoid}(1,2)", None, "undecided",
         "the answer cannot be read: sigmoid takes 1 argument, not 2: check the commas inside sigmoid(...)"),
        (r"\frac{999.0}{2,1}", r"$\sqrt{\begin{pmatrix}7.0 & 7e0 & 1.0 \times 10^{1}\end{pmatrix}}", "autodiff",
         "undecided", "cannot compare: cannot evaluate sqrt(Matrix([[7, 7*10**0, 1*10**1]])): Power of non-square "
         "matrix Matrix([[7, 7, 10]])"),
        (r"|\sqrt{\begin{bmatrix}203.99999\end{bmatrix}}|", r"971.971\%", None, "undecided",
         "cannot compare at the precision written: Matrix([[sqrt(203999990)/1000]]) is not a finite real number"),
        (r"\sqrt{\sqrt{\lg(60e-19)}}", "4", None, "undecided",
         "cannot compare at the precision written: log(3/500000000000000000)**(1/4)/log(10)**(1/4) is not a "
         "finite real number"),
        (r"\|\sqrt{0/0}\|_2", "1", None, "undecided",
         "a value is undefined or infinite (a division by zero?): never equal to another"),
        ("1", r"\|\sqrt{{151.63281\%}^{213911}^T}\|_2", None, "undecided",
         "the answer holds a power with about 10^5 digits (a number of more than 4300 digits^(1/2)): too large to "
         "evaluate"),
        ("1", r"1 + O(\epsilon^2)", None, "undecided",
         "the answer cannot be read: an order term O(...): the answer is compared without it; write the terms up to "
         "the order"),
        ("p_k", r"p_k - \mathbb{1}[y = k]", None, "undecided",
         "equal at 20 random points, but KroneckerDelta can differ away from them (no symbolic proof)"),
    ],
)
def test_fuzz_findings_get_a_verdict_with_the_reason(reference, student, problem, verdict, reason, workers):
    result = equivalent(reference, student, problem=problem, pool=workers, timeout=TIMEOUT)
    assert (result.verdict, result.reason) == (verdict, reason)


def test_delta_rule_givens_reach_torch_sigmoid():
    from derivations.delta_rule import PROBLEM

    defaults = PROBLEM.defaults()
    x = torch.tensor([float(v) for v in defaults["x"]], dtype=torch.float64)
    w = torch.tensor([float(v) for v in defaults["w"]], dtype=torch.float64)
    expected = torch.sigmoid(torch.dot(w, x)).item()
    context = PROBLEMS["delta_rule"]
    for latex in (r"\sigma(\mathrm{net}_1)", "o_1"):
        from engine.read.parse import parse_latex

        value = context.substitute_givens(parse_latex(latex, **context.parse_options()))
        assert float(value) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(
    "definitions, givens, message",
    [
        ({sp.Symbol("a"): sp.Symbol("b"), sp.Symbol("b"): sp.Symbol("a")}, {},
         "the problem's definitions do not settle after 30 substitutions (a cycle?)"),
        ({sp.Symbol("a"): sp.Symbol("a") + 1}, {},
         "the problem's definitions do not settle after 30 substitutions (a cycle?)"),
        ({}, {sp.Symbol("a"): sp.Symbol("b"), sp.Symbol("b"): sp.Symbol("a")},
         "the problem's given values do not settle after 30 substitutions (a cycle?)"),
    ],
)
def test_cyclic_definitions_end_with_a_reason(definitions, givens, message):
    from engine.check.context import DefinitionCycle, ProblemContext

    context = ProblemContext(definitions=definitions, givens=givens)
    with pytest.raises(DefinitionCycle) as info:
        context.substitute_givens(sp.Symbol("a")) if givens else context.expand(sp.Symbol("a"))
    assert str(info.value) == message


def test_givens_defined_by_givens_are_substituted_to_numbers():
    from engine.check.context import ProblemContext

    a, b, c = sp.symbols("a b c")
    context = ProblemContext(definitions={c: 2 * a}, givens={a: b + 1, b: sp.Integer(2)})
    assert context.substitute_givens(c) == 6  # c = 2a, a = b + 1, b = 2


@pytest.mark.parametrize("problem_id", sorted(PROBLEMS))
def test_the_spot_check_samples_each_parameter_in_its_declared_range(problem_id):
    from engine.model import catalog
    from engine.math.spot import sample
    from engine.read.parse import parse_latex

    context = PROBLEMS[problem_id]
    rng = random.Random(3)
    for param in catalog.get(problem_id).parameters:
        if param.kind != "scalar" or param.domain is None:
            continue
        sym = parse_latex(param.latex)
        if not isinstance(sym, sp.Symbol):  # dL/dy of cnn: a derivative, never sampled
            assert sym not in context.domain
            continue
        lo, hi = context.domain[sym]
        if (problem_id, param.name) != ("adam", "epsilon"):  # epsilon: (0.001, 0.1), see equiv_problems
            assert (lo, hi) == tuple(param.domain)
        for regime in ("positive", "mixed", "unit"):
            draws = [sample(sym, rng, regime, context.domain) for _ in range(200)]
            assert all(lo < d < hi for d in draws), (param.name, regime)


def test_cli_pairs_escape_what_utf8_cannot_encode(tmp_path, capsys):
    lines = [json.dumps({"reference": "\n\\int\n\n\ud800**\n", "student": "\U000f3477\x84o", "problem": None}).encode(),
             b'{"reference": "1", "student": "\xff\xfe"}',
             json.dumps({"reference": "1", "student": "1", "problem": "\ud800"}).encode(),
             json.dumps({"reference": "1", "student": "1.0"}).encode()]
    path = tmp_path / "pairs.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert cli.main(["equiv", "--pairs", str(path), "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["verdict"] for r in results] == ["undecided", "undecided", "undecided", "equal"]
    assert results[0]["reason"] == ("the reference cannot be read: cannot read the expression near '\\int \ud800**': "
                                    "I don't understand this")
    assert "\\ud800" in out.splitlines()[0]
    assert results[1]["reason"] == f"line 2: not UTF-8 text (byte {lines[1].index(0xff) + 1} is 0xff)"
    assert results[2]["reason"] == ("line 3: unknown problem '\\ud800'; known problems: "
                                    + ", ".join(sorted(CATALOG_ORDER)))


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_cli_single_pair_with_an_argument_that_was_not_utf8(fmt, capsys):
    assert cli.main(["equiv", "x\udcff", "x", "--format", fmt]) == 0
    out = capsys.readouterr().out
    reason = "the reference cannot be read: cannot read the expression near 'x\\udcff': I don't understand this"
    if fmt == "json":
        assert json.loads(out)["reason"] == reason.replace("\\udcff", "\udcff")
    else:
        assert out.startswith(f"undecided: {reason} (")


@pytest.mark.parametrize("option, value, message", [
    ("--jobs", "0", "0 is out of range; give 1 to 64"),
    ("--timeout", "nan", "'nan' is not a finite number; give 0.1 to 300"),
    ("--timeout", "1e308", "1e308 is out of range; give 0.1 to 300"),
    ("--timeout", "0", "0 is out of range; give 0.1 to 300"),
    ("--memory", "10", "10 is out of range; give 64 to 65536"),
])
def test_numeric_options_have_ranges(option, value, message, capsys):
    """Issue 14: --timeout nan removed the limit, --timeout 1e308 was an internal error."""
    with pytest.raises(SystemExit) as exit_:
        cli.main(["equiv", "1", "1", option, value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err == f"derive equiv: error: argument {option}: {message} (see 'derive equiv --help')\n"


def test_pairs_from_dev_zero_are_bounded(capsys):
    """Issue 14: --pairs /dev/zero reached 21.5 GB. Streamed with a line limit and a total."""
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert cli.main(["equiv", "--pairs", "/dev/zero", "--jobs", "1"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [v["verdict"] for v in lines] == ["undecided", "undecided"]
    assert "longer than 1024 KB" in lines[0]["reason"] and "larger than 64 MB" in lines[1]["reason"]
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 200


def test_pairs_from_a_fifo(tmp_path, capsys):
    import os
    import threading

    fifo = tmp_path / "pairs"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text('{"reference": "1/4", "student": "0.25"}\n'))
    writer.start()
    assert cli.main(["equiv", "--pairs", str(fifo), "--jobs", "1"]) == 0
    writer.join()
    assert json.loads(capsys.readouterr().out)["verdict"] == "equal"
