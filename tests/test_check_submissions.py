"""Whole submissions through ``derive check``: the synthetic ones of
tests/data/submissions (clean, noisy and wrong in known ways, for sheets A,
B and C; the expected verdict of every answer id is in the sidecar
``*.expected.json``, derived by hand from the problem statements), the real
OCR'd example of shared/submissions, the command line, and safety."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import re
import shutil
import time
from pathlib import Path

import pytest

from engine.check import run as check
from engine.sandbox import Pool

DATA = Path(__file__).resolve().parent / "data" / "submissions"
SIDECARS = sorted(DATA.glob("*.expected.json"))
EXAMPLE = Path(__file__).resolve().parent.parent.parent / "shared" / "submissions" / "sheet-a-ocr-example.md"


#: Submissions whose hand labels the reader does not reach yet, and why; strict, so an agreement is noticed.
#: D-noisy: three claims are plain OCR text outside $...$, which the reader does not take as claims
#: (``mu_B = (1+2+4+5)/4 = 3``: a value after an expression; ``$A = softmax(...)$ = [[0,4011, ...]]`` and
#: ``out = A V = [[0,8022, ...]]``: nested-list matrices with comma decimals); the checker reports them
#: "missing" (never wrong); its other 31 of 34 verdicts agree.
PENDING_READING = {
    "D-noisy": "plain-text claims outside math (mu_B = ... = 3, [[...]] matrices with comma decimals) are not read",
}


def _marks(sidecar: Path) -> list:
    name = sidecar.name.split(".")[0]
    if name in PENDING_READING:
        return [pytest.mark.xfail(strict=True, reason=f"{name}: {PENDING_READING[name]}")]
    return []


def _params(sidecars) -> list:
    return [pytest.param(p, id=p.name.split(".")[0], marks=_marks(p)) for p in sidecars]


@pytest.fixture(scope="module")
def pool():
    for sheet in sorted({json.loads(p.read_text())["sheet"] for p in SIDECARS} | set("ABC")):
        check.prepare(sheet)
    with Pool(1, memory_mb=check.MEMORY_MB, timeout=check.TIMEOUTS["chain"]) as p:
        yield p


_REPORTS: dict[str, dict] = {}


def report_of(path: Path, sheet: str, pool) -> dict:
    key = f"{path}:{sheet}"
    if key not in _REPORTS:
        _REPORTS[key] = check.check_file(path, sheet, pool=pool)
    return _REPORTS[key]


def _answers(report: dict) -> dict:
    return {a["id"]: a for a in report["answers"]}


# --------------------------------------------------------------------------- the synthetic submissions


@pytest.mark.parametrize("sidecar", _params(SIDECARS))
def test_every_answer_verdict(sidecar, pool):
    expected = json.loads(sidecar.read_text())
    submission = sidecar.with_name(sidecar.name.replace(".expected.json", ".md"))
    report = report_of(submission, expected["sheet"], pool)
    got = {a["id"]: a["verdict"] for a in report["answers"]}
    assert got == expected["answers"]


@pytest.mark.parametrize("sidecar", _params([p for p in SIDECARS if "diagnoses" in json.loads(p.read_text())]))
def test_every_diagnosis(sidecar, pool):
    expected = json.loads(sidecar.read_text())
    submission = sidecar.with_name(sidecar.name.replace(".expected.json", ".md"))
    answers = _answers(report_of(submission, expected["sheet"], pool))
    missing = {aid: phrase for aid, phrase in expected["diagnoses"].items()
               if phrase not in (answers[aid]["diagnosis"] or "")}
    assert missing == {}


@pytest.mark.parametrize("sidecar", [p for p in SIDECARS if json.loads(p.read_text()).get("no_inconsistent_steps")],
                         ids=lambda p: p.name.split(".")[0])
def test_right_work_has_no_inconsistent_step(sidecar, pool):
    expected = json.loads(sidecar.read_text())
    submission = sidecar.with_name(sidecar.name.replace(".expected.json", ".md"))
    report = report_of(submission, expected["sheet"], pool)
    assert [s for s in report["steps"] if s["verdict"] == "inconsistent"] == []
    assert [a for a in report["answers"] if a["verdict"] == "incorrect"] == []


def test_the_wrong_step_is_where_the_error_enters(pool):
    expected = json.loads((DATA / "A-wrong.expected.json").read_text())
    report = report_of(DATA / "A-wrong.md", "A", pool)
    bad = [(s["line"], s["source"]) for s in report["steps"] if s["verdict"] == "inconsistent"]
    for want in expected["inconsistent_steps"]:
        assert any(line == want["line"] and want["contains"] in source for line, source in bad), want
    # the trace after log base 10 is consistent with the student's own values
    after = [s for s in report["steps"] if 10 <= s["line"] <= 13]  # v_3 .. v_6, after v_2 = 0.4771 (line 9)
    assert after and all(s["verdict"] == "consistent" for s in after)


@pytest.mark.parametrize("sidecar", SIDECARS, ids=lambda p: p.name.split(".")[0])
def test_no_reason_names_an_exception(sidecar, pool):
    from bench.fuzz import CRASH_TEXT

    expected = json.loads(sidecar.read_text())
    submission = sidecar.with_name(sidecar.name.replace(".expected.json", ".md"))
    report = report_of(submission, expected["sheet"], pool)
    text = json.dumps({k: report[k] for k in ("answers", "steps", "summary")}, ensure_ascii=False)
    assert CRASH_TEXT.findall(text) == []


@pytest.mark.parametrize("sidecar", SIDECARS, ids=lambda p: p.name.split(".")[0])
def test_report_schema(sidecar, pool):
    expected = json.loads(sidecar.read_text())
    submission = sidecar.with_name(sidecar.name.replace(".expected.json", ".md"))
    report = report_of(submission, expected["sheet"], pool)
    from engine.check.reference import sheet_ref

    ids = [a["id"] for a in report["answers"]]
    assert ids == list(sheet_ref(expected["sheet"]).answers)  # every id once, in sheet order
    for a in report["answers"]:
        assert set(a) == {"id", "verdict", "claimed", "expected", "line", "diagnosis", "mistakes", "points", "max_points",
                          "credit", "math"}
        assert a["verdict"] in check.ANSWER_VERDICTS
        assert a["math"] is None or (isinstance(a["math"], str) and a["claimed"])  # the claim as read (issue 13)
        assert (a["claimed"] is None) == (a["verdict"] == "missing" and a["line"] is None) or a["verdict"] != "missing"
    for s in report["steps"]:
        assert set(s) == {"line", "source", "verdict", "detail", "math"}
        assert s["math"] is None or isinstance(s["math"], str)
        assert s["verdict"] in check.STEP_VERDICTS
        assert isinstance(s["line"], int) and s["detail"]
    assert report["summary"]["answers"] == {v: sum(a["verdict"] == v for a in report["answers"])
                                            for v in check.ANSWER_VERDICTS}


# --------------------------------------------------------------------------- the real example


@pytest.fixture(scope="module")
def example(pool):
    if not EXAMPLE.exists():
        pytest.fail(f"the shared example is missing: {EXAMPLE}")
    return report_of(EXAMPLE, "A", pool)


@pytest.mark.parametrize("answer_id, verdict, phrase", [
    ("vgg16.params_total", "correct", None),          # 138357544
    ("vgg16.params_conv", "correct", None),           # the struck-out term is not counted
    ("vgg16.params_fc", "correct", None),             # 123642856
    ("vgg16.conv_fc_ratio", "correct", None),         # 11.90 %
    ("vgg16.receptive_field", "incorrect", "taken as the input size"),  # "FOV is 224x224"
    ("autodiff.trace.v_-1", "incorrect", "inputs swapped"),             # c = 3
    ("autodiff.trace.v0", "incorrect", "inputs swapped"),               # x = 5
    ("autodiff.trace.v2", "incorrect", "log base 10"),                  # 0.699 = log10 5
    ("autodiff.trace.v3", "incorrect", "log base 10"),
    ("autodiff.adjoint.v6", "correct", None),
    ("autodiff.adjoint.v_-1", "incorrect", "inputs swapped"),           # -6 = -2 * 3
    ("adam.m_hat_1", "correct", None),                # g^1, beta for beta_1
    ("adam.v_hat_1", "correct", None),
    ("adam.m_hat_2", "correct", None),
    ("adam.v_hat_2", "correct", None),                # gamma for beta_2
    ("adam.warmup", "missing", None),                 # struck out
    ("adam.update_rule", "incorrect", "epsilon inside the square root"),
])
def test_example_answers(example, answer_id, verdict, phrase):
    answer = _answers(example)[answer_id]
    assert answer["verdict"] == verdict
    if phrase:
        assert phrase in answer["diagnosis"]


def test_example_steps_show_where_the_errors_enter(example):
    bad = {s["source"] for s in example["steps"] if s["verdict"] == "inconsistent"}
    assert {"c = 3", "x = 5", r"\log N_0 = 0.699"} <= bad
    carried = [s for s in example["steps"] if s["source"] == "N_1 / N_2 = 35.8"]
    assert carried and carried[0]["verdict"] == "consistent" and "student's own values" in carried[0]["detail"]


def test_example_no_correct_line_is_called_wrong(example):
    # lines a grader accepts: the VGG sums, the adjoint values from the student's own trace
    for s in example["steps"]:
        if s["line"] >= 73 or s["source"].startswith(r"\bar{v}_1 \cdot (2v_0)"):
            assert s["verdict"] != "inconsistent", s


# --------------------------------------------------------------------------- the command line


def test_cli_json_for_one_submission(derive):
    result = derive("check", str(DATA / "C-clean.md"), "--sheet", "C", "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["sheet"] == "C" and (report["summary"]["score"], report["summary"]["max_score"]) == (10, 10)


@pytest.mark.parametrize("args, message", [
    (["check", "no-such-file.md", "--sheet", "A"], "derive check: no-such-file.md: no such file\n"),
    (["check", "tests", "--sheet", "A"], "derive check: tests: is a directory, not a file\n"),
])
def test_cli_unreadable_file_exits_2(derive, args, message):
    result = derive(*args)
    assert result.returncode == 2
    assert result.stderr == message


def test_cli_bad_sheet_exits_2(derive):
    result = derive("check", str(DATA / "A-clean.md"), "--sheet", "Z")
    assert result.returncode == 2
    # the sheets are the catalog's (Problem.sheet), named in the one-line error
    assert result.stderr.startswith("derive check: unknown sheet 'Z'; use --sheet A, B")


def test_sheets_come_from_the_catalog():
    from engine.model import catalog

    expected: dict = {}
    for problem in catalog.available():
        expected.setdefault(problem.sheet, []).append(problem.id)
    assert {k: [p.id for p in v] for k, v in catalog.sheets().items()} == expected
    assert "D" in expected


def test_cli_wrong_answers_still_exit_0(derive):
    result = derive("check", str(DATA / "B-wrong.md"), "--sheet", "B")
    assert result.returncode == 0, result.stderr
    assert "✗" in result.stdout and "score" in result.stdout


def test_cli_many_submissions_write_a_summary(derive, tmp_path):
    files = [DATA / "C-clean.md", DATA / "C-wrong.md", DATA / "C-noisy.md"]
    result = derive("check", *map(str, files), "--sheet", "C", "--jobs", "2", "-o", str(tmp_path / "out"),
                    "--format", "md")
    assert result.returncode == 0, result.stderr
    assert "3/3" not in result.stderr  # no progress bar when stderr is not a terminal
    rows = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert [(r["score"], r["max_score"]) for r in rows] == [(10, 10), (2, 10), (5, 10)]
    csv_lines = (tmp_path / "out" / "summary.csv").read_text().splitlines()
    assert csv_lines[0].startswith("submission,score,max_score,") and len(csv_lines) == 4
    assert csv_lines[2].startswith(f"{files[1]},2,10,")
    assert (tmp_path / "out" / "C-wrong.md").read_text().startswith("# Check of")


# --------------------------------------------------------------------------- safety


HOSTILE = r"""1. (a)
$\input{/etc/hostname}$ and \input{/etc/hostname} \write18{touch %(canary)s}
$$v_1 = \write18{touch %(canary)s} 9$$
__import__('os').system('touch %(canary)s')  $eval("1")$  $\immediate\write18{ls}$
(b) $v_0 = x = 3$ ^^5cinput{/etc/hostname} $x^{9^{9^{9^{9}}}} = 1$
$$\frac{\frac{\frac{\frac{\frac{\frac{\frac{\frac{\frac{\frac{1}{2}}{2}}{2}}{2}}{2}}{2}}{2}}{2}}{2}}{2} = 0.0009765625$$
"""


@pytest.fixture
def hostile(tmp_path):
    canary = tmp_path / "pwned"
    path = tmp_path / "hostile.md"
    path.write_text(HOSTILE % {"canary": canary})
    return path, canary


def test_hostile_text_is_inert_in_every_format(hostile, pool, tmp_path):
    from engine.check import report as checkreport

    path, canary = hostile
    start = time.perf_counter()
    report = check.check_file(path, "A", pool=pool)
    assert time.perf_counter() - start < check.WALL_BACKSTOP
    tex = checkreport.render_latex(report)
    md = checkreport.render_markdown(report)
    text = checkreport.render_text(report, colour=False)
    assert r"\input{" not in tex and r"\write18" not in tex and "^^5c" not in tex
    assert r"\textbackslash{}input" in tex
    outside_code = re.sub(r"(`+)(?:(?!\1).)*\1", " ", md)  # the student's text stays in code spans
    assert not re.search(r"(?<!\\)\\(?:input|write18)", outside_code)  # only escaped, as text
    assert "\x1b" not in text
    assert not canary.exists()
    steps = {s["source"]: s["verdict"] for s in report["steps"]}
    assert steps.get("v_0 = x") == "consistent"


@pytest.mark.skipif(shutil.which("latexmk") is None, reason="latexmk is not installed")
def test_hostile_pdf_builds_without_shell_escape(hostile, pool, tmp_path):
    from engine.check import report as checkreport

    path, canary = hostile
    report = check.check_file(path, "A", pool=pool)
    result = checkreport.render_pdf(report, str(tmp_path / "hostile.pdf"))
    assert result.pages >= 1
    assert not canary.exists()
    import subprocess

    text = subprocess.run(["pdftotext", str(tmp_path / "hostile.pdf"), "-"], capture_output=True, text=True).stdout
    assert r"$\input{/etc/hostname}$" in text  # printed as the student wrote it, not run
    assert r"\write18{touch" in text
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else ""
    if hostname and hostname not in HOSTILE and len(hostname) > 3:
        assert hostname not in text


def test_a_huge_power_is_stopped_not_computed(pool):
    data = rb"(b) $v_1 = 9^{9^{9^{9}}} = 81$" + b"\n(c) $\\bar{v}_6 = 1$\n"
    start = time.perf_counter()
    report = check.check_bytes(data, "A", "huge.md", pool=pool)
    assert time.perf_counter() - start < 60
    step = next(s for s in report["steps"] if "9^{9^{9^{9}}}" in s["source"])
    assert step["verdict"] in ("unchecked", "unparsed", "inconsistent")
    assert _answers(report)["autodiff.adjoint.v6"]["verdict"] == "correct"


@pytest.mark.parametrize("data", [b"", b"\x00\x00\x00", b"\xff\xfe\xfd garbage \x80", b"$$" * 5000,
                                  ("\\frac{" * 300).encode(), b"}" * 10000])
def test_garbage_gives_a_report(pool, data):
    report = check.check_bytes(data, "B", "garbage.md", pool=pool)
    assert {a["verdict"] for a in report["answers"]} <= {"missing", "unparsed"}
    assert len(report["answers"]) == 15


def test_a_megabyte_submission_finishes(pool):
    line = b"(b) $y = 19.3$ noise noise noise $\\frac{1}{2}$ |||| \n"
    data = (line * (1_000_000 // len(line)))[:1_000_000]
    from engine.sandbox import cpu_seconds

    def cpu() -> float:  # this process and the pool's workers: CPU time, the same on a busy machine
        return time.process_time() + sum(cpu_seconds(pid) or 0.0 for pid in pool.pids())

    start = cpu()
    report = check.check_bytes(data, "B", "big.md", pool=pool, budget=20)
    assert cpu() - start < 60  # the CPU budget ends it; the rest is "unchecked"
    assert _answers(report)["cnn.y"]["verdict"] in ("correct", "unparsed")


def test_no_eval_on_student_text():
    engine = Path(__file__).resolve().parent.parent / "engine"
    mine = sorted((engine / "read").glob("*.py")) + sorted((engine / "check").glob("*.py")) + [
        engine / "commands" / "check.py"]
    assert len(mine) > 10
    for path in mine:
        name = path.name
        source = path.read_text()
        assert not re.search(r"\b(?:eval|exec|sympify|parse_expr)\(", source), name


def test_cli_progress_bar_only_on_a_terminal(tmp_path):
    import pty

    from conftest import ROOT

    master, slave = pty.openpty()
    files = [str(DATA / "C-clean.md"), str(DATA / "C-wrong.md")]
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "check", *files, "--sheet", "C", "--jobs", "2",
                             "-o", str(tmp_path / "out")], cwd=ROOT, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=300)
    os.close(master)
    terminal = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0
    assert "\r" in terminal and "0/2" in terminal and "2/2" in terminal and "left" in terminal


def test_example_answers_name_their_mistakes(example):
    """Each incorrect answer carries the names of the mistakes its diagnosis
    names, from the question module's table (and the generic log10/sign)."""
    from engine.check import diagnose
    from engine.model import catalog

    answers = _answers(example)
    assert answers["autodiff.trace.v_-1"]["mistakes"] == ["swap_inputs"]       # c = 3: x and c exchanged
    assert answers["autodiff.trace.v2"]["mistakes"] == ["swap_inputs", "log10"]  # log10 5 = 0.699
    assert answers["vgg16.params_total"]["mistakes"] == []                    # correct: none
    for a in example["answers"]:
        labels = {m.name: m.label for m in catalog.find_answer(a["id"]).checking.mistakes}
        labels.update({m.name: m.label for m in diagnose.GENERIC.values()})
        for name in a["mistakes"]:
            assert a["verdict"] == "incorrect" and labels[name] in a["diagnosis"]


def test_partial_credit_by_mistake_name_on_the_example(example):
    """A rubric giving half marks for the swapped inputs: only the answers that
    swap alone explains get it; a pair (swap, then log base 10) gets none."""
    import copy

    from engine.check import grading
    from engine.model.checking import Checking, Mistake
    from engine.model import catalog

    own = catalog.get("autodiff").checking.mistakes
    rubric = Checking(mistakes=tuple(Mistake(m.name, m.label, credit=0.5 if m.name == "swap_inputs" else 0)
                                     for m in own))
    report = copy.deepcopy(example)
    grading.grade(report, {"autodiff": rubric})
    answers = _answers(report)
    assert answers["autodiff.trace.v_-1"]["points"] == 0.5
    assert answers["autodiff.trace.v2"]["points"] == 0
    assert answers["vgg16.params_total"]["points"] == 1
