"""derive: a symbolic derivation engine for deep-learning coursework.

Modules: :mod:`engine.problem` (the problem model), :mod:`engine.verify`
(proof of each derivation step), :mod:`engine.numbers` (the display policy),
:mod:`engine.latex` (sympy -> LaTeX), :mod:`engine.catalog` (the built-in
problems of ``derivations/``), :mod:`engine.render` (Jinja2 templates),
:mod:`engine.cli` (the ``derive`` command).
"""
__version__ = "0.1.0"
