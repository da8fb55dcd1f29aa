"""Subcommands of ``derive``: each module provides configure_NAME(parser)
and run_NAME(args). Top-level imports are the standard library only."""
