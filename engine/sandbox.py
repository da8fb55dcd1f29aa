"""Bounded execution: run a function in a worker process under a CPU-time
limit and an address-space limit, and kill the worker when it overruns.

The time limit is CPU time of the worker (user + system, read from
``/proc/PID/stat``), not wall time: the same task gets the same verdict on
a quiet machine and on a busy one. A task that sleeps or blocks uses no CPU;
a wall-clock backstop (:data:`WALL_FACTOR` times the limit plus
:data:`WALL_SLACK` seconds) still ends it. Where ``/proc`` is missing the
limit is wall time.

Why a process and not a signal: sympy's big-integer arithmetic (``9^{9^9}``,
``5^{5^{5^{5^5}}}``) runs in C (GMP / Python's long arithmetic) and holds
the GIL, so ``signal.alarm`` handlers never get to run, and alarms only work
in the main thread anyway. A worker process can always be stopped from the
outside: on a timeout the parent sends it SIGKILL, reaps it (no zombie) and
starts a fresh one. Workers also die with their parent (``PR_SET_PDEATHSIG``
on Linux, and end-of-file on their task pipe), so none is left orphaned.

The memory bound is ``RLIMIT_AS`` set inside the worker: the address space
it inherited at fork plus ``memory_mb`` MB. An allocation beyond it raises
MemoryError there, or kills the worker when C code (GMP) aborts, and both
come back as status ``"memory"``.

Workers are persistent (a :class:`Pool`), so the fork and the warm-up import
of sympy are paid once per worker, not once per task; a killed worker is
replaced before the next task. ``fork`` is the start method: modules the
parent has imported (``preload``) are inherited for free.

Only the standard library is imported here.

    >>> from engine.sandbox import run_bounded
    >>> run_bounded(pow, 2, 10, timeout=5.0).value
    1024
"""
from __future__ import annotations

import ctypes
import importlib
import multiprocessing
import multiprocessing.connection
import os
import resource
import signal
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Sequence

#: Statuses of an :class:`Outcome`.
STATUSES = ("ok", "timeout", "memory", "error")
#: Default CPU-time limit of one task, seconds.
DEFAULT_TIMEOUT = 2.0
#: A task is also stopped after WALL_FACTOR * limit + WALL_SLACK seconds of wall time
#: (a task that blocks uses no CPU).
WALL_FACTOR = 10.0
WALL_SLACK = 10.0
#: How often the parent looks at the CPU time of its busy workers, seconds.
POLL = 0.05
#: Default address-space limit of a worker, MB.
DEFAULT_MEMORY_MB = 1024
#: Signals that end a worker when memory runs out inside C code (GMP calls
#: abort(); the kernel's OOM killer sends SIGKILL).
_MEMORY_SIGNALS = {signal.SIGABRT, signal.SIGKILL, signal.SIGBUS}
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Outcome:
    """What became of one task.

    status: "ok" (``value`` holds the result), "timeout" (killed at the
    CPU-time limit, or at the wall-clock backstop), "memory" (out of the
    address-space limit) or "error" (the function raised: ``reason`` is
    ``"TypeName: message"``);
    reason: one line for a reader, empty when ok; ms: wall time,
    milliseconds; cpu: CPU time of the worker on the task, seconds."""

    status: str
    value: Any = None
    reason: str = ""
    ms: float = 0.0
    cpu: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


# --------------------------------------------------------------------------- the worker side


def die_with_parent(parent_pid: int | None = None) -> None:
    """Ask Linux to SIGKILL this process when its parent dies (no orphans);
    exit at once when the parent ``parent_pid`` is already gone."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: end-of-file on the pipe still ends the loop
        pass
    if parent_pid is not None and os.getppid() != parent_pid:  # died before prctl took effect
        os._exit(0)


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) of process ``pid`` so far, seconds; None
    where ``/proc`` cannot tell (not Linux, or the process is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    fields = stat[stat.rfind(b")") + 2:].split()
    try:
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    except (IndexError, ValueError):
        return None


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _address_space() -> int:
    """This process's current address space in bytes (0 where /proc is missing)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


def _limit_memory(memory_mb: int) -> None:
    """RLIMIT_AS = what the worker inherited at fork + ``memory_mb`` MB: the
    budget does not depend on how much the parent had loaded (sympy, torch)."""
    limit = _address_space() + int(memory_mb) * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _worker_main(conn, memory_mb: int, parent_pid: int) -> None:
    """Loop of a worker: receive ``(fn, args)``, send ``(status, value, reason)``."""
    die_with_parent(parent_pid)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # the parent's to handle; it kills us
        signal.signal(sig, signal.SIG_IGN if sig == signal.SIGINT else signal.SIG_DFL)
    _limit_memory(memory_mb)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            break
        if task is None:
            break
        fn, args = task
        try:
            reply = ("ok", fn(*args), "")
        except MemoryError as exc:
            reply = ("memory", None, f"MemoryError: {exc}".rstrip(": ") + f" (limit {memory_mb} MB)")
        except RecursionError as exc:
            reply = ("error", None, f"RecursionError: {exc}")
        except Exception as exc:  # reported to the parent, never swallowed
            reply = ("error", None, _one_line(exc))
        try:
            conn.send(reply)
        except MemoryError:
            conn.send(("memory", None, f"MemoryError while sending the result (limit {memory_mb} MB)"))
        except Exception as exc:  # e.g. an unpicklable result
            conn.send(("error", None, f"result could not be sent back: {_one_line(exc)}"))
    conn.close()
    os._exit(0)


def _one_line(exc: BaseException) -> str:
    message = " ".join(str(exc).split())
    if len(message) > 300:
        message = message[:297] + "..."
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


# --------------------------------------------------------------------------- the parent side


class _Worker:
    """One persistent worker process and its end of the pipe."""

    def __init__(self, ctx, memory_mb: int):
        parent_end, child_end = ctx.Pipe(duplex=True)
        self.conn = parent_end
        self.process = ctx.Process(target=_worker_main, args=(child_end, memory_mb, os.getpid()), daemon=True)
        self.process.start()
        child_end.close()
        self.memory_mb = memory_mb
        self.deadline: float | None = None
        self.started: float = 0.0
        self.limit: float = 0.0
        self.cpu0: float | None = None
        self.index: int | None = None
        self.healthy = True  # False once its pipe broke: never given another task

    @property
    def pid(self) -> int:
        return self.process.pid

    def submit(self, fn: Callable, args: tuple, timeout: float, index: int | None = None) -> None:
        self.started = time.perf_counter()
        self.limit = timeout
        self.cpu0 = cpu_seconds(self.pid)
        self.deadline = self.started + (timeout if self.cpu0 is None else WALL_FACTOR * timeout + WALL_SLACK)
        self.index = index
        self.conn.send((fn, args))

    def cpu(self) -> float:
        """CPU seconds the worker has spent on its current task (0 if unknown)."""
        now = cpu_seconds(self.pid)
        return 0.0 if now is None or self.cpu0 is None else max(0.0, now - self.cpu0)

    def collect(self) -> Outcome:
        """The reply of a finished task (the pipe is readable or closed)."""
        ms = (time.perf_counter() - self.started) * 1000.0
        try:
            status, value, reason = self.conn.recv()
        except (EOFError, OSError):
            self.healthy = False
            return self._died(ms)
        self.deadline = None
        return Outcome(status, value, reason, ms, self.cpu())

    def _died(self, ms: float) -> Outcome:
        self.process.join(1.0)
        code = self.process.exitcode
        self.deadline = None
        if code is not None and code < 0:
            sig = signal.Signals(-code)
            if sig in _MEMORY_SIGNALS:
                return Outcome("memory", None, f"the worker died of {sig.name}, most likely out of memory "
                               f"(limit {self.memory_mb} MB)", ms)
            return Outcome("error", None, f"the worker crashed ({sig.name})", ms)
        return Outcome("error", None, f"the worker exited unexpectedly (exit code {code})", ms)

    def kill(self) -> None:
        """SIGKILL the worker and reap it: no zombie is left behind."""
        if self.process.is_alive():
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.join()
        self.conn.close()

    def stop(self, grace: float = 1.0) -> None:
        """Ask the worker to finish, then kill it if it does not within ``grace`` s."""
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(grace)
        self.kill()


class Pool:
    """A small pool of persistent, killable worker processes.

    Args:
        workers: number of processes (``derive ... --jobs N``); at least 1.
        memory_mb: address space each worker may add to what it inherits
            from this process at fork, MB (``RLIMIT_AS``).
        timeout: default CPU-time limit of one task, seconds.
        preload: module names imported in the parent before the first fork,
            so that every worker starts with them (e.g. ``("sympy",)``).

    Use as a context manager; :meth:`close` stops every worker. Tasks are a
    picklable module-level function and its arguments; results come back as
    :class:`Outcome` objects, in the order of the tasks.

    Raises ValueError for ``workers < 1`` or a non-positive limit."""

    def __init__(self, workers: int = 1, *, memory_mb: int = DEFAULT_MEMORY_MB,
                 timeout: float = DEFAULT_TIMEOUT, preload: Sequence[str] = ()):
        if workers < 1:
            raise ValueError(f"a pool needs at least 1 worker, not {workers}")
        if memory_mb <= 0 or timeout <= 0:
            raise ValueError("memory_mb and timeout must be positive")
        self.size = int(workers)
        self.memory_mb = int(memory_mb)
        self.timeout = float(timeout)
        self.preload = tuple(preload)
        self._ctx = multiprocessing.get_context("fork")
        self._idle: list[_Worker] = []
        self._busy: list[_Worker] = []
        self._closed = False

    # ----------------------------------------------------------------- lifecycle

    def __enter__(self) -> "Pool":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Stop every worker (SIGKILL after a short grace) and reap them."""
        if self._closed:
            return
        self._closed = True
        for worker in self._busy:
            worker.kill()
        for worker in self._idle:
            worker.stop()
        self._busy, self._idle = [], []

    def pids(self) -> list[int]:
        """Process ids of the live workers (for tests and diagnostics)."""
        return [w.pid for w in self._idle + self._busy]

    def _spawn(self) -> _Worker:
        if self._closed:
            raise RuntimeError("the pool is closed")
        for module in self.preload:
            importlib.import_module(module)
        return _Worker(self._ctx, self.memory_mb)

    def _take(self) -> _Worker:
        worker = self._idle.pop() if self._idle else self._spawn()
        self._busy.append(worker)
        return worker

    def _release(self, worker: _Worker, outcome: Outcome) -> None:
        self._busy.remove(worker)
        if worker.healthy and outcome.status in ("ok", "error"):
            self._idle.append(worker)
        else:  # a killed, crashed or memory-starved worker is replaced
            worker.kill()

    # ----------------------------------------------------------------- tasks

    def run(self, fn: Callable, *args: Any, timeout: float | None = None) -> Outcome:
        """Run ``fn(*args)`` in a worker; one Outcome."""
        return next(self.imap(fn, [args], timeout=timeout))

    def map(self, fn: Callable, arglist: Iterable[tuple], timeout: float | None = None) -> list[Outcome]:
        """``fn(*args)`` for every tuple of ``arglist``, spread over the
        workers; the Outcomes in the order of ``arglist``."""
        return list(self.imap(fn, arglist, timeout=timeout))

    def imap(self, fn: Callable, arglist: Iterable[tuple], timeout: float | None = None) -> Iterator[Outcome]:
        """Like :meth:`map`, yielding each Outcome as soon as it and all the
        ones before it are done."""
        limit = self.timeout if timeout is None else float(timeout)
        if limit <= 0:
            raise ValueError(f"timeout must be positive, not {limit}")
        pending = iter(enumerate(arglist))
        done: dict[int, Outcome] = {}
        next_out = 0
        exhausted = False
        try:
            while True:
                while not exhausted and len(self._busy) < self.size:
                    item = next(pending, None)
                    if item is None:
                        exhausted = True
                        break
                    index, args = item
                    self._take().submit(fn, tuple(args), limit, index)
                while next_out in done:
                    yield done.pop(next_out)
                    next_out += 1
                if exhausted and not self._busy:
                    return
                self._wait(done)
        except BaseException:
            for worker in list(self._busy):  # interrupted: nothing is left running
                self._busy.remove(worker)
                worker.kill()
            raise

    def _wait(self, done: dict[int, Outcome]) -> None:
        now = time.perf_counter()
        nearest = min(w.deadline for w in self._busy)
        wait = max(0.0, min(nearest - now, POLL))
        ready = multiprocessing.connection.wait([w.conn for w in self._busy], timeout=wait)
        for worker in list(self._busy):
            if worker.conn in ready:
                outcome = worker.collect()
            else:
                outcome = self._overrun(worker)
                if outcome is None:
                    continue
            done[worker.index] = outcome
            self._release(worker, outcome)

    @staticmethod
    def _overrun(worker: _Worker) -> Outcome | None:
        """A timeout Outcome (the worker killed) when ``worker`` is over its
        CPU-time limit or its wall-clock backstop; None otherwise."""
        cpu = worker.cpu()
        wall = time.perf_counter() >= worker.deadline
        if worker.cpu0 is not None and cpu >= worker.limit:
            reason = f"stopped after {worker.limit:g} s of CPU time (CPU-time limit)"
        elif wall:
            reason = (f"stopped after {worker.deadline - worker.started:g} s of wall time "
                      f"({cpu:.1f} s of CPU time; wall-clock backstop)" if worker.cpu0 is not None
                      else f"stopped after {worker.limit:g} s (wall-time limit)")
        else:
            return None
        ms = (time.perf_counter() - worker.started) * 1000.0
        worker.kill()
        return Outcome("timeout", None, reason, ms, cpu)


def run_bounded(fn: Callable, *args: Any, timeout: float = DEFAULT_TIMEOUT,
                memory_mb: int = DEFAULT_MEMORY_MB) -> Outcome:
    """Run ``fn(*args)`` once in a fresh worker process under ``timeout``
    seconds of CPU time and ``memory_mb`` MB of address space (beyond what
    the worker inherits from this process).

    ``fn`` must be a picklable module-level function. Returns an Outcome:
    ``status`` "ok" with ``value``, or "timeout", "memory", "error" with the
    reason (an exception raised by ``fn`` comes back as its type and message).
    The worker is always gone when this returns. For many tasks use a
    :class:`Pool`, which keeps its workers between tasks."""
    with Pool(1, memory_mb=memory_mb, timeout=timeout) as pool:
        return pool.run(fn, *args)
