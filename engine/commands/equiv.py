"""Placeholder: built by its own issue."""
import argparse


def configure_equiv(parser: argparse.ArgumentParser) -> None:
    pass


def run_equiv(args) -> int:
    from engine.errors import UsageError

    raise UsageError("equiv is not built yet")
