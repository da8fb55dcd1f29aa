"""The sheet's reference (:class:`engine.check.reference.SheetRef`: every
problem solved, its answers, its error-model variants) kept on disk between
runs of ``derive check``, so a submission does not pay for solving and
verifying the whole sheet again (1.5 s of CPU for Sheet A, more than half
of a small submission's check).

Entries live beside the catalog cache (:mod:`engine.render.cache`: same
directory, same ``DERIVE_NO_CACHE`` switch) under a key made of the sheet
and the hash of every source file and of the Python, sympy and Jinja2
versions, so any edit to a derivation or to the engine is a miss. The
reference holds sympy objects, so an entry is a pickle written atomically
(a temporary file, then ``os.replace``). Unpickling runs code, so an entry is
read only under the catalog cache's trust rules (:func:`engine.render.cache.private`
and :func:`engine.render.cache.read_entry`): a directory that is ours and that
nobody else can write in, a regular file that is ours, not group- or
world-writable, not a link; a load that fails or does not give a SheetRef is a miss.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any, Callable

from engine.render import cache

#: Bumped when the layout of SheetRef changes in a way the source hash would not show.
FORMAT = 1


def _path(sheet: str) -> Path:
    name = hashlib.sha256(f"sheetref {FORMAT} {sheet} {cache.source_hash()}".encode()).hexdigest()
    return cache.directory() / f"sheetref-{name}.pickle"


def load(sheet: str, kind: type) -> Any | None:
    """The stored reference of ``sheet`` when it is an instance of ``kind``, else None."""
    if not cache.enabled():
        return None
    path = _path(sheet)
    if not cache.private(path.parent):
        return None
    data = cache.read_entry(path)
    if data is None:
        return None
    try:
        value = pickle.loads(data)
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None
    return value if isinstance(value, kind) else None


def store(sheet: str, value: Any) -> None:
    """Keep ``value`` for ``sheet``; a cache that cannot be written is skipped (the value stands)."""
    if not cache.enabled():
        return
    path = _path(sheet)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not cache.private(path.parent):
            return  # not ours, or others may write there: never used
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pickle")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        Path(tmp).unlink(missing_ok=True)


def memo(sheet: str, kind: type, build: Callable[[], Any]) -> Any:
    """The stored reference of ``sheet``, or ``build()`` stored for the next run."""
    value = load(sheet, kind)
    if value is None:
        value = build()
        store(sheet, value)
    return value
