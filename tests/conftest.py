"""Shared fixtures: the repository root, the shared/ folder beside it, and a
runner for the ``derive`` command in a subprocess (the real entry point)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture(autouse=True)
def _fresh_output_cache(tmp_path_factory, monkeypatch):
    """Each test starts with an empty engine.render.cache (a warm cache would skip
    the solving some tests count or break on purpose)."""
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path_factory.mktemp("derive-cache")))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    assert (SHARED / "problems.md").exists(), f"shared/ must lie beside the repository: {SHARED}"
    return SHARED


def run_derive(*args: str, input: str | None = None, timeout: float = 300, env: dict | None = None):
    """Run ``python -m engine.cli ARGS`` and return the CompletedProcess."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args],
        cwd=ROOT, capture_output=True, text=True, input=input, timeout=timeout, env=full_env,
    )


@pytest.fixture
def derive():
    return run_derive
