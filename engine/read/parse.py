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
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Callable, Collection

import sympy as sp
from sympy.core.function import AppliedUndef

__all__ = [
    "ParseError", "Partial", "KNOWN_FUNCTIONS", "parse_latex", "symbol", "clean", "split_chain", "split_equations",
    "written_precision", "number_literal", "literal_grid", "resolve_commas", "ambiguous_commas", "WrittenNumber",
    "CommaReading", "top_level_relations",
]

from engine.math.texnames import is_safe_name  # noqa: E402
from engine.read.text import (  # noqa: F401,E402 - re-exported: engine.read.parse is the public API
    ACCENTS, FUNCTION_NAMES, GREEK, CommaReading, ParseError, WrittenNumber, ambiguous_commas, clean,
    group_end, literal_grid, number_literal, read_argument, resolve_commas, skip_spaces, split_chain,
    split_equations, top_level_relations, written_precision,
)


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
    "softmax": sp.Function("softmax"),
}
#: How many arguments each named function takes (None: one or more).
#: ``\operatorname{ReLU}(1, 2)`` is refused with this, not a TypeError.
FUNCTION_ARITY: dict[str, tuple[int, ...] | None] = {
    "sign": (1,), "sgn": (1,), "signum": (1,), "sigmoid": (1,), "relu": (1,), "ReLU": (1,), "exp": (1,),
    "ln": (1,), "log": (1, 2), "tanh": (1,), "abs": (1,), "max": None, "min": None, "softmax": None,
}
#: Greek capitals that are functions before a parenthesis (``\Gamma(x)`` is
#: the gamma function); alone they stay symbols (``\Gamma``).
GREEK_FUNCTIONS: dict[str, Callable] = {"Gamma": sp.gamma}

#: Letters that stay function names before a parenthesis without being
#: declared (``f(x)``, ``\sigma(z)`` undefined: "undecided", never a product);
#: any other symbol followed by ``(`` multiplies (``\alpha(x)``, ``o_1(1 - o_1)``).
FUNCTION_LETTERS = frozenset({"f", "g", "h", "F", "G", "H", "sigma", "phi", "psi", "ell"})
#: Superscripts that mean "transpose".
TRANSPOSE_MARKS = frozenset({"T", r"\top", r"\mathsf{T}", r"\mathrm{T}", r"\intercal"})


# =========================================================================== parsing


@dataclass(frozen=True)
class _Options:
    case_sensitive: bool = True
    index_bases: frozenset = frozenset()
    functions: frozenset = frozenset()


class _Placeholders:
    """Sympy objects we build ourselves for constructs the grammar cannot
    read (partial derivatives, norms, function calls, transposed symbols):
    each stands in the text as ``(\\text{Zq<n>ph})``, a name no student text
    can produce (``\\text`` words are letters only)."""

    def __init__(self) -> None:
        self.values: dict[sp.Symbol, sp.Basic] = {}

    def add(self, value: sp.Basic) -> str:
        name = f"Zq{len(self.values)}ph"
        self.values[sp.Symbol(name)] = value
        return rf" (\text{{{name}}}) "


def _sub_suffix(sub: str | None) -> str:
    if sub is None:
        return ""
    sub = sub.replace(" ", "")
    return "_" + sub if len(sub) == 1 else "_{" + sub + "}"


def symbol(base: str, sub: str | None = None) -> sp.Symbol:
    """The Symbol :func:`parse_latex` makes for ``base`` with subscript
    ``sub``: ``symbol(r"\\hat{m}", "t")`` is ``parse_latex(r"\\hat{m}_t")``,
    ``symbol("p", "y'")`` is ``parse_latex("p_{y'}")``. For building a
    problem's definitions from our own names, never from user text."""
    m = re.fullmatch(r"\\([A-Za-z]+)\{(.*)\}", base)
    if m:
        aliases = {"overline": "bar", "widehat": "hat", "widetilde": "tilde", "overrightarrow": "vec"}
        accent = aliases.get(m.group(1), m.group(1))
        name = f"{accent}{{{m.group(2).replace(' ', '')}}}"
    else:
        name = base[1:] if base.startswith("\\") else base
    if sub is not None:
        sub = sub.replace("'", r"\prime")
    return sp.Symbol(name + _sub_suffix(sub))


def _split_top_commas(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _paren_end(text: str, start: int) -> int:
    """Index just after the ``)`` matching the ``(`` at ``start``."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] in "([{":
            depth += 1
        elif text[i] in ")]}":
            depth -= 1
            if depth == 0:
                return i + 1
    raise ParseError(f"unbalanced parentheses: the '(' before '{text[start + 1:start + 13].strip()}' is never closed")


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


def _protect_partials(text: str, opts: _Options, ph: _Placeholders) -> str:
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


def _partial(top: str, bottom: str, opts: _Options, ph: _Placeholders):
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


def _protect_norms(text: str, opts: _Options, ph: _Placeholders) -> str:
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


def _protect_calls(text: str, opts: _Options, ph: _Placeholders) -> str:
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
            args = [_parse_expression(a, opts, ph) for a in _split_top_commas(text[j + 1:end - 1])]
        else:
            operand = re.match(r"\{[^{}]*\}|" + _ATOM_TEXT + r"|\d+(?:\.\d+)?", text[j:])
            if not operand or not operand.group(0).strip():
                text = text[:m.start()] + ph.add(sp.Symbol(name)) + text[j:]
                continue
            end = j + operand.end()
            args = [_parse_expression(operand.group(0), opts, ph)]
        text = text[:m.start()] + ph.add(_apply(name, args, primes, declared)) + text[end:]


@dataclass(frozen=True)
class _Base:
    latex: str | None  # None: replaced by a placeholder in any case
    name: str          # the sympy name (beta, hat{m}, loss)
    letter: str        # what superscript_index_symbols is matched against


_VERBATIM = frozenset({"begin", "end", "mathbb", "operatorname"})
#: Commands followed by brace arguments (how many): a brace group there is an
#: argument, read inside; anywhere else ``{p}`` is only a group (sympy's
#: printer writes an indexed symbol as ``{p}_{y}``).
ARGUMENT_COMMANDS = {"frac": 2, "binom": 2, "sqrt": 1, "overset": 2, "underset": 2, "stackrel": 2}
#: A run of at least this many letters right before ``_`` is one name
#: (``net_1``, ``out_{o1}``); shorter runs multiply (``ax_1`` is a x_1).
WORD_LETTERS = 3
_WORD_BEFORE_SUBSCRIPT = re.compile(r"[A-Za-z]{%d,}(?=_)" % WORD_LETTERS)
_COMMAND_NAME = re.compile(r"\\([A-Za-z]+)")
#: One bare symbol: a letter, a Greek letter, an accented symbol, a \text name.
_BARE_SYMBOL = re.compile(r"\s*(?:[A-Za-z]|\\(?:%s)(?![A-Za-z])|\\(?:%s)\s*\{[^{}]*\}|\\text\{[A-Za-z]+\})\s*" % (
    "|".join(sorted(GREEK, key=len, reverse=True)), "|".join(sorted(ACCENTS, key=len, reverse=True))))


def _is_script_argument(text: str, i: int) -> bool:
    """Is the brace group at ``i`` the argument of ``_`` or ``^``?"""
    k = i - 1
    while k >= 0 and text[k] in " \t\n\r":
        k -= 1
    return k >= 0 and text[k] in "_^"


def _scan_arguments(text: str, name: str, j: int, opts: _Options, ph: _Placeholders) -> tuple[str, int]:
    """The arguments of an :data:`ARGUMENT_COMMANDS` command ending at ``j``,
    each scanned for symbols; (rewritten arguments, end)."""
    pieces = []
    k = skip_spaces(text, j)
    if name == "sqrt" and text[k:k + 1] == "[":
        depth, close = 0, -1
        for q in range(k, len(text)):
            depth += {"[": 1, "]": -1}.get(text[q], 0)
            if depth == 0:
                close = q
                break
        if close < 0:
            raise ParseError(r"\sqrt[ has no closing ]")
        pieces.append("[" + _scan_atoms(text[k + 1:close], opts, ph) + "]")
        k = skip_spaces(text, close + 1)
    for _ in range(ARGUMENT_COMMANDS[name]):
        if text[k:k + 1] != "{":
            break
        end = group_end(text, k)
        pieces.append("{" + _scan_atoms(text[k + 1:end - 1], opts, ph) + "}")
        k = skip_spaces(text, end)
    return "".join(pieces), k


def _scan_atoms(text: str, opts: _Options, ph: _Placeholders) -> str:
    """Decorated symbols: primes join the subscript (``y'`` -> ``y_{\\prime}``),
    superscripts of ``superscript_index_symbols`` become subscripts,
    ``W^T`` becomes the symbol ``W^{T}``, ``\\gamma`` a symbol (not Euler's
    constant), ``e_1`` a symbol (not Euler's number), ``\\text{word}`` a symbol."""
    out: list[str] = []
    previous = None  # (len(out) after the last symbol, its letter)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            m = _COMMAND_NAME.match(text, i)
            if not m:
                out.append(text[i:i + 2])
                i += 2
                continue
            name, j = m.group(1), m.end()
            g = skip_spaces(text, j)
            has_group = g < n and text[g] == "{"
            if name in GREEK:
                base = _Base(text[i:j], name, name)
            elif name in ACCENTS and has_group:
                j = group_end(text, g)
                inner = text[g + 1:j - 1]
                if not is_safe_name(inner):  # a name is data: no control word outside the whitelist
                    raise ParseError(f"\\{name}{{...}}: put one letter or Greek letter under an accent")
                base = _Base(text[i:j], f"{name}{{{inner.replace(' ', '')}}}", inner.strip().lstrip("\\"))
            elif name == "text" and has_group:
                j = group_end(text, g)
                word = text[g + 1:j - 1]
                if re.fullmatch(r"Zq\d+ph", word):  # one of ours
                    out.append(text[i:j])
                    i = j
                    continue
                if not is_safe_name(word):
                    raise ParseError("\\text{...}: a name in text is letters and digits")
                base = _Base(None, word, word)
            elif name in _VERBATIM and has_group:
                j = group_end(text, g)
                out.append(text[i:j])
                i = j
                continue
            elif name in ARGUMENT_COMMANDS:
                arguments, i = _scan_arguments(text, name, j, opts, ph)
                out.append(m.group(0) + arguments)
                continue
            else:
                out.append(m.group(0))
                i = j
                continue
        elif c.isascii() and c.isalpha():
            word = _WORD_BEFORE_SUBSCRIPT.match(text, i)
            if word:  # net_1: one name, like \text{net}_1
                base, j = _Base(None, word.group(0), word.group(0)), word.end()
            else:
                base, j = _Base(c, c, c), i + 1
        elif c == "{" and not _is_script_argument(text, i):
            end = group_end(text, i)
            if _BARE_SYMBOL.fullmatch(text, i + 1, end - 1):  # {p}_{y} is p_{y}; {x} is x
                text = text[:i] + " " + text[i + 1:end - 1].strip() + text[end:]
                n = len(text)
                i += 1
                continue
            out.append(c)
            i += 1
            continue
        else:
            out.append(c)
            i += 1
            continue
        rewritten, k = _decorate(text, i, j, base, opts, ph)
        if (rewritten.lstrip().startswith("(") and previous is not None and previous[1] not in FUNCTION_LETTERS
                and not "".join(out[previous[0]:]).strip()):
            out.append(_PRODUCT)  # t \hat{m}^T: the symbol made here is a placeholder in parentheses
        out.append(rewritten)
        i = k
        previous = (len(out), base.letter)
        if text[skip_spaces(text, k):skip_spaces(text, k) + 1] == "(" and base.letter not in FUNCTION_LETTERS:
            out.append(_PRODUCT)  # alpha(1 - x) and alpha(x) multiply; only function names apply
    return "".join(out)


#: A subscript listing one-character indices with commas: ``i,j``, ``1, 1``.
_SINGLE_INDEX_LIST = re.compile(r"[A-Za-z0-9](?:\s*,\s*[A-Za-z0-9])+")
#: A superscript in parentheses, ``^{(g)}``, ``^{(1)}``, ``^{(t-1)}``: a label of the symbol.
_LABEL = re.compile(r"\(\s*([A-Za-z0-9]+(?:\s*[+-]\s*[A-Za-z0-9]+)?|\\[A-Za-z]+)\s*\)")


def _decorate(text: str, start: int, j: int, base: _Base, opts: _Options, ph: _Placeholders) -> tuple[str, int]:
    sub = sup = None
    primes = 0
    k = j
    while True:
        t = skip_spaces(text, k)
        if t < len(text) and text[t] == "'":
            primes += 1
            k = t + 1
            continue
        if t < len(text) and text[t] in "_^" and (sub if text[t] == "_" else sup) is None:
            arg, end, _ = read_argument(text, t + 1)
            if text[t] == "_":
                sub = arg.strip()
            else:
                sup = arg.strip()
            k = end
            continue
        break
    if any(s is not None and not is_safe_name(s) for s in (sub, sup and _LABEL.fullmatch(sup) and sup)):
        raise ParseError("a subscript or label holds a command that is not part of a name: use letters and digits")
    special = (base.latex is None or base.name in ("gamma", "Gamma")
               or (base.latex == "e" and (sub is not None or primes)))
    if sub is None and sup is None and not primes and not special:
        return text[start:k], k
    if sub is not None and "'" in sub:
        sub = sub.replace("'", r"\prime")
    if sub is not None and _SINGLE_INDEX_LIST.fullmatch(sub):
        sub = re.sub(r"\s*,\s*", "", sub)  # w_{i,j} is w_{ij}, w_{1,1} is w_{11} (sympy prints x[i, j] so)
    greek = base.letter in GREEK
    transposed = sup is not None and (sup in TRANSPOSE_MARKS and not (greek and sup == "T"))
    index = sup is not None and not transposed and sub is None and base.letter in opts.index_bases
    label = _LABEL.fullmatch(sup) if sup is not None else None
    new_sub = sub
    if index:
        new_sub, sup = (label.group(1).replace(" ", "") if label else sup), None  # m^{(t)} is m^t, m_t
    if primes:
        new_sub = (new_sub or "") + r"\prime" * primes
    if label and not index:  # \hat{m}^{(g)}_t, W^{(1)}: a label, not a power
        if greek and base.name == base.letter:
            command = "\\" + base.name
            raise ParseError(f"{command}^{{{sup}}}: a label or a power? write {command}^{{{label.group(1)}}} for a "
                             f"power, {command}_{{{label.group(1)}}} for an index")
        name = f"{base.name}^{{({label.group(1).replace(' ', '')})}}" + _sub_suffix(new_sub)
        return ph.add(sp.Symbol(name if opts.case_sensitive else name.lower())), k
    if transposed or base.latex is None or base.name in ("gamma", "Gamma"):
        name = base.name + _sub_suffix(new_sub) + ("^{T}" if transposed else "")
        if not opts.case_sensitive:
            name = name.lower()
        power = "" if transposed or sup is None else "^{" + _scan_atoms(sup, opts, ph) + "}"
        return ph.add(sp.Symbol(name)) + power, k
    latex = r"\text{e}" if base.latex == "e" and new_sub is not None else base.latex
    if new_sub is not None:
        latex += "_{" + _scan_atoms(new_sub, opts, ph) + "}"
    if sup is not None:
        latex += "^{ T}" if greek and sup == "T" else "^{" + _scan_atoms(sup, opts, ph) + "}"
    return " " + latex + " ", k


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
_PRODUCT = " * "


def _library_error(exc: Exception, text: str) -> ParseError:
    lines = str(exc).splitlines()
    message = lines[0] if lines else type(exc).__name__
    if len(lines) >= 3 and "^" in lines[2]:
        col = lines[2].index("^")
        near = _PLACEHOLDER_TEXT.sub(" … ", lines[1][max(0, col - 12):col + 12]).replace(_PRODUCT, "")
        near = re.sub(r"\S*Zq\d+ph\S*|\S*Zq\d*$|^\S*ph\}\)", "…", near.strip())
        return ParseError(f"cannot read the expression near '{near}': {message}")
    if type(exc) is not Exception:  # a library bug (AttributeError, TypeError...), named as such
        message = f"{type(exc).__name__}: {message}"
    return ParseError(f"cannot read the expression: {message}")


def _convert(text: str, opts: _Options):
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


def _canonical_function(expr: AppliedUndef) -> sp.Basic:
    name = expr.func.__name__
    m = re.fullmatch(r"\\text\{(.*)\}", name)
    bare = m.group(1) if m else name.lstrip("\\")
    if bare == name:
        return expr
    return sp.Function(bare)(*expr.args)


_SUBSCRIPTED_NAME = re.compile(r"(.+?)_(?:\{([^{}]*)\}|([^{}_]))")


def _subscript_indices(sub: str) -> list | None:
    """The indices a subscript names: ``j`` -> [j], ``ij`` and ``i,j`` ->
    [i, j], ``1j`` -> [1, j], ``j+1`` -> [j + 1]; None for anything else
    (``y\\prime``, ``-1``, ``t-1`` are names, not index lists)."""
    sub = sub.replace(" ", "")
    offset = re.fullmatch(r"([A-Za-z])([+-]\d+)", sub)
    if offset:
        return [sp.Symbol(offset.group(1)) + int(offset.group(2))]
    tokens = sub.split(",") if "," in sub else list(sub)
    if not tokens or not all(re.fullmatch(r"[A-Za-z]|\d+", t) for t in tokens):
        return None
    return [sp.Integer(int(t)) if t.isdigit() else sp.Symbol(t) for t in tokens]


def _as_indexed(sym: sp.Symbol, index: sp.Symbol) -> sp.Indexed | None:
    """``z_j`` -> ``z[j]``, ``w_{ij}`` -> ``w[i, j]`` when ``index`` is one
    of the subscript's indices; None otherwise."""
    m = _SUBSCRIPTED_NAME.fullmatch(sym.name)
    if not m:
        return None
    indices = _subscript_indices(m.group(2) if m.group(2) is not None else m.group(3))
    if not indices or not any(i.has(index) for i in indices):
        return None
    return sp.Indexed(sp.IndexedBase(m.group(1)), *indices)


def _index_sums(expr: sp.Basic, depth: int = 0) -> sp.Basic:
    """Inside ``Sum(body, (j, 1, K))``, ``z_j`` is the indexed ``z[j]`` (and
    ``w_{ij}`` the indexed ``w[i, j]``, ``x_{j+1}`` is ``x[j + 1]``); bound
    indices get canonical names (``_i1``, ``_i2`` by nesting) so that
    ``\\sum_j`` and ``\\sum_k`` read the same."""
    if not isinstance(expr, sp.Basic) or not expr.args:
        return expr
    if isinstance(expr, (sp.Sum, sp.Product)):
        body = _index_sums(expr.function, depth + len(expr.limits))
        limits = []
        for n, (j, *bounds) in enumerate(expr.limits):
            canon = sp.Symbol(f"_i{depth + n + 1}")
            indexed = {s: _as_indexed(s, j) for s in body.free_symbols if isinstance(s, sp.Symbol)}
            body = body.xreplace({s: v for s, v in indexed.items() if v is not None}).xreplace({j: canon})
            limits.append((canon, *[_index_sums(b, depth) for b in bounds]))
        return expr.func(body, *limits)
    args = [_index_sums(a, depth) for a in expr.args]
    return expr.func(*args) if args != list(expr.args) else expr


def _canonical(obj):
    """Post-processing of the library's output (see the module docstring)."""
    from latex2sympy2_extended.sets import FiniteSet as LibraryFiniteSet

    if isinstance(obj, sp.MatrixExpr) and isinstance(obj.doit(), sp.MatrixBase):  # 2 [[1, 2]]: carried out
        obj = obj.doit()
    if isinstance(obj, LibraryFiniteSet):
        obj = sp.Tuple(*getattr(obj, "_unsorted_args", obj.args))
    if isinstance(obj, sp.MatrixBase):
        return sp.ImmutableMatrix(obj.rows, obj.cols, [_canonical(e) for e in obj])
    if isinstance(obj, sp.Tuple):
        return sp.Tuple(*[_canonical(e) for e in obj])
    if isinstance(obj, list):
        raise ParseError("a derivative operator d/dx with nothing to differentiate")
    if not isinstance(obj, sp.Basic):
        raise ParseError(f"the expression reads as {type(obj).__name__}, not a mathematical expression")
    obj = obj.replace(lambda e: isinstance(e, sp.UnevaluatedExpr), lambda e: e.args[0])
    obj = obj.replace(lambda e: isinstance(e, sp.log) and len(e.args) == 2,
                      lambda e: sp.log(e.args[0]) if e.args[1] == sp.E else sp.log(e.args[0]) / sp.log(e.args[1]))
    obj = obj.replace(lambda e: isinstance(e, AppliedUndef), _canonical_function)
    obj = obj.replace(lambda e: isinstance(e, LibraryFiniteSet), lambda e: sp.Tuple(*e.args))
    if obj.has(sp.Sum, sp.Product):
        obj = _index_sums(obj)
    return obj


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
        if shifted and not _BARE_SYMBOL.fullmatch(logits) and _BARE_SYMBOL.fullmatch(shifted.group("z")):
            # softmax(z - c 1)_i: the shift is a scalar (times the all-ones vector)
            amount = _ONES_VECTOR.sub(" ", shifted.group("c")).strip()
            if amount and shifted.group("z").strip() not in amount:
                logits, shift = shifted.group("z").strip(), f" {shifted.group('sign')} ({amount})"
        if not _BARE_SYMBOL.fullmatch(logits):
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


def _indicator(condition: str, opts: _Options, ph: _Placeholders) -> sp.Expr:
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


def _protect_indicators(text: str, opts: _Options, ph: _Placeholders) -> str:
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
    while text.startswith("{") and group_end(text, 0) == len(text) and len(_split_top_commas(text[1:-1])) == 1:
        text = text[1:-1].strip()
    return text


def _parse_expression(text: str, opts: _Options, ph: _Placeholders):
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
    text = _scan_atoms(text, opts, ph)
    if "'" in text:
        raise ParseError("a prime (') after something that is not a symbol or a function: write the derivative out")
    obj = _convert(text, opts)
    try:
        if ph.values and isinstance(obj, (sp.Basic, sp.MatrixBase)):
            obj = obj.xreplace(ph.values)
        if re.search(r"(?<![\\A-Za-z])I(?![A-Za-z])", text) and isinstance(obj, (sp.Basic, sp.MatrixBase)):
            obj = obj.xreplace({sp.I: sp.Symbol("I")})
        return _canonical(obj)
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
    opts = _Options(bool(symbols_case_sensitive), frozenset(superscript_index_symbols), frozenset(functions))
    cleaned = clean(text, flip_ambiguous_commas=flip_ambiguous_commas)
    if not cleaned:
        raise ParseError("there is no expression to read")
    relations = top_level_relations(cleaned)
    if not relations:
        obj = _parse_expression(cleaned, opts, _Placeholders())
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
        ph = _Placeholders()
        obj = sp.Eq(_parse_expression(lhs, opts, ph), _parse_expression(rhs, opts, ph), evaluate=False)
    else:
        names = ", ".join(dict.fromkeys(r for _, _, r in relations))
        raise ParseError(f"a chain of {len(relations) + 1} members joined by {names}: split it with "
                         "split_chain() and compare the members")
    if isinstance(obj, sp.core.relational.Relational) and not isinstance(obj, sp.Eq):
        raise ParseError("an inequality: only expressions and equations are compared")
    if isinstance(obj, sp.And):
        raise ParseError("a chain of relations: split it with split_chain() and compare the members")
    return obj
