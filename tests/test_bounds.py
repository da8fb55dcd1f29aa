"""Issue 14, bounds: every reproducer of "Bounds" and "Errors" through the
real CLI in a subprocess. Each ends with one line on stderr and exit code 2
(or its report), within a CPU-time bound, its memory bounded (the peak
resident set of the command and its reaped workers, from ``wait4``)."""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.math.limits import check_size
from engine.errors import TooLarge

ROOT = Path(__file__).resolve().parents[1]
#: CPU seconds (command + workers) and peak RSS (MB) a refused input may take.
CPU_BOUND = 15.0
RSS_BOUND_MB = 1024




REFUSED = [
    ("trace", r"x^{x^{x^{x^{x}}}}", "--at", "x=10"),
    ("diff", r"x + (10^{9})!", "--wrt", "x", "--at", "x=1"),
    ("diff", r"x + \sum_{i=1}^{10^{9}} \sin(i)", "--wrt", "x", "--at", "x=1"),
    ("diff", r"\prod_{i=1}^{10^{12}} i"),
    ("trace", r"x + \prod_{i=1}^{10^{12}} i", "--at", "x=1"),
    ("diff", r"x (10^6)!", "--wrt", "x"),
    ("trace", r"x (10^6)!", "--at", "x=2"),
    ("diff", r"10^{5000} x", "--wrt", "x"),
    ("trace", r"10^{5000} x", "--at", "x=2"),
    ("diff", r"e^{e^{e^{e^{10}}}} x", "--wrt", "x"),
    ("trace", r"e^{e^{e^{e^{10}}}} x", "--at", "x=2"),
    ("diff", r"x^2", "--at", "x=1e999999999999"),
    ("trace", r"x^2", "--at", "x=1e999999999999"),
    ("show", "autodiff", "--set", "x=1e100000000"),
    ("diff", r"x \begin{pmatrix}1\\2\end{pmatrix}", "--wrt", "x"),
    ("show", "vgg16", "--set", "layers=" + "[" * 5000 + "]" * 5000),
    ("diff", r"\det\begin{bmatrix}" + r" \\ ".join(" & ".join(f"x^{{{(i * j) % 5}}} + {i + j}" for j in range(30))
                                                for i in range(30)) + r"\end{bmatrix}", "--wrt", "x"),  # took 91 s
]


@pytest.mark.parametrize("argv", REFUSED, ids=lambda a: " ".join(a)[:40])
def test_refused_quickly_with_one_line(argv):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "engine.cli", *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, stdin=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    assert proc.returncode == 2, (proc.stdout[-500:], proc.stderr[-500:])
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "internal error" not in proc.stderr and "failed verification" not in proc.stderr
    assert cpu < CPU_BOUND, (cpu, time.perf_counter() - start)
    assert after.ru_maxrss / 1024 < RSS_BOUND_MB


@pytest.mark.parametrize("text, point", [
    (r"x^{x^{x}}", {"x": 2}), (r"\frac{x^2}{\log x}", {"x": 3}), (r"x^2 + 10^{300}", None),
    (r"\sum_{i=1}^{100} x^i", None), (r"20! x", None),
])
def test_reasonable_sizes_pass(text, point):
    import sympy as sp
    from engine.read.parse import parse_latex

    expr = parse_latex(text)
    check_size(expr, {sp.Symbol(k): sp.Integer(v) for k, v in (point or {}).items()})


@pytest.mark.parametrize("text, point, words", [
    (r"x^{x^{x}}", {"x": 10}, "digits"), (r"x^{x^{x^{x^{x}}}}", None, "power tower of height 5"),
    (r"(10^{9}+3)!", None, "digits"), (r"\sum_{i=1}^{10^{9}} i", None, "terms"),
    (r"10^{5000}", None, "digits"), (r"e^{e^{e^{e^{10}}}}", None, "digits"),
])
def test_too_large_is_estimated_not_computed(text, point, words):
    import sympy as sp
    from engine.read.parse import parse_latex

    start = time.process_time()
    with pytest.raises(TooLarge, match=words):
        check_size(parse_latex(text), {sp.Symbol(k): sp.Integer(v) for k, v in (point or {}).items()})
    assert time.process_time() - start < 2.0


def test_a_fifo_given_to_check_does_not_hang(tmp_path):
    fifo = tmp_path / "solution.md"
    os.mkfifo(fifo)
    proc = subprocess.run([sys.executable, "-m", "engine.cli", "check", str(fifo), "--sheet", "A"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2
    assert proc.stderr == f"derive check: {fifo}: not a regular file (a pipe or a device); save it to a file, " \
                          "or give - for stdin\n"


def test_check_reads_stdin_with_dash():
    data = (ROOT / "tests" / "data" / "submissions" / "A-clean.md").read_bytes()
    proc = subprocess.run([sys.executable, "-m", "engine.cli", "check", "-", "--sheet", "A", "--format", "json"],
                          cwd=ROOT, capture_output=True, input=data, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert b'"submission": "<stdin>"' in proc.stdout


def test_thirty_huge_factorials_are_refused_quickly(tmp_path):
    """Issue 14: a 1.9 KB file of 30 lines like (10^9+k)! ran to the 300 s budget."""
    import json

    lines = ["1. (a) work"] + [f"$$ v_{k % 5} = (10^9+{k})! $$" for k in range(30)]
    path = tmp_path / "factorials.md"
    path.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([sys.executable, "-m", "engine.cli", "check", str(path), "--sheet", "A", "--format", "json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["summary"]["steps"]["unparsed"] == 30
    assert "digits" in proc.stdout
    assert (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime) < 30


def test_output_naming_the_submission_is_refused(tmp_path):
    path = tmp_path / "solution.md"
    original = (ROOT / "tests" / "data" / "submissions" / "A-clean.md").read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "engine.cli", "check", str(path), "--sheet", "A", "-o", str(path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2
    assert proc.stderr == f"derive check: -o {path} is the submission {path}; give another output path\n"
    assert path.read_text(encoding="utf-8") == original
