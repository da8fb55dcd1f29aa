"""The review page of a class: one static HTML page for graders.

``derive check class/*.md --sheet B --format html -o reports/`` writes
``reports/index.html``: a table of students by answer ids, each cell coloured
by the checker's verdict; clicking a cell shows the student's line beside the
expected answer and the diagnosis, with math typeset by KaTeX. Filters show
the students with an answer "unparsed", "incorrect", or that differs from the
hand grade (``<name>.labels.json`` beside a submission: ``{"answers": {id:
verdict}}``, as in ``shared/submissions``).

KaTeX comes from the npm package ``katex`` (its ``dist/``: the stylesheet,
the script and the fonts), copied into ``reports/katex/``: the page needs no
network when it is viewed. :func:`katex_dist` finds it.

Safety: the student's text is data, never markup. It travels to the page in a
``<script type="application/json">`` block with ``<``, ``>`` and ``&``
written as ``\\u003c`` etc. (so ``</script>`` cannot close it), and the page's
script puts it in the document with ``textContent`` only, or through
``katex.render`` with ``trust: false`` (no ``\\href``, ``\\url``,
``\\htmlClass``: KaTeX escapes its output). A Content-Security-Policy lets
only the page's own scripts (by nonce) run.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from engine.errors import UsageError

#: Where the npm package's dist/ lies when ``make katex`` installed it (repository root relative).
KATEX_IN_TREE = Path("build") / "katex" / "node_modules" / "katex" / "dist"
#: The files of KaTeX's dist/ the page uses (the fonts: woff2 and woff).
KATEX_FILES = ("katex.min.css", "katex.min.js")
TEMPLATE = "review.html.j2"
SCRIPT = Path(__file__).resolve().parents[2] / "templates" / "review.js"


def katex_dist() -> Path:
    """The ``dist/`` folder of the npm ``katex`` package: ``$DERIVE_KATEX_DIR``, or
    ``build/katex/...`` of the source tree (``make katex``). UsageError when neither has it."""
    candidates = []
    if os.environ.get("DERIVE_KATEX_DIR"):
        candidates.append(Path(os.environ["DERIVE_KATEX_DIR"]))
    candidates.append(Path(__file__).resolve().parents[2] / KATEX_IN_TREE)
    for folder in candidates:
        if all((folder / name).is_file() for name in KATEX_FILES) and (folder / "fonts").is_dir():
            return folder
    raise UsageError("the HTML review page needs KaTeX (the npm package katex): run 'make katex' "
                     "(npm install --prefix build/katex katex), or set DERIVE_KATEX_DIR to its dist/ folder")


def copy_katex(out_dir: Path) -> None:
    """KaTeX's stylesheet, script and fonts into ``out_dir/katex``."""
    dist = katex_dist()
    target = out_dir / "katex"
    (target / "fonts").mkdir(parents=True, exist_ok=True)
    for name in KATEX_FILES:
        shutil.copyfile(dist / name, target / name)
    for font in (dist / "fonts").iterdir():
        if font.suffix in (".woff2", ".woff"):
            shutil.copyfile(font, target / "fonts" / font.name)


def hand_grades(path: str | Path) -> dict[str, str]:
    """The hand grades beside a submission (``<stem>.labels.json``), or {}. A file that
    is there but unreadable is a UsageError naming it."""
    p = Path(path)
    labels = p.with_name(p.stem + ".labels.json")
    if not labels.is_file():
        return {}
    try:
        data = json.loads(labels.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{labels}: not a readable hand-grade file ({exc})") from None
    answers = data.get("answers") if isinstance(data, dict) else None
    if not isinstance(answers, dict):
        raise UsageError(f'{labels}: expected {{"answers": {{answer id: verdict}}}}')
    return {str(k): str(v) for k, v in answers.items()}


def differs(verdict: str, hand: str | None) -> bool:
    """True when a hand grade exists and says otherwise than the checker."""
    return bool(hand) and hand != verdict


def page_data(paths: list[str], reports: list[dict], names: list[str]) -> dict[str, Any]:
    """Everything the page shows, as plain data (student text included, unescaped:
    :func:`json_for_script` makes it safe for the page)."""
    answer_ids: list[str] = []
    for r in reports:
        for a in r["answers"]:
            if a["id"] not in answer_ids:
                answer_ids.append(a["id"])
    students = []
    for path, report, name in zip(paths, reports, names):
        hand = hand_grades(path)
        lines = report.get("lines") or []
        text_answers = set(report.get("_text_answers", ()))
        cells = {}
        for a in report["answers"]:
            line = a.get("line")
            cells[a["id"]] = {
                "verdict": a["verdict"], "points": a.get("points", 0), "max": a.get("max_points", 1),
                "credit": a.get("credit", ""), "line": line,
                "text": lines[line - 1] if line and 0 < line <= len(lines) else "",
                "claimed": a.get("claimed") or "", "expected": a.get("expected") or "",
                "expected_math": a["id"] not in text_answers, "diagnosis": a.get("diagnosis") or "",
                "hand": hand.get(a["id"], ""), "differs": differs(a["verdict"], hand.get(a["id"])),
            }
        s = report["summary"]
        students.append({"name": name, "file": Path(path).name, "score": s.get("score"),
                         "max": s.get("max_score"), "warnings": list(s.get("warnings", [])), "cells": cells})
    return {"sheet": reports[0]["sheet"] if reports else "", "answers": answer_ids, "students": students}


def json_for_script(data: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">``: no ``<``, ``>``
    or ``&`` (so no ``</script>`` or ``<!--``), nor U+2028/2029."""
    text = json.dumps(data, ensure_ascii=False)
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                       ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, code)
    return text


MARK = {"correct": "✓", "incorrect": "✗", "unparsed": "?", "missing": "–"}


def render_page(paths: list[str], reports: list[dict], names: list[str]) -> str:
    """The HTML of the review page (``templates/review.html.j2``)."""
    from markupsafe import Markup, escape

    from engine.render.views import environment

    data = page_data(paths, reports, names)
    env = environment()
    env.filters.setdefault("html", lambda value: Markup(escape(str(value))))
    problems: list[list[Any]] = []
    for answer_id in data["answers"]:
        problem, _, short = answer_id.partition(".")
        if problems and problems[-1][0] == problem:
            problems[-1][1] += 1
        else:
            problems.append([problem, 1])
    rows = []
    for k, s in enumerate(data["students"]):
        cells = []
        for j, answer_id in enumerate(data["answers"]):
            c = s["cells"].get(answer_id)
            verdict = c["verdict"] if c else "missing"
            cells.append({"student": k, "answer": j, "verdict": verdict, "mark": MARK.get(verdict, "·"),
                          "differs": bool(c and c["differs"]), "hand": c["hand"] if c else ""})
        score = "" if s["score"] is None else f"{s['score']:g}/{s['max']:g}"
        rows.append({"name": s["name"], "file": s["file"], "score": score, "cells": cells,
                     "warnings": s["warnings"]})
    nonce = secrets.token_urlsafe(16)
    return env.get_template(TEMPLATE).render(
        sheet=data["sheet"], problems=problems, answers=[a.partition(".")[2] for a in data["answers"]],
        answer_ids=data["answers"], rows=rows, nonce=nonce,
        data=Markup(json_for_script(data)), script=Markup(SCRIPT.read_text(encoding="utf-8")),
        counts={v: sum(c["verdict"] == v for r in rows for c in r["cells"]) for v in MARK},
        differing=sum(c["differs"] for r in rows for c in r["cells"]))


def write_page(out_dir: Path, paths: list[str], reports: list[dict], names: list[str]) -> Path:
    """``out_dir/index.html`` and ``out_dir/katex/``; the page's path."""
    copy_katex(out_dir)
    page = out_dir / "index.html"
    page.write_text(render_page(paths, reports, names), encoding="utf-8")
    return page
