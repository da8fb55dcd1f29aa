"""A student's values as the checker carries them between processes.

A sympy object built from student text is kept pickled (:class:`Sealed`)
until a bounded worker uses it; :class:`StudentValue` is a value the
student gave a quantity, :class:`Evaluated` an expression resolved in one
mode (:func:`engine.check.resolve.resolve`).
"""
from __future__ import annotations

import pickle
from fractions import Fraction
from typing import Any


class Sealed:
    """A sympy object built from student text, carried between processes as
    pickled bytes and unpickled only where it is used (in a bounded worker).

    Unpickling a sympy expression runs its constructors: an unevaluated
    ``9^{9^9}`` becomes a huge integer on the way in. So the orchestrating
    process never unpickles one: it receives and forwards the bytes."""

    __slots__ = ("_obj", "_data")

    def __init__(self, obj: Any = None, data: bytes | None = None):
        self._obj = obj
        self._data = data

    def get(self) -> Any:
        if self._obj is None and self._data is not None:
            self._obj = pickle.loads(self._data)  # our own bytes, in a worker
        return self._obj

    def __reduce__(self):
        data = self._data if self._data is not None else pickle.dumps(self._obj, protocol=pickle.HIGHEST_PROTOCOL)
        return (Sealed, (None, data))


class StudentValue:
    """A value the student gave a quantity: the expression (canonical),
    the half unit of its last written digit (0 when exact), the line."""

    __slots__ = ("_value", "half_unit", "line")

    def __init__(self, value: Any, half_unit: Fraction = Fraction(0), line: int = 0):
        self._value = value if isinstance(value, Sealed) else Sealed(value)
        self.half_unit = half_unit
        self.line = line

    @property
    def value(self) -> Any:
        return self._value.get()

    def __reduce__(self):
        return (StudentValue, (self._value, self.half_unit, self.line))

    def __repr__(self) -> str:
        return f"StudentValue(line={self.line}, half_unit={self.half_unit})"


class Evaluated:
    """An expression resolved in one mode.

    expr: the resolved expression (canonical symbols, givens substituted);
    number: its value (mpf, or a list of them for a matrix) when closed and
    real, else None; error: the propagated uncertainty from the student's
    rounded values; used: the student keys it used; unknown: keys neither
    the problem nor the student defines."""

    __slots__ = ("_expr", "number", "error", "used", "unknown")

    def __init__(self, expr: Any, number: Any = None, error: Any = 0, used: tuple[str, ...] = (),
                 unknown: tuple[str, ...] = ()):
        self._expr = expr if isinstance(expr, Sealed) else Sealed(expr)
        self.number = number
        self.error = error
        self.used = used
        self.unknown = unknown

    @property
    def expr(self) -> Any:
        return self._expr.get()

    def __reduce__(self):
        return (Evaluated, (self._expr, self.number, self.error, self.used, self.unknown))

    def __repr__(self) -> str:
        return f"Evaluated(number={self.number}, used={self.used}, unknown={self.unknown})"


