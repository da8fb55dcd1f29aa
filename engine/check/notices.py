"""Warnings about a submission as a whole, before any step is checked.

* an empty file (nothing but white space): nothing to check;
* a paper of another sheet: its question headers (``C1.``, ``C2``) and the
  words that name the questions (each question module's
  ``Checking.title_words``) point to another sheet than ``--sheet``; the
  sheets and their questions come from :func:`engine.model.catalog.sheets`.

Each warning is one line; :mod:`engine.check.run` puts them in the report's
``summary.warnings`` (every report format shows them) and ``derive check``
prints them on stderr. Nothing here parses mathematics: only header letters
and keywords are counted, in bounded time (a regular expression per line).
"""
from __future__ import annotations

import re

from engine.model import catalog
from engine.read.layout import header_patterns
from engine.read.segments import MAX_BYTES

#: Votes another sheet needs, and its lead over the sheet given, before the warning.
MIN_VOTES = 2
#: Longest line looked at (characters); OCR noise can make very long lines.
MAX_LINE = 400


def evidence(text: str) -> dict[str, list[str]]:
    """Sheet letter -> what in the text names it (header letters, question words)."""
    found: dict[str, list[str]] = {}
    sheets = catalog.sheets()
    question_header, _ = header_patterns("".join(sheets))
    keywords = [(re.compile(p.checking.title_words), p.id, letter)
                for letter, problems in sheets.items() for p in problems if p.checking.title_words]
    seen: set[str] = set()
    for line in text.splitlines():
        line = line[:MAX_LINE]
        m = question_header.match(line)
        if m and m.group("sheet"):
            found.setdefault(m.group("sheet"), []).append(f"header {m.group('sheet')}{m.group('q')}")
        lower = line.lower()
        for pattern, problem, sheet in keywords:
            if problem in seen:
                continue
            hit = pattern.search(lower)
            if hit:
                seen.add(problem)
                found.setdefault(sheet, []).append(f"'{hit.group(0)}'")
    return found


def notices(data: bytes, sheet: str, answered: int | None = None) -> list[str]:
    """One-line warnings about ``data`` checked as ``sheet`` (empty list when none).
    ``answered``: how many answers of ``sheet`` the checker found (None: not known);
    with none found, one word of another sheet is enough for the warning."""
    text = data[:MAX_BYTES].decode("utf-8", "replace")
    if not text.replace("\ufeff", "").strip():
        return ["the file is empty: there is nothing to check"]
    sheet = sheet.upper()
    found = evidence(text)
    own = len(found.get(sheet, []))
    best = max((s for s in found if s != sheet), key=lambda s: len(found[s]), default=None)
    if best is None:
        return []
    votes = len(found[best])
    if votes >= MIN_VOTES and votes > 2 * own or answered == 0 and votes > own:
        named = ", ".join(dict.fromkeys(found[best]))
        return [f"this looks like a Sheet {best} paper ({named}), but it was checked as Sheet {sheet}: "
                f"is --sheet {sheet} right?"]
    return []
