"""Issue 14, processes: SIGTERM, SIGHUP or SIGKILL to ``derive check --jobs 2``
leaves no process behind, even when a child's report is larger than the
pipe buffer (a child blocked writing it must die with its parent)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _members(pgid: int) -> list[int]:
    """Live (non-zombie) processes of process group ``pgid``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            found.append(int(entry))
    return found


def _big_submission(path: Path) -> None:
    """A submission whose report is far larger than a 64 KB pipe buffer."""
    base = (ROOT / "tests" / "data" / "submissions" / "A-clean.md").read_text(encoding="utf-8")
    extra = "\n\n".join(f"Line {k}: the value is $v_{{{k % 7}}} = {k}.{k % 10}$ and $x_{{{k}}} = {k} + 1 = {k + 1}$"
                        for k in range(1500))
    path.write_text(base + "\n\n" + extra + "\n", encoding="utf-8")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL], ids=lambda s: s.name)
def test_signal_to_the_parent_leaves_no_process(sig, tmp_path):
    paths = [tmp_path / "one.md", tmp_path / "two.md"]
    for path in paths:
        _big_submission(path)
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "check", *map(str, paths), "--sheet", "A",
                             "--jobs", "2", "--format", "json", "-o", str(tmp_path / "out")], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 180  # the sheet is solved before the children start (slow on a busy machine)
    while len(_members(proc.pid)) < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert len(_members(proc.pid)) >= 3, "expected the parent and two children"
    time.sleep(5)  # 5 s into the two-job run
    os.kill(proc.pid, sig)
    proc.wait(timeout=60)
    deadline = time.monotonic() + 20
    while _members(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    survivors = _members(proc.pid)
    for pid in survivors:  # clean up before failing
        os.kill(pid, signal.SIGKILL)
    assert not survivors
    if sig != signal.SIGKILL:
        assert proc.returncode == 130
        assert proc.stderr.read().decode().strip().splitlines()[-1] == "derive check: interrupted"
