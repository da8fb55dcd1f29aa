"""Checking a class: many submissions, each in its own killable process.

:func:`check_many` runs :func:`engine.check.run.check_file` on every
submission, ``jobs`` at a time, each in a forked process with its own worker
pool (the sheet's reference is built once, before the first fork);
:func:`summary_rows` is the class table (summary.csv / summary.json).
"""
from __future__ import annotations

import os
import time
from typing import Any, Callable, Iterable

from engine.check.run import WALL_BACKSTOP, check_file, failed_report, prepare
from engine.errors import UsageError


def check_many(paths: Iterable[str], sheet: str, jobs: int = 1,
               progress: Callable[[int, int, str], None] | None = None) -> list[dict]:
    """Reports of several submissions, ``jobs`` at a time (each submission
    runs in its own killable process with its own worker pool).
    ``progress(done, total, path)`` is called after each."""
    import multiprocessing
    import multiprocessing.connection

    paths = list(paths)
    prepare(sheet)
    ctx = multiprocessing.get_context("fork")
    reports: dict[int, dict] = {}
    pending = list(enumerate(paths))
    running: dict[Any, tuple[int, Any, float]] = {}
    total = len(paths)
    try:
        while pending or running:
            while pending and len(running) < max(1, jobs):
                index, path = pending.pop(0)
                parent_end, child_end = ctx.Pipe(duplex=False)
                process = ctx.Process(target=_child, args=(child_end, str(path), sheet, os.getpid()), daemon=False)
                process.start()
                child_end.close()
                running[parent_end] = (index, process, time.perf_counter())
            ready = multiprocessing.connection.wait(list(running), timeout=1.0)
            now = time.perf_counter()
            for conn in list(running):
                index, process, started = running[conn]
                report = None
                if conn in ready:
                    try:
                        report = conn.recv()
                    except (EOFError, OSError):
                        report = _crashed_report(sheet, paths[index], "the checking process died")
                elif now - started > WALL_BACKSTOP:
                    process.kill()
                    report = _crashed_report(sheet, paths[index], f"the check took longer than {WALL_BACKSTOP:g} s")
                if report is None:
                    continue
                process.join(5)
                if process.is_alive():
                    process.kill()
                    process.join()
                conn.close()
                del running[conn]
                reports[index] = report
                if progress:
                    progress(len(reports), total, str(paths[index]))
    finally:
        for conn, (_, process, _) in running.items():
            process.kill()
            process.join()
            conn.close()
    return [reports[i] for i in range(total)]


def _child(conn, path: str, sheet: str, parent_pid: int) -> None:
    """One submission in its own process (see :func:`check_many`); it dies
    with its parent (engine.processes.child_setup)."""
    from engine.processes import child_setup

    child_setup(parent_pid)
    try:
        report = check_file(path, sheet)
    except UsageError as exc:
        report = _crashed_report(sheet, path, str(exc))
    conn.send(report)
    conn.close()


def _crashed_report(sheet: str, path: str, reason: str) -> dict:
    from engine.check.reference import sheet_ref

    return failed_report(sheet_ref(sheet), sheet, path, reason)


def summary_rows(reports: list[dict]) -> list[dict]:
    """One row per student: file, score and max_score (points), counts, first error line, seconds,
    then each answer's verdict and points."""
    rows = []
    for r in reports:
        s = r["summary"]
        row = {"submission": s["submission"], "score": s["score"], "max_score": s.get("max_score")}
        row.update({f"answers_{k}": v for k, v in s["answers"].items()})
        row.update({f"steps_{k}": v for k, v in s["steps"].items()})
        row["first_error_line"] = s.get("first_error_line")
        row["seconds"] = s.get("seconds")
        row.update({a["id"]: a["verdict"] for a in r["answers"]})
        row.update({f"{a['id']} points": a.get("points") for a in r["answers"]})
        rows.append(row)
    return rows
