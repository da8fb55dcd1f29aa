"""Names printed into LaTeX: a symbol's or a function's name is data.

A name reaches LaTeX through sympy's printer (``Symbol(r"\\hat{m}_{t}")``
prints as ``\\hat{m}_{t}``), and the renderers pass that LaTeX on unescaped
(the ``ours`` filter). So every name is checked against a whitelist before
it is printed: letters, digits, primes, the Greek letters, the accents and
font commands we know, sub- and superscripts, balanced braces. A name that
passes is printed as written; any other name is rebuilt from its letters
and digits (``\\hat{\\input/etc/passwd\\relax}`` prints as
``\\mathrm{hatinputetcpasswdrelax}``), so nothing of it can read, write or
redefine anything.

:data:`DANGEROUS` finds the control sequences that must never reach a
document from outside (``\\input``, ``\\write18``, ``\\catcode``, ``^^5c``
...): the ``ours`` filter refuses LaTeX that contains one, and the tests
use it on every output. Only the standard library is imported here.
"""
from __future__ import annotations

import re

GREEK = frozenset("""
alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa varkappa lambda mu nu xi
omicron pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega
Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega
""".split())
ACCENTS = frozenset("hat widehat bar overline tilde widetilde vec dot ddot dddot ddddot check breve acute grave "
                    "mathring".split())
FONTS = frozenset("mathrm mathit mathbf mathsf mathtt mathcal mathbb mathscr mathfrak boldsymbol text textrm operatorname"
                  .split())
SYMBOLS = frozenset("prime ast star dagger ell hbar nabla partial infty top intercal cdot ldots langle rangle "
                    "frac dfrac tfrac sum prod sqrt left right log ln exp".split())
#: Control words a printed name may contain.
NAME_COMMANDS = GREEK | ACCENTS | FONTS | SYMBOLS

_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\^\^|[\s\S]")
_PLAIN = re.compile(r"[A-Za-z0-9 _^{}',.+\-*()\[\]|/=<>!:;]")

#: Control sequences that read or write files, run programs, redefine
#: anything or change how TeX reads its input; ``^^`` (hex escapes such as
#: ``^^5c``, a backslash) and ``\\begin{verbatim}`` included.
DANGEROUS = re.compile(
    r"\\(?:input|include|includeonly|InputIfFileExists|IfFileExists|openin|openout|read|readline|write|"
    r"immediate|closein|closeout|newwrite|newread|catcode|lccode|uccode|sfcode|mathcode|delcode|endlinechar|"
    r"escapechar|newlinechar|def|edef|gdef|xdef|let|futurelet|csname|endcsname|expandafter|noexpand|"
    r"newcommand|renewcommand|providecommand|DeclareRobustCommand|usepackage|RequirePackage|documentclass|"
    r"special|pdfprimitive|pdffiledump|pdffilesize|filemodtime|pdfshellescape|shellescape|ShellEscape|"
    r"directlua|luaexec|lstinputlisting|verbatiminput|verb|detokenize|scantokens|everyeof|everypar|"
    r"everymath|everyjob|jobname|afterassignment|aftergroup|loop|repeat|uppercase|lowercase|"
    r"makeatletter|makeatother|endinput|errmessage|tracingonline|batchmode|"
    r"nonstopmode|scrollmode|errorstopmode)(?![A-Za-z@])"
    r"|\\@+(?:input|include)|\^\^|\\begin\s*\{\s*(?:verbatim|filecontents|comment|lstlisting|minted)",
)


def is_safe_name(tex: str) -> bool:
    """True when ``tex`` (the LaTeX of one name) holds only whitelisted
    pieces: letters, digits, plain punctuation of names, the control words of
    :data:`NAME_COMMANDS`, ``\\,``, and balanced braces; no ``^^``."""
    depth = 0
    for match in _TOKEN.finditer(tex):
        tok = match.group()
        if tok.startswith("\\") and len(tok) > 1:
            if tok[1:] not in NAME_COMMANDS and tok not in ("\\,", "\\ ", "\\|"):
                return False
        elif tok == "^^":
            return False
        elif tok == "{":
            depth += 1
        elif tok == "}":
            depth -= 1
            if depth < 0:
                return False
        elif not _PLAIN.fullmatch(tok):
            return False
    return depth == 0


def rebuilt_name(tex: str) -> str:
    """A name that failed :func:`is_safe_name`, rebuilt from its ASCII
    letters and digits in upright type (``?`` when none are left)."""
    kept = "".join(ch for ch in tex if ch.isascii() and ch.isalnum())[:60]
    return r"\mathrm{%s}" % (kept or "?")


def safe_name(tex: str) -> str:
    """``tex`` when it is a safe name, else :func:`rebuilt_name` of it."""
    return tex if is_safe_name(tex) else rebuilt_name(tex)


def dangerous(tex: str) -> list[str]:
    """The dangerous control sequences in ``tex`` (empty when none)."""
    return [m.group() for m in DANGEROUS.finditer(tex)]
