"""Rendering: Jinja2 views and templates, escaping, the PDF build and the catalog cache."""
