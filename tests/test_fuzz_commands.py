"""The short fuzz run of diff, trace, --set values and --pairs (issue 14; the
long one is ``make bench``): no crash, no case over its bound, no orphan."""
from __future__ import annotations

import os

from bench import fuzz, fuzz_commands


def test_diff_trace_set_and_pairs_never_crash_nor_overrun():
    before = set(fuzz.descendants(os.getpid()))
    result = fuzz_commands.fuzz(30, 60, jobs=2, progress=lambda message: None)
    assert result["cases"] >= 30 * 2 + 60 + 11
    assert (result["crashes"], result["over_bound"]) == (0, 0), result["failures"]
    assert set(fuzz.descendants(os.getpid())) - before == set()


def test_harvest_is_reproducible():
    assert fuzz_commands.harvest(10, 10, seed_value=3) == fuzz_commands.harvest(10, 10, seed_value=3)
