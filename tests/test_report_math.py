"""Issue 13: the LaTeX and PDF reports of ``derive check`` typeset the
student's lines the checker read, from our own printer's LaTeX of what it
read (``"math"`` of steps and answers, made in the worker by
:func:`engine.check.parsed.math_latex`), never from the student's LaTeX; a
line that was not read stays its escaped source.

The hostile submission puts TeX attacks where a line is read and where it is
not: no attack reaches the .tex, the PDF compiles, /etc/passwd is not in it.
"""
from __future__ import annotations

import copy
import re
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest
import sympy as sp

from engine.check import report as checkreport
from engine.check.parsed import MAX_MATH, math_latex
from engine.check.run import check_file
from engine.commands.check import public
from engine.math.texnames import dangerous
from engine.read import parse
from engine.render.escape import safe_math

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT.parent / "shared" / "submissions" / "sheet-a-ocr-example.md"
DATA = Path(__file__).resolve().parent / "data"
SECRET = "root:x:0:0"
#: The commands of the attacks below, as they would stand in a .tex that ran them.
COMMANDS = (r"\input", r"\write18", r"\catcode", r"\def\x", "^^5c", r"\newcommand", r"\verb", r"\immediate")

_REPORTS: dict[str, dict] = {}


def _report(path: Path, sheet: str) -> dict:
    """check_file of ``path``, once per test module (the checks take seconds)."""
    key = f"{path}:{sheet}"
    if key not in _REPORTS:
        _REPORTS[key] = check_file(path, sheet)
    return copy.deepcopy(_REPORTS[key])


def _read_lines(tex: str) -> dict[int, str]:
    """Line number -> the typeset math of that line in a LaTeX report."""
    return {int(m.group(1)): m.group(2) for m in re.finditer(r"^\\DeriveLine\{[^{}]*\}\{(\d+)\}\{\\DeriveRead\{(.*)\}\}$",
                                                             tex, re.M)}


def _escaped_lines(tex: str) -> dict[int, str]:
    """Line number -> the escaped text of each line of the report shown as written."""
    section = tex.split(r"\subsection*{The solution, line by line}", 1)[1]
    return {int(m.group(1)): m.group(2) for m in re.finditer(
        r"^\\DeriveLine\{[^{}]*\}\{(\d+)\}\{\\DeriveStudent\{(.*)\}\}$", section, re.M)}


def _pdftotext(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


needs_tex = pytest.mark.skipif(not shutil.which("latexmk") or not shutil.which("pdftotext"),
                               reason="latexmk or pdftotext missing")


# --------------------------------------------------------------------------- the printer of what was read


@pytest.mark.parametrize("source, expected", [
    ("0.699", "0.699"),
    ("-3663.5", "-3663.5"),
    ("x - 0.5", "x - 0.5"),
    (r"10^{-8}", "10^{-8}"),
    (r"1.38 \times 10^8", r"1.38 \cdot 10^{8}"),
    (r"\frac{a}{1-\beta}", r"\frac{a}{1 - \beta}"),
    (r"\bar{v}_3 \times \left(-\frac{v_1}{v_2^2} \right)", r"- \frac{\bar{v}_3 v_{1}}{v_{2}^{2}}"),
    (r"\frac{\partial (x^2)}{\partial x}", r"\frac{\partial \left(x^{2}\right)}{\partial x}"),
    (r"\frac{df}{dx}", r"\frac{d f}{d x}"),  # d as written, not \partial
    (r"(8 \times 1) + (6 \times 2) + (-2.05) \times (10)", r"8 \cdot 1 + 6 \cdot 2 - 2.05 \cdot 10"),
    (r"(3 \times 3 + 1) \times 64", r"\left(3 \cdot 3 + 1\right) \cdot 64"),
    # sums as written: not expanded, not collected, not reordered
    (r"2(a+b)", r"2 \left(a + b\right)"),
    (r"x + x", r"x + x"),
    (r"N_{-1} + N_3", r"N_{-1} + N_{3}"),
    (r"a - (b - c)", r"a - \left(b - c\right)"),
    (r"\frac{a}{y - t}", r"\frac{a}{y - t}"),
])
def test_math_latex_keeps_numbers_and_sums_as_written(source, expected):
    tex = math_latex(parse.parse_latex(source), source)
    assert tex == expected
    # every decimal written is typeset with its digits (the reference: the source itself)
    for number in re.findall(r"\d+\.\d+", source):
        assert number in tex and Fraction(number) == Fraction(re.search(re.escape(number), tex).group())


def test_math_latex_names_pass_the_whitelist():
    """Symbol names are data: a name outside the whitelist is rebuilt from its letters."""
    names = [r"\verb|x|", r"hat{\input{/etc/passwd}}", "^^5cinput", r"\def\x{}", r"\newcommand\x", r"x_{\write18{ls}}",
             r"\catcode`\@=11"]
    expr = sp.Add(*[sp.Symbol(n) for n in names])
    tex = math_latex(expr, "")
    assert tex is not None
    assert dangerous(tex) == [], dangerous(tex)
    assert not any(c in tex for c in COMMANDS)
    assert r"\mathrm{verbx}" in tex and r"\mathrm{hatinputetcpasswd}" in tex
    assert safe_math(tex) == tex


def test_math_latex_refuses_what_it_cannot_show_faithfully():
    long = sp.Add(*sp.symbols("x0:1500"))
    assert len(sp.latex(long)) > MAX_MATH and math_latex(long, "") is None  # too long: the source is shown
    assert math_latex(parse.parse_latex(r"\sum_j e^{z_j}"), r"\sum_j e^{z_j}") is None  # the parser's own index
    assert math_latex("x + 1", "x + 1") is None  # not a sympy expression
    assert math_latex(sp.Symbol(r"\text{\Pi}"), "") is None  # would not compile (a command in text mode)


# --------------------------------------------------------------------------- the real example


def test_example_report_typesets_the_lines_read():
    report = _report(EXAMPLE, "A")
    source_lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    tex = checkreport.render_latex(report)
    read = _read_lines(tex)
    # line 36: \hat{m}^1 = \frac{m^1}{1-\beta} = g^1, a fraction the checker read, typeset as one
    assert r"\frac{m^1}{1-\beta}" in source_lines[35]
    assert r"\frac{m_{1}}{1 - \beta}" in read[36]
    # line 14 (the forward trace): every decimal the student wrote is typeset with its digits
    decimals = re.findall(r"\d+\.\d+", source_lines[13])
    assert len(decimals) >= 6
    for number in decimals:
        assert re.search(r"(?<![\d.])%s(?![\d.])" % re.escape(number), read[14]), number
    assert r"\frac{N_{1}}{N_{2}}" in read[14]  # N_1 / N_2 typeset as a fraction
    # a prose line is never typeset: it stays its escaped text
    escaped = _escaped_lines(tex)
    assert escaped[20].startswith("We only need to do some simple calculation")
    # an answer's claim is typeset: adam.m_hat_1 wrote g^1, read as g_1
    assert re.search(r"adam.m\\_hat\\_1\}\}\n\\DeriveBeside\{correct: wrote \$g_\{1\}\$", tex)
    # everything typeset is our LaTeX and passes the whitelist unchanged
    for tex_line in read.values():
        assert safe_math(tex_line) == tex_line and not dangerous(tex_line)


def test_example_json_adds_math_and_keeps_every_key():
    report = _report(EXAMPLE, "A")
    out = public(report)
    assert "_line_math" not in out
    for answer in out["answers"]:
        assert {"id", "verdict", "claimed", "expected", "line", "diagnosis", "mistakes", "math"} <= set(answer)
        assert answer["math"] is None or (isinstance(answer["math"], str) and not dangerous(answer["math"]))
    for step in out["steps"]:
        assert set(step) == {"line", "source", "verdict", "detail", "math"}
        assert step["math"] is None or safe_math(step["math"]) == step["math"]
    typeset = [s for s in out["steps"] if s["math"]]
    assert len(typeset) >= len(out["steps"]) // 2
    # a step's math is its two sides joined by its relation, as in its source
    for s in typeset:
        relation = r"\approx" if r" \approx " in s["source"] else "="
        assert f" {relation} " in s["math"]


def test_other_formats_do_not_show_the_math():
    """Text and Markdown reports are the same with or without the "math" keys."""
    report = _report(EXAMPLE, "A")
    bare = copy.deepcopy(report)
    bare.pop("_line_math")
    for item in bare["answers"] + bare["steps"]:
        item.pop("math")
    assert checkreport.render_text(report) == checkreport.render_text(bare)
    assert checkreport.render_markdown(report) == checkreport.render_markdown(bare)
    # and the LaTeX report without them is the escaped report of before
    plain = checkreport.render_latex(bare)
    assert r"\DeriveRead{" not in plain.split(r"\begin{document}")[1]
    assert plain == checkreport.render_latex(report, math=False)


@needs_tex
def test_example_pdf_shows_the_typeset_lines(tmp_path):
    report = _report(EXAMPLE, "A")
    pdf = tmp_path / "report.pdf"
    checkreport.render_pdf(report, str(pdf))
    text = _pdftotext(pdf)
    # typeset: N_0^2 becomes "N0" with a raised 2 (pdftotext: "N02"), the source stays below in grey
    assert re.search(r"N1 = N02 = 25", text)
    assert "N_1 = N_0^2 &= 25" in text
    assert "We only need to do some simple calculation" in " ".join(text.split())


# --------------------------------------------------------------------------- hostile input


ATTACKS = (r"\input{/etc/passwd}", r"\write18{ls}", r"\catcode`\@=11", r"\def\x{}", "^^5cinput{/etc/passwd}",
           r"\newcommand\x{\input{/etc/passwd}}", r"\verb|x|", r"\immediate\write18{touch /tmp/derive-pwned}")


def _hostile(tmp_path: Path) -> Path:
    base = (DATA / "submissions" / "A-clean.md").read_text(encoding="utf-8")
    lines = [base, "", "## Notes"]
    for n, attack in enumerate(ATTACKS):
        lines += [f"$$v_{{{n % 7}}} = {attack}$$", "", f"$$ {attack} + x = 3 $$", "",
                  f"$$\\hat{{{attack}}}_{{{attack}}} = \\frac{{{attack}}}{{2}}$$", ""]
    lines += [r"$$\verb|x| = 2$$", "", r"$$w_{\verb|x|} = 0.5$$", ""]
    lines += ["$$y = " + " + ".join(f"x_{{{k}}}" for k in range(1400)) + "$$", ""]  # over 10,000 characters
    path = tmp_path / "hostile.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert len(lines[-2]) > 10_000
    return path


def test_hostile_submission_never_reaches_the_tex(tmp_path):
    path = _hostile(tmp_path)
    report = check_file(path, "A")
    tex = checkreport.render_latex(report)
    body = tex.split(r"\begin{document}", 1)[1]  # the preamble's own \newcommand and \usepackage aside
    for command in COMMANDS:
        assert command not in body, command
    clean = checkreport.render_latex(check_file(DATA / "submissions" / "A-clean.md", "A"))
    assert sorted(dangerous(tex)) == sorted(dangerous(clean))  # the preamble's own \usepackage only
    read = _read_lines(tex)
    assert read, "the clean part of the submission is typeset"
    for tex_line in read.values():
        assert safe_math(tex_line) == tex_line
    long_line = [t for t in _escaped_lines(tex).values() if t.startswith(r"\$\$y = x\_\{0\} + x\_\{1\}")]
    assert len(long_line) == 1 and long_line[0].endswith("...")  # the 10,000 characters: escaped and cut
    assert len(long_line[0]) < 1000
    for item in public(report)["answers"] + public(report)["steps"]:
        assert not item["math"] or not any(c in item["math"] for c in COMMANDS)


@needs_tex
def test_hostile_submission_compiles_inert(tmp_path):
    path = _hostile(tmp_path)
    pdf = tmp_path / "hostile.pdf"
    checkreport.render_pdf(check_file(path, "A"), str(pdf))
    text = _pdftotext(pdf)
    assert SECRET not in text
    assert "input{/etc/passwd}" in text and "write18{ls}" in text  # shown, as text
    assert not Path("/tmp/derive-pwned").exists()


def _tampered() -> dict:
    return {
        "sheet": "C",
        "answers": [{"id": "delta_rule.do_dnet", "verdict": "incorrect", "claimed": "o_1^2",
                     "expected": r"o_{1} \left(1 - o_{1}\right)", "line": 2, "diagnosis": "",
                     "math": r"\input{/etc/passwd}"}],
        "steps": [{"line": 2, "source": r"\frac{a}{b} = o_1^2", "verdict": "inconsistent", "detail": "no",
                   "math": r"\write18{ls}"}],
        "summary": {"submission": "s.md", "answers": {"correct": 0, "incorrect": 1, "missing": 0, "unparsed": 0},
                    "steps": {"consistent": 0, "inconsistent": 1, "unparsed": 0, "unchecked": 0},
                    "score": 0, "max_score": 1, "score_text": "0/1", "warnings": []},
        "lines": ["C2.", r"(a) $\frac{a}{b} = o_1^2$", "x"],
        "_line_math": {1: r"\def\x{y}", 2: r"\catcode`\@=11", 3: "^^5cinput"},
    }


def test_math_that_is_not_ours_is_never_typeset():
    """A report whose "math" was tampered with (say, read back from a file):
    whatever fails the whitelist is shown as the escaped source."""
    tex = checkreport.render_latex(_tampered())
    for command in COMMANDS:
        assert command not in tex.split(r"\begin{document}", 1)[1], command
    assert r"\DeriveRead{" not in tex.split(r"\begin{document}")[1]
    assert r"\textbackslash{}frac\{a\}\{b\}" in tex


@needs_tex
def test_math_that_does_not_compile_falls_back_to_the_source(tmp_path):
    report = _tampered()
    report["_line_math"] = {2: r"\frac{a}"}  # passes the whitelist, but TeX cannot typeset it
    assert r"\DeriveRead{\frac{a}}" in checkreport.render_latex(report)
    pdf = tmp_path / "fallback.pdf"
    checkreport.render_pdf(report, str(pdf))
    assert r"\frac{a}{b} = o_1^2" in _pdftotext(pdf)
