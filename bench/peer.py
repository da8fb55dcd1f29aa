"""Math-Verify's own test pairs (``tests/data/math_verify_pairs.jsonl``)
through derive and Math-Verify in one run: ``equivalence.peer`` of
bench.json, with ``derive`` and ``math_verify`` each scored overall and per
category (accuracy, false "equal", undecided, median and p95 ms per pair).

Rows whose expected verdict rests on a convention we state otherwise
(the ``convention`` column) are scored apart (``convention_rows``) and left
out of the figures, as the issue asks; both tools get the same bare LaTeX.
"""
from __future__ import annotations

import json
from pathlib import Path

from bench import equivalence, tools

TABLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "math_verify_pairs.jsonl"
#: Categories the issue holds to 98%: numbers, expressions, matrices and relations.
STRICT = ("number", "expression", "matrix", "equation", "inequality")


def load(path: Path = TABLE) -> list[dict]:
    """The table's pairs (the header row dropped), in the bench's pair shape."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [dict(r, reference=r["gold"], student=r["prediction"], problem=None) for r in rows if not r.get("header")]


def _score(pairs: list[dict], results: list, idx: list[int]) -> dict:
    return {"pairs": len(idx), **equivalence.score([pairs[i] for i in idx], [results[i] for i in idx])}


def _scores(pairs: list[dict], results: list) -> dict:
    counted = [i for i, p in enumerate(pairs) if not p.get("convention")]
    out = {"overall": _score(pairs, results, counted)}
    strict = [i for i in counted if pairs[i]["category"] in STRICT]
    out["numbers_expressions_matrices_relations"] = _score(pairs, results, strict)
    for cat in sorted({pairs[i]["category"] for i in counted}):
        idx = [i for i in counted if pairs[i]["category"] == cat]
        out.setdefault("by_category", {})[cat] = _score(pairs, results, idx)
    conv = [i for i, p in enumerate(pairs) if p.get("convention")]
    out["convention_rows"] = [{"id": pairs[i]["id"], "verdict": results[i][0], "expected": pairs[i]["expected"]}
                              for i in conv]
    out["misses"] = [{"id": pairs[i]["id"], "category": pairs[i]["category"], "gold": pairs[i]["gold"],
                      "prediction": pairs[i]["prediction"], "expected": pairs[i]["expected"],
                      "verdict": results[i][0], "reason": results[i][1]}
                     for i in counted if results[i][0] != pairs[i]["expected"]]
    return out


def run(jobs: int = 2, budget: float = equivalence.BUDGET, progress=print) -> dict:
    """Both tools over the table in one run; the ``equivalence.peer`` section."""
    from engine.check import equiv

    pairs = load()
    equiv.warm_up()
    tools.warm_math_verify()
    derive = equivalence.run_derive(pairs, jobs, budget)
    progress("peer: derive done")
    mv = equivalence.run_tool(tools.math_verify, pairs, jobs, budget, tools.MV_DEFAULT_ROUNDING)
    progress("peer: math_verify done")
    return {"pairs": len(pairs), "convention_pairs": sum(bool(p.get("convention")) for p in pairs),
            "source": "huggingface/Math-Verify tests/ (tests/data/math_verify_pairs.jsonl)",
            "derive": _scores(pairs, derive), "math_verify": _scores(pairs, mv)}


def table(section: dict) -> str:
    """Accuracy / false equal / undecided / median ms per category, derive vs Math-Verify."""
    d, m = section["derive"], section["math_verify"]
    head = (f"{'category':<40}{'pairs':>6}  {'derive acc':>10}{'f.eq':>5}{'und':>5}{'med ms':>8}"
            f"  {'MV acc':>7}{'f.eq':>5}{'und':>5}{'med ms':>8}")
    lines = [head, "-" * len(head)]
    rows = [("overall", d["overall"], m["overall"]),
            ("numbers+expressions+matrices+relations", d["numbers_expressions_matrices_relations"],
             m["numbers_expressions_matrices_relations"])]
    rows += [(c, d["by_category"][c], m["by_category"][c]) for c in d["by_category"]]
    for name, a, b in rows:
        lines.append(f"{name:<40}{a['pairs']:>6}  "
                     f"{a['accuracy']:>10.3f}{a['false_equal']:>5}{a['undecided']:>5}{a['median_ms']:>8.1f}"
                     f"  {b['accuracy']:>7.3f}{b['false_equal']:>5}{b['undecided']:>5}{b['median_ms']:>8.1f}")
    return "\n".join(lines)
