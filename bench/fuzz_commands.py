"""Fuzzing the other commands that take outside input (issue 14):
``derive diff``, ``derive trace``, ``show --set`` values and ``--pairs`` files.

* diff and trace: hypothesis-built LaTeX (:data:`bench.fuzz.LATEX`) through
  :func:`engine.commands.calculus.diff_output` and ``trace_output`` on a
  pool of sandboxed workers under the command's own CPU and memory limits
  (what the CLI runs), in all four formats in turn;
* ``--set`` values: generated numbers and garbage through
  :func:`engine.model.problem.parse_number` and a list parameter's parse,
  in a worker: a value or a UsageError, never anything else;
* the real CLI: a few ``derive diff``, ``derive trace``, ``derive show
  --set`` and one ``derive equiv --pairs -`` of malformed and overlong
  lines, each one line on stderr and exit 0 or 2.

A crash is an exception other than the input's own error, a worker that
died, an exit code other than 0 or 2, or a traceback; over bound is a case
past its CPU limit plus the sandbox's wall backstop.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from bench.fuzz import CRASH_TEXT, LATEX, Tally, limit_memory

ROOT = Path(__file__).resolve().parents[1]
FORMATS = ("text", "json", "md", "tex")
#: A --set value: a number as typed, a list, or garbage.
SET_VALUES = st.one_of(
    st.from_regex(r"-?[0-9]{0,30}(\.[0-9]{0,30})?([eE][-+]?[0-9]{1,15})?(/-?[0-9]{1,20}(e[0-9]{1,12})?)?",
                  fullmatch=True),
    st.text(max_size=60),
    st.recursive(st.integers(-10**30, 10**30) | st.floats(allow_nan=True, allow_infinity=True),
                 lambda c: st.lists(c, max_size=4), max_leaves=20).map(json.dumps),
    st.integers(1, 3000).map(lambda n: "[" * n + "]" * n),
)


def harvest(expressions: int, values: int, seed_value: int = 14) -> tuple[list[str], list[str]]:
    """Seeded lists of LaTeX expressions and --set values."""
    exprs: list[str] = []
    sets: list[str] = []

    @seed(seed_value)
    @settings(max_examples=max(1, expressions), database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(LATEX)
    def expression(text):
        exprs.append(text)

    @seed(seed_value)
    @settings(max_examples=max(1, values), database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(SET_VALUES)
    def value(text):
        sets.append(text)

    if expressions:
        expression()
    if values:
        value()
    return exprs[:expressions], sets[:values]


def parse_set_value(text: str) -> str:
    """In a worker: parse ``text`` as a scalar and as a list parameter."""
    from engine.errors import UsageError
    from engine.model.problem import Parameter, parse_number

    results = []
    for parse in (lambda t: parse_number(t, "x"), Parameter("layers", [1], kind="list").parse):
        try:
            parse(text)
            results.append("value")
        except UsageError:
            results.append("refused")
    return "/".join(results)


def run_calculus(exprs: list[str], tally: Tally, jobs: int = 2) -> None:
    """Each expression through diff (--wrt x when it has x) and trace (x=2)."""
    from engine.commands import calculus
    from engine.sandbox import WALL_FACTOR, WALL_SLACK, Pool

    bound_ms = (calculus.CPU_LIMIT * WALL_FACTOR + WALL_SLACK + 5) * 1000
    tasks, kinds = [], []
    for k, text in enumerate(exprs):
        fmt = FORMATS[k % len(FORMATS)]
        tasks.append((calculus.diff_output, (text, None, [], fmt)))
        kinds.append(("diff", text))
        tasks.append((calculus.trace_output, (text, ["x=2"], fmt)))
        kinds.append(("trace", text))
    with Pool(jobs, memory_mb=calculus.MEMORY_MB, timeout=calculus.CPU_LIMIT,
              preload=("engine.commands.calculus", "engine.calculus.differentiate")) as pool:
        for (kind, text), outcome in zip(kinds, pool.imap(calculus.guarded, tasks)):
            if outcome.status == "ok":
                verdict = "output" if outcome.value[0] == "text" else outcome.value[0]
                crash = outcome.value[1] if verdict == "verification" else ""
            elif outcome.status in ("timeout", "memory"):
                verdict, crash = outcome.status, ""
            else:
                verdict, crash = "crash", outcome.reason
            if verdict == "output" and CRASH_TEXT.search(outcome.value[1]):
                crash = "internal error in the output"
            tally.add(kind, verdict, outcome.ms, crash, outcome.ms > bound_ms, text)


def run_set_values(values: list[str], tally: Tally, jobs: int = 2) -> None:
    from engine.sandbox import WALL_FACTOR, WALL_SLACK, Pool

    limit = 5.0
    with Pool(jobs, timeout=limit, preload=("engine.model.problem",)) as pool:
        for text, outcome in zip(values, pool.imap(parse_set_value, [(v,) for v in values])):
            crash = "" if outcome.status == "ok" else f"{outcome.status}: {outcome.reason}"
            tally.add("set-value", outcome.value if outcome.ok else outcome.status, outcome.ms, crash,
                      outcome.ms > (limit * WALL_FACTOR + WALL_SLACK) * 1000, text)


def run_cli(exprs: list[str], values: list[str], tally: Tally) -> None:
    """A few of each through the real entry point, and one --pairs of bad lines."""
    cmd = [sys.executable, "-m", "engine.cli"]
    runs = [("cli-diff", ["diff", e, "--format", "tex"]) for e in exprs[:3]]
    runs += [("cli-trace", ["trace", e, "--at", "x=2", "--format", "md"]) for e in exprs[3:6]]
    runs += [("cli-show-set", ["show", "autodiff", "--set", f"x={v}"]) for v in values[:3]]
    runs += [("cli-show-set", ["show", "vgg16", "--set", f"layers={v}"]) for v in values[3:5]]
    for kind, argv in runs:
        start = time.perf_counter()
        proc = subprocess.run(cmd + argv, capture_output=True, text=True, cwd=ROOT, preexec_fn=limit_memory,
                              timeout=300, stdin=subprocess.DEVNULL)
        ms = (time.perf_counter() - start) * 1000
        bad = proc.returncode not in (0, 2) or "Traceback" in proc.stderr or CRASH_TEXT.search(proc.stderr)
        bad = bad or (proc.returncode == 2 and len(proc.stderr.strip().splitlines()) != 1)
        tally.add(kind, f"exit {proc.returncode}", ms, f"exit {proc.returncode}: {proc.stderr[-300:]}" if bad else "",
                  False, argv)
    lines = ['{"reference": "x", "student": "x"}', "not json", "[]", '{"reference": 1}', "\x00" * 100,
             "x" * (2 << 20), '{"reference": "1/4", "student": "0.25", "problem": "nope"}', "\ud800".encode(
                 "utf-8", "surrogatepass").decode("latin-1")]
    start = time.perf_counter()
    proc = subprocess.run(cmd + ["equiv", "--pairs", "-", "--jobs", "1"], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, cwd=ROOT, preexec_fn=limit_memory, timeout=300)
    ms = (time.perf_counter() - start) * 1000
    out = proc.stdout.splitlines()
    bad = proc.returncode != 0 or len(out) != len(lines) or any(json.loads(o)["verdict"] not in
                                                                 ("equal", "different", "undecided") for o in out)
    tally.add("cli-pairs", f"exit {proc.returncode}", ms, f"{len(out)} lines: {proc.stderr[-300:]}" if bad else "",
              False, "malformed --pairs")


def fuzz(expressions: int, values: int, jobs: int = 2, seed_value: int = 14, progress=print) -> dict:
    """The ``fuzz_commands`` section of bench.json."""
    import os

    from bench.fuzz import descendants

    start = time.perf_counter()
    exprs, sets = harvest(expressions, values, seed_value)
    tally = Tally()
    run_calculus(exprs, tally, jobs)
    progress(f"fuzz: {2 * len(exprs)} diff/trace cases in {time.perf_counter() - start:.0f} s "
             f"({tally.crashes} crashes, {tally.over_bound} over bound)")
    run_set_values(sets, tally, jobs)
    run_cli(exprs, sets, tally)
    out = tally.as_json()
    out.update({"leftover_processes": len(descendants(os.getpid())), "seconds": round(time.perf_counter() - start, 1),
                "seed": seed_value})
    return out
