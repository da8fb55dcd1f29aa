"""A disk cache of catalog output that does not change between runs.

``derive render``, ``derive pdf`` (its LaTeX) and ``derive answers`` solve
and verify every selected problem, which takes seconds; their output
depends only on the problem ids, the parameter overrides, the options and
the code. :func:`memo` stores it under a key made of those and of a
SHA-256 of the sources that produce it (``derivations/``, ``engine/``,
``templates/``) and the versions of sympy and Jinja2, so any edit to a
derivation, the engine or a template, or an upgrade, is a cache miss.

Where: ``$DERIVE_CACHE_DIR``, else ``$XDG_CACHE_HOME/derive``, else
``~/.cache/derive``. ``DERIVE_NO_CACHE=1`` turns the cache off. A cache
that cannot be written (read-only home) is skipped silently: the output is
computed as without a cache. Entries are JSON files written atomically
(a temporary file, then ``os.replace``), so concurrent runs never read a
half-written entry.

Only the standard library is imported here (a cache hit never imports sympy
for the lookup itself).
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

#: The packages whose sources make the output: their files are hashed.
ROOT = Path(__file__).resolve().parents[2]
SOURCES = (ROOT / "derivations", ROOT / "engine", ROOT / "templates")
#: File suffixes that are sources.
SUFFIXES = (".py", ".j2")
#: Bumped when the format of an entry changes.
FORMAT = 1


def enabled() -> bool:
    return os.environ.get("DERIVE_NO_CACHE", "") in ("", "0")


def directory() -> Path:
    """Where entries are kept (see the module docstring)."""
    if os.environ.get("DERIVE_CACHE_DIR"):
        return Path(os.environ["DERIVE_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "derive"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "none"


@lru_cache(maxsize=None)
def source_hash() -> str:
    """SHA-256 of every source file under :data:`SOURCES` (path and bytes),
    the Python version and the versions of sympy and Jinja2."""
    digest = hashlib.sha256()
    digest.update(f"{FORMAT} {sys.version} sympy {_version('sympy')} jinja2 {_version('jinja2')}".encode())
    for base in SOURCES:
        for path in sorted(p for p in base.rglob("*") if p.suffix in SUFFIXES and "__pycache__" not in p.parts):
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def key(parts: Any) -> str:
    """The entry name of ``parts`` (JSON-able: ids, overrides, options)."""
    text = json.dumps([source_hash(), parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def get(parts: Any) -> Any | None:
    """The cached value of ``parts``, or None (missing, unreadable, or off)."""
    if not enabled():
        return None
    path = directory() / f"{key(parts)}.json"
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)["value"]
    except (OSError, ValueError, KeyError):
        return None


def put(parts: Any, value: Any) -> None:
    """Store ``value`` (JSON-able) for ``parts``; a failed write is skipped."""
    if not enabled():
        return
    folder = directory()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
    except OSError:
        return  # a read-only cache: the output was computed anyway
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"parts": parts, "value": value}, handle, default=str)
        os.replace(tmp, folder / f"{key(parts)}.json")
    except OSError:
        Path(tmp).unlink(missing_ok=True)  # a full disk: no entry, the output stands


def memo(parts: Any, compute: Callable[[], Any]) -> Any:
    """The cached value of ``parts``, or ``compute()`` stored for next time."""
    value = get(parts)
    if value is None:
        value = compute()
        put(parts, value)
    return value
