"""Issue 14: TeX from outside never reaches a document unescaped.

Every payload of tests/data/tex-attacks.txt is put into every place a name
or text can go (bare, beside a variable, under an accent, in a subscript,
in ``\\text{}``, in ``\\operatorname{}``, in a student's prose and math) and
run through every output format of every command that takes outside input:
``diff``, ``trace`` (text, json, md, tex), ``equiv`` (text, json, --pairs),
``check`` (text, json, md, tex, pdf), ``show --set`` and ``render --set``.
No control sequence of :data:`engine.math.texnames.DANGEROUS` may appear in
an output more often than it does for a harmless input (the templates'
own preamble has ``\\usepackage``); the LaTeX outputs compile under
``pdflatex -no-shell-escape`` without reading any file outside the TeX tree
and the build directory (``-recorder``)."""
from __future__ import annotations

import collections
import contextlib
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from engine import cli
from engine.math.texnames import dangerous, is_safe_name, safe_name

DATA = Path(__file__).resolve().parent / "data"
ATTACKS = [line for line in (DATA / "tex-attacks.txt").read_text(encoding="utf-8").splitlines()
           if line.strip() and not line.startswith("#")]
#: Where a payload P goes in an expression.
CONTEXTS = ("{P}", "x + {P}", r"\hat{{{P}}} + x", "x_{{{P}}} + x", r"\text{{{P}}} x", r"\operatorname{{{P}}}(x)")
SECRET = "root:x:0:0"


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


def _excess(text: str, baseline: str) -> list[str]:
    """Dangerous sequences in ``text`` beyond those in ``baseline``."""
    found = collections.Counter(dangerous(text))
    allowed = collections.Counter(dangerous(baseline))
    return sorted((found - allowed).elements())


def test_the_corpus_has_at_least_50_attacks():
    assert len(ATTACKS) >= 50
    assert all(dangerous(a) or "\\" in a for a in ATTACKS)


@pytest.mark.parametrize("name, safe", [
    (r"\hat{m}_{t}", True), (r"\bar{v}_{-1}", True), (r"W^{(1)}_{11}", True), (r"\alpha'", True),
    (r"\text{net}_{o1}", True), (r"x^^5c", False), (r"hat{\input/etc/passwd\relax}", False),
    (r"\mathrm{\write18}", False), ("x}{", False), ("a%b", False), ("a#1", False),
])
def test_name_whitelist(name, safe):
    assert is_safe_name(name) is safe
    assert not dangerous(safe_name(name))
    assert is_safe_name(safe_name(name))


BASELINE: dict[tuple[str, str], str] = {}


def _baseline(command: str, fmt: str) -> str:
    if (command, fmt) not in BASELINE:
        argv = [command, "x^2 + 1", "--format", fmt] + (["--wrt", "x"] if command == "diff" else ["--at", "x=2"])
        code, out, _ = _run(argv)
        assert code == 0
        BASELINE[command, fmt] = out
    return BASELINE[command, fmt]


@pytest.mark.parametrize("command", ["diff", "trace"])
@pytest.mark.parametrize("attack", ATTACKS)
def test_expression_commands(command, attack, tmp_path):
    for context in CONTEXTS:
        expr = context.format(P=attack)
        for fmt in ("text", "tex") if context not in CONTEXTS[1:3] else ("text", "json", "md", "tex"):
            point = ["--wrt", "x"] if command == "diff" else ["--at", "x=2"]
            code, out, err = _run([command, expr, "--format", fmt, *point])
            assert code in (0, 2), (expr, fmt, err)
            assert len(err.strip().splitlines()) <= 1, err
            assert not _excess(out, _baseline(command, fmt)), (expr, fmt, _excess(out, _baseline(command, fmt)))
            if code == 0 and fmt == "tex":
                FRAGMENTS.append(out)


FRAGMENTS: list[str] = []


def test_equiv_single_and_pairs(tmp_path):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("".join(json.dumps({"reference": "x", "student": c.format(P=a)}) + "\n"
                             for a in ATTACKS for c in CONTEXTS[:3]), encoding="utf-8")
    code, out, err = _run(["equiv", "--pairs", str(pairs), "--jobs", "1"])
    assert code == 0, err
    verdicts = [json.loads(line) for line in out.splitlines()]
    assert len(verdicts) == len(ATTACKS) * 3
    for v in verdicts:  # a reason may quote the student's own text (plain text, never LaTeX)
        assert v["verdict"] in ("different", "undecided") and "\n" not in v["reason"], v
        assert not dangerous(json.dumps({k: x for k, x in v.items() if k != "reason"}))
    for attack in ATTACKS[:12]:
        code, out, err = _run(["equiv", "x", attack, "--format", "json"])
        assert code in (0, 2), err
        assert not out or json.loads(out)["verdict"] != "equal"


def test_show_and_render_set(tmp_path):
    for attack in ATTACKS:
        code, out, err = _run(["show", "autodiff", "--set", f"x={attack}"])
        assert code == 2 and len(err.strip().splitlines()) == 1, (attack, err)
        assert not out
    for attack in ATTACKS[:10]:
        code, out, err = _run(["render", "autodiff", "--format", "tex", "--set", f"c={attack}"])
        assert code == 2 and not out, err


def _submission() -> str:
    base = (DATA / "submissions" / "A-clean.md").read_text(encoding="utf-8")
    lines = [base, "", "## Notes"]
    for n, attack in enumerate(ATTACKS):
        lines.append(f"Note {n}: {attack} and $v_{{{n % 7}}} = {attack}$")
        lines.append(f"$$ {attack} = 3 $$")
    lines.append(r"(b) $v_1 = \hat{\input/etc/passwd\relax}$")
    return "\n".join(lines) + "\n"


def _md_math(md: str) -> str:
    """Markdown with ``^^`` outside math dropped: only MathJax/TeX reads it there."""
    pieces = re.split(r"(?<!\\)\$", md)
    return "$".join(p if i % 2 else p.replace("^^", "") for i, p in enumerate(pieces))


def test_check_every_format(tmp_path):
    path = tmp_path / "hostile.md"
    path.write_text(_submission(), encoding="utf-8")
    clean = DATA / "submissions" / "A-clean.md"
    for fmt in ("text", "json", "md", "tex"):
        code, out, err = _run(["check", str(path), "--sheet", "A", "--format", fmt])
        assert code == 0, err
        if fmt == "json":  # the student's lines are quoted as plain text; LaTeX fields are ours
            expected = [a.get("expected") or "" for a in json.loads(out)["answers"]]
            assert not dangerous(" ".join(map(str, expected)))
            read = [x["math"] or "" for x in json.loads(out)["answers"] + json.loads(out)["steps"]]
            assert not dangerous(" ".join(read))  # the lines as read: our printer's LaTeX
            continue
        if fmt == "text":  # a terminal shows the student's lines as written: one line each
            assert "hat{\\input/etc/passwd\\relax}" in out
            continue
        _, base, _ = _run(["check", str(clean), "--sheet", "A", "--format", fmt])
        if fmt == "md":  # code spans and escaped backslashes (\\input) are shown, not run
            out, base = (_md_math(re.sub(r"(`+).+?\1", "", t).replace("\\\\", "")) for t in (out, base))
        assert not _excess(out, base), (fmt, _excess(out, base))
    if not shutil.which("pdftotext") or not shutil.which("latexmk"):
        pytest.skip("poppler-utils or latexmk missing")
    pdf = tmp_path / "report.pdf"
    code, _, err = _run(["check", str(path), "--sheet", "A", "--format", "pdf", "-o", str(pdf)])
    assert code == 0, err
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert SECRET not in text
    assert "input" in text  # the payloads are shown, as text


def test_fragments_compile_without_reading_files(tmp_path):
    """The tex fragments of diff and trace (collected above) \\input into one
    plain document: pdflatex -no-shell-escape -recorder reads no file outside
    the TeX tree and the build directory, and /etc/passwd is not in the PDF."""
    if not FRAGMENTS:
        pytest.skip("run with test_expression_commands")
    if not shutil.which("pdflatex") or not shutil.which("pdftotext"):
        pytest.skip("pdflatex or pdftotext missing")
    names = []
    for i, fragment in enumerate(FRAGMENTS[:400]):
        (tmp_path / f"frag{i}.tex").write_text(fragment, encoding="utf-8")
        names.append(f"\\input{{frag{i}}}\n")
    doc = ("\\documentclass{article}\n\\usepackage{amsmath,amssymb,array,booktabs,graphicx,listings}\n"
           "\\begin{document}\n" + "".join(names) + "\\end{document}\n")
    (tmp_path / "main.tex").write_text(doc, encoding="utf-8")
    proc = subprocess.run(["pdflatex", "-no-shell-escape", "-recorder", "-interaction=nonstopmode", "main.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert (tmp_path / "main.pdf").exists(), proc.stdout[-2000:]
    read = [line.split(" ", 1)[1] for line in (tmp_path / "main.fls").read_text().splitlines()
            if line.startswith("INPUT ")]
    outside = [f for f in read if f.startswith("/") and not f.startswith(("/usr/share/tex", "/usr/share/texlive",
               "/var/lib/texmf", "/etc/texmf", "/usr/share/texmf", str(tmp_path)))]
    assert not outside, outside
    assert not Path("/tmp/derive-pwned").exists()
    text = subprocess.run(["pdftotext", str(tmp_path / "main.pdf"), "-"], capture_output=True, text=True).stdout
    assert SECRET not in text
