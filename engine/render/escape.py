"""Escaping of text that is not ours, for LaTeX and for Markdown.

Prose in a solution (a statement, a part title, a step's justification, a
text answer, later a student's report) is *plain text with ``$...$`` math*:
the text between the dollars is escaped character by character, the math is
kept when every control sequence in it is a known math command
(:data:`MATH_COMMANDS`) and its braces balance; otherwise the math is shown
literally, escaped like text. So ``\\input{/etc/hostname}``, ``\\write18``,
``^^5c`` (TeX's hex notation for a backslash), ``%``, ``#`` and unbalanced
braces come out inert in both outputs, inside or outside the dollars.

The rules are tables (:data:`LATEX_SPECIALS`, :data:`UNICODE_MATH`,
:data:`MD_ALWAYS`), in the style of nbconvert's ``escape_latex`` filter.
Nothing here imports sympy: these are pure string functions.
"""
from __future__ import annotations

import re

#: Characters with a meaning in LaTeX text, and what to write instead. The
#: ``\text...{}`` forms work in any font encoding (OT1 or T1).
LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}

#: Unicode symbols that pdflatex cannot typeset as text, as math commands.
UNICODE_MATH = {
    **{chr(0x3B1 + i): "\\" + name + " " for i, name in enumerate(
        "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi "
        "o pi rho varsigma sigma tau upsilon phi chi psi omega".split())},
    "Γ": r"\Gamma ", "Δ": r"\Delta ", "Θ": r"\Theta ", "Λ": r"\Lambda ", "Ξ": r"\Xi ",
    "Π": r"\Pi ", "Σ": r"\Sigma ", "Υ": r"\Upsilon ", "Φ": r"\Phi ", "Ψ": r"\Psi ", "Ω": r"\Omega ",
    "ϵ": r"\epsilon ", "ϑ": r"\vartheta ", "ϕ": r"\phi ",
    "−": "-", "×": r"\times ", "·": r"\cdot ", "÷": r"\div ", "±": r"\pm ", "∓": r"\mp ",
    "≤": r"\le ", "≥": r"\ge ", "≠": r"\ne ", "≈": r"\approx ", "≡": r"\equiv ", "∼": r"\sim ",
    "∝": r"\propto ", "→": r"\to ", "←": r"\leftarrow ", "⇒": r"\Rightarrow ", "⇔": r"\Leftrightarrow ",
    "↦": r"\mapsto ", "∞": r"\infty ", "∂": r"\partial ", "∇": r"\nabla ", "√": r"\surd ",
    "∑": r"\sum ", "∏": r"\prod ", "∫": r"\int ", "∈": r"\in ", "∉": r"\notin ", "⊂": r"\subset ",
    "⊆": r"\subseteq ", "∪": r"\cup ", "∩": r"\cap ", "∀": r"\forall ", "∃": r"\exists ",
    "∅": r"\emptyset ", "′": r"\prime ", "ℓ": r"\ell ", "⊙": r"\odot ", "⊗": r"\otimes ",
    "⊕": r"\oplus ", "∘": r"\circ ", "°": r"^{\circ}", "µ": r"\mu ", "…": r"\ldots ", "⋯": r"\cdots ",
}

#: Typographic Unicode in text, as LaTeX text (the rest of UNICODE_MATH goes in ``$...$``).
UNICODE_TEXT = {
    "\u00a0": "~", "–": "--", "—": "---", "‘": "`", "’": "'", "“": "``", "”": "''",
    "…": r"\ldots{}", "•": r"\textbullet{}", "§": r"\S{}", "¶": r"\P{}", "©": r"\copyright{}",
    "°": r"\ensuremath{^{\circ}}",
}

#: Shown for a character pdflatex has no glyph for (instead of a failed build).
UNKNOWN_CHARACTER = r"\textbf{?}"

#: Commands allowed in the math of prose: all defined by the LaTeX kernel,
#: amsmath or amssymb, none of them reads or writes a file or redefines anything.
MATH_COMMANDS = frozenset("""
alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa varkappa lambda mu nu
xi pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega digamma
Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega varGamma varDelta varTheta varLambda
varXi varPi varSigma varUpsilon varPhi varPsi varOmega
frac dfrac tfrac binom dbinom tbinom sqrt sum prod coprod int iint iiint oint bigcup bigcap
bigoplus bigotimes bigodot bigvee bigwedge lim limsup liminf max min sup inf arg det exp log ln lg
sin cos tan cot sec csc sinh cosh tanh coth arcsin arccos arctan deg dim gcd hom ker Pr
operatorname mathrm mathit mathbf mathsf mathtt mathcal mathbb mathfrak boldsymbol
text textrm textit textbf textsf texttt textnormal mbox
hat widehat bar overline underline tilde widetilde vec dot ddot dddot breve check acute grave
mathring overbrace underbrace overset underset stackrel boxed phantom hphantom vphantom
left right middle big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr
langle rangle lceil rceil lfloor rfloor lvert rvert lVert rVert vert Vert lbrace rbrace backslash
le leq ge geq ne neq leqslant geqslant approx approxeq sim simeq cong equiv propto doteq triangleq
lesssim gtrsim in notin ni subset subseteq supset supseteq subsetneq supsetneq ll gg prec succ
preceq succeq mid nmid parallel perp models vdash dashv to gets mapsto rightarrow leftarrow
Rightarrow Leftarrow leftrightarrow Leftrightarrow longrightarrow longleftarrow Longrightarrow
Longleftarrow longmapsto implies iff uparrow downarrow updownarrow nearrow searrow
pm mp times div cdot ast star circ bullet oplus ominus otimes oslash odot cup cap setminus
wedge vee land lor lnot neg not intercal
infty partial nabla forall exists nexists emptyset varnothing ell hbar imath jmath Re Im aleph
prime dagger ddagger ldots cdots vdots ddots dots dotsc dotsb dotsm top bot angle triangle square
blacksquare checkmark therefore because colon surd
quad qquad displaystyle textstyle scriptstyle scriptscriptstyle limits nolimits hline
""".split())

#: Environments allowed in the math of prose (``&`` and ``\\\\`` only inside them).
MATH_ENVIRONMENTS = frozenset(
    "matrix pmatrix bmatrix Bmatrix vmatrix Vmatrix smallmatrix cases aligned gathered array".split()
)

#: Control symbols (backslash + one non-letter) allowed in the math of prose.
MATH_SYMBOLS = frozenset(",;:! {}|%#&_$")

_MATH_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\^\^|[{}%#&]|\\$|[\s\S]", re.S)
_ENV_NAME = re.compile(r"\{([A-Za-z*]+)\}")


def _text_char(ch: str) -> str:
    code = ord(ch)
    if ch in LATEX_SPECIALS:
        return LATEX_SPECIALS[ch]
    if ch == "\n":
        return "\n"
    if ch == "\t":
        return " "
    if code < 32 or code == 127:
        return ""
    if code < 128:
        return ch
    if ch in UNICODE_TEXT:
        return UNICODE_TEXT[ch]
    if ch in UNICODE_MATH:
        return "$" + UNICODE_MATH[ch].strip() + "$"
    if 0xC0 <= code <= 0xFF:  # Latin-1 letters: every font encoding has them
        return ch
    return UNKNOWN_CHARACTER


def escape_latex(text: str) -> str:
    """Plain text -> LaTeX text that typesets as the same characters.

    Every LaTeX special (``\\ { } $ & % # _ ~ ^ < > |``) becomes its
    ``\\text...``/``\\%`` form, control characters are dropped (a tab is a
    space), Greek letters and common math symbols become ``$\\alpha$``, Latin-1
    letters stay, anything else is shown as a bold ``?``. The result never
    contains a control sequence taken from the input, so ``\\input{...}`` or
    ``\\write18`` in the input are printed, not executed.

    >>> escape_latex(r"50% of \\input{x}")
    '50\\\\% of \\\\textbackslash{}input\\\\{x\\\\}'
    """
    return "".join(_text_char(ch) for ch in text)


def safe_math(tex: str) -> str | None:
    """The math of prose (between dollars) if it is safe to keep, else None.

    Kept when every command is in :data:`MATH_COMMANDS`, every environment in
    :data:`MATH_ENVIRONMENTS`, braces and ``\\left``/``\\right`` balance and no
    ``^^`` hex escape occurs; ``%`` and ``#`` are escaped, ``&`` outside an
    environment is escaped, Unicode symbols become commands. The caller
    prints rejected math literally (escaped as text)."""
    out: list[str] = []
    depth = 0
    envs: list[str] = []
    pos = 0
    lefts = rights = 0
    tokens = _MATH_TOKEN.finditer(tex)
    for match in tokens:
        tok = match.group()
        if match.start() < pos:
            continue  # consumed as an environment name
        if tok.startswith("\\") and len(tok) > 1 and tok[1:].isalpha():
            name = tok[1:]
            if name in ("begin", "end"):
                env = _ENV_NAME.match(tex, match.end())
                if not env or env.group(1) not in MATH_ENVIRONMENTS:
                    return None
                if name == "begin":
                    envs.append(env.group(1))
                elif not envs or envs.pop() != env.group(1):
                    return None
                out.append(tok + env.group())
                pos = env.end()
                continue
            if name not in MATH_COMMANDS:
                return None
            lefts += name == "left"
            rights += name == "right"
            out.append(tok)
        elif tok.startswith("\\"):
            symbol = tok[1:]
            if symbol == "\\":
                if not envs:
                    return None
                out.append(tok)
            elif symbol in MATH_SYMBOLS:
                out.append(tok)
            else:
                return None
        elif tok == "^^":
            return None
        elif tok == "{":
            depth += 1
            out.append(tok)
        elif tok == "}":
            depth -= 1
            if depth < 0:
                return None
            out.append(tok)
        elif tok in "%#":
            out.append("\\" + tok)
        elif tok == "&":
            out.append(tok if envs else r"\&")
        elif tok == "$":
            return None
        elif tok in "\n\t\r":
            out.append(" ")
        elif ord(tok) < 32 or ord(tok) == 127:
            return None
        elif ord(tok) < 128:
            out.append(tok)
        elif tok in UNICODE_MATH:
            out.append(UNICODE_MATH[tok])
        else:
            return None
    if depth or envs or lefts != rights:
        return None
    return "".join(out).strip()


# --------------------------------------------------------------------------- prose


def split_prose(text: str) -> list[tuple[str, str]]:
    """Split prose into ``("text", s)``, ``("math", m)`` and ``("display", m)``
    pieces: ``$...$`` is inline math, ``$$...$$`` display math, ``\\$`` a
    literal dollar; an unmatched ``$`` is text."""
    pieces: list[tuple[str, str]] = []
    buf: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] == "$":
            buf.append("$")
            i += 2
            continue
        if ch == "$":
            display = text.startswith("$$", i)
            delim = "$$" if display else "$"
            end = text.find(delim, i + len(delim))
            while end != -1 and text[end - 1] == "\\":
                end = text.find(delim, end + 1)
            if end != -1 and text[i + len(delim):end].strip():
                if buf:
                    pieces.append(("text", "".join(buf)))
                    buf = []
                pieces.append(("display" if display else "math", text[i + len(delim):end].strip()))
                i = end + len(delim)
                continue
        buf.append(ch)
        i += 1
    if buf:
        pieces.append(("text", "".join(buf)))
    return pieces


def prose_latex(text: str, inline: bool = False) -> str:
    """Prose (plain text with ``$...$`` math) -> LaTeX text.

    inline: collapse whitespace (for a title, a table cell, a justification),
    and display math becomes inline math."""
    if inline:
        text = " ".join(text.split())
    out = []
    for kind, piece in split_prose(text):
        if kind == "text":
            out.append(escape_latex(piece))
            continue
        math = safe_math(piece)
        if math is None:
            delim = "$$" if kind == "display" else "$"
            out.append(escape_latex(delim + piece + delim))
        elif kind == "display" and not inline:
            out.append(r"\[" + math + r"\]")
        else:
            out.append("$" + math + "$")
    return "".join(out)


def math_text_latex(text: str) -> str:
    """Prose -> LaTeX *math* (for a justification inside an equation in
    Markdown, where ``\\text{}`` cannot nest dollars): text runs become
    ``\\text{...}``, math stays math. MathJax shows ``\\text`` content
    literally, so braces, backslashes and HTML characters go outside it."""
    out = []
    for kind, piece in split_prose(" ".join(text.split())):
        if kind != "text":
            math = safe_math(piece)
            if math is not None:
                out.append("{" + math + "}")
                continue
            piece = "$" + piece + "$"
        run: list[str] = []
        for ch in piece:
            if ch in _MATH_TEXT_SPECIALS:
                if run:
                    out.append(r"\text{" + "".join(run) + "}")
                    run = []
                out.append(_MATH_TEXT_SPECIALS[ch])
            elif ch in UNICODE_MATH or ord(ch) < 32 or ord(ch) == 127:
                if run:
                    out.append(r"\text{" + "".join(run) + "}")
                    run = []
                out.append(UNICODE_MATH.get(ch, ""))
            else:
                run.append(ch)
        if run:
            out.append(r"\text{" + "".join(run) + "}")
    return "".join(out)


_MATH_TEXT_SPECIALS = {
    "\\": r"\backslash ", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "%": r"\%", "#": r"\#",
    "_": r"\_", "^": r"\hat{}", "~": r"\sim ", "<": r"\lt ", ">": r"\gt ",
}


# --------------------------------------------------------------------------- markdown

#: Characters escaped with a backslash anywhere in Markdown text (CommonMark
#: allows a backslash before any ASCII punctuation): emphasis, code, links,
#: raw HTML, entities, tables, math, MyST roles, strikethrough.
MD_ALWAYS = frozenset("\\`*_{}[]<>#|$~&")
#: Escaped only as the first character of a line: lists, headings
#: (setext underlines), blockquotes, MyST colon fences.
MD_LINE_START = frozenset("-+=:>")
_MD_ORDERED = re.compile(r"^(\d+)([.)])")


def escape_md(text: str, line_start: bool = True) -> str:
    """Plain text -> CommonMark text that shows the same characters in
    Jupyter and MyST: specials escaped with a backslash, the indentation of
    each line removed (four spaces would start a code block), control
    characters dropped. line_start: whether ``text`` begins a line (false for
    the text after inline math)."""
    lines = []
    raw_lines = text.split("\n")
    for i, raw in enumerate(raw_lines):
        line = "".join(ch if ord(ch) >= 32 and ord(ch) != 127 else (" " if ch == "\t" else "")
                       for ch in raw)
        starts = i > 0 or line_start
        if starts:
            line = line.lstrip()
        if i < len(raw_lines) - 1:
            line = line.rstrip()  # two trailing spaces would be a hard line break
        out = "".join("\\" + ch if ch in MD_ALWAYS else ch for ch in line)
        ordered = _MD_ORDERED.match(out) if starts else None
        if ordered:
            out = ordered.group(1) + "\\" + ordered.group(2) + out[ordered.end():]
        elif starts and out[:1] in MD_LINE_START:
            out = "\\" + out
        lines.append(out)
    return "\n".join(lines)


def md_math(tex: str) -> str:
    """Our LaTeX math made safe for Markdown renderers that pass it to
    MathJax after an HTML step: ``<`` and ``>`` become ``\\lt``/``\\gt``."""
    return tex.replace("<", r"\lt ").replace(">", r"\gt ")


def prose_md(text: str, inline: bool = False) -> str:
    """Prose (plain text with ``$...$`` math) -> Markdown with ``$...$`` and
    ``$$...$$`` math (Jupyter, MyST's dollarmath)."""
    if inline:
        text = " ".join(text.split())
    out = []
    line_start = True
    for kind, piece in split_prose(text):
        if kind == "text":
            escaped = escape_md(piece, line_start)
            out.append(escaped.replace("\n", " ") if inline else escaped)
            line_start = False
            continue
        math = safe_math(piece)
        if math is None:
            delim = "$$" if kind == "display" else "$"
            out.append(escape_md(delim + piece + delim, line_start))
            line_start = False
        elif kind == "display" and not inline:
            out.append("\n$$\n" + md_math(math) + "\n$$\n")
            line_start = True
        else:
            out.append("$" + md_math(math) + "$")
            line_start = False
    return "".join(out)
