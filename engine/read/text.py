"""Text-level handling of students' LaTeX, before any parsing.

What OCR'd handwriting needs before a grammar can read it (no sympy here):

* :func:`clean` removes OCR noise (``\\left``/``\\right``, ``\\,``, ``\\!``,
  ``\\quad``, ``\\text{...}`` prose, ``\\dots``, trailing punctuation, struck-out
  work ``\\cancel{...}`` and ``~~...~~``, display delimiters, layout
  environments) and writes the course's conventions into the text: ``\\ln``
  for ``\\log``, decimal commas (:func:`resolve_commas`), percent, e-notation,
  ``3x3`` as ``3 \\times 3``, ``\\frac12`` as ``\\frac{1}{2}``.
* :func:`split_chain` and :func:`split_equations` cut ``a = b \\approx c`` and
  aligned derivations into members.
* :func:`written_precision`, :func:`number_literal` and :func:`literal_grid`
  record how many digits each number was written with, so that answers are
  compared at the precision written.

Errors are :class:`ParseError` (a UsageError) with a one-line reason.
:mod:`engine.read.parse` builds sympy objects on top of this module.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from engine.errors import ParseError
from engine.read.tokens import (  # noqa: F401 - re-exported: the tokenizer's names, read here
    BARE_FUNCTIONS, COMMAND, FUNCTION_NAMES, STRUCK, group_end, nesting_depth, read_argument, skip_spaces,
)

#: Longest text read (characters); longer input is refused, not truncated.
MAX_CHARS = 20_000
#: Deepest nesting of braces, parentheses and brackets (the ANTLR parser
#: recurses once per level and hits Python's recursion limit near 80).
MAX_NESTING = 50


#: Unicode characters of OCR output and their LaTeX.
UNICODE = {
    "−": "-", "–": "-", "—": "-", "×": r" \times ", "·": r" \cdot ", "⋅": r" \cdot ", "∙": r" \cdot ",
    "÷": r" \div ", "≈": r" \approx ", "≤": r" \le ", "≥": r" \ge ", "≠": r" \neq ", "⇒": r" \Rightarrow ",
    "→": r" \to ", "∞": r" \infty ", "∂": r" \partial ", "∑": r" \sum ", "√": r" \sqrt ", "²": "^{2}",
    "³": "^{3}", "’": "'", "′": "'", "″": "''", "…": " ", "\u00a0": " ", "\u2009": " ", "\u202f": " ",
    "α": r" \alpha ", "β": r" \beta ", "γ": r" \gamma ", "δ": r" \delta ", "ε": r" \epsilon ",
    "ϵ": r" \epsilon ", "η": r" \eta ", "θ": r" \theta ", "λ": r" \lambda ", "μ": r" \mu ", "π": r" \pi ",
    "ρ": r" \rho ", "σ": r" \sigma ", "τ": r" \tau ", "φ": r" \phi ", "ω": r" \omega ", "Δ": r" \Delta ",
    "Σ": r" \Sigma ", "∇": r" \nabla ",
}

#: Commands that are layout, not mathematics: removed.
DROPPED = frozenset("""
    , : ; ! > quad qquad enspace thinspace medspace thickspace negthinspace negmedspace
    negthickspace displaystyle textstyle scriptstyle scriptscriptstyle limits nolimits nonumber notag
    hfill left right middle big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr bigm Bigm
    dots ldots cdots vdots ddots dotsb dotsc dotsm dotsi dotso newline noindent centering $
""".split()) | {" "}

#: Commands written differently with the same meaning: name -> replacement.
ALIASES = {
    "dfrac": r"\frac", "tfrac": r"\frac", "cfrac": r"\frac", "widehat": r"\hat", "widetilde": r"\tilde",
    "overline": r"\bar", "overrightarrow": r"\vec", "varepsilon": r"\epsilon", "vartheta": r"\theta",
    "varphi": r"\phi", "varrho": r"\rho", "lVert": r"\|", "rVert": r"\|", "Vert": r"\|", "lvert": "|",
    "rvert": "|", "vert": "|", "cdotp": r"\cdot", "ast": "*", "implies": r"\Rightarrow",
    "Longrightarrow": r"\Rightarrow", "rightarrow": r"\to", "lbrack": "[", "rbrack": "]",
    "intercal": r"\top", "leq": r"\le", "geq": r"\ge", "ne": r"\neq", "sgn": r"\operatorname{sgn}",
    **{name: rf"\operatorname{{{name}}}" for name in "sign relu softmax".split()},
    "lg": r"\log_{10}", "mathds": r"\mathbb", "mathbbm": r"\mathbb",
}

#: Commands whose first argument is text (prose, a name, or a function name).
TEXT_COMMANDS = frozenset("text textrm textit textbf textnormal textsf texttt textup mbox emph operatorname".split())
#: Font commands: the argument stays, the font goes (``\mathbf{x}`` is ``x``).
FONT_COMMANDS = frozenset("mathbf boldsymbol bm mathit mathcal mathscr mathsf mathtt mathfrak pmb mathbfit mathrm "
                          "mathnormal".split())
#: Commands dropped with their arguments (number of arguments).
DROPPED_WITH_ARGS = {"label": 1, "tag": 1, "hspace": 1, "vspace": 1, "phantom": 1, "hphantom": 1,
                     "vphantom": 1, "color": 1, "textcolor": 1}
#: Commands whose argument is kept without the command.
UNWRAPPED = frozenset("boxed fbox underline underbrace overbrace displaylines".split())
#: Accents: ``\hat m`` is written ``\hat{m}``.
ACCENTS = frozenset("hat bar tilde vec dot ddot check breve acute grave mathring".split())
#: Environments that only lay out equations: removed, their rows kept.
LAYOUT_ENVIRONMENTS = frozenset("aligned align align* equation equation* gather gather* gathered split eqnarray "
                                "eqnarray* multline multline* alignat alignat* flalign flalign* displaymath "
                                "math".split())
#: Environments that hold matrices: ``&`` and ``\\`` inside them are structure.
MATRIX_ENVIRONMENTS = frozenset("matrix pmatrix bmatrix Bmatrix vmatrix Vmatrix smallmatrix array cases".split())
#: Single words in ``\text{...}`` that are prose, not a quantity's name.
PROSE_WORDS = frozenset("""
    a an and or if then else where with for so thus hence since when is are the of to in on at as by
    otherwise let be we have has therefore because also but not all any each every per which that
    this these it its from into update calculate compute gives given see note ie eg i.e. e.g.
""".split())
#: Greek letters (command names).
GREEK = frozenset("""
    alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau
    upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega
""".split())
#: Relations that join the members of a chain ``a = b \approx c`` (split_chain).
#: ``\sim`` ("about") and ``\to``/``\rightarrow`` ("becomes") join members too;
#: the relation is returned with each member (split_equations).
CHAIN_RELATIONS = ("=", r"\approx", r"\Rightarrow", r"\simeq", r"\equiv", r"\coloneqq", r"\triangleq", ":=",
                   r"\sim", r"\to", r"\rightarrow")
#: Commands that are operators: a parenthesis after them is not a function call.
OPERATOR_COMMANDS = frozenset("times cdot div pm mp frac sqrt le ge neq approx to Rightarrow sum prod int "
                              "partial quad qquad in".split())

# =========================================================================== text cleaning


def _check_text(text: str) -> None:
    if not isinstance(text, str):
        raise ParseError(f"expected LaTeX text, got {type(text).__name__}")
    if len(text) > MAX_CHARS:
        raise ParseError(f"the expression is {len(text)} characters long; at most {MAX_CHARS} are read")
    bad = next((c for c in text if (ord(c) < 32 and c not in "\n\r\t") or ord(c) == 127), None)
    if bad is not None:
        raise ParseError(f"the text contains the control character U+{ord(bad):04X}")
    deepest = nesting_depth(text)
    if deepest > MAX_NESTING:
        raise ParseError(f"brackets are nested {deepest} deep; at most {MAX_NESTING} levels are read")


def _text_argument(name: str, content: str, applied: bool = False) -> str:
    """What ``\\text{content}`` (or ``\\operatorname``, ``\\mathrm``...) stands for.
    ``applied``: a parenthesis follows, so a name of two letters or more is a
    function (``\\text{LeakyReLU}(U)``), never a product of a symbol with the argument."""
    word = content.strip()
    if name == "operatorname" or word in FUNCTION_NAMES or (
            applied and re.fullmatch(r"[A-Za-z]{2,}", word) and word.lower() not in PROSE_WORDS):
        return rf"\operatorname{{{word}}}" if re.fullmatch(r"[A-Za-z]+", word) else " "
    if re.fullmatch(r"[A-Za-z]", word) or re.fullmatch(r"\d+(\.\d+)?", word):
        return f" {word} "
    if re.fullmatch(r"[A-Za-z]+", word) and word.lower() not in PROSE_WORDS and word == content:
        return rf"\text{{{word}}}"
    return " "  # prose


#: A script right before a command: ``n_{\text{in}}``, ``W^\mathrm{T}``.
_SCRIPT_BEFORE = re.compile(r"[_^]\s*\{?\s*$")


def _rewrite_commands(text: str) -> str:
    """One pass over the commands: drop layout and struck-out work, unwrap
    fonts and boxes, turn text into names or drop it as prose, complete
    ``\\frac12``, ``\\sqrt2``, ``\\hat m``, read ``\\log`` as ``\\ln``."""
    out: list[str] = []
    i = 0
    while i < len(text):
        m = COMMAND.search(text, i)
        if not m:
            out.append(text[i:])
            break
        out.append(text[i:m.start()])
        name = m.group(1) or m.group(2)
        i = m.end()
        if name in ALIASES:  # re-read from the replacement (it may be a command with arguments)
            text = text[:m.start()] + ALIASES[name] + text[i:]
            i = m.start()
            continue
        if name in ("left", "right") and text[i:i + 1] == ".":
            i += 1
            continue
        if name in DROPPED:
            out.append(" ")
            continue
        if name in STRUCK or name in DROPPED_WITH_ARGS:
            count = STRUCK.get(name) or DROPPED_WITH_ARGS[name]
            for _ in range(count):
                _, i, _ = read_argument(text, i)
            out.append(" ")
            continue
        if name in UNWRAPPED:
            content, i, _ = read_argument(text, i)
            if name in ("underbrace", "overbrace"):
                j = skip_spaces(text, i)
                if j < len(text) and text[j] in "_^":
                    _, i, _ = read_argument(text, j + 1)
            out.append("{" + _rewrite_commands(content) + "}")
            continue
        if name in (TEXT_COMMANDS | FONT_COMMANDS) and _SCRIPT_BEFORE.search(text, 0, m.start()):
            content, i, _ = read_argument(text, i)
            if re.fullmatch(r"\s*[A-Za-z0-9]+\s*", content):  # n_{\text{in}}: a label of the name, not prose
                braced = text[:m.start()].rstrip().endswith("{")
                out.append(content.strip() if braced else "{" + content.strip() + "}")
                continue
            out.append(_text_argument(name, content) if name in TEXT_COMMANDS else _rewrite_commands(content))
            continue
        if name in TEXT_COMMANDS:
            content, i, _ = read_argument(text, i)
            out.append(_text_argument(name, content, text[skip_spaces(text, i):skip_spaces(text, i) + 1] == "("))
            continue
        if name in FONT_COMMANDS:
            content, i, _ = read_argument(text, i)
            word = content.strip()
            j = skip_spaces(text, i)
            if word == "1" and (text[j:j + 1] in ("[", "(", "_") or text.startswith(r"\{", j)):
                out.append(r"\mathbb{1}")  # \mathbf{1}[y = k]: the indicator
            elif re.fullmatch(r"[A-Za-z]{2,}", word):  # \mathrm{net}: a name, not n e t
                out.append(_text_argument("text", word, text[j:j + 1] == "("))
            else:
                j = skip_spaces(text, i)
                tail = "" if text[j:j + 1] in ("^", "_", "'") else " "
                out.append(" " + _rewrite_commands(content).strip() + tail)
            continue
        if name in ("frac", "binom"):
            first, i, _ = read_argument(text, i)
            second, i, _ = read_argument(text, i)
            out.append(rf"\{name}{{{_rewrite_commands(first)}}}{{{_rewrite_commands(second)}}}")
            continue
        if name == "sqrt":
            j = skip_spaces(text, i)
            root = ""
            if j < len(text) and text[j] == "[":
                close = text.find("]", j)
                if close < 0:
                    raise ParseError(r"\sqrt[ has no closing ]")
                root, j = "[" + _rewrite_commands(text[j + 1:close]) + "]", close + 1
            arg, i, _ = read_argument(text, j)
            out.append(rf"\sqrt{root}{{{_rewrite_commands(arg)}}}")
            continue
        if name in ACCENTS:
            arg, i, _ = read_argument(text, i)
            arg = _rewrite_commands(arg).strip()
            inner = re.fullmatch(r"(\\?[A-Za-z]+)\s*([_^]\s*(?:\{[^{}]*\}|\w))", arg)
            if inner:  # \hat{m_t} is \hat{m}_t
                out.append(rf"\{name}{{{inner.group(1)}}}{inner.group(2)}")
            else:
                out.append(rf"\{name}{{{arg}}}")
            continue
        if name == "log":
            j = skip_spaces(text, i)
            out.append(r"\log" if text[j:j + 1] == "_" else r"\ln")
            continue
        if name in ("begin", "end"):
            env, i, _ = read_argument(text, i)
            env = env.strip()
            if env in LAYOUT_ENVIRONMENTS:
                if name == "begin" and env.startswith("alignat"):
                    _, i, _ = read_argument(text, i)  # the column count
                out.append(" ")
            else:
                out.append(rf"\{name}{{{env}}}")
            continue
        out.append(m.group(0))
    return "".join(out)


def _strip_alignment(text: str) -> str:
    """Remove ``&`` and ``\\\\`` outside matrix environments."""
    out = []
    stack: list[str] = []
    i = 0
    env = re.compile(r"\\(begin|end)\{([^{}]*)\}")
    while i < len(text):
        m = env.match(text, i)
        if m:
            if m.group(1) == "begin":
                stack.append(m.group(2))
            elif stack:
                stack.pop()
            out.append(m.group(0))
            i = m.end()
            continue
        in_matrix = any(e in MATRIX_ENVIRONMENTS for e in stack)
        if text.startswith("\\\\", i):
            out.append("\\\\" if in_matrix else " ")
            i += 2
            continue
        if text[i] == "\\" and i + 1 < len(text):
            out.append(text[i:i + 2])
            i += 2
            continue
        if text[i] == "&" and not in_matrix:
            out.append(" ")
            i += 1
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


# --------------------------------------------------------------------------- commas


@dataclass(frozen=True)
class CommaReading:
    """How one comma between digits was read: ``kind`` is "decimal",
    "thousands" or "separator"; ``ambiguous`` when another reading is
    plausible (``1,000``; ``(1,5)``) and ``alternative`` names it."""

    text: str
    kind: str
    ambiguous: bool = False
    alternative: str = ""


def _groups(text: str) -> list:
    """For each position of ``text``, the innermost open bracket around it
    as (char, start, is_call); ``is_call`` for the parentheses of a function
    call ``f(1,5)``, ``\\max(1,5)``, ``\\operatorname{f}(1,5)`` and for the
    braces of a subscript ``w_{1,1}`` (commas there separate indices)."""
    stack: list[tuple[str, int, bool]] = []
    owner: list = []
    for i, c in enumerate(text):
        owner.append(stack[-1] if stack else None)
        if c in "([{":
            before = text[max(0, i - 40):i].rstrip()
            head = re.search(r"(\\[A-Za-z]+\{[A-Za-z]+\}|\\[A-Za-z]+|[A-Za-z])$", before)
            is_call = ((c == "(" and bool(head) and head.group(0)[1:] not in OPERATOR_COMMANDS)
                       or (c == "{" and before.endswith("_")))
            stack.append((c, i, is_call))
        elif c in ")]}" and stack:
            stack.pop()
    return owner


_DIGIT_COMMA_RUN = re.compile(r"(?<![\w.])\d+(?:,\d+)+(?:\.\d+)?(?![\w.])|(?<![\w.])\d+\.\d+(?:,\d+)+(?![\w.])")


def resolve_commas(text: str, *, flip_ambiguous: bool = False) -> tuple[str, tuple[CommaReading, ...]]:
    """Decide every comma written between two digits (no space around it).

    * ``1,234,567`` (groups of three after the first): thousands separators;
      ``1,2,3``: separators of a list.
    * A single comma ``a,b``: a separator inside a function call ``f(1,5)``
      or when the same bracket also holds commas followed by spaces but this
      one is...; a decimal comma otherwise (``42,7`` is 42.7, ``0,119``).
    * Ambiguous, with a default: ``1,000`` (thousands, default; or decimal)
      and a bracket holding only ``(1,5)`` (a pair, default; or 1.5).

    ``flip_ambiguous`` takes the other reading of every ambiguous comma.
    Returns the text with decimal commas written as points and thousands
    separators removed, and what was decided."""
    owners = _groups(text)
    readings: list[CommaReading] = []
    pieces: list[str] = []
    last = 0
    for m in _DIGIT_COMMA_RUN.finditer(text):
        run = m.group(0)
        parts = run.split(",")
        owner = owners[m.start()] if m.start() < len(owners) else None
        if len(parts) >= 3 or "." in parts[0]:
            thousands = "." not in parts[0] and all(len(p.split(".")[0]) == 3 for p in parts[1:]) and len(parts[0]) <= 3
            kind = "thousands" if thousands else "separator"
            readings.append(CommaReading(run, kind))
            new = run.replace(",", "") if thousands else run.replace(",", ", ")
        else:
            a, b = parts
            content = _group_content(text, owner) if owner else None
            if owner and owner[2] or "." in a or "." in b:
                kind, alt = "separator", ""
            elif owner and owner[0] in "([" and content is not None and content.strip() == run:
                kind, alt = "separator", "decimal"
            elif len(b.split(".")[0]) == 3 and "." not in b and a != "0" and len(a) <= 3:
                kind, alt = "thousands", "decimal"
            else:
                kind, alt = "decimal", ""
            if alt and flip_ambiguous:
                kind, alt = alt, kind
            readings.append(CommaReading(run, kind, bool(alt), alt))
            new = {"decimal": f"{a}.{b}", "thousands": a + b, "separator": f"{a}, {b}"}[kind]
        pieces.append(text[last:m.start()] + new)
        last = m.end()
    pieces.append(text[last:])
    return "".join(pieces), tuple(readings)


def _group_content(text: str, owner) -> str | None:
    char, start, _ = owner
    end = group_end(text, start, char, unbalanced=-1)
    return text[start + 1:end - 1] if end >= 0 else None


def ambiguous_commas(text: str) -> tuple[CommaReading, ...]:
    """The commas of ``text`` that can be read two ways (see :func:`resolve_commas`)."""
    return tuple(r for r in clean_readings(text) if r.ambiguous)


# --------------------------------------------------------------------------- numbers


def _shift_percent(m: re.Match) -> str:
    value = Decimal(m.group(1)).scaleb(-2)
    return " " + format(value, "f") + " "


def _numbers(text: str) -> str:
    """Percent, e-notation, ``3x3``, ``.5``, ``5.``, digits grouped by spaces (``138\\,357\\,544``,
    the ``\\,`` already a space) written the parser's way."""
    text = re.sub(r"(?<![\w.,])\d{1,3}(?: \d{3})+(?![\w.,]|\s\d)", lambda m: m.group(0).replace(" ", ""), text)
    text = re.sub(r"(?<![\w.])(\d+(?:\.\d+)?)\s*\\?%", _shift_percent, text)
    text = re.sub(r"\\%", r" \\cdot \\frac{1}{100} ", text)
    text = re.sub(r"(?<![\w.])(\d+(?:\.\d+)?)[eE]([+-]?\d+)(?![\w.])", r"\1 \\times 10^{\2}", text)
    text = re.sub(r"(?<![\w.])(\d+(?:\.\d+)?)\s*x\s*(?=10\s*\^)", r"\1 \\times ", text)
    text = re.sub(r"(?<![\w.])\d+(?:\s*x\s*\d+)+(?![\w.])", lambda m: m.group(0).replace("x", r" \times "), text)
    text = re.sub(r"(?<![\w.\d])\.(\d)", r"0.\1", text)
    text = re.sub(r"(\d)\.(?!\d)", r"\1", text)
    return text


#: A bare function name before a parenthesis: camel case (``LeakyReLU(U)``,
#: ``MaxPool(X)``) or an activation's name (``prelu(u)``); never a product of
#: its letters with the argument. Short lower-case runs (``ab(c + d)``) stay products.
_BARE_FUNCTION = re.compile(
    r"(?<![\\A-Za-z{])((?=[A-Za-z]{4})[A-Za-z]*[a-z][A-Z][A-Za-z]*|(?=[A-Za-z]{4})[A-Z]{2,}[a-z][A-Za-z]*|"
    r"(?i:" + "|".join(BARE_FUNCTIONS) + r"))(?![A-Za-z])(?=\s*\()")


def _bare_function(m: re.Match) -> str:
    """``\\operatorname{name}``; a name of :data:`FUNCTION_NAMES` in any case is
    ours in lower case (``Log(x)``, ``Exp(x)`` as OCR capitalizes them)."""
    name = m.group(1)
    if name not in FUNCTION_NAMES and name.lower() in FUNCTION_NAMES:
        name = name.lower()
    return rf"\operatorname{{{name}}}"


def clean_readings(text: str, *, flip_ambiguous_commas: bool = False) -> tuple[CommaReading, ...]:
    return _clean(text, flip_ambiguous_commas)[1]


def clean(text: str, *, flip_ambiguous_commas: bool = False) -> str:
    """The canonical text of a LaTeX expression: OCR noise removed, the
    conventions of this module applied in the text (``\\ln`` for ``\\log``,
    decimal commas, percent, e-notation), spaces collapsed, trailing
    punctuation removed. Two texts that clean to the same string are the
    same answer. Raises ParseError for text that cannot be read at all
    (too long, control characters, unbalanced braces, too deeply nested)."""
    return _clean(text, flip_ambiguous_commas)[0]


#: ``1.38x108``: scientific notation whose caret OCR lost (a mantissa 1 <= m < 10 with decimals).
_LOST_CARET = re.compile(r"(?<![\d.,])([1-9]\.\d+)\s*(?:\\times|\\cdot|x|×)\s*10(\d{1,2})(?![\d.,^])")
#: ``\partial f/\partial c``: a derivative written inline, read as the fraction it is.
_NAME_TEX = r"[A-Za-z](?:_\{[A-Za-z0-9,\-]{1,6}\}|_[A-Za-z0-9])?"
_INLINE_PARTIAL = re.compile(r"\\(?:partial|delta)\s*(?P<num>" + _NAME_TEX + r")\s*/\s*\\(?:partial|delta)\s*(?P<den>" + _NAME_TEX
                             + r")(?![A-Za-z0-9_{])")


def _clean(text: str, flip: bool) -> tuple[str, tuple[CommaReading, ...]]:
    _check_text(text)
    for char, latex in UNICODE.items():
        if char in text:
            text = text.replace(char, latex)
    text = re.sub(r"~~.*?~~", " ", text, flags=re.S)  # struck-out (Markdown)
    text = text.replace("~", " ")
    text = re.sub(r"\$+|\\\[|\\\]|\\\(|\\\)", " ", text)
    text = _BARE_FUNCTION.sub(_bare_function, text)
    text = _rewrite_commands(text)
    # |..| drawn by hand around a matrix comes out of OCR as vmatrix: the course's matrices
    # are gradients and activations, never determinants (a determinant is written \det)
    text = re.sub(r"\\(begin|end)\{[vV]matrix\}", r"\\\1{bmatrix}", text)
    text = re.sub(r"(?<![A-Za-z\\])([A-Za-z])_([A-Za-z]{2,6})(?![A-Za-z{(])", r"\1_{\2}", text)   # P_fc: P_{fc}
    text = _LOST_CARET.sub(r"\1 \\times 10^{\2}", text)   # 1.38x108: OCR of 1.38 x 10^8
    text = _INLINE_PARTIAL.sub(r"\\frac{\\partial \g<num>}{\\partial \g<den>}", text)   # \partial f/\partial c
    text = _strip_alignment(text)
    text, readings = resolve_commas(text, flip_ambiguous=flip)
    text = _numbers(text)
    # ``3(4)``, ``(3)(4)``: a product (the grammar reads a number before a bracketed number as a sum)
    text = re.sub(r"(?<=[\d)])\s*\((?=\s*[-+]?\s*\d)", r" \\cdot (", text)
    # ``1/2 (y - t)^2`` is half of (y - t)^2 (the grammar would divide by the product)
    text = re.sub(r"(?<![\w.}^_])(\d{1,6})\s*/\s*(\d{1,6})(?![\d.,])(?=\s+[^\s+\-=<>)\]}]|\s*\()", r"\\frac{\1}{\2}", text)
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"^[\s,;:]+|(?:[\s.,;:]|\\\\)+$", "", text)
    return text, readings


# =========================================================================== splitting chains

_RELATION_RE = re.compile("|".join(re.escape(r) + (r"(?![A-Za-z])" if r[0] == "\\" else "") for r in
                                   sorted(CHAIN_RELATIONS, key=len, reverse=True)))


def top_level_relations(text: str) -> list[tuple[int, int, str]]:
    """(start, end, relation) of each chain relation at brace depth 0."""
    found = []
    depth = 0
    env_depth = 0
    i = 0
    while i < len(text):
        if text.startswith(r"\begin{", i):
            env_depth += 1
        elif text.startswith(r"\end{", i):
            env_depth -= 1
        c = text[i]
        if c == "\\":
            m = _RELATION_RE.match(text, i)
            if m and depth == 0 and env_depth == 0:
                found.append((i, m.end(), m.group(0)))
                i = m.end()
                continue
            cm = COMMAND.match(text, i)
            if cm and cm.group(0) in ("\\{", "\\}"):  # \{y = k\}: a relation inside braces
                depth += 1 if cm.group(0) == "\\{" else -1
            i = cm.end() if cm else i + 1
            continue
        if c in "{([":
            depth += 1
        elif c in "})]":
            depth -= 1
        elif depth == 0 and env_depth == 0:
            m = _RELATION_RE.match(text, i)
            if m and not (c == "=" and i and text[i - 1] in "<>!:"):
                found.append((i, m.end(), m.group(0)))
                i = m.end()
                continue
        i += 1
    return found


def _rows(text: str) -> list[str]:
    """Rows of a layout environment (split at ``\\\\`` outside matrices)."""
    rows, stack, start, i = [], [], 0, 0
    env = re.compile(r"\\(begin|end)\{([^{}]*)\}")
    while i < len(text):
        m = env.match(text, i)
        if m:
            if m.group(1) == "begin":
                stack.append(m.group(2))
            elif stack:
                stack.pop()
            i = m.end()
            continue
        if text.startswith("\\\\", i) and not any(e in MATRIX_ENVIRONMENTS for e in stack):
            rows.append(text[start:i])
            i += 2
            start = i
            continue
        i += 2 if text[i] == "\\" else 1
    rows.append(text[start:])
    return rows


def _unwrap_layout(text: str) -> str:
    text = re.sub(r"\$+|\\\[|\\\]", " ", text)
    envs = "|".join(re.escape(e) for e in LAYOUT_ENVIRONMENTS)
    text = re.sub(r"\\begin\{(?:%s)\}(?:\{\d+\})?|\\end\{(?:%s)\}" % (envs, envs), r" \\\\ ", text)
    return text


def split_equations(latex: str) -> list[list[tuple[str, str]]]:
    """The chains of equations in ``latex``, each a list of ``(relation,
    member)`` pairs; the first pair's relation is empty.

    Rows of ``aligned``-like environments (split at ``\\\\``) continue the
    current chain when they start with a relation (``&= c``), continue the
    current member when they start with ``+``, ``-``, ``\\times``, ``\\cdot``,
    and start a new chain otherwise; ``, \\quad`` separates chains on one
    line. Relations: :data:`CHAIN_RELATIONS` at brace depth 0.

    >>> split_equations(r"a &= b \\\\ &= c")
    [[('', 'a'), ('=', 'b'), ('=', 'c')]]"""
    _check_text(latex)
    chains: list[list[tuple[str, str]]] = []
    for row in _rows(_unwrap_layout(latex)):
        for k, segment in enumerate(re.split(r",?\s*\\q?quad(?![A-Za-z])(?=.*(?:=|\\approx))", row)):
            segment = segment.replace("&", " ").strip()
            segment = re.sub(r"[\s.,;]+$", "", segment)
            if not clean(segment):
                continue
            relations = top_level_relations(segment)
            pieces: list[tuple[str, str]] = []
            last, rel = 0, ""
            for start, end, r in relations:
                pieces.append((rel, segment[last:start].strip()))
                last, rel = end, r
            pieces.append((rel, segment[last:].strip()))
            if pieces[0][1] == "" and len(pieces) > 1 and chains and k == 0:
                chains[-1].extend(pieces[1:])  # "&= c": the chain goes on
            elif chains and k == 0 and re.match(r"(\+|-|\\times|\\cdot)", pieces[0][1]) and chains[-1]:
                rel0, member = chains[-1][-1]
                chains[-1][-1] = (rel0, f"{member} {pieces[0][1]}")
                chains[-1].extend(pieces[1:])
            else:
                chains.append([p for p in pieces if p != ("", "")] if pieces[0][1] == "" else pieces)
    return [c for c in chains if c]


def split_chain(latex: str) -> list[str]:
    """The members of one chain ``a = b = c`` (also ``\\Rightarrow``,
    ``\\approx``, aligned ``&=`` rows), as LaTeX strings, in order.

    >>> split_chain(r"\\frac{\\partial f}{\\partial c} = -2c")
    ['\\\\frac{\\\\partial f}{\\\\partial c}', '-2c']

    Raises ParseError when the text holds several separate chains (use
    :func:`split_equations`)."""
    chains = split_equations(latex)
    if len(chains) > 1:
        raise ParseError(f"the text holds {len(chains)} separate equations; split them with split_equations()")
    return [member for _, member in chains[0]] if chains else []
