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

Trust (issue 14): an entry is served only when

- the directory is ours and private: created 0700, owned by this user and
  not writable by the group or others (else the cache is not used);
- the entry is a regular file (opened with ``O_NOFOLLOW | O_NONBLOCK``, so
  a symlink to ``/dev/zero`` or a FIFO at a key is refused, never read),
  owned by this user, not group- or world-writable, at most
  :data:`MAX_ENTRY` bytes;
- it has the schema ``{"format", "key", "digest", "value"}``, its key is
  the key asked for and its digest is the SHA-256 of the key and the value.

Anything else is a miss: the output is computed again and the entry
replaced.

Only the standard library is imported here (a cache hit never imports sympy
for the lookup itself).
"""
from __future__ import annotations

import hashlib
import json
import os
import stat
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
FORMAT = 2
#: Largest entry read back, bytes.
MAX_ENTRY = 64 << 20


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


def private(folder: Path) -> bool:
    """The directory exists, is ours and nobody else can write in it."""
    try:
        st = os.stat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o022


def digest(name: str, value: Any) -> str:
    """SHA-256 of an entry's key and its value (canonical JSON)."""
    text = json.dumps([name, value], sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def read_entry(path: Path) -> bytes | None:
    """The bytes of a trusted entry file, or None (see the module docstring)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None  # missing, or a symlink (ELOOP)
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(handle.fileno())
        if (not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o022
                or st.st_size > MAX_ENTRY):
            return None
        data = handle.read(MAX_ENTRY + 1)
    return data if len(data) <= MAX_ENTRY else None


def get(parts: Any) -> Any | None:
    """The cached value of ``parts``, or None (missing, untrusted, corrupt,
    or the cache is off)."""
    if not enabled():
        return None
    folder = directory()
    if not private(folder):
        return None
    name = key(parts)
    data = read_entry(folder / f"{name}.json")
    if data is None:
        return None
    try:
        entry = json.loads(data)
    except (ValueError, RecursionError):
        return None
    if not isinstance(entry, dict) or set(entry) != {"format", "key", "digest", "value", "parts"}:
        return None
    if entry["format"] != FORMAT or entry["key"] != name or entry["value"] is None:
        return None
    if entry["digest"] != digest(name, entry["value"]):
        return None
    return entry["value"]


def put(parts: Any, value: Any) -> None:
    """Store ``value`` (JSON-able) for ``parts``; a failed write is skipped."""
    if not enabled():
        return
    folder = directory()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return  # a read-only cache: the output was computed anyway
    if not private(folder):
        return  # not ours, or others may write there: never used
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")  # mode 0600
    except OSError:
        return
    name = key(parts)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"format": FORMAT, "key": name, "digest": digest(name, value), "parts": parts,
                       "value": value}, handle, default=str)
        os.replace(tmp, folder / f"{name}.json")
    except OSError:
        Path(tmp).unlink(missing_ok=True)  # a full disk: no entry, the output stands


def memo(parts: Any, compute: Callable[[], Any]) -> Any:
    """The cached value of ``parts``, or ``compute()`` stored for next time."""
    value = get(parts)
    if value is None:
        value = compute()
        put(parts, value)
    return value
