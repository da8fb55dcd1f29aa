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


def test_show_prints_symbolic_answers_as_2d_unicode():
    result = run_derive("show", "adam")
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: i for i, line in enumerate(result.stdout.splitlines()) if line.startswith("  adam.")}
    block = result.stdout.splitlines()[lines["adam.ratio_2"]:lines["adam.ratio_2_series"]]
    text = "\n".join(block)
    assert "β₁⋅g₁ + g₂" in text and "╲╱" in text and "ε" in text  # a fraction over a root, Greek set
    assert "v̂ₜ" in result.stdout and "\\hat{v}" not in "\n".join(
        line for line in result.stdout.splitlines() if "$" not in line)  # accents shown, not LaTeX names


def test_show_vgg16_total_matches_a_plain_count():
    """Configuration D of Simonyan & Zisserman (2015), Table 1, counted by hand."""
    convs, channels = 0, 3
    for filters in (64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512):
        convs += (3 * 3 * channels + 1) * filters
        channels = filters
    fcs = (7 * 7 * 512 + 1) * 4096 + (4096 + 1) * 4096 + (4096 + 1) * 1000
    result = run_derive("show", "vgg16")
    assert result.returncode == 0, result.stderr
    shown = dict(line.split()[:2] for line in result.stdout.splitlines() if line.startswith("  vgg16."))
    assert shown["vgg16.params_conv"] == str(convs)
    assert shown["vgg16.params_total"] == str(convs + fcs)
