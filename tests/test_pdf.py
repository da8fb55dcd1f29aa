"""PDF builds with latexmk: the whole catalog, a fragment in a host
document, hostile text, and the errors (missing tools, a LaTeX failure).

The catalog's key answers are computed here independently (a plain loop over
VGG16's configuration D, mpmath's numerical derivative of f, the formula of
problems.md) and looked for in ``pdftotext`` of the PDF."""
from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import mpmath
import pytest

from engine.model import catalog
from engine.render import pdf
from engine.render import views as render
from engine.cli import main
from engine.errors import BuildFailed

from tests.test_render import DEMO

#: VGG16, configuration D of Simonyan & Zisserman (2015), Table 1.
VGG16_CONV = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
VGG16_FC = [4096, 4096, 1000]


def vgg16_counts() -> tuple[int, int, int]:
    """(receptive field, conv parameters, total parameters) by a plain loop."""
    r, j, channels, conv = 1, 1, 3, 0
    side = 224
    for layer in VGG16_CONV:
        if layer == "M":
            r, j, side = r + (2 - 1) * j, j * 2, side // 2
        else:
            r += (3 - 1) * j
            conv += (3 * 3 * channels + 1) * layer
            channels = layer
    fc, inputs = 0, side * side * channels
    for width in VGG16_FC:
        fc += (inputs + 1) * width
        inputs = width
    return r, conv, conv + fc


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture(scope="module")
def catalog_pdf(tmp_path_factory):
    """The whole catalog built once through the renderer and latexmk."""
    out = tmp_path_factory.mktemp("pdf") / "solutions.pdf"
    solutions = [p.solve() for p in catalog.available()]
    result = pdf.build_pdf(render.render_latex(solutions), out)
    return result, pdf_text(out)


def test_vgg16_reference_loop():
    # the published figure: 138M parameters (Simonyan & Zisserman 2015, Table 2)
    assert vgg16_counts() == (212, 14714688, 138357544)


def test_catalog_pdf_holds_the_key_answers(catalog_pdf):
    result, text = catalog_pdf
    flat = " ".join(text.split())
    receptive_field, conv, total = vgg16_counts()
    assert f"r = {receptive_field}" in flat
    assert f"= {conv:,}" in flat  # boxed integers are grouped in threes (138,357,544)
    assert f"P = {total:,}" in flat
    x0, c0 = 3, 5
    df_dx = mpmath.diff(lambda t: (t**2 / mpmath.log(t) + c0) * (t**2 / mpmath.log(t) - c0), x0)
    f = (mpmath.mpf(x0) ** 2 / mpmath.log(x0)) ** 2 - c0**2
    assert f"≈ {mpmath.nstr(df_dx, 6)}" in flat
    assert f"≈ {mpmath.nstr(f, 6)}" in flat
    beta1, beta2 = mpmath.mpf("0.9"), mpmath.mpf("0.999")
    coefficient = (beta2 - beta1) / ((1 + beta1) * (1 + beta2))
    assert f"≈ {mpmath.nstr(coefficient, 6)}" in flat


def test_catalog_pdf_holds_sheet_d_answers(catalog_pdf):
    """Sheet D values computed here: batch norm dL/dgamma = sum_i g_i xhat_i by a plain loop, the BCE loss
    by torch, He's std from torch.nn.init's gain and fan-in, Var[htilde] = h^2 (1 - q) / q at h = 2, q = 0.8."""
    import torch
    import torch.nn.functional as F

    _, text = catalog_pdf
    flat = " ".join(text.split())
    xs, gs = [1, 2, 4, 5], [0.5, -1, 0, 1]
    mean = sum(xs) / 4
    std = math.sqrt(sum((x - mean) ** 2 for x in xs) / 4)
    assert f"≈ {mpmath.nstr(mpmath.mpf(sum(g * (x - mean) / std for g, x in zip(gs, xs))), 6)}" in flat
    loss = F.binary_cross_entropy_with_logits(torch.tensor(0.1, dtype=torch.float64), torch.tensor(1.0,
                                                                                                   dtype=torch.float64))
    assert f"≈ {mpmath.nstr(mpmath.mpf(loss.item()), 6)}" in flat
    fan_in, _ = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(128, 256))
    assert f"≈ {mpmath.nstr(mpmath.mpf(torch.nn.init.calculate_gain('relu') / math.sqrt(fan_in)), 6)}" in flat
    assert "Var[h̃] = 1" in flat


def test_catalog_pdf_shows_every_problem_and_answer_id(catalog_pdf):
    result, text = catalog_pdf
    assert result.pages >= 2
    assert "Contents" in text
    for sheet in sorted({p.sheet for p in catalog.available()}):
        assert f"Sheet {sheet}" in text
    flat = " ".join(text.split())
    for problem in catalog.available():
        for answer_id in problem.answer_ids:
            assert answer_id in flat, answer_id


def test_catalog_pdf_has_no_overfull_lines(catalog_pdf):
    result, _ = catalog_pdf
    assert result.overfull == ()


def test_derive_pdf_command(tmp_path, capsys):
    out = tmp_path / "out" / "a.pdf"
    assert main(["pdf", "vgg16", "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"{out}\n"
    lines = captured.err.splitlines()
    assert lines[:2] == ["derive: solving vgg16 ...", lines[1]]
    assert lines[1].startswith("derive: solved vgg16 in ")
    assert lines[2].startswith("derive: running latexmk (pdflatex) in ")
    assert "138,357,544" in pdf_text(out)


def test_hostile_text_compiles_inert(tmp_path):
    secret = tmp_path / "secret.tex"
    secret.write_text("SECRETCONTENT")
    hostile = DEMO.solve()
    for part in hostile.parts:
        part.text(rf"read \input{{{secret}}} and $\input{{{secret}}}$ and \write18{{touch {tmp_path}/pwned}}")
    part.code(rf"\end{{DeriveCode}}\input{{{secret}}}")
    out = tmp_path / "hostile.pdf"
    pdf.build_pdf(render.render_latex([hostile]), out)
    text = pdf_text(out)
    assert "SECRETCONTENT" not in text
    assert rf"\input{{{secret}}}" in " ".join(text.split())
    assert not (tmp_path / "pwned").exists()


def test_fragment_compiles_in_a_host_document(tmp_path):
    """Only the packages the header names, a default article (OT1 fonts),
    and the fragment \\input twice (its \\providecommand are idempotent)."""
    (tmp_path / "demo.tex").write_text(render.render_fragment(DEMO.solve()))
    (tmp_path / "host.tex").write_text(
        "\\documentclass{article}\n"
        + "".join(f"\\usepackage{{{p}}}\n" for p in render.FRAGMENT_PACKAGES)
        + "\\begin{document}\n\\section{Course notes}\n\\input{demo}\n\\input{demo}\n\\end{document}\n"
    )
    proc = subprocess.run([*pdf.LATEXMK, "host.tex"], cwd=tmp_path, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True)
    assert proc.returncode == 0, pdf.first_error((tmp_path / "host.log").read_text())
    text = " ".join(pdf_text(tmp_path / "host.pdf").split())
    x0, c0 = 3, 5
    df_dx = mpmath.diff(lambda t: (t**2 / mpmath.log(t) + c0) * (t**2 / mpmath.log(t) - c0), x0)
    assert text.count(f"≈ {mpmath.nstr(df_dx, 6)}") == 2
    assert text.count("demo.why") == 2  # (OT1 draws \_ as a rule, which pdftotext cannot read)


def test_latex_failure_names_the_log_and_first_error(tmp_path):
    out = tmp_path / "broken.pdf"
    with pytest.raises(BuildFailed) as err:
        pdf.build_pdf("\\documentclass{article}\n\\begin{document}\n\\undefinedmacro\n\\end{document}\n", out)
    log = tmp_path / "broken.log"
    assert str(err.value) == f"pdflatex failed: ! Undefined control sequence. (l.3); see the log {log}"
    assert "! Undefined control sequence." in log.read_text()
    assert not out.exists()


def _path_with(tmp_path: Path, tools: tuple[str, ...]) -> str:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in tools:
        (bin_dir / tool).symlink_to(shutil.which(tool))
    return str(bin_dir)


@pytest.mark.parametrize(
    "tools, missing",
    [((), "latexmk and pdflatex"), (("pdflatex",), "latexmk"), (("latexmk",), "pdflatex")],
)
def test_missing_tools_exit_2_with_one_line(tmp_path, monkeypatch, capsys, tools, missing):
    monkeypatch.setenv("PATH", _path_with(tmp_path, tools))
    assert main(["pdf", "-o", str(tmp_path / "x.pdf")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"derive pdf: {missing} not found; install the Debian packages: sudo apt-get install "
        "texlive-latex-base texlive-latex-recommended texlive-fonts-recommended latexmk lmodern\n"
    )
    assert not (tmp_path / "x.pdf").exists()


def test_derive_pdf_reports_a_latex_failure_in_one_line(tmp_path, monkeypatch, capsys):
    broken = "\\documentclass{article}\n\\begin{document}\n\\undefinedmacro\n\\end{document}\n"
    monkeypatch.setattr(render, "render_latex", lambda solutions, labels=None: broken)
    out = tmp_path / "vgg16.pdf"
    assert main(["pdf", "vgg16", "-o", str(out)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == (f"derive pdf: pdflatex failed: ! Undefined control sequence. (l.3); "
                       f"see the log {tmp_path / 'vgg16.log'}")


def test_catalog_pdf_keeps_part_headings_with_what_follows(catalog_pdf):
    # no page ends with a part heading "(b) Forward pass" (the page number aside)
    import re

    _, text = catalog_pdf
    for number, page in enumerate(text.split("\f"), start=1):
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        if lines and lines[-1].isdigit():
            lines = lines[:-1]
        assert not (lines and re.fullmatch(r"\([a-h]\)\s+[A-Z].{0,60}", lines[-1])), (number, lines[-1])
