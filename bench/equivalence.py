"""The equivalence benchmark: derive, Math-Verify (defaults and tuned
``float_rounding``), ``simplify(a - b) == 0`` and ``Expr.equals`` over the
same pairs in one run, each in workers of :class:`engine.sandbox.Pool`
with the same per-pair wall-time budget and memory limit.

Scores per tool: accuracy (the verdict is the expected one), false "equal"
(a wrong answer accepted), false "different" (a right answer rejected),
undecided, and the median and 95th percentile of the milliseconds per pair
(wall time in the parent: parsing, deciding and the pipe to the worker).
"""
from __future__ import annotations

import math
import time
from typing import Callable, Iterable

from bench import tools

#: Wall-time budget of one pair for every tool, seconds (derive's default).
BUDGET = 10.0
#: Address space a worker may add, MB (the same for every tool).
MEMORY_MB = 1024
#: How the sympy baselines read their input (printed and stored with the results).
SYMPY_NOTE = ("sympy baselines parse both sides with engine.read.parse (our parser, same conventions) and the "
              "problem's definitions, so the comparison isolates the decision procedure")
MV_NOTE = "Math-Verify parses each side itself, wrapped in $...$; True is equal, False different"


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def score(pairs: list[dict], results: list[tuple[str, str, float]]) -> dict:
    """Accuracy, false equal/different, undecided and timing of one tool."""
    n = len(pairs)
    verdicts = [r[0] for r in results]
    ms = [r[2] for r in results]
    correct = sum(v == p["expected"] for v, p in zip(verdicts, pairs))
    false_equal = sum(v == "equal" and p["expected"] == "different" for v, p in zip(verdicts, pairs))
    false_different = sum(v == "different" and p["expected"] == "equal" for v, p in zip(verdicts, pairs))
    undecided = verdicts.count("undecided")
    timeouts = sum("time limit" in r[1] or r[1].startswith("timed out") for r in results)
    return {"accuracy": round(correct / n, 4) if n else math.nan, "correct": correct, "false_equal": false_equal,
            "false_different": false_different, "undecided": undecided,
            "undecided_rate": round(undecided / n, 4) if n else math.nan, "timeouts": timeouts,
            "median_ms": round(percentile(ms, 50), 1), "p95_ms": round(percentile(ms, 95), 1),
            "total_s": round(sum(ms) / 1000.0, 1)}


def _outcome(outcome, budget: float) -> tuple[str, str, float]:
    if outcome.status == "ok":
        verdict, reason = outcome.value
        return verdict, reason, outcome.ms
    if outcome.status == "timeout":
        return "undecided", f"no decision within the time limit ({budget:g} s)", outcome.ms
    return "undecided", f"{outcome.status}: {outcome.reason}", outcome.ms


def _run_pool(fn: Callable, arglist: list[tuple], jobs: int, budget: float) -> list:
    from engine import sandbox

    with sandbox.Pool(jobs, timeout=budget, memory_mb=MEMORY_MB) as pool:
        return pool.map(fn, arglist)


def run_derive(pairs: list[dict], jobs: int, budget: float) -> list[tuple[str, str, float]]:
    """derive's verdicts through :func:`engine.check.equiv.equivalent_many` (what ``derive equiv --pairs`` runs)."""
    from engine.check import equiv

    with equiv.pool(jobs, timeout=budget, memory_mb=MEMORY_MB) as workers:
        triples = ((p["reference"], p["student"], p["problem"]) for p in pairs)
        return [(v.verdict, v.reason, v.ms) for v in equiv.equivalent_many(triples, workers, timeout=budget)]


def run_tool(fn: Callable, pairs: list[dict], jobs: int, budget: float, *extra) -> list[tuple[str, str, float]]:
    arglist = [(p["reference"], p["student"], p["problem"], *extra) for p in pairs]
    return [_outcome(o, budget) for o in _run_pool(fn, arglist, jobs, budget)]


def run_cli(pairs: list[dict], api: list[tuple[str, str, float]], jobs: int, budget: float) -> dict:
    """The same pairs through the real ``derive equiv --pairs - --jobs N``:
    how many verdicts agree with the in-process run, and the wall time."""
    import json
    import subprocess
    import sys

    lines = "".join(json.dumps({"reference": p["reference"], "student": p["student"], "problem": p["problem"]})
                    + "\n" for p in pairs)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "engine.cli", "equiv", "--pairs", "-", "--jobs", str(jobs),
                           "--timeout", f"{budget:g}"], input=lines, capture_output=True, text=True,
                          timeout=len(pairs) * budget + 120)
    seconds = time.perf_counter() - start
    verdicts = [json.loads(line)["verdict"] for line in proc.stdout.splitlines()]
    agree = sum(v == a[0] for v, a in zip(verdicts, api))
    return {"exit_code": proc.returncode, "verdicts": len(verdicts), "agree": agree, "seconds": round(seconds, 1)}


def tune_rounding(pairs: list[dict], jobs: int, budget: float) -> tuple[int, dict[int, float]]:
    """The ``float_rounding`` with the best accuracy on these pairs (ties:
    the one nearest Math-Verify's default), and the accuracy of each."""
    arglist = [(p["reference"], p["student"], p["problem"]) for p in pairs]
    outcomes = _run_pool(tools.math_verify_sweep, arglist, jobs, budget * len(tools.MV_ROUNDINGS))
    accuracy = {}
    for r in tools.MV_ROUNDINGS:
        right = sum(o.ok and o.value[r] == p["expected"] for o, p in zip(outcomes, pairs))
        accuracy[r] = round(right / len(pairs), 4)
    best = max(tools.MV_ROUNDINGS, key=lambda r: (accuracy[r], -abs(r - tools.MV_DEFAULT_ROUNDING)))
    return best, accuracy


def misses(pairs: list[dict], results: list[tuple[str, str, float]]) -> list[dict]:
    """The pairs a tool got wrong or left undecided, with its reason."""
    return [{"source": p["source"], "reference": p["reference"], "student": p["student"], "problem": p["problem"],
             "expected": p["expected"], "verdict": v, "reason": reason, "ms": round(ms, 1)}
            for p, (v, reason, ms) in zip(pairs, results) if v != p["expected"]]


def run(pairs: list[dict], jobs: int = 2, budget: float = BUDGET, progress: Callable[[str], None] = print) -> dict:
    """Every tool over ``pairs``; the ``equivalence`` section of bench.json."""
    from engine.check import equiv

    equiv.warm_up()
    tools.warm_math_verify()
    out: dict = {"pairs": len(pairs), "sources": _count(p["source"].split(":")[0] for p in pairs),
                 "expected": _count(p["expected"] for p in pairs), "budget_s": budget, "jobs": jobs,
                 "memory_mb": MEMORY_MB, "notes": [SYMPY_NOTE, MV_NOTE]}
    results = {}
    plan = [("derive", lambda: run_derive(pairs, jobs, budget)),
            ("math_verify", lambda: run_tool(tools.math_verify, pairs, jobs, budget, tools.MV_DEFAULT_ROUNDING)),
            ("sympy_simplify", lambda: run_tool(tools.sympy_simplify, pairs, jobs, budget)),
            ("sympy_equals", lambda: run_tool(tools.sympy_equals, pairs, jobs, budget))]
    for name, job in plan:
        start = time.perf_counter()
        results[name] = job()
        out[name] = score(pairs, results[name])
        out[name]["false_equal_pairs"] = [m for m in misses(pairs, results[name]) if m["verdict"] == "equal"][:30]
        progress(f"{name}: accuracy {out[name]['accuracy']} in {time.perf_counter() - start:.0f} s")
    out["math_verify"]["float_rounding"] = tools.MV_DEFAULT_ROUNDING
    start = time.perf_counter()
    best, sweep = tune_rounding(pairs, jobs, budget)
    results["math_verify_tuned"] = run_tool(tools.math_verify, pairs, jobs, budget, best)
    out["math_verify_tuned"] = score(pairs, results["math_verify_tuned"])
    out["math_verify_tuned"].update({"float_rounding": best, "accuracy_by_float_rounding": sweep})
    out["math_verify_tuned"]["false_equal_pairs"] = [
        m for m in misses(pairs, results["math_verify_tuned"]) if m["verdict"] == "equal"][:30]
    progress(f"math_verify_tuned (float_rounding={best}): accuracy {out['math_verify_tuned']['accuracy']} "
             f"in {time.perf_counter() - start:.0f} s")
    out["derive_cli"] = run_cli(pairs, results["derive"], jobs, budget)
    progress(f"derive equiv --pairs (the CLI): {out['derive_cli']['agree']} of {len(pairs)} verdicts as above "
             f"in {out['derive_cli']['seconds']:.0f} s")
    out["derive_misses"] = misses(pairs, results["derive"])
    out["by_kind"] = _by_kind(pairs, results)
    return out


def _count(items: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts


def _by_kind(pairs: list[dict], results: dict[str, list]) -> dict:
    """Accuracy of each tool per kind of pair (rounding, rewrite, mutation-sign...)."""
    kinds = sorted({p.get("kind", "hand") for p in pairs})
    table = {}
    for kind in kinds:
        idx = [i for i, p in enumerate(pairs) if p.get("kind", "hand") == kind]
        table[kind] = {"pairs": len(idx)}
        for name, res in results.items():
            table[kind][name] = round(sum(res[i][0] == pairs[i]["expected"] for i in idx) / len(idx), 3)
    return table


TOOLS = ("derive", "math_verify", "math_verify_tuned", "sympy_simplify", "sympy_equals")


def table(section: dict) -> str:
    """The equivalence results as a text table."""
    head = f"{'tool':<26}{'accuracy':>9}{'false eq':>9}{'false diff':>11}{'undecided':>10}{'median ms':>10}{'p95 ms':>9}"
    lines = [head, "-" * len(head)]
    for name in TOOLS:
        r = section[name]
        label = name if "float_rounding" not in r else f"{name} (fr={r['float_rounding']})"
        lines.append(f"{label:<26}{r['accuracy']:>9.3f}{r['false_equal']:>9}{r['false_different']:>11}"
                     f"{r['undecided']:>10}{r['median_ms']:>10.1f}{r['p95_ms']:>9.1f}")
    return "\n".join(lines)
