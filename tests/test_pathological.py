"""Pathological inputs through the real CLI (``derive equiv`` and ``derive
check`` in a subprocess): each is answered "undecided" (equiv) or
"unparsed"/"missing" (check) within its wall-time bound, the command exits
0 with its report, no process of its process group survives it, and its
memory stays bounded (the largest resident set of the command and its
reaped workers, from ``wait4``)."""
from __future__ import annotations

import json
import os
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Largest resident set allowed for the command or any of its workers, MB
#: (workers are limited to what they inherit + 1024 MB of address space).
MAX_RSS_MB = 2048


def _garbage(size: int) -> str:
    rng = random.Random(1)
    alphabet = "\\{}^_&$%#()[]|=+-*/.,;:!?~'\"0123456789abcxyzXYZ αβγ∂√≈→\t"
    return "".join(rng.choice(alphabet) for _ in range(size))


NESTED = r"\frac{1}{" * 500 + "1" + "}" * 500
GARBAGE = _garbage(1024 * 1024)

#: (id, reference, answer as text or bytes, wall-time bound in seconds)
PATHOLOGICAL = [
    ("power-tower-9", "1", r"9^{9^9}", 30),
    ("power-tower-5", "1", r"5^{5^{5^{5^5}}}", 30),
    ("cancelling-towers", "0", r"10^{10^{10}} - 10^{10^{10}}", 30),
    ("frac-nested-500", "1", NESTED, 30),
    ("garbage-1mb", "1", GARBAGE, 60),
    ("nul-bytes", "1", "x\x00\x00\x00y", 30),
    ("invalid-utf8", "1", b"\xff\xfe\xc3\x28\xa0\xa1", 30),
    ("empty", "1", "", 30),
]


def _group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes of process group ``pgid`` (from /proc)."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if fields and fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry))
    return members


#: Address space the whole command may use (its workers add their own
#: limit under it): a runaway computation fails instead of swapping the machine.
LIMIT_AS = 6 * 1024 ** 3


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_AS, LIMIT_AS))


def _run(args: list, stdin: bytes, bound: float):
    """Run ``derive ARGS`` in its own process group under :data:`LIMIT_AS`;
    (exit code, stdout, stderr, wall seconds, survivors of its group)."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", *args], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            preexec_fn=_limit)
    try:
        out, err = proc.communicate(stdin, timeout=bound)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"derive {' '.join(map(str, args))[:80]} took longer than {bound} s")
    seconds = time.perf_counter() - start
    time.sleep(0.2)  # let killed workers be reaped
    survivors = _group_members(proc.pid)
    for pid in survivors:  # never leave them behind, even when the test fails
        os.kill(pid, signal.SIGKILL)
    return proc.returncode, out, err, seconds, survivors


def _max_rss_mb(args: list, stdin: bytes) -> float:
    """The largest resident set of ``derive ARGS`` and its reaped workers, MB."""
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", *args], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                            preexec_fn=_limit)
    proc.stdin.write(stdin)
    proc.stdin.close()
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0  # reaped by wait4
    return usage.ru_maxrss / 1024


def _equiv_input(reference: str, answer) -> tuple[list, bytes]:
    """Arguments and stdin of ``derive equiv``: invalid UTF-8 goes through
    argv (decoded with surrogateescape), the rest as a --pairs line on stdin."""
    if isinstance(answer, bytes):
        return ["equiv", reference, os.fsdecode(answer), "--format", "json"], b""
    line = json.dumps({"reference": reference, "student": answer, "problem": None}) + "\n"
    return ["equiv", "--pairs", "-", "--jobs", "1"], line.encode()


@pytest.mark.parametrize("name, reference, answer, bound", PATHOLOGICAL, ids=[p[0] for p in PATHOLOGICAL])
def test_equiv_answers_undecided_within_bound(name, reference, answer, bound):
    args, stdin = _equiv_input(reference, answer)
    code, out, err, seconds, survivors = _run(args, stdin, bound)
    assert code == 0, err.decode(errors="replace")[-500:]
    assert b"Traceback" not in err
    lines = out.decode(errors="surrogateescape").splitlines()  # the reason may quote the invalid bytes
    assert len(lines) == 1
    verdict = json.loads(lines[0])
    assert verdict["verdict"] == "undecided", verdict
    assert seconds < bound
    assert survivors == []


def _submission(answer) -> bytes:
    """A sheet A submission whose v_1 of the primal trace is ``answer``."""
    body = answer.encode("utf-8", "surrogatepass") if isinstance(answer, str) else answer
    return (b"# Sheet A\n\n## 1. Automatic differentiation\n\n(b) Forward primal trace at $x = 3$, $c = 5$:\n\n"
            b"$$v_1 = v_0^2 = " + body + b"$$\n")


#: Whole files that are nothing but the pathological input.
FILES = [
    ("garbage-1mb", GARBAGE.encode(), 120),
    ("nul-bytes", b"\x00" * 4096, 60),
    ("invalid-utf8", b"\xff\xfe\xc3\x28" * 1000, 60),
    ("empty", b"", 60),
]


#: The inputs that, written as the last member of a chain, cannot be read or
#: evaluated (NUL bytes are removed and an empty member leaves v_0^2 = 9:
#: those are graded, as whole files they are below).
UNREADABLE = [p for p in PATHOLOGICAL if p[0] not in ("nul-bytes", "empty")]


@pytest.mark.parametrize("name, reference, answer, bound", UNREADABLE, ids=[p[0] for p in UNREADABLE])
def test_check_answer_is_unparsed_within_bound(tmp_path, name, reference, answer, bound):
    path = tmp_path / f"{name}.md"
    path.write_bytes(_submission(answer))
    code, out, err, seconds, survivors = _run(["check", str(path), "--sheet", "A", "--format", "json"], b"", 90)
    assert code == 0, err.decode(errors="replace")[-500:]
    assert b"Traceback" not in err
    report = json.loads(out)
    v1 = next(a for a in report["answers"] if a["id"] == "autodiff.trace.v1")
    assert v1["verdict"] == "unparsed", v1
    assert all(a["verdict"] in ("missing", "unparsed") for a in report["answers"]), report["summary"]
    assert seconds < 90
    assert survivors == []


@pytest.mark.parametrize("name, data, bound", FILES, ids=[f[0] for f in FILES])
def test_check_of_a_pathological_file_reports_nothing_graded(tmp_path, name, data, bound):
    path = tmp_path / f"{name}.md"
    path.write_bytes(data)
    code, out, err, seconds, survivors = _run(["check", str(path), "--sheet", "A", "--format", "json"], b"", bound)
    assert code == 0, err.decode(errors="replace")[-500:]
    assert b"Traceback" not in err
    report = json.loads(out)
    assert len(report["answers"]) == 39
    assert all(a["verdict"] in ("missing", "unparsed") for a in report["answers"]), report["summary"]
    assert seconds < bound
    assert survivors == []


@pytest.mark.parametrize("args, stdin", [
    (["equiv", "--pairs", "-", "--jobs", "1"],
     (json.dumps({"reference": "1", "student": r"9^{9^9}"}) + "\n" + json.dumps({"reference": "1", "student": GARBAGE})
      + "\n").encode()),
], ids=["equiv-tower-and-garbage"])
def test_memory_stays_bounded(args, stdin):
    assert _max_rss_mb(args, stdin) < MAX_RSS_MB


def test_a_killed_comparison_leaves_no_worker():
    # 1000000! takes seconds of C arithmetic: at the 1 s limit the worker is killed, reaped, and nothing survives
    code, out, err, seconds, survivors = _run(["equiv", "1", "1000000!", "--timeout", "1", "--format", "json"],
                                              b"", 30)
    assert code == 0
    verdict = json.loads(out)
    assert verdict == {"verdict": "undecided", "reason": "no decision within the time limit (1 s)",
                       "ms": verdict["ms"]}
    assert 1000 <= verdict["ms"] < 3000
    assert survivors == []


#: Fuzz findings that ended a whole batch or a worker: each gets its verdict line.
FUZZ_FINDINGS = [
    ("\n\\int\n\n\ud800**\n", "\U000f3477\x84o"),  # a lone surrogate (the JSON escape \ud800)
    (r"\operatorname{ReLU}(1, 2)", "1"),
    ("1", r"\text{sigmoid}(1,2)"),
    (r"\frac{999.0}{2,1}", r"$\sqrt{\begin{pmatrix}7.0 & 7e0 & 1.0 \times 10^{1}\end{pmatrix}}"),
    (r"|\sqrt{\begin{bmatrix}203.99999\end{bmatrix}}|", r"971.971\%"),
    (r"\sqrt{\sqrt{\lg(60e-19)}}", "4"),
    (r"\|\sqrt{0/0}\|_2", "1"),
    (r"|\sqrt{\sum_j \begin{pmatrix}6 & 66^{66^{66}}\end{pmatrix}}|", "{6}_{0}"),
]


def test_a_batch_of_fuzz_findings_gets_every_verdict():
    not_utf8 = b'{"reference": "1", "student": "\xff"}'
    stdin = b"".join((json.dumps({"reference": r, "student": s, "problem": None}) + "\n").encode()
                     for r, s in FUZZ_FINDINGS) + not_utf8 + b"\n"
    code, out, err, seconds, survivors = _run(["equiv", "--pairs", "-", "--jobs", "2"], stdin, 120)
    assert code == 0, err.decode(errors="replace")[-500:]
    assert err == b""
    results = [json.loads(line) for line in out.decode("utf-8").splitlines()]  # valid UTF-8, valid JSON
    assert len(results) == len(FUZZ_FINDINGS) + 1
    assert all(r["verdict"] == "undecided" and "internal error" not in r["reason"] for r in results), results
    assert results[-1]["reason"] == (f"line {len(FUZZ_FINDINGS) + 1}: not UTF-8 text "
                                     f"(byte {not_utf8.index(0xff) + 1} is 0xff)")
    assert survivors == []


def test_an_argument_that_is_not_utf8_is_escaped_in_text_output():
    code, out, err, seconds, survivors = _run(["equiv", os.fsdecode(b"x\xff"), "x"], b"", 30)
    assert code == 0, err.decode(errors="replace")[-500:]
    assert out.decode("utf-8").startswith(
        "undecided: the reference cannot be read: cannot read the expression near 'x\\udcff': I don't understand this")
