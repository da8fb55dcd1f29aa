"""Warnings about a whole submission: an empty file, a paper of another sheet."""
from __future__ import annotations

import pytest

from conftest import ROOT
from engine.check.notices import notices

DATA = ROOT / "tests" / "data" / "submissions"


@pytest.mark.parametrize("data", [b"", b"   \n\n\t\n", b"\xef\xbb\xbf\n"])
def test_empty_file(data):
    assert notices(data, "A") == ["the file is empty: there is nothing to check"]


@pytest.mark.parametrize("name, sheet", [("C-wrong.md", "C"), ("C-clean.md", "C"), ("B-clean.md", "B"),
                                         ("A-clean.md", "A"), ("A-wrong.md", "A")])
def test_a_paper_of_another_sheet(name, sheet):
    data = (DATA / name).read_bytes()
    assert notices(data, sheet) == []  # the right sheet: no warning
    others = [s for s in "ABC" if s != sheet]
    for other in others:
        [warning] = notices(data, other)
        assert warning.startswith(f"this looks like a Sheet {sheet} paper (")
        assert warning.endswith(f"but it was checked as Sheet {other}: is --sheet {other} right?")


def test_the_real_examples_get_no_warning_on_their_own_sheet(shared_dir):
    for letter in "abc":
        data = (shared_dir / "submissions" / f"sheet-{letter}-ocr-example.md").read_bytes()
        assert notices(data, letter.upper()) == []
    sheet_c = (shared_dir / "submissions" / "sheet-c-ocr-example.md").read_bytes()
    assert notices(sheet_c, "A") and notices(sheet_c, "A")[0].startswith("this looks like a Sheet C paper")


def test_one_word_is_not_enough_unless_nothing_was_answered():
    data = b"1. (a) We use softmax here.\n$y = 2$\n"
    assert notices(data, "A") == []
    assert notices(data, "A", answered=0)[0].startswith("this looks like a Sheet B paper ('softmax')")
    assert notices(data, "A", answered=3) == []


def test_cli_warns_in_the_report_and_on_stderr(derive, tmp_path):
    empty = tmp_path / "empty.md"
    empty.write_text("\n \n")
    result = derive("check", str(empty), "--sheet", "A")
    assert result.returncode == 0, result.stderr
    assert result.stderr == "derive check: empty.md: warning: the file is empty: there is nothing to check\n"
    assert result.stdout.splitlines()[2] == "warning: the file is empty: there is nothing to check"
    result = derive("check", str(DATA / "C-wrong.md"), "--sheet", "A", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert "warning: this looks like a Sheet C paper" in result.stderr
    import json

    assert json.loads(result.stdout)["summary"]["warnings"][0].startswith("this looks like a Sheet C paper")
