"""Bounded reads of input files: opened once, size-limited, never blocking.

A path from the command line may name a FIFO (which blocks an ``open`` until
a writer comes), ``/dev/zero`` (which never ends) or a huge file. Here a
file is opened once with ``O_NONBLOCK`` (so opening a FIFO returns at once),
checked with ``fstat`` on that same descriptor, and read with a limit.

- :func:`read_bytes`: a whole submission; only a regular file, or ``-`` for
  standard input; at most ``max_bytes`` (more is an error).
- :func:`iter_lines`: a JSON-lines file streamed line by line; FIFOs and
  devices allowed (process substitution), every line at most ``max_line``
  bytes (a longer one is reported and skipped) and at most ``max_total``
  bytes in all.

Only the standard library is imported here.
"""
from __future__ import annotations

import os
import stat
import sys
from typing import BinaryIO, Iterator

from engine.errors import UsageError

#: Read size of one chunk, bytes.
CHUNK = 1 << 16


def _open(path: str, regular_only: bool) -> BinaryIO:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, not a file") from None
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except PermissionError:
        raise UsageError(f"{path}: permission denied") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    mode = os.fstat(fd).st_mode
    if stat.S_ISDIR(mode):
        os.close(fd)
        raise UsageError(f"{path}: is a directory, not a file")
    if regular_only and not stat.S_ISREG(mode):
        os.close(fd)
        raise UsageError(f"{path}: not a regular file (a pipe or a device); save it to a file, or give - for stdin")
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)  # a FIFO, once open, is read normally
    return os.fdopen(fd, "rb")


def read_bytes(path: str, max_bytes: int) -> bytes:
    """The bytes of ``path`` (``-``: standard input), opened once.

    At most ``max_bytes + 1`` bytes are read (the caller tells the reader
    that the file is too long). Raises UsageError when it is missing,
    unreadable, or not a regular file."""
    if path == "-":
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:
            raise UsageError("-: standard input cannot be read as bytes")
        data = stream.read(max_bytes + 1)
    else:
        with _open(path, regular_only=True) as handle:
            try:
                data = handle.read(max_bytes + 1)
            except OSError as exc:
                raise UsageError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return data


def iter_lines(path: str, max_line: int, max_total: int) -> Iterator[bytes | Exception]:
    """The lines of ``path`` (``-``: standard input) without their line
    ends, read in chunks. A line longer than ``max_line`` bytes is yielded
    as a ValueError saying so (and skipped to its end); after ``max_total``
    bytes the reading stops with a last ValueError. Memory stays below
    ``max_line + CHUNK``. Raises UsageError when the file cannot be opened."""
    if path == "-":
        handle = getattr(sys.stdin, "buffer", sys.stdin)
        close = False
    else:
        handle = _open(path, regular_only=False)
        close = True
    try:
        yield from _lines(handle, max_line, max_total)
    finally:
        if close:
            handle.close()


def _lines(handle, max_line: int, max_total: int) -> Iterator[bytes | Exception]:
    total = 0
    current = bytearray()
    skipping = False
    first = True
    while True:
        chunk = handle.read(CHUNK)
        if not chunk:
            break
        if isinstance(chunk, str):
            chunk = chunk.encode("utf-8", "surrogateescape")
        if first and chunk.startswith(b"\xef\xbb\xbf"):
            chunk = chunk[3:]  # a byte-order mark
        first = False
        total += len(chunk)
        pieces = chunk.split(b"\n")
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            if not skipping:
                current += piece
                if len(current) > max_line:
                    yield ValueError(f"longer than {max_line // 1024} KB; a line is at most that")
                    current.clear()
                    skipping = True
            if not last:
                if not skipping:
                    yield bytes(current.rstrip(b"\r"))
                current.clear()
                skipping = False
        if total > max_total:
            yield ValueError(f"the input is larger than {max_total // (1 << 20)} MB; stopped reading here")
            return
    if current and not skipping:
        yield bytes(current.rstrip(b"\r"))
