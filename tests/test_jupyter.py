"""Jupyter display: a Problem and a Solution show themselves as Markdown with
``$$`` math and boxed answers (``_repr_markdown_``; a Solution also has
``_repr_latex_``, the LaTeX fragment, for nbconvert). The boxed numbers are
compared with answers computed here independently (mpmath, a plain loop over
VGG16's configuration D)."""
from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction

import mpmath
import pytest

import engine.render  # noqa: F401 - the render stage registers the display hooks
from engine.model import catalog
from engine.model import variants
from tests.test_pdf import vgg16_counts


def boxed(markdown: str) -> list[str]:
    """The contents of every ``\\boxed{...}`` (braces balanced)."""
    out = []
    for match in re.finditer(r"\\boxed\{", markdown):
        depth, i = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(markdown[i], 0)
            i += 1
        out.append(markdown[match.end():i - 1])
    return out


def display_blocks(markdown: str) -> list[str]:
    """The ``$$ ... $$`` display-math blocks."""
    assert markdown.count("$$") % 2 == 0
    return re.findall(r"\$\$\n(.*?)\n\$\$", markdown, re.S)


@pytest.fixture(scope="module")
def shown():
    """What a notebook cell shows for the problem objects (solved at the defaults)."""
    return {pid: catalog.get(pid)._repr_markdown_() for pid in ("autodiff", "vgg16")}


@pytest.mark.parametrize("problem_id, heading", [("autodiff", "# A1 · "), ("vgg16", "# A3 · ")])
def test_problem_displays_as_markdown_with_display_math(shown, problem_id, heading):
    markdown = shown[problem_id]
    assert markdown.startswith(heading + catalog.get(problem_id).title)
    assert "**Problem.**" in markdown
    assert display_blocks(markdown)
    assert r"\Derive" not in markdown  # no macro of the LaTeX templates: MathJax has none


@pytest.mark.parametrize("problem_id", ["autodiff", "vgg16"])
def test_problem_display_boxes_every_answer(shown, problem_id):
    markdown, problem = shown[problem_id], catalog.get(problem_id)
    for answer_id in problem.answer_ids:
        assert f"`{answer_id}`" in markdown
    with_value = [a for a in problem.solve().answers.values() if a.value is not None]
    assert len(boxed(markdown)) == len(with_value)


def test_problem_display_boxes_the_independent_answers(shown):
    receptive_field, conv, total = vgg16_counts()
    vgg = [b.replace(" ", "") for b in boxed(shown["vgg16"])]
    assert f"r={receptive_field}" in vgg
    assert f"P_{{\\mathrm{{conv}}}}={conv:,}".replace(",", "{,}") in vgg  # grouped in threes
    assert f"P={total:,}".replace(",", "{,}") in vgg
    df_dx = mpmath.diff(lambda t: (t**2 / mpmath.log(t) + 5) * (t**2 / mpmath.log(t) - 5), 3)
    assert any(b.startswith(r"\frac{\partial f}{\partial x}") and b.endswith(rf"\approx {mpmath.nstr(df_dx, 6)}")
               for b in boxed(shown["autodiff"]))


def test_solution_of_a_variant_displays_its_values_and_answers():
    problem = catalog.get("autodiff")
    values = variants.draw(problem, 12)
    sol = problem.solve(values)
    markdown = sol._repr_markdown_()
    x0, c0 = (mpmath.mpf(str(values[k].p)) / values[k].q for k in ("x", "c"))
    assert f"$x = {float(values['x']):g}$" in markdown
    with mpmath.workdps(30):
        df_dc = mpmath.diff(lambda s: (x0**2 / mpmath.log(x0) + s) * (x0**2 / mpmath.log(x0) - s), c0)
    exact = Fraction(mpmath.nstr(df_dc, 15))  # -2c = 34/5 at c = -3.4: boxed as the sheet writes it, 6.8
    decimal = format(Decimal(exact.numerator) / Decimal(exact.denominator), "f")
    assert rf"\frac{{\partial f}}{{\partial c}} = {decimal}" in boxed(markdown)
    latex = sol._repr_latex_()
    assert latex.startswith("% derive: worked solution of problem autodiff [A1]")
    assert latex.count(r"\DeriveAnswer") >= 2


def test_derive_diff_result_has_a_rich_display():
    import sympy as sp

    from engine.calculus.differentiate import differentiate

    x = sp.Symbol("x", positive=True)
    result = differentiate(x**2 / sp.log(x), x, [(x, sp.Integer(3))])
    markdown = result._repr_markdown_()
    assert display_blocks(markdown) and boxed(markdown)
    value = mpmath.diff(lambda t: t**2 / mpmath.log(t), 3)  # the derivative at 3, by finite differences
    assert any(b.endswith(rf"\approx {mpmath.nstr(value, 6)}") for b in boxed(markdown))
    assert result._repr_latex_().startswith("% derive: worked solution")


def test_the_model_does_not_import_the_render_stage():
    """Data flows one way (model -> render): the model alone shows the plain
    repr; importing the render stage registers the Jupyter hooks."""
    code = ("import sys; from engine.model import catalog; p = catalog.get('autodiff'); "
            "assert p._repr_markdown_() is None and p.solve()._repr_latex_() is None; "
            "assert not any(m.startswith('engine.render') for m in sys.modules), 'model imported render'; "
            "import engine.render; print(p._repr_markdown_().splitlines()[0])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("# A1 · " + catalog.get("autodiff").title)
