"""derive diff and derive trace in the terminal: mathematics in Unicode notation, not Python syntax."""
from __future__ import annotations

import math

import sympy as sp

from engine.render.terminal import columns, one_line, pretty_block, trace_name


def test_one_line_notation():
    v = {n: sp.Symbol(n) for n in ("v_-1", "v0", "v1", "v2", "vbar4", "vbar5")}
    assert one_line(v["v_-1"] ** 2) == "v₋₁²"
    assert one_line(v["v1"] / v["v2"]) == "v₁/v₂"
    assert one_line(v["v2"] ** -2) == "1/v₂²"
    assert one_line(v["vbar4"] * v["v0"]) in ("v₀·v̄₄", "v̄₄·v₀")
    assert trace_name("vbar_-1") == "v̄₋₁" and columns("v̄₋₁") == 3


def test_pretty_block_sets_the_label_on_the_baseline():
    x = sp.Symbol("x", positive=True)
    rows = pretty_block("f = ", x**2 / sp.log(x))
    label_row = [r for r in rows if r.startswith("f = ")]
    assert len(label_row) == 1 and "─" in label_row[0]  # the fraction bar
    assert all(r.startswith("    ") for r in rows if not r.startswith("f = "))
    assert any("log(x)" in r for r in rows)


def test_derive_diff_prints_no_python_syntax(derive):
    result = derive("diff", r"\frac{x^2}{\log x}", "--wrt", "x", "--at", "x=3")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "**" not in out and "d/dx(" not in out and "*" not in out
    assert "quotient rule" in out and "─" in out
    # the value at 3: (2 x log x - x) / log^2 x, computed here
    value = (2 * 3 * math.log(3) - 3) / math.log(3) ** 2
    assert out.rstrip().endswith(f"at x = 3: {value:.6g}")


def test_derive_trace_prints_the_catalog_numbering_in_unicode(derive):
    result = derive("trace", r"(\frac{x^2}{\log x} + c)(\frac{x^2}{\log x} - c)", "--at", "c=5,x=3")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].split() == ["v₋₁", "=", "c", "5"] and lines[2].split() == ["v₀", "=", "x", "3"]
    assert any(l.split()[:3] == ["v₁", "=", "v₀²"] for l in lines)
    assert "**" not in result.stdout and "vbar" not in result.stdout
    u = 9 / math.log(3)
    f = (u + 5) * (u - 5)
    dfdx = 2 * u * (2 * 3 / math.log(3) - 3 / math.log(3) ** 2)
    assert lines[-1] == f"f = {f:.6g}; ∂f/∂c = -10, ∂f/∂x = {dfdx:.6g}"


def test_math_in_prose_reads_as_unicode():
    from engine.render.terminal import math_text, plain_name, prose_text

    assert math_text(r"\frac{\hat{m}_t}{\sqrt{\hat{v}_t} + \epsilon}") == "m̂ₜ/(√(v̂ₜ) + ε)"
    assert math_text(r"L = -\log p_y") == "L = −log p_y"  # \log is a word, not \l + og
    assert math_text(r"\left(\mathrm{nan}, 0\right)") == "(nan, 0)"  # \left is not \le + ft
    assert prose_text(r"$\hat{v}_t$ is the second moment of $g_t + \lambda w_t$.") == \
        "v̂ₜ is the second moment of gₜ + λ wₜ."
    assert plain_name(r"\hat{m}_t^{(w)}") == "m̂ₜ⁽ʷ⁾"  # not m̂_t__(w)


def test_derive_show_prints_no_latex(derive):
    result = derive("show", "adam")
    assert result.returncode == 0, result.stderr
    assert "$" not in result.stdout and "\\hat" not in result.stdout and "__(" not in result.stdout
    assert "m̂⁽ʷ⁾" in result.stdout


def test_show_prints_indexed_entries_as_subscripts():
    """``derive show softmax``: the cross-entropy answers name p_y, never sympy's ``p[y]``."""
    from engine.model import catalog
    from engine.render.terminal import one_line, plain_symbols

    answers = catalog.get("softmax").solve().answers
    texts = [one_line(plain_symbols(answers[i].value)) for i in ("ce.loss_onehot", "ce.dL_dz_y", "ce.dL_dz_other")]
    assert all("[" not in t for t in texts), texts
    assert "p_y" in texts[0] and texts[1].startswith("p_y")
