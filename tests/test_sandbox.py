"""engine.sandbox: bounded, killable workers.

The references here are the operating system's own records: /proc tells
whether a worker process still exists (or is a zombie), wall clocks tell how
long a kill took. Tasks are module-level functions (they are pickled)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from engine import sandbox
from engine.sandbox import Outcome, Pool, run_bounded

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- tasks (run in workers)


def _add(a, b):
    return a + b


def _pid():
    return os.getpid()


def _boom(message):
    raise ValueError(message)


def _power_tower():
    # 9^(9^9): Python's big-integer power runs in C and holds the GIL; only a kill stops it.
    return 9 ** (9 ** 9)


def _sympy_tower():
    import sympy

    return sympy.Integer(5) ** (sympy.Integer(5) ** 5 ** 5)


def _allocate(mb):
    block = bytearray(mb * 1024 * 1024)
    return len(block)


def _sleep(seconds):
    time.sleep(seconds)
    return seconds


def _recurse(n):
    return _recurse(n + 1)


def _unpicklable():
    return lambda: None


# --------------------------------------------------------------------------- helpers


def _state(pid: int) -> str | None:
    """The /proc state letter of ``pid`` (``Z`` for a zombie), None when gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def _wait_gone(pid: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _state(pid) is None:
            return True
        time.sleep(0.02)
    return False


# --------------------------------------------------------------------------- results and errors


@pytest.mark.parametrize(
    "fn, args, status, value, reason",
    [
        (_add, (2, 3), "ok", 5, ""),
        (_add, ("a", "b"), "ok", "ab", ""),
        (_boom, ("bad input",), "error", None, "ValueError: bad input"),
        (_add, (1, "x"), "error", None, "TypeError: unsupported operand type(s) for +: 'int' and 'str'"),
        (_unpicklable, (), "error", None,
         "result could not be sent back: AttributeError: Can't pickle local object '_unpicklable.<locals>.<lambda>'"),
    ],
)
def test_run_bounded_reports_value_or_error(fn, args, status, value, reason):
    outcome = run_bounded(fn, *args, timeout=10.0)
    assert (outcome.status, outcome.value, outcome.reason) == (status, value, reason)
    assert outcome.ms > 0


def test_recursion_error_comes_back_as_an_error():
    outcome = run_bounded(_recurse, 0, timeout=10.0)
    assert outcome.status == "error"
    assert outcome.reason == "RecursionError: maximum recursion depth exceeded"


@pytest.mark.parametrize("task", [_power_tower, _sympy_tower])
def test_gil_holding_big_integer_work_is_killed_at_the_time_limit(task):
    start = time.monotonic()
    outcome = run_bounded(task, timeout=1.0, memory_mb=2048)
    elapsed = time.monotonic() - start
    assert outcome.status == "timeout"
    assert outcome.reason == "stopped after 1 s of CPU time (CPU-time limit)"
    assert outcome.cpu >= 1.0
    assert 1.0 <= elapsed < 1.0 * sandbox.WALL_FACTOR + sandbox.WALL_SLACK + 2.0


def test_the_limit_is_cpu_time_not_wall_time():
    """Issue 14: same verdicts on a busy machine. A task that sleeps 1.5 s
    uses no CPU: under a 1 s CPU limit it finishes; its CPU time is ~0."""
    outcome = run_bounded(_sleep_then_pid, 1.5, timeout=1.0)
    assert outcome.status == "ok"
    assert outcome.ms >= 1500 and outcome.cpu < 0.5


def test_memory_limit_gives_status_memory():
    outcome = run_bounded(_allocate, 2048, timeout=10.0, memory_mb=256)
    assert outcome.status == "memory"
    assert outcome.reason.startswith("MemoryError")
    assert outcome.reason.endswith("(limit 256 MB)")


def test_within_the_memory_limit_allocation_succeeds():
    assert run_bounded(_allocate, 16, timeout=10.0, memory_mb=512).value == 16 * 1024 * 1024


# --------------------------------------------------------------------------- processes: reuse, kill, reap


def test_pool_reuses_its_workers():
    with Pool(1, timeout=5.0) as pool:
        pids = {pool.run(_pid).value for _ in range(5)}
    assert len(pids) == 1


def test_killed_worker_is_reaped_and_replaced():
    with Pool(1, timeout=5.0) as pool:
        first = pool.run(_pid).value
        outcome = pool.run(_sleep, 30, timeout=0.5)
        assert outcome.status == "timeout"
        assert _state(first) is None  # killed and reaped: not even a zombie
        second = pool.run(_pid).value
        assert second != first
        assert pool.pids() == [second]


def test_worker_that_errs_is_kept():
    with Pool(1, timeout=5.0) as pool:
        first = pool.run(_pid).value
        assert pool.run(_boom, "x").status == "error"
        assert pool.run(_pid).value == first


def test_close_leaves_no_worker_behind():
    pool = Pool(3, timeout=5.0)
    pids = [o.value for o in pool.map(_sleep_then_pid, [(0.3,)] * 3)]
    assert len(set(pids)) == 3
    pool.close()
    assert all(_state(pid) is None for pid in pids)


def _sleep_then_pid(seconds):
    time.sleep(seconds)
    return os.getpid()


def test_map_keeps_input_order_and_runs_in_parallel():
    tasks = [(0.6,), (0.1,), (0.3,), (0.1,)]
    start = time.monotonic()
    with Pool(4, timeout=5.0) as pool:
        outcomes = pool.map(_sleep, tasks)
    elapsed = time.monotonic() - start
    assert [o.value for o in outcomes] == [0.6, 0.1, 0.3, 0.1]
    assert elapsed < 1.0 + 0.5  # four workers at once, not 1.1 s in a row plus start-up


def test_one_timeout_does_not_disturb_the_other_tasks():
    with Pool(2, timeout=5.0) as pool:
        outcomes = pool.map(_sleep_or_spin, [(0.1,), (-1,), (0.2,), (0.1,)], timeout=1.0)
    assert [o.status for o in outcomes] == ["ok", "timeout", "ok", "ok"]
    assert [o.value for o in outcomes] == [0.1, None, 0.2, 0.1]


def _sleep_or_spin(seconds):
    if seconds < 0:
        return _power_tower()
    return _sleep(seconds)


def test_workers_die_with_their_parent():
    # A parent that is SIGKILLed cannot close its pool: the workers must go anyway.
    script = textwrap.dedent(
        """
        import sys, time
        sys.path.insert(0, %r)
        from engine.sandbox import Pool
        from tests.test_sandbox import _pid, _sleep
        pool = Pool(2, timeout=60)
        print(pool.run(_pid).value, flush=True)
        pool.run(_sleep, 60)
        """
        % str(ROOT)
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    worker = int(parent.stdout.readline())
    assert _state(worker) not in (None, "Z")
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait(5)
    assert _wait_gone(worker), f"worker {worker} outlived its parent"


def test_pool_rejects_bad_sizes():
    with pytest.raises(ValueError, match=r"^a pool needs at least 1 worker, not 0$"):
        Pool(0)
    with pytest.raises(ValueError, match=r"^memory_mb and timeout must be positive$"):
        Pool(1, timeout=0)


def test_outcome_ok_property():
    assert Outcome("ok", 1).ok and not Outcome("timeout").ok
