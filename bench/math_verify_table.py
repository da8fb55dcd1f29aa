"""Build ``tests/data/math_verify_pairs.jsonl`` from a checkout of
huggingface/Math-Verify: the (gold, prediction, expected) pairs of its
``tests/`` folder, read as data with :func:`ast.literal_eval` (nothing of
theirs is imported or run).

    python -m bench.math_verify_table /path/to/Math-Verify [-o tests/data/math_verify_pairs.jsonl]

Each row keeps the pair as written (``gold_original``, ``prediction_original``)
and the bare LaTeX both checkers are given (``gold``, ``prediction``): the
``$...$`` delimiters dropped and, where Math-Verify's own test gives a full
model answer, the answer it extracts (the last ``\\boxed{}``, else the last
math span). Such rows have ``extraction: true``. Categories and the
``convention`` column are kept in :data:`bench.math_verify_notes`.
"""
from __future__ import annotations

import argparse
import ast
import json
import math
import re
from pathlib import Path

#: Test files with (gold, prediction, expected) parametrizations.
FILES = ("test_all.py", "test_boxed.py", "test_numina_cases.py", "test_open_thoughts.py", "test_strict.py",
         "test_yujianll.py")
#: Names an expected verdict goes by in their parametrizations.
EXPECTED = ("expected", "result")


def _matching_brace(text: str, start: int) -> int:
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{" and (i == 0 or text[i - 1] != "\\"):
            depth += 1
        elif text[i] == "}" and text[i - 1] != "\\":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _boxed(text: str) -> list[str]:
    out = []
    for m in re.finditer(r"\\boxed\s*\{", text):
        end = _matching_brace(text, m.end() - 1)
        if end > 0:
            out.append(text[m.end():end])
    return out


_WHOLE = re.compile(r"^\s*(?:\$\$(.*)\$\$|\$(.*)\$|\\\[(.*)\\\]|\\\((.*)\\\))\s*$", re.S)
_SPAN = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\[(.+?)\\\]|\\\((.+?)\\\)", re.S)


def bare(text: str) -> tuple[str, bool]:
    """The bare LaTeX of one side, and whether it was extracted from prose."""
    whole = _WHOLE.match(text)
    if whole:
        inner = next(g for g in whole.groups() if g is not None)
        if "$" not in inner and "\\boxed" not in inner:
            return inner.strip(), False
    boxed = _boxed(text)
    if boxed:
        return boxed[-1].strip(), True
    spans = [next(g for g in m.groups() if g is not None) for m in _SPAN.finditer(text)]
    if spans:
        return spans[-1].strip(), True
    return text.strip().strip("$").strip(), False


def _value(node: ast.expr):
    """A literal; an f-string of ``math`` (one test formats ``math.sqrt(17)``) is formatted."""
    if isinstance(node, ast.JoinedStr):
        return eval(compile(ast.Expression(node), "<test>", "eval"), {"__builtins__": {}, "math": math})
    return ast.literal_eval(node)


def _params(func: ast.FunctionDef):
    for deco in func.decorator_list:
        if isinstance(deco, ast.Call) and getattr(deco.func, "attr", "") == "parametrize":
            names = [n.strip() for n in ast.literal_eval(deco.args[0]).split(",")]
            for row in deco.args[1].elts:
                yield dict(zip(names, (_value(v) for v in row.elts)))


def pairs(repo: Path) -> list[dict]:
    rows = []
    for name in FILES:
        tree = ast.parse((repo / "tests" / name).read_text(encoding="utf-8"))
        for func in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
            for params in _params(func):
                if "gold" not in params or "pred" not in params:
                    continue
                expected = next(params[k] for k in EXPECTED if k in params)
                options = {k: v for k, v in params.items() if k not in ("gold", "pred", *EXPECTED)}
                rows.append({"source": f"tests/{name}::{func.name}", "gold_original": params["gold"],
                             "prediction_original": params["pred"],
                             "expected": "equal" if expected else "different", "options": options})
    return rows


def main(argv: list[str] | None = None) -> int:
    from bench import math_verify_notes as notes

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("-o", "--output", type=Path, default=Path("tests/data/math_verify_pairs.jsonl"))
    args = parser.parse_args(argv)
    out = []
    for i, row in enumerate(pairs(args.repo)):
        gold, gx = bare(row["gold_original"])
        pred, px = bare(row["prediction_original"])
        row = {"id": f"mv{i:03d}", "gold": gold, "prediction": pred, **row, "extraction": gx or px}
        row.update(notes.annotate(row))
        out.append(row)
    header = {"header": True, "about": notes.ABOUT, "license": notes.LICENSE}
    args.output.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in [header, *out]), encoding="utf-8")
    print(f"{len(out)} pairs -> {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
