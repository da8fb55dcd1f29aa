"""The layout the brief asks for: the engine names no question, and each stage
imports only the stages before it (question -> model -> render; submission ->
read -> check). Static checks of the source, no engine code runs."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "engine"

#: A problem id or answer id in a string literal (issue 9's grep, with Sheet D's ids).
QUESTION_ID = re.compile(r"['\"](autodiff|adam|vgg16|cnn|softmax|ce|autograd|delta_rule|batchnorm|attention|init"
                         r"|dropout|logistic)(\.[A-Za-z0-9_.-]+)?['\"]")
#: softmax is also a function name: the reader's tables of function names may say it.
FUNCTION_NAME = re.compile(r"""["']softmax["']\s*:|Function\("softmax"\)|problem="softmax"\)\.verdict""")

#: Stage order: a module may import its own stage and the ones before it.
STAGES = {"errors": 0, "sandbox": 0, "math": 1, "model": 2, "calculus": 3, "render": 4, "read": 4, "check": 5,
          "commands": 6, "cli": 6}


def engine_files() -> list[Path]:
    return sorted(ENGINE.rglob("*.py"))


def test_the_engine_names_no_question():
    hits = []
    for path in engine_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if QUESTION_ID.search(FUNCTION_NAME.sub("", line)):
                hits.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not hits, "question ids in engine/ (they belong in the question's module):\n" + "\n".join(hits)


def _stage(path: Path) -> str:
    parts = path.relative_to(ENGINE).with_suffix("").parts
    return parts[0] if len(parts) > 1 else parts[0]


def test_each_stage_imports_only_the_stages_before_it():
    upward = []
    for path in engine_files():
        stage = _stage(path)
        if stage not in STAGES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("engine."):
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names if a.name.startswith("engine.")]
            for name in names:
                target = name.split(".")[1]
                if target in STAGES and (STAGES[target] > STAGES[stage] or {stage, target} == {"read", "render"}):
                    upward.append(f"{path.relative_to(ROOT)}: {stage} imports {name}")
    assert not upward, "\n".join(upward)


def test_no_private_name_is_imported_across_modules():
    private = []
    for path in engine_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("engine"):
                private += [f"{path.relative_to(ROOT)}: {node.module}.{a.name}" for a in node.names
                            if a.name.startswith("_") and not a.name.startswith("__")]
    known = {  # the dedup branch (issue 9, part 2) owns these modules
        "engine/render/views.py: engine.math.latex._PRINTER",
        "engine/check/answers.py: engine.check.steps._compare",
        "engine/check/answers.py: engine.check.steps._evaluate",
    }
    assert set(private) <= known, "\n".join(sorted(set(private) - known))
