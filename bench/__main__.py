"""``python -m bench`` (``make bench``): derive against the tools people use
instead, and hardening under bad input. Writes ``build/bench.json`` and
prints a table.

Sections (``--only`` picks some):

* ``equivalence``: :mod:`bench.equivalence` over :mod:`bench.pairs`
  (derive, Math-Verify at its defaults and with ``float_rounding`` tuned,
  ``simplify(a - b) == 0``, ``Expr.equals``);
* ``peer``: Math-Verify's own test pairs through derive and Math-Verify
  (:mod:`bench.peer`), stored as ``equivalence.peer``;
* ``catalog``: cold and warm seconds to solve, verify and render the whole
  catalog (:mod:`bench.timing`); ``startup``: ``derive --help``;
* ``throughput``: a synthetic class of 100 submissions, ``derive check --jobs 2``;
* ``agreement``: the labelled submissions (:mod:`bench.agreement`): ``check.agreement`` with a
  careful grader and ``check.cpu_s_per_submission``, the median CPU seconds of a whole
  ``derive check`` process;
* ``fuzz``: the long fuzz run (:mod:`bench.fuzz`), at least 10,000 cases.

Targets (from the issue) are checked and printed; ``--strict`` exits 1
when one is missed.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("equivalence", "peer", "catalog", "startup", "throughput", "agreement", "fuzz")
#: The long fuzz run: equiv cases through the API, check cases, and batches through the CLI.
FUZZ_PLAN = {"equiv_cases": 9480, "check_cases": 200, "cli_equiv": 300, "cli_check": 20}
#: The fuzz run of diff, trace (each expression through both), --set values, and the real CLI (issue 14).
COMMANDS_PLAN = {"expressions": 1000, "values": 2000}


def _progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def targets(result: dict) -> list[tuple[str, str, bool | None]]:
    """(what, measured, met) for each target of the issue present in ``result``."""
    out = []
    eq = result.get("equivalence")
    if eq and "peer" in eq:
        d, m = eq["peer"]["derive"], eq["peer"]["math_verify"]
        strict = d["numbers_expressions_matrices_relations"]
        out.append(("Math-Verify's pairs: no false 'equal'", str(d["overall"]["false_equal"]),
                    d["overall"]["false_equal"] == 0))
        out.append(("Math-Verify's pairs: accuracy >= 0.90", f"{d['overall']['accuracy']:.3f}",
                    d["overall"]["accuracy"] >= 0.90))
        out.append(("Math-Verify's pairs: numbers/expressions/matrices/relations >= 0.98", f"{strict['accuracy']:.3f}",
                    strict["accuracy"] >= 0.98))
        out.append(("Math-Verify's pairs: median ms <= Math-Verify's",
                    f"{d['overall']['median_ms']:.1f} vs {m['overall']['median_ms']:.1f}",
                    d["overall"]["median_ms"] <= m["overall"]["median_ms"]))
    if eq and "derive" in eq:
        d, mv = eq["derive"], eq["math_verify"]
        out.append(("derive accuracy >= 0.98", f"{d['accuracy']:.3f}", d["accuracy"] >= 0.98))
        out.append(("no false 'equal' on a wrong pair", str(d["false_equal"]), d["false_equal"] == 0))
        out.append(("median ms per pair <= Math-Verify's", f"{d['median_ms']:.1f} vs {mv['median_ms']:.1f}",
                    d["median_ms"] <= mv["median_ms"]))
    if "catalog" in result:
        out.append(("catalog warm < 3 s", f"{result['catalog']['warm_s']:.2f} s", result["catalog"]["warm_s"] < 3.0))
    if "cli_startup_s" in result:
        out.append(("derive --help < 0.5 s", f"{result['cli_startup_s']:.3f} s", result["cli_startup_s"] < 0.5))
    ag = (result.get("check") or {}).get("agreement")
    if ag:
        o = ag["overall"]
        out.append(("check.agreement >= 0.95", f"{o['agreement']:.3f}", o["agreement"] >= 0.95))
        out.append(("no false 'incorrect', no false 'correct'", f"{o['false_incorrect']}, {o['false_correct']}",
                    o["false_incorrect"] == 0 and o["false_correct"] == 0))
        cpu = result["check"]["cpu_s_per_submission"]
        out.append(("check.cpu_s_per_submission <= 3 s", f"{cpu:.2f} s", cpu <= 3.0))
    fz = result.get("fuzz")
    if fz:
        out.append(("fuzz cases >= 10,000", str(fz["cases"]), fz["cases"] >= 10000))
        out.append(("fuzz crashes = 0", str(fz["crashes"]), fz["crashes"] == 0))
        out.append(("fuzz over bound = 0", str(fz["over_bound"]), fz["over_bound"] == 0))
    fc = result.get("fuzz_commands")
    if fc:
        out.append(("diff/trace/--set/--pairs fuzz crashes = 0", str(fc["crashes"]), fc["crashes"] == 0))
        out.append(("diff/trace/--set/--pairs fuzz over bound = 0", str(fc["over_bound"]), fc["over_bound"] == 0))
        out.append(("diff/trace/--set/--pairs fuzz orphans = 0", str(fc["leftover_processes"]),
                    fc["leftover_processes"] == 0))
        out.append(("no process left behind", str(fz["leftover_processes"]), fz["leftover_processes"] == 0))
    return out


def report(result: dict) -> str:
    """The printed table."""
    from bench import equivalence

    lines = []
    eq = result.get("equivalence")
    if eq and "peer" in eq:
        from bench import peer

        lines += [f"Math-Verify's own tests: {eq['peer']['pairs']} pairs, {eq['peer']['convention_pairs']} declined on "
                  "convention (not counted)", peer.table(eq["peer"])]
    if eq and "derive" in eq:
        lines += [f"Equivalence: {eq['pairs']} pairs ({', '.join(f'{k} {v}' for k, v in eq['sources'].items())}; "
                  f"{', '.join(f'{k} {v}' for k, v in eq['expected'].items())}), budget {eq['budget_s']:g} s per "
                  f"pair for every tool, {eq['jobs']} workers", equivalence.table(eq)]
        lines += [f"  note: {note}" for note in eq["notes"]]
        lines.append(f"  derive wrong or undecided on {len(eq['derive_misses'])} pairs (bench.json: equivalence."
                     "derive_misses)")
    if "catalog" in result:
        c = result["catalog"]
        lines.append(f"Catalog (render --all, tex + md, no pdflatex): cold {c['cold_s']:.2f} s, warm {c['warm_s']:.2f} s")
    if "cli_startup_s" in result:
        lines.append(f"Start-up: derive --help {result['cli_startup_s']:.3f} s (median)")
    if "submissions" in result.get("check", {}):
        c = result["check"]
        lines.append(f"Throughput: {c['submissions']} submissions, --jobs {c['jobs']}: {c['seconds']:.0f} s, "
                     f"{c['submissions_per_min']:.1f} submissions/min")
    if "agreement" in result.get("check", {}):
        from bench import agreement

        lines.append(agreement.table(result["check"]))
    if "fuzz" in result:
        f = result["fuzz"]
        lines.append(f"Fuzz: {f['cases']} cases ({', '.join(f'{k} {v}' for k, v in f['by_kind'].items())}) in "
                     f"{f['seconds']:.0f} s: {f['crashes']} crashes, {f['over_bound']} over bound, "
                     f"{f['leftover_processes']} processes left behind")
    lines.append("Targets:")
    for what, measured, met in targets(result):
        lines.append(f"  [{'met ' if met else 'MISS'}] {what}: {measured}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections of {', '.join(SECTIONS)}")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--fuzz-scale", type=float, default=1.0, help="multiply the fuzz run's case counts")
    parser.add_argument("-o", "--output", default=str(ROOT / "build" / "bench.json"))
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown sections {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    out_path = Path(args.output)
    result: dict = json.loads(out_path.read_text()) if out_path.exists() else {}
    result["machine"] = {"cpus": __import__("os").cpu_count(), "python": platform.python_version(),
                         "platform": platform.platform(), "sympy": _version("sympy"),
                         "math-verify": _version("math-verify"), "latex2sympy2_extended": _version("latex2sympy2_extended")}
    work = ROOT / "build" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if "equivalence" in sections:
        from bench import equivalence, pairs

        result["equivalence"] = equivalence.run(pairs.load(), jobs=args.jobs, progress=_progress)
    if "peer" in sections:
        from bench import peer

        result.setdefault("equivalence", {})["peer"] = peer.run(jobs=args.jobs, progress=_progress)
    if "catalog" in sections:
        from bench import timing

        _progress("catalog, cold and warm ...")
        result["catalog"] = timing.catalog(work)
    if "startup" in sections:
        from bench import timing

        result["cli_startup_s"] = timing.startup()
    if "throughput" in sections:
        from bench import timing

        _progress("a class of 100 submissions through derive check --jobs 2 ...")
        result["check"] = {**result.get("check", {}), **timing.throughput(work, jobs=args.jobs)}
    if "agreement" in sections:
        from bench import agreement

        _progress("the labelled submissions, one derive check process each ...")
        result["check"] = {**result.get("check", {}), **agreement.run(progress=_progress)}
    if "fuzz" in sections:
        from bench import fuzz

        plan = {k: int(v * args.fuzz_scale) for k, v in FUZZ_PLAN.items()}
        result["fuzz"] = fuzz.fuzz(plan["equiv_cases"], plan["check_cases"], plan["cli_equiv"], plan["cli_check"],
                                   jobs=args.jobs, progress=_progress)
        from bench import fuzz_commands

        result["fuzz_commands"] = fuzz_commands.fuzz(int(COMMANDS_PLAN["expressions"] * args.fuzz_scale),
                                                     int(COMMANDS_PLAN["values"] * args.fuzz_scale),
                                                     jobs=args.jobs, progress=_progress)
    result["generated_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["targets"] = [{"target": what, "measured": measured, "met": met} for what, measured, met in targets(result)]
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(report(result))
    print(f"wrote {out_path}", file=sys.stderr)
    missed = [t for t in result["targets"] if not t["met"]]
    return 1 if (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
