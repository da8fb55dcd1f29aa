"""From math rows to chains, and from chains to the sheet's answer ids.

A *chain* is what a student writes as ``a = b = c \\approx d``: elements
joined by relations. Chains are built from the rows of
:mod:`engine.read.segments`: a row is cut at ``\\quad`` and ``\\Rightarrow``,
a row that starts with ``=`` continues the chain before it (when no prose
lies in between), a row that starts with ``+`` continues its last element.

A *claim* maps a chain to an answer id. Claims are found, in this order
(strongest first):

1. by the quantity named on the left: the *quantity key* of a leading name
   (``\\bar{v}_{-1}`` -> ``bar(v)_-1``, ``\\frac{\\partial f}{\\partial x}`` ->
   ``df/dx``) matched against :data:`ALIASES` (regular expressions, data);
2. by the words naming it: prose on the same line (``parameters in total =``)
   or just before (``in Convolutional layers``), matched against the
   aliases' ``words``;
3. by value (in :mod:`engine.check.run`): a chain left unnamed whose value equals
   a not yet claimed answer of its problem.

Every function here works on strings only; nothing is evaluated.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from engine.read.segments import MathRow, Prose
from engine.read.tokens import COMMAND_FUNCTIONS, FUNCTION_NAMES, FUNCTION_WORDS, read_argument

# --------------------------------------------------------------------------- quantity keys

_DROP = re.compile(
    r"\\(?:left|right|big|Big|bigg|Bigg|bigl|bigr|Bigl|Bigr|displaystyle|textstyle|limits|nolimits)(?![A-Za-z])"
    r"|\\[,;:!> ]|\\q?quad(?![A-Za-z])|~"
)
_UNWRAP = ("mathrm", "mathbf", "boldsymbol", "bm", "text", "textrm", "textbf", "textit", "mathit", "mathsf",
           "mathtt", "operatorname", "mbox", "mathcal", "mathbb", "emph", "pmb")
_ACCENTS = {"bar": "bar", "overline": "bar", "hat": "hat", "widehat": "hat", "tilde": "tilde",
            "widetilde": "tilde", "vec": "vec", "dot": "dot", "ddot": "ddot", "check": "check"}
_FRACS = ("frac", "dfrac", "tfrac", "cfrac")
#: Longest text a key is computed from (a name is short; a long left side is no name).
MAX_KEY_SOURCE = 400


def quantity_key(latex: str) -> str:
    """A canonical, whitespace-free key for the quantity a LaTeX snippet names.

    Accents become ``bar(v)``/``hat(m)``, fractions ``a/b``, ``\\partial``
    and ``\\mathrm{d}`` become ``d``, font commands are unwrapped, braces of
    indices dropped; other commands keep their name without the backslash.

    >>> quantity_key(r"\\bar{v}_{-1}")
    'bar(v)_-1'
    >>> quantity_key(r"\\frac{\\partial f}{\\partial x}")
    'df/dx'
    >>> quantity_key(r"\\hat{m}^{1}")
    'hat(m)^1'
    """
    text = latex[:MAX_KEY_SOURCE]
    text = _DROP.sub(" ", text)
    out = _key(text)
    out = re.sub(r"\s+", "", out)
    out = out.replace("\\", "")
    return out


def _key(text: str) -> str:
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            m = re.match(r"\\([A-Za-z]+)", text[i:])
            if not m:
                out.append(text[i + 1:i + 2])
                i += 2
                continue
            name = m.group(1)
            j = i + m.end()
            if name in _UNWRAP:
                arg, j = _arg(text, j)
                out.append(_key(arg))
            elif name in _ACCENTS:
                arg, j = _arg(text, j)
                out.append(f"{_ACCENTS[name]}({_key(arg).strip()})")
            elif name in _FRACS:
                num, j = _arg(text, j)
                den, j = _arg(text, j)
                out.append(f"{_wrap(_key(num))}/{_wrap(_key(den))}")
            elif name == "sqrt":
                if j < n and text[j] == "[":
                    close = text.find("]", j)
                    j = n if close < 0 else close + 1
                arg, j = _arg(text, j)
                out.append(f"sqrt({_key(arg)})")
            elif name == "partial":
                out.append("d")
            elif name in ("prime",):
                out.append("'")
            else:
                out.append(name + " ")
            i = j
            continue
        if ch in "_^":
            arg, j = _arg(text, i + 1)
            inner = _key(arg).strip()
            out.append(ch + (inner if len(inner) <= 1 or re.fullmatch(r"[-+]?[\w',.]+", inner) else f"({inner})"))
            i = j
            continue
        if ch in "{}":
            i += 1
            continue
        out.append(ch)
        i += 1
    joined = "".join(out)
    # \mathrm{d}f / \mathrm{d}x and d f / d x are the same differential
    return joined


def _arg(text: str, j: int) -> tuple[str, int]:
    """The argument at ``text[j]``: a brace group, a command, or one char."""
    arg, end, _ = read_argument(text, j, missing="")
    return arg, end


def _wrap(key: str) -> str:
    key = key.strip()
    return key if re.fullmatch(r"[\w'.^()]+|[\w'.]+[_^][-+\w'.()]+", key.replace(" ", "")) else f"({key})"


#: A key that names a quantity (a symbol with accents and indices, a
#: derivative ``df/dx``, ``x.grad``, ``\\Delta w_j``), as opposed to an expression.
#: (An index run stops at the next ``_`` or ``^`` and the runs are matched
#: possessively, ``*+``: ``dx_a_a_a...`` is refused in linear time, not
#: split in every way first.)
NAME_KEY = re.compile(
    r"(?:(?:bar|hat|tilde|vec|dot|check)\([A-Za-z]+\)|Delta ?[A-Za-z]+|[A-Za-z]+|[A-Za-z]+bar)'*"
    r"(?:[_^](?:\([-+\w',()]+\)|[-+]?(?:[^\W_]|[',])+))*+'*(?:\.grad)?"
    r"|d[A-Za-z]+(?:[_^](?:[^\W_]|[-+',()])+)*+/d[A-Za-z]+(?:[_^](?:[^\W_]|[-+',()])+)*+"
    r"|[A-Za-z]+'(?:\([A-Za-z,]+\))?"
)

#: Names that are functions or operators, never quantities on their own.
NOT_NAMES = COMMAND_FUNCTIONS | FUNCTION_NAMES | frozenset({
    "sigma", "infty", "inf", "nan", "cdot", "times", "dots", "ldots", "cdots", "approx", "sim"})


def is_name(latex: str) -> bool:
    """True when ``latex`` names a quantity (see :data:`NAME_KEY`)."""
    key = quantity_key(latex)
    return bool(key) and key not in NOT_NAMES and NAME_KEY.fullmatch(key) is not None


# --------------------------------------------------------------------------- chains

#: Relations that join the elements of a chain, LaTeX -> kind. ``=`` and
#: ``\\approx`` are checked; ``\\Rightarrow`` starts a new chain; ``\\to``
#: and ``\\sim`` join elements that are not compared.
RELATIONS: tuple[tuple[str, str], ...] = (
    (r"\Longrightarrow", "implies"), (r"\Rightarrow", "implies"), (r"\implies", "implies"),
    (r"\therefore", "implies"), (r"\iff", "implies"), (r"\Leftrightarrow", "implies"),
    (r"\longrightarrow", "maps"), (r"\rightarrow", "maps"), (r"\to", "maps"), (r"\mapsto", "maps"),
    (r"\approx", "approx"), (r"\simeq", "approx"), (r"\thickapprox", "approx"), (r"\cong", "approx"),
    (r"\doteq", "approx"), (r"\sim", "maps"), (r"\equiv", "equal"), (r"\coloneqq", "equal"),
    (r"\neq", "other"), (r"\ne", "other"), (r"\leq", "other"), (r"\geq", "other"), (r"\le", "other"),
    (r"\ge", "other"), (r"\propto", "other"), (r"\in", "other"),
)
#: Separators between independent statements on one row.
SEPARATORS = (r"\qquad", r"\quad", r"\text{and}", r"\text{ and }", r"\text{, }", r"\hspace")


@dataclass
class Element:
    """One element of a chain: its LaTeX, the relation joining it to the
    element before (``""`` for the first), its line, and ``text_name``: for
    an element that is prose naming a quantity (``parameters in total``)."""

    source: str
    relation: str = ""
    line: int = 0
    text_name: str = ""

    @property
    def is_text(self) -> bool:
        return bool(self.text_name) and not self.source


@dataclass
class Chain:
    """``e_0 r_1 e_1 r_2 e_2 ...`` from one or more rows.

    problem/part/question: the segment; words: the prose that may name it
    (same-line text before it, else the prose lines just before);
    words_strong: True when the words are on the same line and end with
    ``=``/``is``/``:``; origin: "math" or "prose"."""

    elements: list[Element]
    problem: str | None
    part: str | None
    question: str | None
    line: int
    words: str = ""
    words_strong: bool = False
    origin: str = "math"
    fragment: int = 0
    notes: list[str] = field(default_factory=list)
    context: str = ""

    @property
    def lines(self) -> list[int]:
        return sorted({e.line for e in self.elements if e.line})

    def source(self) -> str:
        parts = []
        for e in self.elements:
            text = e.source or f"[{e.text_name}]"
            parts.append(f"{_relation_latex(e.relation)} {text}".strip() if e.relation else text)
        return " ".join(parts)


def _relation_latex(kind: str) -> str:
    return {"equal": "=", "approx": r"\approx", "maps": r"\to", "implies": r"\Rightarrow"}.get(kind, kind)


def _split_top(source: str, tokens: tuple[str, ...]) -> list[tuple[str, str]]:
    """Split at tokens outside braces, brackets, parentheses and
    environments (``\\mathbb{1}[i = y]`` is one member); returns (token,
    piece) pairs, the first with token ``""``. When OCR left the brackets
    unbalanced, they are ignored (braces still count)."""
    pieces = _split_top_once(source, tokens, brackets=True)
    if _bracket_balance(source) != 0:
        pieces = _split_top_once(source, tokens, brackets=False)
    return pieces


def _bracket_balance(source: str) -> int:
    text = re.sub(r"\\[A-Za-z]+|\\.", " ", source)  # \left( and \{ are commands, not brackets
    return text.count("(") + text.count("[") - text.count(")") - text.count("]")


def _split_top_once(source: str, tokens: tuple[str, ...], brackets: bool) -> list[tuple[str, str]]:
    pieces: list[tuple[str, str]] = []
    depth = 0
    env = 0
    i, n = 0, len(source)
    start = 0
    current = ""
    while i < n:
        ch = source[i]
        if ch == "\\":
            if source.startswith("\\begin", i):
                env += 1
            elif source.startswith("\\end", i):
                env = max(0, env - 1)
            elif source.startswith("\\left", i):
                depth += 1
            elif source.startswith("\\right", i):
                depth = max(0, depth - 1)
            if depth == 0 and env == 0:
                hit = None
                for tok in tokens:
                    if tok.startswith("\\") and source.startswith(tok, i) and not (
                            i + len(tok) < n and source[i + len(tok)].isalpha() and tok[-1].isalpha()):
                        hit = tok
                        break
                if hit:
                    pieces.append((current, source[start:i]))
                    current = hit
                    i += len(hit)
                    start = i
                    continue
            m = re.match(r"\\(?:[A-Za-z]+|.)", source[i:])
            i += m.end() if m else 1
            continue
        if ch == "{" or brackets and ch in "([":
            depth += 1
        elif ch == "}" or brackets and ch in ")]":
            depth = max(0, depth - 1)
        elif depth == 0 and env == 0:
            for tok in tokens:
                if not tok.startswith("\\") and source.startswith(tok, i):
                    # ``:=`` and ``=:`` are definitions, ``==`` a typo for ``=``
                    pieces.append((current, source[start:i]))
                    current = tok
                    i += len(tok)
                    while i < n and source[i] in "=:":
                        i += 1
                    start = i
                    break
            else:
                i += 1
            continue
        i += 1
    pieces.append((current, source[start:]))
    return pieces


def _strip_piece(piece: str) -> str:
    piece = piece.strip()
    piece = re.sub(r"^(?:\\[,;:! ]|~|&)+", "", piece).strip()
    piece = re.sub(r"(?:\\[,;:! ]|~)+$", "", piece).strip()
    piece = re.sub(r"[.,;:]+$", "", piece).strip()
    return piece


_TEXT_GROUP = re.compile(r"\\(?:text|textrm|mbox|textit|textbf|mathrm)\s*\{([^{}]*)\}")


def is_annotation(piece: str) -> bool:
    """True for a piece that is prose inside math: ``\\text{update weight}``,
    ``\\dots \\text{second moment}``, an array of ``\\text`` comments."""
    words = []
    for m in _TEXT_GROUP.finditer(piece):
        words += re.findall(r"[A-Za-z]{2,}", m.group(1))
    prose_words = [w for w in words if w.lower() not in FUNCTION_WORDS]
    if not prose_words:
        return False
    rest = _TEXT_GROUP.sub(" ", piece)
    rest = re.sub(r"\\(?:dots|ldots|cdots|quad|qquad|left|right|begin\{array\}\{\w*\}|end\{array\}|[,;: ])", " ", rest)
    has_relation = bool(re.search(r"=|\\approx", rest))
    return len(prose_words) >= 2 and not has_relation or not re.search(r"[0-9A-Za-z]", re.sub(r"[()\[\]\\{}]", "", rest))


_RELATION_TOKENS = tuple(tok for tok, _ in RELATIONS) + ("=",)
_RELATION_KIND = dict(RELATIONS) | {"=": "equal"}
#: Words at the end of prose that announce a value: "the FOV is", "total =".
ANNOUNCES = re.compile(r"(?:=|:|\bis\b|\bare\b|\bequals?\b|\bgives?\b|\bbecomes\b|\bresult\b)\s*$", re.IGNORECASE)
_BINARY_START = re.compile(r"^(?:\+|-(?!\s*\d+(?:[.,]\d+)?\s*$)|\\cdot(?![A-Za-z])|\\times(?![A-Za-z])|\*)")


def build_chains(rows: list[MathRow], prose: list[Prose]) -> list[Chain]:
    """Chains in reading order from the math rows and the prose claims."""
    chains: list[Chain] = []
    previous: Chain | None = None
    for row in rows:
        if row.after_prose and row.row == 0:
            previous = None
        statements = [_strip_piece(p) for _, p in _split_top(row.source, SEPARATORS)]
        for k, statement in enumerate(statements):
            if not statement:
                continue
            if is_annotation(statement):
                if previous is not None:
                    previous.notes.append(statement)
                continue
            groups = _split_top(statement, tuple(tok for tok, kind in RELATIONS if kind == "implies"))
            for g, (_, group) in enumerate(groups):
                group = _strip_piece(group)
                if not group:
                    continue
                parts = _split_top(group, _RELATION_TOKENS)
                first_rel, first_src = parts[0]
                first_src = _strip_piece(first_src)
                cont_ok = previous is not None and k == 0 and g == 0 and (
                    previous.fragment == row.fragment or not row.after_prose) and previous.problem == row.problem
                if not first_src and len(parts) > 1 and cont_ok:
                    chain = previous  # ``= ...`` continues the chain before
                    start = 1
                elif first_src and _BINARY_START.match(first_src) and cont_ok and previous.elements[-1].source:
                    last = previous.elements[-1]
                    last.source = f"{last.source} {first_src}"
                    chain = previous
                    start = 1
                else:
                    words, strong = _naming_words(row, first_src, len(parts) > 1)
                    if first_src and len(parts) > 1 and _is_wordy(first_src):
                        words, strong = prose_of(first_src), True
                        first_src = ""
                    chain = Chain([], row.problem, row.part, row.question, row.line, words=words,
                                  words_strong=strong, fragment=row.fragment,
                                  context=f"{row.context} {row.before}".strip())
                    if not first_src or (strong and not is_name(first_src)):
                        chain.elements.append(Element("", "", row.line, text_name=words or "?"))
                    if first_src:
                        chain.elements.append(Element(first_src, "equal" if chain.elements else "", row.line))
                    chains.append(chain)
                    start = 1
                for rel, src in parts[start:]:
                    src = _strip_piece(src)
                    if not src:
                        continue
                    chain.elements.append(Element(src, _RELATION_KIND.get(rel, "other"), row.line))
                previous = chain
    chains += prose_chains(prose)
    chains.sort(key=lambda c: c.line)
    return chains


def _is_wordy(source: str) -> bool:
    """A left side written in words (``\\frac{\\text{\\# of conv}}{\\text{\\# of fc}}``)."""
    words = [w for m in _TEXT_GROUP.finditer(source) for w in re.findall(r"[A-Za-z]{2,}", m.group(1))]
    return len([w for w in words if w.lower() not in FUNCTION_WORDS]) >= 2


def prose_of(source: str) -> str:
    """Words of a LaTeX snippet for matching names: ``\\frac{A}{B}`` is
    ``A / B``, commands dropped."""
    text = re.sub(r"\\[dt]?frac\s*", " ", source)
    text = text.replace("}{", " / ")
    text = re.sub(r"\\(?:text|textrm|mathrm|mbox|operatorname)\s*", " ", text)
    text = re.sub(r"\\([#%&_$])", r"\1", text)
    text = re.sub(r"\\[A-Za-z]+", " ", text)
    text = re.sub(r"[{}]", " ", text)
    return " ".join(text.split())


def _naming_words(row: MathRow, first_src: str, has_relation: bool) -> tuple[str, bool]:
    before = row.before.strip()
    if before and ANNOUNCES.search(before):
        return ANNOUNCES.sub("", before).strip(), True
    if (not first_src or not is_name(first_src)) and row.context:
        return row.context.strip(), False
    return before, False


#: A claim in words: "the FOV is 224x224", "total: 138357544 parameters".
PROSE_CLAIM = re.compile(
    # the words may hold a colon: "Ratio conv : fc = 0.119" is one claim (the leftmost), not "fc = 0.119"
    r"(?P<lhs>[A-Za-z#][^=\n]{0,80}?)\s*(?:=|:|\bis\b|\bare\b|\bequals?\b)\s*"
    r"(?:(?P<value>[-+]?\d[\d.,]*(?:\s*(?:[x×X*]|\\times)\s*[-+]?\d[\d.,]*)*(?:\s*%)?)(?![\w.])"
    r"|(?:tensor\s*\(\s*)?[\[(](?P<vector>\s*[-+]?\d[\d.]*(?:\s*,\s*[-+]?\d[\d.]*){1,30}\s*)[\])])"
)


def prose_chains(prose: list[Prose]) -> list[Chain]:
    """Claims written in words, as two-element chains [words, value]."""
    chains = []
    for p in prose:
        if p.text.lstrip().startswith("|"):
            continue  # a table row: per-layer numbers, not the answers
        for m in PROSE_CLAIM.finditer(p.text[:2000]):
            if m.group("vector"):  # x.grad = tensor([0.97, 0.0, 2.02, 95.45]): a vector
                value = "(" + ", ".join(v.strip() for v in m.group("vector").split(",")) + ")"
            else:
                value = m.group("value").strip().rstrip(".,")
                value = re.sub(r"\s*[x×X*]\s*", r" \\times ", value)
                value = value.replace("%", r"\%")
            lhs = m.group("lhs").strip()
            chain = Chain([Element("", "", p.line, text_name=lhs), Element(value, "equal", p.line)],
                          p.problem, p.part, p.question, p.line, words=lhs, words_strong=True, origin="prose")
            chains.append(chain)
    return chains


# --------------------------------------------------------------------------- aliases


@dataclass(frozen=True)
class Alias:
    """How a student may name answer ``answer_id``.

    names: regular expressions matched in full against the quantity key of
        a leading name (see :func:`quantity_key`); groups ``i``/``j`` make an
        entrywise claim (entry i, j of a vector or matrix, base ``index_base``);
    words: regular expressions searched in the lower-cased prose naming a
        chain (same line, or the lines just before);
    parts: the parts where it is asked (a claim from another part of the same
        question still counts, with lower priority);
    kind: "numeric" (the claim must be a closed number), "symbolic" (it must
        contain a symbol), "any", or "text" (prose answer, not compared);
    needs: a regular expression the claimed LaTeX must contain (``O\\(``
        for series answers), avoid: one it must not contain;
    approx_needs: without an element matching ``needs``, the last element
        joined by ``\\approx`` that contains this (a series written without
        its O-term: ``\\approx -\\alpha \\operatorname{sign}(g_1)(1 - \\epsilon/|g_1|)``);
    transform: a name in :data:`engine.check.run.CLAIM_TRANSFORMS` applied to
        the claim before comparing (``square_size``: ``224 \\times 224`` is
        the size 224; ``minus_w1``: ``w_2 = w_1 + s`` claims the step s);
    scope: "all" (the name means the answer's value everywhere in its
        problem: v_4 in the adjoint trace) or "part" (only in its parts:
        o_1 is 1/2 in part (b) but a variable of the derivation in (a))."""

    answer_id: str
    names: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()
    kind: str = "any"
    needs: str | None = None
    avoid: str | None = None
    approx_needs: str | None = None
    transform: str | None = None
    index_base: int = 1
    scope: str = "all"
    words_not: tuple[str, ...] = ()


def _idx(i) -> str:
    """An index written as a subscript or superscript, with or without parentheses."""
    return rf"[_^]\(?{re.escape(str(i))}\)?"


def _trace_aliases() -> tuple[Alias, ...]:
    out = []
    for i in range(-1, 7):
        key = f"v_{i}" if i < 0 else f"v{i}"
        out.append(Alias(f"autodiff.trace.{key}", names=(rf"[A-Za-z]{_idx(i)}",), parts=("b",), kind="numeric"))
    for i in range(6, -2, -1):
        key = f"v_{i}" if i < 0 else f"v{i}"
        names = [rf"bar\([A-Za-z]\){_idx(i)}", rf"[A-Za-z]bar{_idx(i)}", rf"d[fy]/d[A-Za-z]{_idx(i)}",
                 rf"bar\([A-Za-z]{_idx(i)}\)"]
        if i == 6:
            names += [r"bar\([fy]\)", r"d[fy]/d[fy]"]
        out.append(Alias(f"autodiff.adjoint.{key}", names=tuple(names), parts=("c",), kind="numeric"))
    return tuple(out)


_T1 = r"[_^]\(?t\+1\)?"
#: Words that name one layer ("conv1_1", "fc6", "layer 3"), not a total.
_ONE_LAYER = (r"\b(?:conv|fc|pool|layer|block)\s*_?\d",)
#: The alias table: problem id -> aliases, strongest first. Data: extend freely.
ALIASES: dict[str, tuple[Alias, ...]] = {
    "autodiff": (
        Alias("autodiff.df_dx_symbolic", names=(r"df/dx", r"f'\(x\)", r"f'", r"df\(x(?:,c)?\)/dx",
                                                # d[(x^2/log x + c)(...)]/dx, not the derivative of
                                                # an intermediate (du/dx, da/dx, dv_3/dx)
                                                r"\(?d(?![uab]/dx$|v_?-?\d+/dx$|bar).*/dx",
                                                r"dv_?6/dv_?0", r"d/dx\(?f\)?"),
              parts=("a",), kind="symbolic"),
        *_trace_aliases(),
        Alias("autodiff.f", names=(r"f", r"y", r"f\(x,c\)", r"f\([-\d.]+,[-\d.]+\)"), parts=("b",), kind="numeric"),
        Alias("autodiff.df_dx", names=(r"df/dx", r"bar\(x\)", r"x\.grad", r"f'\(x\)", r"f_x", r"d[fy]/dx"),
              words=(r"x\.grad", r"df/dx", r"derivative.*\bx\b"), parts=("c", "d"), kind="numeric"),
        Alias("autodiff.df_dc", names=(r"df/dc", r"bar\(c\)", r"c\.grad", r"f_c", r"d[fy]/dc"),
              words=(r"c\.grad", r"df/dc", r"derivative.*\bc\b"), parts=("c", "d"), kind="numeric"),
    ),
    "adam": (
        Alias("adam.update_rule", names=(rf"w{_T1}", rf"theta{_T1}", rf"x{_T1}"), parts=("a",), kind="symbolic"),
        Alias("adam.m_hat_1", names=(rf"hat\(m\){_idx(1)}",), parts=("b",)),
        Alias("adam.v_hat_1", names=(rf"hat\(v\){_idx(1)}",), parts=("b",)),
        Alias("adam.step_1_series", names=(rf"Delta ?(?:w|theta){_idx(1)}", r"Delta ?(?:w|theta)",
                                           rf"(?:w|theta){_idx(2)}-(?:w|theta){_idx(1)}"), parts=("b",),
              kind="symbolic", needs=r"O\s*\(", approx_needs=r"\\(?:var)?epsilon"),
        Alias("adam.step_1_series", names=(rf"(?:w|theta){_idx(2)}",), parts=("b",), kind="symbolic",
              needs=r"O\s*\(", approx_needs=r"\\(?:var)?epsilon", transform="minus_w1"),
        Alias("adam.step_1", names=(rf"Delta ?(?:w|theta){_idx(1)}", r"Delta ?(?:w|theta)", r"s_?1",
                                    rf"(?:w|theta){_idx(2)}-(?:w|theta){_idx(1)}"), parts=("b",),
              kind="symbolic", avoid=r"O\s*\("),
        Alias("adam.step_1", names=(rf"(?:w|theta){_idx(2)}",), parts=("b",), kind="symbolic",
              avoid=r"O\s*\(", transform="minus_w1"),
        Alias("adam.m_hat_2", names=(rf"hat\(m\){_idx(2)}",), parts=("c",)),
        Alias("adam.v_hat_2", names=(rf"hat\(v\){_idx(2)}",), parts=("c",)),
        Alias("adam.ratio_2_delta_series", names=(rf"hat\(m\){_idx(2)}/.*", r"r_?2", r"ratio.*"), parts=("c",),
              needs=r"O\s*\(\s*\\?(?:delta|Delta)", approx_needs=r"\\delta"),
        Alias("adam.ratio_2_series", names=(rf"hat\(m\){_idx(2)}/.*", r"r_?2", r"ratio.*"), parts=("c",),
              needs=r"O\s*\(\s*\\?(?:epsilon|varepsilon)"),
        Alias("adam.ratio_2", names=(rf"hat\(m\){_idx(2)}/\(?sqrt.*", r"r_?2", r"ratio.*"), parts=("c",),
              avoid=r"O\s*\("),
        Alias("adam.ratio_2_delta_coefficient", words=(r"coefficient",), parts=("c",), kind="numeric"),
        Alias("adam.warmup", words=(r"warm-?up", r"learning.rate"), parts=("d",), kind="text"),
        Alias("adam.adamw_update", names=(rf"w{_T1}", rf"theta{_T1}"), words=(r"adamw", r"decoupled", r"weight decay"),
              parts=("e",), kind="symbolic"),
        Alias("adam.l2_update", names=(rf"w{_T1}", rf"theta{_T1}"), words=(r"l2", r"penalty", r"regulari"),
              parts=("e",), kind="symbolic"),
    ),
    "vgg16": (
        Alias("vgg16.conv_fc_ratio", names=(r".*conv.*/.*(?:fc|fully|dense).*", r"ratio.*"),
              words=(r"ratio", r"conv.*(?:/|over|\bto\b|divided).*(?:fc|fully|dense)", r"%"), parts=("b",),
              kind="numeric"),
        Alias("vgg16.params_total", names=(r"(?:P|N|n|\#)_?\(?total\)?",),
              words=(r"total", r"overall", r"\ball\b", r"whole", r"in sum"), parts=("b",), kind="numeric"),
        Alias("vgg16.params_fc", names=(r"(?:P|N|n|\#)_?\(?(?:fc|FC|dense)\)?",),
              words=(r"fully", r"\bfc\b", r"dense", r"linear"), parts=("b",), kind="numeric",
              words_not=_ONE_LAYER),
        Alias("vgg16.params_conv", names=(r"(?:P|N|n|\#)_?\(?(?:conv|CONV)\)?",),
              words=(r"conv",), parts=("b",), kind="numeric", words_not=_ONE_LAYER),
        Alias("vgg16.receptive_field", names=(r"r", r"r_?(?:out|final|\d+|L|pool5|5)", r"RF", r"FOV", r"receptivefield"),
              words=(r"receptive", r"\bfov\b", r"field of view", r"\brf\b"), parts=("a",), kind="numeric",
              transform="square_size"),
    ),
    "cnn": (
        Alias("cnn.loss", names=(r"L", r"L\(.*\)", r"loss", r"E"), parts=("a",), kind="symbolic"),
        Alias("cnn.U", names=(r"U",), parts=("b",), kind="numeric"),
        Alias("cnn.U", names=(r"U_\(?(?P<i>\d),?(?P<j>\d)\)?",), parts=("b",), kind="numeric"),
        Alias("cnn.V", names=(r"V",), parts=("b",), kind="numeric"),
        Alias("cnn.V", names=(r"V_\(?(?P<i>\d),?(?P<j>\d)\)?",), parts=("b",), kind="numeric"),
        Alias("cnn.y", names=(r"y", r"hat\(y\)"), parts=("b",), kind="numeric"),
        Alias("cnn.dL_dy", names=(r"dL/dy", r"bar\(y\)", r"delta_?y", r"dL/dhat\(y\)"), parts=("c",), kind="numeric"),
        Alias("cnn.dL_dV", names=(r"dL/dV", r"bar\(V\)"), parts=("c",), kind="numeric"),
        Alias("cnn.dL_dV", names=(r"dL/dV_\(?(?P<i>\d),?(?P<j>\d)\)?",), parts=("c",), kind="numeric"),
        Alias("cnn.dL_dU", names=(r"dL/dU", r"bar\(U\)"), parts=("c",), kind="numeric"),
        Alias("cnn.dL_dU", names=(r"dL/dU_\(?(?P<i>\d),?(?P<j>\d)\)?",), parts=("c",), kind="numeric"),
        Alias("cnn.dL_dX", names=(r"dL/dX", r"bar\(X\)"), parts=("c",), kind="numeric"),
        Alias("cnn.dL_dX", names=(r"dL/dX_\(?(?P<i>\d),?(?P<j>\d)\)?",), parts=("c",), kind="numeric"),
        Alias("cnn.dL_dalpha", names=(r"dL/dalpha", r"bar\(alpha\)", r"dL/da"), parts=("d",), kind="numeric"),
    ),
    "softmax": (
        Alias("softmax.shift_invariance", names=(r"softmax\(z-c.*\)_?i?", r"softmax_?i?\(z-c.*\)", r"p_?i?\(z-c.*\)"),
              parts=("a",)),
        Alias("softmax.naive_example", words=(r"naive", r"overflow"), parts=("b",), kind="text"),
        Alias("softmax.stable_example", names=(r"softmax\(z\)", r"p", r"sigma\(z\)", r"softmax\(.*\)", r"hat\(p\)"),
              parts=("b",), kind="numeric"),
        Alias("ce.loss_onehot", names=(r"L", r"H\(q,p\)", r"L_?CE", r"H", r"CE", r"L\(.*\)"), parts=("c",),
              kind="symbolic"),
        Alias("ce.dL_dz_other", names=(r"dL/dz_(?:y'|j|k|i|\(y'\)|yprime|y\^?prime)", r"dL/dz_\(?j\)?\(j!=y\)"),
              parts=("d",), kind="symbolic"),
        Alias("ce.dL_dz_y", names=(r"dL/dz_\(?y\)?", r"dL/dz_\(?c\)?", r"dL/dz_\(?t\)?"), parts=("d",), kind="symbolic"),
    ),
    "autograd": (
        Alias("autograd.dy_dx_symbolic", names=(r"dy/dx(?:_i)?", r"dy_?/dx_i", r"dy/dx_\(?i\)?"), parts=("a",),
              kind="symbolic"),
        Alias("autograd.y", names=(r"y",), parts=("b",), kind="numeric", scope="part"),
        Alias("autograd.x_grad", names=(r"x\.grad", r"dy/dx", r"bar\(x\)", r"grad.*", r"nabla_?x.*"),
              words=(r"x\.grad",), parts=("b",), kind="numeric"),
        Alias("autograd.x_grad", names=(r"dy/dx_\(?(?P<i>\d)\)?", r"bar\(x\)_(?P<i>\d)"), parts=("b",), kind="numeric"),
        Alias("autograd.x_grad", names=(r"x\.grad\[(?P<i>\d)\]",), parts=("b",), kind="numeric", index_base=0),
    ),
    "delta_rule": (
        Alias("delta_rule.dTSS_do", names=(r"dTSS/do_?1?", r"dE/do_?1?", r"d\(?TSS\)?/do_?\(?1\)?"), parts=("a",)),
        Alias("delta_rule.do_dnet", names=(r"do_?1?/dnet_?1?", r"do_?1?/dnet_?\(?1\)?"), parts=("a",)),
        Alias("delta_rule.dnet_dw", names=(r"dnet_?1?/dw_?(?:j1|1j|j|\(j,?1\))?",), parts=("a",)),
        Alias("delta_rule.delta_w", names=(r"Delta ?w_?(?:j1|1j|j|\(j,?1\))?",), parts=("a",), kind="symbolic"),
        Alias("delta_rule.o", names=(r"o_?1?", r"o_?\(1\)", r"sigma\(net_?1?\)"), parts=("b",), kind="numeric",
              scope="part"),
        Alias("delta_rule.delta_w_values", names=(r"Delta ?w", r"Delta ?w_?(?:j1|\(j,?1\))"), parts=("b",), kind="numeric"),
        Alias("delta_rule.delta_w_values", names=(r"Delta ?w_\(?(?P<i>\d),?1\)?",), parts=("b",), kind="numeric"),
        Alias("delta_rule.sigmoid_grad_max", names=(r"max.*", r"sigma'\(0\)", r"sigma'_?max"),
              words=(r"maximum", r"\bmax\b"), parts=("c",), kind="numeric"),
    ),
}

#: Answer ids that are the same quantity under two names (the adjoint of x is
#: df/dx): a student's value of one is the student's value of the other.
SAME_QUANTITY: dict[str, str] = {
    "autodiff.df_dx": "autodiff.adjoint.v0",
    "autodiff.df_dc": "autodiff.adjoint.v_-1",
    "autodiff.f": "autodiff.trace.v6",
}


@dataclass(frozen=True)
class NameMatch:
    """A chain element names answer ``alias.answer_id`` (entry ``index`` of it
    for an entrywise alias); strength: 3 math name in the right part, 2 math
    name elsewhere in the question or words on the same line, 1 words before."""

    alias: Alias
    element: int
    strength: int
    index: tuple[int, ...] | None = None


def match_name(key: str, problem: str | None, part: str | None,
               problems: tuple[str, ...] | None = None) -> list[tuple[Alias, tuple[int, ...] | None]]:
    """Aliases of ``problem`` (when None: of ``problems``, or every problem)
    whose names match ``key``."""
    hits = []
    for pid, aliases in ALIASES.items():
        if problem is not None and pid != problem or problem is None and problems and pid not in problems:
            continue
        for alias in aliases:
            for pattern in alias.names:
                m = re.fullmatch(pattern, key)
                if m:
                    index = None
                    if "i" in m.groupdict():
                        index = tuple(int(m.group(g)) - alias.index_base for g in ("i", "j") if m.groupdict().get(g))
                    hits.append((alias, index))
                    break
    return hits


def match_words(words: str, problem: str | None, problems: tuple[str, ...] | None = None) -> list[Alias]:
    """Aliases of ``problem`` (when None: of ``problems``, or every problem)
    whose words occur in ``words``, in the order of the table (the first is
    the most specific: "ratio" before "conv")."""
    low = words.lower()
    hits = []
    for pid, aliases in ALIASES.items():
        if problem is not None and pid != problem or problem is None and problems and pid not in problems:
            continue
        for alias in aliases:
            if any(re.search(w, low) for w in alias.words) and not any(re.search(w, low) for w in alias.words_not):
                hits.append(alias)
    return hits


def name_matches(chain: Chain, problems: tuple[str, ...] | None = None) -> list[NameMatch]:
    """Answer ids a chain names, by the leading name elements (math) and by
    the prose that announces it. Leading elements are those before the first
    element that is not a name (``y = N_6 = 1272.6`` names both f and v6)."""
    found: list[NameMatch] = []
    for idx, element in enumerate(chain.elements[:-1] if len(chain.elements) > 1 else []):
        if element.is_text:
            for alias in match_words(element.text_name, chain.problem, problems)[:1]:
                found.append(NameMatch(alias, idx, 2 if chain.words_strong else 1))
            continue
        if idx > 0 and element.relation not in ("equal", ""):
            break
        key = quantity_key(element.source)
        if not element.source:
            break
        if not is_name(element.source):
            # an expression on the left names a quantity only as the first
            # element and only through an alias (``\frac{\hat m_2}{\sqrt{\hat v_2}+\epsilon}``)
            if idx == 0 or idx == 1 and chain.elements[0].is_text:
                for alias, index in match_name(key, chain.problem, chain.part, problems):
                    in_part = not alias.parts or chain.part in alias.parts or chain.part is None
                    found.append(NameMatch(alias, idx, 3 if in_part else 2, index))
            break
        for alias, index in match_name(key, chain.problem, chain.part, problems):
            in_part = not alias.parts or chain.part in alias.parts or chain.part is None
            found.append(NameMatch(alias, idx, 3 if in_part else 2, index))
    if not found and chain.words and chain.origin == "math":
        for alias in match_words(chain.words, chain.problem, problems)[:1]:
            found.append(NameMatch(alias, 0, 2 if chain.words_strong else 1))
    return _prefer_part(found, chain.part, f"{chain.words} {chain.context}")


def _prefer_part(found: list[NameMatch], part: str | None, words: str = "") -> list[NameMatch]:
    """Of the answers one element names, those asked in the chain's part
    when there are any (``w_{t+1}`` in part (a) is the update rule, not the
    AdamW update of part (e)); of those, the ones whose words the prose
    around the chain uses ("decoupled weight decay" for AdamW)."""
    out = []
    low = words.lower()
    for element in sorted({m.element for m in found}):
        mine = [m for m in found if m.element == element]
        if part is not None:
            mine = [m for m in mine if not m.alias.parts or part in m.alias.parts] or mine
        worded = {m.alias.answer_id for m in mine if m.alias.words}
        if len(worded) > 1:
            said = [m for m in mine if any(re.search(w, low) for w in m.alias.words)]
            mine = said[:1] if said else mine
        out += mine
    return out


def key_of(source: str) -> str:
    """The quantity key of ``source`` when it is a name, else ``""``."""
    return quantity_key(source) if is_name(source) else ""
