"""Row-wise softmax of a matrix and Jacobians as matrices and tables.

* :func:`softmax_rows`: softmax(S)_{rj} = exp(S_rj - max_k S_rk) /
  sum_k exp(S_rk - max_k S_rk), each row shifted by its maximum (shift
  invariance, Goodfellow et al. 2016, Sec. 4.1), exact. Shape (R, C) ->
  (R, C); every row sums to 1.
* :func:`softmax_jacobian`: d a_i / d s_j = a_i (delta_ij - a_j) for
  a = softmax(s), the C x C matrix diag(a) - a a^T (Bridle 1990).
* :func:`jacobian`: the matrix of partials d outputs_i / d inputs_j of
  sympy expressions (shape (len(outputs), len(inputs))).
* :func:`jacobian_table`: a :class:`engine.model.problem.Table` of partials,
  one row per output, one column per input, headers
  ``\\frac{\\partial a_i}{\\partial s_j}`` written from the LaTeX names.
"""
from __future__ import annotations

from typing import Any, Sequence

import sympy as sp

from engine.errors import UsageError
from engine.math.numbers import as_basic
from engine.model.problem import Table, Tex


def softmax_rows(scores: Any) -> sp.Matrix:
    """Row-wise softmax of a matrix (or a list of rows) of exact numbers or
    expressions; each row is shifted by its maximum when the row is numeric.
    Raises UsageError for an empty matrix."""
    m = sp.Matrix(scores)
    if m.rows == 0 or m.cols == 0:
        raise UsageError("softmax of an empty matrix: give at least one row and one column")
    rows = []
    for r in range(m.rows):
        row = list(m.row(r))
        shift = max(row) if all(e.is_number and e.is_real for e in row) else 0
        exps = [sp.exp(e - shift) for e in row]
        total = sp.Add(*exps)
        rows.append([e / total for e in exps])
    return sp.Matrix(rows)


def softmax_jacobian(probabilities: Sequence[Any]) -> sp.Matrix:
    """diag(a) - a a^T: entry (i, j) is a_i (delta_ij - a_j), for a = softmax(s)."""
    a = [as_basic(v) for v in probabilities]
    n = len(a)
    return sp.Matrix(n, n, lambda i, j: a[i] * (sp.KroneckerDelta(i, j) - a[j]))


def jacobian(outputs: Sequence[Any], inputs: Sequence[Any]) -> sp.Matrix:
    """The matrix d outputs_i / d inputs_j (sympy differentiation)."""
    return sp.Matrix(list(outputs)).jacobian(sp.Matrix(list(inputs)))


def jacobian_table(matrix: Any, output_names: Sequence[str], input_names: Sequence[str],
                   caption: str = "") -> Table:
    """A Table of partials: the first column names the output
    (``\\frac{\\partial a_1}{\\partial \\cdot}``), then one column per input.
    Names are LaTeX (``a_1``, ``s_2``). Raises UsageError when the names do
    not match the matrix's shape."""
    m = sp.Matrix(matrix)
    if (m.rows, m.cols) != (len(output_names), len(input_names)):
        raise UsageError(f"a {m.rows} x {m.cols} Jacobian needs {m.rows} output and {m.cols} input names")
    headers: list[Any] = [Tex("")]
    headers += [Tex(rf"\partial {name}") for name in input_names]
    rows = [[Tex(rf"\partial {out}")] + [m[i, j] for j in range(m.cols)] for i, out in enumerate(output_names)]
    return Table(headers, rows, caption)
