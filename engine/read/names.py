"""Names in a student's LaTeX: the symbols the parser makes of them.

Before the grammar reads a text, :func:`scan_atoms` rewrites every symbol
with its decorations into the name :func:`engine.read.parse.parse_latex`
gives it: primes join the subscript (``y'`` -> ``y_{\\prime}``), superscripts
of index letters become subscripts (``m^t`` is ``m_t``), ``W^T`` is the symbol
``W^{T}``, ``\\gamma`` a symbol (not Euler's constant), ``e_1`` a symbol (not
Euler's number), ``\\text{word}`` and ``net_1`` one name. Symbols the grammar
cannot read stand in the text as placeholders (:class:`Placeholders`).
:func:`symbol` makes the same Symbol from our own names.

Errors are :class:`engine.errors.ParseError`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp
from sympy.core.function import AppliedUndef

from engine.errors import ParseError
from engine.math.texnames import is_safe_name
from engine.read.text import ACCENTS, GREEK
from engine.read.tokens import group_end, read_argument, skip_spaces

#: What the parser writes between two factors it has separated (``alpha(x)``).
PRODUCT = " * "

#: Letters that stay function names before a parenthesis without being
#: declared (``f(x)``, ``\sigma(z)`` undefined: "undecided", never a product);
#: any other symbol followed by ``(`` multiplies (``\alpha(x)``, ``o_1(1 - o_1)``).
FUNCTION_LETTERS = frozenset({"f", "g", "h", "F", "G", "H", "sigma", "phi", "psi", "ell"})
#: Superscripts that mean "transpose".
TRANSPOSE_MARKS = frozenset({"T", r"\top", r"\mathsf{T}", r"\mathrm{T}", r"\intercal"})



@dataclass(frozen=True)
class Options:
    """How :func:`engine.read.parse.parse_latex` reads names: case, index letters, declared functions."""

    case_sensitive: bool = True
    index_bases: frozenset = frozenset()
    functions: frozenset = frozenset()


class Placeholders:
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


def sub_suffix(sub: str | None) -> str:
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
    return sp.Symbol(name + sub_suffix(sub))


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
BARE_SYMBOL = re.compile(r"\s*(?:[A-Za-z]|\\(?:%s)(?![A-Za-z])|\\(?:%s)\s*\{[^{}]*\}|\\text\{[A-Za-z]+\})\s*" % (
    "|".join(sorted(GREEK, key=len, reverse=True)), "|".join(sorted(ACCENTS, key=len, reverse=True))))


def _is_script_argument(text: str, i: int) -> bool:
    """Is the brace group at ``i`` the argument of ``_`` or ``^``?"""
    k = i - 1
    while k >= 0 and text[k] in " \t\n\r":
        k -= 1
    return k >= 0 and text[k] in "_^"


def _scan_arguments(text: str, name: str, j: int, opts: Options, ph: Placeholders) -> tuple[str, int]:
    """The arguments of an :data:`ARGUMENT_COMMANDS` command ending at ``j``,
    each scanned for symbols; (rewritten arguments, end)."""
    pieces = []
    k = skip_spaces(text, j)
    if name == "sqrt" and text[k:k + 1] == "[":
        close = group_end(text, k, "[", unbalanced=0) - 1
        if close < 0:
            raise ParseError(r"\sqrt[ has no closing ]")
        pieces.append("[" + scan_atoms(text[k + 1:close], opts, ph) + "]")
        k = skip_spaces(text, close + 1)
    for _ in range(ARGUMENT_COMMANDS[name]):
        if text[k:k + 1] != "{":
            break
        end = group_end(text, k)
        pieces.append("{" + scan_atoms(text[k + 1:end - 1], opts, ph) + "}")
        k = skip_spaces(text, end)
    return "".join(pieces), k


def scan_atoms(text: str, opts: Options, ph: Placeholders) -> str:
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
            if BARE_SYMBOL.fullmatch(text, i + 1, end - 1):  # {p}_{y} is p_{y}; {x} is x
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
            out.append(PRODUCT)  # t \hat{m}^T: the symbol made here is a placeholder in parentheses
        out.append(rewritten)
        i = k
        previous = (len(out), base.letter)
        if text[skip_spaces(text, k):skip_spaces(text, k) + 1] == "(" and base.letter not in FUNCTION_LETTERS:
            out.append(PRODUCT)  # alpha(1 - x) and alpha(x) multiply; only function names apply
    return "".join(out)


#: A subscript listing one-character indices with commas: ``i,j``, ``1, 1``.
_SINGLE_INDEX_LIST = re.compile(r"[A-Za-z0-9](?:\s*,\s*[A-Za-z0-9])+")
#: A superscript in parentheses, ``^{(g)}``, ``^{(1)}``, ``^{(t-1)}``: a label of the symbol.
_LABEL = re.compile(r"\(\s*([A-Za-z0-9]+(?:\s*[+-]\s*[A-Za-z0-9]+)?|\\[A-Za-z]+)\s*\)")


def _decorate(text: str, start: int, j: int, base: _Base, opts: Options, ph: Placeholders) -> tuple[str, int]:
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
        name = f"{base.name}^{{({label.group(1).replace(' ', '')})}}" + sub_suffix(new_sub)
        return ph.add(sp.Symbol(name if opts.case_sensitive else name.lower())), k
    if transposed or base.latex is None or base.name in ("gamma", "Gamma"):
        name = base.name + sub_suffix(new_sub) + ("^{T}" if transposed else "")
        if not opts.case_sensitive:
            name = name.lower()
        power = "" if transposed or sup is None else "^{" + scan_atoms(sup, opts, ph) + "}"
        return ph.add(sp.Symbol(name)) + power, k
    latex = r"\text{e}" if base.latex == "e" and new_sub is not None else base.latex
    if new_sub is not None:
        latex += "_{" + scan_atoms(new_sub, opts, ph) + "}"
    if sup is not None:
        latex += "^{ T}" if greek and sup == "T" else "^{" + scan_atoms(sup, opts, ph) + "}"
    return " " + latex + " ", k


# --------------------------------------------------------------------------- the canonical form of a parsed tree


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


def index_sums(expr: sp.Basic, depth: int = 0) -> sp.Basic:
    """Inside ``Sum(body, (j, 1, K))``, ``z_j`` is the indexed ``z[j]`` (and
    ``w_{ij}`` the indexed ``w[i, j]``, ``x_{j+1}`` is ``x[j + 1]``); bound
    indices get canonical names (``_i1``, ``_i2`` by nesting) so that
    ``\\sum_j`` and ``\\sum_k`` read the same."""
    if not isinstance(expr, sp.Basic) or not expr.args:
        return expr
    if isinstance(expr, (sp.Sum, sp.Product)):
        body = index_sums(expr.function, depth + len(expr.limits))
        limits = []
        for n, (j, *bounds) in enumerate(expr.limits):
            canon = sp.Symbol(f"_i{depth + n + 1}")
            indexed = {s: _as_indexed(s, j) for s in body.free_symbols if isinstance(s, sp.Symbol)}
            body = body.xreplace({s: v for s, v in indexed.items() if v is not None}).xreplace({j: canon})
            limits.append((canon, *[index_sums(b, depth) for b in bounds]))
        return expr.func(body, *limits)
    args = [index_sums(a, depth) for a in expr.args]
    return expr.func(*args) if args != list(expr.args) else expr


def canonical(obj):
    """The parser's canonical form of the library's output: exact matrices and
    tuples, ``log_b`` as a quotient, function names without ``\\text``, indexed
    symbols inside sums (:func:`index_sums`); see :mod:`engine.read.parse`."""
    from latex2sympy2_extended.sets import FiniteSet as LibraryFiniteSet

    if isinstance(obj, sp.MatrixExpr) and isinstance(obj.doit(), sp.MatrixBase):  # 2 [[1, 2]]: carried out
        obj = obj.doit()
    if isinstance(obj, LibraryFiniteSet):
        obj = sp.Tuple(*getattr(obj, "_unsorted_args", obj.args))
    if isinstance(obj, sp.MatrixBase):
        return sp.ImmutableMatrix(obj.rows, obj.cols, [canonical(e) for e in obj])
    if isinstance(obj, sp.Tuple):
        return sp.Tuple(*[canonical(e) for e in obj])
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
        obj = index_sums(obj)
    return obj
