"""``derive diff``: step-by-step derivatives against independent references.

References: sympy.diff (symbolic, compared at sample points to 25 digits),
mpmath.diff (numeric differentiation of a hand-written mpmath function at
30 digits), PyTorch autograd in float64 for the conventions at kinks.
"""
import json

import mpmath
import pytest
import sympy as sp
import torch

from engine.calculus.differentiate import differentiate, expand_functions, prepare
from engine.errors import UsageError
from tests.conftest import run_derive

x, y = sp.symbols("x y")
Y0 = sp.Rational(13, 10)  # the value of y wherever a case has one
f = sp.Function("f")
sigma_parsed = sp.Function(r"\sigma")  # as a LaTeX parser names it
relu_parsed = sp.Function(r"\operatorname{ReLU}")


def _y():
    return mpmath.mpf(13) / 10


# id, expression in x (and y), mpmath function of x (y = 1.3) or None, x0, a rule that must be used
CASES = [
    ("sum", x**3 + x**2 + 5, lambda t: t**3 + t**2 + 5, "0.7", "sum rule"),
    ("constant multiple", 7 * x**4, lambda t: 7 * t**4, "0.7", "constant multiple"),
    ("power", x**5, lambda t: t**5, "1.1", "power rule"),
    ("square root", sp.sqrt(x**2 + 1), lambda t: mpmath.sqrt(t**2 + 1), "0.7", "power rule and chain rule"),
    ("product", x**2 * sp.sin(x), lambda t: t**2 * mpmath.sin(t), "0.7", "product rule"),
    ("quotient", x**2 / sp.log(x), lambda t: t**2 / mpmath.log(t), "3", "quotient rule"),
    ("quotient of sums", (x + 1) / (x**2 + 1), lambda t: (t + 1) / (t**2 + 1), "0.7", "quotient rule"),
    ("exp chain", sp.exp(x**2), lambda t: mpmath.exp(t**2), "0.7", "chain rule, derivative of exp"),
    ("log chain", sp.log(x**2 + 1), lambda t: mpmath.log(t**2 + 1), "0.7", "chain rule, derivative of log"),
    ("sin", sp.sin(x), mpmath.sin, "0.7", "derivative of sin"),
    ("cos chain", sp.cos(3 * x + 1), lambda t: mpmath.cos(3 * t + 1), "0.7", "chain rule, derivative of cos"),
    ("tan", sp.tan(x), mpmath.tan, "0.7", "derivative of tan"),
    ("tanh chain", sp.tanh(2 * x), lambda t: mpmath.tanh(2 * t), "0.7", "chain rule, derivative of tanh"),
    ("sigmoid written out", 1 / (1 + sp.exp(-x)), lambda t: 1 / (1 + mpmath.exp(-t)), "0.7",
     "write 1/(1 + exp(-u)) as the sigmoid sigma(u)"),
    ("sigmoid function", sigma_parsed(x**2), lambda t: 1 / (1 + mpmath.exp(-t**2)), "0.7",
     "chain rule, derivative of the sigmoid"),
    ("relu away from the kink", relu_parsed(x - 1), lambda t: max(t - 1, 0), "2",
     "chain rule, derivative of ReLU (0 at 0, as torch.relu)"),
    ("abs away from the kink", sp.Abs(x**2 - 2), lambda t: abs(t**2 - 2), "0.7",
     "chain rule, derivative of |u| (sign(0) = 0, as torch.abs)"),
    ("max", sp.Max(x, x**2), lambda t: max(t, t**2), "0.5",
     "derivative of max (a tie splits the gradient evenly, as torch.maximum)"),
    ("heaviside", sp.Heaviside(x - 1) * x**2, lambda t: (1 if t > 1 else 0) * t**2, "2",
     "derivative of the Heaviside step (0, also at the jump)"),
    ("gamma has no rule", sp.gamma(x), mpmath.gamma, "0.7", "derivative of gamma"),
    ("user function has no rule", f(x**2), None, None, "derivative of f"),
    ("nested chain", sp.sin(sp.exp(sp.cos(x))), lambda t: mpmath.sin(mpmath.exp(mpmath.cos(t))), "0.7",
     "chain rule, derivative of sin"),
    ("x to the x", x**x, lambda t: t**t, "0.7", "general power rule (u^v = exp(v log u))"),
    ("exponential base", 2**x, lambda t: 2**t, "0.7", "exponential rule"),
    ("softplus", sp.log(1 + sp.exp(x)), lambda t: mpmath.log(1 + mpmath.exp(t)), "0.7",
     "chain rule, derivative of log"),
    ("A1 in x", (x**2 / sp.log(x) + y) * (x**2 / sp.log(x) - y),
     lambda t: (t**2 / mpmath.log(t) + _y()) * (t**2 / mpmath.log(t) - _y()), "3", "product rule"),
    ("two variables", x * y**2 + sp.sin(x * y), lambda t: t * _y() ** 2 + mpmath.sin(t * _y()), "0.7",
     "chain rule, derivative of sin"),
]

SAMPLES = (sp.Rational(35, 100), sp.Rational(8, 10), sp.Rational(17, 10), sp.Rational(23, 10), sp.Rational(29, 10))


def _point(expr, x0):
    X, = [s for s in expr.free_symbols if s.name == "x"]
    point = [(X, sp.Rational(x0))]
    point += [(s, Y0) for s in expr.free_symbols if s.name == "y"]
    return X, point


@pytest.mark.parametrize("name, raw, reference, x0, rule", CASES, ids=[c[0] for c in CASES])
def test_derivative_equals_sympy_diff_and_mpmath(name, raw, reference, x0, rule):
    expr = prepare(raw)
    X, point = _point(expr, x0 or "1")
    result = differentiate(expr, X, point if x0 else ())
    assert rule in [s.rule for s in result.derivation.steps]
    assert all(s.proof is not None for s in result.derivation.steps)
    ours = expand_functions(result.derivative)
    sympys = sp.diff(expand_functions(expr), X)
    if reference is None:
        assert sp.simplify(ours - sympys) == 0
        assert result.value is None
        return
    others = {s: Y0 for s in expr.free_symbols if s.name == "y"}
    for t in SAMPLES:
        at = {X: t, **others}
        a, b = sp.N(ours.xreplace(at), 30), sp.N(sympys.xreplace(at), 30)
        assert abs(a - b) <= sp.Float(10) ** -25 * max(1, abs(b)), (t, a, b)
    with mpmath.workdps(30):
        expected = mpmath.diff(reference, mpmath.mpf(sp.Rational(x0).p) / sp.Rational(x0).q)
        assert abs(mpmath.mpf(sp.N(result.value, 30)) - expected) <= mpmath.mpf(10) ** -15 * max(1, abs(expected))


def test_a_rule_rewrites_the_outer_node_first_and_keeps_inner_derivatives():
    X = sp.Symbol("x", real=True)
    c = sp.Symbol("c", real=True)
    u = X**2 / sp.log(X)
    result = differentiate((u + c) * (u - c), X)
    rules = [s.rule for s in result.derivation.steps]
    assert rules == ["product rule", "sum rule", "quotient rule", "derivative of log", "power rule", "simplify"]
    first = result.derivation.steps[0].expr
    assert first.atoms(sp.Derivative) == {sp.Derivative(u + c, X), sp.Derivative(u - c, X)}
    assert not result.derivative.has(sp.Derivative)


@pytest.mark.parametrize(
    "raw, wrt, at, torch_fn",
    [
        (relu_parsed(x), "x", {"x": 0.0}, lambda v: torch.relu(v["x"])),
        (sp.Abs(x), "x", {"x": 0.0}, lambda v: torch.abs(v["x"])),
        (sp.sign(x) + x, "x", {"x": 0.0}, lambda v: torch.sign(v["x"]) + v["x"]),
        (sp.Max(x, 0), "x", {"x": 0.0}, lambda v: torch.relu(v["x"])),
        (sp.Max(x, 1), "x", {"x": 1.0}, lambda v: torch.maximum(v["x"], torch.ones((), dtype=torch.float64))),
        (sp.Max(x, y), "x", {"x": 1.0, "y": 1.0}, lambda v: torch.maximum(v["x"], v["y"])),
        (sp.Min(x, y), "y", {"x": 1.0, "y": 1.0}, lambda v: torch.minimum(v["x"], v["y"])),
        (sp.Max(x, y), "x", {"x": 2.0, "y": 1.0}, lambda v: torch.maximum(v["x"], v["y"])),
    ],
    ids=["relu at 0", "abs at 0", "sign at 0", "max with 0 is relu", "max with 1 at a tie", "max at a tie", "min at a tie", "max, no tie"],
)
def test_kinks_follow_pytorch(raw, wrt, at, torch_fn):
    expr = prepare(raw)
    symbols = {s.name: s for s in expr.free_symbols}
    point = [(symbols[name], sp.Rational(str(v))) for name, v in at.items()]
    result = differentiate(expr, symbols[wrt], point)
    tensors = {name: torch.tensor(v, dtype=torch.float64, requires_grad=True) for name, v in at.items()}
    torch_fn(tensors).backward()
    assert float(result.value) == pytest.approx(tensors[wrt].grad.item(), abs=1e-15)


def test_json_has_the_documented_keys():
    X = sp.Symbol("x", real=True)
    doc = differentiate(X**2 * sp.sin(X), X, [(X, sp.Rational(7, 10))]).to_json()
    assert set(doc) == {"derivative", "value", "steps"}
    assert all(set(s) == {"rule", "latex"} for s in doc["steps"])
    assert doc["value"] == pytest.approx(2 * 0.7 * mpmath.sin(0.7) + 0.49 * mpmath.cos(0.7), rel=1e-15)
    assert differentiate(X**2, X).to_json()["value"] is None


@pytest.mark.parametrize(
    "raw, at, message",
    [
        (sp.sqrt(x), [("x", "-1")], "the derivative is not a finite real number at x = -1"),
        (1 / x, [("x", "0")], "the derivative is not a finite real number at x = 0"),
        (x * y, [("x", "1")], "--at gives no value for y; give every variable, e.g. --at y=1"),
        (f(x), [("x", "1")], "the derivative involves f, a function without a definition, so it has no value at the point"),
        (sp.floor(x), [("x", "0.5")], "sympy has no derivative of floor, so the derivative has no value at the point"),
    ],
    ids=["square root of a negative", "pole", "missing variable", "unknown function", "no derivative known"],
)
def test_no_value_is_a_usage_error(raw, at, message):
    expr = prepare(raw)
    symbols = {s.name: s for s in expr.free_symbols}
    with pytest.raises(UsageError) as info:
        differentiate(expr, symbols["x"], [(symbols[n], sp.Rational(v)) for n, v in at])
    assert str(info.value) == message


@pytest.mark.parametrize(
    "raw, message",
    [
        (sp.Eq(y, x**2), "the expression is an equation; give only the right-hand side, e.g. 'x^2' for 'f(x) = x^2'"),
        (sp.Derivative(f(x), x), "the expression contains a derivative; write the function itself, e.g. 'x^2 \\sin x'"),
        (sp.Sum(x**y, (y, 1, sp.Symbol("K"))),
         "the expression has a sum, product or integral with symbolic bounds; write the terms out"),
    ],
    ids=["equation", "derivative", "symbolic sum"],
)
def test_what_is_not_a_formula_is_a_usage_error(raw, message):
    with pytest.raises(UsageError) as info:
        prepare(raw)
    assert str(info.value) == message


def test_a_sum_with_numeric_bounds_is_written_out():
    i = sp.Symbol("i", integer=True)
    X = sp.Symbol("x", real=True)
    assert prepare(sp.Sum(x**i, (i, 1, 3))) == X + X**2 + X**3


# --------------------------------------------------------------------------- the command


def test_cli_json_value_matches_mpmath():
    result = run_derive("diff", r"\frac{x^2}{\log x}", "--wrt", "x", "--at", "x=3", "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    with mpmath.workdps(30):
        expected = mpmath.diff(lambda t: t**2 / mpmath.log(t), 3)
    assert doc["value"] == pytest.approx(float(expected), rel=1e-15)
    assert doc["steps"][0]["rule"] == "quotient rule"


def test_cli_text_shows_rules_and_value():
    result = run_derive("diff", r"x^2 \sin x", "--wrt", "x", "--at", "x=0.7")
    assert result.returncode == 0, result.stderr
    assert "product rule" in result.stdout
    expected = 2 * 0.7 * mpmath.sin(0.7) + 0.49 * mpmath.cos(0.7)
    assert result.stdout.strip().splitlines()[-1] == f"at x = 0.7: {mpmath.nstr(expected, 6)}"


@pytest.mark.parametrize(
    "args, message",
    [
        (["diff", r"\frac{x^2}{\log x}", "--wrt", "z"],
         "derive diff: --wrt z: the expression has no variable 'z'; its variables: x"),
        (["diff", r"\frac{x^2}{\log x}", "--wrt", "x", "--at", "x=abc"],
         "derive diff: x='abc' is not a number; write a decimal like 0.9, 1e-8 or a fraction like 9/10"),
        (["diff", r"\frac{x^2}{\log x}", "--wrt", "x", "--at", "x"],
         "derive diff: --at 'x': write NAME=VALUE, e.g. --at x=0.7,y=1.3"),
        (["diff", "", "--wrt", "x"],
         "derive diff: the expression is empty; write one in LaTeX, e.g. '\\frac{x^2}{\\log x}'"),
        (["diff", "x y"], "derive diff: name the variable with --wrt; the expression's variables: x, y"),
    ],
    ids=["unknown wrt", "at not a number", "at without value", "empty expression", "wrt needed"],
)
def test_bad_input_exits_2_with_one_line(args, message):
    result = run_derive(*args)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [message]
