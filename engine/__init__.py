"""derive: a symbolic derivation engine for deep-learning coursework.

Modules: :mod:`engine.model.problem` (the problem model), :mod:`engine.model.verify`
(proof of each derivation step), :mod:`engine.math.numbers` (the display policy),
:mod:`engine.math.latex` (sympy -> LaTeX), :mod:`engine.model.catalog` (the built-in
problems of ``derivations/``), :mod:`engine.render.views` (Jinja2 templates),
:mod:`engine.cli` (the ``derive`` command).
"""
__version__ = "0.1.0"
