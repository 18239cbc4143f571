"""Typed exceptions for every mistake a user can make.

Each error names what is wrong (file, line, layer, shapes) so that a message
alone tells the user what to fix. The CLI turns any :class:`GoneError` into one
line on stderr and exit code 2.
"""

from __future__ import annotations


class GoneError(Exception):
    """Base class of every error gone raises on purpose."""


class ShapeError(GoneError, ValueError):
    """An array has the wrong shape, e.g. "layer 2 expects (batch, 4), got (batch, 3)"."""


class ConfigError(GoneError, ValueError):
    """An invalid setting: an unknown activation name, a negative rate, ..."""


class GoneFormatError(GoneError, ValueError):
    """A ``.gone`` file cannot be read: truncated, corrupt or inconsistent."""


class DivergenceError(GoneError, ArithmeticError):
    """Training produced a NaN or infinite loss."""


class InputError(GoneError, ValueError):
    """Malformed user data, e.g. a row of text that is not numbers."""


class DatasetError(GoneError, ValueError):
    """A data file cannot be read: bad magic number, truncated, wrong columns; names file and place."""


class GraphError(GoneError, ValueError):
    """An invalid graph config; the message names the neuron and the field."""


class WriteError(GoneError, OSError):
    """A file cannot be written: ``cannot write PATH: reason`` (an OSError too, for old callers)."""


class DependencyMissing(GoneError, ImportError):
    """An optional dependency is not installed; the message names the extra."""


def require(module: str, extra: str):
    """Import an optional dependency or raise :class:`DependencyMissing` naming the extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise DependencyMissing(
            f"{module} is not installed; install it with: pip install 'gone-nn[{extra}]'"
        ) from exc


class PerformanceWarning(UserWarning):
    """A setting that works but is slow, e.g. a process pool for a fitness too cheap to share out."""
