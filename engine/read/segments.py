"""Reading an OCR'd handwritten solution: lines, math rows, question segments.

A submission is Markdown with LaTeX as an OCR service writes it from a photo
of handwriting: ``$...$``, ``$$...$$``, ``\\[...\\]``, ``\\begin{aligned}``
rows, tables, struck-out text (``~~...~~``, ``\\cancel{...}``), and lines of
garbage. This module only cuts text: it never evaluates or parses the math
(that is :mod:`engine.read.parse`, run in a bounded worker by :mod:`engine.check.run`).

The result of :func:`read_submission` is a :class:`Submission`:

* ``lines``: the decoded lines, 1-based, as the student wrote them;
* ``rows``: every math row in reading order (one ``$...$`` fragment, or one
  row of an aligned environment), with its line number, the prose before it
  on the same line, the prose lines since the previous math (the context
  that names a quantity: "parameters in total ="), and the question and
  part it belongs to;
* ``prose``: the prose pieces (text outside math) with their segment, for
  claims written in words ("so the FOV is 224x224");
* ``segments``: the question/part headers found (``1. (a)``, ``Q3``,
  ``3 Receptive Field``, ``(b)``), mapped to the sheet's problems.

Robust to NUL bytes, invalid UTF-8 (decoded with U+FFFD), CR/LF, an empty
file and inputs up to :data:`MAX_BYTES`; every regular expression here is
linear (no nested quantifiers), so a hostile line cannot stall the reader.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from engine.read.layout import (  # noqa: F401 - match_header and table_rows_as_chains are read here
    Header, Questions, match_header, problem_from_title, sheet_letters, sheet_questions, table_rows_as_chains,
)
from engine.read import plaintext
from engine.read.tokens import STRUCK, skip_group

#: Largest submission read, in bytes (a photo's OCR is a few kB; 4 MB is
#: far beyond any real one and still read in well under a second).
MAX_BYTES = 4 * 1024 * 1024
#: Longest math fragment kept whole; longer ones are cut (and reported).
MAX_FRAGMENT = 20_000

# --------------------------------------------------------------------------- data


@dataclass
class MathRow:
    """One row of math: a ``$...$`` fragment or one row of an aligned block.

    line: 1-based line where the row starts; source: the LaTeX (alignment
    ``&`` removed, header stripped); display: from ``$$``/``\\[``/an
    environment; before: prose on the same line before the row (``parameters
    in total =``); context: prose lines since the previous math row;
    fragment: index of the ``$...$`` fragment (rows of one aligned block
    share it); row: the row's index in its fragment; question/part: the
    segment (None when no header came before); problem: the problem id of
    the segment; after_prose: True when prose (not only blank lines) lies
    between this row and the previous math row."""

    line: int
    source: str
    display: bool = False
    before: str = ""
    context: str = ""
    fragment: int = 0
    row: int = 0
    question: str | None = None
    part: str | None = None
    problem: str | None = None
    after_prose: bool = False
    truncated: bool = False


@dataclass
class Prose:
    """A run of text outside math on one line (struck-out text removed)."""

    line: int
    text: str
    question: str | None = None
    part: str | None = None
    problem: str | None = None


@dataclass
class Segment:
    """A question/part section: from its header line to the next header."""

    question: str | None
    part: str | None
    problem: str | None
    line: int
    title: str = ""


@dataclass
class Submission:
    """A decoded and segmented submission (see the module docstring)."""

    path: str
    sheet: str
    text: str
    lines: list[str]
    rows: list[MathRow] = field(default_factory=list)
    prose: list[Prose] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- reading


def decode(data: bytes) -> tuple[str, list[str]]:
    """Bytes -> text: UTF-8 (BOM dropped) with U+FFFD for invalid bytes, NUL
    bytes and other control characters removed, CR/LF normalised. Returns
    (text, warnings)."""
    warnings = []
    if len(data) > MAX_BYTES:
        warnings.append(f"the file is {len(data)} bytes; only the first {MAX_BYTES} were read")
        data = data[:MAX_BYTES]
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text = data.decode("utf-8", errors="replace")
    if "\ufffd" in text:
        warnings.append("invalid UTF-8 bytes were replaced by U+FFFD")
    if "\x00" in text:
        warnings.append("NUL bytes were removed")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text)
    return text, warnings


def read_submission(path: str | Path, sheet: str) -> Submission:
    """Read and segment the submission at ``path`` for ``sheet`` (a sheet of
    the catalog).

    Raises UsageError when the file cannot be read (missing, a directory,
    no permission) or the sheet is unknown."""
    sheet_questions(sheet)  # an unknown sheet: UsageError before the file is read
    from engine.read.inputs import read_bytes  # the one bounded read: opened once, regular files only

    return parse_submission(read_bytes(str(path), MAX_BYTES), sheet, str(path))


def parse_submission(data: bytes | str, sheet: str, path: str = "<text>",
                     questions: Questions | None = None) -> Submission:
    """Segment a submission given as bytes or text (see :func:`read_submission`).
    ``questions``: the sheet's questions (default: the catalog's)."""
    if isinstance(data, str):
        data = data.encode("utf-8", errors="replace")
    text, warnings = decode(data)
    sub = Submission(path=path, sheet=sheet.upper(), text=text, lines=text.split("\n"), warnings=warnings)
    _Segmenter(sub, tuple(questions) if questions is not None else sheet_questions(sheet), sheet_letters()).run()
    return sub


# --------------------------------------------------------------------------- struck-out text


#: Commands whose argument the student struck out (removed before reading).
STRIKE_COMMANDS = tuple(STRUCK)
_STRIKE = re.compile(r"\\(?:" + "|".join(STRIKE_COMMANDS) + r")\s*(?=\{)")
_MD_STRIKE = re.compile(r"~~[^~\n]*~~")


def remove_struck(text: str) -> str:
    """Drop struck-out text: ``~~...~~`` and ``\\cancel{...}`` (with its
    braces, nesting respected). ``\\cancelto{v}{x}`` keeps nothing either."""
    text = _MD_STRIKE.sub(" ", text)
    out = []
    pos = 0
    for m in _STRIKE.finditer(text):
        if m.start() < pos:
            continue
        out.append(text[pos:m.start()])
        end = m.end()
        n_args = STRUCK[m.group(0)[1:].strip()]
        for _ in range(n_args):
            end = skip_group(text, end)
        pos = end
    out.append(text[pos:])
    return "".join(out)


# --------------------------------------------------------------------------- math scanning

#: Environments that make display math on their own (outside ``$``).
MATH_ENVS = ("equation", "equation*", "align", "align*", "aligned", "gather", "gather*",
             "multline", "multline*", "eqnarray", "eqnarray*", "displaymath", "math")
#: Environments whose rows (``\\``) are separate lines of a derivation.
ROW_ENVS = ("aligned", "align", "align*", "alignat", "alignat*", "alignedat", "gathered", "gather",
            "gather*", "split", "eqnarray", "eqnarray*", "multline", "multline*", "flalign", "flalign*")

_BEGIN = re.compile(r"\\begin\s*\{([A-Za-z*]+)\}")
_END = re.compile(r"\\end\s*\{([A-Za-z*]+)\}")


@dataclass
class _Fragment:
    start: int  # offset in the text
    source: str
    display: bool
    truncated: bool = False


def scan_math(text: str) -> list[tuple[str, int, str, bool]]:
    """Split text into ("text"|"math", offset, content, display) pieces.

    Unterminated ``$$`` or ``\\[`` runs to the next blank line; an
    unterminated ``$`` is taken as text (OCR drops dollars more often than
    it adds them). Escaped ``\\$`` is text. Fenced code blocks are text."""
    pieces: list[tuple[str, int, str, bool]] = []
    i, n = 0, len(text)
    text_start = 0

    def flush_text(upto: int) -> None:
        if upto > text_start:
            pieces.append(("text", text_start, text[text_start:upto], False))

    while i < n:
        ch = text[i]
        if ch == "`" and text.startswith("```", i) and (i == 0 or text[i - 1] == "\n"):
            end = text.find("\n```", i + 3)
            i = n if end < 0 else end + 4
            continue
        if ch == "\\" and i + 1 < n:
            nxt = text[i + 1]
            if nxt in "[(":
                close = "\\]" if nxt == "[" else "\\)"
                end = _find_close(text, i + 2, close, stop_at_blank=True)
                flush_text(i)
                pieces.append(("math", i + 2, text[i + 2:end], nxt == "["))
                i = min(n, end + (2 if text.startswith(close, end) else 0))
                text_start = i
                continue
            m = _BEGIN.match(text, i)
            if m and m.group(1) in MATH_ENVS:
                end = _find_env_end(text, m.end(), m.group(1))
                flush_text(i)
                pieces.append(("math", i, text[i:end], True))
                i = end
                text_start = i
                continue
            i += 2
            continue
        if ch == "$":
            display = text.startswith("$$", i)
            width = 2 if display else 1
            if display:
                end = _find_close(text, i + 2, "$$", stop_at_blank=True)
                if not text.startswith("$$", end):
                    width_close = 0  # unclosed: the math ends at the blank line
                else:
                    width_close = 2
            else:
                end = _find_inline_dollar(text, i + 1)
                if end < 0:  # a lone dollar: text
                    i += 1
                    continue
            flush_text(i)
            pieces.append(("math", i + width, text[i + width:end], display))
            i = min(n, end + (width_close if display else width))
            text_start = i
            continue
        i += 1
    flush_text(n)
    return pieces


def _find_close(text: str, start: int, close: str, stop_at_blank: bool) -> int:
    end = text.find(close, start)
    if stop_at_blank:
        blank = text.find("\n\n", start)
        if blank >= 0 and (end < 0 or blank < end):
            return blank
    return len(text) if end < 0 else end


def _find_inline_dollar(text: str, start: int) -> int:
    """The closing ``$`` of inline math on the same line, -1 if none."""
    i = start
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "\n":
            return -1
        if ch == "$":
            return i
        i += 1
    return -1


def _find_env_end(text: str, start: int, name: str) -> int:
    depth = 1
    pattern = re.compile(r"\\(begin|end)\s*\{" + re.escape(name) + r"\}")
    for m in pattern.finditer(text, start):
        depth += 1 if m.group(1) == "begin" else -1
        if depth == 0:
            return m.end()
    return len(text)


def split_rows(source: str) -> list[tuple[int, str]]:
    """Rows of a math fragment: the rows of a top-level aligned environment
    (split at ``\\\\`` outside braces and nested environments, ``&`` removed),
    else the fragment itself. Returns (offset in source, row) pairs.

    >>> [r for _, r in split_rows(r"\\begin{aligned} a &= 1 \\\\ b &= \\begin{bmatrix}1\\\\2\\end{bmatrix}\\end{aligned}")]
    ['a = 1', 'b = \\\\begin{bmatrix}1\\\\\\\\2\\\\end{bmatrix}']
    """
    rows: list[tuple[int, str]] = []
    i, n = 0, len(source)
    depth = 0  # brace depth
    env_stack: list[str] = []
    row_start = 0
    row_env_depth = None  # env-stack depth of the row environment being split
    buf: list[str] = []
    while i < n:
        ch = source[i]
        if ch == "\\":
            m = _BEGIN.match(source, i)
            if m:
                env_stack.append(m.group(1))
                if m.group(1) in ROW_ENVS and row_env_depth is None and depth == 0:
                    row_env_depth = len(env_stack)
                    # text before the environment starts the first row
                    i = m.end()
                    if m.group(1).startswith("alignat") or m.group(1) == "alignedat":
                        i = skip_group(source, i)
                    row_start = i
                    continue
                buf.append(source[i:m.end()])
                i = m.end()
                continue
            m = _END.match(source, i)
            if m:
                if env_stack and row_env_depth == len(env_stack) and env_stack[-1] == m.group(1):
                    env_stack.pop()
                    rows.append((row_start, "".join(buf)))
                    buf = []
                    row_env_depth = None
                    i = m.end()
                    row_start = i
                    continue
                if env_stack:
                    env_stack.pop()
                buf.append(source[i:m.end()])
                i = m.end()
                continue
            if source.startswith("\\\\", i) and row_env_depth == len(env_stack) and depth == 0:
                rows.append((row_start, "".join(buf)))
                buf = []
                i += 2
                # an optional spacing argument \\[2pt]
                m2 = re.match(r"\s*\[[^\]\n]{0,12}\]", source[i:i + 16])
                if m2:
                    i += m2.end()
                row_start = i
                continue
            buf.append(source[i:i + 2])
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
        elif ch == "&" and row_env_depth == len(env_stack) and depth == 0:
            buf.append(" ")
            i += 1
            continue
        buf.append(ch)
        i += 1
    if buf or not rows:
        rows.append((row_start, "".join(buf)))
    cleaned = []
    for offset, row in rows:
        offset += len(row) - len(row.lstrip())  # the row starts at its first character, not its newline
        row = re.sub(r"\\(?:begin|end)\s*\{(?:equation|align|gather|multline|displaymath|math)\*?\}", " ", row)
        row = re.sub(r"\\(?:label|tag)\s*\{[^{}]*\}", " ", row)
        row = re.sub(r"\\(?:notag|nonumber)\b", " ", row)
        row = " ".join(row.split())
        row = re.sub(r"(?<![+\\])\+(?:\s*\+)+", "+", row)  # ``+ +`` left by a struck-out term
        if row:
            cleaned.append((offset, row))
    return cleaned


# --------------------------------------------------------------------------- segmenting


class _Segmenter:
    """Walks the pieces of a submission and assigns segments."""

    def __init__(self, sub: Submission, questions: tuple[tuple[str, str], ...], letters: str):
        self.sub = sub
        self.questions = tuple(pid for pid, _ in questions)
        self.titles = questions
        self.letters = letters
        self.question: str | None = None
        self.part: str | None = None
        self.problem: str | None = None
        self.context: list[str] = []
        self.saw_prose = False
        self.fragment = 0
        self.text = sub.text
        self.line_starts = [0]

    def line_of(self, offset: int) -> int:
        lo, hi = 0, len(self.line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    def run(self) -> None:
        # struck-out spans become blanks, a table row of a trace a chain and plain-text
        # math LaTeX: the line numbers stay the original's (offsets are of the rewritten text)
        text = plaintext.rewrite(table_rows_as_chains(_blank_struck(self.sub.text)))
        self.text = text
        starts = [0]
        for line in text.split("\n"):
            starts.append(starts[-1] + len(line) + 1)
        self.line_starts = starts
        pieces = scan_math(text)
        line_has_text_before: dict[int, str] = {}
        for kind, offset, content, display in pieces:
            if kind == "text":
                self._text(offset, content, line_has_text_before)
            else:
                line = self.line_of(offset)
                before = line_has_text_before.get(line, "")
                self._math(offset, content, display, before)
                line_has_text_before.pop(line, None)

    # .. prose
    def _text(self, offset: int, content: str, before_map: dict[int, str]) -> None:
        line = self.line_of(offset)
        parts = content.split("\n")
        for k, piece in enumerate(parts):
            ln = line + k
            starts_line = k > 0 or offset == self.line_starts[ln - 1] or not self.text[self.line_starts[ln - 1]:offset].strip()
            stripped = piece.strip()
            if not stripped:
                if k < len(parts) - 1:
                    before_map.pop(ln, None)
                continue
            if starts_line:
                header = match_header(stripped, self.letters)
                if header and self._header(header, ln, stripped):
                    stripped = stripped[header.length:].strip()
            if not stripped:
                continue
            self.sub.prose.append(Prose(ln, stripped, self.question, self.part, self.problem))
            self.context.append(stripped)
            self.context = self.context[-4:]
            self.saw_prose = True
            if k == len(parts) - 1:
                before_map[ln] = (before_map.get(ln, "") + " " + stripped).strip()
            else:
                before_map.pop(ln, None)

    def _header(self, header: Header, line: int, text: str) -> bool:
        """Apply a header; False when it is not believable (a number beyond
        the sheet with no title that names a problem)."""
        problem = None
        if header.question is not None:
            q = int(header.question)
            by_title = problem_from_title(text, self.titles)
            if 1 <= q <= len(self.questions):
                problem = self.questions[q - 1]
            elif by_title:
                problem = by_title
            else:
                return False
            self.question = header.question
            self.part = header.part
            self.problem = problem
        else:
            by_title = problem_from_title(text, self.titles)
            restart = self.part is not None and header.part is not None and header.part <= self.part
            if by_title and (self.problem is None or restart and by_title != self.problem):
                # ``(a) Definition of softmax`` after question 1's parts starts the softmax question
                self.problem = by_title
                if self.question is not None:
                    self.question = str(self.questions.index(by_title) + 1)
            self.part = header.part
        self.sub.segments.append(Segment(self.question, self.part, self.problem, line, header.title))
        self.context = []
        return True

    # .. math
    def _math(self, offset: int, content: str, display: bool, before: str) -> None:
        truncated = False
        if len(content) > MAX_FRAGMENT:
            content = content[:MAX_FRAGMENT]
            truncated = True
            self.sub.warnings.append(f"line {self.line_of(offset)}: a math fragment longer than "
                                     f"{MAX_FRAGMENT} characters was cut")
        self.fragment += 1
        first = True
        for row_offset, row in split_rows(content):
            line = self.line_of(offset + row_offset)
            row = unbox_relation(row)
            if first:
                header = match_header(row, self.letters)
                start_of_line = not before.strip()
                if header and (start_of_line or header.question is None and display):
                    if self._header(header, line, row):
                        row = row[header.length:].strip()
                        row = re.sub(r"^(?:\\quad|\\qquad|\\;|\\,|\\ |~)+", "", row).strip()
                        before = ""
            if not row:
                continue
            self.sub.rows.append(MathRow(
                line=line, source=row, display=display, before=before if first else "",
                context=" ".join(self.context), fragment=self.fragment, row=0 if first else 1,
                question=self.question, part=self.part, problem=self.problem,
                after_prose=self.saw_prose, truncated=truncated,
            ))
            first = False
            self.saw_prose = False
        self.context = []


_WHOLE_BOX = re.compile(r"\s*\\(?:boxed|fbox|underline)\s*\{(?P<inner>.*)\}\s*", re.S)


def unbox_relation(row: str) -> str:
    """``\\boxed{\\frac{\\partial f}{\\partial x} = 48.8}``: a box around a whole
    relation marks the answer; the relation is read without it (a box around
    one side stays, :mod:`engine.read.text` drops it there)."""
    m = _WHOLE_BOX.fullmatch(row)
    if not m or "=" not in m.group("inner"):
        return row
    depth = 0
    for ch in m.group("inner"):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return row  # ``\boxed{a} = \boxed{b}``: two boxes, not one
    return m.group("inner") if depth == 0 else row


def _blank_struck(text: str) -> str:
    """``text`` with struck-out spans replaced by spaces (newlines kept), so
    offsets and line numbers stay those of the original."""
    spans = []
    for m in _MD_STRIKE.finditer(text):
        spans.append((m.start(), m.end()))
    covered = 0  # a \cancel inside a struck span is already blank (and its scan would be quadratic)
    for m in _STRIKE.finditer(text):
        if m.start() < covered:
            continue
        end = m.end()
        n_args = STRUCK[m.group(0)[1:].strip()]
        for _ in range(n_args):
            end = skip_group(text, end)
        spans.append((m.start(), end))
        covered = end
    if not spans:
        return text
    chars = list(text)
    done = 0  # spans in order, each character blanked once
    for s, e in sorted(spans):
        for k in range(max(s, done), e):
            if chars[k] != "\n":
                chars[k] = " "
        done = max(done, e)
    return "".join(chars)
