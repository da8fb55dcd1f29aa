"""``derive render`` and ``derive pdf`` (placeholder until the renderer lands)."""
from __future__ import annotations

import argparse


def configure_render(parser: argparse.ArgumentParser) -> None:
    pass


def run_render(args) -> int:
    from engine.errors import UsageError

    raise UsageError("render is not built yet")


def configure_pdf(parser: argparse.ArgumentParser) -> None:
    pass


def run_pdf(args) -> int:
    from engine.errors import UsageError

    raise UsageError("pdf is not built yet")
