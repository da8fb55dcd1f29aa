"""Rendering: Jinja2 views and templates, escaping, the PDF build and the catalog cache.

Importing the package registers the Jupyter display hooks of the model's
objects (:mod:`engine.render.notebook`): data flows one way, model -> render.
"""
from engine.render import notebook  # noqa: F401,E402 - registers the display hooks
