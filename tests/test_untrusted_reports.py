"""Issue 14, data: what a submission's name or text can do to a report.

summary.csv cells starting with = + - @ (or a tab, a carriage return) are
quoted as OWASP recommends (a leading '), and bidi or C1 control characters
(U+202E, U+009D) are shown as visible escapes in the text and Markdown
reports, where they could reorder what a grader reads."""
from __future__ import annotations

import csv
import json

import pytest

from engine import cli
from engine.check import report as checkreport
from engine.commands.check import spreadsheet_cell


@pytest.mark.parametrize("value, expected", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1+2", "'+1+2"), ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("plain.md", "plain.md"), (3, 3), (None, None),
])
def test_spreadsheet_cells(value, expected):
    assert spreadsheet_cell(value) == expected


def test_summary_csv_quotes_formula_file_names(tmp_path, capsys, monkeypatch):
    names = ["=cmd|' -C calc'!A0.md", "+1.md", "-1.md", "@x.md"]
    for name in names:
        (tmp_path / name).write_text("1. (a) $v_1 = 3$\n", encoding="utf-8")
    out = tmp_path / "out"
    monkeypatch.chdir(tmp_path)  # the names as given: "=cmd...md"
    assert cli.main(["check", "--sheet", "A", "-o", str(out), "--", *names]) == 0
    with open(out / "summary.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert sorted(row["submission"][:2] for row in rows) == ["'+", "'-", "'=", "'@"]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert len(summary) == len(names)


@pytest.mark.parametrize("char", ["\u202e", "\u009d", "\u2066", "\u200f", "\u009b"])
def test_bidi_and_c1_controls_are_visible(char, tmp_path, capsys):
    path = tmp_path / "s.md"
    path.write_text(f"1. (a) The answer {char}is reversed $v_1 = 3$\n", encoding="utf-8")
    for fmt in ("text", "md"):
        assert cli.main(["check", str(path), "--sheet", "A", "--format", fmt]) == 0
        out = capsys.readouterr().out
        assert char not in out
        assert f"<U+{ord(char):04X}>" in out


def test_visible():
    assert checkreport.visible("a\u202eb\u0085c") == "a<U+202E>b<U+0085>c"
    assert checkreport.visible("plain é ✓") == "plain é ✓"
