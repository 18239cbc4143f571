"""The ``gone`` command line: ``info``, ``predict``, ``train``, ``evolve``, ``play``, ``serve``,
``propagate`` and ``learn``, one module each.

Every user mistake ends as one line on stderr (``gone: error: ...``) and exit
code 2 (:class:`~gone.cli.args.ExitCode`); nothing prints a traceback: an
unwritable standard output (``gone predict ... > /dev/full``) is one line too,
and even a bug in gone is one line (exit 1) unless ``GONE_DEBUG=1`` asks for
the traceback.
"""

from __future__ import annotations

import errno
import os
import sys
import warnings

from .. import __version__
from ..errors import GoneError
from . import completion, evolve, graph, info, interop, play, predict, serve, train
from .args import ExitCode, Parser, Terminated

#: The commands in the order ``gone --help`` lists them.
COMMANDS = (info, predict, train, evolve, play, serve, graph, interop, completion)


def build_parser() -> Parser:
    parser = Parser(prog="gone",
                    description="Small neural networks trained by backprop and neuroevolution.")
    parser.add_argument("--version", action="version", version=f"gone {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                parser_class=Parser)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one readable line on stderr, like errors, not a source excerpt."""
    print(f"gone: warning: {message}", file=file or sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run ``gone`` with ``argv`` (default: ``sys.argv[1:]``); the exit code."""
    args = build_parser().parse_args(argv)
    warnings.showwarning = _show_warning
    try:
        code = args.func(args)
        sys.stdout.flush()  # here, not at exit, so a full disk is reported like any error
        return code
    except GoneError as exc:
        return _fail(str(exc), ExitCode.ERROR)
    except KeyboardInterrupt:
        return _fail("interrupted", ExitCode.INTERRUPTED, "gone: ")
    except Terminated:
        return _fail("terminated", ExitCode.TERMINATED, "gone: ")
    except BrokenPipeError:
        # The reader went away (e.g. `gone predict ... | head`); stop quietly.
        _silence_stdout()
        return ExitCode.SIGPIPE
    except OSError as exc:
        if exc.filename is None and exc.errno in (errno.ENOSPC, errno.EIO, errno.EDQUOT,
                                                  errno.EFBIG, errno.EBADF):
            _silence_stdout()  # nothing more can reach it, not even the exit's flush
            return _fail(f"cannot write the output: {exc.strerror}", ExitCode.ERROR)
        return _internal(exc)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback
        return _internal(exc)


def _fail(message: str, code: ExitCode, prefix: str = "gone: error: ") -> int:
    print(prefix + " ".join(message.split("\n")), file=sys.stderr)
    return code


def _internal(exc: Exception) -> int:
    """A bug in gone: one line, or the traceback with ``GONE_DEBUG=1``."""
    if os.environ.get("GONE_DEBUG"):
        raise exc
    if isinstance(exc, MemoryError):
        return _fail("out of memory", ExitCode.ERROR)
    text = " ".join(str(exc).split())[:300]
    return _fail(f"internal error ({type(exc).__name__}: {text}); this is a bug in gone: "
                 "please report it with the output of GONE_DEBUG=1 gone ...",
                 ExitCode.INTERNAL)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so Python's final flush cannot fail (and print) again."""
    try:
        sys.stdout.flush()
    except OSError:
        pass
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # stdout replaced (tests) or closed
        pass
