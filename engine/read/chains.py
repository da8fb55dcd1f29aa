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
   ``df/dx``) matched against the question's aliases (:mod:`engine.check.names`);
2. by the words naming it: prose on the same line (``parameters in total =``)
   or just before (``in Convolutional layers``), matched against the
   aliases' ``words``;
3. by value (in :mod:`engine.check.run`): a chain left unnamed whose value equals
   a not yet claimed answer of its problem.

Every function here works on strings only; nothing is evaluated.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from engine.read import prose as worded
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
    start_value: bool = False  # "starting with r = 1": a recurrence's start, no answer

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
                                  context=f"{row.context} {row.before}".strip(),
                                  start_value=bool(worded.START_VALUE.search(row.before)))
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
    r"(?:(?P<value>[-+]?\d[\d.,]*(?:[eE][-+]?\d{1,3})?(?:\s*(?:[x×X*]|\\times)\s*[-+]?\d[\d.,]*)*(?:\s*%)?)(?![\w./])"
    r"|(?:tensor\s*\(\s*)?[\[(](?P<vector>\s*[-+]?\d[\d.]*(?:\s*,\s*[-+]?\d[\d.]*){1,30}\s*)[\])])"
)


_CONDITION = re.compile(r"\b(?:at|for|when|with|if|where)\s+[A-Za-z](?:_\{?\w{1,3}\}?)?$")
_PRONOUN = re.compile(r"(?:(?:where|which|and|so|then)\s+)?(?:it|this|that|which|its value)", re.IGNORECASE)
_LAST_VALUE = re.compile(r"\s*[-+*/×]\s*[-+*/×\s\d.,()…]{0,160}?=\s*(?P<last>[-+]?\d[\d.,]*)(?![\w.])")


def prose_chains(prose: list[Prose]) -> list[Chain]:
    """Claims written in words, as two-element chains [words, value]."""
    chains = []
    said: dict[int, str] = {}  # the line's text before this run (math between runs left out)
    for p in prose:
        if p.text.lstrip().startswith("|"):
            continue  # a table row: per-layer numbers, not the answers
        p = replace(p, text=re.sub(r"\*\*|__", "", p.text))   # **212 x 212**: emphasis, not maths
        before = said.get(p.line, "")
        said[p.line] = f"{before} {p.text}"[-400:]
        for m in PROSE_CLAIM.finditer(p.text[:2000]):
            if m.group("vector"):  # x.grad = tensor([0.97, 0.0, 2.02, 95.45]): a vector
                value = "(" + ", ".join(v.strip() for v in m.group("vector").split(",")) + ")"
            else:
                value = m.group("value").strip().rstrip(".,")
                # "Total = 14714688 + 123633664 = 138348352": the sum's result is the claim
                last = _LAST_VALUE.match(p.text, m.end(), min(len(p.text), m.end() + 200))
                if last:
                    value = last.group("last").rstrip(".,")
                value = re.sub(r"\s*[x×X*]\s*", r" \\times ", value)
                value = value.replace("%", r"\%")
            lhs = m.group("lhs").strip()
            if _CONDITION.search(lhs) and "=" in m.group(0)[len(m.group("lhs")):]:
                continue  # "largest at z = 0": z is set by a condition; it is not the quantity named
            words = _words(lhs, f"{before} {p.text[:m.start()]}")
            chain = Chain([Element("", "", p.line, text_name=words), Element(value, "equal", p.line)],
                          p.problem, p.part, p.question, p.line, words=words, words_strong=True, origin="prose")
            chains.append(chain)
        for lhs, value, relation in worded.claims(p.text):
            words = _words(lhs, f"{before} {p.text[:max(0, p.text.find(lhs))]}")
            chains.append(Chain([Element("", "", p.line, text_name=words), Element(value, relation, p.line)],
                                p.problem, p.part, p.question, p.line, words=words, words_strong=True, origin="prose"))
    return chains


def _words(lhs: str, said_before: str) -> str:
    """The words naming a prose claim: its left side, or for a pronoun ("where it is
    1/4") the clause before it as well ("the derivative is largest at z = 0")."""
    return f"{said_before[-160:]} {lhs}" if _PRONOUN.fullmatch(lhs) else lhs


def key_of(source: str) -> str:
    """The quantity key of ``source`` when it is a name, else ``""``."""
    return quantity_key(source) if is_name(source) else ""
