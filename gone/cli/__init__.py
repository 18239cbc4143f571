"""The ``gone`` command: one module per command, :func:`main` the entry point."""

from .main import main

__all__ = ["main"]
