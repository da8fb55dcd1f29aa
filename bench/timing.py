"""Wall-clock measurements of the real CLI, each in a fresh process:

* ``catalog``: ``derive render --all --format tex`` and ``--format md``
  (solve and verify every problem, render; no pdflatex), once with an
  empty :mod:`engine.render.cache` (cold) and once more with it filled (warm);
* ``cli_startup_s``: ``derive --help``, the median of several runs;
* ``check``: a synthetic class of submissions (real OCR'd submissions with
  digits changed, lines dropped and values re-rounded) checked by
  ``derive check --jobs 2``: submissions per minute.
"""
from __future__ import annotations

import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = ROOT / "tests" / "data" / "submissions"
DERIVE = [sys.executable, "-m", "engine.cli"]


def _timed(args: list[str], env: dict | None = None, timeout: float = 3600) -> tuple[float, subprocess.CompletedProcess]:
    full_env = dict(os.environ)
    full_env.update(env or {})
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, env=full_env, timeout=timeout)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
    return seconds, proc


def catalog(out_dir: Path) -> dict:
    """Cold and warm seconds of rendering the whole catalog as LaTeX and Markdown."""
    out_dir.mkdir(parents=True, exist_ok=True)
    cache_dir = Path(tempfile.mkdtemp(prefix="derive-bench-cache-"))
    env = {"DERIVE_CACHE_DIR": str(cache_dir), "DERIVE_NO_CACHE": "0"}
    runs = {}
    try:
        for phase in ("cold", "warm"):
            total = 0.0
            for fmt in ("tex", "md"):
                seconds, _ = _timed(DERIVE + ["render", "--all", "--format", fmt, "-o",
                                              str(out_dir / f"catalog-{phase}.{fmt}")], env)
                total += seconds
                runs[f"{phase}_{fmt}_s"] = round(seconds, 3)
            runs[f"{phase}_s"] = round(total, 3)
        same = all((out_dir / f"catalog-cold.{f}").read_bytes() == (out_dir / f"catalog-warm.{f}").read_bytes()
                   for f in ("tex", "md"))
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
    return {**runs, "warm_output_identical": same,
            "what": "derive render --all, --format tex then --format md (solve, verify, render; no pdflatex)"}


def startup(runs: int = 7) -> float:
    """Median wall seconds of ``derive --help`` (the installed entry point)."""
    exe = shutil.which("derive", path=str(Path(sys.executable).parent)) or "derive"
    times = [_timed([exe, "--help"])[0] for _ in range(runs)]
    return round(statistics.median(times), 3)


# --------------------------------------------------------------------------- a synthetic class

_NUMBER = re.compile(r"(?<![\w\\{])(\d+\.\d+|\d+)(?![\w}])")


def _vary(text: str, rng: random.Random) -> str:
    """One student's variant of a submission: a few numbers with a digit
    changed or re-rounded, maybe a line dropped."""
    numbers = list(_NUMBER.finditer(text))
    edits = {}
    for m in rng.sample(numbers, min(len(numbers), rng.randint(0, 4))):
        token = m.group(0)
        if "." in token and rng.random() < 0.5 and len(token.split(".")[1]) > 1:
            edits[m.start()] = (m.end(), token[:-1])  # one digit fewer (truncated)
        else:
            k = rng.randrange(len(token))
            if token[k].isdigit():
                edits[m.start()] = (m.end(), token[:k] + str((int(token[k]) + rng.randint(1, 9)) % 10) + token[k + 1:])
    out, pos = [], 0
    for start in sorted(edits):
        end, new = edits[start]
        out.append(text[pos:start] + new)
        pos = end
    out.append(text[pos:])
    lines = "".join(out).split("\n")
    if rng.random() < 0.3 and len(lines) > 5:
        del lines[rng.randrange(len(lines))]
    return "\n".join(lines)


def synthetic_class(folder: Path, size: int = 100, sheet: str = "A", seed: int = 2024) -> list[Path]:
    """``size`` submissions of ``sheet`` written to ``folder`` (deterministic)."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.md"):
        old.unlink()
    sources = [p.read_text(encoding="utf-8") for p in sorted(SUBMISSIONS.glob(f"{sheet}-*.md"))]
    rng = random.Random(seed)
    paths = []
    for k in range(size):
        path = folder / f"student-{k + 1:03d}.md"
        path.write_text(_vary(sources[k % len(sources)], rng), encoding="utf-8")
        paths.append(path)
    return paths


def throughput(work: Path, size: int = 100, jobs: int = 2) -> dict:
    """``derive check`` of a synthetic class with ``--jobs``: submissions per minute."""
    paths = synthetic_class(work / "class", size)
    reports = work / "class-reports"
    shutil.rmtree(reports, ignore_errors=True)
    seconds, _ = _timed(DERIVE + ["check", *map(str, paths), "--sheet", "A", "--jobs", str(jobs),
                                  "--format", "json", "-o", str(reports)])
    rows = json.loads((reports / "summary.json").read_text(encoding="utf-8"))
    return {"submissions": size, "jobs": jobs, "seconds": round(seconds, 1),
            "submissions_per_min": round(size * 60.0 / seconds, 1), "reports": len(rows),
            "median_s_per_submission": statistics.median(r["seconds"] for r in rows if r.get("seconds") is not None)}
