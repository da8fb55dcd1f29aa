r"""Math written as plain text, rewritten as the LaTeX the rest of the read
stage reads. OCR turns a handwritten page into Markdown, but much of the
math comes out as plain text: a matrix as tab- or space-separated rows of
numbers with words beside them naming it (``8 6`` / ``-0.5 -0.5`` /
``: values of the matrix U``), an equation (``v2 = log v0 = 1.099``,
``dL/dV = ...``), a nested list (``[[8, 6], [-0.05, -0.05]]``), a tuple with
decimal commas (``(0,9673; 0; 2,019; 95,45)``), a program's printout
(``>>> print(y)`` / ``tensor(38.9949, grad_fn=<MeanBackward0>)``), and
``\delta`` written for ``\partial`` in a derivative.

:func:`rewrite` returns the text with each such line replaced by inline math
on the same line (``$U = \begin{bmatrix}...\end{bmatrix}$``), the words
before it kept as prose; the number of lines never changes, so line numbers
stay the original's. Text is only cut and re-spelled here, never evaluated.
Every regular expression is linear (no nested unbounded quantifiers) and a
line is looked at only up to :data:`MAX_LINE` characters.

A plain-text piece is read as math only when every word in it is a known
function or Greek letter (:data:`WORDS`) or a short quantity name; a piece
with other words is prose, and an equation whose middle is prose is cut
there (``sigma'(z) = ... is largest at z = 0`` claims nothing about
``sigma'``).
"""
from __future__ import annotations

import re
from typing import Callable

from engine.read.barelatex import bare_latex_statement, unbalanced

#: Longest line rewritten (longer ones are left to the prose reader).
MAX_LINE = 400
#: Largest plain-text matrix read (rows, columns).
MAX_ROWS, MAX_COLS = 8, 8

#: Words that are math in plain text, and their LaTeX.
WORDS = {
    "log": r"\log", "ln": r"\ln", "exp": r"\exp", "sqrt": r"\sqrt", "tanh": r"\tanh", "max": r"\max",
    "sigma": r"\sigma", "alpha": r"\alpha", "beta": r"\beta", "gamma": r"\gamma", "eta": r"\eta",
    "lambda": r"\lambda", "epsilon": r"\epsilon", "theta": r"\theta", "mu": r"\mu", "delta": r"\delta",
    "Delta": r"\Delta", "pi": r"\pi", "sigmoid": r"\sigma", "eps": r"\epsilon",
}
#: Unicode a plain-text line may hold, as the plain text the readers below know.
_UNICODE = {"σ": "sigma", "·": " * ", "⋅": " * ", "−": "-", "–": "-", "×": " x ", "Δ": "Delta ", "∂": "d",
            "η": "eta", "α": "alpha", "β": "beta", "ε": "epsilon", "λ": "lambda", "μ": "mu", "Σ": "sum", "δ": "delta ", "→": " -> ", "⇒": " => ",
            "∑": "sum ", "√": "sqrt", "’": "'", "′": "'"}
#: A plain-text quantity name: ``v2``, ``v-1``, ``o1``, ``net1``, ``W_ij``, ``x.grad``, ``sigma'``.
_NAME = r"(?:[A-Za-z][A-Za-z]{0,6}(?:-1(?![\d.)])|\d{1,2})?(?:_(?:\{(?:-1|[A-Za-z0-9]{1,4}'?)\}|-1|[A-Za-z0-9]{1,4}'?))?'?(?:\.grad)?)"
#: A plain-text derivative: ``dL/dV``, ``dTSS/do1``, ``d o1 / d net1``.
_DERIV = re.compile(r"\bd\s?(?P<num>" + _NAME + r")\s?/\s?d\s?(?P<den>" + _NAME + r")(?![A-Za-z0-9])")
_NUMBER = r"[-+]?\d+(?:[.,]\d+)?"
_TOKEN = re.compile(
    r"(?P<dot>\s+\.(?=\s))|(?P<space>\s+)|(?P<deriv>d\s?" + _NAME + r"\s?/\s?d\s?" + _NAME + r"(?![A-Za-z0-9]))"
    r"|(?P<sci>\d+(?:\.\d+)?[eE][-+]?\d{1,3}(?![\w.]))|(?P<number>\d+(?:\.\d+)?)|(?P<name>" + _NAME + r"(?![A-Za-z0-9]))|(?P<op>\*\*|[-+*/^()\[\]{},|'!%])"
)
#: A row of a plain-text matrix: 2 to 8 numbers separated by tabs or spaces (nothing else).
_MATRIX_ROW = re.compile(r"[ \t]*(?:[-+]?\d+(?:\.\d+)?[ \t]+){1,7}[-+]?\d+(?:\.\d+)?[ \t]*")
#: A line of OCR junk between a matrix and its naming words (``-``, ``.``).
_JUNK = re.compile(r"[ \t\-.,:;_~*]*")
#: The name in words beside a matrix: ``dL/dV``, else a lone letter (``the matrix U``, OCR ``moth's U``).
_LONE_LETTER = re.compile(r"(?<![A-Za-z'’])[A-Za-z](?:_\{?[A-Za-z0-9]{1,3}\}?)?(?![A-Za-z])")
_FENCE = re.compile(r"[ \t]*```")
_TENSOR = re.compile(r"[ \t]*(?:tensor\(|array\()?(?P<value>\[[-+\d., \t\[\]]{1,400}\]|[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?)"
                     r"(?:,\s*(?:grad_fn|dtype|requires_grad)[^)]{0,80})?\)?[ \t]*")
_PRINT = re.compile(r"[ \t]*(?:>>>[ \t]*)?(?:print\((?P<p>[A-Za-z_][\w.]{0,20})\)|(?P<bare>[A-Za-z_][\w.]{0,20}))[ \t]*")
#: ``\frac{\delta X}{\delta Y}``: \delta written for \partial (both places, so a \delta quantity is left alone).
_DELTA_FRAC = re.compile(r"\\frac\s*\{\s*\\delta(?![A-Za-z])(?P<num>(?:[^{}$]|\{[^{}$]{0,20}\}){1,40})\}"
                         r"\s*\{\s*\\delta(?![A-Za-z])(?P<den>(?:[^{}$]|\{[^{}$]{0,20}\}){1,40})\}")


#: ``14 714 688``: digits grouped in threes by spaces, in an equation (a number, not a row of three)
_SPACE_GROUPED = re.compile(r"(?<![\d.,])\d{1,3}(?: \d{3})+(?![\d.,]|\s\d)")


def rewrite(text: str) -> str:
    """``text`` with plain-text math as inline LaTeX, line for line (see the module)."""
    lines = text.split("\n")
    _open_printout_fences(lines)
    in_fence = False
    plain = []
    for k, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if not in_fence and "$" not in line and "\\" not in line and not line.lstrip().startswith("|") \
                and len(line) <= MAX_LINE:
            plain.append(k)
        elif "\\delta" in line:
            lines[k] = _DELTA_FRAC.sub(r"\\frac{\\partial\g<num>}{\\partial\g<den>}", line)
    _other_class(lines)
    plain_set = set(plain)
    done: set[int] = set()
    fenced = in_fence_lines(lines)
    _tables(lines, fenced)
    _trace_rows(lines, fenced)
    _matrices(lines, plain_set, done)
    _printouts(lines, plain_set, done)
    display = False   # inside a $$ ... $$ (or \\[ ... \\]) block over several lines
    for k, line in enumerate(lines):   # LaTeX outside $ (OCR dropped the dollars): ``\\partial f/\\partial c = -2c``
        opened = display
        display ^= (line.count("$$") + line.count("\\[") + line.count("\\]")) % 2 == 1
        if not opened and k not in plain_set and "$" not in line and "\\" in line and "=" in line and "&" not in line \
                and len(line) <= MAX_LINE and not line.lstrip().startswith("|") and "\\begin" not in line \
                and "\\end" not in line and k not in fenced:
            lines[k] = equation_line(line, bare_latex_statement)
    for k in plain:   # ``= (0.99, 0, 2.12, 96.0)``: the line before goes on
        rest = re.fullmatch(r"\s*=\s*(\S.*)", lines[k]) if k not in done else None
        latex = to_latex(_trim_tail(rest.group(1))) if rest else None
        if latex is not None:
            lines[k] = f"$= {latex}$"
            done.add(k)
    for k in plain:
        if k not in done and "=" in lines[k]:
            lines[k] = re.sub(r"[δ∂](\w+)\s*/\s*[δ∂](\w+)", r"d\1/d\2", lines[k])   # δTSS/δo1: dTSS/do1
            if any(ch in lines[k] for ch in _UNICODE):
                lines[k] = "".join(_UNICODE.get(ch, ch) for ch in lines[k])
            lines[k] = re.sub(r"\*\*(?=\S)|(?<=\S)\*\*|\b__|__\b", "", lines[k])   # **1 - p_y**: emphasis
            lines[k] = equation_line(_SPACE_GROUPED.sub(lambda m: m.group(0).replace(" ", ""), lines[k]))
    return "\n".join(lines)


# --------------------------------------------------------------------------- matrices


def _matrices(lines: list[str], plain: set[int], done: set[int]) -> None:
    k = 0
    while k < len(lines):
        if k not in plain or not _MATRIX_ROW.fullmatch(lines[k]):
            k += 1
            continue
        rows = [k]
        width = len(lines[k].split())
        while rows[-1] + 1 in plain and _MATRIX_ROW.fullmatch(lines[rows[-1] + 1]) \
                and len(lines[rows[-1] + 1].split()) == width and len(rows) < MAX_ROWS:
            rows.append(rows[-1] + 1)
        if len(rows) < 2 or width > MAX_COLS:
            k = rows[-1] + 1
            continue
        name = _matrix_name(lines, rows[0], rows[-1])
        body = r" \\ ".join(" & ".join(lines[r].split()) for r in rows)
        matrix = r"\begin{bmatrix} " + body + r" \end{bmatrix}"
        lines[rows[0]] = f"${name} = {matrix}$" if name else f"${matrix}$"
        for r in rows[1:]:
            lines[r] = ""
        done.update(rows)
        k = rows[-1] + 1


_VALUED = re.compile(r"(?:d\s?" + _NAME + r"\s?/\s?d\s?" + _NAME + r"|\b" + _NAME + r")\s*=\s*[-+]?\d[\d.,]*(?![\w.])")
_ASSIGNED = re.compile(r"(?:^|[,;:(]\s*|\s)(?P<name>[A-Za-z](?:_\{?\w{1,3}\}?)?)\s*=\s*(?=[A-Za-z\\])")


def _matrix_name(lines: list[str], first: int, last: int) -> str:
    """The name the words beside a matrix give it: a line after it starting with ``:``
    (``: values of the matrix U``), else the line before ending with ``:`` or ``=``."""
    after = last + 1
    while after < len(lines) and after <= last + 3 and (not lines[after].strip() or _JUNK.fullmatch(lines[after])):
        after += 1
    candidates = []
    if after < len(lines) and lines[after].lstrip().startswith(":"):
        candidates.append(lines[after])
    before = first - 1
    while before >= 0 and before >= first - 2 and not lines[before].strip():
        before -= 1
    if before >= 0 and re.search(r"(?:=|:|\bso|\bis)[ \t]*$", lines[before]):
        candidates.append(re.sub(r"(?:=|:|\bso|\bis)[ \t]*$", "", lines[before]))
    for words in candidates:
        # a name the words give a value (``dL/dy = 2``, ``slope alpha = 0.1``) is not the matrix's
        words = _VALUED.sub(" ", words[:MAX_LINE])
        assigned = _ASSIGNED.search(words)     # ``V = LeakyReLU(U) :``: the name on the left
        if assigned:
            return _name(assigned.group("name"))
        derivatives = list(_DERIV.finditer(words))
        if derivatives:   # the one being defined (``dL/dV = dL/dy * W :``), else the last one
            defined = [d for d in derivatives if re.match(r"\s*=", words[d.end():])]
            m = defined[0] if defined else derivatives[-1]
            return _derivative(m.group("num"), m.group("den"))
        letters = [x.group(0) for x in _LONE_LETTER.finditer(words)
                   if x.group(0).lower() not in ("a", "i", "s")]
        if letters:
            return _name(letters[-1])
    return ""


#: "for a class $k \\neq y$": the student's own letter for a class other than the true one.
_OTHER_CLASS = re.compile(r"(?<![A-Za-z\\])(?P<letter>[a-x])\s*(?:\\neq(?![A-Za-z])|\\ne(?![A-Za-z])|!=|≠)\s*y(?![A-Za-z'_])")
#: Lines after the declaration that may use the letter.
OTHER_CLASS_LINES = 3


def _other_class(lines: list[str]) -> None:
    """``k`` declared as a class other than ``y`` (``for a class $k \\neq y$``) is the sheet's
    ``y'``: its subscripts (``z_k``, ``p_{k}``) are written ``_{y'}`` on that line (before the
    declaration too) and the next few."""
    for k, line in enumerate(lines):
        m = _OTHER_CLASS.search(line[:MAX_LINE])
        if not m:
            continue
        letter = m.group("letter")
        pattern = re.compile(r"_(?:\{\s*" + letter + r"\s*\}|" + letter + r"(?![A-Za-z0-9]))")
        lines[k] = pattern.sub("_{y'}", line)   # the whole line: ``... = p_k \quad (k \neq y)`` too
        for j in range(k + 1, min(len(lines), k + 1 + OTHER_CLASS_LINES)):
            lines[j] = pattern.sub("_{y'}", lines[j])


_TABLE_LINE = re.compile(r"[ \t]*+\|[^\n]*\|[ \t]*+")
_SEPARATOR = re.compile(r"[ \t]*+\|(?:[ \t]*+:?-{2,}+:?[ \t]*+\|)++[ \t]*+")   # possessive: linear


def in_fence_lines(lines: list[str]) -> set[int]:
    """Indices of the lines inside fenced code blocks (the fences included)."""
    out, inside = set(), False
    for k, line in enumerate(lines):
        if _FENCE.match(line):
            inside = not inside
            out.add(k)
        elif inside:
            out.add(k)
    return out


def _open_printout_fences(lines: list[str]) -> None:
    """A fenced block that holds a program's printout (``>>> print(y)`` over
    ``tensor(38.9949, ...)``) is opened: its fences and its other code lines
    become blank lines (the line numbers stay), its prompt and printout lines
    are read as the plain text they are (:func:`_printouts`)."""
    fenced = sorted(in_fence_lines(lines))
    blocks, start = [], None
    for k in fenced:
        if _FENCE.match(lines[k]):
            if start is None:
                start = k
            else:
                blocks.append((start, k))
                start = None
    for first, last in blocks:
        keep = set()
        for k in range(first + 1, last):
            if lines[k].lstrip().startswith(">>>") and k + 1 < last and _TENSOR.fullmatch(lines[k + 1]):
                keep |= {k, k + 1}
        if keep:
            for k in range(first, last + 1):
                if k not in keep:
                    lines[k] = ""


def _tables(lines: list[str], fenced: set[int]) -> None:
    """A Markdown table of numbers whose corner cell names it (``| U | col 1 | col 2 |`` over
    ``| row 1 | 8 | 6 |``): the matrix, as ``$U = \\begin{bmatrix}...$`` on the header's line.
    Row labels (a first column of words) are dropped; a table of anything else stays a table."""
    k = 0
    while k + 3 < len(lines):
        if k in fenced or not _TABLE_LINE.fullmatch(lines[k]) or not _SEPARATOR.fullmatch(lines[k + 1]):
            k += 1
            continue
        end = k + 2
        while end < len(lines) and _TABLE_LINE.fullmatch(lines[end]) and end - k - 2 < MAX_ROWS:
            end += 1
        header = [c.strip() for c in lines[k].strip().strip("|").split("|")]
        body = [[c.strip() for c in lines[r].strip().strip("|").split("|")] for r in range(k + 2, end)]
        name = _name(header[0]) if header and header[0] else None
        corner = _DERIV.fullmatch(header[0]) if header and header[0] and name is None else None
        if corner:  # | dL/dX | c1 | c2 |
            name = _derivative(corner.group("num"), corner.group("den"))
        if body and all(len(r) == len(header) for r in body) and not all(re.fullmatch(_NUMBER, r[0]) for r in body):
            body = [r[1:] for r in body]     # row labels
        numeric = body and all(re.fullmatch(_NUMBER, c) for r in body for c in r) and 1 <= len(body[0]) <= MAX_COLS \
            and len({len(r) for r in body}) == 1
        if name and numeric and len(body) * len(body[0]) >= 2:
            matrix = r"\begin{bmatrix} " + r" \\ ".join(" & ".join(r) for r in body) + r" \end{bmatrix}"
            lines[k] = f"${name} = {matrix}$"
            for r in range(k + 1, end):
                lines[r] = ""
        k = end


def _trace_rows(lines: list[str], fenced: set[int]) -> None:
    """A row of an evaluation trace in plain text, ``| v_2 | ln v_0 | 1.10 |`` (name,
    definition, value) or ``| vbar3 | 16.4 |``: the chain ``$$v_{2} = \\ln v_{0} = 1.10$$``
    (the rows with math cells are :func:`engine.read.layout.table_rows_as_chains`)."""
    for k, line in enumerate(lines):
        if k in fenced or "$" in line or not _TABLE_LINE.fullmatch(line) or _SEPARATOR.fullmatch(line):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not 2 <= len(cells) <= 3 or "=" in line or not re.fullmatch(_NUMBER, cells[-1]):
            continue
        name = _name(cells[0])
        middle = [to_latex(c) for c in cells[1:-1]]
        if name is None or any(m is None for m in middle):
            continue
        lines[k] = "$$" + " = ".join([name, *middle, cells[-1]]) + "$$"


# --------------------------------------------------------------------------- program output


def _printouts(lines: list[str], plain: set[int], done: set[int]) -> None:
    """``>>> print(y)`` then ``tensor(38.9949, grad_fn=<MeanBackward0>)``: ``$y = 38.9949$``."""
    for k in sorted(plain):
        if k == 0 or k - 1 not in plain or not lines[k].lstrip().startswith(("tensor(", "array(", "[", "-", "0", "1", "2", "3",
                                                                                "4", "5", "6", "7", "8", "9")):
            continue
        asked = _PRINT.fullmatch(lines[k - 1])
        prompt = lines[k - 1].lstrip().startswith(">>>")
        if not (asked and asked.group("p") or prompt):
            continue
        shown = _TENSOR.fullmatch(lines[k])
        if not shown:
            continue
        value = _value(shown.group("value"))
        if value is None and re.fullmatch(_NUMBER + r"(?:e[-+]?\d+)?", shown.group("value")):
            value = shown.group("value")
        if value is None:
            continue
        name = _name(asked.group("p") or asked.group("bare")) if asked else None
        # ``>>> e / e.sum()`` prints an unnamed value: the words around it, or its value, align it
        lines[k] = f"${name} = {value}$" if name else f"${value}$"
        done.add(k)


# --------------------------------------------------------------------------- equations


def equation_line(line: str, statement: Callable[[str], str] | None = None) -> str:
    """One plain-text line with its equations as inline math: ``b) o = 0.5 , Delta w = ...``
    becomes ``b) $o = 0.5$ , $\\Delta w = ...$``; a line with no equation is returned as it is.
    ``statement`` reads one statement (default: plain text; :func:`bare_latex_statement` for
    LaTeX written outside ``$``)."""
    statement = statement or _statement
    out, depth, start = [], 0, 0
    for m in re.finditer(r"[([{]|[)\]}]|\s[,;]\s|\s(?:and|so|hence|thus|then)\s|\s(?:->|=>)\s", line):
        token = m.group(0)
        if token in "([{":
            depth += 1
        elif token in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0:  # ``( 0.0625 , 0.03125 )`` is one tuple, not two statements
            out += [statement(line[start:m.start()]), token]
            start = m.end()
    out.append(statement(line[start:]))
    return "".join(out)




def _statement(text: str) -> str:
    parts = re.split(r"(?<![<>=!])(=(?!=)|≈|\s~\s)", text)
    pieces, relations = parts[0::2], [r.strip() for r in parts[1::2]]
    if len(pieces) < 2:
        return text
    head, name = _split_name(pieces[0].rstrip())
    if name is None:
        return text
    final = to_latex(_trim_tail(pieces[-1]))
    ends_in_number = final is not None and re.fullmatch(r"-?\s?[\d.]+", final) is not None
    latex, used = name, 0
    for k, piece in enumerate(pieces[1:], start=1):
        last = k == len(pieces) - 1
        converted = final if last else to_latex(piece)
        if converted is None:
            if not last and (re.search(r"\bsum\b", piece) or ends_in_number and not re.search(r"[A-Za-z]{3,}", piece)):
                used = k
                continue  # "= 1/4 sum_i c_i = ... = 38.99": a middle in words; the value it ends in
            break
        latex += (r" \approx " if relations[k - 1] != "=" else " = ") + converted
        used = k
    if used == 0 or latex == name:
        return text
    tail = _tail_of(pieces[-1]) if used == len(pieces) - 1 else "".join(
        relations[j - 1] + pieces[j] for j in range(used + 1, len(pieces)))
    return f"{head}${latex}${tail}"


def _split_name(lead: str) -> tuple[str, str | None]:
    """The words before the equation's left side, and the left side as LaTeX (a name,
    a derivative, or an expression when the words end with ``:``)."""
    m = re.search(r"(?:" + _DERIV.pattern + r"|(?<![\w.'])(?:[Dd]elta\s)?" + _NAME + r"(?:\([^()]{0,20}\))?)\s*$", lead)
    if m and not re.search(r"(?:\bx|[-+*/^(])\s*$", lead[:m.start()]):   # not "3 x 3 x C_in x C_out ="
        latex = to_latex(m.group(0))
        if latex is not None:
            return lead[:m.start()], latex
    colon = max(lead.rfind(":"), lead.rfind(" is ") + 3 if " is " in lead else -1)   # "the coefficient is (..)/(..) ="
    if colon >= 0 and re.search(r"[\d)]\s*(?:[-+*/^]|x\s)", lead[colon + 1:]):
        latex = to_latex(lead[colon + 1:])
        if latex is not None:
            return lead[:colon + 1] + " ", latex
    return lead, None


#: Words that continue an expression in words: what follows them is not a tail to drop.
_CONTINUES = re.compile(r"\s*\(?\s*(?:sum|over|of|times|plus|minus|divided|squared|where|for)(?:\b|_)", re.IGNORECASE)


def _trim_tail(piece: str) -> str:
    """The value of an equation's last piece without the words after it
    (``14,710,464 parameters``, ``42.11 (nearly all ...)``, ``0.5 :``): its longest
    prefix (at a space) that reads as math, when what follows is words; else ``piece``."""
    words = piece.split(" ")[:40]
    for n in range(len(words), 0, -1):
        head = " ".join(words[:n])
        rest = piece[len(head):]
        if not head.strip() or rest.strip() and (_CONTINUES.match(rest) or not re.match(r"\s*(?:\(\s*[A-Za-z]{2,}\s|\(?\s*[A-Za-z]{3,})", rest)
                                                 and rest.strip(" \t:.,;")):
            continue
        if to_latex(head.rstrip(" \t:.,;")) is not None:
            return head.rstrip(" \t:.,;")
    return piece


def _tail_of(piece: str) -> str:
    kept = _trim_tail(piece)
    return piece[len(kept):] if piece.startswith(kept) else ""


def to_latex(text: str) -> str | None:
    """A plain-text expression as LaTeX, or None when it holds words (prose)."""
    text = text.strip()
    if not text or len(text) > MAX_LINE:
        return None
    listed = _value(text)
    if listed is not None:
        return listed
    text = re.sub(r"(?<=\d)\s?%", r"\\%", text)
    if _top_level_comma(text):
        return None  # ``2,  dL/dU``: a list of things, not one expression (a vector has brackets)
    out = []
    pos = 0
    previous = ""
    while pos < len(text):
        if text.startswith(r"\%", pos):
            out.append(r"\%")
            pos += 2
            continue
        m = _TOKEN.match(text, pos)
        if not m:
            return None
        pos = m.end()
        kind, token = m.lastgroup, m.group(0)
        if kind == "space":
            continue
        if kind == "sci":  # 1.23642856e8
            mantissa, _, power = token.lower().partition("e")
            token, kind = rf"{mantissa} \times 10^{{{int(power)}}}", "number"
        if kind == "dot":  # ``vbar6 . v4``: a product
            out.append(r"\cdot")
            previous = "op"
            continue
        if kind == "deriv":
            d = _DERIV.fullmatch(token)
            if not d:
                return None
            piece = _derivative(d.group("num"), d.group("den"))
        elif kind == "name" and re.fullmatch(r"sum_\{?[A-Za-z]{1,3}\}?", token):
            piece = rf"\sum_{{{token[4:].strip('{}')}}}"    # sum_j exp(z_j)
        elif kind == "name":
            spaced = text[m.start() - 1:m.start()] == " " and text[pos:pos + 1] == " "
            if token == "x" and (previous in ("number", "close") and re.match(r"\s*[\d(]", text[pos:])
                                 or previous == "name" and spaced and re.match(r"\s*[\w(]", text[pos:])):
                piece, kind = r"\times", "op"      # 8 x 1, (1 - 0.5) x 0.5, v4 x v5
            else:
                piece = _name(token)
                if piece is None:
                    return None
        elif kind == "op":
            piece = {"*": r"\cdot", "**": "^", "%": r"\%"}.get(token, token)
            kind = "close" if token in ")]" else "op"
        else:
            piece = token
        out.append(piece)
        previous = kind
    latex = " ".join(out)
    if not re.search(r"[\dA-Za-z]", latex) or unbalanced(text) or re.search(r"(?:[-+/^]|\\cdot|\\times)$", latex):
        return None  # words, or an expression cut at an operator (``-z_y + log sum ...``)
    return _group_exponents(latex)


def _top_level_comma(text: str) -> bool:
    depth = 0
    for k, ch in enumerate(text):
        depth += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(ch, 0)
        if ch in ",;" and depth == 0 and text[k + 1:k + 2].isspace():
            return True
    return False


def _group_exponents(latex: str) -> str:
    """``a ^ ( 4 x_{i} )`` as ``a^{( 4 x_{i} )}``; a one-token exponent stays as it is."""
    out, i = [], 0
    while i < len(latex):
        if latex.startswith("^ (", i):
            depth, j = 0, i + 2
            while j < len(latex):
                depth += {"(": 1, ")": -1}.get(latex[j], 0)
                if depth == 0:
                    break
                j += 1
            out.append("^{" + latex[i + 2:j + 1] + "}")
            i = j + 1
            continue
        out.append(latex[i])
        i += 1
    return "".join(out)


def _name(token: str) -> str | None:
    """A plain-text name as LaTeX: ``v2`` -> ``v_{2}``, ``v-1`` -> ``v_{-1}``, ``eta`` -> ``\\eta``,
    ``net1`` -> ``net_{1}``, ``W_ij`` -> ``W_{ij}``; None for a word that is not a name."""
    token = token.strip()
    accent = re.fullmatch(r"(?P<b>[A-Za-z])_?(?P<a>bar|hat|tilde)(?:_?(?P<n>-1|\d{1,2}|[a-z]))?"
                          r"|(?P<b2>[A-Za-z])_?(?P<n2>-1|\d{1,2})_?(?P<a2>bar|hat|tilde)", token)
    if accent:  # ``vbar5``, ``vbar-1``, ``v5bar``, ``mhat1``, ``m_hat_1``, ``xhat``: \bar{v}_5, \hat{m}_1
        sub = accent.group("n") or accent.group("n2")
        return rf"\{accent.group('a') or accent.group('a2')}{{{accent.group('b') or accent.group('b2')}}}" \
            + (f"_{{{sub}}}" if sub else "")
    glued = re.fullmatch(r"(?P<b>[A-Za-z])(?P<sub>[ijk]{1,2}\d{0,2}|\d[ijk])", token)
    if glued and token not in WORDS:  # ``xj``, ``wj1``, ``wij``, ``w1j``: an index glued to its letter
        return f"{glued.group('b')}_{{{glued.group('sub')}}}"
    if token.startswith(("Delta ", "delta ")):   # ``delta w``: the update, as Delta w
        rest = _name(token[6:])
        return None if rest is None else r"\Delta " + rest
    m = re.fullmatch(r"(?P<base>[A-Za-z]+)(?P<num>-1|\d{1,2})?(?:_(?P<open>\{)?(?P<sub>-1|[A-Za-z0-9]{1,4}'?)(?(open)\}))?(?P<prime>'?)"
                     r"(?P<grad>\.grad)?(?P<call>\([^()]{0,20}\))?", token)
    if not m:
        return None
    base = m.group("base")
    if base in WORDS:
        base = WORDS[base]
    elif len(base) > 6 or len(base) > 3 and not m.group("num") \
            or len(base) > 1 and base.lower() not in ("net", "tss", "rf", "fov") and not m.group("num"):
        return None
    elif len(base) > 3:  # ``step1``, ``loss2``: a word numbered is a name
        base = rf"\mathrm{{{base}}}"
    sub = m.group("num") or m.group("sub")
    latex = base + (f"_{{{sub}}}" if sub else "") + m.group("prime")
    if m.group("grad"):
        latex += r".\mathrm{grad}"
    if m.group("call"):
        inner = to_latex(m.group("call")[1:-1])
        if inner is None:
            return None
        latex += f"({inner})" if base in WORDS.values() or len(base) == 1 else f"({inner})"
    return latex


def _derivative(num: str, den: str) -> str:
    n, d = _name(num) or num, _name(den) or den
    return rf"\frac{{\partial {n}}}{{\partial {d}}}"


# --------------------------------------------------------------------------- values


def _value(text: str) -> str | None:
    r"""A number or list as people print it, in LaTeX; None when ``text`` is not one.
    ``[[8, 6], [-0.05, -0.05]]`` -> bmatrix; ``[0.49, 0.0, 1.05]``, ``(0,9673; 0; 2,019)``
    (decimal commas with ``;``) -> ``(0.49, 0.0, 1.05)``; ``138,357,544``, ``123 642 856`` -> ``138357544``."""
    text = text.strip()
    nested = re.fullmatch(r"\[\s*((?:\[[^\[\]]{1,200}\]\s*,?\s*){1,8})\]", text)
    if nested:
        rows = re.findall(r"\[([^\[\]]*)\]", nested.group(1))
        cells = [[c.strip() for c in row.split(",")] for row in rows]
        if all(re.fullmatch(_NUMBER, c) for row in cells for c in row) and len({len(r) for r in cells}) == 1:
            return r"\begin{bmatrix} " + r" \\ ".join(" & ".join(r) for r in cells) + r" \end{bmatrix}"
        return None
    flat = re.fullmatch(r"[\[(]\s*([^\[\]()]{1,300})[\])]", text)
    if flat:
        body = flat.group(1)
        if ";" in body:
            cells = [c.strip().replace(",", ".") for c in body.split(";")]
        else:
            cells = [c.strip() for c in body.split(",")]
        if len(cells) >= 2 and all(re.fullmatch(r"[-+]?\d+(?:\.\d+)?", c) for c in cells):
            return "(" + ", ".join(cells) + ")"
        return None
    if re.fullmatch(r"[-+]?\d{1,3}(?:,\d{3}){2,}", text) or re.fullmatch(r"[-+]?\d{1,3}(?: \d{3}){2,}", text):
        return re.sub(r"[, ]", "", text)
    if re.fullmatch(r"[-+]?\d+,\d{1,2}|[-+]?\d+,\d{4,}", text):
        return text.replace(",", ".")       # a decimal comma: 38,99 (not a group of three)
    return None
