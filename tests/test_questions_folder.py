"""A course's own questions: the README's example module, built from README.md
into a folder outside the repository, joins the catalog with ``--questions DIR``
(or ``DERIVE_QUESTIONS``) and is listed, shown, rendered and checked with no
change to engine/. The expected values are computed here by hand: f(x) = x^2 log x
has f'(x) = 2x log x + x (mpmath's derivative as the reference), and the mistake
d/dx log x = 1 gives 2x log x + x^2."""
from __future__ import annotations

import json
import re
from pathlib import Path

import mpmath
import pytest

ROOT = Path(__file__).resolve().parent.parent


def readme_example() -> str:
    """The module of README.md's "Writing a problem" (the block that starts
    with ``# questions/demo.py``)."""
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    examples = [b for b in blocks if b.startswith("# questions/demo.py")]
    assert len(examples) == 1, "README.md must show the example module once"
    return examples[0]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("questions")
    (path / "demo.py").write_text(readme_example(), encoding="utf-8")
    return path


def test_the_folder_question_is_listed_after_the_catalog(derive, folder):
    result = derive("list", "--questions", str(folder))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1].split() == ["demo", "X", "A", "demo"]
    assert [line.split()[0] for line in lines[:-1]] == [line.split()[0] for line in derive("list").stdout.splitlines()]


def test_show_solves_at_the_set_values(derive, folder):
    result = derive("show", "demo", "--questions", str(folder), "--set", "x=2")
    assert result.returncode == 0, result.stderr
    slope = float(result.stdout.split("demo.slope")[1].split()[0])
    assert slope == pytest.approx(float(mpmath.diff(lambda t: t**2 * mpmath.log(t), 2)), rel=1e-5)


def test_render_shows_the_verified_steps(derive, folder):
    result = derive("render", "demo", "--questions", str(folder), "--format", "md")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# X1 · A demo")
    assert r"\boxed{\frac{df}{dx} = 2 x \log x + x}" in result.stdout


def test_check_reads_the_question_by_its_own_names_and_mistakes(derive, folder, tmp_path):
    submission = tmp_path / "student.md"
    submission.write_text("# 1. Demo\n\n(a) $$\\frac{df}{dx} = 2x\\log x + x$$\n\n"
                          "(b) The slope is $f'(3) = 6\\log 3 + 9 \\approx 15.59$\n", encoding="utf-8")
    result = derive("check", str(submission), "--sheet", "X", "--format", "json",
                    env={"DERIVE_QUESTIONS": str(folder)})
    assert result.returncode == 0, result.stderr
    answers = {a["id"]: a for a in json.loads(result.stdout)["answers"]}
    assert answers["demo.df_dx"]["verdict"] == "correct"
    slope = answers["demo.slope"]
    assert slope["verdict"] == "incorrect"
    # 6 log 3 + 9 is f'(3) with d/dx log x = 1: the module's own mistake names it
    assert 6 * mpmath.log(3) + 9 != mpmath.diff(lambda t: t**2 * mpmath.log(t), 3)
    assert slope["diagnosis"] == "the derivative of log x taken as 1"


@pytest.mark.parametrize("source, phrase", [
    ('raise RuntimeError("boom")\n', "broken.py, line 1: the question module does not load: RuntimeError: boom"),
    ("x = (\n", "broken.py, line 1: the question module does not load: SyntaxError"),
    ("X = 1\n", "broken.py: a question module must define PROBLEM = Problem(...)"),
])
def test_a_broken_module_is_one_line_naming_the_file(derive, tmp_path, source, phrase):
    (tmp_path / "broken.py").write_text(source, encoding="utf-8")
    for args, env in ((("list", "--questions", str(tmp_path)), None), (("list",), {"DERIVE_QUESTIONS": str(tmp_path)})):
        result = derive(*args, env=env)
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert result.stderr.startswith(f"derive list: {tmp_path / 'broken.py'}".replace("broken.py", ""))
        assert phrase in result.stderr


def test_a_missing_folder_is_a_usage_error(derive, tmp_path):
    result = derive("list", "--questions", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert result.stderr == f"derive list: --questions {tmp_path / 'nowhere'}: not a directory of question modules\n"
