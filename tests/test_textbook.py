"""Text that is mathematics is typeset as mathematics (issue 13: no literal ^ or != in prose)."""
from __future__ import annotations

import re

import pytest

from engine.model import catalog
from engine.render import views as render


@pytest.mark.parametrize("problem_id, math", [
    ("cnn", r"$L = \frac{1}{2}(y - t)^2$"),
    ("softmax", r"$L = -\log p_y$"),
    ("softmax", r"$y' \neq y$"),
    ("softmax", r"$\exp(1000) = \mathrm{inf}$"),
])
def test_math_in_prose_is_math(problem_id, math):
    sol = catalog.get(problem_id).solve()
    tex = render.render_fragment(sol)
    assert math in tex
    prose = re.sub(r"\$[^$]*\$", "", tex)  # outside math
    assert "!=" not in prose and "(y - t)^2" not in prose and "-log p_y" not in prose
    assert "exp(1000) = inf" not in prose and "inf/inf" not in prose
