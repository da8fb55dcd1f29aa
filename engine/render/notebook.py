"""Jupyter display of problems and solutions, registered by the render stage.

The model (:mod:`engine.model.problem`) never imports the render stage: its
``_repr_markdown_`` / ``_repr_latex_`` call the hooks registered here, so a
notebook that imports :mod:`engine.render` (this module is imported with the
package) shows a :class:`engine.model.problem.Problem` or ``Solution`` as
Markdown with ``$$`` math and boxed answers, and as a LaTeX fragment for
nbconvert. ``%load_ext engine.render.notebook`` does the same in IPython.
"""
from __future__ import annotations

from engine.model.problem import register_display


def _markdown(solution) -> str:
    from engine.render.views import render_markdown

    return render_markdown([solution])


def _latex(solution) -> str:
    from engine.render.views import render_fragment

    return render_fragment(solution)


def register() -> None:
    """Register the Markdown and LaTeX display hooks of the model's objects."""
    register_display("markdown", _markdown)
    register_display("latex", _latex)


def load_ipython_extension(ipython) -> None:  # noqa: ARG001 - the IPython extension API
    """``%load_ext engine.render.notebook``: register the display hooks."""
    register()


register()
