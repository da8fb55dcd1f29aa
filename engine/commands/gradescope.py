"""``derive gradescope``: the Gradescope autograder bundle of a sheet, and its run.

``derive gradescope --sheet A -o autograder.zip`` writes the zip a course
uploads as a Gradescope "Programming Assignment" autograder (Gradescope,
"Autograder Specifications": https://gradescope-autograders.readthedocs.io/en/latest/specs/):

* ``setup.sh``: run once as root when Gradescope builds the image: a Python
  3.11+ virtual environment in ``/autograder/derive-venv`` with derive
  installed from the source tree in the bundle (``derive/``, built from the
  tree this command runs from) and its dependencies from PyPI;
* ``run_autograder``: run for each submission, in ``/autograder``: it calls
  ``derive gradescope --run``, which checks the Markdown file in
  ``/autograder/submission/`` and writes ``/autograder/results/results.json``;
* ``derive/``: derive's source (``pyproject.toml``, ``engine/``,
  ``derivations/``, ``templates/``, ``README.md``).

``--run`` reads ``$DERIVE_AUTOGRADER_ROOT`` (default ``/autograder``) so that
the bundle can be tried in a folder laid out as Gradescope lays it out.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import zipfile
from pathlib import Path

#: The root Gradescope gives an autograder; ``$DERIVE_AUTOGRADER_ROOT`` overrides it (tests).
DEFAULT_ROOT = "/autograder"
#: What of the source tree goes into the bundle (relative to the repository root).
SOURCE_FILES = ("pyproject.toml", "README.md")
SOURCE_DIRS = ("engine", "derivations", "templates")

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
# It installs derive (from derive/ in this bundle) and its dependencies (from PyPI)
# into a virtual environment of Python 3.11 or newer.
set -euo pipefail
cd /autograder/source
export DEBIAN_FRONTEND=noninteractive
PY=python3
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  apt-get update -qq
  apt-get install -y -qq python3.11 python3.11-venv
  PY=python3.11
elif ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
  apt-get update -qq
  apt-get install -y -qq python3-venv
fi
"$PY" -m venv /autograder/derive-venv
/autograder/derive-venv/bin/python -m pip install --quiet --upgrade pip
/autograder/derive-venv/bin/python -m pip install --quiet -e /autograder/source/derive
/autograder/derive-venv/bin/derive --version
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for each submission (working directory /autograder).
# It checks the Markdown file in submission/ against sheet {sheet} and writes results/results.json.
# DERIVE_AUTOGRADER_ROOT (default /autograder) and DERIVE (the derive command) are for trying it elsewhere.
set -uo pipefail
root="${{DERIVE_AUTOGRADER_ROOT:-/autograder}}"
if [ -z "${{DERIVE:-}}" ]; then
  if [ -x /autograder/derive-venv/bin/derive ]; then DERIVE=/autograder/derive-venv/bin/derive; else DERIVE=derive; fi
fi
exec "$DERIVE" gradescope --run --sheet {sheet} --visibility {visibility}{expected} --root "$root"
"""


def configure_gradescope(parser: argparse.ArgumentParser) -> None:
    from engine.check.gradescope import VISIBILITIES

    parser.add_argument("--sheet", required=True, type=str.upper, choices=("A", "B", "C"),
                        help="the problem sheet the assignment is")
    parser.add_argument("-o", "--output", metavar="ZIP", default="autograder.zip",
                        help="the bundle to write (default autograder.zip)")
    parser.add_argument("--visibility", choices=VISIBILITIES, default="visible",
                        help="when students see the per-answer results (Gradescope's visibility; default visible)")
    parser.add_argument("--show-expected", action="store_true",
                        help="show students the expected value of an answer they got wrong")
    parser.add_argument("--run", action="store_true",
                        help="run as the autograder inside Gradescope's container (what run_autograder calls)")
    parser.add_argument("--root", metavar="DIR", default=None,
                        help="the autograder folder for --run (default $DERIVE_AUTOGRADER_ROOT or /autograder)")
    parser.epilog = ("examples:\n  derive gradescope --sheet A -o autograder.zip\n"
                     "  derive gradescope --sheet A --visibility after_published -o autograder.zip\n"
                     "Upload the zip as the autograder of a Gradescope Programming Assignment; "
                     "students submit their OCR'd solution as one .md file (see README, 'Grading on Gradescope').")


def run_gradescope(args) -> int:
    if args.run:
        return run_autograder(args.sheet, args.root or os.environ.get("DERIVE_AUTOGRADER_ROOT") or DEFAULT_ROOT,
                              args.visibility, args.show_expected)
    path = build_bundle(args.sheet, args.output, args.visibility, args.show_expected)
    print(f"wrote {path}: upload it as the autograder of a Gradescope Programming Assignment", file=sys.stderr)
    return 0


def _source_root() -> Path:
    return Path(__file__).resolve().parents[2]


def build_bundle(sheet: str, output: str, visibility: str = "visible", show_expected: bool = False) -> Path:
    """Write the autograder zip (files at the root of the archive, as Gradescope requires)."""
    from engine.errors import UsageError

    root = _source_root()
    target = Path(output)
    run = RUN_AUTOGRADER.format(sheet=sheet, visibility=visibility,
                                expected=" --show-expected" if show_expected else "")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
            _add(zf, "setup.sh", SETUP_SH, 0o755)
            _add(zf, "run_autograder", run, 0o755)
            for name in SOURCE_FILES:
                zf.write(root / name, f"derive/{name}")
            for folder in SOURCE_DIRS:
                for path in sorted((root / folder).rglob("*")):
                    if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
                        zf.write(path, f"derive/{path.relative_to(root).as_posix()}")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    return target


def _add(zf: zipfile.ZipFile, name: str, text: str, mode: int) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, text)


def find_submission(folder: Path) -> tuple[Path | None, str]:
    """The Markdown file of a Gradescope submission folder, and a note for the
    student when there is none or several (the largest is checked)."""
    if not folder.is_dir():
        return None, f"No submission folder ({folder.name}/) was found."
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    markdown = [p for p in files if p.suffix.lower() in (".md", ".markdown")]
    if not markdown:
        seen = ", ".join(p.name for p in files[:10]) or "nothing"
        return None, (f"No Markdown (.md) file was found in the submission (it holds: {seen}). "
                      "Submit the OCR'd solution as one .md file.")
    if len(markdown) == 1:
        return markdown[0], ""
    chosen = max(markdown, key=lambda p: (p.stat().st_size, p.name))
    return chosen, (f"The submission holds {len(markdown)} Markdown files; {chosen.name} (the largest) was checked.")


def run_autograder(sheet: str, root: str, visibility: str = "visible", show_expected: bool = False) -> int:
    """Check ``root/submission/``'s Markdown file and write ``root/results/results.json``."""
    from engine.check import gradescope
    from engine.errors import UsageError

    base = Path(root)
    results_dir = base / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    path, note = find_submission(base / "submission")
    if path is None:
        data = gradescope.failed(note, visibility)
    else:
        from engine.check import run as check

        try:
            report = check.check_file(path, sheet)
        except UsageError as exc:
            data = gradescope.failed(f"The submission could not be read: {exc}", visibility)
        else:
            data = gradescope.results(report, visibility, show_expected)
            data["output"] = f"Checked {path.name}.\n" + (note + "\n" if note else "") + data["output"]
    (results_dir / "results.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n",
                                              encoding="utf-8")
    print(data["output"])
    return 0
