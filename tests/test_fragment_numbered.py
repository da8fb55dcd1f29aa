"""derive render --format fragment --numbered: problems as numbered subsections, in the contents."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from engine import cli
from engine.render.pdf import build_pdf


def _fragment(tmp_path, *extra: str) -> str:
    out = tmp_path / "vgg16.tex"
    assert cli.main(["render", "vgg16", "--format", "fragment", "-o", str(out), *extra]) == 0
    return out.read_text(encoding="utf-8")


def test_default_fragment_is_unnumbered(tmp_path):
    text = _fragment(tmp_path)
    assert r"\providecommand\DeriveProblem[3]{\subsection*{" in text
    assert r"{\subsection[" not in text


@pytest.mark.skipif(shutil.which("latexmk") is None, reason="latexmk is not installed (make test installs it)")
def test_numbered_fragment_is_listed_in_the_contents(tmp_path):
    text = _fragment(tmp_path, "--numbered")
    preamble = re.search(r"% Needs in the preamble: (.*)", text).group(1)
    document = (r"\documentclass{article}" + "\n" + preamble + "\n" + r"\begin{document}" + "\n"
                + r"\tableofcontents" + "\n" + r"\section{Solutions}" + "\n" + text + "\n" + r"\end{document}" + "\n")
    result = build_pdf(document, tmp_path / "notes.pdf", name="notes")
    assert result.pages >= 1
    pdf = subprocess.run(["pdftotext", "-layout", str(tmp_path / "notes.pdf"), "-"], check=True,
                         capture_output=True, text=True).stdout
    contents = pdf.split("Solutions", 2)
    assert re.search(r"1\.1\s+A3", contents[1]), contents[1][:300]  # the contents list 1.1 A3 ...
