"""What every ``gone`` command shares: the exit codes, the parser class and the argument types.

An argument type turns the text of one flag into a value or raises
``argparse.ArgumentTypeError`` with the valid range, so every bad flag ends as
one line (``gone train: error: argument --epochs: must be >= 1, got 0``) and
exit code 2 before any work starts.
"""

from __future__ import annotations

import argparse
import contextlib
import enum
import math
import os
import signal
from pathlib import Path


class ExitCode(enum.IntEnum):
    """The ``gone`` command's exit codes (documented in the README).

    The signal codes follow the shell's 128 + signal number, so a script sees
    the same code whether gone stopped cleanly on the signal or was killed by it.
    Every command that handles SIGTERM (``learn``, ``evolve``, ``play``) must
    end with 143 after keeping what it has (``learn`` saves, ``evolve`` writes
    its checkpoint, ``play`` just stops), and Ctrl-C with 130.
    """

    OK = 0
    INTERNAL = 1       # a bug in gone (one line; GONE_DEBUG=1 shows the traceback)
    ERROR = 2          # a usage mistake or bad input: one line on stderr, nothing written
    INTERRUPTED = 130  # Ctrl-C (SIGINT): what was finished is kept
    SIGPIPE = 141      # the reader of stdout went away (``gone predict ... | head``)
    TERMINATED = 143   # SIGTERM: stopped like Ctrl-C, results so far kept


class Terminated(Exception):
    """SIGTERM arrived (raised by :func:`sigterm_raises`); ``gone`` exits with 143."""


@contextlib.contextmanager
def sigterm_raises():
    """While inside, SIGTERM raises :class:`Terminated` (main thread only; elsewhere a no-op).

    Commands that must keep work on SIGTERM wrap their loop in this and catch
    :class:`Terminated` (or let ``gone.cli.main`` turn it into exit 143).
    """
    def handler(signum, frame):
        raise Terminated()

    try:
        old = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


@contextlib.contextmanager
def signals_blocked():
    """Hold SIGINT and SIGTERM back (e.g. while saving); they are delivered afterwards."""
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is None:  # pragma: no cover - Windows
        yield
        return
    old = mask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        mask(signal.SIG_SETMASK, old)


#: A run stopped by Ctrl-C or SIGTERM (its ``stop_reason``) ends with the shell's code for it.
STOPPED_BY_SIGNAL = {"interrupted": ExitCode.INTERRUPTED, "terminated": ExitCode.TERMINATED}


class Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line (``gone evolve: error: ...``) and exit 2."""

    def error(self, message):
        self.exit(ExitCode.ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None


def _real(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """A whole number >= 1 (counts: epochs, generations, population, workers)."""
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    """A whole number >= 0 (elitism, a number of frames where 0 means none)."""
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def seed(text: str) -> int:
    """A random seed: a whole number in [0, 2**63)."""
    value = _integer(text)
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"must be a whole number in [0, 2**63), got {value}")
    return value


def finite_float(text: str) -> float:
    """Any finite number (a fitness target may be negative)."""
    return _real(text)


def positive_float(text: str) -> float:
    """A finite number > 0 (learning rates, standard deviations, seconds)."""
    value = _real(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def non_negative_float(text: str) -> float:
    """A finite number >= 0 (weight decay, a dropout rate of nothing)."""
    value = _real(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def probability(text: str) -> float:
    """A number in [0, 1] (mutation and crossover rates)."""
    value = _real(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1], got {text}")
    return value


def layer_sizes(text: str) -> str:
    """Hidden layer sizes, ``"16"`` or ``"32,16"``: whole numbers >= 1 (kept as text, as run
    settings store them)."""
    parts = [p.strip() for p in text.split(",")]
    if not all(p.isdigit() and int(p) >= 1 for p in parts):
        raise argparse.ArgumentTypeError(
            f"must be layer sizes >= 1 separated by commas (16 or 32,16), got {text!r}")
    return ",".join(str(int(p)) for p in parts)


def port(text: str) -> int:
    """A TCP port in [1, 65535]."""
    value = _integer(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port in [1, 65535], got {value}")
    return value


def output_file(*suffixes: str):
    """An argument type for a file the command will write, checked before any work is done.

    The folder must exist and be writable, the path must not be a folder, and
    (when ``suffixes`` are given) its extension must be one of them: the
    extension picks the format, so an unknown one is refused now, not after
    training. Returns the path as given.
    """
    wanted = tuple(s.lower() for s in suffixes)

    def check(text: str) -> str:
        problem = output_problem(text, wanted)
        if problem:
            raise argparse.ArgumentTypeError(problem)
        return text

    check.__name__ = "output file"
    return check


def output_problem(text: str, suffixes: tuple[str, ...] = ()) -> str | None:
    """Why ``text`` cannot be written as an output file, or None if it can."""
    path = Path(text)
    if not text or text.endswith(("/", os.sep)):
        return f"{text!r} is not a file name"
    if suffixes and path.suffix.lower() not in suffixes:
        return f"{text!r} must end in {' or '.join(suffixes)} (the extension picks the format)"
    if path.is_dir():
        return f"{text} is a folder, not a file"
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        return f"cannot write {text}: folder {folder} does not exist"
    if path.exists() and not os.access(path, os.W_OK):
        return f"cannot write {text}: permission denied"
    if not os.access(folder, os.W_OK | os.X_OK) or not _is_regular_folder(folder):
        return f"cannot write {text}: folder {folder} is not writable"
    return None


def _is_regular_folder(folder: Path) -> bool:
    """False for pseudo file systems such as /proc and /sys, where no file can be created."""
    try:
        return os.statvfs(folder).f_bsize > 0 and not str(folder.resolve()).startswith(("/proc", "/sys"))
    except OSError:
        return False
