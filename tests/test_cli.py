"""The ``derive`` command's contract: help, one-line errors with exit 2, JSON."""
import json
import re

import pytest

from tests.conftest import run_derive


def expand_ids(text: str) -> set[str]:
    """Answer ids of problems.md, with the sheet's '...' ranges written out."""
    prefixes = "autodiff|adam|vgg16|cnn|softmax|ce|autograd|delta_rule"
    ids = set(re.findall(rf"`((?:{prefixes})\.[A-Za-z_0-9.\-]+)`", text))
    ids = {i for i in ids if not i.endswith(".")}
    ids |= {f"autodiff.trace.v{i}" for i in range(0, 7)} | {"autodiff.trace.v_-1"}
    ids |= {f"autodiff.adjoint.v{i}" for i in range(0, 7)} | {"autodiff.adjoint.v_-1"}
    return ids


def test_every_answer_id_of_problems_md_is_in_the_json(shared_dir):
    expected = expand_ids((shared_dir / "problems.md").read_text())
    assert len(expected) > 60
    result = run_derive("answers", "--all", "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    produced = {a for problem in doc.values() for a in problem["answers"]}
    assert expected - produced == set()
    for problem in doc.values():
        for answer in problem["answers"].values():
            assert set(answer) == {"latex", "value", "text"}
            assert answer["value"] is not None or answer["text"] is not None or answer["latex"]


def test_help_lists_every_command():
    result = run_derive("--help")
    assert result.returncode == 0
    for command in ("list", "show", "answers", "render", "pdf", "diff", "trace", "check", "equiv"):
        assert re.search(rf"^\s+{command}\s", result.stdout, re.M), command


@pytest.mark.parametrize(
    "args, message",
    [
        (["show", "nope"], "derive show: unknown problem 'nope'; known problems: "),
        (["show", "autodiff", "--set", "x=abc"],
         "derive show: x='abc' is not a number; write a decimal like 0.9, 1e-8 or a fraction like 9/10"),
        (["show", "autodiff", "--set", "zeta=1"], "derive show: --set 'zeta=1': the selected problems have no parameter 'zeta'"),
        (["show", "autodiff", "--set", "x"], "derive show: --set 'x': write NAME=VALUE, e.g. --set x=2"),
        (["answers", "--format", "json"], "derive answers: name at least one problem id, or --all (see 'derive list')"),
        (["answers", "--all", "--format", "yaml"], "derive answers: error: argument --format: invalid choice"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message):
    result = run_derive(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(message)
    assert "Traceback" not in result.stderr


def test_set_moves_the_answers():
    base = json.loads(run_derive("answers", "autodiff", "--format", "json").stdout)["autodiff"]
    moved = json.loads(run_derive("answers", "autodiff", "--set", "x=2", "--set", "c=7", "--format", "json").stdout)["autodiff"]
    assert base["parameters"] == {"x": 3, "c": 5}
    assert moved["parameters"] == {"x": 2, "c": 7}
    assert moved["answers"]["autodiff.df_dx"]["value"] != base["answers"]["autodiff.df_dx"]["value"]
