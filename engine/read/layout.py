"""The layout of a submission's page: question and part headers, trace tables.

A header (``1. (a)``, ``Q3``, ``A3``, ``3 Receptive Field``, ``(b)``) starts
a segment; :func:`match_header` finds one at the start of a line, with the
sheet letters of the catalog (``A3`` is question 3 when A is a sheet). A
header's title words name a question when its number is missing or off
(each question's ``Checking.title_words``). A row of an evaluation-trace
table is rewritten as a chain (:func:`table_rows_as_chains`). Every regular
expression here is linear (no nested quantifiers).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

#: The Markdown decoration before a header (``###``, ``**``) is matched
#: possessively (``*+``): a line of many ``#`` is read in linear time, not
#: split in every way before failing (catastrophic backtracking).
#: A question header at the start of a line (after Markdown decoration):
#: ``1.``, ``1)``, ``Q3``, ``Question 2:``, ``A3``, ``3 Receptive Field``,
#: ``3.(a)``, ``2a)``, ``2(c)``, ``Question 01``. Group ``q``: the number; ``part``: a part letter right after it.
_QUESTION_HEADER = (
    r"""^(?:\#{1,6}[ \t]*|\*\*|__|[ \t])*+            # markdown heading / bold
    (?:(?:(?:Solution|Sol\.?|Answer|Ans\.?)[ \t]*(?:to[ \t]+)?(?:Q(?:uestion)?\.?[ \t]*)?   # Solution to Q.2, Ans 2
         |Q\.?|Question|Problem|Exercise|Aufgabe|Task|Ex\.?|Nr\.?)[ \t]*0?   # Q.2, Question 01
        |(?P<sheet>[@SHEETS@])(?=\d))?
    (?P<q>[1-9])
    (?:
        (?P<part3>[a-h])\)(?=[ \t]|$)             # 2a)
      | \((?P<part4>[a-h])\)                      # 2(c)
      |
        [ \t]*[.):][ \t]*(?:\((?P<part1>[a-h])\)|(?P<part1b>[a-h])\))?(?![\d.,])
      | [ \t]+\((?P<part2>[a-h])\)
      | [ \t]+(?=[A-Z][a-z])                     # 3 Receptive Field
      | (?=\*\*|__|[ \t]*$)
    )"""
)
#: A question header written with its keyword (``Q3``, ``Question 3``) may
#: stand anywhere on its own short line; the bare forms need the line start.
_KEYWORD_HEADER = (r"^(?:\#{1,6}[ \t]*|\*\*|__|[ \t])*+(?:(?:(?:Solution|Sol\.?|Answer|Ans\.?)[ \t]*(?:to[ \t]+)?(?:Q(?:uestion)?\.?[ \t]*)?|Q\.?|Question|Problem|Exercise|Task|Aufgabe)[ \t]*0?"
                   r"|[@SHEETS@](?=\d)|[@SHEETS@][ \t]+(?=[1-9][.)]))"
                   r"(?P<q>[1-9])\b(?:\*\*|__)?")


@lru_cache(maxsize=None)
def header_patterns(letters: str) -> tuple[re.Pattern, re.Pattern]:
    """(QUESTION_HEADER, KEYWORD_HEADER) for the sheets ``letters`` (``"ABC"``):
    ``A3`` is question 3 when A is a sheet of the catalog."""
    letters = re.escape(letters) or "^\\s\\S"  # no sheet: a class that never matches
    return (re.compile(_QUESTION_HEADER.replace("@SHEETS@", letters), re.VERBOSE),
            re.compile(_KEYWORD_HEADER.replace("@SHEETS@", letters)))


def sheet_letters() -> str:
    """The sheet letters of the catalog (``engine.model.catalog``), in order."""
    from engine.model import catalog

    return "".join(catalog.sheets())
#: A part header at the start of a line: ``(b)``, ``b)``, ``**(c)**``, ``Part (d)``.
PART_HEADER = re.compile(
    r"^(?:\#{1,6}[ \t]*|\*\*|__|[ \t])*+(?:Part[ \t]*)?(?:\((?P<p1>[a-h]|iii|ii|iv|i|v)\)"
    r"|(?P<p2>[a-h]|iii|ii|iv|i|v)\)(?=[ \t]|$))"
)
#: Parts numbered in roman numerals: (i) is part (a).
ROMAN_PARTS = {"i": "a", "ii": "b", "iii": "c", "iv": "d", "v": "e"}


@dataclass(frozen=True)
class Header:
    """A header found at the start of a line (or of a math fragment).

    question: the number as written (``"3"``) or None; part: ``"a"`` or None;
    length: characters of the header, to strip from the line."""

    question: str | None
    part: str | None
    length: int
    title: str = ""


_ROMAN_HEADER = re.compile(r"^(?:\#{1,6}[ \t]*|\*\*|__|[ \t])*+(III|II|IV|I)\.[ \t]")
_ROMAN_NUMBERS = {"I": 1, "II": 2, "III": 3, "IV": 4}


def match_header(text: str, letters: str | None = None) -> Header | None:
    """The question/part header at the start of ``text``, or None.

    >>> match_header("3.(a) A perceptron in ...")
    Header(question='3', part='a', length=5, title='A perceptron in ...')
    >>> match_header("(b) Forward trace:").part
    'b'
    >>> match_header("3 x 3 x 64 + 1") is None
    True
    """
    roman = _ROMAN_HEADER.match(text)
    if roman:  # ``II.  delta rule``: question 2 (the header's length counted in the text as written)
        header = match_header(text[:roman.start(1)] + str(_ROMAN_NUMBERS[roman.group(1)]) + text[roman.end(1):], letters)
        return header and Header(header.question, header.part, header.length + len(roman.group(1)) - 1, header.title)
    question_header, keyword_header = header_patterns(sheet_letters() if letters is None else letters)
    keyword = keyword_header.match(text)
    m = question_header.match(text) or keyword
    if m:
        part = None
        for g in ("part1", "part1b", "part2", "part3", "part4"):
            if g in m.groupdict() and m.group(g):
                part = m.group(g)
        rest = text[m.end():]
        bold = re.match(r"(?:\*\*|__)", rest)
        if bold:
            rest = rest[bold.end():]
        # ``3 x 3`` or ``2 \times 2`` is arithmetic, not a header (``Problem 2 -- Adam`` is one)
        if not keyword and re.match(r"[ \t]*(?:x\b|X\b|\\times|\*|\+|-|=|\\cdot|×)", rest):
            return None
        pm = PART_HEADER.match(rest) if part is None else None
        length = m.end()
        if pm:
            part = _part_letter(pm.group("p1") or pm.group("p2"))
            length += pm.end()
        return Header(m.group("q"), part, length, _clean_title(text[length:]))
    m = PART_HEADER.match(text)
    if m:
        return Header(None, _part_letter(m.group("p1") or m.group("p2")), m.end(), _clean_title(text[m.end():]))
    return None


def _part_letter(label: str) -> str:
    """A part label as a letter: ``b`` stays, roman ``ii`` is ``b`` (a
    one-letter ``i`` or ``v`` is taken as roman: sheets have parts a-e)."""
    return ROMAN_PARTS.get(label, label)


def _clean_title(rest: str) -> str:
    return rest.strip().strip("*_#").strip()[:120]


#: A sheet's questions for the reader: (problem id, title words) in order,
#: question 1 first (``Checking.title_words``: a regular expression searched
#: in a lower-cased header).
Questions = Sequence[tuple[str, str]]


def sheet_questions(sheet: str) -> tuple[tuple[str, str], ...]:
    """The questions of ``sheet`` in the catalog, as the reader needs them.
    Raises UsageError naming the known sheets for an unknown one."""
    from engine.model import catalog

    return tuple((p.id, p.checking.title_words) for p in catalog.sheet(sheet))


#: A Markdown table row and its cells.
_TABLE_ROW = re.compile(r"[ \t]*\|(?P<cells>[^\n]*)\|[ \t]*")
_MATH_CELL = re.compile(r"\$(?P<math>[^$=]+)\$")
_NUMBER_CELL = re.compile(r"[-+]?\d[\d.,]*")


def table_rows_as_chains(text: str) -> str:
    r"""A row of an evaluation-trace table, ``| $v_1$ | $v_0^2$ | 9 |`` (name,
    definition, value; Baydin et al. 2018, Table 2) or ``| $\bar v_3$ | 16.38 |``,
    rewritten as the chain ``$$v_1 = v_0^2 = 9$$`` on the same line. Only rows of
    two or three cells whose first cell is math, whose middle cell is math and
    whose last is math or a number, none holding ``=``: a header row (words),
    a per-layer row (``| conv1_1 | 1792 |``) or a wider table stays as it is."""
    lines = text.split("\n")
    for k, line in enumerate(lines):
        m = _TABLE_ROW.fullmatch(line)
        if not m:
            continue
        cells = [c.strip() for c in m.group("cells").split("|")]
        if not 2 <= len(cells) <= 3:
            continue
        math = [_MATH_CELL.fullmatch(c) for c in cells]
        last = cells[-1]
        if not (math[0] and all(math[1:-1]) and (math[-1] or _NUMBER_CELL.fullmatch(last))):
            continue
        parts = [mm.group("math").strip() for mm in math[:-1]] + [math[-1].group("math").strip() if math[-1] else last]
        lines[k] = "$$" + " = ".join(parts) + "$$"
    return "\n".join(lines)


def problem_from_title(text: str, questions: Questions) -> str | None:
    """The question whose title words occur in a header ``text`` (the first
    of the sheet's questions that matches), or None."""
    low = text.lower()
    for problem, pattern in questions:
        if pattern and re.search(pattern, low):
            return problem
    return None
