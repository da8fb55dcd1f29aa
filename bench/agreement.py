"""``derive check`` against a careful grader: the labelled submissions (the
real OCR'd solutions of ``../shared/submissions`` and the hand-labelled ones
of ``tests/data/real-style``), scored claim by claim, and the CPU time of a
whole ``derive check`` process per submission.

A label file (``X.labels.json`` beside ``X.md``) is
``{"sheet": "A", "answers": {answer_id: "correct" | "incorrect"}}``: the
grader's verdict on each key claim of the page. A labelled claim *agrees*
when the checker's verdict for that answer id is the label; a *false
"incorrect"* is a claim labelled correct that the checker calls incorrect
(the worst failure for a grader), a *false "correct"* the reverse. Every
other verdict on a labelled claim ("missing", "unparsed", "undecided") is a
disagreement, counted but neither false.

The CPU time is user + system time of the ``derive check`` process and
every child it waited for (``os.wait4`` on the process, whose rusage
includes its reaped children: the worker pool), start-up included, with the
catalog cache warm (one untimed run per sheet first). Its median over the
labelled submissions is ``check.cpu_s_per_submission``.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "submissions"
OWN = ROOT / "tests" / "data" / "real-style"


def labelled(directories: tuple[Path, ...] = (REAL, OWN)) -> list[tuple[Path, dict]]:
    """(submission, labels) for every ``*.labels.json`` with its ``.md`` beside it, sorted by path."""
    out = []
    for directory in directories:
        for labels in sorted(directory.glob("*.labels.json")):
            submission = labels.with_name(labels.name.replace(".labels.json", ".md"))
            if submission.exists():
                out.append((submission, json.loads(labels.read_text(encoding="utf-8"))))
    return out


def score(report: dict, labels: dict) -> dict:
    """One submission's labelled claims against its ``derive check`` JSON report.

    Returns ``{"claims", "agree", "false_incorrect", "false_correct", "disagreements": [...]}``,
    each disagreement ``{"id", "label", "verdict", "why"}`` (``why`` is the checker's diagnosis).
    """
    got = {a["id"]: a for a in report["answers"]}
    result = {"claims": 0, "agree": 0, "false_incorrect": 0, "false_correct": 0, "disagreements": []}
    for answer_id, label in sorted(labels["answers"].items()):
        answer = got.get(answer_id)
        verdict = answer["verdict"] if answer else "absent from the report"
        result["claims"] += 1
        if verdict == label:
            result["agree"] += 1
            continue
        result["false_incorrect"] += label == "correct" and verdict == "incorrect"
        result["false_correct"] += label == "incorrect" and verdict == "correct"
        result["disagreements"].append({"id": answer_id, "label": label, "verdict": verdict,
                                        "why": (answer or {}).get("diagnosis")})
    return result


def total(per_file: dict[str, dict]) -> dict:
    """The per-file scores summed, with ``agreement`` = agree / claims."""
    keys = ("claims", "agree", "false_incorrect", "false_correct")
    out = {k: sum(s[k] for s in per_file.values()) for k in keys}
    out["agreement"] = round(out["agree"] / out["claims"], 4) if out["claims"] else None
    return out


def run_check(submission: Path, sheet: str, out: Path) -> float:
    """Run ``derive check --format json`` on one submission as its own process; its CPU seconds
    (user + system, children included). Raises ``RuntimeError`` if the command fails."""
    command = [sys.executable, "-m", "engine.cli", "check", str(submission), "--sheet", sheet,
               "--format", "json", "-o", str(out)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"derive check {submission.name} exited {process.returncode}: "
                           f"{stderr.decode(errors='replace')[-400:]}")
    return usage.ru_utime + usage.ru_stime


def run(progress=lambda message: None) -> dict:
    """``check.cpu_s_per_submission`` and ``check.agreement`` over :func:`labelled`."""
    cases = labelled()
    with tempfile.TemporaryDirectory() as tmp:
        for sheet in sorted({labels["sheet"] for _, labels in cases}):   # the catalog cache warm
            first = next(path for path, labels in cases if labels["sheet"] == sheet)
            run_check(first, sheet, Path(tmp) / "warm.json")
        cpu, per_file = {}, {}
        for path, labels in cases:
            progress(f"derive check {path.name} ...")
            out = Path(tmp) / f"{path.stem}.json"
            cpu[path.name] = round(run_check(path, labels["sheet"], out), 3)
            per_file[path.name] = score(json.loads(out.read_text(encoding="utf-8")), labels)
    return {"cpu_s_per_submission": round(statistics.median(cpu.values()), 3), "cpu_s": cpu,
            "agreement": {"overall": total(per_file), "per_file": per_file}}


def table(result: dict) -> str:
    """The printed lines: per file agreement, false verdicts and CPU seconds."""
    lines = [f"Checker vs grader ({len(result['cpu_s'])} labelled submissions), "
             f"median CPU {result['cpu_s_per_submission']:.2f} s per submission (start-up included, cache warm):"]
    for name, s in result["agreement"]["per_file"].items():
        lines.append(f"  {name:36} {s['agree']:>2}/{s['claims']:<2} agree, {s['false_incorrect']} false incorrect, "
                     f"{s['false_correct']} false correct, {result['cpu_s'][name]:.2f} s CPU")
        lines += [f"      {d['id']}: grader {d['label']}, derive {d['verdict']}" for d in s["disagreements"]]
    o = result["agreement"]["overall"]
    lines.append(f"  overall {o['agree']}/{o['claims']} = {o['agreement']:.1%}, {o['false_incorrect']} false incorrect, "
                 f"{o['false_correct']} false correct")
    return "\n".join(lines)
