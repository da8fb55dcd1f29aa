"""The short fuzz run (the long one is ``make bench``): hypothesis-built
LaTeX through ``derive equiv``'s sandboxed comparison, mutated real
submissions through ``derive check``, and a batch of each through the real
CLI. No case may crash (an exception escaping, or caught inside a worker as
an internal error), run past its bound, or leave a process behind."""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench import fuzz
from engine.check import equiv


@pytest.fixture(scope="module")
def workers():
    with equiv.pool(2, timeout=fuzz.EQUIV_TIMEOUT) as pool:
        yield pool


@settings(max_examples=250, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(reference=fuzz.EXPRESSIONS, student=fuzz.LATEX, problem=st.sampled_from(fuzz.PROBLEMS))
def test_equiv_never_crashes_nor_overruns(workers, reference, student, problem):
    verdict = equiv.equivalent(reference, student, problem=problem, pool=workers, timeout=fuzz.EQUIV_TIMEOUT)
    assert verdict.verdict in ("equal", "different", "undecided")
    assert not fuzz.CRASH_TEXT.search(verdict.reason), verdict.reason
    assert verdict.ms < (fuzz.EQUIV_TIMEOUT + fuzz.EQUIV_SLACK) * 1000


def test_check_of_mutated_submissions_never_crashes_nor_overruns():
    _, subs = fuzz.harvest(0, 8, seed_value=7)
    assert len(subs) == 8
    before = set(fuzz.descendants(os.getpid()))  # the module's equiv pool
    tally = fuzz.Tally()
    fuzz.run_check(subs, tally, jobs=2)
    assert (tally.cases, tally.crashes, tally.over_bound) == (8, 0, 0), tally.failures
    assert set(fuzz.descendants(os.getpid())) - before == set()


def test_the_real_cli_reports_every_fuzzed_case(tmp_path):
    pairs, subs = fuzz.harvest(60, 3, seed_value=11)
    before = set(fuzz.descendants(os.getpid()))
    tally = fuzz.Tally()
    fuzz.run_cli(pairs, subs, tally, tmp_path, jobs=2)
    assert tally.by_kind == {"cli-equiv": 60, "cli-check": 3}
    assert (tally.crashes, tally.over_bound) == (0, 0), tally.failures
    assert set(fuzz.descendants(os.getpid())) - before == set()


def test_harvest_is_reproducible():
    assert fuzz.harvest(30, 2, seed_value=3) == fuzz.harvest(30, 2, seed_value=3)


@pytest.mark.parametrize("reason, crash", [
    ("internal error while comparing: TypeError: _sigmoid() takes 1 positional argument but 2 were given", True),
    ("could not decide: the comparison failed (RecursionError)", True),
    ("the worker crashed (SIGSEGV)", True),
    ("no decision within the time limit (5 s)", False),
    ("the comparison ran out of memory: MemoryError (limit 1024 MB)", False),
    ("the answer cannot be read: brackets are nested 500 deep; at most 50 levels are read", False),
    ("the answer holds a power with about 10^9 digits (9^(9**9)): too large to evaluate", False),
])
def test_what_counts_as_a_crash(reason, crash):
    assert bool(fuzz.CRASH_TEXT.search(reason)) is crash
