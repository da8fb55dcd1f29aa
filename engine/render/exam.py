"""Exam variants as documents: the worked variants and the statements handout.

The model (:mod:`engine.model.variants`) draws and solves the variants; this
render-stage module lays them out through ``variants.tex.j2`` and
``statements.tex.j2``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from engine.model.variants import Variant

#: Title of the document of worked variants.
VARIANTS_TITLE = "Exam variants"
#: Title of the statements-only document (each variant on its own pages).
STATEMENTS_TITLE = "Exam variants: statements"



@dataclass
class VariantView:
    """A variant for the templates: its heading and its problems (views of
    :mod:`engine.render.views`)."""

    heading: str
    problems: list[Any]


@dataclass
class VariantsDocumentView:
    title: str
    variants: list[VariantView]
    packages: Sequence[str]


def render_variants(variants: Sequence[Variant], labels: Mapping[str, str] | None = None, *,
                    statements_only: bool = False) -> str:
    """A standalone LaTeX document of the variants: ``variants.tex.j2`` (a
    contents page, then per variant a section with each problem's statement
    and worked solution) or, with ``statements_only``, ``statements.tex.j2``
    (per variant, on pages of its own, the statements at the drawn values and
    nothing else: the handout). labels: ``{id: "A1"}`` (by default the
    catalog's numbering for built-in problems)."""
    from engine.render import views as render

    if labels is None:
        labels = render.catalog_numbers([s for v in variants for s in v.solutions])
    views = []
    for variant in variants:
        numbers = {**render.problem_numbers(s.problem for s in variant.solutions), **labels}
        problems = [render.problem_view(s, numbers[s.problem.id]) for s in variant.solutions]
        views.append(VariantView(variant.heading, problems))
    title = STATEMENTS_TITLE if statements_only else VARIANTS_TITLE
    doc = VariantsDocumentView(title, views, render.FRAGMENT_PACKAGES)
    template = "statements.tex.j2" if statements_only else "variants.tex.j2"
    text = render.environment().get_template(template).render(doc=doc)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"
