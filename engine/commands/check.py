"""Placeholder: built by its own issue."""
import argparse


def configure_check(parser: argparse.ArgumentParser) -> None:
    pass


def run_check(args) -> int:
    from engine.errors import UsageError

    raise UsageError("check is not built yet")
