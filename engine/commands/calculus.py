"""Placeholder: built by its own issue."""
import argparse


def configure_diff(parser: argparse.ArgumentParser) -> None:
    pass


def run_diff(args) -> int:
    from engine.errors import UsageError

    raise UsageError("diff is not built yet")


def configure_trace(parser: argparse.ArgumentParser) -> None:
    pass


def run_trace(args) -> int:
    from engine.errors import UsageError

    raise UsageError("trace is not built yet")
