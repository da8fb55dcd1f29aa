"""engine.read.parse and engine.read.text: students' LaTeX with the course's conventions.

Expected objects are built directly with sympy (names spelled out), never
through the parser under test."""
from __future__ import annotations

from fractions import Fraction

import pytest
import sympy as sp

from engine.errors import UsageError
from engine.read.parse import (
    FUNCTION_NAMES, KNOWN_FUNCTIONS, ParseError, Partial, ambiguous_commas, clean, literal_grid, number_literal,
    parse_latex, resolve_commas, split_chain, split_equations, symbol, written_precision,
)

Sym = sp.Symbol
x, y, c, g, t, z, v, w, W = (Sym(n) for n in "x y c g t z v w W".split())
R = sp.Rational
ADAM = {"g", "m", "v", "w"}


def _same(a, b) -> bool:
    """Mathematically the same (our parse trees are unevaluated)."""
    if isinstance(a, sp.MatrixBase) or isinstance(b, sp.MatrixBase):
        return isinstance(a, sp.MatrixBase) and isinstance(b, sp.MatrixBase) and a.shape == b.shape and all(
            sp.simplify(p - q) == 0 for p, q in zip(a, b))
    if isinstance(a, sp.Tuple) or isinstance(b, sp.Tuple):
        return isinstance(a, sp.Tuple) and isinstance(b, sp.Tuple) and len(a) == len(b) and all(
            _same(p, q) for p, q in zip(a, b))
    if isinstance(a, sp.Eq) or isinstance(b, sp.Eq):
        return isinstance(a, sp.Eq) and isinstance(b, sp.Eq) and _same(a.lhs, b.lhs) and _same(a.rhs, b.rhs)
    return a.doit() == b.doit() or sp.simplify(a.doit() - b.doit()) == 0


# --------------------------------------------------------------------------- the conventions


@pytest.mark.parametrize(
    "latex, expected",
    [
        # \log is the natural logarithm
        (r"\frac{x}{\log x}", x / sp.log(x)),
        (r"x/\ln(x)", x / sp.log(x)),
        (r"\log_{10} x", sp.log(x) / sp.log(10)),
        (r"\log_2 8", sp.Integer(3)),
        (r"x^2 \log^{-1} x", x ** 2 / sp.log(x)),
        # case-sensitive symbols, no units
        ("W v", W * v),
        ("w v", w * v),
        ("5 m", 5 * Sym("m")),
        ("t h", t * Sym("h")),
        # numbers: exact, decimal commas, thousands, scientific, percent
        ("0.1", R(1, 10)),
        ("42,7", R(427, 10)),
        ("0,119", R(119, 1000)),
        ("123,642,856", sp.Integer(123642856)),
        ("1e-8", R(1, 10 ** 8)),
        ("2.5E3", sp.Integer(2500)),
        (r"1.38 \times 10^8", sp.Integer(138000000)),
        (r"1.5\cdot10^{7}", sp.Integer(15000000)),
        (r"11.9\%", R(119, 1000)),
        ("3x3x64", sp.Integer(576)),
        (r"3 \times 3 \times 64 + 1", sp.Integer(577)),
        (r"\frac12", R(1, 2)),
        (".5", R(1, 2)),
        # tuples keep their commas
        ("(0.09, 0.24, 0.67)", sp.Tuple(R(9, 100), R(24, 100), R(67, 100))),
        ("(0,09, 0,24)", sp.Tuple(R(9, 100), R(24, 100))),
        ("f(x, y)", sp.Function("f")(x, y)),
        (r"\max(1,5)", sp.Integer(5)),
        # transpose, sign, abs, norm
        (r"W^T x", Sym("W^{T}") * x),
        (r"W^\top x", Sym("W^{T}") * x),
        (r"\mathbf{W}^{\top} x", Sym("W^{T}") * x),
        (r"\beta^T", Sym("beta") ** Sym("T")),
        (r"\begin{bmatrix}1 & 2\end{bmatrix}^T", sp.Matrix([[1], [2]])),
        (r"\operatorname{sign}(g)", sp.sign(g)),
        (r"\operatorname{sgn}(g)", sp.sign(g)),
        (r"\text{sign}(g)", sp.sign(g)),
        (r"\operatorname{sign} g", sp.sign(g)),
        ("|g|", sp.Abs(g)),
        (r"\|w\|_2^2", sp.Function("norm")(w, 2) ** 2),
        (r"\lambda \|w\|", Sym("lambda") * sp.Function("norm")(w, 2)),
        # accents and indices: distinct symbols
        (r"\hat{m}_t", Sym("hat{m}_t")),
        (r"\hat{m_t}", Sym("hat{m}_t")),
        (r"\widehat{m}_{t}", Sym("hat{m}_t")),
        (r"\bar{v}_3 \cdot 2", 2 * Sym("bar{v}_3")),
        (r"\overline{v}_3", Sym("bar{v}_3")),
        ("v_{-1}", Sym("v_{-1}")),
        ("v_{- 1}", Sym("v_{-1}")),
        ("p_{y'}", Sym(r"p_{y\prime}")),
        ("x'", Sym(r"x_{\prime}")),
        ("e_1", Sym("e_1")),
        (r"\gamma_1", Sym("gamma_1")),
        (r"\Gamma", Sym("Gamma")),
        ("I", Sym("I")),
        (r"\varepsilon", Sym("epsilon")),
        (r"\mathcal{L}", Sym("L")),
        (r"\mathrm{net}_1", Sym("net_1")),
        # exponentials and functions
        ("e^{x}", sp.exp(x)),
        ("e^{-z}", sp.exp(-z)),
        (r"\exp(x)", sp.exp(x)),
        ("e", sp.E),
        (r"\operatorname{sigmoid}(z)", 1 / (1 + sp.exp(-z))),
        (r"\operatorname{relu}(x)", sp.Max(0, x)),
        (r"\sigma(z)", sp.Function("sigma")(z)),
        (r"\alpha(x)", Sym("alpha") * x),
        ("o_1(1 - o_1)", Sym("o_1") * (1 - Sym("o_1"))),
        # equations, derivatives, sums
        (r"\frac{\partial f}{\partial c} = -2c", sp.Eq(Partial(Sym("f"), c), -2 * c)),
        (r"\frac{\partial^2 f}{\partial x^2}", Partial(Sym("f"), x, x)),
        (r"\frac{dy}{dx}", Partial(y, x)),
        (r"\frac{d}{dx} x^2", 2 * x),
        (r"\sum_j e^{z_j}", sp.Sum(sp.exp(sp.IndexedBase("z")[Sym("_i1")]), (Sym("_i1"), 1, Sym("K")))),
        (r"\sum_{k=1}^{n} e^{z_k}", sp.Sum(sp.exp(sp.IndexedBase("z")[Sym("_i1")]), (Sym("_i1"), 1, Sym("n")))),
        # matrices
        (r"\begin{bmatrix}2&4\\20&8\end{bmatrix}", sp.Matrix([[2, 4], [20, 8]])),
        (r"2\begin{bmatrix}1&2\\10&4\end{bmatrix}", sp.Matrix([[2, 4], [20, 8]])),
        # OCR noise
        (r"\left( x \right)^2", x ** 2),
        (r"x \, y \!", x * y),
        (r"\quad 2x.", 2 * x),
        (r"2x \quad \text{calculate the accumulated momentum}", 2 * x),
        (r"\cancel{3x} + 2x", 2 * x),
        ("~~3x~~ 2x", 2 * x),
        (r"2x, \quad \dots \dots \text{second moment}", 2 * x),
        (r"$x + y$", x + y),
        (r"\displaystyle \dfrac{1}{2} x", x / 2),
    ],
)
def test_parse_latex_follows_the_conventions(latex, expected):
    assert _same(parse_latex(latex), expected)


@pytest.mark.parametrize(
    "latex, expected",
    [
        ("m^t", Sym("m_t")),
        ("m^{t-1}", Sym("m_{t-1}")),
        ("(g^1)^2", Sym("g_1") ** 2),
        (r"\hat{m}^t", Sym("hat{m}_t")),
        ("g'^t", Sym(r"g_{t\prime}")),
        (r"\hat{v}_2", Sym("hat{v}_2")),
        ("v_t^2", Sym("v_t") ** 2),
        (r"\beta^t", Sym("beta") ** t),
        (r"w^{t+1} = w^t - \alpha \hat{m}^t",
         sp.Eq(Sym("w_{t+1}"), Sym("w_t") - Sym("alpha") * Sym("hat{m}_t"))),
    ],
)
def test_superscripts_of_declared_letters_are_indices(latex, expected):
    assert _same(parse_latex(latex, superscript_index_symbols=ADAM), expected)


def test_declared_functions_apply_to_any_argument():
    sigma = sp.Function("sigma")
    assert _same(parse_latex(r"\sigma(w x + b)", functions={"sigma"}), sigma(w * x + Sym("b")))
    assert _same(parse_latex(r"\sigma'(z)", functions={"sigma"}), sp.Derivative(sigma(z), z))
    assert _same(parse_latex(r"\sigma(z)(1-\sigma(z))", functions={"sigma"}), sigma(z) * (1 - sigma(z)))


def test_case_insensitive_option_lowercases():
    assert _same(parse_latex("W v", symbols_case_sensitive=False), w * v)


def test_parse_never_returns_floats():
    expr = parse_latex(r"0.1 + 0.2 \times 10^{-3} + 42,7")
    assert not expr.atoms(sp.Float)
    assert expr.doit() == R(1, 10) + R(2, 10000) + R(427, 10)


def test_every_named_function_has_a_builder():
    assert set(KNOWN_FUNCTIONS) == set(FUNCTION_NAMES)


@pytest.mark.parametrize(
    "base, sub, latex",
    [("x", None, "x"), (r"\beta", "1", r"\beta_1"), (r"\hat{m}", "t", r"\hat{m}_t"),
     (r"\bar{v}", "-1", r"\bar{v}_{-1}"), ("p", "y'", "p_{y'}"), ("w", "11", "w_{11}"),
     (r"\epsilon", None, r"\varepsilon"), (r"\bar{x}", None, r"\bar{x}"), ("net", "1", r"\mathrm{net}_1")],
)
def test_symbol_names_match_the_parser(base, sub, latex):
    assert symbol(base, sub) == parse_latex(latex)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "latex, message",
    [
        ("", "there is no expression to read"),
        (r"\text{only prose here}", "there is no expression to read"),
        ("a = b = c", "a chain of 3 members joined by =: write one relation, or the answer alone"),
        (r"x \approx 3",
         r"a chain of 2 members joined by \approx: write one relation, or the answer alone"),
        ("a < b", "an inequality: only expressions and equations are compared"),
        ("= 3", "the left-hand side of '=' is empty"),
        ("x\x00", "the text contains the control character U+0000"),
        ("x" * 20001, "the expression is 20001 characters long; at most 20000 are read"),
        (r"\frac{1}{" * 60 + "x" + "}" * 60, "brackets are nested 60 deep; at most 50 levels are read"),
        (r"\frac{1}{2", "unbalanced braces: the '{' before '2' is never closed"),
        ("(x^2)'", "a prime (') after something that is not a symbol or a function: write the derivative out"),
        ("p(y|x)", "cannot read the expression near 'p(y|x)': I expected something else here"),
    ],
)
def test_unreadable_text_raises_parse_error_with_one_line(latex, message):
    with pytest.raises(ParseError) as info:
        parse_latex(latex)
    assert str(info.value) == message
    assert isinstance(info.value, UsageError)


def test_a_megabyte_of_garbage_is_refused_at_once():
    with pytest.raises(ParseError, match=r"^the expression is 1048576 characters long; at most 20000 are read$"):
        parse_latex("\\frac{" * (1 << 20 // 6) + "x" * ((1 << 20) - 6 * (1 << 20 // 6)))


# --------------------------------------------------------------------------- text: clean, commas, chains


@pytest.mark.parametrize(
    "latex, cleaned",
    [
        (r"\left( \frac{x^2}{\log x} + c \right)", r"( \frac{x^2}{\ln x} + c )"),
        (r"\log_{10} x", r"\log_{10} x"),
        (r"11.90\%", "0.1190"),
        ("1e-8", r"1 \times 10^{-8}"),
        ("1.38 x 10^8", r"1.38 \times 10^8"),
        (r"\text{sign}(g^1)", r"\operatorname{sign}(g^1)"),
        (r"\mathrm{d}x", "d x"),
        (r"\hat m", r"\hat{m}"),
        (r"~~2x2~~ x", "x"),
        (r"\begin{aligned} a &= b \\ &= c \end{aligned}", "a = b = c"),
        (r"\begin{bmatrix}1&2\\3&4\end{bmatrix}", r"\begin{bmatrix}1&2\\3&4\end{bmatrix}"),
        ("42.11.", "42.11"),
    ],
)
def test_clean(latex, cleaned):
    assert clean(latex) == cleaned


@pytest.mark.parametrize(
    "latex, default, flipped, ambiguous",
    [
        ("42,7", "42.7", "42.7", False),
        ("0,119", "0.119", "0.119", False),
        ("123,642,856", "123642856", "123642856", False),
        ("1,2,3", "1, 2, 3", "1, 2, 3", False),
        ("1,000", "1000", "1.000", True),
        ("(1,5)", "(1, 5)", "(1.5)", True),
        ("f(1,5)", "f(1, 5)", "f(1, 5)", False),
        ("(1,0.5)", "(1, 0.5)", "(1, 0.5)", False),
        (r"2 \times (42,7 + 1)", r"2 \times (42.7 + 1)", r"2 \times (42.7 + 1)", False),
        ("(0,09, 0,24)", "(0.09, 0.24)", "(0.09, 0.24)", False),
    ],
)
def test_comma_readings(latex, default, flipped, ambiguous):
    assert resolve_commas(latex)[0] == default
    assert resolve_commas(latex, flip_ambiguous=True)[0] == flipped
    assert bool(ambiguous_commas(latex)) == ambiguous


@pytest.mark.parametrize(
    "latex, members",
    [
        (r"\frac{\partial f}{\partial c} = -2c", [r"\frac{\partial f}{\partial c}", "-2c"]),
        (r"\hat{m}^1 = \frac{m^1}{1-\beta} = g^1.", [r"\hat{m}^1", r"\frac{m^1}{1-\beta}", "g^1"]),
        (r"w^2 = w^1 - \alpha g \approx w^1 - \alpha \text{sign}(g^1)",
         ["w^2", r"w^1 - \alpha g", r"w^1 - \alpha \text{sign}(g^1)"]),
        (r"a \Rightarrow b", ["a", "b"]),
        (r"\begin{aligned} a &= b \\ &= c \end{aligned}", ["a", "b", "c"]),
        (r"\begin{aligned} & (1 + 2) \\ & + 3 \\ & = 6 \end{aligned}", ["(1 + 2) + 3", "6"]),
        (r"\sum_{j=1}^{K} e^{z_j} = S", [r"\sum_{j=1}^{K} e^{z_j}", "S"]),
        ("x", ["x"]),
    ],
)
def test_split_chain(latex, members):
    assert split_chain(latex) == members


def test_split_equations_separates_rows_and_quads():
    latex = r"\begin{aligned} N_{-1} = c &= 3 \\ N_0 = x &= 5 \end{aligned}"
    assert split_equations(latex) == [[("", "N_{-1}"), ("=", "c"), ("=", "3")], [("", "N_0"), ("=", "x"), ("=", "5")]]
    assert split_equations(r"m^0 = 0, \quad v^0 = 0.") == [[("", "m^0"), ("=", "0")], [("", "v^0"), ("=", "0")]]
    with pytest.raises(ParseError, match=r"^the text holds 2 separate equations; split them with split_equations\(\)$"):
        split_chain(r"m^0 = 0, \quad v^0 = 0.")


# --------------------------------------------------------------------------- precision as written


@pytest.mark.parametrize(
    "latex, value, significant, exponent",
    [
        ("48.757", Fraction(48757, 1000), 5, -3),
        (r"1.38 \times 10^8", Fraction(138000000), 3, 6),
        ("0.25", Fraction(1, 4), 2, -2),
        ("0.09", Fraction(9, 100), 1, -2),
        (r"11.9\%", Fraction(119, 1000), 3, -3),
        (r"11.90\%", Fraction(119, 1000), 4, -4),
        ("42,7", Fraction(427, 10), 3, -1),
        ("1e-8", Fraction(1, 10 ** 8), 1, -8),
        ("577", Fraction(577), 3, 0),
        ("-0.5", Fraction(-1, 2), 1, -1),
        (r"1.236 \times 10^{8}", Fraction(123600000), 4, 5),
    ],
)
def test_number_literal_records_the_digits_written(latex, value, significant, exponent):
    number = number_literal(latex)
    assert (number.value, number.significant, number.exponent) == (value, significant, exponent)


def test_trailing_zeros_of_an_integer_are_recorded():
    number = number_literal("138000000")
    assert (number.significant, number.exponent, number.trailing_zeros) == (3, 0, 6)


@pytest.mark.parametrize("latex", [r"\frac{1}{4}", "x", "2x", "10^{-8}", r"(1, 2)", r"1 + 2"])
def test_number_literal_is_none_for_anything_else(latex):
    assert number_literal(latex) is None


def test_written_precision_lists_every_number():
    found = written_precision(r"1.38 \times 10^8 + 0.25 - 64 \times 10^2")
    assert [(w.text, w.significant) for w in found] == [
        (r"1.38 \times 10^8", 3), ("0.25", 2), ("64", 2), ("10", 1), ("2", 1)]


def test_literal_grid_reads_matrices_and_tuples():
    grid = literal_grid(r"\begin{pmatrix}0.0900306 & 0.244728\\ 1 & 2\end{pmatrix}")
    assert [[w.value for w in row] for row in grid] == [[Fraction(450153, 5000000), Fraction(30591, 125000)],
                                                        [Fraction(1), Fraction(2)]]
    assert [w.exponent for w in literal_grid("(0.09, 0.24, 0.67)")[0]] == [-2, -2, -2]
    assert literal_grid(r"(x, 0.24)") is None


# --------------------------------------------------------------------------- our printer's output reads back

p_, x_, z_, w_ = (sp.IndexedBase(n) for n in "p x z w".split())
j, i, k, K = (Sym(n) for n in "j i k K".split())


@pytest.mark.parametrize(
    "printed, expected",
    [
        # sympy prints an indexed symbol p[y] as {p}_{y}: the same symbol as p_y
        (p_[y] - 1, Sym("p_y") - 1),
        (-sp.log(p_[y]), -sp.log(Sym("p_y"))),
        (p_[Sym("y'")], Sym(r"p_{y\prime}")),
        (x_[j], Sym("x_j")),
        (sp.exp(z_[j]), sp.exp(Sym("z_j"))),
        (Sym("eta") * Sym("o_{1}") * (1 - Sym("o_{1}")) * (Sym("t_{1}") - Sym("o_{1}")) * x_[j],
         Sym("eta") * Sym("o_1") * (1 - Sym("o_1")) * (Sym("t_1") - Sym("o_1")) * Sym("x_j")),
        (x_[i, j], Sym("x_{ij}")),
        (sp.IndexedBase(r"\hat{m}")[t], Sym("hat{m}_t")),
        (sp.IndexedBase(r"\beta")[1], Sym("beta_1")),
        (Sym(r"\hat{m}^{(g)}_{t}"), Sym("hat{m}^{(g)}_t")),
        (Sym(r"m^{(w)}_{t-1}"), Sym("m^{(w)}_{t-1}")),
        (Sym(r"\mathrm{net}_{1}"), Sym("net_1")),
    ],
)
def test_our_printers_symbols_read_back(printed, expected):
    from engine.math.latex import to_latex

    assert _same(parse_latex(to_latex(printed)), expected)


@pytest.mark.parametrize(
    "latex, expected",
    [
        ("{x}", x),
        ("{x + 1}", x + 1),
        ("{x, 1}", sp.Tuple(x, 1)),
        (r"\frac{{p}_{y}}{2}", Sym("p_y") / 2),
        (r"\sqrt[3]{{x}_{1}}", Sym("x_1") ** R(1, 3)),
        (r"{\hat{m}}_{t} + {\beta}_{1}", Sym("hat{m}_t") + Sym("beta_1")),
        ("w_{1,1} + w_{i, j}", Sym("w_{11}") + Sym("w_{ij}")),
        # a symbol made of a placeholder after a letter multiplies it
        (r"t \hat{m}^T", t * Sym("hat{m}^{T}")),
        (r"t{\hat{m}}^T", t * Sym("hat{m}^{T}")),
    ],
)
def test_brace_groups_are_groups(latex, expected):
    assert _same(parse_latex(latex), expected)


# --------------------------------------------------------------------------- notation of real solutions


def _at_k(expr, size: int = 3):
    """A sum with symbolic bound K carried out at K = size."""
    return expr.xreplace({K: size}).doit()


@pytest.mark.parametrize(
    "latex, options, expected",
    [
        # a parenthesised superscript is a label (after an accent, on a Latin letter)
        (r"\hat{m}^{(g)}_t", {}, Sym("hat{m}^{(g)}_t")),
        (r"W^{(1)} x", {}, Sym("W^{(1)}") * x),
        (r"\hat{\beta}^{(t)}", {}, Sym(r"hat{\beta}^{(t)}")),
        # ... except on an index letter without a subscript: m^{(t)} is m^t, m_t
        ("m^{(t)}", {"superscript_index_symbols": ADAM}, Sym("m_t")),
        ("m^{(t-1)}", {"superscript_index_symbols": ADAM}, Sym("m_{t-1}")),
        # a run of three letters or more before _ is one name
        ("net_1", {}, Sym("net_1")),
        (r"\text{net}_1", {}, Sym("net_1")),
        (r"\eta \, \mathrm{out}_{o1}", {}, Sym("eta") * Sym("out_{o1}")),
        (r"\sigma(net_1)", {"functions": {"sigma"}}, sp.Function("sigma")(Sym("net_1"))),
        ("ax_1", {}, Sym("a") * Sym("x_1")),
        # derivatives of function letters, declared or not
        (r"\sigma'(z)", {}, sp.Derivative(sp.Function("sigma")(z), z)),
        ("f''(x)", {}, sp.Derivative(sp.Function("f")(x), (x, 2))),
        # the gamma function; \Gamma alone stays a symbol
        (r"\Gamma(x)", {}, sp.gamma(x)),
        (r"\Gamma(5)", {}, sp.Integer(24)),
        # indicators
        (r"\mathbb{1}[y = k]", {}, sp.KroneckerDelta(y, k)),
        (r"\mathbf{1}\{k = y\}", {}, sp.KroneckerDelta(y, k)),
        (r"\mathds{1}_{y=k}", {}, sp.KroneckerDelta(y, k)),
        (r"\mathbb{1}(y \neq k)", {}, 1 - sp.KroneckerDelta(y, k)),
        (r"p_k - \mathbb{1}[y = k]", {}, Sym("p_k") - sp.KroneckerDelta(y, k)),
    ],
)
def test_notation_of_real_solutions(latex, options, expected):
    assert _same(parse_latex(latex, **options), expected)


@pytest.mark.parametrize(
    "latex, expected",
    [
        # sums over two indices and indices inside subscripts, against a plain loop at K = 3
        (r"\sum_{ij} w_{ij}", sum(w_[a, b] for a in range(1, 4) for b in range(1, 4))),
        (r"\sum_{i,j} w_{ij} x_j", sum(w_[a, b] * x_[b] for a in range(1, 4) for b in range(1, 4))),
        (r"\sum_i \sum_j w_{ij} x_i", sum(w_[a, b] * x_[a] for a in range(1, 4) for b in range(1, 4))),
        (r"\sum_j w_{ij} x_j", sum(w_[i, b] * x_[b] for b in range(1, 4))),
        (r"\sum_j (x_{j+1} - x_j)", x_[4] - x_[1]),
        (r"\operatorname{softmax}(z)_i", sp.exp(Sym("z_i")) / sum(sp.exp(z_[b]) for b in range(1, 4))),
        (r"\text{softmax}(z)_{y'}", sp.exp(Sym(r"z_{y\prime}")) / sum(sp.exp(z_[b]) for b in range(1, 4))),
        # a scalar shift of the logits (problems.md B2 (a)), with or without the all-ones vector
        (r"\operatorname{softmax}(z - c)_i",
         sp.exp(Sym("z_i") - Sym("c")) / sum(sp.exp(z_[b] - Sym("c")) for b in range(1, 4))),
        (r"\text{softmax}(z - c\mathbf{1})_i",
         sp.exp(Sym("z_i") - Sym("c")) / sum(sp.exp(z_[b] - Sym("c")) for b in range(1, 4))),
        (r"\operatorname{softmax}(z + c \, 1)_i",
         sp.exp(Sym("z_i") + Sym("c")) / sum(sp.exp(z_[b] + Sym("c")) for b in range(1, 4))),
    ],
)
def test_sums_and_softmax_components(latex, expected):
    assert sp.simplify(_at_k(parse_latex(latex)) - expected) == 0


@pytest.mark.parametrize(
    "latex, message",
    [
        (r"O(\epsilon^2)", "an order term O(...): the answer is compared without it; write the terms up to the order"),
        (r"1 - \frac{\epsilon}{|g|} + \mathcal{O}(\epsilon^2)",
         "an order term O(...): the answer is compared without it; write the terms up to the order"),
        (r"\operatorname{ReLU}(1, 2)", "ReLU takes 1 argument, not 2: check the commas inside ReLU(...)"),
        (r"\text{sigmoid}(1,2)", "sigmoid takes 1 argument, not 2: check the commas inside sigmoid(...)"),
        (r"\operatorname{log}(8, 2, 1)", "log takes 1 or 2 arguments, not 3: check the commas inside log(...)"),
        (r"\operatorname{tanh}()", "an empty expression (nothing between two operators or brackets)"),
        (r"\beta^{(t)}", r"\beta^{(t)}: a label or a power? write \beta^{t} for a power, \beta_{t} for an index"),
        (r"\mathbb{1}[y < k]", r"an indicator \mathbb{1}[y < k]: only a = b and a \neq b are read"),
        (r"\operatorname{softmax}(Wx)_i",
         r"a component of the softmax of an expression, softmax(Wx)_i: write it as e^{z_i} / \sum_j e^{z_j}"),
        (r"\operatorname{sign}(x)_i", "a subscript after sign(...): write the component out"),
        (r"\operatorname{softmax}(z - z_1)_i",
         r"a component of the softmax of an expression, softmax(z - z_1)_i: write it as e^{z_i} / \sum_j e^{z_j}"),
        (r"\sum_{ij}^{N} x", r"\sum_{ij} with an upper bound: write one \sum per index with its bounds"),
        (r"|\sqrt{\sum_j \begin{pmatrix}6 & 7\end{pmatrix}}|",
         "the expression cannot be built: sympy refuses it (Invalid limits given: ((re(_i1) + I*im(_i1), 1, "
         "re(K) + I*im(K)),))"),
    ],
)
def test_constructs_refused_with_a_reason(latex, message):
    with pytest.raises(ParseError) as info:
        parse_latex(latex)
    assert str(info.value) == message


def test_function_arity_table_covers_every_named_function():
    from engine.read.parse import FUNCTION_ARITY

    assert set(FUNCTION_ARITY) == set(KNOWN_FUNCTIONS)


def test_relations_inside_escaped_braces_are_not_top_level():
    from engine.read.parse import top_level_relations

    assert top_level_relations(r"\mathbb{1}\{y = k\} = 1") == [(20, 21, "=")]


@pytest.mark.parametrize(
    "latex, expected",
    [
        # a function name before a parenthesis is applied, never multiplied letter by letter
        (r"\text{LeakyReLU}(U)", sp.Function("LeakyReLU")(Sym("U"))),
        (r"\mathrm{PReLU}(u)", sp.Function("PReLU")(Sym("u"))),
        (r"LeakyReLU(U)", sp.Function("LeakyReLU")(Sym("U"))),
        (r"MaxPool(X)", sp.Function("MaxPool")(Sym("X"))),
        (r"relu(x)", sp.Max(0, Sym("x"))),
        (r"exp(x) + log(x)", sp.exp(Sym("x")) + sp.log(Sym("x"))),
        (r"sigmoid(z)", 1 / (1 + sp.exp(-Sym("z")))),
        (r"Log(x) + Exp(x)", sp.log(Sym("x")) + sp.exp(Sym("x"))),  # OCR's capitals
        (r"RELU(x)", sp.Max(0, Sym("x"))),
        # short lower-case runs and single letters stay products
        (r"ab(c + d)", Sym("a") * Sym("b") * (Sym("c") + Sym("d"))),
        (r"xW(a + b)", Sym("x") * Sym("W") * (Sym("a") + Sym("b"))),
        (r"\text{net}_1", Sym("net_1")),
    ],
)
def test_function_names_before_a_parenthesis(latex, expected):
    assert _same(parse_latex(latex), expected)
