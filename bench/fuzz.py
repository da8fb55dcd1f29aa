"""Fuzzing ``derive equiv`` and ``derive check`` with hypothesis-built LaTeX
and mutated real submissions.

Cases are harvested from hypothesis strategies (:func:`harvest`, seeded, so a
run is reproducible), then run in bulk:

* equiv cases through :func:`engine.check.equiv.equivalent_many` on a pool of
  sandboxed workers (what ``derive equiv --pairs`` runs), and a batch through
  the real CLI (``derive equiv --pairs -``);
* check cases (a real submission, or a window of its lines, mutated: spans
  deleted or duplicated, an answer replaced by generated LaTeX, digits
  changed, NUL bytes, invalid UTF-8, truncation) each in a forked process
  running :func:`engine.check.run.check_bytes` under a budget, killed at its
  bound; and a batch through ``derive check --jobs 2``.

Counted: ``cases``; ``crashes`` (an exception that escaped, a worker that
raised or crashed, a CLI exit other than a report, a traceback on stderr);
``over_bound`` (a case that took longer than its bound: the sandbox failed
to stop it); ``leftover_processes`` (descendants of this process still
alive at the end). A crash or an over-bound case is recorded with its input.
"""
from __future__ import annotations

import json
import multiprocessing
import multiprocessing.connection
import os
import random
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
SUBMISSION_DIRS = (ROOT / "tests" / "data" / "submissions", ROOT.parent / "shared" / "submissions")

#: Wall-time limit of one equiv comparison in the fuzz, seconds, and the slack before it is over bound.
EQUIV_TIMEOUT = 5.0
EQUIV_SLACK = 3.0
#: Budget of one check in the fuzz (engine.check.run's per-submission budget), and its bound.
CHECK_BUDGET = 30.0
CHECK_BOUND = 50.0
#: What in a verdict's reason or a report means an exception was caught and reported.
CRASH_TEXT = re.compile(r"internal error|Traceback|the worker crashed|exited unexpectedly|"
                        r"\b(?:Type|Attribute|Key|Index|Name|Value|ZeroDivision|Recursion|Assertion|"
                        r"NotImplemented|Runtime|Overflow|Unbound|Lookup|Polynomial|Coercion|"
                        r"Unicode\w*)Error\b|\bSympifyError\b")

# =========================================================================== the strategies

_SYMBOLS = ("x", "y", "z", "c", "t", "g", "m", "W", "w", "v", "a", "b", "u", "f", "K", "I", "e", r"\pi",
            r"\alpha", r"\beta_1", r"\beta_2", r"\epsilon", r"\eta", r"\sigma", r"\lambda", r"\delta", r"\Delta",
            r"\hat{m}_t", r"\hat{v}_2", r"\bar{v}_3", r"\bar{v}_{-1}", "v_{-1}", "v_0", "p_y", "p_{y'}", "z_j",
            r"z_{y'}", r"\mathrm{net}_1", "o_1", "t_1", "x_i", "g^1", "m^{t-1}", "W^T", r"x^\top", "g_1", "g_2",
            r"\mathcal{L}", r"\mathbf{z}", "y'", r"\nabla", r"\infty", r"\theta_{ij}")
_GARBAGE = ("\\", "{", "}", "^", "_", "&", "\\\\", "$", "$$", "%", "#", "~", "'", "''", "(", ")", "[", "]",
            r"\left(", r"\right)", r"\right]", r"\begin{bmatrix}", r"\end{pmatrix}", r"\frac", r"\frac{", r"\sqrt",
            r"\sqrt[", r"\sum", r"\sum_", r"\int", r"\lim_{x \to 0}", r"\text{", r"\operatorname{", r"\cancel{",
            r"\mathrm", "\x00", "\ufffd", "\u200b", "\ud800", "\t", "\n", "\r\n", "→", "≈", "×", "−", "∂", "√",
            r"\approx", r"\neq", r"\le", r"\to", r"\cdots", r"\dots", "1,000", "1,5", "0,09", "==", "=", "::", ":=",
            r"\\[2pt]", r"\hline", r"\quad", r"\,", r"\!", "**", "~~", r"\boxed{", r"\tag{1}", r"\label{x}")


def _number() -> st.SearchStrategy[str]:
    ints = st.integers(min_value=0, max_value=10 ** 6).map(str)
    decimals = st.tuples(st.integers(0, 999), st.integers(0, 99999)).map(lambda t: f"{t[0]}.{t[1]}")
    comma = decimals.map(lambda s: s.replace(".", ","))
    sci = st.tuples(st.integers(1, 9), st.integers(0, 999), st.integers(-12, 12), st.sampled_from(
        [r"\times", r"\cdot", "x"])).map(lambda t: f"{t[0]}.{t[1]} {t[3]} 10^{{{t[2]}}}")
    enot = st.tuples(st.integers(1, 99), st.integers(-20, 20)).map(lambda t: f"{t[0]}e{t[1]}")
    pct = decimals.map(lambda s: s + r"\%")
    big = st.integers(2, 99).map(lambda n: f"{n}^{{{n}^{{{n}}}}}")
    return st.one_of(ints, decimals, comma, sci, enot, pct, big)


def _atom() -> st.SearchStrategy[str]:
    return st.one_of(_number(), st.sampled_from(_SYMBOLS))


def _compose(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pair = st.tuples(children, children)
    return st.one_of(
        st.tuples(children, st.sampled_from([" + ", " - ", r" \cdot ", r" \times ", " ", "/", " * ", ", "]),
                  children).map("".join),
        pair.map(lambda p: rf"\frac{{{p[0]}}}{{{p[1]}}}"),
        pair.map(lambda p: rf"\dfrac{{{p[0]}}}{{{p[1]}}}"),
        pair.map(lambda p: f"{{{p[0]}}}^{{{p[1]}}}"),
        pair.map(lambda p: f"({p[0]})^{{{p[1]}}}"),
        pair.map(lambda p: f"{{{p[0]}}}_{{{p[1]}}}"),
        children.map(lambda c: rf"\sqrt{{{c}}}"),
        pair.map(lambda p: rf"\sqrt[{p[0]}]{{{p[1]}}}"),
        st.tuples(st.sampled_from([r"\log", r"\ln", r"\log_{10}", r"\log_2", r"\exp", r"\sin", r"\tanh", r"\lg",
                                   r"\sigma", r"\operatorname{sign}", r"\operatorname{sgn}", r"\text{sigmoid}",
                                   r"\operatorname{ReLU}", "f", "g", r"\max", r"\min", r"\operatorname{softmax}"]),
                  children).map(lambda t: f"{t[0]}\\left({t[1]}\\right)" if len(t[1]) % 2 else f"{t[0]}({t[1]})"),
        children.map(lambda c: f"|{c}|"),
        children.map(lambda c: rf"\|{c}\|_2"),
        children.map(lambda c: rf"\left( {c} \right)"),
        children.map(lambda c: f"{c}'"),
        children.map(lambda c: f"{c}^T"),
        st.lists(children, min_size=1, max_size=4).map(lambda xs: "(" + ", ".join(xs) + ")"),
        st.tuples(st.sampled_from(["bmatrix", "pmatrix", "matrix", "array"]), st.lists(children, min_size=1, max_size=4),
                  st.integers(1, 2)).map(lambda t: rf"\begin{{{t[0]}}}" + (r" \\ " if t[2] == 2 else " & ").join(t[1])
                                          + rf"\end{{{t[0]}}}"),
        children.map(lambda c: rf"\sum_j {c}"),
        pair.map(lambda p: rf"\sum_{{j=1}}^{{{p[0]}}} {p[1]}"),
        pair.map(lambda p: rf"\frac{{\partial {p[0]}}}{{\partial {p[1]}}}"),
        pair.map(lambda p: f"{p[0]} = {p[1]}"),
        st.tuples(children, children, children).map(lambda t: rf"{t[0]} = {t[1]} \approx {t[2]}"),
        children.map(lambda c: rf"\cancel{{{c}}}"),
        children.map(lambda c: rf"\text{{so}} \quad {c}."),
        children.map(lambda c: rf"\hat{{{c}}}"),
    )


#: A LaTeX expression, well formed or not.
EXPRESSIONS = st.recursive(_atom(), _compose, max_leaves=12)


def _garbled(text: str, tokens: list[str], positions: list[int]) -> str:
    for token, pos in zip(tokens, positions):
        k = pos % (len(text) + 1)
        text = text[:k] + token + text[k:]
    return text


#: Expressions, expressions with garbage injected, and plain garbage.
LATEX = st.one_of(
    EXPRESSIONS,
    EXPRESSIONS,
    st.builds(_garbled, EXPRESSIONS, st.lists(st.sampled_from(_GARBAGE), min_size=1, max_size=4),
              st.lists(st.integers(0, 10 ** 4), min_size=4, max_size=4)),
    st.lists(st.sampled_from(_GARBAGE), max_size=12).map("".join),
    st.text(max_size=40),
)

PROBLEMS = (None, None, "autodiff", "adam", "vgg16", "cnn", "softmax", "autograd", "delta_rule")


# --------------------------------------------------------------------------- submissions


def sources() -> list[tuple[str, bytes]]:
    """(sheet, bytes) of every real submission we have."""
    out = []
    for folder in SUBMISSION_DIRS:
        for path in sorted(folder.glob("*.md")):
            m = re.match(r"(?:sheet-)?([abcABC])[-_]", path.name)
            if m:
                out.append((m.group(1).upper(), path.read_bytes()))
    return out


def _mutate(data: bytes, draw) -> bytes:
    """One mutation of a submission, chosen by hypothesis."""
    lines = data.split(b"\n")
    kind = draw(st.sampled_from(["window", "delete", "duplicate", "replace_math", "digit", "bytes", "truncate",
                                 "swap", "insert_math", "header"]))
    n = len(lines)
    i = draw(st.integers(0, max(0, n - 1)))
    if kind == "window":
        j = draw(st.integers(i, min(n, i + 25)))
        return b"\n".join(lines[:2] + lines[i:j + 1])
    if kind == "delete":
        j = draw(st.integers(i, min(n, i + 8)))
        return b"\n".join(lines[:i] + lines[j:])
    if kind == "duplicate":
        return b"\n".join(lines[:i] + [lines[i]] * draw(st.integers(2, 50)) + lines[i:])
    if kind in ("replace_math", "insert_math"):
        latex = draw(LATEX).encode("utf-8", "surrogatepass")
        line = lines[i]
        if kind == "replace_math" and b"=" in line:
            k = line.rfind(b"=")
            end = line.find(b"\\\\", k)
            lines[i] = line[:k + 1] + b" " + latex + (line[end:] if end >= 0 else b"")
        else:
            lines.insert(i, b"$$" + latex + b"$$")
        return b"\n".join(lines)
    if kind == "digit":
        text = bytearray(data)
        digits = [k for k, c in enumerate(text) if 48 <= c <= 57]
        for k in draw(st.lists(st.sampled_from(digits), max_size=6)) if digits else []:
            text[k] = 48 + (text[k] - 48 + draw(st.integers(1, 9))) % 10
        return bytes(text)
    if kind == "bytes":
        junk = draw(st.binary(min_size=1, max_size=32)) + draw(st.sampled_from([b"\x00", b"\xff\xfe", b"\xc3", b"\x80"]))
        k = draw(st.integers(0, len(data)))
        return data[:k] + junk + data[k:]
    if kind == "truncate":
        return data[:draw(st.integers(0, len(data)))]
    if kind == "swap":
        j = draw(st.integers(0, max(0, n - 1)))
        lines[i], lines[j] = lines[j], lines[i]
        return b"\n".join(lines)
    header = draw(st.sampled_from([b"# Question 9", b"## 2. Adam", b"(z)", b"**Q1**", b"(b) (c) (a)", b"# " + b"#" * 50]))
    lines.insert(i, header)
    return b"\n".join(lines)


# --------------------------------------------------------------------------- harvesting


#: At most this many examples are drawn from hypothesis per run (about 20 ms
#: each); further equiv cases pair its references and answers anew.
MAX_DRAWN = 2500


def harvest(equiv_cases: int, check_cases: int, seed_value: int = 20181) -> tuple[list, list]:
    """``equiv_cases`` (reference, student, problem) triples and
    ``check_cases`` (sheet, bytes) submissions drawn from the strategies
    (beyond :data:`MAX_DRAWN` pairs, the drawn sides recombined at random)."""
    drawn, subs = _draw(min(equiv_cases, MAX_DRAWN), check_cases, seed_value)
    rng = random.Random(seed_value)
    pairs = list(drawn)
    while len(pairs) < equiv_cases and drawn:
        pairs.append((rng.choice(drawn)[0], rng.choice(drawn)[1], rng.choice(PROBLEMS)))
    return pairs, subs


def _draw(equiv_cases: int, check_cases: int, seed_value: int) -> tuple[list, list]:
    pairs: list[tuple[str, str, str | None]] = []
    subs: list[tuple[str, bytes]] = []
    real = sources()

    @seed(seed_value)
    @settings(max_examples=max(1, equiv_cases), database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(st.one_of(EXPRESSIONS, LATEX), LATEX, st.sampled_from(PROBLEMS))
    def equiv_case(reference, student, problem):
        pairs.append((reference, student, problem))

    @seed(seed_value)
    @settings(max_examples=max(1, check_cases), database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def check_case(data):
        sheet, text = data.draw(st.sampled_from(real))
        for _ in range(data.draw(st.integers(1, 3))):
            text = _mutate(text, data.draw)
        subs.append((sheet, text))

    if equiv_cases:
        equiv_case()
    if check_cases and real:
        check_case()
    return pairs[:equiv_cases], subs[:check_cases]


# --------------------------------------------------------------------------- running


@dataclass
class Tally:
    """What a fuzz run counted."""

    cases: int = 0
    crashes: int = 0
    over_bound: int = 0
    by_kind: dict = field(default_factory=dict)
    verdicts: dict = field(default_factory=dict)
    failures: list = field(default_factory=list)
    signatures: dict = field(default_factory=dict)
    max_ms: float = 0.0

    def add(self, kind: str, verdict: str, ms: float, crash: str = "", over: bool = False, case=None) -> None:
        self.cases += 1
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        self.verdicts[verdict] = self.verdicts.get(verdict, 0) + 1
        self.max_ms = max(self.max_ms, ms)
        if crash:
            self.crashes += 1
            named = re.search(r"\b\w+(?:Error|Exception)\b", crash) or CRASH_TEXT.search(crash)
            signature = f"{kind}: {named.group(0) if named else crash[:60]}"
            self.signatures[signature] = self.signatures.get(signature, 0) + 1
        if over:
            self.over_bound += 1
        if (crash or over) and len(self.failures) < 50:
            self.failures.append({"kind": kind, "crash": crash[:500], "over_bound": over, "ms": round(ms),
                                  "case": repr(case)[:2000]})

    def as_json(self) -> dict:
        return {"cases": self.cases, "crashes": self.crashes, "over_bound": self.over_bound, "by_kind": self.by_kind,
                "verdicts": self.verdicts, "max_case_ms": round(self.max_ms), "crash_signatures": self.signatures,
                "failures": self.failures}


def run_equiv(pairs: list, tally: Tally, jobs: int = 2, timeout: float = EQUIV_TIMEOUT) -> None:
    """Each pair through engine.check.equiv on a pool of ``jobs`` sandboxed workers."""
    from engine.check import equiv

    with equiv.pool(jobs, timeout=timeout) as workers:
        for pair, verdict in zip(pairs, equiv.equivalent_many(pairs, workers, timeout=timeout)):
            crash = verdict.reason if CRASH_TEXT.search(verdict.reason) else ""
            if verdict.verdict not in ("equal", "different", "undecided"):
                crash = f"not a verdict: {verdict.verdict!r}"
            tally.add("equiv", verdict.verdict, verdict.ms, crash, verdict.ms > (timeout + EQUIV_SLACK) * 1000, pair)


#: Address space of a check process or a CLI run in the fuzz (its sandbox
#: workers have their own, smaller limit under it): a runaway computation
#: in the parent fails instead of swapping the machine.
LIMIT_AS = 6 * 1024 ** 3


def limit_memory() -> None:
    """RLIMIT_AS = :data:`LIMIT_AS` for this process and its children."""
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_AS, LIMIT_AS))


def _check_child(conn, data: bytes, sheet: str, budget: float) -> None:
    """In a forked process: one check, its summary or the traceback."""
    try:
        limit_memory()
        from engine.check import run as check

        report = check.check_bytes(data, sheet, "<fuzz>", budget=budget)
        text = json.dumps({k: report[k] for k in ("answers", "steps", "summary") if k in report}, ensure_ascii=False)
        found = CRASH_TEXT.search(text)
        conn.send(("ok", report["summary"].get("score", "?"),
                   f"{found.group(0)} in: {text[max(0, found.start() - 300):found.end() + 200]}" if found else ""))
    except BaseException:  # reported to the parent as a crash: the traceback is the finding
        conn.send(("crash", "", traceback.format_exc()[-3000:]))
    finally:
        conn.close()
        os._exit(0)


def run_check(subs: list, tally: Tally, jobs: int = 2, budget: float = CHECK_BUDGET, bound: float = CHECK_BOUND) -> None:
    """Each submission checked in its own forked process, ``jobs`` at a
    time; a process past ``bound`` seconds is killed and counted over bound."""
    from engine.check import run as check

    for sheet in sorted({s for s, _ in subs}):
        check.prepare(sheet)  # solved before the fork: every child inherits it
    ctx = multiprocessing.get_context("fork")
    pending = list(subs)
    running: dict = {}
    while pending or running:
        while pending and len(running) < jobs:
            sheet, data = pending.pop(0)
            parent_end, child_end = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_check_child, args=(child_end, data, sheet, budget))
            proc.start()
            child_end.close()
            running[parent_end] = (proc, time.perf_counter(), (sheet, data))
        ready = multiprocessing.connection.wait(list(running), timeout=0.5)
        now = time.perf_counter()
        for conn in list(running):
            proc, started, case = running[conn]
            ms = (now - started) * 1000
            if conn in ready:
                try:
                    status, score, detail = conn.recv()
                except (EOFError, OSError):
                    status, score, detail = "crash", "", f"the check process died (exit code {proc.exitcode})"
                crash = detail if status == "crash" or detail else ""
                tally.add("check", "report" if status == "ok" else "crash", ms, crash, ms > bound * 1000, case)
            elif ms > bound * 1000:
                _kill_tree(proc.pid)
                tally.add("check", "killed", ms, "", True, case)
            else:
                continue
            proc.join(5)
            if proc.is_alive():
                _kill_tree(proc.pid)
                proc.join()
            conn.close()
            del running[conn]


def _kill_tree(pid: int) -> None:
    for child in descendants(pid):
        try:
            os.kill(child, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def descendants(pid: int) -> list[int]:
    """Live descendants of ``pid`` (from /proc; zombies excluded)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            continue
        rest = stat[stat.rfind(")") + 2:].split()
        if rest and rest[0] != "Z":
            parents.setdefault(int(rest[1]), []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def run_cli(pairs: list, subs: list, tally: Tally, work: Path, jobs: int = 2) -> None:
    """A batch of pairs through ``derive equiv --pairs -`` and a batch of
    submissions through ``derive check --jobs``: the real entry point."""
    cmd = [sys.executable, "-m", "engine.cli"]
    if pairs:
        lines = "".join(json.dumps({"reference": r, "student": s, "problem": p}) + "\n" for r, s, p in pairs)
        start = time.perf_counter()
        proc = subprocess.run(cmd + ["equiv", "--pairs", "-", "--jobs", str(jobs), "--timeout", str(EQUIV_TIMEOUT)],
                              input=lines, capture_output=True, text=True, cwd=ROOT, preexec_fn=limit_memory,
                              timeout=len(pairs) * (EQUIV_TIMEOUT + EQUIV_SLACK) + 60)
        ms = (time.perf_counter() - start) * 1000
        outputs = proc.stdout.splitlines()
        bad_exit = proc.returncode != 0 or "Traceback" in proc.stderr
        for k, pair in enumerate(pairs):
            try:
                item = json.loads(outputs[k])
                verdict, reason = item["verdict"], item["reason"]
            except (IndexError, ValueError, KeyError):  # the run died before this pair: not reported
                verdict, reason = "none", f"no verdict (exit {proc.returncode}): {proc.stderr.strip()[-300:]}"
            crash = reason if (CRASH_TEXT.search(reason) or verdict == "none") else ""
            if bad_exit and not crash and k == len(pairs) - 1:  # a bad exit after every verdict: one crash
                crash = f"exit {proc.returncode}: {proc.stderr.strip()[-300:]}"
            tally.add("cli-equiv", verdict, ms / len(pairs), crash, False, pair)
    if subs:
        folder = work / "cli-check"
        folder.mkdir(parents=True, exist_ok=True)
        by_sheet: dict[str, list[Path]] = {}
        for k, (sheet, data) in enumerate(subs):
            path = folder / f"{sheet}-{k:04d}.md"
            path.write_bytes(data)
            by_sheet.setdefault(sheet, []).append(path)
        for sheet, paths in by_sheet.items():
            out = work / f"cli-reports-{sheet}"
            start = time.perf_counter()
            proc = subprocess.run(cmd + ["check", *map(str, paths), "--sheet", sheet, "--jobs", str(jobs),
                                         "--format", "json", "-o", str(out)],
                                  capture_output=True, text=True, cwd=ROOT, preexec_fn=limit_memory,
                                  timeout=len(paths) * CHECK_BOUND + 120)
            ms = (time.perf_counter() - start) * 1000
            rows = []
            if len(paths) == 1 and out.is_file():  # one submission: -o names the report itself
                rows = [json.loads(out.read_text(encoding="utf-8"))["summary"]]
            elif (out / "summary.json").exists():
                rows = json.loads((out / "summary.json").read_text(encoding="utf-8"))
            bad = proc.returncode != 0 or "Traceback" in proc.stderr or len(rows) != len(paths)
            for path in paths:
                crash = f"exit {proc.returncode}, {len(rows)} reports: {proc.stderr[-300:]}" if bad else ""
                tally.add("cli-check", "report", ms / len(paths), crash, False, path.name)


def fuzz(equiv_cases: int, check_cases: int, cli_equiv: int = 0, cli_check: int = 0, jobs: int = 2,
         seed_value: int = 20181, progress=print) -> dict:
    """A bounded fuzz run; the ``fuzz`` section of bench.json."""
    start = time.perf_counter()
    pairs, subs = harvest(equiv_cases + cli_equiv, check_cases + cli_check, seed_value)
    progress(f"fuzz: harvested {len(pairs)} pairs and {len(subs)} submissions in {time.perf_counter() - start:.0f} s")
    tally = Tally()
    t = time.perf_counter()
    run_equiv(pairs[:equiv_cases], tally, jobs)
    progress(f"fuzz: {equiv_cases} equiv cases in {time.perf_counter() - t:.0f} s "
             f"({tally.crashes} crashes, {tally.over_bound} over bound)")
    t = time.perf_counter()
    run_check(subs[:check_cases], tally, jobs)
    progress(f"fuzz: {check_cases} check cases in {time.perf_counter() - t:.0f} s "
             f"({tally.crashes} crashes, {tally.over_bound} over bound so far)")
    with tempfile.TemporaryDirectory(prefix="derive-fuzz-") as work:
        t = time.perf_counter()
        run_cli(pairs[equiv_cases:], subs[check_cases:], tally, Path(work), jobs)
        progress(f"fuzz: {cli_equiv + cli_check} CLI cases in {time.perf_counter() - t:.0f} s")
    left = descendants(os.getpid())
    out = tally.as_json()
    out.update({"leftover_processes": len(left), "seconds": round(time.perf_counter() - start, 1), "seed": seed_value,
                "bounds_s": {"equiv": EQUIV_TIMEOUT + EQUIV_SLACK, "check": CHECK_BOUND},
                "max_rss_mb": {"parent": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                               "largest_child": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)}})
    return out
