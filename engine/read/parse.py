"""Students' LaTeX -> sympy, with the course's conventions.

A wrapper around ``latex2sympy2_extended`` (the ANTLR LaTeX grammar of
Math-Verify). The text first goes through :func:`clean`, which removes OCR
noise and fixes the course's conventions in the text; then the parser runs
on a subclass that reads every number exactly; then the result is post-
processed. The conventions (problems.md and the checker's brief):

* ``\\log`` is the natural logarithm; ``\\log_{10}`` has base 10; ``\\ln`` is ln.
* Symbols are case-sensitive (``W`` is not ``w``); ``t``, ``h``, ``m``, ``g``
  are variables, never units. ``\\gamma`` is a symbol (not Euler's constant),
  ``I`` is a symbol (not the imaginary unit), ``e`` alone and ``e^{x}`` are
  Euler's number and ``exp(x)``, ``e_1`` is a symbol.
* Numbers are exact rationals as written (``0.1`` is ``1/10``): ``42,7`` is
  42.7 when the comma is a decimal comma, ``123,642,856`` has thousands
  separators, ``(0.09, 0.24, 0.67)`` and ``f(x, y)`` keep their commas
  (:func:`resolve_commas`); ``1e-8`` and ``1.38 \\times 10^8`` are scientific
  notation; ``11.9\\%`` is 0.119. :func:`written_precision` records how many
  digits each number was written with.
* ``\\times``, ``\\cdot``, ``*`` and juxtaposition multiply; ``3x3`` between
  integers is ``3 \\times 3``.
* ``^T``, ``^\\top`` transpose (a transposed symbol ``W^T`` is its own symbol);
  ``\\operatorname{sign}``, ``\\operatorname{sgn}``, ``\\text{sign}`` are
  sympy's ``sign``; ``|g|`` is ``Abs(g)``; ``\\|w\\|_2`` is ``norm(w, 2)``.
* Accents and indices make distinct symbols: ``\\hat{m}_t``, ``\\bar{v}_3``,
  ``v_{-1}``, ``p_{y'}`` (primes are kept); with
  ``superscript_index_symbols={"g", "m"}`` a superscript on those letters is
  an index (``m^{t-1}`` and ``m^{(t-1)}`` are ``m_{t-1}``, ``(g^1)^2`` is
  ``g_1`` squared). A brace group around one symbol is only a group: sympy's
  printer writes ``p[y]`` as ``{p}_{y}``, read as ``p_y``; ``w_{i,j}`` is
  ``w_{ij}``. A superscript in parentheses is a label (``\\hat{m}^{(g)}_t``,
  ``W^{(1)}``), refused on a bare Greek letter (``\\beta^{(t)}``: label or
  power?). Three letters or more before ``_`` are one name (``net_1`` is
  ``\\text{net}_1``; ``ax_1`` is ``a x_1``).
* ``\\frac{\\partial f}{\\partial c}`` is kept unevaluated (:class:`Partial`);
  ``\\sum_j`` without bounds is ``\\sum_{j=1}^{K}`` (``\\sum_{ij}`` one such
  sum per index), and inside a sum ``z_j`` is the indexed ``z[j]``
  (``w_{ij}`` is ``w[i, j]``, ``x_{j+1}`` is ``x[j + 1]``).
* ``\\sigma(z)`` is a function application when the caller declares
  ``functions={"sigma"}`` (a problem defines the sigmoid); ``sigmoid(z)``
  is always ``1/(1 + e^{-z})``; a known function given the wrong number of
  arguments (``\\operatorname{ReLU}(1, 2)``) is a ParseError. ``f'(x)`` and
  ``\\sigma'(z)`` are derivatives of the function even undeclared;
  ``\\Gamma(x)`` is the gamma function (``\\Gamma`` alone a symbol);
  ``\\operatorname{softmax}(z)_i`` is ``e^{z_i} / \\sum_j e^{z_j}``;
  ``\\mathbb{1}[y = k]`` (also ``\\mathbf{1}\\{...\\}``, ``\\mathbb{1}_{y=k}``) is
  ``KroneckerDelta(y, k)``. An order term ``O(\\epsilon^2)`` is refused.
* OCR noise is removed: ``\\left``/``\\right``, ``\\,``, ``\\!``, ``\\quad``,
  ``\\text{...}`` prose, trailing punctuation, ``\\dots``, struck-out work
  (``\\cancel{...}``, ``~~...~~``).

Nothing here calls ``sympify``/``parse_expr``/``eval`` on text. The library
does, on two paths: ``sympy.Number(text)`` (which sympifies the digits of each
number token) and ``variable_values`` given as strings (``parse_expr``). We
override the number path (:meth:`_Converter.parse_number` builds the number
from :class:`decimal.Decimal`) and never pass ``variable_values``.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Callable, Collection

import sympy as sp

__all__ = [
    "ParseError", "Partial", "KNOWN_FUNCTIONS", "parse_latex", "symbol", "clean", "split_chain", "split_equations",
    "written_precision", "number_literal", "literal_grid", "resolve_commas", "ambiguous_commas", "WrittenNumber",
    "CommaReading", "top_level_relations",
]

from engine.read import antlr  # noqa: E402 - each fragment parsed once per process
from engine.errors import ParseError  # noqa: E402
from engine.math.written import WrittenNumber  # noqa: F401,E402 - re-exported: engine.read.parse is the public API
from engine.read.literals import literal_grid, number_literal, written_precision  # noqa: F401,E402 - re-exported
from engine.read.text import (  # noqa: F401,E402 - re-exported: engine.read.parse is the public API
    ACCENTS, GREEK, CommaReading, ambiguous_commas, clean, resolve_commas, split_chain, split_equations,
    top_level_relations,
)
from engine.read.names import (  # noqa: F401,E402 - symbol and the tables are part of the parser's API
    ARGUMENT_COMMANDS, BARE_SYMBOL, FUNCTION_LETTERS, PRODUCT, TRANSPOSE_MARKS, WORD_LETTERS, Options, Placeholders,
    canonical, scan_atoms, sub_suffix, symbol,
)
from engine.read.tokens import FUNCTION_NAMES, FUNCTIONS, group_end, read_argument, skip_spaces, split_top_level  # noqa: F401,E402


class Partial(sp.Function):
    """A partial (or total) derivative as written, ``\\frac{\\partial f}{\\partial c}``:
    ``Partial(f, c)``, kept unevaluated. Arguments: the differentiated
    expression, then the variables (repeated for higher orders). sympy's
    default evaluation leaves it as it is."""

    def _latex(self, printer):
        top, *wrt = self.args
        order = f"^{{{len(wrt)}}}" if len(wrt) > 1 else ""
        bottom = " ".join(rf"\partial {printer._print(v)}" for v in wrt)
        return rf"\frac{{\partial{order} {printer._print(top)}}}{{{bottom}}}"


def _sigmoid(x):
    return 1 / (1 + sp.exp(-x))


#: Named functions (``\operatorname{NAME}``, ``\text{NAME}``, ``\mathrm{NAME}``):
#: name -> builder from the parsed arguments. Other names become undefined
#: sympy functions of that name.
KNOWN_FUNCTIONS: dict[str, Callable] = {
    "sign": sp.sign, "sgn": sp.sign, "signum": sp.sign,
    "sigmoid": _sigmoid,
    "relu": lambda x: sp.Max(0, x), "ReLU": lambda x: sp.Max(0, x),
    "exp": sp.exp, "ln": sp.log, "log": sp.log, "tanh": sp.tanh, "abs": sp.Abs,
    "max": sp.Max, "min": sp.Min,
}
#: The functions of the one table with no definition here (softmax): applied unevaluated.
KNOWN_FUNCTIONS.update({name: sp.Function(name) for name in FUNCTIONS if name not in KNOWN_FUNCTIONS})
#: How many arguments each named function takes (None: one or more).
#: ``\operatorname{ReLU}(1, 2)`` is refused with this, not a TypeError.
FUNCTION_ARITY: dict[str, tuple[int, ...] | None] = FUNCTIONS
assert set(KNOWN_FUNCTIONS) == set(FUNCTIONS), "engine.read.tokens.FUNCTIONS is the one table of function names"
#: Greek capitals that are functions before a parenthesis (``\Gamma(x)`` is
#: the gamma function); alone they stay symbols (``\Gamma``).
GREEK_FUNCTIONS: dict[str, Callable] = {"Gamma": sp.gamma}

# =========================================================================== parsing


def _paren_end(text: str, start: int) -> int:
    """Index just after the ``)`` matching the ``(`` at ``start`` (all brackets nest)."""
    return group_end(text, start, "([{")


_MULTI_INDEX_SUM = re.compile(r"\\(sum|prod)\s*_\s*\{\s*([A-Za-z])\s*,?\s*([A-Za-z])\s*\}")


def _bound_sums(text: str) -> str:
    r"""``\sum_j`` and ``\sum_{j}`` (no start) become ``\sum_{j=1}^{K}``;
    ``\sum_{ij}`` and ``\sum_{i,j}`` become ``\sum_{i=1}^{K} \sum_{j=1}^{K}``."""
    def split(m: re.Match) -> str:
        if text[m.end():].lstrip().startswith("^"):
            raise ParseError(rf"\{m.group(1)}_{{{m.group(2)}{m.group(3)}}} with an upper bound: write one "
                             rf"\{m.group(1)} per index with its bounds")
        return " ".join(rf"\{m.group(1)}_{{{k}=1}}^{{K}}" for k in (m.group(2), m.group(3))) + " "
    text = _MULTI_INDEX_SUM.sub(split, text)

    def fix(m: re.Match) -> str:
        index = m.group(2) or m.group(3)
        rest = text[m.end():].lstrip()
        return rf"\{m.group(1)}_{{{index}=1}}" + ("" if rest.startswith("^") else "^{K}")
    return re.sub(r"\\(sum|prod)\s*_\s*(?:\{\s*([A-Za-z])\s*\}|([A-Za-z]))(?!\s*=)", fix, text)


_ATOM_TEXT = r"(?:\\[A-Za-z]+(?:\s*\{[^{}]*\})?|[A-Za-z])(?:\s*(?:_|\^)\s*(?:\{[^{}]*\}|\\[A-Za-z]+|\w)|')*"


def _protect_partials(text: str, opts: Options, ph: Placeholders) -> str:
    r"""``\frac{\partial A}{\partial B}`` and ``\frac{dA}{dB}`` -> Partial(A, B)."""
    out, i = [], 0
    while True:
        k = text.find(r"\frac", i)
        if k < 0:
            out.append(text[i:])
            return "".join(out)
        try:
            top, j, _ = read_argument(text, k + 5)
            bottom, end, _ = read_argument(text, j)
        except ParseError:
            out.append(text[i:])
            return "".join(out)
        value = _partial(top, bottom, opts, ph)
        if value is None:
            out.append(text[i:k + 5])
            i = k + 5
            continue
        out.append(text[i:k] + ph.add(value))
        i = end


def _partial(top: str, bottom: str, opts: Options, ph: Placeholders):
    m = re.fullmatch(r"\s*(\\partial(?![A-Za-z])|d(?=\s*[A-Za-z\\({\[]))\s*(?:\^\s*(?:\{\s*(\d+)\s*\}|(\d)))?(.*)",
                     top, re.S)
    if not m:
        return None
    d = m.group(1)
    order = int(m.group(2) or m.group(3) or 1)
    rest = m.group(4).strip()
    if not rest:
        return None  # the operator d/dx (...): the grammar reads it
    marker = r"\\partial(?![A-Za-z])" if d != "d" else r"(?<![A-Za-z\\])d(?=\s*[A-Za-z\\({\[])"
    pieces = re.split(marker, bottom)
    if pieces[0].strip() or len(pieces) < 2:
        return None
    wrt = []
    for piece in pieces[1:]:
        pm = re.fullmatch(r"\s*(.*?)\s*(?:\^\s*(?:\{\s*(\d+)\s*\}|(\d)))?\s*", piece, re.S)
        var, times = pm.group(1), int(pm.group(2) or pm.group(3) or 1)
        if not var:
            return None
        wrt += [_parse_expression(var, opts, ph)] * times
    if len(wrt) != order:
        raise ParseError(f"a derivative of order {order} over {len(wrt)} variable(s): "
                         f"check \\frac{{{top.strip()}}}{{{bottom.strip()}}}")
    return Partial(_parse_expression(rest, opts, ph), *wrt)


def _protect_norms(text: str, opts: Options, ph: Placeholders) -> str:
    r"""``\|w\|``, ``\|w\|_2`` -> norm(w, 2) (the Euclidean norm unless a subscript says otherwise)."""
    while r"\|" in text:
        start = text.find(r"\|")
        close = text.find(r"\|", start + 2)
        if close < 0:
            raise ParseError(r"a norm bar \| is never closed")
        inner = text[start + 2:close]
        end = close + 2
        m = re.match(r"\s*_\s*(?:\{\s*([^{}]*?)\s*\}|(\w))", text[end:])
        p = sp.Integer(2)
        if m:
            p = _parse_expression(m.group(1) or m.group(2), opts, ph)
            end += m.end()
        value = sp.Function("norm")(_parse_expression(inner, opts, ph), p)
        text = text[:start] + ph.add(value) + text[end:]
    return text


def _apply(name: str, args: list, primes: int, declared: bool) -> sp.Basic:
    """``name`` applied to ``args`` (differentiated ``primes`` times). Raises
    ParseError for a known function given the wrong number of arguments."""
    if declared or (name not in KNOWN_FUNCTIONS and name not in GREEK_FUNCTIONS):
        builder = sp.Function(name)
    else:
        builder = KNOWN_FUNCTIONS.get(name) or GREEK_FUNCTIONS[name]
        arity = FUNCTION_ARITY.get(name, (1,))
        if arity is not None and len(args) not in arity:
            counts = " or ".join(str(a) for a in arity)
            raise ParseError(f"{name} takes {counts} argument{'s' if arity != (1,) else ''}, not {len(args)}: "
                             f"check the commas inside {name}(...)")
    if not primes:
        try:
            return builder(*args)
        except (TypeError, ValueError) as exc:  # sympy refusing the arguments (a matrix, a tuple)
            raise ParseError(f"{name} cannot take these arguments ({type(exc).__name__}: "
                             f"{str(exc).splitlines()[0][:80] if str(exc) else 'no detail'})") from None
    if len(args) != 1:
        raise ParseError(f"{name}' takes one argument, not {len(args)}")
    d = sp.Dummy("d")
    derivative = sp.Derivative(builder(d), (d, primes))
    if isinstance(args[0], sp.Symbol):
        return derivative.xreplace({d: args[0]})
    return sp.Subs(derivative, d, args[0])


def _protect_calls(text: str, opts: Options, ph: Placeholders) -> str:
    r"""Function applications: ``\operatorname{sign}(g)``, ``\operatorname{sign} g``
    and the declared functions ``\sigma(z)``, ``\sigma'(z)``, ``f(x, y)``."""
    heads = (re.escape("\\" + f) if f in GREEK else re.escape(f) for f in opts.functions)
    names = "|".join(sorted(heads, key=len, reverse=True))
    pattern = r"\\operatorname\{([A-Za-z]+)\}"
    if names:
        pattern += r"|(?<![\\A-Za-z])(" + names + r")(?=\s*'*\s*\()"
    else:
        pattern += r"|(?!x)x()"  # keeps the group numbers
    letters = (re.escape("\\" + f) if f in GREEK else re.escape(f) for f in FUNCTION_LETTERS)
    pattern += r"|(?<![\\A-Za-z])(" + "|".join(sorted(letters, key=len, reverse=True)) + r")(?=\s*'+\s*\()"
    pattern += r"|\\(" + "|".join(GREEK_FUNCTIONS) + r")(?![A-Za-z])(?=\s*\()"
    head = re.compile(pattern)
    while True:
        m = head.search(text)
        if not m:
            return text
        declared = m.group(1) is None and m.group(4) is None  # f'(x), \sigma'(z): derivatives of f, sigma
        name = (m.group(1) or m.group(2) or m.group(3) or m.group(4)).lstrip("\\")
        j = m.end()
        primes = 0
        while True:
            j = skip_spaces(text, j)
            if text[j:j + 1] != "'":
                break
            primes += 1
            j += 1
        if text[j:j + 1] == "(":
            end = _paren_end(text, j)
            if text[skip_spaces(text, end):skip_spaces(text, end) + 1] == "_":
                raise ParseError(f"a subscript after {name}(...): write the component out")
            args = [_parse_expression(a, opts, ph) for a in split_top_level(text[j + 1:end - 1])]
        else:
            operand = re.match(r"\{[^{}]*\}|" + _ATOM_TEXT + r"|\d+(?:\.\d+)?", text[j:])
            if not operand or not operand.group(0).strip():
                text = text[:m.start()] + ph.add(sp.Symbol(name)) + text[j:]
                continue
            end = j + operand.end()
            args = [_parse_expression(operand.group(0), opts, ph)]
        text = text[:m.start()] + ph.add(_apply(name, args, primes, declared)) + text[end:]


_CONVERTER = None


def _converter_class():
    """Our subclass of the library's converter (built on first use)."""
    global _CONVERTER
    if _CONVERTER is None:
        from latex2sympy2_extended.latex2sympy2 import _Latex2Sympy, comma_number_regex

        class _Converter(_Latex2Sympy):
            """Numbers exact and without sympify; ``(a, b)`` a pair, not an interval."""

            def parse_number(self, text):
                return _exact_number(text)

            def parse(self, latex_str):
                if comma_number_regex.match(latex_str):
                    return _exact_number(latex_str.replace(",", ""))
                return super().parse(latex_str)

            def convert_interval(self, expr):
                return sp.Tuple(self.convert_expr(expr.expr()[0]), self.convert_expr(expr.expr()[1]))

        _CONVERTER = _Converter
    return _CONVERTER


def _exact_number(text: str) -> sp.Rational:
    try:
        frac = Fraction(Decimal(text.replace(",", "").strip()))
    except (InvalidOperation, ValueError):
        raise ParseError(f"{text!r} is not a number") from None
    return sp.Rational(frac.numerator, frac.denominator)


_PLACEHOLDER_TEXT = re.compile(r"\s*\(\\text\{Zq\d+ph\}\)\s*")
#: The multiplication sign we insert before a parenthesis (left out of error messages).


def _library_error(exc: Exception, text: str) -> ParseError:
    lines = str(exc).splitlines()
    message = lines[0] if lines else type(exc).__name__
    if len(lines) >= 3 and "^" in lines[2]:
        col = lines[2].index("^")
        near = _PLACEHOLDER_TEXT.sub(" … ", lines[1][max(0, col - 12):col + 12]).replace(PRODUCT, "")
        near = re.sub(r"\S*Zq\d+ph\S*|\S*Zq\d*$|^\S*ph\}\)", "…", near.strip())
        return ParseError(f"cannot read the expression near '{near}': {message}")
    if type(exc) is not Exception:  # a library bug (AttributeError, TypeError...), named as such
        message = f"{type(exc).__name__}: {message}"
    return ParseError(f"cannot read the expression: {message}")


def _convert(text: str, opts: Options):
    """:func:`_convert_once`, each (text, options) once per process."""
    return antlr.cached((text, opts), lambda: _convert_once(text, opts))


def _convert_once(text: str, opts: Options):
    from latex2sympy2_extended.latex2sympy2 import ConversionConfig

    config = ConversionConfig(interpret_as_mixed_fractions=False, interpret_simple_eq_as_assignment=False,
                              lowercase_symbols=not opts.case_sensitive)
    converter = _converter_class()(None, None, False, config=config)
    try:
        return converter.parse(text)
    except ParseError:
        raise
    except RecursionError:
        raise ParseError("the expression is nested too deeply to read") from None
    except Exception as exc:  # the library raises bare Exception; re-raised as ParseError, never swallowed
        raise _library_error(exc, text) from None


# --------------------------------------------------------------------------- notation of the course


#: ``O(\epsilon^2)`` (``\mathcal{O}`` is cleaned to ``O``): the order term of a series.
_ORDER_TERM = re.compile(r"(?<![\\A-Za-z])O\s*\(")
#: ``\mathbb{1}[y = k]``: the indicator of a condition.
_INDICATOR = re.compile(r"\\mathbb\s*\{\s*[1I]\s*\}")
_SOFTMAX = re.compile(r"\\operatorname\{softmax\}\s*\(")
#: Shifted logits inside a softmax: ``z - c``, ``z - c\mathbf{1}``, ``z + c \cdot 1``.
_SHIFTED_LOGITS = re.compile(r"(?P<z>[^-+]+?)\s*(?P<sign>[-+])\s*(?P<c>[^-+]+)")
#: The all-ones vector a scalar shift is written with: ``\mathbf{1}``, ``\vec{1}``, a trailing ``1``.
_ONES_VECTOR = re.compile(r"\\(?:mathbf|mathbb|vec|boldsymbol)\s*\{\s*1\s*\}|\\cdot|(?<=[\sA-Za-z}])1\s*$")


def _refuse_order_terms(text: str) -> None:
    """An order term cannot be compared (its value is unknown): ParseError."""
    if _ORDER_TERM.search(text):
        raise ParseError("an order term O(...): the answer is compared without it; write the terms up to the order")


def _softmax_components(text: str) -> str:
    r"""``\operatorname{softmax}(z)_i`` is the i-th probability
    ``e^{z_i} / \sum_{j=1}^{K} e^{z_j}`` over K logits (the bound of a ``\sum_j``
    written without one; Goodfellow et al. 2016, eq. 6.29)."""
    pos = 0
    while (m := _SOFTMAX.search(text, pos)) is not None:
        end = _paren_end(text, m.end() - 1)
        after = skip_spaces(text, end)
        if text[after:after + 1] != "_":
            pos = end
            continue
        logits = text[m.end():end - 1].strip()
        index, stop, _ = read_argument(text, after + 1)
        shift = ""
        shifted = _SHIFTED_LOGITS.fullmatch(logits)
        if shifted and not BARE_SYMBOL.fullmatch(logits) and BARE_SYMBOL.fullmatch(shifted.group("z")):
            # softmax(z - c 1)_i: the shift is a scalar (times the all-ones vector)
            amount = _ONES_VECTOR.sub(" ", shifted.group("c")).strip()
            if amount and shifted.group("z").strip() not in amount:
                logits, shift = shifted.group("z").strip(), f" {shifted.group('sign')} ({amount})"
        if not BARE_SYMBOL.fullmatch(logits):
            raise ParseError(rf"a component of the softmax of an expression, softmax({logits})_{index}: "
                             r"write it as e^{z_i} / \sum_j e^{z_j}")
        j = next((k for k in "jklmnpqrs" if k not in logits + index + shift), None)
        if j is None:
            raise ParseError(rf"softmax({logits}{shift})_{index}: no free letter for the summation index")
        component = (rf"\frac{{e^{{{logits}_{{{index.strip()}}}{shift}}}}}{{\sum_{{{j}=1}}^{{K}} "
                     rf"e^{{{logits}_{{{j}}}{shift}}}}}")
        text = text[:m.start()] + "(" + component + ")" + text[stop:]
        pos = m.start() + len(component) + 2
    return text


def _indicator(condition: str, opts: Options, ph: Placeholders) -> sp.Expr:
    """The indicator of ``a = b`` (``KroneckerDelta(a, b)``) or ``a \\neq b``."""
    unequal = re.split(r"\\neq(?![A-Za-z])", condition)
    if len(unequal) == 2:
        a, b = (_parse_expression(side, opts, ph) for side in unequal)
        return 1 - sp.KroneckerDelta(a, b)
    relations = top_level_relations(condition)
    if len(relations) == 1 and relations[0][2] == "=":
        start, end, _ = relations[0]
        return sp.KroneckerDelta(_parse_expression(condition[:start], opts, ph),
                                 _parse_expression(condition[end:], opts, ph))
    raise ParseError(rf"an indicator \mathbb{{1}}[{condition.strip()}]: only a = b and a \neq b are read")


def _protect_indicators(text: str, opts: Options, ph: Placeholders) -> str:
    r"""``\mathbb{1}[y = k]``, ``\mathbb{1}\{y = k\}``, ``\mathbb{1}(y = k)``,
    ``\mathbb{1}_{y = k}`` -> KroneckerDelta(y, k); ``\mathbb{1}`` alone is left
    to the grammar."""
    pos = 0
    while (m := _INDICATOR.search(text, pos)) is not None:
        k = skip_spaces(text, m.end())
        if text.startswith(r"\{", k):
            close = text.find(r"\}", k + 2)
            if close < 0:
                raise ParseError(r"the brace \{ of an indicator is never closed")
            condition, end = text[k + 2:close], close + 2
        elif text[k:k + 1] in ("(", "["):
            end = _paren_end(text, k)
            condition = text[k + 1:end - 1]
        elif text[k:k + 1] == "_":
            condition, end, _ = read_argument(text, k + 1)
        else:
            pos = m.end()
            continue
        text = text[:m.start()] + ph.add(_indicator(condition, opts, ph)) + text[end:]
    return text


def _whole_group(text: str) -> str:
    """``{x + 1}``, a brace group around the whole expression, is a group (a
    set is written ``\\{...\\}``); ``{a, b}`` stays a tuple."""
    text = text.strip()
    while text.startswith("{") and group_end(text, 0) == len(text) and len(split_top_level(text[1:-1])) == 1:
        text = text[1:-1].strip()
    return text


def _parse_expression(text: str, opts: Options, ph: Placeholders):
    """One expression (no top-level relation) of cleaned text -> sympy."""
    text = _whole_group(text)
    if not text:
        raise ParseError("an empty expression (nothing between two operators or brackets)")
    _refuse_order_terms(text)
    text = _bound_sums(_softmax_components(text))
    text = _protect_partials(text, opts, ph)
    text = _protect_norms(text, opts, ph)
    text = _protect_indicators(text, opts, ph)
    text = _protect_calls(text, opts, ph)
    text = scan_atoms(text, opts, ph)
    if "'" in text:
        raise ParseError("a prime (') after something that is not a symbol or a function: write the derivative out")
    obj = _convert(text, opts)
    try:
        if ph.values and isinstance(obj, (sp.Basic, sp.MatrixBase)):
            obj = obj.xreplace(ph.values)
        if re.search(r"(?<![\\A-Za-z])I(?![A-Za-z])", text) and isinstance(obj, (sp.Basic, sp.MatrixBase)):
            obj = obj.xreplace({sp.I: sp.Symbol("I")})
        return canonical(obj)
    except (TypeError, ValueError, ArithmeticError, NotImplementedError) as exc:  # \sum_j of a matrix...
        detail = str(exc).strip().splitlines()[0][:100] if str(exc).strip() else "no detail"
        raise ParseError(f"the expression cannot be built: sympy refuses it ({detail})") from None


def parse_latex(text: str, *, symbols_case_sensitive: bool = True,
                superscript_index_symbols: Collection[str] = (), functions: Collection[str] = (),
                flip_ambiguous_commas: bool = False):
    """Parse one student expression or equation ``lhs = rhs``.

    Args:
        text: LaTeX as OCR'd, with or without ``$`` delimiters.
        symbols_case_sensitive: ``W`` and ``w`` are different symbols (the
            course's convention); False lowercases every symbol.
        superscript_index_symbols: letters whose superscripts are indices
            (``{"g", "m", "v", "w"}`` for Adam written ``m^t``), matched on
            the letter under any accent (``\\hat{m}^t``).
        functions: names applied to a parenthesised argument as functions
            (``{"sigma"}`` when the problem defines the sigmoid, ``{"f"}``).
        flip_ambiguous_commas: take the other reading of every ambiguous
            comma (see :func:`resolve_commas`).

    Returns a sympy expression, ``Eq(lhs, rhs)``, an ImmutableMatrix, or a
    Tuple. Raises ParseError (a UsageError) with a one-line reason: text
    that cannot be read, an empty side of ``=``, a chain of relations
    (split it with :func:`split_chain`), an inequality.

    >>> parse_latex(r"\\frac{x}{\\log x}")
    x/log(x)
    >>> parse_latex(r"42,7 \\times 10^{2}").doit()
    4270
    """
    opts = Options(bool(symbols_case_sensitive), frozenset(superscript_index_symbols), frozenset(functions))
    cleaned = clean(text, flip_ambiguous_commas=flip_ambiguous_commas)
    if not cleaned:
        raise ParseError("there is no expression to read")
    relations = top_level_relations(cleaned)
    if not relations:
        obj = _parse_expression(cleaned, opts, Placeholders())
        if isinstance(obj, sp.core.relational.Relational) and not isinstance(obj, (sp.Eq, sp.Ne)):
            raise ParseError("an inequality: only expressions and equations are compared")
        if isinstance(obj, (sp.core.relational.Relational, sp.And, sp.Or, sp.Not, sp.Contains,
                            sp.logic.boolalg.BooleanAtom)):
            raise ParseError(f"a relation ({type(obj).__name__}), not an expression: only expressions and equations "
                             "are compared")
    elif len(relations) == 1 and relations[0][2] in ("=", ":=", r"\coloneqq"):
        start, end, _ = relations[0]
        lhs, rhs = cleaned[:start].strip(), cleaned[end:].strip()
        if not lhs or not rhs:
            raise ParseError(f"the {'left' if not lhs else 'right'}-hand side of '=' is empty")
        ph = Placeholders()
        obj = sp.Eq(_parse_expression(lhs, opts, ph), _parse_expression(rhs, opts, ph), evaluate=False)
    else:
        names = ", ".join(dict.fromkeys(r for _, _, r in relations))
        raise ParseError(f"a chain of {len(relations) + 1} members joined by {names}: write one relation, "
                         "or the answer alone")
    if isinstance(obj, sp.core.relational.Relational) and not isinstance(obj, sp.Eq):
        raise ParseError("an inequality: only expressions and equations are compared")
    if isinstance(obj, sp.And):
        raise ParseError("a chain of relations: write one relation, or the answer alone")
    return obj
