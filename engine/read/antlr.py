r"""The ANTLR parse of latex2sympy2_extended, once per fragment and process.

latex2sympy2_extended's grammar is ambiguous, so ANTLR's full-LL prediction
(``adaptivePredict``) does most of the work of a parse, and the same
fragment comes back again and again in a submission: ``(\frac{x^2}{\log x}
+ c)`` inside every partial derivative of a chain rule, each member of a
chain in the step checks and again in the answer checks. :func:`cached`
keeps each conversion (or its ParseError) per process, so a fragment is
parsed once.

Measured on the Sheet A examples (171 fragments, cold process): 6.5 s of
CPU without the cache, 4.9 s with it, 0.04 s for a second pass. ANTLR's
two-stage parse (SLL with a bail-out, full LL only where SLL fails; Parr,
Harwell and Fisher, "Adaptive LL(*) parsing", OOPSLA 2014, section 3.2)
was tried and brought nothing here: SLL fails on more than half of these
fragments (every parenthesised group), and each failure is parsed twice.
Warming the DFA with typical fragments before the workers fork cost more
(about 1.5 s in the parent) than it saved in the workers.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable

#: Most conversions kept by :func:`cached` (a submission has a few hundred fragments).
CACHE_SIZE = 4096
_CACHE: "OrderedDict[Any, tuple[bool, Any]]" = OrderedDict()


def cached(key: Any, compute: Callable[[], Any]) -> Any:
    """``compute()``, once per hashable ``key`` in this process (least recently used out
    first). A ``UsageError`` (a ParseError) is kept too, and raised again for the same key.
    The values are sympy objects, which are immutable, so sharing them is safe."""
    from engine.errors import UsageError

    if key in _CACHE:
        _CACHE.move_to_end(key)
        ok, value = _CACHE[key]
    else:
        try:
            ok, value = True, compute()
        except UsageError as exc:
            ok, value = False, exc
        _CACHE[key] = (ok, value)
        if len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    if not ok:
        raise value.with_traceback(None)
    return value
