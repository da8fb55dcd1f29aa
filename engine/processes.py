"""Signals of a command that runs child processes.

``derive check --jobs N`` forks one process per submission, each with its
own pool of workers. Whatever ends the parent, no child may outlive it:

- SIGTERM and SIGHUP are handled like SIGINT (:func:`terminate_like_interrupt`):
  they raise KeyboardInterrupt in the parent, whose ``finally`` blocks kill
  and reap every child (the CLI then exits 130 with one line);
- a child asks the kernel for SIGKILL when its parent dies, even by SIGKILL
  (:func:`child_setup`: ``PR_SET_PDEATHSIG`` through
  :func:`engine.sandbox.die_with_parent`), and exits at once when its parent
  is already gone (the parent pid check).

Only the standard library is imported here.
"""
from __future__ import annotations

import signal

#: Signals that end a command like Ctrl-C does.
TERMINATING = (signal.SIGTERM, signal.SIGHUP)


def _interrupt(signum, frame):
    raise KeyboardInterrupt(signal.Signals(signum).name)


def terminate_like_interrupt() -> None:
    """In the parent: SIGTERM and SIGHUP raise KeyboardInterrupt."""
    for sig in TERMINATING:
        signal.signal(sig, _interrupt)


def child_setup(parent_pid: int) -> None:
    """In a forked child: the default action for SIGTERM and SIGHUP (the
    handler of the parent is not inherited), SIGINT ignored (the parent
    handles Ctrl-C and kills us), and death with the parent."""
    from engine.sandbox import die_with_parent

    for sig in TERMINATING:
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent_pid)
