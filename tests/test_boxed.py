"""Boxed answers as the sheet writes them: decimals, closed forms with \\approx, grouped integers."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import mpmath
import pytest
import sympy as sp

from engine.model import catalog
from engine.model.problem import Answer
from engine.render.boxed import boxed_latex, finite_decimal, group_digits
from tests.test_pdf import vgg16_counts


@pytest.mark.parametrize("n", [0, 7, 4096, 12345, 138357544, -1234567, 10**12])
def test_integers_are_grouped_in_threes_from_five_digits(n):
    expected = str(n) if len(str(abs(n))) < 5 else f"{n:,}".replace(",", "{,}")
    assert group_digits(n) == expected


@pytest.mark.parametrize("p, q", [(68, 5), (193, 10), (1, 16), (1, 32), (-1, 20), (1, 4), (3, 1)])
def test_finite_decimals_are_exact(p, q):
    assert Fraction(finite_decimal(sp.Rational(p, q))) == Fraction(p, q)
    assert finite_decimal(sp.Rational(p, q)) == format(Decimal(p) / Decimal(q), "f").rstrip("0").rstrip(".") \
        if q != 1 else str(p)


@pytest.mark.parametrize("p, q", [(1, 3), (1839336, 15455357), (2, 7)])
def test_repeating_decimals_are_not_finite(p, q):
    assert finite_decimal(sp.Rational(p, q)) is None


def test_box_of_a_repeating_fraction_is_the_fraction_approximately_its_decimal():
    a = Answer("x.r", sp.Rational(1839336, 15455357))
    assert boxed_latex(a) == rf"\frac{{1839336}}{{15455357}} \approx {mpmath.nstr(mpmath.mpf(1839336) / 15455357, 6)}"


def test_vector_of_short_fractions_is_boxed_as_decimals():
    a = Answer("x.w", [sp.Rational(1, 16), sp.Rational(1, 32)])
    assert boxed_latex(a) == r"\left[\begin{matrix}0.0625 & 0.03125\end{matrix}\right]"


def test_catalog_boxes_show_the_sheet_numbers():
    _, conv, total = vgg16_counts()  # a plain loop over VGG16's configuration D
    vgg = catalog.get("vgg16").solve().answers
    assert boxed_latex(vgg["vgg16.params_total"]) == f"{total:,}".replace(",", "{,}")
    assert boxed_latex(vgg["vgg16.params_conv"]) == f"{conv:,}".replace(",", "{,}")
    ratio = mpmath.mpf(conv) / (total - conv)
    assert boxed_latex(vgg["vgg16.conv_fc_ratio"]).endswith(rf"\approx {mpmath.nstr(ratio, 6)}")
    # softmax of (1, 2, 3) (problems.md B2): the sheet's 0.0900306, 0.244728, 0.665241
    z = [mpmath.mpf(1), mpmath.mpf(2), mpmath.mpf(3)]
    total_e = sum(mpmath.exp(v) for v in z)
    decimals = " & ".join(mpmath.nstr(mpmath.exp(v) / total_e, 6) for v in z)
    soft = catalog.get("softmax").solve().answers["softmax.stable_example"]
    assert boxed_latex(soft).endswith(rf"\left[\begin{{matrix}}{decimals}\end{{matrix}}\right]")
    assert catalog.get("cnn").solve().answers["cnn.y"].value == sp.Rational(193, 10)
    assert boxed_latex(catalog.get("cnn").solve().answers["cnn.y"]) == "19.3"


def test_rendered_markdown_boxes_the_decimal():
    markdown = catalog.get("delta_rule")._repr_markdown_()
    assert r"\left[\begin{matrix}0.0625 & 0.03125\end{matrix}\right]" in markdown
    assert r"\frac{1}{16}" not in "".join(line for line in markdown.splitlines() if r"\boxed" in line)
