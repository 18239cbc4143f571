"""The ``gone`` command line: ``info``, ``predict``, ``train``, ``evolve``, ``play``, ``serve``,
``propagate`` and ``learn``, one module each.

Every user mistake ends as one line on stderr (``gone: error: ...``) and exit
code 2 (:class:`~gone.cli.args.ExitCode`); nothing prints a traceback.
"""

from __future__ import annotations

import os
import sys
import warnings

from .. import __version__
from ..errors import GoneError
from . import evolve, games, graph, info, predict, serve, train
from .args import ExitCode, Parser

#: The commands in the order ``gone --help`` lists them.
COMMANDS = (info, predict, train, evolve, games, serve, graph)


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
        return args.func(args)
    except GoneError as exc:
        print(f"gone: error: {exc}", file=sys.stderr)
        return ExitCode.ERROR
    except KeyboardInterrupt:
        print("gone: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # The reader went away (e.g. `gone predict ... | head`); stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.SIGPIPE
