"""Differentiation and evaluation traces of any expression (derive diff, derive trace)."""
