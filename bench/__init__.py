"""Benchmarks of derive against the tools people use instead (Math-Verify,
sympy's ``simplify(a - b) == 0`` and ``Expr.equals``), catalog and CLI
timings, and the long fuzz run: ``python -m bench`` (``make bench``)."""
