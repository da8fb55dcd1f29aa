"""Build a PDF from a LaTeX document with latexmk and pdflatex.

The build runs in a fresh temporary directory with shell escape off
(``-no-shell-escape``, and ``shell_escape=f`` in the environment), no
latexmkrc read (``-norc``), and kpathsea's ``openin_any=p`` /
``openout_any=p`` (no reading or writing outside the build directory and the
TeX tree): defence in depth behind the escaping of :mod:`engine.render.escape`.
Only the PDF is copied to the output path; on a failure the log is copied
next to it and the error names it with its first ``!`` line.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from engine.errors import BuildFailed, ToolMissing, UsageError

#: Debian packages that provide latexmk, pdflatex and the packages of the templates.
TEX_PACKAGES = "texlive-latex-base texlive-latex-recommended texlive-fonts-recommended latexmk lmodern"
#: Programs the build needs.
TOOLS = ("latexmk", "pdflatex")
#: Seconds before a hung build is stopped.
TIMEOUT = 600

#: latexmk's command line; ``%O %S`` are latexmk's options and source file.
LATEXMK = (
    "latexmk", "-norc", "-pdf", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error",
    "-pdflatex=pdflatex -no-shell-escape -interaction=nonstopmode -halt-on-error %O %S",
)


@dataclass(frozen=True)
class BuildResult:
    """What a build produced: the PDF's path, its page count, the seconds
    latexmk took, the overfull boxes the log reports (``Overfull \\hbox
    (12.3pt too wide) ...`` lines) and the boxes the templates scaled down to
    the line (``derive: scaled ...`` lines of ``\\DeriveFit``)."""

    path: Path
    pages: int
    seconds: float
    overfull: tuple[str, ...]
    scaled: tuple[str, ...] = ()


def check_tools() -> None:
    """Raise :class:`ToolMissing` (one line naming the Debian packages) when
    latexmk or pdflatex is not on PATH."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        raise ToolMissing(
            f"{' and '.join(missing)} not found; install the Debian packages: "
            f"sudo apt-get install {TEX_PACKAGES}"
        )


def first_error(log: str) -> str:
    """The first ``! ...`` line of a TeX log (with its ``l.N`` line number
    when the log gives one), or a fallback saying there was none."""
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("!"):
            where = next((m.group(0) for m in (re.match(r"l\.\d+", l) for l in lines[i + 1:i + 12]) if m), "")
            return line.strip() + (f" ({where})" if where else "")
    return "no '!' error line in the log"


def build_pdf(tex: str, output: Path | str, *, name: str = "solutions",
              progress: Callable[[str], None] | None = None) -> BuildResult:
    """Compile the LaTeX document ``tex`` and copy the PDF to ``output``.

    Raises ToolMissing when latexmk or pdflatex is missing, BuildFailed
    when pdflatex stops on an error (the log is kept as ``output`` with the
    suffix ``.log``; the message names it and quotes the first ``!`` line)."""
    check_tools()
    output = Path(output)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the directory {output.parent}: {exc.strerror}") from None
    env = {**os.environ, "shell_escape": "f", "openin_any": "p", "openout_any": "p"}
    with tempfile.TemporaryDirectory(prefix="derive-pdf-") as tmp:
        source = Path(tmp) / f"{name}.tex"
        source.write_text(tex, encoding="utf-8")
        if progress:
            progress(f"running latexmk (pdflatex) in {tmp}")
        start = time.perf_counter()
        try:
            proc = subprocess.run([*LATEXMK, source.name], cwd=tmp, env=env, stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            raise BuildFailed(f"latexmk did not finish in {TIMEOUT} s") from None
        seconds = time.perf_counter() - start
        log_path = Path(tmp) / f"{name}.log"
        log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else proc.stdout
        pdf = Path(tmp) / f"{name}.pdf"
        if proc.returncode != 0 or not pdf.exists():
            kept = output.with_suffix(".log")
            kept.write_text(log, encoding="utf-8")
            raise BuildFailed(f"pdflatex failed: {first_error(log)}; see the log {kept}")
        try:
            shutil.copyfile(pdf, output)
        except OSError as exc:
            raise UsageError(f"cannot write {output}: {exc.strerror}") from None
    pages = re.search(r"Output written on .*?\((\d+) pages?", log)
    overfull = tuple(m.group(0) for m in re.finditer(r"Overfull \\hbox \([^)]*\)[^\n]*", log))
    scaled = tuple(m.group(0) for m in re.finditer(r"derive: scaled [^\n]*", log))
    return BuildResult(output, int(pages.group(1)) if pages else 0, seconds, overfull, scaled)
