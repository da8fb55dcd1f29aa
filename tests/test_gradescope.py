"""Gradescope: ``--format gradescope`` and the autograder bundle, validated against
a JSON Schema written from Gradescope's documented specification
(tests/data/gradescope-results.schema.json; source named in the schema)."""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

from conftest import ROOT, SHARED

SCHEMA = json.loads((ROOT / "tests" / "data" / "gradescope-results.schema.json").read_text())
DATA = ROOT / "tests" / "data" / "submissions"
SHEET_PROBLEMS = {"A": ("autodiff", "adam", "vgg16"), "B": ("cnn", "softmax"), "C": ("autograd", "delta_rule")}


def _answer_ids(sheet: str) -> list[str]:
    from engine.model import catalog

    return [i for p in SHEET_PROBLEMS[sheet] for i in catalog.get(p).answer_ids]


def _validate(results: dict) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.Draft202012Validator(SCHEMA).validate(results)


def test_schema_rejects_what_the_specification_does_not_allow():
    validator = jsonschema.Draft202012Validator(SCHEMA)
    assert validator.is_valid({"score": 1, "tests": [{"name": "a", "score": 1, "max_score": 1}]})
    assert validator.is_valid({"tests": [{"score": 1}]})
    assert not validator.is_valid({"tests": [{"max_score": 1}]})  # no score anywhere
    assert not validator.is_valid({"score": "6/10"})
    assert not validator.is_valid({"score": 1, "visibility": "students"})
    assert not validator.is_valid({"score": 1, "tests": [{"score": 1, "status": "ok"}]})
    assert not validator.is_valid({"score": 1, "output_format": "latex"})
    assert not validator.is_valid({"score": 1, "points": 3})


def test_format_gradescope_for_one_submission(derive):
    result = derive("check", str(DATA / "C-wrong.md"), "--sheet", "C", "--format", "gradescope")
    assert result.returncode == 0, result.stderr
    results = json.loads(result.stdout)
    _validate(results)
    tests = results["tests"]
    assert [t["name"] for t in tests] == _answer_ids("C")
    assert all(t["visibility"] == "visible" and t["max_score"] == 1 for t in tests)
    # one point per passed answer (the default rubric), and the total is their sum
    assert results["score"] == sum(t["score"] for t in tests) == sum(t["status"] == "passed" for t in tests)
    assert 0 < results["score"] < len(tests)
    failed = [t for t in tests if t["status"] == "failed"]
    assert all(t["output"].split(":")[0] in ("incorrect", "missing", "unparsed") for t in failed)


def _gradescope_layout(tmp_path: Path, bundle: Path) -> Path:
    """/autograder as Gradescope lays it out: source/ (the zip extracted), run_autograder
    copied beside it, submission/ and results/."""
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    (root / "results").mkdir()
    return root


def _shim(tmp_path: Path) -> dict:
    """A ``derive`` on PATH: this tree's code in the test's Python (instead of setup.sh's venv)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "derive"
    shim.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m engine.cli "$@"\n')
    shim.chmod(0o755)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    result = subprocess.run([sys.executable, "-m", "engine.cli", "gradescope", "--sheet", "A", "-o", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return out


def test_bundle_has_the_files_gradescope_needs(bundle):
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
        setup = zf.read("setup.sh").decode()
        run = zf.read("run_autograder").decode()
    assert {"setup.sh", "run_autograder", "derive/pyproject.toml", "derive/engine/cli.py",
            "derive/derivations/autodiff.py", "derive/templates/report.md.j2"} <= names
    assert not any("__pycache__" in n or n.startswith("derive/tests/") for n in names)
    assert modes["run_autograder"] & stat.S_IXUSR and modes["setup.sh"] & stat.S_IXUSR
    assert setup.startswith("#!/usr/bin/env bash") and "pip install" in setup and "/autograder/source/derive" in setup
    assert run.startswith("#!/usr/bin/env bash") and "--sheet A" in run
    assert subprocess.run(["bash", "-n", "-c", setup]).returncode == 0
    assert subprocess.run(["bash", "-n", "-c", run]).returncode == 0


def _run_autograder(root: Path, env: dict) -> subprocess.CompletedProcess:
    full = dict(os.environ, DERIVE_AUTOGRADER_ROOT=str(root), **env)
    return subprocess.run([str(root / "run_autograder")], cwd=root, capture_output=True, text=True,
                          timeout=600, env=full)


@pytest.mark.parametrize("letter", ["a", "b", "c"])
def test_bundle_runs_on_the_real_examples(tmp_path, letter, shared_dir):
    sheet = letter.upper()
    out = tmp_path / "autograder.zip"
    made = subprocess.run([sys.executable, "-m", "engine.cli", "gradescope", "--sheet", sheet, "-o", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    root = _gradescope_layout(tmp_path, out)
    (root / "submission").mkdir()
    source = shared_dir / "submissions" / f"sheet-{letter}-ocr-example.md"
    shutil.copy(source, root / "submission" / source.name)
    result = _run_autograder(root, _shim(tmp_path))
    assert result.returncode == 0, result.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    _validate(results)
    assert [t["name"] for t in results["tests"]] == _answer_ids(sheet)
    assert results["score"] == sum(t["score"] for t in results["tests"])
    assert results["output"].startswith(f"Checked {source.name}.")
    # a grader's verdict "incorrect" (the .labels.json beside the example) is never a passed test
    labels = json.loads(source.with_suffix("").with_suffix(".labels.json").read_text())["answers"]
    status = {t["name"]: t["status"] for t in results["tests"]}
    assert not [k for k, v in labels.items() if v == "incorrect" and status.get(k) == "passed"]


def test_bundle_says_so_when_no_markdown_was_submitted(tmp_path, bundle):
    root = _gradescope_layout(tmp_path, bundle)
    (root / "submission").mkdir()
    (root / "submission" / "scan.pdf").write_bytes(b"%PDF-1.4\n")
    result = _run_autograder(root, _shim(tmp_path))
    assert result.returncode == 0, result.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    _validate(results)
    assert results["score"] == 0 and results["tests"] == []
    assert "No Markdown (.md) file" in results["output"] and "scan.pdf" in results["output"]
